"""The CPU training layout: chosen from the cores and the step's size, recorded, reproducible."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from helpers import run_cli
from trainhelpers import tiny_spec, write_tiny

from retinasim.training import train
from retinasim.training.checkpoint import load_checkpoint
from retinasim.util.cpu import MAX_PROCESSES, MIN_VALUES_PER_PROCESS, cpu_layout

FULL_TASK = 255 * 255 * 51  # input values of one murray2021 stimulus


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"batch_size": 16, "stimulus_values": FULL_TASK, "cores": 2}, (2, 1)),
        ({"batch_size": 16, "stimulus_values": FULL_TASK, "cores": 16}, (MAX_PROCESSES, 2)),
        ({"batch_size": 15, "stimulus_values": FULL_TASK, "cores": 2}, (1, 2)),  # no divisor
        ({"batch_size": 12, "stimulus_values": FULL_TASK, "cores": 5}, (4, 1)),
        ({"batch_size": 16, "stimulus_values": 32 * 32 * 8, "cores": 2}, (1, 2)),  # tiny step
        ({"batch_size": 16, "stimulus_values": FULL_TASK, "cores": 4, "threads": 2}, (2, 2)),
        ({"batch_size": 16, "stimulus_values": FULL_TASK, "cores": 2, "processes": 1}, (1, 2)),
        ({"batch_size": 16, "cores": 1}, (1, 1)),
    ],
)
def test_the_layout_uses_every_core_with_processes_that_divide_the_batch(
    kwargs, expected, monkeypatch
):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    layout = cpu_layout(**kwargs)
    assert (layout.processes, layout.threads) == expected
    assert kwargs["batch_size"] % layout.processes == 0


def test_omp_num_threads_sets_the_threads_per_process(monkeypatch):
    def pair(layout):
        return layout.processes, layout.threads

    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    assert pair(cpu_layout(16, stimulus_values=32 * 32 * 8, cores=2)) == (1, 1)
    assert pair(cpu_layout(16, stimulus_values=FULL_TASK, cores=4)) == (4, 1)
    monkeypatch.setenv("OMP_NUM_THREADS", "2")
    assert pair(cpu_layout(16, stimulus_values=FULL_TASK, cores=4)) == (2, 2)


def test_small_steps_stay_in_one_process():
    share = MIN_VALUES_PER_PROCESS // 4  # four stimuli make one process's worth
    assert cpu_layout(8, stimulus_values=share, cores=8).processes == 2


def test_same_seed_and_layout_give_the_same_weights(tmp_path: Path):
    spec = tiny_spec(steps=6, log_every=3, eval_every=0, checkpoint_every=3, validation_size=8)
    for name in ("a", "b"):
        train(spec, tmp_path / name, processes=2, threads=1)
    first = load_checkpoint(tmp_path / "a" / "checkpoint.pt")["model"]
    second = load_checkpoint(tmp_path / "b" / "checkpoint.pt")["model"]
    for key, tensor in first.items():
        assert torch.equal(tensor, second[key]), key
    record = json.loads((tmp_path / "a" / "provenance.json").read_text())
    assert record["world_size"] == 2 and record["threads"] == 1
    assert record["layout"] == "2 process(es) x 1 thread(s)"


def test_the_command_line_records_its_layout_and_refuses_a_bad_one(tmp_path: Path):
    circuit = write_tiny(tmp_path)
    done = run_cli(
        "train", circuit, "--out", tmp_path / "run", "--steps", "2", "--processes", "2",
        "--set", "eval_every=0", "--set", "validation_size=4",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    record = json.loads((tmp_path / "run" / "provenance.json").read_text())
    assert record["world_size"] == 2 and record["status"] == "completed"
    for args, message in (
        (["--processes", "3"], "does not divide the batch size 16"),
        (["--processes", "0"], "--processes must be at least 1"),
        (["--threads", "0"], "--threads must be at least 1"),
    ):
        done = run_cli("train", circuit, "--out", tmp_path / "bad", *args)
        assert done.returncode == 2 and message in done.stderr, done.stderr
        assert not (tmp_path / "bad").exists()
