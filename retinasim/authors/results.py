"""The authors' stored analysis results as labelled xarray, for comparison with retinasim's.

Their psychometric curves (``psycho_alpha_full.npy``, ``psycho_alpha_ablated.npy``) hold
1 − accuracy for α < 1; ``accuracy`` here is always retinasim's convention (the fraction
naming the labelled population, at ``α s``) and ``stored`` their numbers as they are
(``docs/authors.md``, "Their stored results"). ``*_ablation.npy``: the accuracy at α = 2 with
each type of one layer lesioned.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from retinasim.authors.importer import LICENCE_NOTICE, ORIGIN, data_file

ALPHAS = np.round(np.arange(41) * 0.1, 1)
"""Their α grid: 0.0 to 4.0 in steps of 0.1."""
LESION_LAYERS = ("bipolar", "amacrine", "ganglion")
STIMULI_PER_POINT = 100


def _load(name: str) -> np.ndarray:
    return np.load(data_file(name), allow_pickle=False)


def load_results() -> xr.Dataset:
    """Their stored numbers: ``accuracy (model, alpha)`` (fraction naming the labelled
    population, retinasim's convention), ``stored (model, alpha)`` (their files as they are),
    ``model`` = ``full`` / ``truncated``; ``lesion_accuracy (layer, cell_type)`` at α = 2;
    attrs with the source, licence, stimuli per point and the lesions' α."""
    stored = np.stack([_load("psycho_alpha_full.npy"), _load("psycho_alpha_ablated.npy")])
    if stored.shape != (2, len(ALPHAS)):
        raise ValueError(f"unexpected shape of the stored psychometric curves: {stored.shape}")
    accuracy = np.where(ALPHAS < 1.0, 1.0 - stored, stored)  # (broadcast over models)
    lesions = np.stack([_load(f"{layer}_ablation.npy") for layer in LESION_LAYERS])
    dataset = xr.Dataset(
        {
            "accuracy": (("model", "alpha"), accuracy),
            "stored": (("model", "alpha"), stored),
            "lesion_accuracy": (("layer", "cell_type"), lesions),
        },
        coords={
            "model": ["full", "truncated"],
            "alpha": ALPHAS,
            "layer": list(LESION_LAYERS),
            "cell_type": np.arange(lesions.shape[1]),
        },
        attrs={
            "source": ORIGIN,
            "licence": LICENCE_NOTICE,
            "stimuli_per_point": STIMULI_PER_POINT,
            "lesion_alpha": 2.0,
            "accuracy_convention": "fraction of answers naming the population at alpha * s",
            "stored_convention": "accuracy for alpha >= 1, 1 - accuracy for alpha < 1",
        },
    )
    dataset["alpha"].attrs.update(long_name="alpha = fast / slow speed", units="ratio")
    dataset["accuracy"].attrs.update(long_name="fraction correct", units="1")
    dataset["lesion_accuracy"].attrs.update(long_name="accuracy with one type lesioned", units="1")
    return dataset
