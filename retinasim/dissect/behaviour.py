"""Behaviour of a model on the task: psychometric curve over alpha, accuracy over s.

Both take any circuit and any lesion set and return labeled xarray, evaluated on fixed stimuli
of the test seed (see :mod:`retinasim.dissect.evaluation`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import xarray as xr

from retinasim.analysis.labels import labelled
from retinasim.dissect.evaluation import (
    EvaluationSet,
    Lesions,
    decisions,
    evaluation_set,
    lesion_label,
)

DIRECTIONS = ("left", "right")
DEFAULT_ALPHAS = tuple(np.round(np.arange(0.0, 4.01, 0.25), 2))
"""Psychometric grid: alpha from 0 to 4 (the authors' code used steps of 0.1)."""
DEFAULT_S = tuple(np.round(np.linspace(0.5, 1.5, 11), 3))
"""Slow speeds for accuracy vs s, pixels/frame (the authors' code used 0.50 + 0.03 k)."""


def grouped_accuracy(correct: np.ndarray, stimuli: EvaluationSet, by: str) -> xr.DataArray:
    """Accuracy ``(by, fast_direction)`` of ``correct (n,)`` grouped by ``alpha`` or ``s``."""
    values = np.unique(getattr(stimuli, by))
    table = np.full((len(values), len(DIRECTIONS)), np.nan)
    for i, value in enumerate(values):
        for j, direction in enumerate(DIRECTIONS):
            chosen = (getattr(stimuli, by) == value) & (stimuli.fast_direction == direction)
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
    circuit,
    spec,
    *,
    alphas: Sequence[float] = DEFAULT_ALPHAS,
    n: int = 100,
    lesions: Lesions | None = None,
    stimuli: EvaluationSet | None = None,
    seed: int | None = None,
) -> xr.Dataset:
    """Accuracy as a function of the fast/slow speed ratio alpha.

    Parameters
    ----------
    circuit, spec
        A compiled circuit and its spec.
    alphas
        Ratios to test (alpha = 1: both populations equally fast, chance).
    n
        Stimuli per alpha (``s`` drawn from the training range).
    lesions
        Cell types to silence, layer → types.
    stimuli
        A prepared :func:`evaluation_set` (overrides ``alphas``, ``n``, ``seed``).

    Returns
    -------
    xarray.Dataset
        ``accuracy (alpha)`` (fraction correct), ``accuracy_by_fast_direction (alpha,
        fast_direction)``, ``count (alpha)``; attrs ``lesions``.
    """
    if stimuli is None:
        stimuli = evaluation_set(spec, alphas=alphas, n=n, seed=seed)
    correct = decisions(circuit, spec, stimuli, lesions=lesions)
    by_direction = grouped_accuracy(correct, stimuli, "alpha")
    values = by_direction["alpha"].values
    overall = [correct[stimuli.alpha == a].mean() for a in values]
    counts = [(stimuli.alpha == a).sum() for a in values]
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
    circuit,
    spec,
    *,
    s_values: Sequence[float] = DEFAULT_S,
    alpha: float = 2.0,
    n: int = 40,
    lesions: Lesions | None = None,
    stimuli: EvaluationSet | None = None,
    seed: int | None = None,
) -> xr.DataArray:
    """Accuracy ``(s, fast_direction)`` at fixed slow speeds (pixels/frame).

    ``n`` stimuli per ``s`` (fast direction drawn per stimulus); ``stimuli`` overrides
    ``s_values``, ``alpha``, ``n`` and ``seed``.
    """
    if stimuli is None:
        stimuli = evaluation_set(spec, alphas=[alpha], s_values=s_values, n=n, seed=seed)
    correct = decisions(circuit, spec, stimuli, lesions=lesions)
    array = labelled(grouped_accuracy(correct, stimuli, "s"), "accuracy", "fraction correct")
    array.attrs["lesions"] = lesion_label(lesions, circuit.type_names)
    return array
