"""A light dissection of one trained run's readout layer (the ganglion cells), with the
moving dots of its own ``circuit.yaml``: a lesion scan at α = 2 (*critical* by the rule of
:func:`retinasim.dissect.lesions.critical_types`), the fewest types that kept alone hold
accuracy (added in order of their lesion's damage), every type's single-unit direction
selectivity (:func:`retinasim.dissect.summary.direction_selectivity`; NaN for a type silent
to bars) and *DS emergence*: critical DS types (DSI ≥ ``dsi_threshold``) preferring a
rightward and a leftward direction. A run below ``threshold`` has its critical types but no
sufficient set, and false flags. See ``docs/compare.md``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from retinasim.dissect.lesions import CRITICAL_THRESHOLD

if TYPE_CHECKING:
    from retinasim.circuit import Circuit
    from retinasim.engine import StimulusSet

DSI_THRESHOLD = 0.3
"""DSI from which a ganglion type counts as direction selective."""


def light_dissection(
    run_dir: str | Path,
    *,
    n: int = 200,
    alpha: float = 2.0,
    threshold: float = CRITICAL_THRESHOLD,
    dsi_threshold: float = DSI_THRESHOLD,
    batch_size: int = 16,
) -> dict[str, Any]:
    """Dissect the completed run folder ``run_dir`` (see the module docstring) on ``n`` test
    stimuli at speed ratio ``alpha``, ``batch_size`` per forward pass.

    Returns a JSON-ready dict: ``layer``, ``type_names``, ``baseline_accuracy``,
    ``lesion_accuracy`` (per type), ``critical`` (type indices), ``sufficient_types`` (count,
    ``None`` for an unsolved run), ``sufficient_set``, ``dsi``, ``vector_dsi``,
    ``vector_dsi_p_value``, ``preferred_direction_deg`` (per type), ``critical_ds``,
    ``ds_emergence``, ``opposite_preferences`` and the settings.
    """
    from retinasim.dissect.lesions import critical_types, lesion_scan
    from retinasim.engine import moving_dots_set
    from retinasim.training import load_trained

    circuit = load_trained(run_dir)
    spec = circuit.spec
    layer = spec.readout.layer
    names = list(circuit.type_names[layer])
    stimuli = moving_dots_set(spec, alphas=[alpha], n=n)
    scan = lesion_scan(circuit, stimuli, layers=[layer])
    baseline = float(scan.attrs["intact_accuracy"])
    lesion = [float(v) for v in scan["accuracy"].values]
    critical = [i for _, i in critical_types(scan, threshold=threshold, layer=layer)]
    solved = baseline >= threshold  # else no decision to explain: no sufficient set, no flags
    order = [int(i) for i in np.argsort(lesion, kind="stable")]
    sufficient = None
    if solved:
        sufficient = _sufficient(circuit, stimuli, order, baseline, threshold, batch_size)
    tuning = _tuning(circuit, layer)
    dsi, preferred = tuning["dsi"], tuning["preferred_direction_deg"]
    critical_ds = [i for i in critical if np.isfinite(dsi[i]) and dsi[i] >= dsi_threshold]
    return {
        "layer": layer,
        "type_names": names,
        "n_trials": n,
        "alpha": alpha,
        "threshold": threshold,
        "dsi_threshold": dsi_threshold,
        "baseline_accuracy": baseline,
        "lesion_accuracy": lesion,
        "critical": critical,
        "sufficient_types": sufficient,
        "sufficient_set": order[:sufficient] if sufficient else None,
        **tuning,
        "critical_ds": critical_ds,
        "ds_emergence": solved and _opposite(preferred, critical_ds),
        "opposite_preferences": solved and _opposite(preferred, critical),
    }


def _sufficient(
    circuit: Circuit,
    stimuli: StimulusSet,
    order: list[int],
    baseline: float,
    threshold: float,
    batch_size: int,
) -> int | None:
    """The fewest of the readout layer's types, taken in ``order`` (most damaging lesion
    first), that kept alone are not a critical loss (``critical_mask`` of the accuracy with
    every other type silenced); ``None`` when even all of them fall short."""
    from retinasim.dissect.lesions import critical_mask
    from retinasim.engine import Engine

    layer = circuit.spec.readout.layer
    # Keep the k most damaging types alone (every other type of the layer silenced), k = 1 ...
    kept_alone = [{layer: order[k:]} for k in range(1, len(order))]
    engine = Engine(circuit, batch_size=batch_size)
    alone = list(engine.run(stimuli, kept_alone).accuracy()) if kept_alone else []
    lost = critical_mask([*alone, baseline], baseline, threshold=threshold)
    reached = [k for k, short in enumerate(lost, start=1) if not short]
    return reached[0] if reached else None


def _tuning(circuit: Circuit, layer: str) -> dict[str, list[float]]:
    """Per type of ``layer``: ``dsi``, ``vector_dsi``, ``vector_dsi_p_value`` and
    ``preferred_direction_deg`` of the single-unit bar protocol (NaN for a silent type)."""
    from retinasim.dissect.summary import direction_selectivity

    tuning = direction_selectivity(circuit, layers=[layer])
    tuning = tuning.isel(cell_type=np.flatnonzero(tuning["layer"].values == layer))
    keys = ("dsi", "vector_dsi", "vector_dsi_p_value", "preferred_direction_deg")
    return {key: [float(v) for v in tuning[key].values] for key in keys}


def _side(preferred_deg: float) -> int:
    """+1 for a rightward preferred direction (cos > 0), −1 leftward, 0 vertical or NaN."""
    cosine = np.cos(np.deg2rad(preferred_deg))
    return 1 if cosine > 1e-9 else -1 if cosine < -1e-9 else 0


def _opposite(preferred: list[float], types: list[int]) -> bool:
    """Whether ``types`` include one preferring a rightward and one a leftward direction."""
    return {1, -1} <= {_side(preferred[i]) for i in types}
