"""Accuracy of a trained run on held-out stimuli, overall, by s decile and by fast direction.

The test stimuli are stimuli ``0 .. n - 1`` of ``stimulus_seeds.test`` (never trained or
validated on), the same trials at every ``alpha``. A task without a speed ratio (such as
``natural_drift``) is tested as trained: accuracy overall and by class.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import xarray as xr

from retinasim.provenance import provenance
from retinasim.run_folder import EVALUATION, METRICS, RunFolder
from retinasim.spec import spec_hash
from retinasim.task import EVALUATION_PARAMETERS, task_generator
from retinasim.training.checkpoint import restore
from retinasim.training.errors import TrainingError
from retinasim.training.inference import predict
from retinasim.util.netcdf import write_netcdf
from retinasim.util.progress import Progress, as_task

if TYPE_CHECKING:
    from retinasim.circuit import Circuit
    from retinasim.plugins import StimulusParams
    from retinasim.spec import CircuitSpec

N_S_BINS = 10
"""Number of s bins: deciles of the uniform training distribution of s."""

DEFAULT_ALPHAS = (1.0, 1.7, 2.0)
"""The speed ratios a speed-ratio task is tested at unless told: chance, near and at the
paper's threshold."""

_DESCRIPTIONS = {
    "alpha": ("fast speed / slow speed", "speed ratio alpha"),
    "s_low": ("pixels/frame", "lower edge of the s bin"),
    "s_high": ("pixels/frame", "upper edge of the s bin"),
    "stimulus_s": ("pixels/frame", "slow speed s of the trial"),
    "accuracy": ("1", "fraction of correct decisions"),
    "accuracy_by_s_bin": ("1", "fraction correct in each decile of s"),
    "accuracy_by_fast_direction": ("1", "fraction correct by fast direction"),
    "accuracy_by_class": ("1", "fraction correct among the trials of each class"),
    "correct": ("1", "1 if the decision was {correct}"),
    "decision_logits": ("1", "readout outputs at the decision frame"),
}
"""``units`` and ``long_name`` of the evaluation's variables and coordinates."""


def evaluation_alphas(
    spec: CircuitSpec, alphas: Sequence[float] | None = None
) -> list[float] | None:
    """The ``alpha`` values to test ``spec``'s task at: ``alphas``, else
    :data:`DEFAULT_ALPHAS` for a task with a speed ratio and None (as trained) for another.

    Raises :class:`~retinasim.training.errors.TrainingError` for values that are not finite
    and >= 0, or when the task has no speed ratio.
    """
    from retinasim.plugins import generator_class

    if alphas is None:
        task: type[StimulusParams] = generator_class(spec.training.task)
        return list(DEFAULT_ALPHAS) if set(task.model_fields) >= EVALUATION_PARAMETERS else None
    if not alphas or any(not np.isfinite(a) or a < 0 for a in alphas):
        raise TrainingError(f"--alpha values must be finite and >= 0, got {list(alphas)}")
    task_generator(spec, alpha=alphas[0])  # a task without alpha: its clear error
    return list(alphas)


def load_trained(run_dir: str | Path, device: str = "cpu") -> Circuit:
    """The trained circuit of a run folder, in eval mode (its spec is ``circuit.spec``);
    raises :class:`RunFolderError` or :class:`CheckpointError` with the reason."""
    from retinasim.compile import compile_circuit
    from retinasim.training.distributed import check_device

    target = check_device(device)
    run = RunFolder(run_dir)
    spec = run.load_spec()
    circuit = compile_circuit(spec, seed=spec.training.seed, device=target)
    restore(circuit, run.checkpoint, spec)
    return circuit.eval()


def evaluate_run(
    run_dir: str | Path,
    *,
    alphas: Sequence[float] | None = None,
    n: int = 1000,
    device: str = "cpu",
    batch_size: int = 16,
    save: bool = True,
    progress: Progress | None = None,
) -> xr.Dataset:
    """Test a run on ``n`` held-out stimuli at each ``alpha``; save ``evaluation.nc``.

    ``alphas`` defaults to :func:`evaluation_alphas` (1, 1.7 and 2 for a speed-ratio task; a
    task without one is tested as trained). ``progress`` is told the stimuli done after
    every batch, one task per alpha (``evaluating alpha = 2``, ``evaluating as trained``).

    Returns a Dataset: ``accuracy (alpha)``, ``accuracy_by_s_bin (alpha, s_bin)``,
    ``accuracy_by_fast_direction (alpha, fast_direction)``, ``trials_by_s_bin (s_bin)``,
    ``trials_by_fast_direction (fast_direction)``, ``correct (alpha, trial)`` with per-trial
    coordinates ``stimulus_s`` (pixels/frame) and ``stimulus_fast_direction``; ``s_low`` /
    ``s_high`` bin edges; provenance in ``attrs``. As trained: ``accuracy`` (a scalar),
    ``accuracy_by_class (class)``, ``trials_by_class (class)``, ``correct (trial)``,
    ``decision_logits (trial, class)`` and each per-trial stimulus parameter as a
    ``stimulus_<name> (trial)`` coordinate.
    """
    if n < 1:
        raise TrainingError(f"--n must be at least 1, got {n}")
    started = time.perf_counter()
    circuit = load_trained(run_dir, device)
    spec = circuit.spec
    alphas = evaluation_alphas(spec, alphas)
    seed = spec.training.stimulus_seeds.test

    def run_at(alpha: float | None) -> dict[str, np.ndarray]:
        task = "evaluating as trained" if alpha is None else f"evaluating alpha = {alpha:g}"
        return predict(
            circuit,
            task_generator(spec, alpha=alpha),
            seed=seed,
            count=n,
            device=device,
            batch_size=batch_size,
            progress=as_task(progress, task),
        )

    classes = list(spec.readout.classes)
    if alphas is None:
        dataset = _label_as_trained(run_at(None), classes)
    else:
        base: Any = task_generator(spec)  # a speed-ratio task (evaluation_alphas): s, s_range
        low, high = base.s_range if base.s is None else (base.s, base.s)
        dataset = _label([run_at(a) for a in alphas], alphas, low, high, classes)
    run = RunFolder(run_dir)
    metrics = run.read_json(METRICS, {}) or {}
    dataset.attrs.update(
        provenance(
            seed=spec.training.seed,
            spec_hash=spec_hash(spec),
            device=device,
            wall_time_s=time.perf_counter() - started,
            circuit=spec.name,
            test_seed=seed,
            n_trials=int(n),
            training_steps=int(metrics.get("steps") or -1),
            training_status=str(metrics.get("status", "unknown")),
        )
    )
    if save:
        write_netcdf(dataset, run / EVALUATION)
    return dataset


def _group_mean(
    correct: np.ndarray, groups: np.ndarray, labels: Sequence[object] | np.ndarray
) -> np.ndarray:
    """Mean of ``correct (alpha, trial)`` over the trials of each group: ``(alpha, group)``."""
    out = np.full((correct.shape[0], len(labels)), np.nan)
    for k, label in enumerate(labels):
        chosen = groups == label
        if chosen.any():
            out[:, k] = correct[:, chosen].mean(axis=1)
    return out


def _label_as_trained(result: dict[str, np.ndarray], classes: list[str]) -> xr.Dataset:
    """Label the predictions of a task tested as trained (see :func:`evaluate_run`)."""
    correct = result["correct"].astype(np.int8)
    labels = result["labels"]
    per_trial = {
        f"stimulus_{name}": ("trial", values)
        for name, values in result.items()
        if name not in {"logits", "labels", "correct"} and np.ndim(values) == 1
    }
    dataset = xr.Dataset(
        {
            "accuracy": ((), correct.mean()),
            "accuracy_by_class": (
                "class",
                _group_mean(correct[None], labels, range(len(classes)))[0],
            ),
            "trials_by_class": ("class", np.bincount(labels, minlength=len(classes))),
            "correct": ("trial", correct),
            "decision_logits": (("trial", "class"), result["logits"].astype(np.float32)),
        },
        coords={"trial": np.arange(len(correct)), "class": classes, **per_trial},
    )
    names = ["accuracy", "accuracy_by_class", "correct", "decision_logits"]
    return _describe(dataset, names, "the trial's class")


def _label(
    results: list[dict[str, np.ndarray]],
    alphas: list[float],
    low: float,
    high: float,
    classes: list[str],
) -> xr.Dataset:
    """Label per-alpha predictions as a Dataset (see :func:`evaluate_run`)."""
    s = results[0]["s"]
    fast = results[0]["fast_direction"].astype(str)
    correct = np.stack([r["correct"] for r in results]).astype(np.int8)
    if high > low:
        s_bin = np.clip(((s - low) / (high - low) * N_S_BINS).astype(int), 0, N_S_BINS - 1)
    else:
        s_bin = np.zeros(len(s), dtype=int)
    edges = np.linspace(low, high, N_S_BINS + 1)
    bins = np.arange(N_S_BINS)
    directions = ["left", "right"]
    dataset = xr.Dataset(
        {
            "accuracy": ("alpha", correct.mean(axis=1)),
            "accuracy_by_s_bin": (("alpha", "s_bin"), _group_mean(correct, s_bin, bins)),
            "accuracy_by_fast_direction": (
                ("alpha", "fast_direction"),
                _group_mean(correct, fast, directions),
            ),
            "trials_by_s_bin": ("s_bin", np.array([(s_bin == b).sum() for b in bins])),
            "trials_by_fast_direction": (
                "fast_direction",
                np.array([(fast == d).sum() for d in directions]),
            ),
            "correct": (("alpha", "trial"), correct),
            "decision_logits": (
                ("alpha", "trial", "class"),
                np.stack([r["logits"] for r in results]).astype(np.float32),
            ),
        },
        coords={
            "alpha": ("alpha", np.asarray(alphas, dtype=float)),
            "s_bin": ("s_bin", bins),
            "s_low": ("s_bin", edges[:-1]),
            "s_high": ("s_bin", edges[1:]),
            "fast_direction": ("fast_direction", directions),
            "trial": ("trial", np.arange(len(s))),
            "stimulus_s": ("trial", s),
            "stimulus_fast_direction": ("trial", fast),
            "class": ("class", classes),
        },
    )
    names = [name for name in _DESCRIPTIONS if name != "accuracy_by_class"]
    return _describe(dataset, names, "the fast direction")


def _describe(dataset: xr.Dataset, names: list[str], correct: str) -> xr.Dataset:
    """Set the :data:`_DESCRIPTIONS` of ``names``; ``correct``: what a correct decision names."""
    for name in names:
        units, long_name = _DESCRIPTIONS[name]
        dataset[name].attrs.update(units=units, long_name=long_name.format(correct=correct))
    return dataset
