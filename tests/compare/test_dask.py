"""``retinasim compare`` on Dask distributed: a real scheduler and two worker processes on
127.0.0.1, a worker killed mid-run, and dask-jobqueue's batch scripts (no batch system)."""

from __future__ import annotations

import contextlib
import http.server
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
import yaml
from helpers import ROOT, TINY_CIRCUIT, run_cli, shrink

pytest.importorskip("distributed")

ENV = {**os.environ, "OMP_NUM_THREADS": "1"}
SAME = [  # every per-run result but the training's wall time
    "circuit",
    "seed",
    "status",
    "steps",
    "validation_accuracy",
    "accuracy_alpha_1",
    "accuracy_alpha_1.7",
    "accuracy_alpha_2",
    "accuracy_s_decile_1",
    "accuracy_s_decile_10",
    "n_critical",
    "critical_types",
    "sufficient_types",
    "ds_emergence",
    "dissection_accuracy",
]


@dataclass
class DaskCluster:
    address: str
    workers: list[subprocess.Popen]


def _stop(processes: list[subprocess.Popen]) -> None:
    """SIGTERM to every process at once, SIGKILL to any still there after 3 s."""
    for process in processes:
        if process.poll() is None:
            process.terminate()
    deadline = time.monotonic() + 3
    for process in processes:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture(scope="module")
def dask_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DaskCluster]:
    """A scheduler and two 1-thread workers, each its own process, on loopback only (the
    module's tests share them; the one that kills a worker comes last)."""
    from distributed import Client

    tmp_path = tmp_path_factory.mktemp("dask")
    file = tmp_path / "scheduler.json"
    scratch = tmp_path / "dask-scratch"
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "env": ENV}
    base = [sys.executable, "-m"]
    processes = []
    try:
        processes.append(
            subprocess.Popen(
                [
                    *base,
                    "distributed.cli.dask_scheduler",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    "0",
                    "--no-dashboard",
                    "--scheduler-file",
                    str(file),
                ],
                **quiet,
            )
        )
        deadline = time.monotonic() + 30
        while not file.exists():
            assert time.monotonic() < deadline, "the scheduler did not start"
            time.sleep(0.1)
        address = json.loads(file.read_text())["address"]
        assert address.startswith("tcp://127.0.0.1:")
        worker = [*base, "distributed.cli.dask_worker", address, "--host", "127.0.0.1"]
        worker += ["--nthreads", "1", "--no-nanny", "--no-dashboard"]
        worker += ["--local-directory", str(scratch)]
        workers = [subprocess.Popen(worker, **quiet) for _ in range(2)]
        processes += workers
        with Client(address, timeout=30) as client:
            client.wait_for_workers(2, timeout=30)
        yield DaskCluster(address, workers)
    finally:
        _stop(processes)


def tiny(tmp_path: Path) -> Path:
    data = shrink(yaml.safe_load((ROOT / "circuits" / "murray2021.yaml").read_text()))
    path = tmp_path / "murray2021.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def start_compare(file: Path, out: Path, *extra: str, seeds: int = 3) -> subprocess.Popen:
    command = [sys.executable, "-m", "retinasim", "compare", str(file), "--out", str(out)]
    command += ["--seeds", str(seeds), "--n", "8", "--n-dissect", "8", *extra]
    return subprocess.Popen(
        command, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def finish(process: subprocess.Popen, timeout: float = 90) -> tuple[str, str]:
    """Wait for a ``retinasim compare`` started by :func:`start_compare`; its output."""
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    finally:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        process.wait(timeout=10)
    assert process.returncode == 0, stderr
    return stdout, stderr


def test_scheduler_runs_give_the_local_executors_results(
    tmp_path: Path, dask_cluster: DaskCluster
) -> None:
    file = tiny(tmp_path)
    remote = start_compare(file, tmp_path / "dask", "--scheduler", dask_cluster.address)
    local = start_compare(file, tmp_path / "local", "--jobs", "2")  # at the same time
    finish(local)
    stdout, _ = finish(remote)
    assert stdout.count(" run ") == 3  # a progress line per finished run
    expected = pd.read_csv(tmp_path / "local" / "comparison.csv")[SAME]
    got = pd.read_csv(tmp_path / "dask" / "comparison.csv")[SAME]
    assert len(got) == 3 and set(got["status"]) == {"completed"}
    pd.testing.assert_frame_equal(got, expected)
    assert (
        "engine: `dask scheduler tcp://127.0.0.1:"
        in (tmp_path / "dask" / "comparison.md").read_text()
    )


def test_a_worker_s_address_is_refused_naming_the_scheduler(dask_cluster: DaskCluster) -> None:
    from distributed import Client

    from retinasim.compare.cluster import ClusterError, dask_client

    with Client(dask_cluster.address, timeout=30) as client:
        worker = next(iter(client.scheduler_info()["workers"]))
    with (
        pytest.raises(ClusterError, match="a Dask worker answers there, not the scheduler"),
        dask_client(scheduler=worker, cluster=None, options={}, n_runs=1, timeout=2),
    ):
        pass


def test_a_killed_worker_s_run_is_retried_and_resumes_from_its_checkpoint(
    tmp_path: Path, dask_cluster: DaskCluster
) -> None:
    file = tiny(tmp_path)
    out = tmp_path / "dask"
    scheduler = ["--scheduler", dask_cluster.address]
    process = start_compare(file, out, "--steps", "150", *scheduler, seeds=2)
    pids = {worker.pid for worker in dask_cluster.workers}
    try:
        deadline = time.monotonic() + 60
        victim = None
        while victim is None:  # a run training on a worker, past its first checkpoint
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "no run reached a checkpoint"
            for log in out.glob("runs/murray2021/seed*.attempts.jsonl"):
                run = log.with_name(log.name.removesuffix(".attempts.jsonl"))
                pid = json.loads(log.read_text().splitlines()[0])["pid"]
                if (run / "checkpoint.pt").exists() and pid in pids:
                    victim = run, pid
                    break
            time.sleep(0.05)
        run, pid = victim
        os.kill(pid, signal.SIGKILL)  # one of this test's worker processes, by its pid
    finally:
        finish(process)
    table = pd.read_csv(out / "comparison.csv")
    assert list(table["status"]) == ["completed", "completed"] and (table["steps"] == 150).all()
    attempts = [json.loads(line) for line in (run.parent / f"{run.name}.attempts.jsonl").open()]
    assert len(attempts) == 2, attempts
    assert attempts[0]["pid"] == pid and attempts[1]["pid"] != pid
    assert attempts[0]["checkpoint_step"] is None and attempts[1]["checkpoint_step"] > 0
    steps = [row["step"] for row in json.loads((run / "history.json").read_text())]
    assert steps == sorted(set(steps)) and steps[-1] == 150  # one history, continued


@pytest.mark.parametrize(
    ("kind", "cores", "memory", "walltime"),
    [
        ("slurm", "#SBATCH --cpus-per-task=4", "#SBATCH --mem=12G", "#SBATCH -t 02:30:00"),
        ("pbs", "ncpus=4", "mem=12GB", "#PBS -l walltime=02:30:00"),
    ],
)
def test_cluster_options_reach_the_batch_script(
    kind: str, cores: str, memory: str, walltime: str
) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "retinasim",
            "compare",
            "circuits/murray2021.yaml",
            "--out",
            "x",
            "--cluster",
            kind,
            "--cluster-option",
            "cores=4",
            "--cluster-option",
            "memory=12GB",
            "--cluster-option",
            "walltime=02:30:00",
            "--cluster-option",
            "queue=short",
            "--print-job-script",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env=ENV,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    script = done.stdout
    assert script.startswith("#!") and cores in script and memory in script
    assert walltime in script and "short" in script
    assert "--nthreads 1" in script and "--nworkers 4" in script  # one run per core
    assert not (ROOT / "x").exists()


def test_lsf_cluster_built_from_options_has_them_in_its_job_script() -> None:
    pytest.importorskip("dask_jobqueue")
    from retinasim.compare.cluster import job_script, parse_cluster_options

    options = parse_cluster_options(["cores=2", "memory=6GB", "walltime=01:15", "job-extra=-x"])
    script = job_script("lsf", options)
    assert "#BSUB -n 2" in script and "#BSUB -W 01:15" in script and "#BSUB -x" in script
    assert "6000" in script or "6GB" in script or "5722" in script  # LSF memory units vary


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--cluster", "condor"], "unknown kind"),
        (["--cluster", "slurm", "--cluster-option", "cores"], "expected KEY=VALUE"),
        (["--cluster", "slurm", "--cluster-option", "core=2"], "unknown key 'core'"),
        (["--cluster", "slurm", "--cluster-option", "memory=lots"], "memory must be"),
        (["--cluster", "slurm", "--cluster-option", "walltime=2h"], "walltime must"),
        (["--cluster-option", "cores=2"], "need --cluster KIND"),
        (["--scheduler", "not an address"], "expected an address"),
        (["--scheduler", "tcp://[::1]x:8786"], "expected an address"),
        (["--scheduler", "tcp://[1:2]:8786"], "'1:2' is no IPv6 address"),
        (["--scheduler", "tcp://127.0.0.1:70000"], "expected an address"),
        (["--scheduler", "http://127.0.0.1:8787"], "http:// is the dashboard's"),
        (["--scheduler", "tcp://127.0.0.1:1", "--scheduler-timeout", "2"], "within 2 s"),
    ],
)
def test_bad_engine_options_are_refused_with_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    from retinasim.cli import main

    out = tmp_path / "cmp"
    started = time.monotonic()
    assert main(["compare", str(tiny(tmp_path)), "--out", str(out), *args]) == 2
    assert message in capsys.readouterr().err
    assert time.monotonic() - started < 10  # an unreachable scheduler: 2 s, then the error
    assert not (out / "runs").exists()


def test_missing_dask_jobqueue_is_named_in_the_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from retinasim.compare.cluster import ClusterError, make_cluster

    monkeypatch.setitem(sys.modules, "dask_jobqueue", None)  # as if not installed
    with pytest.raises(ClusterError, match="needs dask-jobqueue, which is not installed"):
        make_cluster("slurm", {})


@pytest.mark.parametrize(
    "address", ["tcp://[::1]:8786", "[fe80::1]:8786", "tls://[fe80::1%eth0]:8786", "node-7:8786"]
)
def test_ipv6_and_host_name_addresses_are_accepted(address: str) -> None:
    from retinasim.compare.settings import CompareSettings

    assert CompareSettings(scheduler=address).scheduler == address


@contextlib.contextmanager
def serving(family: socket.AddressFamily, reply: bytes) -> Iterator[str]:
    """A TCP server on loopback that sends ``reply`` to whoever connects, then says no more
    (the connection stays open until the test ends); its address as tcp://HOST:PORT."""
    host = "::1" if family == socket.AF_INET6 else "127.0.0.1"
    try:
        server = socket.socket(family)
        server.bind((host, 0))
    except OSError:
        pytest.skip(f"no {host} loopback on this machine")
    server.listen()
    server.settimeout(0.1)
    stop, accepted = threading.Event(), []

    def serve() -> None:
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                connection, _ = server.accept()
                accepted.append(connection)
                connection.sendall(reply)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        port = server.getsockname()[1]
        yield f"tcp://[{host}]:{port}" if family == socket.AF_INET6 else f"tcp://{host}:{port}"
    finally:
        stop.set()
        thread.join(5)
        for connection in [*accepted, server]:
            connection.close()


@pytest.mark.parametrize(
    ("family", "reply"),
    [
        (socket.AF_INET, bytes.fromhex("a3f09c11d2e47b05")),  # read as a 3 EiB frame (T10)
        (socket.AF_INET, b"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n"),
        (socket.AF_INET, b""),  # accepts, then says nothing
        (socket.AF_INET6, bytes.fromhex("a3f09c11d2e47b05")),
    ],
    ids=["junk-bytes", "http-reply", "silent", "junk-bytes-ipv6"],
)
def test_a_peer_that_is_no_dask_scheduler_is_refused_within_the_timeout(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], family: socket.AddressFamily, reply: bytes
) -> None:
    from retinasim.cli import main

    file = tmp_path / "tiny.yaml"
    file.write_text(TINY_CIRCUIT)
    with serving(family, reply) as address:
        started = time.monotonic()
        args = ["--scheduler", address, "--scheduler-timeout", "1"]
        assert main(["compare", str(file), "--out", str(tmp_path / "cmp"), *args]) == 2
        assert time.monotonic() - started < 1 + 3
    assert capsys.readouterr().err == (
        f"error: --scheduler {address}: no Dask scheduler answered there within 1 s (is it the "
        "dashboard port? the scheduler listens on 8786 by default)\n"
    )
    assert not (tmp_path / "cmp" / "runs").exists()


def test_an_http_server_as_scheduler_is_one_line_and_exit_2(tmp_path: Path) -> None:
    """The dashboard-port slip (N7): Dask alone waits for ever on an HTTP server; here the
    whole command ends within the timeout, one line, no traceback at exit."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    file = tmp_path / "tiny.yaml"
    file.write_text(TINY_CIRCUIT)
    address = f"tcp://127.0.0.1:{server.server_address[1]}"
    try:
        done = run_cli(
            "compare", file, "--out", tmp_path / "cmp", "--seeds", "1", "--steps", "5",
            "--scheduler", address, "--scheduler-timeout", "1", timeout=60,
        )  # fmt: skip
    finally:
        server.shutdown()
        server.server_close()
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        f"error: --scheduler {address}: no Dask scheduler answered there within 1 s (is it the "
        "dashboard port? the scheduler listens on 8786 by default)"
    ]
