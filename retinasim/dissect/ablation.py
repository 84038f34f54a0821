"""Combinatorial ablation: keep a few types, silence everything else, find what still works.

The paper kept the critical ganglion types and tried every combination of one bipolar and one
amacrine type, with all other types lesioned. Every combination is tested on the same fixed
stimuli in one run of the :class:`~retinasim.engine.Engine` (each batch rendered once, every
combination recomputed from the bipolar cells' activity on); no retraining.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import xarray as xr

from retinasim.dissect.behaviour import DIRECTIONS
from retinasim.dissect.errors import DissectionError
from retinasim.dissect.lesions import per_direction
from retinasim.engine import Engine, StimulusSet
from retinasim.util.progress import Progress

if TYPE_CHECKING:
    from retinasim.circuit import Circuit


def _lesions(
    names: Mapping[str, list[str]],
    keep: Mapping[str, Iterable[int]],
    chosen: Mapping[str, Iterable[int]],
) -> dict:
    """Lesions that silence every type of every layer not in ``keep`` or ``chosen`` (layer →
    indices)."""
    kept = {layer: {*keep.get(layer, ()), *chosen.get(layer, ())} for layer in names}
    return {layer: [i for i in range(len(names[layer])) if i not in kept[layer]] for layer in names}


def ablation_search(
    circuit: Circuit,
    stimuli: StimulusSet,
    *,
    keep: Mapping[str, list[int]],
    choose: Mapping[str, int] | None = None,
    min_accuracy: float = 0.0,
    screen: tuple[int, int] | None = None,
    progress: Progress | None = None,
) -> xr.Dataset:
    """Evaluate every combination of ``choose[layer]`` types per layer, ``keep`` always kept.

    Parameters
    ----------
    keep
        Layer → type indices never lesioned (e.g. the critical ganglion types).
    choose
        Layer → how many of its types to keep in each combination; default 1 for every layer
        not in ``keep`` (the readout layer keeps only ``keep``).
    min_accuracy
        Combinations below this accuracy are dropped from the result (the authors: 0.90).
    screen
        ``(n_screen, n_best)``: first evaluate every combination on the first ``n_screen``
        stimuli of each condition only, then the ``n_best`` best of them on all (a faster
        search of circuits with many combinations; reported accuracies are always on all
        stimuli). None (the default): every combination on all stimuli.

    Returns
    -------
    xarray.Dataset
        Along ``combination`` (sorted by accuracy, best first; coordinate ``kept``, e.g.
        ``"bipolar_4+amacrine_2"``, and one ``kept_<layer>`` string per chosen layer):
        ``accuracy`` and ``accuracy_by_fast_direction``; attrs ``keep``.
    """
    names = circuit.type_names
    if choose is None:
        choose = {layer: 1 for layer in names if layer not in keep}
    for layer, count in choose.items():
        if layer not in names or not 0 <= count <= len(names[layer]):
            raise DissectionError(
                f"cannot choose {count} type(s) of layer {layer!r} (layers: {dict(names)})"
            )
    per_layer = [
        list(itertools.combinations(range(len(names[lay])), k)) for lay, k in choose.items()
    ]
    combinations = candidates = list(itertools.product(*per_layer))

    def lesions_of(combination: Sequence[Sequence[int]]) -> dict:
        return _lesions(names, keep, dict(zip(choose, combination, strict=True)))

    engine = Engine(circuit)
    if screen is not None:
        subset = stimuli.head(screen[0])
        scores = engine.run(subset, [lesions_of(c) for c in combinations]).accuracy()
        order = np.argsort(-scores, kind="stable")[: screen[1]]
        candidates = [combinations[k] for k in order]
    result = engine.run(stimuli, [lesions_of(c) for c in candidates], progress=progress)
    rows = [
        (combination, float(correct.mean()), per_direction(correct, result.trials))
        for combination, correct in zip(candidates, result.correct, strict=True)
    ]
    rows = sorted((r for r in rows if r[1] >= min_accuracy), key=lambda r: -r[1])
    layers = list(choose)
    labels = [
        "+".join(names[lay][i] for lay, ids in zip(layers, combo, strict=True) for i in ids)
        for combo, _, _ in rows
    ]
    coords = {"combination": np.arange(len(rows)), "kept": ("combination", labels)}
    for k, layer in enumerate(layers):
        coords[f"kept_{layer}"] = (
            "combination",
            [",".join(str(i) for i in combo[k]) for combo, _, _ in rows],
        )
    units = {"units": "fraction correct"}
    return xr.Dataset(
        {
            "accuracy": ("combination", [r[1] for r in rows], {"long_name": "accuracy", **units}),
            "accuracy_by_fast_direction": (
                ("combination", "fast_direction"),
                np.array([r[2] for r in rows], dtype=float).reshape(len(rows), len(DIRECTIONS)),
                {"long_name": "accuracy by fast direction", **units},
            ),
        },
        coords={**coords, "fast_direction": list(DIRECTIONS)},
        attrs={
            "keep": "+".join(names[lay][i] for lay, ids in keep.items() for i in ids),
            "n_combinations": len(combinations),
            "screen": "none" if screen is None else f"{screen[0]} stimuli, best {screen[1]}",
        },
    )


def ablated_lesions(circuit: Circuit, keep: Mapping[str, list[int]], best: xr.Dataset) -> dict:
    """The lesions that make the ablated model of ``best`` (one row of a search result)."""
    chosen = {
        str(name)[5:]: [int(i) for i in str(best[name].values).split(",") if i]
        for name in best.coords
        if str(name).startswith("kept_")
    }
    return _lesions(circuit.type_names, keep, chosen)
