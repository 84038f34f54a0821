"""All paper figures of a run folder, from its saved analysis results, into ``figures/``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import xarray as xr

from retinasim.figures import paper, units
from retinasim.figures.style import save_figure
from retinasim.run_folder import read_json, read_netcdf

if TYPE_CHECKING:
    from retinasim.circuit import Circuit

FIGURES_DIR = "figures"


def make_figures(run_dir: str | Path, *, circuit: Circuit | None = None) -> list[Path]:
    """Draw every figure whose results exist in ``RUN_DIR/analysis``; return the files.

    ``circuit`` (the trained model) adds the kernel figures; without it they are skipped.
    Figures are named by the paper panel they reproduce (``fig3a_psychometric.svg``...).
    """
    run_dir = Path(run_dir)
    analysis = run_dir / "analysis"
    out = run_dir / FIGURES_DIR
    written: list[Path] = []
    full = read_netcdf(analysis / "psychometric.nc")
    if full is not None:
        ablated = read_netcdf(analysis / "ablated_psychometric.nc")
        written += save_figure(paper.psychometric(full, ablated), out, "fig3a_psychometric")
    by_s = read_netcdf(analysis / "accuracy_by_s.nc")
    if by_s is not None:
        figure = paper.accuracy_vs_s(by_s["accuracy"], "Full model: accuracy vs s")
        written += save_figure(figure, out, "fig3b_accuracy_vs_s")
    scan = read_netcdf(analysis / "lesion_scan.nc")
    if scan is not None:
        written += save_figure(paper.lesion_bars(scan), out, "fig3c_lesions")
    within = read_netcdf(analysis / "lesions_within_ablated.nc")
    if within is not None:
        accuracy = within["accuracy"]
        figure = paper.accuracy_vs_s(accuracy.sel(lesion="none"), "Ablated model: accuracy vs s")
        written += save_figure(figure, out, "fig3d_ablated_accuracy_vs_s")
        written += save_figure(
            paper.lesions_within_ablated(accuracy), out, "fig4b_lesions_within_ablated"
        )
    amplitude = read_netcdf(analysis / "amplitude.nc")
    if amplitude is not None:
        written += save_figure(paper.amplitudes(amplitude["amplitude"]), out, "fig4a_amplitudes")
    deepvis = read_netcdf(analysis / "deepvis.nc")
    if deepvis is not None:
        written += save_figure(paper.deepvis_xt(deepvis), out, "fig5_deepvis_xt")
    if circuit is not None:
        written += _kernel_figures(circuit, analysis, out, amplitude, within)
    return written


def _kept_types(circuit: Circuit, analysis: Path) -> dict[str, list[str]]:
    """Layer → names of the types the ablated model keeps (empty without an ablation)."""
    lesions = read_json(analysis / "ablated.json", {}).get("lesions")
    if not lesions:
        return {}
    return {
        layer: [name for i, name in enumerate(names) if i not in lesions.get(layer, [])]
        for layer, names in circuit.type_names.items()
    }


def _kernel_figures(
    circuit: Circuit,
    analysis: Path,
    out: Path,
    amplitude: xr.Dataset | None,
    within: xr.Dataset | None,
) -> list[Path]:
    """Figures that need the trained weights: kernels (signed: an inhibitory layer's outgoing
    weights drawn negative), the kept types (Figs. 4–6) and the bipolar–amacrine units
    (Fig. 7)."""
    from retinasim.analysis import spatial_kernels, temporal_kernels
    from retinasim.dissect.units import bipolar_amacrine_units

    temporal, spatial = temporal_kernels(circuit), spatial_kernels(circuit, signed=True)
    written: list[Path] = []  # cell types without a temporal filter have no Fig. 4D
    if temporal:
        written += save_figure(paper.temporal_kernels(temporal), out, "fig4d_temporal_kernels")
    for key, kernel in spatial.items():
        if not key.startswith("input"):
            name = "fig4c_spatial_" + key.replace("->", "_to_")
            written += save_figure(paper.spatial_kernels(kernel, key), out, name)
    kept = _kept_types(circuit, analysis)
    if amplitude is None:
        return written
    if within is not None and kept:
        readout, first = circuit.spec.readout.layer, circuit.layer_names[0]
        for layer, names in kept.items():
            number = 5 if layer == readout else 4 if layer == first else 6
            for name in names:
                figure = units.kept_type(
                    layer,
                    name,
                    amplitude=amplitude["amplitude"],
                    within=within["accuracy"],
                    spatial=spatial,
                    temporal=temporal,
                    kept=kept,
                )
                written += save_figure(figure, out, f"fig{number}_kept_{name}")
    data = bipolar_amacrine_units(circuit, amplitude["amplitude"])
    if data is not None:
        written += save_figure(units.units(data, kept), out, "fig7_units")
    return written
