"""Compare circuits: train each with several seeds, evaluate, dissect lightly, report.

Public API: :func:`compare` (the whole pipeline, ``retinasim compare``),
:func:`~retinasim.compare.dissect.light_dissection` (one run),
:func:`~retinasim.compare.report.write_report`,
:func:`~retinasim.compare.dataset.comparison_dataset` (the report's Dataset,
``comparison.nc``) and the population statistics of :mod:`retinasim.compare.population`
(:func:`wilson_interval`, :func:`~retinasim.compare.population.emergence`, ...).
See ``docs/compare.md``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from retinasim.compare.population import wilson_interval
from retinasim.compare.runs import RunJob, plan_workers, reference_job, run_all

__all__ = ["RunJob", "compare", "labels_for", "wilson_interval"]


def labels_for(files: Sequence[str | Path]) -> list[str]:
    """A unique label per circuit file: its stem (``name_2`` etc. when stems repeat)."""
    labels: list[str] = []
    for file in files:
        stem = Path(file).stem
        label, k = stem, 2
        while label in labels:
            label, k = f"{stem}_{k}", k + 1
        labels.append(label)
    return labels


def compare(
    files: Sequence[str | Path],
    out: str | Path,
    *,
    seeds: int = 3,
    first_seed: int = 0,
    overrides: dict[str, Any] | None = None,
    alphas: Sequence[float] = (1.0, 1.7, 2.0),
    n_eval: int = 1000,
    n_dissect: int = 200,
    threshold: float = 0.95,
    jobs: int | None = None,
    progress: Callable[[dict[str, Any]], None] | None = None,
    scheduler: str | None = None,
    scheduler_timeout: float = 10.0,
    cluster: str | None = None,
    cluster_options: dict[str, Any] | None = None,
    reference: Sequence[str] = (),
) -> list[dict[str, Any]]:
    """Train every circuit with ``seeds`` seeds, evaluate, dissect and write the report.

    Parameters
    ----------
    files
        Circuit YAML files.
    out
        Output folder: ``runs/<circuit>/seed<k>/``, ``reference/<name>/``,
        ``comparison.{csv,nc,md,png}``, ``comparison_types.csv`` and the figures
        ``comparison_*.png`` (``docs/compare.md``).
    seeds, first_seed
        Seeds ``first_seed … first_seed + seeds − 1`` of every circuit.
    overrides
        Training overrides for every run (``retinasim train --set`` keys, e.g. ``steps``).
    alphas, n_eval
        Test accuracy at these α on ``n_eval`` held-out stimuli (2 is always included).
    n_dissect, threshold
        Stimuli per lesion measurement; the fraction of a run's unlesioned accuracy under
        which a lesioned type is critical (:func:`retinasim.dissect.lesions.critical_mask`).
    jobs
        Processes (default: one per core, at most one per run); torch threads share the rest.
    progress
        Called with each run's summary row as it finishes.
    scheduler
        Address of a running Dask scheduler (``tcp://host:8786``): every run is one task on
        its workers (1 torch thread each; start workers with ``--nthreads 1``), after waiting
        at most ``scheduler_timeout`` seconds for it to answer.
    cluster, cluster_options
        Instead, start a dask-jobqueue cluster of this kind (``slurm``, ``pbs``, ``sge``,
        ``lsf``) with these options (:func:`retinasim.compare.cluster.parse_cluster_options`).
        Without either, the runs go to local processes. See ``docs/cluster.md``.
    reference
        Reference models to add, each one more circuit ``"<name> (reference)"`` with one
        seed: ``"authors"`` (the authors' trained model of the paper, ``model.pt``) or a
        name of :data:`retinasim.authors.MODELS`. Imported (not trained) into
        ``OUT/reference/<name>/`` with the authors' rendering of the dots, then evaluated
        and dissected like every run.

    Returns
    -------
    list of dict
        One row per run (then per reference), as in ``comparison.csv``, each with its
        per-ganglion-type arrays under ``cell_types``
        (:func:`retinasim.compare.rows.per_type`; ``comparison_types.csv``).
    """
    from retinasim.compare.report import write_report

    alphas = tuple(sorted({float(a) for a in (*alphas, 2.0)}))
    labels = labels_for(files)
    n_jobs = len(files) * seeds + len(reference)
    distributed = scheduler is not None or cluster is not None
    given = [str(f) for f in files]
    workers, threads = plan_workers(n_jobs, jobs)
    if distributed:  # paths as every worker sees them on the shared file system
        workers, threads = 0, 1
        files, out = [Path(f).resolve() for f in files], Path(out).resolve()
    job_list = [
        RunJob(
            circuit_file=str(file),
            label=label,
            seed=seed,
            out=str(out),
            overrides=dict(overrides or {}),
            alphas=alphas,
            n_eval=n_eval,
            n_dissect=n_dissect,
            threshold=threshold,
            threads=threads,
        )
        # seed-major: a sweep stopped early has the same seeds of every circuit
        for seed in range(first_seed, first_seed + seeds)
        for file, label in zip(files, labels, strict=True)
    ]
    job_list += [
        reference_job(
            name,
            out,
            seed=first_seed,
            alphas=alphas,
            n_eval=n_eval,
            n_dissect=n_dissect,
            threshold=threshold,
            threads=threads,
        )
        for name in dict.fromkeys(reference)
    ]
    if distributed:
        from retinasim.compare.cluster import dask_client, run_on_dask

        options = dict(cluster_options or {})
        with dask_client(
            scheduler=scheduler,
            timeout=scheduler_timeout,
            cluster=cluster,
            options=options,
            n_runs=n_jobs,
        ) as client:
            rows = run_on_dask(job_list, client, progress=progress)
    else:
        rows = run_all(job_list, workers=workers, progress=progress)
    order = {label: i for i, label in enumerate(dict.fromkeys(job.label for job in job_list))}
    rows.sort(key=lambda row: (order.get(row["circuit"], len(order)), row["seed"]))
    settings = {
        "circuits": " ".join(given),
        "seeds": f"{first_seed}..{first_seed + seeds - 1}",
        "overrides": overrides or {},
        "alphas": list(alphas),
        "n_eval": n_eval,
        "n_dissect": n_dissect,
        "threshold": threshold,
        "reference": " ".join(dict.fromkeys(reference)) or "none",
        "processes": workers,
        "threads_per_process": threads,
    }
    if distributed:
        del settings["processes"]
        settings["engine"] = f"dask scheduler {scheduler}" if scheduler else f"dask {cluster}"

    write_report(rows, out, settings=settings)
    return rows
