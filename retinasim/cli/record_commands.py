"""Recording commands: ``record`` (probes → netCDF/zarr) and ``tuning`` (DSI of every type).

Both take a run folder (its trained circuit) or a circuit YAML file (compiled with
``--circuit-seed``). Stimulus parameters are ``--set name=value`` (lists as ``0,90,180``);
height, width and frames default to the circuit's input.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated

import typer

from retinasim.cli.settings import count_option, seed_option
from retinasim.errors import RetinasimError
from retinasim.util.settings import MAX_COUNT


def _load(target: Path, circuit_seed: int):
    """The circuit of a run folder (trained weights), a circuit YAML file or a shipped
    circuit's name."""
    from retinasim.spec.loader import resolve_circuit
    from retinasim.spec.shipped import is_circuit_name

    if target.is_dir():
        from retinasim.training import load_trained

        return load_trained(target)
    if not target.exists() and not is_circuit_name(str(target)):
        raise RetinasimError(f"{target}: no such run folder or circuit file")
    target = resolve_circuit(target)
    from retinasim.compile import compile_circuit
    from retinasim.spec import load_circuit

    return compile_circuit(load_circuit(target), seed=circuit_seed).eval()


def _generator(kind: str, assignments: list[str], circuit, **defaults):
    """The ``kind`` generator at the circuit's input size, with ``--set`` overrides."""
    from retinasim.cli.stimulus import _as_field_value, parse_value
    from retinasim.plugins import generator_class
    from retinasim.util.assignments import parse_assignment
    from retinasim.util.text import did_you_mean

    chosen = generator_class(kind)
    height, width = circuit.plan.input_size
    parameters = {"height": height, "width": width, "frames": circuit.plan.frames, **defaults}
    for text in assignments:
        name, value = parse_assignment(
            text, "--set", error=RetinasimError, form="NAME=VALUE", example="speeds=1,2"
        )
        name = name.replace("-", "_")
        if name not in chosen.model_fields:
            hint = did_you_mean(name, chosen.model_fields)
            known = ", ".join(chosen.model_fields)
            raise RetinasimError(f"--set {name}: {kind} has no such parameter{hint} ({known})")
        parameters[name] = _as_field_value(chosen, name, parse_value(value, f"--set {name}"))
    return chosen(**parameters)


def _lesions(texts: list[str]) -> dict[str, list[int | str]]:
    lesions: dict[str, list[int | str]] = {}
    for text in texts:
        layer, colon, types = text.partition(":")
        if not colon or not types:
            raise RetinasimError(f"--lesion takes LAYER:TYPE[,TYPE...], got {text!r}")
        for piece in types.split(","):
            piece = piece.strip()
            lesions.setdefault(layer, []).append(int(piece) if piece.isdigit() else piece)
    return lesions


TargetArgument = Annotated[Path, typer.Argument(help="Run folder or circuit YAML file.")]
SetOption = Annotated[
    list[str] | None,
    typer.Option("--set", help="Stimulus parameter NAME=VALUE (lists as 0,90,180)."),
]
CircuitSeed = Annotated[int, seed_option("Initial weights of a YAML circuit.")]


def _whole_number(text: str, option: str) -> int:
    """``--n`` / ``--batch-size`` as an int from 1 to :data:`MAX_COUNT`; ``1e5`` and ``1_000``
    are whole numbers too."""
    try:
        value = float(text.replace("_", ""))
    except ValueError:
        raise RetinasimError(f"{option} takes a whole number, got {text!r}") from None
    if not math.isfinite(value) or value != int(value) or not 1 <= value <= MAX_COUNT:
        raise RetinasimError(f"{option} takes a whole number from 1 to {MAX_COUNT}, got {text!r}")
    return int(value)


def _check_out(out: Path, overwrite: bool) -> None:
    """Refuse an existing ``out`` without ``--overwrite``, a folder that is no zarr store and
    a folder that cannot hold ``out``, before any work."""
    from retinasim.util.files import make_folder

    make_folder(out.parent)
    if not (out.exists() or out.is_symlink()):
        return
    if not overwrite:
        raise RetinasimError(f"{out} already exists; pass --overwrite to replace it")
    is_store = any((out / name).is_file() for name in ("zarr.json", ".zgroup", ".zattrs"))
    if out.is_dir() and not (out.suffix == ".zarr" and is_store):
        raise RetinasimError(f"{out} is a folder, not a zarr recording; it is not replaced")


TUNING_COLUMNS = {  # tuning.csv's columns: their printed headers
    "peak_direction_deg": "peak",
    "preferred_direction_deg": "pref",
    "dsi": "DSI",
    "vector_dsi": "vDSI",
    "dsi_p_value": "p(DSI)",
    "vector_dsi_p_value": "p(vDSI)",
}
SINGLE_UNIT_COLUMNS = {  # direction_selectivity.csv's
    "dsi": "DSI",
    "vector_dsi": "vDSI",
    "vector_dsi_p_value": "p",
    "preferred_direction_deg": "pref",
    "preferred_speed": "speed",
    "preferred_width": "width",
    "median_unit_dsi": "medDSI",
    "fraction_ds_units": "DS>=.3",
}
MECHANISM_COLUMNS = {  # mechanism.csv's numeric columns (mechanism and carriers in front)
    "response_dsi": "DSI",
    "excitation_dsi": "E DSI",
    "inhibition_dsi": "I DSI",
    "drive_dsi": "net DSI",
    "agreement": "agree",
}
MECHANISM_LABELS = ("cell_type", "layer", "mechanism", "carriers")


def record_command(
    target: TargetArgument,
    stimulus: Annotated[str, typer.Option(help="moving_dots, moving_bars, gratings, ...")],
    probe: Annotated[
        list[str],
        typer.Option(
            help="LAYER[TYPES]:SPACE@FRAMES, SOURCE->TARGET[TYPES]:SPACE[/by_source] or readout."
        ),
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="FILE.nc, FILE.zarr or FILE.nwb (NWB).")],
    n: Annotated[str, typer.Option("--n", help="Number of trials (stimuli 0..n-1).")] = "16",
    set_: SetOption = None,
    seed: Annotated[int, seed_option("Seed of the stimulus set.")] = 0,
    batch_size: Annotated[str, typer.Option(help="Trials per batch and file chunk.")] = "16",
    lesion: Annotated[
        list[str] | None, typer.Option(help="Silence LAYER:TYPE[,TYPE] while recording.")
    ] = None,
    circuit_seed: CircuitSeed = 0,
    overwrite: Annotated[bool, typer.Option(help="Replace an existing --out file.")] = False,
    spikes: Annotated[
        bool, typer.Option(help="NWB: also Poisson spike trains drawn from the rates.")
    ] = False,
    spike_seed: Annotated[int, seed_option("NWB: seed of the spike trains.")] = 0,
) -> None:
    """Record probes of a circuit's responses to N stimuli into a netCDF, zarr or NWB file.

    Example: retinasim record run/ --stimulus moving_bars --set speeds=1 --n 16
    --probe ganglion:centre --probe bipolar:mean --probe readout --out bars.nc
    """
    from retinasim.cli.progress import phase_progress
    from retinasim.recording import parse_probe, record
    from retinasim.recording.storage import SUFFIXES, check_target

    nwb = out.suffix == ".nwb"
    check_target(out, (*SUFFIXES, ".nwb"))
    if nwb:
        from retinasim.recording.nwb import require_pynwb

        require_pynwb()
    probes = [parse_probe(text) for text in probe]
    trials = _whole_number(n, "--n")
    batch = _whole_number(batch_size, "--batch-size")
    _check_out(out, overwrite)
    circuit = _load(target, circuit_seed)
    generator = _generator(stimulus, set_ or [], circuit)
    with phase_progress() as progress:
        recording = record(
            circuit,
            generator,
            probes,
            n=trials,
            seed=seed,
            batch_size=batch,
            lesions=_lesions(lesion or []),
            out=None if nwb else out,
            progress=progress,
        )
    if nwb:
        from retinasim.recording import to_nwb

        to_nwb(recording, out, spikes=spikes, seed=spike_seed)
    groups = ", ".join(
        f"{node.name} ({', '.join(f'{d} {k}' for d, k in node.sizes.items())})"
        for node in recording.children.values()
    )
    print(f"wrote {out}: {', '.join(p.variable for p in probes)}; groups {groups}")


def tuning_command(
    target: TargetArgument,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Folder of results.")] = None,
    directions: Annotated[
        int, typer.Option(min=2, max=360, help="Directions, evenly spaced (even).")
    ] = 8,
    speed: Annotated[float, typer.Option(help="Bar speed, pixels/frame.")] = 1.0,
    bar_width: Annotated[float, typer.Option(help="Bar width, pixels.")] = 10.0,
    set_: SetOption = None,
    n_permutations: Annotated[int, count_option("Shuffles for the p-values.")] = 1000,
    seed: Annotated[int, seed_option("Seed of the permutation test.")] = 0,
    circuit_seed: CircuitSeed = 0,
) -> None:
    """Direction tuning of every cell type of every layer, to moving bars.

    Prints a DSI table of the centre units to full-screen bars (--directions, --speed,
    --bar-width); writes tuning.csv, tuning.nc and polar plots (PNG and SVG) per layer. Then
    prints the single-unit protocol's table (the dissection's: bars crossing each unit's
    receptive field, evoked response, DSI and vector DSI with a permutation p-value at the
    preferred speed and width; docs/dissection.md) and writes direction_selectivity.csv/.nc,
    then the mechanism of each direction-selective type (its synaptic currents for preferred-
    and null-direction bars: null inhibition, preferred excitation, both, timing or intrinsic, and
    the source types that carry it) and writes mechanism.csv/.nc.
    """
    from retinasim.util.lock import run_folder_locks

    if directions < 2 or directions % 2:
        raise RetinasimError(f"--directions must be even and >= 2 (opposites), got {directions}")
    circuit = _load(target, circuit_seed)
    angles = [360.0 * k / directions for k in range(directions)]
    generator = _generator(
        "moving_bars",
        set_ or [],
        circuit,
        directions_deg=angles,
        speeds=[speed],
        widths=[bar_width],
    )
    folder = out or (
        target / "tuning"
        if target.is_dir()
        else target.with_suffix("").parent / f"{target.stem}_tuning"
    )
    with run_folder_locks([target, folder]):  # never beside another command's writes
        _tuning(circuit, generator, folder, n_permutations, seed)


def _tuning(circuit, generator, folder: Path, n_permutations: int, seed: int):
    """Record bars, write the tuning tables and polar plots, then the single-unit table."""
    import xarray as xr

    from retinasim.analysis import direction_tuning
    from retinasim.cli.tables import show_and_save
    from retinasim.dissect.summary import direction_selectivity
    from retinasim.plots import plot_polar_tuning
    from retinasim.recording import record
    from retinasim.recording.storage import save_recording
    from retinasim.util.files import atomic_path, make_folder

    make_folder(folder)
    probes = [f"{layer}:centre" for layer in circuit.layer_names]
    recording = record(circuit, generator, probes, n=generator.n_conditions)
    per_layer = []
    for layer in circuit.layer_names:
        centre = recording[layer].to_dataset()[f"{layer}_centre"]
        result = direction_tuning(centre, n_permutations=n_permutations, seed=seed)
        per_layer.append(result)
        figure = plot_polar_tuning(result)
        figure.suptitle(f"{layer}: direction tuning", y=1.04)
        for suffix in (".png", ".svg"):
            with atomic_path(folder / f"tuning_{layer}{suffix}") as path:
                figure.savefig(path, bbox_inches="tight")
    table = xr.concat(
        per_layer,
        dim="cell_type",
        data_vars="different",
        coords="different",
        compat="equals",
        join="exact",
    )
    table.attrs.update({k: recording.attrs[k] for k in ("circuit", "spec_hash")})
    save_recording(table, folder / "tuning.nc")
    show_and_save(table, folder / "tuning.csv", TUNING_COLUMNS)
    print(f"wrote {folder}/tuning.csv, tuning.nc and tuning_<layer>.png/.svg")
    # The dissection's single-unit direction-selectivity protocol.
    result = direction_selectivity(circuit, n_permutations=n_permutations, seed=seed)
    print()
    print(
        "single units, bars crossing each unit's receptive field "
        f"({result.attrs['seconds']:.1f} s; DSI at the preferred speed and width):"
    )
    save_recording(result, folder / "direction_selectivity.nc")
    show_and_save(result, folder / "direction_selectivity.csv", SINGLE_UNIT_COLUMNS)
    print(f"wrote {folder}/direction_selectivity.csv and direction_selectivity.nc")
    _mechanism(circuit, result, folder)


def _mechanism(circuit, tuning, folder: Path) -> None:
    """Print and write the mechanism of the direction-selective types of ``tuning``."""
    from retinasim.cli.tables import show_and_save
    from retinasim.dissect.mechanism import direction_mechanism
    from retinasim.recording.storage import save_recording
    from retinasim.util.files import atomic_write_text

    mechanism = direction_mechanism(circuit, tuning)
    print()
    print(
        "mechanism of the direction-selective types, currents for preferred- and null-direction "
        f"bars ({mechanism.attrs['seconds']:.1f} s; signed DSIs of the peak excitation and "
        f"inhibition, threshold {mechanism.attrs['threshold']:g}):"
    )
    save_recording(mechanism, folder / "mechanism.nc")
    if mechanism.sizes["cell_type"] == 0:
        print(f"no direction-selective type (DSI >= {mechanism.attrs['ds_threshold']:g})")
        header = ",".join([*MECHANISM_LABELS, *MECHANISM_COLUMNS])
        atomic_write_text(folder / "mechanism.csv", header + "\n")
    else:
        table = mechanism[[*MECHANISM_COLUMNS, "mechanism", "carriers"]]
        show_and_save(table, folder / "mechanism.csv", MECHANISM_COLUMNS, MECHANISM_LABELS)
    print(f"wrote {folder}/mechanism.csv and mechanism.nc")


def register(app: typer.Typer) -> None:
    """Register ``record`` and ``tuning`` on ``app``."""
    app.command("record")(record_command)
    app.command("tuning")(tuning_command)
