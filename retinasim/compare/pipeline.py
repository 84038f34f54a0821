"""The comparison as one call: :func:`compare` (``retinasim compare``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from retinasim.compare.runs import RunJob, plan_workers, reference_job, run_all
from retinasim.compare.settings import CompareSettings
from retinasim.errors import RunFolderError
from retinasim.util.files import make_folder
from retinasim.util.lock import run_folder_lock


def labels_for(files: Sequence[str | Path]) -> list[str]:
    """A unique label per circuit file: its stem (``name_2`` etc. when stems repeat), which
    names a folder of ``OUT/runs/``: path separators and a leading dot become ``_`` (a file
    ``...yaml`` is ``_.``, never ``..``)."""
    labels: list[str] = []
    for file in files:
        stem = Path(file).stem.replace("/", "_").replace("\\", "_")
        stem = "_" + stem[1:] if stem.startswith(".") or not stem else stem
        label, k = stem, 2
        while label in labels:
            label, k = f"{stem}_{k}", k + 1
        labels.append(label)
    return labels


def compare(
    files: Sequence[str | Path],
    out: str | Path,
    settings: CompareSettings | None = None,
    *,
    progress: Callable[[dict[str, Any]], None] | None = None,
) -> list[dict[str, Any]]:
    """Train every circuit of ``files`` with ``settings.seeds`` seeds (and import each
    ``settings.reference`` model), evaluate, dissect and write the report into ``out``
    (``docs/compare.md``); locally, or on Dask with a ``scheduler`` or batch ``cluster``
    (``docs/cluster.md``). ``progress`` is called with each run's summary row as it finishes.

    Returns one row per run (then per reference), as in ``comparison.csv``, each with its
    per-ganglion-type arrays under ``cell_types`` (:func:`retinasim.compare.rows.per_type`).
    """
    settings = settings or CompareSettings()
    if (Path(out) / "circuit.yaml").is_file():
        raise RunFolderError(
            f"{out} is a training run folder; give compare a folder of its own (--out)"
        )
    make_folder(out)  # before any training: an --out that cannot be a folder is refused now
    # One comparison at a time writes into ``out``: a second one is refused at once
    with run_folder_lock(out):
        return _compare(files, out, settings, progress)


def _compare(
    files: Sequence[str | Path],
    out: str | Path,
    settings: CompareSettings,
    progress: Callable[[dict[str, Any]], None] | None,
) -> list[dict[str, Any]]:
    """:func:`compare` in the folder ``out`` it has made and locked."""
    from retinasim.compare.report import write_report

    labels = labels_for(files)
    seeds = range(settings.first_seed, settings.first_seed + settings.seeds)
    n_jobs = len(files) * len(seeds) + len(settings.reference)
    workers, threads = plan_workers(n_jobs, settings.jobs)
    if settings.distributed:  # paths as every worker sees them on the shared file system
        workers, threads = 0, 1
        files, out = [Path(f).resolve() for f in files], Path(out).resolve()
    run = settings.run
    job_list = [
        RunJob(str(file), label, seed, str(out), settings=run, threads=threads)
        # seed-major: a sweep stopped early has the same seeds of every circuit
        for seed in seeds
        for file, label in zip(files, labels, strict=True)
    ]
    job_list += [
        reference_job(name, out, seed=settings.first_seed, settings=run, threads=threads)
        for name in settings.reference
    ]
    if settings.distributed:
        from retinasim.compare.cluster import dask_client, run_on_dask

        with dask_client(
            scheduler=settings.scheduler,
            timeout=settings.scheduler_timeout,
            cluster=settings.cluster,
            options=dict(settings.cluster_options),
            n_runs=n_jobs,
        ) as client:
            rows = run_on_dask(job_list, client, progress=progress)
    else:
        rows = run_all(job_list, workers=workers, progress=progress)
    order = {label: i for i, label in enumerate(dict.fromkeys(job.label for job in job_list))}
    rows.sort(key=lambda row: (order.get(row["circuit"], len(order)), row["seed"]))
    write_report(rows, out, settings=_report_settings(files, settings, workers, threads))
    return rows


def _report_settings(
    files: Sequence[str | Path], settings: CompareSettings, workers: int, threads: int
) -> dict[str, Any]:
    """The settings table of the report: what was compared, and how it ran."""
    shown: dict[str, Any] = {
        "circuits": " ".join(str(f) for f in files),
        "seeds": f"{settings.first_seed}..{settings.first_seed + settings.seeds - 1}",
        **settings.run.to_dict(),
        "reference": " ".join(settings.reference) or "none",
        "threads_per_process": threads,
    }
    if settings.distributed:
        where = settings.scheduler or settings.cluster
        shown["engine"] = f"dask scheduler {where}" if settings.scheduler else f"dask {where}"
    else:
        shown["processes"] = workers
    return shown
