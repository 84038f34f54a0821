"""Single-type lesion scans and the critical cell types they reveal.

A lesion silences a type's output (exact zeros; see :mod:`retinasim.circuit.lesions`), the
same as the authors' zeroing of its temporal weights and bias for ReLU cells.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import xarray as xr

from retinasim.dissect.behaviour import DIRECTIONS
from retinasim.dissect.config import CRITICAL_THRESHOLD
from retinasim.dissect.errors import DissectionError
from retinasim.engine import Engine, Lesions, StimulusSet
from retinasim.util.progress import Progress

if TYPE_CHECKING:
    from retinasim.circuit import Circuit


def per_direction(correct: np.ndarray, trials: dict[str, np.ndarray]) -> list[float]:
    """Fraction correct of ``correct (n,)`` for each fast direction (NaN for none); a task
    without a fast direction (``natural_drift``) is split by its ``direction``."""
    fast = trials["fast_direction"] if "fast_direction" in trials else trials["direction"]
    return [
        float(correct[fast == d].mean()) if (fast == d).any() else float("nan") for d in DIRECTIONS
    ]


def add_lesion(base: Lesions | None, layer: str, index: int) -> dict[str, list]:
    """``base`` with type ``index`` of ``layer`` silenced too."""
    lesions = {name: list(types) for name, types in (base or {}).items()}
    lesions[layer] = sorted(set(lesions.get(layer, [])) | {index})
    return lesions


def lesion_scan(
    circuit: Circuit,
    stimuli: StimulusSet,
    *,
    layers: list[str] | None = None,
    base_lesions: Lesions | None = None,
    progress: Progress | None = None,
) -> xr.Dataset:
    """Lesion every cell type of ``layers`` alone (on top of ``base_lesions``) and re-test.

    Returns
    -------
    xarray.Dataset
        Along ``cell_type`` (coordinates ``layer`` and ``type_index``): ``accuracy``,
        ``accuracy_drop`` (intact minus lesioned) and ``accuracy_by_fast_direction
        (cell_type, fast_direction)``, all fractions correct; attrs ``intact_accuracy`` and
        ``intact_accuracy_left`` / ``_right``.
    """
    layers = list(circuit.type_names) if layers is None else layers
    unknown = [layer for layer in layers if layer not in circuit.type_names]
    if unknown:
        raise DissectionError(f"unknown layer(s) {unknown}; known: {list(circuit.type_names)}")
    targets = [(layer, i) for layer in layers for i in range(len(circuit.type_names[layer]))]
    sets = [base_lesions, *(add_lesion(base_lesions, layer, i) for layer, i in targets)]
    result = Engine(circuit).run(stimuli, sets, progress=progress)
    intact, *lesioned = result.correct
    accuracy = np.array([float(c.mean()) for c in lesioned])
    by_direction = [per_direction(c, result.trials) for c in lesioned]
    left, right = per_direction(intact, result.trials)
    units = {"units": "fraction correct"}
    return xr.Dataset(
        {
            "accuracy": ("cell_type", accuracy, {"long_name": "accuracy when lesioned", **units}),
            "accuracy_drop": (
                "cell_type",
                float(intact.mean()) - accuracy,
                {"long_name": "drop in accuracy (intact - lesioned)", **units},
            ),
            "accuracy_by_fast_direction": (
                ("cell_type", "fast_direction"),
                np.array(by_direction).reshape(len(lesioned), len(DIRECTIONS)),
                {"long_name": "accuracy when lesioned, by fast direction", **units},
            ),
        },
        coords={
            "cell_type": [circuit.type_names[layer][i] for layer, i in targets],
            "layer": ("cell_type", [layer for layer, _ in targets]),
            "type_index": ("cell_type", [i for _, i in targets]),
            "fast_direction": list(DIRECTIONS),
        },
        attrs={
            "intact_accuracy": float(intact.mean()),
            "intact_accuracy_left": left,
            "intact_accuracy_right": right,
            "n_stimuli": len(stimuli),
        },
    )


def critical_mask(
    lesioned_accuracy: np.ndarray | list[float] | float,
    intact_accuracy: float,
    *,
    threshold: float = CRITICAL_THRESHOLD,
) -> np.ndarray:
    """Which lesions make their type *critical*: the one definition of the word in retinasim.

    A cell type is critical when silencing it leaves accuracy (fraction correct,
    ``lesioned_accuracy``) below ``threshold`` (in (0, 1]) × the accuracy of the same model
    on the same stimuli with nothing silenced (the paper, Fig. 3C: "any cell type that does
    not impact model accuracy below 95% was excluded", said of a model whose intact accuracy
    is 1.00; relative to it, the rule asks the same of a model that is not perfect). Returns
    booleans, the shape of ``lesioned_accuracy``.
    """
    if not 0 < threshold <= 1:
        raise DissectionError(f"the critical threshold must be in (0, 1], got {threshold}")
    return np.asarray(lesioned_accuracy, dtype=float) < threshold * float(intact_accuracy)


def critical_types(
    scan: xr.Dataset,
    *,
    threshold: float = CRITICAL_THRESHOLD,
    layer: str | None = None,
) -> list[tuple[str, int]]:
    """The critical cell types of a :func:`lesion_scan` (:func:`critical_mask`: lesioned
    accuracy below ``threshold`` × the scan's intact accuracy).

    Returns ``(layer, type_index)`` pairs in scan order, optionally of one ``layer`` only.
    """
    chosen = critical_mask(
        scan["accuracy"].values, scan.attrs["intact_accuracy"], threshold=threshold
    )
    pairs = zip(scan["layer"].values, scan["type_index"].values, strict=True)
    return [
        (str(lay), int(i))
        for (lay, i), keep in zip(pairs, chosen, strict=True)
        if keep and (layer is None or lay == layer)
    ]


def lesion_effects_by_s(
    circuit: Circuit,
    stimuli: StimulusSet,
    types: list[tuple[str, int]],
    *,
    base_lesions: Lesions | None = None,
    progress: Progress | None = None,
) -> xr.DataArray:
    """Accuracy ``(lesion, s, fast_direction)``: no extra lesion, then each of ``types`` alone.

    ``stimuli`` must hold fixed slow speeds (``moving_dots_set(..., s_values=...)``);
    ``base_lesions`` (e.g. those making the ablated model) stay in place throughout.
    """
    from retinasim.dissect.behaviour import grouped_accuracy

    sets = [base_lesions, *(add_lesion(base_lesions, layer, i) for layer, i in types)]
    result = Engine(circuit).run(stimuli, sets, progress=progress)
    arrays = [grouped_accuracy(correct, result.trials, "s") for correct in result.correct]
    labels = ["none", *(circuit.type_names[layer][i] for layer, i in types)]
    array = xr.concat(arrays, dim="lesion").assign_coords(lesion=labels)
    array.attrs.update(long_name="accuracy", units="fraction correct")
    return array.transpose("lesion", "s", "fast_direction")
