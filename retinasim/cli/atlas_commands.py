"""``retinasim atlas``: functional cell types across runs, by their battery responses."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from retinasim.cli.settings import seed_option
from retinasim.errors import RetinasimError


def atlas_command(
    runs: Annotated[list[Path], typer.Argument(help="Run folders (trained circuits).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder of results.")],
    k_max: Annotated[
        int, typer.Option(min=1, max=100, help="Most clusters tried per layer (BIC chooses).")
    ] = 10,
    seed: Annotated[int, seed_option("Seed of the Gaussian mixtures.")] = 0,
    reference: Annotated[
        Path | None,
        typer.Option(help="Run folder placed into the clusters, not fitted (the authors')."),
    ] = None,
    speed: Annotated[float, typer.Option(min=0.01, max=1e3, help="Bar speed, px/frame.")] = 2.0,
    bar_width: Annotated[float, typer.Option(min=0.01, max=1e4, help="Bar width, px.")] = 10.0,
) -> None:
    """Cluster the cell types of every layer of RUNS by their responses to a fixed battery.

    Each type's centre unit is recorded to the chirp and to full-screen bars in 8 directions;
    its normalised responses are clustered per layer (Gaussian mixtures chosen by BIC; silent
    types a cluster -1 of their own). Writes atlas.nc (the assignment and each cluster's
    mean response), atlas.csv (one row per cluster: size, prevalence across runs, polarity,
    DS) and atlas_<layer>.png. docs/atlas.md.
    """
    from retinasim.cli.progress import phase_progress
    from retinasim.dissect.atlas import Battery, atlas_table, build_atlas
    from retinasim.plots.atlas import plot_atlas
    from retinasim.util.files import atomic_path, atomic_write_text, make_folder
    from retinasim.util.lock import run_folder_locks
    from retinasim.util.netcdf import write_netcdf

    for run in [*runs, *([reference] if reference is not None else [])]:
        if not (run.is_dir() and (run / "circuit.yaml").is_file()):
            raise RetinasimError(f"{run}: not a run folder (no circuit.yaml)")
    make_folder(out)
    with run_folder_locks([*runs, *([reference] if reference else []), out]):
        with phase_progress() as progress:
            atlas = build_atlas(
                runs,
                reference=reference,
                k_max=k_max,
                seed=seed,
                battery=Battery(speed=speed, width=bar_width),
                progress=progress,
            )
        write_netcdf(atlas, out / "atlas.nc")
        table = atlas_table(atlas)
        atomic_write_text(out / "atlas.csv", table.to_csv(index=False, float_format="%.6g"))
        for layer in dict.fromkeys(atlas["cluster_layer"].values.tolist()):
            figure = plot_atlas(atlas, layer)
            with atomic_path(out / f"atlas_{layer}.png") as path:
                figure.savefig(path, bbox_inches="tight", dpi=120)
    print(table.to_string(index=False, float_format=lambda v: f"{v:.2f}", na_rep="nan"))
    print(f"wrote {out}/atlas.nc, atlas.csv and atlas_<layer>.png")


def register(app: typer.Typer) -> None:
    """Register ``atlas`` on ``app``."""
    app.command("atlas")(atlas_command)
