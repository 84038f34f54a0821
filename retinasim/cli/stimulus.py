"""``retinasim stimulus KIND [--param value ...] --out FILE``: look at what the model sees.

Writes an animated GIF and a PNG strip of one stimulus (``--out x.gif`` or ``x.png`` writes
both), or, with ``--out x.npz``, a cache file of ``--count`` stimuli. Generator parameters are
given as ``--name value`` (dashes or underscores) or, as for ``record`` and ``train``,
``--set name=value``; lists as ``0,90,180``; ``--list`` prints every parameter of KIND with
its default. A request larger than the available memory is refused before rendering.
"""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from retinasim.errors import StimulusError
from retinasim.spec.yaml_source import MAX_DEPTH
from retinasim.util.assignments import parse_assignment
from retinasim.util.settings import MAX_COUNT, MAX_NUMBER_CHARACTERS, MAX_SEED, option_name
from retinasim.util.text import did_you_mean

MAX_ZOOM = 64
"""Largest ``--zoom`` (a preview pixel is at most 64 × 64)."""
MAX_STRIP_FRAMES = 1000
"""Most frames in a preview's PNG strip."""
_OPTIONS = ("out", "seed", "index", "count", "strip_frames", "zoom", "list")

if TYPE_CHECKING:
    from retinasim.plugins import StimulusParams


def parse_value(text: str, name: str = "value") -> Any:
    """A command-line value: number, bool, none, JSON list, comma-separated list, or string
    (at most :data:`MAX_DEPTH` lists deep, numbers of at most :data:`MAX_NUMBER_CHARACTERS`)."""
    depth = max(itertools.accumulate((c in "[{") - (c in "]}") for c in text), default=0)
    if depth > MAX_DEPTH:
        raise StimulusError(f"{name}: a value nested more than {MAX_DEPTH} levels deep is not read")
    if max(map(len, re.findall(r"[0-9.eE_+-]+", text)), default=0) > MAX_NUMBER_CHARACTERS:
        raise StimulusError(
            f"{name}: a number longer than {MAX_NUMBER_CHARACTERS} characters is not read"
        )
    lowered = text.strip().lower()
    if lowered in ("none", "null"):
        return None
    if lowered in ("true", "false"):
        return lowered == "true"
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        pass
    if "," in text:
        return [parse_value(piece) for piece in text.split(",") if piece.strip()]
    return text


def parse_parameters(arguments: list[str], kind: str, fields: list[str]) -> dict[str, Any]:
    """``["--name", "value", "--flag", ...]`` → ``{"name": value, "flag": True}``."""
    parameters: dict[str, Any] = {}
    position = 0
    while position < len(arguments):
        word = arguments[position]
        if not word.startswith("--") or len(word) == 2:
            raise StimulusError(
                f"unexpected argument {word!r}; parameters are given as --name value"
            )
        if word == "--set" or word.startswith("--set="):  # --set name=value, like train/record
            if word == "--set":
                position += 1
                if position >= len(arguments):
                    raise StimulusError("--set needs NAME=VALUE, e.g. --set alpha=1.5")
                assignment = arguments[position]
            else:
                assignment = word.removeprefix("--set=")
            name, value = parse_assignment(
                assignment, "--set", error=StimulusError, form="NAME=VALUE", example="alpha=1.5"
            )
            word = f"--{name}={value}"
        name, has_value, value = word[2:].partition("=")
        name = name.replace("-", "_")
        if name not in fields and name in _OPTIONS:  # after a `--`, options are parameters
            raise StimulusError(
                f"{option_name(name)} is an option of `retinasim stimulus`, not a {kind} "
                "parameter: give it before `--`"
            )
        if name not in fields:
            hint = did_you_mean(name, [*fields, *_OPTIONS], cutoff=0.5, show=option_name)
            raise StimulusError(
                f"unknown {kind} parameter {option_name(name)}{hint} "
                f"(run `retinasim stimulus {kind} --list` to see them)"
            )
        if not has_value:
            following = arguments[position + 1] if position + 1 < len(arguments) else None
            if following is None or following.startswith("--"):
                value = "true"
            else:
                value = following
                position += 1
        parameters[name] = parse_value(value, option_name(name))
        position += 1
    return parameters


def _integer(option: str, text: str, least: int, most: int) -> int:
    """``--option``'s whole number, from ``least`` to ``most``."""
    try:
        value = int(text) if len(text) <= MAX_NUMBER_CHARACTERS else None
    except ValueError:
        value = None
    if value is None or not least <= value <= most:
        raise StimulusError(
            f"--{option} must be a whole number from {least} to {most}, got {text!r}"
        )
    return value


def _as_field_value(generator_class: type[StimulusParams], name: str, value: Any) -> Any:
    """Wrap a single value into a 1-tuple for list-valued parameters (``--speeds 2``)."""
    annotation = str(generator_class.model_fields[name].annotation)
    if annotation.startswith("tuple") and "..." in annotation and not isinstance(value, list):
        return [value]
    return value


def stimulus(
    context: typer.Context,
    kind: Annotated[
        str,
        typer.Argument(
            help="moving_dots, moving_bars, gratings, flashes, white_noise, or a plugin's "
            "(see `retinasim plugins`)"
        ),
    ],
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="x.gif / x.png (preview) or x.npz (cache).")
    ] = None,
    seed: Annotated[str, typer.Option(metavar="INT", help="Seed of the stimulus set.")] = "0",
    index: Annotated[
        str, typer.Option(metavar="INT", help="Stimulus index (first index of a cache).")
    ] = "0",
    count: Annotated[str, typer.Option(metavar="INT", help="Stimuli in a .npz cache.")] = "1",
    strip_frames: Annotated[
        str, typer.Option(metavar="INT", help="Frames in the PNG strip.")
    ] = "8",
    zoom: Annotated[
        str, typer.Option(metavar="INT", help="Pixel size of the preview (integer zoom).")
    ] = "1",
    list_parameters: Annotated[
        bool, typer.Option("--list", help="Print KIND's parameters and defaults, then exit.")
    ] = False,
    overwrite: Annotated[bool, typer.Option(help="Replace existing output files.")] = False,
) -> None:
    """Render one stimulus of KIND to an animated GIF and a PNG strip (or many to a cache).

    Generator parameters follow as --name value (lists as 0,90,180); --list shows them.
    Example: retinasim stimulus moving_dots --alpha 1.5 --s 0.5 --out dots.gif
    """
    from retinasim.plugins import generator_class
    from retinasim.stimuli import write_cache
    from retinasim.stimuli.preview import write_preview
    from retinasim.util.resources import check_memory, stimulus_bytes

    chosen = generator_class(kind)
    seed_value, first, number = (
        _integer("seed", seed, 0, MAX_SEED),
        _integer("index", index, 0, MAX_SEED),
        _integer("count", count, 1, MAX_COUNT),
    )
    strip = _integer("strip-frames", strip_frames, 1, MAX_STRIP_FRAMES)
    pixel = _integer("zoom", zoom, 1, MAX_ZOOM)
    if list_parameters:
        print(f"{chosen.kind}: {(chosen.__doc__ or '').strip().splitlines()[0]}")
        for name, field in chosen.model_fields.items():
            print(f"  {option_name(name)} (default {field.default!r})")
        return
    given = parse_parameters(list(context.args), kind, list(chosen.model_fields))
    generator = chosen(**{name: _as_field_value(chosen, name, v) for name, v in given.items()})
    if out is None:
        raise StimulusError("missing --out FILE (x.gif or x.png for a preview, x.npz for a cache)")
    _check_out(out, overwrite)
    cache = out.suffix.lower() == ".npz"
    if number != 1 and not cache:
        raise StimulusError("--count applies to .npz caches; a preview shows one stimulus")
    preview = 0 if cache else 4.0 * generator.frames * generator.height * generator.width * pixel**2
    check_memory(  # 8192 x 8192 x 1000 frames, or a scene 10^12 pixels wide, is refused
        stimulus_bytes(generator, number) + preview,
        f"{number} {kind} stimulus(es) of {generator.frames} frames of "
        f"{generator.height}x{generator.width} pixels",
        "use fewer frames, a smaller size (or scene), or fewer stimuli (--count)",
    )
    if cache:
        write_cache(out, generator, seed=seed_value, count=number, start=first)
        print(f"wrote {out}: {number} {kind} stimuli from index {first}, seed {seed_value}")
        return
    batch = generator.generate([first], seed=seed_value)
    gif, png = write_preview(
        batch.video[0, 0],
        out,
        frame_rate_hz=generator.frame_rate_hz,
        strip_frames=strip,
        zoom=pixel,
    )
    summary = ", ".join(
        f"{name}={values[0]:.4g}" if isinstance(values[0], float) else f"{name}={values[0]}"
        for name, values in batch.metadata.items()
    )
    print(
        f"wrote {gif} and {png} ({generator.frames} frames, {generator.height}x{generator.width})"
    )
    print(summary)


def _check_out(out: Path, overwrite: bool) -> None:
    """Refuse an ``--out`` below a file (``notes.txt/s.gif``), a folder, or (without
    ``--overwrite``) files that exist: a preview writes both ``x.gif`` and ``x.png``."""
    from retinasim.stimuli.preview import preview_paths
    from retinasim.util.files import file_parent

    if (parent := file_parent(out)) is not None:
        raise StimulusError(f"--out {out}: {parent} is a file, not a folder")
    if out.is_dir():
        raise StimulusError(f"--out {out}: is a folder; give a file name (x.gif, x.png, x.npz)")
    targets = [out] if out.suffix.lower() == ".npz" else list(preview_paths(out))
    existing = [str(path) for path in targets if path.exists() or path.is_symlink()]
    if existing and not overwrite:
        raise StimulusError(f"{', '.join(existing)} already exists; pass --overwrite to replace it")


def register(app: typer.Typer) -> None:
    """Register ``stimulus`` on ``app``."""
    app.command(
        "stimulus",
        context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
    )(stimulus)
