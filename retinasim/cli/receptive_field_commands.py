"""``retinasim receptive-fields``: white-noise receptive fields of one layer of several runs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from retinasim.cli.record_commands import CircuitSeed, _load
from retinasim.cli.settings import count_option, seed_option
from retinasim.errors import RetinasimError

COLUMNS = (
    ("mean_luminance", "mean"),
    ("active_fraction", "active"),
    ("centre_surround_index", "CSI"),
    ("surround_index", "surr"),
    ("surround_coverage", "cover"),
    ("surround_p_value", "p"),
    ("kernel_surround_index", "k.surr"),
    ("kernel_surround_coverage", "k.cover"),
    ("kernel_surround_p_value", "k.p"),
    ("sta_kernel_correlation", "r(k)"),
    ("initial_kernel_correlation", "r(init)"),
)


def receptive_fields_command(
    targets: Annotated[list[Path], typer.Argument(help="Run folders or circuit YAML files.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder of results.")],
    layer: Annotated[
        str | None, typer.Option(help="Layer to map (default: the one the input drives).")
    ] = None,
    trials: Annotated[int, count_option("Noise videos per operating point.")] = 16,
    seed: Annotated[int, seed_option("Seed of the noise.")] = 0,
    mean_luminance: Annotated[
        float | None,
        typer.Option(help="Noise mean luminance for every type (default: per-type search)."),
    ] = None,
    circuit_seed: CircuitSeed = 0,
) -> None:
    """Map the receptive fields of LAYER in every TARGET by white noise (population
    spike-triggered average over every unit of the map; docs/dissection.md).

    Prints one row per run and cell type: the noise mean each type was mapped at, the share
    of responses above zero, the centre-surround index, the surround index and coverage
    (the concentric test) and its permutation p-value, the same from the weights (input-fed
    layers), the STA-kernel correlation and, for a run trained here (not imported), the
    correlation of its input kernels with their initialisation (r(init) near 1: training
    left them as they were). Writes OUT/receptive_fields.nc (dimension ``run``), .csv and
    .png (the STAs; receptive_field_kernels.png: the weights' kernels).
    """
    import xarray as xr

    from retinasim.cli.progress import phase_progress
    from retinasim.cli.tables import show_and_save
    from retinasim.dissect.receptive_fields import (
        initial_kernel_correlation,
        receptive_field_summary,
    )
    from retinasim.plots import plot_rf_mosaic
    from retinasim.provenance import versions
    from retinasim.recording.storage import save_recording
    from retinasim.util.files import atomic_path, make_folder
    from retinasim.util.lock import run_folder_locks

    with run_folder_locks([*targets, out]):  # every run folder it reads or writes
        make_folder(out)
        names = [_run_name(target) for target in targets]
        if len(set(names)) != len(names):
            raise RetinasimError(f"two targets have the same name: {names}")
        noise = None if mean_luminance is None else {"mean_luminance": mean_luminance}
        results = []
        for target, name in zip(targets, names, strict=True):
            circuit = _load(target, circuit_seed)
            with phase_progress() as progress:
                fields = receptive_field_summary(
                    circuit, layer, trials=trials, seed=seed, noise=noise, progress=progress
                )
            if _trained_here(target) and "kernel_spatial" in fields:  # how far training moved
                fields["initial_kernel_correlation"] = initial_kernel_correlation(
                    circuit, circuit.spec, fields.attrs["layer"]
                )
            fields.attrs.update(
                circuit=circuit.spec.name,
                spec_hash=circuit.spec_hash,
                **{f"{package}_version": value for package, value in versions().items()},
            )
            results.append(fields.expand_dims(run=[name]))
            print(f"{name}: {fields.attrs['layer']}, {fields.attrs['units']} units per type")
        combined = xr.concat(results, dim="run", join="outer", combine_attrs="drop_conflicts")
        present = {column: label for column, label in COLUMNS if column in combined}
        save_recording(combined, out / "receptive_fields.nc")
        show_and_save(combined, out / "receptive_fields.csv", present, ("run", "cell_type"))
        figures = {"receptive_fields.png": plot_rf_mosaic(combined)}
        if "kernel_spatial" in combined:
            weights = combined.assign(
                spatial=combined.kernel_spatial,
                surround_index=combined.kernel_surround_index,
                surround_coverage=combined.kernel_surround_coverage,
            )
            title = "spatial kernels from the weights (S = surround index · coverage)"
            figures["receptive_field_kernels.png"] = plot_rf_mosaic(weights, title=title)
        for file_name, figure in figures.items():
            with atomic_path(out / file_name) as path:
                figure.savefig(path, dpi=150, bbox_inches="tight")
        print(f"wrote {out}/receptive_fields.nc, .csv, {' and '.join(figures)}")


def _trained_here(target: Path) -> bool:
    """A run folder trained by retinasim (an imported model's initialisation is unknown)."""
    from retinasim.run_folder import PROVENANCE, read_json

    if not target.is_dir():
        return False
    provenance = read_json(target / PROVENANCE, default=None)
    return provenance is not None and "imported_from" not in provenance


def _run_name(target: Path) -> str:
    """A short label: ``<circuit folder>/<seed folder>`` for run folders, the stem else."""
    resolved = target.resolve()
    if resolved.is_dir():
        return f"{resolved.parent.name}/{resolved.name}" if resolved.parent.name else resolved.name
    return target.stem


def register(app: typer.Typer) -> None:
    """Register ``receptive-fields`` on ``app``."""
    app.command("receptive-fields")(receptive_fields_command)
