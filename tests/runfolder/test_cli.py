"""The command line on damaged, busy, interrupted and absurd requests: one clear line and a
non-zero exit code, nothing half-updated, nothing silently replaced (issue 17)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
import yaml
from helpers import TINY_CIRCUIT, run_cli
from trainhelpers import tiny_spec

from retinasim.cli import main
from retinasim.training import CheckpointError, RunFolderError, load_trained, train
from retinasim.util.lock import run_folder_lock


def one_line_error(done: subprocess.CompletedProcess, code: int = 2) -> str:
    assert done.returncode == code, (done.returncode, done.stderr)
    assert "Traceback" not in done.stderr, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
    assert len(lines) == 1, done.stderr
    return lines[0]


def in_process(capsys: pytest.CaptureFixture, *args: str | Path) -> tuple[int, str]:
    code = main([str(a) for a in args])
    return code, capsys.readouterr().err


# -- 1. damaged folders ------------------------------------------------------------------
def test_report_checks_everything_before_redrawing_a_figure(trained: Path) -> None:
    (trained / "analysis" / "summary.json").write_text('{"sentences": ')
    line = one_line_error(run_cli("report", trained))
    assert "summary.json: is not valid JSON" in line and "--only summary" in line
    assert not (trained / "figures").exists() and not (trained / "report.html").exists()


def _forge(run: Path, **changes: object) -> None:
    state = torch.load(run / "checkpoint.pt", weights_only=True)
    for key, value in changes.items():
        if key == "weights":
            state["model"] = value(state["model"])
        else:
            state[key] = value
    torch.save(state, run / "checkpoint.pt")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"step": -3}, "step must be a whole number >= 0"),
        ({"step": 10**6}, "records step 1000000 but the run has only 4 steps"),
        ({"weights": lambda m: {}}, "holds no model weights"),
        ({"weights": lambda m: {k: v[..., :1] for k, v in m.items()}}, "does not fit the circuit"),
        ({"weights": lambda m: {k: v * float("nan") for k, v in m.items()}}, "NaN or infinite"),
    ],
    ids=["negative-step", "step-beyond-run", "empty", "wrong-shapes", "nan"],
)
def test_forged_checkpoints_are_refused_by_evaluate_and_resume(
    trained: Path, change: dict, message: str
) -> None:
    _forge(trained, **change)
    with pytest.raises(CheckpointError, match=message) as caught:
        load_trained(trained)
    assert str(trained / "checkpoint.pt") in str(caught.value)
    with pytest.raises(CheckpointError, match=message):
        train(tiny_spec(**_small()), trained, resume=True)


def _small() -> dict:
    """The training section of the ``trained`` fixture (conftest's ``SMALL``)."""
    return dict(
        steps=4, batch_size=4, log_every=1, eval_every=2, checkpoint_every=2, validation_size=4
    )


def test_a_checkpoint_that_is_a_folder_is_refused_before_training(trained: Path) -> None:
    (trained / "checkpoint.pt").unlink()
    (trained / "checkpoint.pt").mkdir()
    with pytest.raises(RunFolderError, match=r"checkpoint\.pt: is not a file"):
        train(tiny_spec(**_small()), trained, resume=True)


# -- 2. nothing silently replaced or mixed -------------------------------------------------
def test_overwrite_removes_the_old_runs_analysis_figures_and_report(trained: Path) -> None:
    (trained / "figures").mkdir()
    (trained / "figures" / "fig3a_psychometric.svg").write_text("<svg/>")
    (trained / "report.html").write_text("old")
    (trained / ".metrics.json.tmp.abc.json").write_text("stray")
    train(tiny_spec(**_small()), trained, overwrite=True)
    names = {p.name for p in trained.iterdir()}
    assert not {"analysis", "figures", "report.html", "evaluation.nc"} & names
    assert not [n for n in names if ".tmp." in n]


def test_resume_removes_the_temporaries_of_a_killed_run(trained: Path) -> None:
    (trained / ".checkpoint.pt.tmp.x1.pt").write_bytes(b"half")
    (trained / "analysis" / ".psychometric.nc.tmp.x2.nc").write_bytes(b"half")
    train(tiny_spec(**_small()), trained, resume=True)
    assert not list(trained.rglob(".*.tmp.*"))


def test_a_second_writer_is_refused_with_the_holders_pid(trained: Path, tmp_path: Path) -> None:
    circuit = tmp_path / "tiny.yaml"
    circuit.write_text(TINY_CIRCUIT)
    with run_folder_lock(trained):
        line = one_line_error(run_cli("train", circuit, "--out", trained, "--resume"))
        assert f"in use by pid {os.getpid()}" in line
        line = one_line_error(run_cli("evaluate", trained, "--n", "2"))
        assert "in use by pid" in line
    with run_folder_lock(trained), run_folder_lock(trained):  # re-entrant in one process
        pass


def test_analyze_only_one_step_keeps_the_saved_sizes(trained: Path) -> None:
    from retinasim.dissect.config import AnalysisConfig
    from retinasim.dissect.errors import DissectionError
    from retinasim.dissect.pipeline import Dissection

    config = trained / "analysis" / "config.json"
    config.write_text(json.dumps({**AnalysisConfig(n_stimuli=24).to_dict()}))
    with pytest.raises(DissectionError, match="n_stimuli 24 \\(now 128\\)"):
        Dissection(trained, AnalysisConfig()).run(("summary",))
    assert json.loads(config.read_text())["n_stimuli"] == 24
    kept = Dissection(trained, AnalysisConfig(n_stimuli=24))._config_to_save(("summary",))
    assert kept["n_stimuli"] == 24


def test_a_failed_analysis_leaves_the_saved_sizes_as_they_were(trained: Path) -> None:
    """N4 (#27): config.json describes work done, so it is written after the steps."""
    from retinasim.dissect.config import AnalysisConfig
    from retinasim.dissect.pipeline import Dissection
    from retinasim.util.files import FileWriteError

    config = trained / "analysis" / "config.json"
    config.write_text(json.dumps({**AnalysisConfig(n_stimuli=24).to_dict()}))
    blocker = trained / "analysis" / "psychometric.nc"  # the first step cannot save
    blocker.unlink(missing_ok=True)
    blocker.mkdir()
    try:
        with pytest.raises(FileWriteError, match=r"psychometric\.nc: it is a folder"):
            Dissection(trained, AnalysisConfig(n_stimuli=8, deepvis_iterations=2)).run()
    finally:
        blocker.rmdir()
    assert json.loads(config.read_text())["n_stimuli"] == 24


# -- 3. interrupted runs say so -----------------------------------------------------------
@pytest.mark.parametrize(
    ("processes", "signum"), [(1, signal.SIGTERM), (2, signal.SIGINT)], ids=["1-TERM", "2-INT"]
)
def test_a_signal_checkpoints_and_records_interrupted(
    tmp_path: Path, processes: int, signum: int
) -> None:
    circuit = tmp_path / "tiny.yaml"
    circuit.write_text(TINY_CIRCUIT)
    run = tmp_path / "run"
    args = ["--steps", "100000", "--batch-size", "2", "--set", "log_every=1",
            "--set", "checkpoint_every=1000", "--set", "validation_size=2",
            "--set", "eval_every=0", "--processes", str(processes), "--threads", "1"]  # fmt: skip
    child = subprocess.Popen(
        [sys.executable, "-m", "retinasim", "train", str(circuit), "--out", str(run), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    deadline = time.monotonic() + 90
    while not (run / "history.json").exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    os.killpg(child.pid, signum)
    _, stderr = child.communicate(timeout=60)
    done = subprocess.CompletedProcess(child.args, child.returncode, "", stderr)
    line = one_line_error(done, code=128 + signum)  # 143 for SIGTERM, 130 for Ctrl-C
    assert "interrupted by" in line and "--resume" in line
    metrics = json.loads((run / "metrics.json").read_text())
    provenance = json.loads((run / "provenance.json").read_text())
    assert metrics["status"] == provenance["status"] == "interrupted"
    state = torch.load(run / "checkpoint.pt", weights_only=True)
    assert state["step"] == metrics["steps"] > 0
    history = json.loads((run / "history.json").read_text())
    assert history[-1]["step"] == metrics["steps"]
    assert sum(row["window_steps"] for row in history) == metrics["steps"]


# -- 4./5. absurd requests and parser edges ----------------------------------------------
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--set", "batch_size=1000000000"], "needs about"),
        (["--threads", "100000"], "more than 4 x this machine"),
        (["--processes", "100000"], "more than 4 x this machine"),
        (["--lr", "1e300"], "learning_rate 1e+300 is absurd"),
        (["--set", "learning_rate=" + "[" * 500 + "]" * 500], "nested more than 64 levels"),
        (["--set", "x=" + "[" * 200], "nested more than 64 levels"),
    ],
    ids=["batch", "threads", "processes", "lr", "deep-set", "deep-unclosed"],
)
def test_absurd_training_requests_are_refused_up_front(
    tmp_path: Path, capsys: pytest.CaptureFixture, args: list[str], message: str
) -> None:
    circuit = tmp_path / "tiny.yaml"
    circuit.write_text(TINY_CIRCUIT)
    code, err = in_process(capsys, "train", circuit, "--out", tmp_path / "run", *args)
    assert code == 2 and message in err and err.count("\n") == 1, err


def test_an_alias_bomb_through_set_is_refused_fast(tmp_path: Path, capsys) -> None:
    bomb = "[&a [1,1,1,1,1,1,1,1,1], &b [*a,*a,*a,*a,*a,*a,*a,*a,*a],"
    bomb += " &c [*b,*b,*b,*b,*b,*b,*b,*b,*b], &d [*c,*c,*c,*c,*c,*c,*c,*c,*c],"
    bomb += " &e [*d,*d,*d,*d,*d,*d,*d,*d,*d], &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]]"
    circuit = tmp_path / "tiny.yaml"
    circuit.write_text(TINY_CIRCUIT)
    started = time.monotonic()
    code, err = in_process(capsys, "train", circuit, "--out", tmp_path / "r", "--set", f"x={bomb}")
    assert code == 2 and "through aliases" in err and time.monotonic() - started < 10


def test_a_huge_circuit_is_refused_before_allocating(tmp_path: Path, capsys) -> None:
    data = yaml.safe_load(TINY_CIRCUIT)
    data["input"]["size"] = [8000, 8000]
    data["input"]["frames"] = 500
    circuit = tmp_path / "huge.yaml"
    circuit.write_text(yaml.safe_dump(data))
    code, err = in_process(capsys, "train", circuit, "--out", tmp_path / "run")
    assert code == 2 and "needs about" in err and "GiB" in err, err


def test_a_deeply_nested_circuit_file_is_one_spec_error(tmp_path: Path, capsys) -> None:
    deep = tmp_path / "deep.yaml"
    deep.write_text("name: " + "[" * 500 + "]" * 500 + "\n")
    code, err = in_process(capsys, "validate", deep)
    assert code == 2 and "nested more than 64 levels deep" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--height", "8192", "--width", "8192", "--frames", "1000"], "needs about"),
        (["--scene-width", "1e12"], "needs about"),
    ],
)
def test_absurd_stimuli_are_refused_before_rendering(tmp_path, capsys, args, message) -> None:
    code, err = in_process(capsys, "stimulus", "moving_dots", *args, "--out", tmp_path / "s.gif")
    assert code == 2 and message in err, err


def test_writing_below_a_file_or_into_proc_is_one_line(tmp_path: Path, capsys) -> None:
    (tmp_path / "notes.txt").write_text("x")
    circuit = tmp_path / "tiny.yaml"
    circuit.write_text(TINY_CIRCUIT)
    code, err = in_process(capsys, "train", circuit, "--out", tmp_path / "notes.txt" / "run")
    assert code == 2 and "notes.txt is a file, not a folder" in err, err
    code, err = in_process(capsys, "train", circuit, "--out", "/proc/retinasim-run")
    assert code == 2 and err.startswith("error: cannot write /proc/retinasim-run"), err


def test_a_full_disk_is_named_as_such(tmp_path: Path) -> None:
    """ENOSPC at the one atomic writer (checkpoints are serialised in memory first, so a full
    disk is this plain OSError, not torch's "unexpected pos")."""
    import errno

    from retinasim.util.files import write_error

    full = OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    message = str(write_error(full, tmp_path / "checkpoint.pt"))
    assert message == f"cannot write {tmp_path / 'checkpoint.pt'}: no space left on the device"


# -- 7. clear messages -------------------------------------------------------------------
def test_report_and_stimulus_messages(tmp_path: Path, capsys) -> None:
    circuit = tmp_path / "tiny.yaml"
    circuit.write_text(TINY_CIRCUIT)
    code, err = in_process(capsys, "report", circuit)
    assert code == 2 and "is a file, not a run folder" in err and "analyze" not in err
    code, err = in_process(capsys, "report", tmp_path / "nonexistent")
    assert code == 2 and "no such run folder" in err
    code, err = in_process(
        capsys, "stimulus", "moving_dots", "--set", "alpha=1.5", "--out", tmp_path / "s.gif"
    )
    assert code == 0, err
    code, err = in_process(
        capsys, "stimulus", "moving_dots", "--out", circuit / "s.gif", "--frames", "4"
    )
    assert code == 2 and f"{circuit} is a file, not a folder" in err


# -- 8. validation shows every problem at once ------------------------------------------
def test_names_cycles_and_shapes_are_reported_together(tmp_path: Path) -> None:
    from retinasim.errors import SpecError
    from retinasim.spec import load_circuit

    text = TINY_CIRCUIT.replace(
        "readout:",
        "  - {source: bipolr, target: ganglion, kernel: 3}\n"
        "  - {source: input, target: ganglion, kernel: 3}\n"
        "  - {source: input, target: amacrine, kernel: 3}\n"
        "  - {source: extra, target: amacrine, kernel: 3}\n"
        "  - {source: amacrine, target: extra, kernel: 3}\nreadout:",
    ).replace(
        "connections:",
        "  - {name: amacrine, cell_type: spatiotemporal, n_types: 2}\n"
        "  - {name: extra, cell_type: spatiotemporal, n_types: 2}\nconnections:",
    )
    with pytest.raises(SpecError) as caught:
        load_circuit("staged.yaml", text=text)
    found = {issue.path: issue.message for issue in caught.value.issues}
    assert "does not exist" in found["connections[2].source"]
    assert "inputs to one layer must agree" in found["connections[3]"]
    assert found["connections[6]"] == (
        "connections form a cycle without a delay through amacrine, extra; "
        "give one of its connections delay >= 1"
    )


# -- 6. records that lie: the history of a resumed run covers the whole run ---------------
def test_the_history_of_a_resumed_run_covers_every_step(tmp_path: Path) -> None:
    spec = tiny_spec(steps=7, batch_size=2, log_every=2, checkpoint_every=3, validation_size=2)
    run = tmp_path / "run"
    train(spec, run, stop_after=5)  # killed after step 5: checkpoint at 3
    metrics = train(spec, run, resume=True).metrics
    history = json.loads((run / "history.json").read_text())
    assert metrics["status"] == "completed"
    assert [row["step"] for row in history] == [2, 3, 4, 6, 7]  # log steps and checkpoints
    assert [row["window_steps"] for row in history] == [2, 1, 1, 2, 1]
    assert sum(row["window_steps"] for row in history) == 7
