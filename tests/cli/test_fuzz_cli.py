"""A generated fuzz test of the command line.

Every command and every option is read from the typer app itself, so a command or option
added later is fuzzed without editing this file. Each option (and each positional argument)
gets hostile values of its type — 0, −1, huge, 1e300, NaN, inf, empty, unicode; for paths an
existing file, a path below a file, a read-only folder, a FIFO and a device node made here —
on top of a small valid command line, and each command line runs in a forked child under a
memory limit and a timeout (``fuzz_driver.py``). Every run must exit 0 or 2, print no
traceback, not die of a signal, say at most a few lines on stderr and finish in time; the
FIFO and the device node must still be what they were.

The default suite runs a seeded sample that gives every option of every command one hostile
value (about 120 command lines, a minute); the ``slow`` test runs every value (about 870).
"""

from __future__ import annotations

import enum
import json
import os
import random
import shutil
import stat
import subprocess
import sys
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from helpers import ROOT, TINY3

DRIVER = Path(__file__).with_name("fuzz_driver.py")
MAX_STDERR_LINES = 6
PER_OPTION = 1
"""Hostile values per option in the default (sampled) run."""

INTS = ["0", "-1", "9223372036854775808", "1" + "0" * 40, "1e300", "nan", "", "\u0663"]
FLOATS = ["0", "-1", "1e300", "-1e300", "nan", "inf", "-inf", "", "1e-320"]
STRINGS = ["", "\u2603\u00fc", "../../escape", "x" * 5000, "-1", "nan"]
CHOICES = ["", "nope", "\u2603"]
PATHS = ["file", "below_file", "readonly_dir", "fifo", "device", "", "missing/deeper", "\u2603"]
"""Path values by name; ``case_dir`` makes them inside each case's own folder."""

APP = "(app)"
"""The "command" of the app's own options (``retinasim --max-hours H COMMAND``)."""
FAST = {"--steps": "2", "--n": "4", "--n-eval": "4", "--n-dissect": "4", "--seeds": "1"}
BASELINES: dict[str, list[str]] = {
    APP: ["validate", "{circuit}"],
    "validate": ["{circuit}"],
    "info": ["{circuit}"],
    "init": ["murray2021", "--out", "{out}/circuit.yaml"],
    "schema": ["--out", "{out}/schema.json"],
    "stimulus": ["gratings", "--out", "{out}/stimulus.png"],
    "train": ["{circuit}", "--out", "{out}/run", "--steps", "2"],
    "evaluate": ["{run}", "--n", "4", "--alpha", "2"],
    "analyze": ["{run}", "--only", "behaviour", "--n-stimuli", "4", "--alpha-step", "1"],
    "report": ["{run}"],
    "run": ["{circuit}", "--out", "{out}/run", "--evaluation-n", "4", "--n-stimuli", "4",
            "--alpha-step", "1", "--n-s", "2", "--n-per-s", "4", "--deepvis-iterations", "2",
            "--n-amplitude", "2", "--ablation-screen", "4", "--ablation-best", "1"],
    "record": ["{circuit}", "--stimulus", "gratings", "--probe", "ganglion:centre",
               "--out", "{out}/recording.nc", "--n", "2"],
    "tuning": ["{circuit}", "--out", "{out}/tuning", "--directions", "4",
               "--n-permutations", "10"],
    "receptive-fields": ["{circuit}", "--out", "{out}/rf", "--trials", "2"],
    "compare": ["{circuit}", "--out", "{out}/comparison", "--steps", "2", "--seeds", "1",
                "--n", "4", "--n-dissect", "4", "--jobs", "1"],
    "import-authors": ["murray2021-top", "--out", "{out}/authors"],
    "atlas": ["{run}", "--out", "{out}/atlas", "--k-max", "2"],
}  # fmt: skip
"""A small valid command line per command; a command not listed gets one built from its
parameters' types (see :func:`baseline`)."""


@dataclass(frozen=True)
class Param:
    """One option or positional argument of a command, as the typer app declares it."""

    command: str
    name: str
    flag: str | None  # "--out"; None for a positional argument
    kind: str  # int, float, str, path, choice, bool
    position: int  # index among the positional arguments


def _kind(annotation: object) -> str:
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if typing.get_origin(annotation) in (list, tuple) or (args and len(args) == 1):
        return _kind(args[0]) if args else "str"
    if isinstance(annotation, type):
        if issubclass(annotation, bool):
            return "bool"
        if issubclass(annotation, enum.Enum):
            return "choice"
        if issubclass(annotation, Path):
            return "path"
        if issubclass(annotation, int):
            return "int"
        if issubclass(annotation, float):
            return "float"
    return "str"


def command_params() -> dict[str, list[Param]]:
    """Every command of the app and its parameters (``--help`` left out), and the app's own
    options under :data:`APP`."""
    import typer.main

    from retinasim.cli import app

    group = typer.main.get_command(app)
    found: dict[str, list[Param]] = {}
    for name, command in sorted(group.commands.items()):  # type: ignore[attr-defined]
        params, position = [], 0
        for p in command.params:
            if p.name == "help":
                continue
            positional = p.param_type_name == "argument"
            kind = _kind(p.type_descriptor.annotation)
            params.append(Param(name, p.name, None if positional else p.opts[0], kind, position))
            position += positional
        found[name] = params
    found[APP] = [  # the app's own options, given before the command
        Param(APP, p.name, p.opts[0], _kind(p.type_descriptor.annotation), 0)
        for p in group.params
        if p.name != "help"
    ]
    return found


def baseline(command: str, params: list[Param]) -> list[str]:
    """The small valid command line of ``command`` (placeholders in braces)."""
    if command in BASELINES:
        return list(BASELINES[command])
    fill = {"path": "{circuit}", "int": "1", "float": "1.0", "str": "x", "choice": "x"}
    return [fill.get(p.kind, "x") for p in params if p.flag is None]


def values(kind: str) -> list[str]:
    return {"int": INTS, "float": FLOATS, "path": PATHS, "choice": CHOICES}.get(kind, STRINGS)


def with_value(line: list[str], param: Param, value: str | None) -> list[str]:
    """``line`` with ``param`` set to ``value`` (a flag given alone when ``value`` is None)."""
    if param.flag is None:
        positions = [i for i, word in enumerate(line) if not word.startswith("-")]
        positions = [i for i in positions if i == 0 or not line[i - 1].startswith("-")]
        line = list(line)
        if param.position < len(positions):
            line[positions[param.position]] = str(value)
        return line
    if param.command == APP:
        return [param.flag, *([] if value is None else [value]), *line]
    if value is None:
        return [*line, param.flag]
    if param.flag in line:  # replace the baseline's value
        index = line.index(param.flag)
        return [*line[:index], param.flag, value, *line[index + 2 :]]
    return [*line, param.flag, value]


def all_cases() -> list[tuple[Param, str | None]]:
    cases: list[tuple[Param, str | None]] = []
    for params in command_params().values():
        for param in params:
            if param.kind == "bool":
                cases.append((param, None))
            else:
                cases += [(param, value) for value in values(param.kind)]
    return cases


def sampled_cases(seed: int = 0) -> list[tuple[Param, str | None]]:
    """``PER_OPTION`` values of every option, drawn with ``seed``."""
    by_param: dict[Param, list[tuple[Param, str | None]]] = {}
    for case in all_cases():
        by_param.setdefault(case[0], []).append(case)
    rng = random.Random(seed)
    return [
        c for group in by_param.values() for c in rng.sample(group, min(PER_OPTION, len(group)))
    ]


def make_path_values(folder: Path) -> dict[str, str]:
    """The special paths of :data:`PATHS`, made in ``folder``."""
    (folder / "file").write_text("not what anything expects\n")
    (folder / "readonly_dir").mkdir()
    (folder / "readonly_dir").chmod(0o555)
    os.mkfifo(folder / "fifo")
    made = {name: str(folder / name) for name in ("file", "readonly_dir", "fifo")}
    made["below_file"] = str(folder / "file" / "below")
    if os.geteuid() == 0:  # a zero device of our own, never the system's /dev files
        os.mknod(folder / "device", stat.S_IFCHR | 0o600, os.makedev(1, 5))
        made["device"] = str(folder / "device")
    else:
        made["device"] = str(folder / "fifo")
    made["missing/deeper"] = str(folder / "missing" / "deeper")
    return made


@pytest.fixture(scope="module")
def fixtures(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    """A tiny circuit (2 training steps) and a trained, evaluated run of it."""
    import torch

    from retinasim.spec import load_circuit
    from retinasim.training import evaluate_run, train

    base = tmp_path_factory.mktemp("fuzz")
    circuit = base / "tiny3.yaml"
    text = (
        TINY3.read_text()
        .replace("steps: 300", "steps: 2")
        .replace("validation_size: 64", "validation_size: 4")
    )
    circuit.write_text(text.replace("batch_size: 16", "batch_size: 4"))
    torch.set_num_threads(1)
    run = base / "run"
    train(load_circuit(circuit), run)
    evaluate_run(run, alphas=[2.0], n=4, batch_size=4)
    yield {"circuit": circuit, "run": run}
    for path in base.rglob("*"):  # the read-only folders, so pytest can remove them
        if path.is_dir():
            path.chmod(0o755)


def run_cases(
    cases: list[tuple[Param, str | None]], fixtures: dict[str, Path], work: Path
) -> list[dict]:
    """Runs the cases in forked children; per case its command line and result."""
    lines = []
    for index, (param, value) in enumerate(cases):
        folder = work / f"case{index}"
        (folder / "out").mkdir(parents=True)
        specials = make_path_values(folder)
        template = baseline(param.command, command_params()[param.command])
        fill = {"circuit": str(fixtures["circuit"]), "out": str(folder / "out")}
        if "{run}" in template:  # a fresh copy: the command may write into it
            fill["run"] = str(shutil.copytree(fixtures["run"], folder / "run"))
        line = [word.format(**fill) for word in template]
        original = value
        if value is not None and param.kind == "path":
            value = specials.get(value, value)
        label = f"{param.command} {param.flag or param.name} {original!r}"[:100]
        argv = with_value(line, param, value)
        argv = argv if param.command == APP else [param.command, *argv]
        lines.append({"argv": argv, "cwd": str(folder), "label": label})
    (work / "cases.json").write_text(json.dumps(lines))
    subprocess.run(
        [sys.executable, str(DRIVER), work / "cases.json", work / "results.json"],
        check=True,
        cwd=ROOT,
    )
    results = json.loads((work / "results.json").read_text())
    return [{**line, **result} for line, result in zip(lines, results, strict=True)]


def problems(result: dict) -> list[str]:
    """What is wrong with one case's result (empty when nothing)."""
    found = []
    stderr = result["stderr"]
    if result["timed_out"]:
        found.append(f"hang (> timeout, {result['seconds']} s)")
    elif result["signal"] is not None:
        found.append(f"killed by signal {result['signal']}")
    elif result["code"] not in (0, 2):
        found.append(f"exit {result['code']}")
    if "Traceback" in stderr or "Traceback" in result["stdout"]:
        found.append("traceback")
    if len(stderr.strip().splitlines()) > MAX_STDERR_LINES and result["code"] != 0:
        found.append(f"{len(stderr.splitlines())} lines on stderr")
    folder = Path(result["cwd"])
    if not stat.S_ISFIFO(os.lstat(folder / "fifo").st_mode):
        found.append("the FIFO was replaced")
    if os.geteuid() == 0 and not stat.S_ISCHR(os.lstat(folder / "device").st_mode):
        found.append("the device node was replaced")
    return found


def report(results: list[dict]) -> str:
    """The problems of every case, one line each (the command line, then stderr's last line)."""
    lines = []
    for result in results:
        for problem in problems(result):
            tail = (result["stderr"].strip().splitlines() or [""])[-1]
            lines.append(f"{result['label']}: {problem}\n    {tail[:300]}")
    return "\n".join(lines)


def test_every_command_is_fuzzed() -> None:
    """Every command of the app has a small valid command line that the fuzz builds on."""
    commands = command_params()
    assert set(BASELINES) <= set(commands), "a baseline names a command the app lacks"
    assert {p.command for p, _ in sampled_cases()} == {c for c, ps in commands.items() if ps}


def test_fuzz_sample(fixtures: dict[str, Path], tmp_path: Path) -> None:
    results = run_cases(sampled_cases(), fixtures, tmp_path)
    assert not report(results), f"{len(results)} cases:\n" + report(results)


@pytest.mark.slow
def test_fuzz_everything(fixtures: dict[str, Path], tmp_path: Path) -> None:
    results = run_cases(all_cases(), fixtures, tmp_path)
    assert not report(results), f"{len(results)} cases:\n" + report(results)
