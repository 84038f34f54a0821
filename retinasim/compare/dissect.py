"""A light dissection of one trained run: lesion scan, sufficiency and direction selectivity.

For the readout layer (the ganglion cells), with the moving dots (and the dots' luminance
for the bars) of the run folder's own ``circuit.yaml`` (an imported authors' model says
``rendering: authors``, their drawing of the dots):

- **lesion scan**: test accuracy at α = 2 with each cell type silenced in turn; a type is
  *critical* when its lesion drops accuracy below ``threshold`` (0.95);
- **sufficiency**: the fewest types that, kept alone (every other type of the layer silenced),
  keep accuracy ≥ ``threshold``; types are added in order of their lesion's damage (an
  interpretability measure: how few ganglion types explain the decision);
- **direction selectivity** of every type, from the single-unit bar protocol of
  :func:`retinasim.analysis.direction_protocol` (through
  :func:`retinasim.dissect.summary.direction_selectivity`, as the full dissection, on the
  readout layer only): the *centre unit* of each ganglion type; its receptive field from the
  input gradient ``|∂ response / ∂ luminance|`` at a binary-noise operating point; full-length
  bars of the task's dots' luminance whose path is centred on that receptive field and
  crosses it entirely, in 8 directions, swept over 4 speeds (0.5, 1, 2, 3 pixels/frame) × 3
  widths (4, 10, 20 pixels at 255, scaled to the input); the evoked response (blank-video
  baseline subtracted, summed over time, rectified); the classic DSI
  ``(R_pref − R_null) / (R_pref + R_null)``, the vector DSI and the vector-sum preferred
  direction (0° rightward, 180° leftward) at the preferred speed and width, and the
  permutation p-value of the vector DSI (directions shuffled within each speed × width
  condition). A type whose centre unit does not respond to any bar has NaN values (not
  direction selective).
- **DS emergence**: at least two critical types are direction selective (DSI ≥
  ``dsi_threshold``, 0.3) with opposite preferences along the task's axis: one prefers a
  rightward (cos > 0), another a leftward direction (*opposite preferences*: the same
  without the DSI bar).

The full dissection of one run (``retinasim analyze RUN_DIR``) goes further.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

DSI_THRESHOLD = 0.3
"""DSI from which a ganglion type counts as direction selective."""


def light_dissection(
    run_dir: str | Path,
    *,
    n: int = 200,
    alpha: float = 2.0,
    threshold: float = 0.95,
    dsi_threshold: float = DSI_THRESHOLD,
    batch_size: int = 16,
) -> dict[str, Any]:
    """Dissect a trained run (see the module docstring).

    Parameters
    ----------
    run_dir
        A completed run folder (``retinasim.training.train``).
    n
        Test stimuli per accuracy measurement.
    alpha
        Speed ratio of the test stimuli.
    threshold
        Accuracy below which a lesioned type is critical (and the sufficiency target).
    dsi_threshold
        DSI from which a type counts as direction selective (:data:`DSI_THRESHOLD`).
    batch_size
        Trials per forward pass.

    Returns
    -------
    dict
        JSON-ready: ``layer``, ``type_names``, ``baseline_accuracy``, ``lesion_accuracy``
        (per type), ``critical`` (type indices), ``sufficient_types`` (count, ``None`` when even
        all types fall short), ``sufficient_set``, ``dsi``, ``vector_dsi``, ``dsi_p_value``,
        ``preferred_direction_deg`` (per type, 0° = rightward), ``critical_ds`` (critical DS
        types), ``ds_emergence`` (bool),
        ``opposite_preferences`` (the critical types prefer opposite directions, whatever
        their DSI) and the settings. Both flags are false for a run whose unlesioned accuracy
        is below ``threshold`` (every type is then "critical").
    """
    from retinasim.dissect.lesions import lesion_scan
    from retinasim.dissect.summary import direction_selectivity
    from retinasim.engine import Engine, moving_dots_set
    from retinasim.training import load_trained

    circuit, spec = load_trained(run_dir)
    layer = spec.readout.layer
    names = list(circuit.type_names[layer])
    stimuli = moving_dots_set(spec, alphas=[alpha], n=n)
    scan = lesion_scan(circuit, spec, stimuli, layers=[layer])
    baseline = float(scan.attrs["intact_accuracy"])
    lesion = [float(v) for v in scan["accuracy"].values]
    critical = [i for i, value in enumerate(lesion) if value < threshold]
    order = [int(i) for i in np.argsort(lesion, kind="stable")]
    # Keep the k most damaging types alone (every other type of the layer silenced), k = 1 ...
    kept_alone = [{layer: order[k:]} for k in range(1, len(names))]
    engine = Engine(circuit, spec, batch_size=batch_size)
    alone = list(engine.run(stimuli, kept_alone).accuracy()) if kept_alone else []
    reached = [k for k, value in enumerate([*alone, baseline], start=1) if value >= threshold]
    sufficient = reached[0] if reached else None
    tuning = direction_selectivity(circuit, spec, layers=[layer])
    tuning = tuning.isel(cell_type=np.flatnonzero(tuning["layer"].values == layer))
    dsi = [float(v) for v in tuning["dsi"].values]
    vector_dsi = [float(v) for v in tuning["vector_dsi"].values]
    p_value = [float(v) for v in tuning["p_value"].values]
    preferred = [float(v) for v in tuning["preferred_direction_deg"].values]
    critical_ds = [i for i in critical if np.isfinite(dsi[i]) and dsi[i] >= dsi_threshold]
    solved = baseline >= threshold  # otherwise every type is "critical": nothing to read
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
        "dsi": dsi,
        "vector_dsi": vector_dsi,
        "dsi_p_value": p_value,
        "preferred_direction_deg": preferred,
        "critical_ds": critical_ds,
        "ds_emergence": solved and _opposite(preferred, critical_ds),
        "opposite_preferences": solved and _opposite(preferred, critical),
    }


def _opposite(preferred: list[float], types: list[int]) -> bool:
    """Whether ``types`` include one preferring a rightward and one a leftward direction."""
    cosines = [np.cos(np.deg2rad(preferred[i])) for i in types if np.isfinite(preferred[i])]
    return any(c > 1e-9 for c in cosines) and any(c < -1e-9 for c in cosines)
