"""The shared helpers of retinasim.util."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from retinasim.util.assignments import parse_assignment
from retinasim.util.files import atomic_path
from retinasim.util.lazy import lazy_exports
from retinasim.util.text import did_you_mean


def test_did_you_mean_suggests_the_closest_choice_or_nothing() -> None:
    assert did_you_mean("bipolr", ["amacrine", "bipolar"]) == "; did you mean 'bipolar'?"
    assert did_you_mean("xyz", ["amacrine", "bipolar"]) == ""
    option = did_you_mean("radius", ["dot_radius"], cutoff=0.5, show=lambda n: f"--{n}")
    assert option == "; did you mean --dot_radius?"


def test_an_atomic_folder_replaces_the_old_one_and_a_failure_leaves_it(tmp_path: Path) -> None:
    target = tmp_path / "store.zarr"
    for text in ("old", "new"):
        with atomic_path(target, directory=True) as temporary:
            (temporary / "data").write_text(text)
    assert (target / "data").read_text() == "new"
    with pytest.raises(RuntimeError), atomic_path(target, directory=True) as temporary:
        (temporary / "data").write_text("half")
        raise RuntimeError("killed")
    assert (target / "data").read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["store.zarr"]  # no temporaries left


def test_one_assignment_parser_names_the_bad_item() -> None:
    assert parse_assignment(" alpha =1.5", "--set") == ("alpha", "1.5")
    assert parse_assignment("n=3", "--set", read=lambda raw, what: int(raw)) == ("n", 3)
    with pytest.raises(KeyError, match=r"--set 'alpha': expected NAME=VALUE, e.g. alpha=1"):
        parse_assignment("alpha", "--set", error=KeyError, form="NAME=VALUE", example="alpha=1")
    with pytest.raises(ValueError, match="expected KEY=VALUE"):
        parse_assignment("cores=", "--cluster-option", require_value=True)


def _take_lock(folder: str) -> str:
    """In a child process: whether the run-folder lock of ``folder`` can be taken."""
    from retinasim.util.lock import RunFolderBusy, run_folder_lock

    try:
        with run_folder_lock(folder):
            return "taken"
    except RunFolderBusy as error:
        return str(error)


def test_the_lock_is_inherited_by_workers_only_and_freed_by_kill_9(tmp_path: Path) -> None:
    import multiprocessing
    import subprocess
    import sys

    from retinasim.util.lock import run_folder_lock

    spawn = multiprocessing.get_context("spawn")
    with run_folder_lock(tmp_path), spawn.Pool(1) as pool:
        assert pool.apply(_take_lock, (str(tmp_path),)) == "taken"  # a worker of the holder
        other = [
            sys.executable,
            "-c",
            f"import test_util; print(test_util._take_lock({str(tmp_path)!r}))",
        ]
        done = subprocess.run(other, capture_output=True, text=True, cwd=Path(__file__).parent)
        assert f"{tmp_path}: in use by pid {os.getpid()}" in done.stdout, done.stderr
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from retinasim.util.lock import run_folder_lock\n"
         "with run_folder_lock(sys.argv[1]):\n    print('held', flush=True); time.sleep(60)",
         str(tmp_path)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert holder.stdout.readline().strip() == "held"
    holder.kill()
    holder.wait()
    assert _take_lock(str(tmp_path)) == "taken"


def test_lazy_exports_import_on_first_use_and_keep_the_name() -> None:
    import sys
    import types

    package = types.ModuleType("retinasim.lazy_example")
    sys.modules[package.__name__] = package
    try:
        locations = {"did_you_mean": "retinasim.util.text", "x": "text"}
        getattr_, dir_ = lazy_exports(package.__name__, locations)
        assert "did_you_mean" in dir_() and "did_you_mean" not in vars(package)
        assert getattr_("did_you_mean") is did_you_mean
        assert vars(package)["did_you_mean"] is did_you_mean  # kept: no second look-up
        with pytest.raises(AttributeError, match="has no attribute 'nothing'"):
            getattr_("nothing")
        with pytest.raises(ModuleNotFoundError, match=r"retinasim\.lazy_example\.text"):
            getattr_("x")  # a submodule of the package
    finally:
        del sys.modules[package.__name__]


def test_available_memory_counts_the_address_space_limit(tmp_path: Path) -> None:
    """Under ``ulimit -v`` the estimate sees what the limit leaves, and a command refuses a
    request beyond it with the numbers instead of dying of a MemoryError."""
    import resource
    import subprocess
    import sys

    from helpers import TINY3

    limit = 3 << 30  # one batch of 20000 trials needs ~3.4 GiB: refused only under the limit

    def limited() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    probe = "from retinasim.util.resources import available_memory; print(available_memory())"
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, preexec_fn=limited
    )
    assert 0 < int(done.stdout) < limit
    command = [
        sys.executable, "-m", "retinasim", "record", str(TINY3), "--stimulus", "white_noise",
        "--probe", "bipolar:full", "--n", "20000", "--batch-size", "20000", "--out", "x.nc",
    ]  # fmt: skip
    refused = subprocess.run(
        command,
        capture_output=True,
        text=True,
        preexec_fn=limited,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
        cwd=tmp_path,
    )
    assert refused.returncode == 2, refused.stderr
    assert "Traceback" not in refused.stderr and "available" in refused.stderr, refused.stderr
