"""Inputs are read within declared limits, and long work within a time budget (#27).

The reliability probe's reproducers: numbers longer than Python reads (N17), values and keys
nested past the loader's depth (N18), a special file that says it is regular (T25), sizes that
used to allocate before any check (N16, T3), and work projected to take years (the hangs).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from helpers import TINY_CIRCUIT

from retinasim.cli import main
from retinasim.cli.stimulus import parse_value
from retinasim.errors import SpecError, StimulusError
from retinasim.plugins import generator_class
from retinasim.spec import load_circuit
from retinasim.training.errors import TrainingError
from retinasim.training.overrides import parse_assignment
from retinasim.util.progress import TimeBudget
from retinasim.util.resources import ResourceError, allocation, out_of_memory
from retinasim.util.settings import MAX_NUMBER_CHARACTERS

LONG = "9" * 5000  # past Python's 4300-digit limit for int()


def run_cli(*args: object, capsys) -> tuple[int, str]:
    """The command line in this process: its exit code and stderr."""
    code = main([str(a) for a in args])
    return code, capsys.readouterr().err


def test_a_number_too_long_to_read_is_a_located_error(tmp_path: Path) -> None:
    path = tmp_path / "long.yaml"
    path.write_text(TINY_CIRCUIT.replace("n_types: 2,", f"n_types: {LONG},", 1))
    with pytest.raises(SpecError, match=r"long.yaml:4:\d+: layers\[0\]\.n_types: a number"):
        load_circuit(path)
    with pytest.raises(TrainingError, match=r"--set steps: .*longer than 100 characters"):
        parse_assignment(f"steps={LONG}")
    digits = "1" * MAX_NUMBER_CHARACTERS
    assert parse_assignment(f"steps={digits}") == ("steps", int(digits))  # the limit itself


def test_command_line_values_are_bounded_in_depth_and_digits() -> None:
    with pytest.raises(StimulusError, match="--alpha: a number longer than 100"):
        parse_value(LONG, "--alpha")
    with pytest.raises(StimulusError, match="--speeds: a value nested more than 64 levels"):
        parse_value("[" * 3000 + "]" * 3000, "--speeds")
    assert parse_value("[[1, 2], [3]]") == [[1, 2], [3]]
    with pytest.raises(TrainingError, match="no setting is nested 64 levels deep"):
        parse_assignment(".".join(["a"] * 10_000) + "=1")


def test_a_regular_file_that_cannot_be_read_is_one_line(capsys, tmp_path: Path) -> None:
    """T25: /proc/self/mem says it is a regular file of 0 bytes, then refuses every read."""
    code, stderr = run_cli(
        "import-authors", "/proc/self/mem", "--out", tmp_path / "r", capsys=capsys
    )
    assert (
        code == 2 and stderr.strip() == "error: /proc/self/mem: cannot read it (Input/output error)"
    )
    assert not (tmp_path / "r").exists()


def test_white_noise_stixels_larger_than_the_frame_render_at_the_frame_size() -> None:
    """N16: a 10^8-pixel stixel held 10^8 frames used to expand to 2 EB before cropping."""
    noise = generator_class("white_noise")
    huge = noise(height=16, width=12, frames=5, pixel_size=10**8, frame_hold=10**8)
    video = huge.generate([0, 1], seed=4).video
    assert video.shape == (2, 1, 5, 16, 12)
    assert (video == video[:, :, :1, :1, :1]).all()  # one stixel, one noise frame: uniform
    small = noise(height=16, width=12, frames=5, pixel_size=4, frame_hold=2).generate([0], seed=4)
    blocks = small.video[0, 0]
    assert (blocks[0, :4, :4] == blocks[0, 0, 0]).all() and (blocks[0] == blocks[1]).all()


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--zoom", "100000", "--zoom must be a whole number from 1 to 64"),
        ("--count", "1e300", "--count must be a whole number from 1 to 1000000"),
        ("--seed", "-1", "--seed must be a whole number from 0 to"),
    ],
)
def test_stimulus_sizes_are_bounded_before_rendering(
    capsys, tmp_path: Path, option: str, value: str, message: str
) -> None:
    out = tmp_path / "s.gif"
    code, stderr = run_cli("stimulus", "moving_dots", option, value, "--out", out, capsys=capsys)
    assert code == 2 and message in stderr and len(stderr.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


def test_record_checks_its_output_folder_and_trial_count_before_any_work(
    capsys, tmp_path: Path
) -> None:
    circuit = tmp_path / "tiny.yaml"
    circuit.write_text(TINY_CIRCUIT)
    record = ["record", circuit, "--stimulus", "moving_bars", "--probe", "ganglion:centre"]
    code, stderr = run_cli(*record, "--n", "2", "--out", circuit / "r.nc", capsys=capsys)
    assert code == 2 and f"cannot write {circuit}: {circuit} is a file, not a folder" in stderr
    code, stderr = run_cli(*record, "--n", "1e300", "--out", tmp_path / "r.nc", capsys=capsys)
    assert code == 2 and "--n takes a whole number from 1 to 1000000, got '1e300'" in stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tiny.yaml"]


class Recorded:
    """A progress that keeps its calls."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, int, int]] = []

    def __call__(self, task: str, done: int, total: int, note: str = "") -> None:
        self.calls.append((task, done, total))


def test_a_task_projected_past_the_time_budget_stops_after_calibrating() -> None:
    shown = Recorded()
    budget = TimeBudget(shown, max_hours=1.0, calibration_s=0.05)
    budget("scan", 0, 10**9)
    budget("scan", 1, 10**9)  # before calibration: no projection yet
    time.sleep(0.06)
    with pytest.raises(
        ResourceError, match=r"scan: 1000000000 at .*/s would take about .* (days|years)"
    ):
        budget("scan", 2, 10**9)
    assert shown.calls[-1] == ("scan", 2, 10**9)  # reported, then stopped
    quick = TimeBudget(shown, max_hours=1.0, calibration_s=0.05)
    quick("fit", 0, 100)
    time.sleep(0.06)
    quick("fit", 50, 100)  # about 0.1 s in all: goes on
    quick("fit", 100, 100)
    TimeBudget(shown, max_hours=None, calibration_s=0.0)("fit", 1, 10**12)  # no limit


def test_the_time_budget_stops_a_recording_and_leaves_nothing(capsys, tmp_path: Path) -> None:
    circuit = tmp_path / "tiny.yaml"
    circuit.write_text(TINY_CIRCUIT)
    out = tmp_path / "r.zarr"
    code, stderr = run_cli(
        "--max-hours", "0.001", "record", circuit, "--stimulus", "white_noise",
        "--probe", "ganglion:full", "--n", "1000000", "--batch-size", "4", "--out", out,
        capsys=capsys,
    )  # fmt: skip
    assert code == 2, stderr
    assert "recording: 1000000 at" in stderr and "more than the limit of 0.001 h" in stderr
    assert "retinasim --max-hours H" in stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tiny.yaml"]


def test_a_circuit_too_large_to_build_is_refused_before_any_allocation(tmp_path: Path) -> None:
    """T2: ``info`` of a circuit with 10^8 types per layer once grew until the OOM killer."""
    from retinasim.compile import compile_circuit

    path = tmp_path / "huge.yaml"
    path.write_text(TINY_CIRCUIT.replace("n_types: 2,", f"n_types: {10**12},", 1))
    with pytest.raises(ResourceError, match=r"building circuit 'tiny' needs about .* TiB"):
        compile_circuit(load_circuit(path))


def test_an_allocation_failure_is_told_apart_from_a_bug() -> None:
    import torch

    with pytest.raises(RuntimeError) as failed:
        torch.empty(2**60, dtype=torch.float32)  # refused at once, nothing allocated
    assert out_of_memory(failed.value) and allocation(failed.value) == "4.1e+03 PiB"
    assert not out_of_memory(ValueError("bad")) and not out_of_memory(RuntimeError("shapes"))


def test_options_after_a_double_dash_and_folders_as_init_outputs(capsys, tmp_path: Path) -> None:
    """N22: ``--out`` after ``--`` was 'unknown parameter --out; did you mean --out?', and
    ``init --out folder/`` wrote a file named ``folder``."""
    code, stderr = run_cli("stimulus", "moving_dots", "--", "--out", "x.gif", capsys=capsys)
    assert code == 2 and "--out is an option of `retinasim stimulus`" in stderr
    assert run_cli("init", "murray2021", "--out", f"{tmp_path}/new/", capsys=capsys)[0] == 0
    assert (tmp_path / "new" / "murray2021.yaml").is_file()
    assert run_cli("init", "murray2021", "--out", tmp_path / "new", capsys=capsys)[0] == 2
    code, stderr = run_cli("init", "murray2021", "--out", "x" * 5000, capsys=capsys)
    assert code == 2 and stderr.startswith("error: cannot write xxx")  # ENAMETOOLONG


def test_sigterm_leaves_no_temporary_and_exits_143(tmp_path: Path) -> None:
    """N19: ``record`` had no SIGTERM handler, and its temporary store stayed behind."""
    import os
    import signal
    import subprocess
    import sys

    circuit = tmp_path / "tiny.yaml"
    circuit.write_text(TINY_CIRCUIT)
    out = tmp_path / "r.nc"
    child = subprocess.Popen(
        [sys.executable, "-m", "retinasim", "record", circuit, "--stimulus", "moving_bars",
         "--probe", "ganglion:full", "--n", "1000000", "--batch-size", "2", "--out", out],
        stderr=subprocess.PIPE, text=True, env={**os.environ, "OMP_NUM_THREADS": "1"},
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while not list(tmp_path.glob(".r.nc.tmp.*")) and time.monotonic() < deadline:
        time.sleep(0.1)  # the temporary store exists: the recording runs
    child.send_signal(signal.SIGTERM)
    _, stderr = child.communicate(timeout=60)
    assert child.returncode == 143 and stderr.splitlines()[-1] == "error: terminated (SIGTERM)"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tiny.yaml"]


def test_the_memory_check_can_be_switched_off_by_who_knows_better(tmp_path: Path) -> None:
    """The estimate refuses with the way round it named; ``--no-memory-check`` builds."""
    from retinasim.compile import compile_circuit
    from retinasim.util import resources

    path = tmp_path / "big.yaml"
    path.write_text(TINY_CIRCUIT.replace("n_types: 2,", "n_types: 3,", 1))
    spec = load_circuit(path)
    before = resources.CHECK_MEMORY
    try:
        resources.CHECK_MEMORY = True
        with pytest.raises(ResourceError, match="at your own risk, `retinasim --no-memory-check"):
            resources.check_memory(float("inf"), "building it", "use less")
        resources.CHECK_MEMORY = False
        resources.check_memory(float("inf"), "building it", "use less")  # no refusal
        assert compile_circuit(spec, seed=0).plan.layer("bipolar").n_types == 3
    finally:
        resources.CHECK_MEMORY = before
