"""All paper figures of a run folder, from its saved analysis results, into ``figures/``."""

from __future__ import annotations

from pathlib import Path

import xarray as xr

from retinasim.figures import paper
from retinasim.figures.style import save_figure

FIGURES_DIR = "figures"


def _open(path: Path) -> xr.Dataset | None:
    if not path.exists():
        return None
    with xr.open_dataset(path, engine="h5netcdf") as dataset:
        return dataset.load()


def make_figures(run_dir: str | Path, *, circuit=None) -> list[Path]:
    """Draw every figure whose results exist in ``RUN_DIR/analysis``; return the files.

    ``circuit`` (the trained model) adds the kernel figures; without it they are skipped.
    Figures are named by the paper panel they reproduce (``fig3a_psychometric.svg``...).
    """
    run_dir = Path(run_dir)
    analysis = run_dir / "analysis"
    out = run_dir / FIGURES_DIR
    written: list[Path] = []
    full, ablated = _open(analysis / "psychometric.nc"), _open(analysis / "ablated_psychometric.nc")
    if full is not None:
        written += save_figure(paper.psychometric(full, ablated), out, "fig3a_psychometric")
    by_s = _open(analysis / "accuracy_by_s.nc")
    if by_s is not None:
        figure = paper.accuracy_vs_s(by_s["accuracy"], "Full model: accuracy vs s")
        written += save_figure(figure, out, "fig3b_accuracy_vs_s")
    scan = _open(analysis / "lesion_scan.nc")
    if scan is not None:
        written += save_figure(paper.lesion_bars(scan), out, "fig3c_lesions")
    within = _open(analysis / "lesions_within_ablated.nc")
    if within is not None:
        accuracy = within["accuracy"]
        figure = paper.accuracy_vs_s(accuracy.sel(lesion="none"), "Ablated model: accuracy vs s")
        written += save_figure(figure, out, "fig3d_ablated_accuracy_vs_s")
        written += save_figure(
            paper.lesions_within_ablated(accuracy), out, "fig4b_lesions_within_ablated"
        )
    amplitude = _open(analysis / "amplitude.nc")
    if amplitude is not None:
        written += save_figure(paper.amplitudes(amplitude["amplitude"]), out, "fig4a_amplitudes")
    deepvis = _open(analysis / "deepvis.nc")
    if deepvis is not None:
        written += save_figure(paper.deepvis_xt(deepvis), out, "fig5_deepvis_xt")
    if circuit is not None:
        from retinasim.analysis import spatial_kernels, temporal_kernels

        written += save_figure(
            paper.temporal_kernels(temporal_kernels(circuit)), out, "fig4d_temporal_kernels"
        )
        for key, kernel in spatial_kernels(circuit).items():
            if "->" in key and not key.startswith("input"):
                name = "fig4c_spatial_" + key.replace("->", "_to_")
                written += save_figure(paper.spatial_kernels(kernel, key), out, name)
    return written
