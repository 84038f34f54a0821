"""Behaviour of a model on the task: psychometric curve over alpha, accuracy over s.

Both take any circuit and any lesion set and return labeled xarray, evaluated on fixed stimuli
of the test seed (see :mod:`retinasim.dissect.evaluation`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import xarray as xr

from retinasim.analysis.labels import labelled
from retinasim.dissect.evaluation import Lesions, lesion_label
from retinasim.engine import Engine, StimulusSet, moving_dots_set
from retinasim.util.progress import Progress

if TYPE_CHECKING:
    from retinasim.circuit import Circuit

DIRECTIONS = ("left", "right")
DEFAULT_ALPHAS = tuple(np.round(np.arange(0.0, 4.01, 0.25), 2))
"""Psychometric grid: alpha from 0 to 4 (the authors' code used steps of 0.1)."""
DEFAULT_S = tuple(np.round(np.linspace(0.5, 1.5, 11), 3))
"""Slow speeds for accuracy vs s, pixels/frame (the authors' code used 0.50 + 0.03 k)."""


def grouped_accuracy(correct: np.ndarray, trials: dict[str, np.ndarray], by: str) -> xr.DataArray:
    """Accuracy ``(by, fast_direction)`` of ``correct (n,)`` grouped by ``alpha`` or ``s``.

    ``trials``: per-trial metadata (:attr:`retinasim.engine.EngineResult.trials`).
    """
    values = np.unique(trials[by])
    table = np.full((len(values), len(DIRECTIONS)), np.nan)
    for i, value in enumerate(values):
        for j, direction in enumerate(DIRECTIONS):
            chosen = (trials[by] == value) & (trials["fast_direction"] == direction)
            if chosen.any():
                table[i, j] = correct[chosen].mean()
    array = xr.DataArray(
        table,
        dims=(by, "fast_direction"),
        coords={by: values, "fast_direction": list(DIRECTIONS)},
        name="accuracy",
    )
    units = "pixels/frame" if by == "s" else "ratio fast/slow speed"
    array[by].attrs.update(long_name=by, units=units)
    return array


def psychometric_curve(
    circuit: Circuit,
    *,
    alphas: Sequence[float] = DEFAULT_ALPHAS,
    n: int = 100,
    lesions: Lesions | None = None,
    stimuli: StimulusSet | None = None,
    seed: int | None = None,
    progress: Progress | None = None,
) -> xr.Dataset:
    """Accuracy as a function of the fast/slow speed ratio alpha (1: chance).

    ``n`` stimuli per alpha (``s`` drawn from the training range), or the prepared ``stimuli``
    of a :func:`~retinasim.engine.moving_dots_set`; ``lesions``: cell types to silence (layer
    → types); ``progress`` is told the stimuli done after every batch.

    Returns
    -------
    xarray.Dataset
        ``accuracy (alpha)`` (fraction correct), ``accuracy_by_fast_direction (alpha,
        fast_direction)``, ``count (alpha)``; attrs ``lesions``.
    """
    spec = circuit.spec
    if stimuli is None:
        stimuli = moving_dots_set(spec, alphas=alphas, n=n, seed=seed)
    result = Engine(circuit).run(stimuli, [lesions], progress=progress)
    correct, trials = result.correct[0], result.trials
    by_direction = grouped_accuracy(correct, trials, "alpha")
    values = by_direction["alpha"].values
    overall = [correct[trials["alpha"] == a].mean() for a in values]
    counts = [(trials["alpha"] == a).sum() for a in values]
    dataset = xr.Dataset(
        {
            "accuracy": labelled(
                xr.DataArray(overall, dims="alpha", coords={"alpha": values}),
                "accuracy",
                "fraction correct",
            ),
            "accuracy_by_fast_direction": labelled(
                by_direction, "accuracy by fast direction", "fraction correct"
            ),
            "count": ("alpha", np.asarray(counts)),
        }
    )
    dataset["alpha"].attrs.update(long_name="alpha = fast / slow speed", units="ratio")
    dataset.attrs["lesions"] = lesion_label(lesions, circuit.type_names)
    return dataset


def accuracy_by_s(
    circuit: Circuit,
    *,
    s_values: Sequence[float] = DEFAULT_S,
    alpha: float = 2.0,
    n: int = 40,
    lesions: Lesions | None = None,
    stimuli: StimulusSet | None = None,
    seed: int | None = None,
) -> xr.DataArray:
    """Accuracy ``(s, fast_direction)`` at fixed slow speeds (pixels/frame).

    ``n`` stimuli per ``s`` (fast direction drawn per stimulus); ``stimuli`` overrides
    ``s_values``, ``alpha``, ``n`` and ``seed``.
    """
    spec = circuit.spec
    if stimuli is None:
        stimuli = moving_dots_set(spec, alphas=[alpha], s_values=s_values, n=n, seed=seed)
    result = Engine(circuit).run(stimuli, [lesions])
    accuracy = grouped_accuracy(result.correct[0], result.trials, "s")
    array = labelled(accuracy, "accuracy", "fraction correct")
    array.attrs["lesions"] = lesion_label(lesions, circuit.type_names)
    return array
