"""A light dissection of one trained run: lesion scan, sufficiency and direction selectivity.

For the readout layer (the ganglion cells):

- **lesion scan**: test accuracy at α = 2 with each cell type silenced in turn; a type is
  *critical* when its lesion drops accuracy below ``threshold`` (0.95);
- **sufficiency**: the fewest types that, kept alone (every other type of the layer silenced),
  keep accuracy ≥ ``threshold``; types are added in order of their lesion's damage (an
  interpretability measure: how few ganglion types explain the decision);
- **direction selectivity** of every type from full-screen moving bars (left and right, the
  task's directions), averaged over the layer's map (:func:`retinasim.analysis.direction_tuning`);
  the run shows *DS emergence* when at least two critical types are direction selective
  (DSI ≥ ``dsi_threshold``) with opposite preferred directions.

Computed here with the training and lesion APIs only; ``retinasim dissect`` goes further.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

DIRECTIONS = (0.0, 180.0)
"""Rightward and leftward: the directions the moving-dots task discriminates."""


def light_dissection(
    run_dir: str | Path,
    *,
    n: int = 200,
    alpha: float = 2.0,
    threshold: float = 0.95,
    dsi_threshold: float = 0.3,
    batch_size: int = 16,
) -> dict[str, Any]:
    """Dissect a trained run (see the module docstring).

    Parameters
    ----------
    run_dir
        A completed run folder (``retinasim.train.train``).
    n
        Test stimuli per accuracy measurement.
    alpha
        Speed ratio of the test stimuli.
    threshold
        Accuracy below which a lesioned type is critical (and the sufficiency target).
    dsi_threshold
        DSI from which a type counts as direction selective.
    batch_size
        Trials per forward pass.

    Returns
    -------
    dict
        JSON-ready: ``layer``, ``type_names``, ``baseline_accuracy``, ``lesion_accuracy``
        (per type), ``critical`` (type indices), ``sufficient_types`` (count, ``None`` when even
        all types fall short), ``sufficient_set``, ``dsi``, ``peak_direction_deg`` (per type),
        ``critical_ds`` (critical DS types), ``ds_emergence`` (bool) and the settings.
    """
    from retinasim.train import load_trained
    from retinasim.train.data import moving_dots
    from retinasim.train.inference import predict

    circuit, spec = load_trained(run_dir)
    layer = spec.readout.layer
    names = list(circuit.type_names[layer])
    generator = moving_dots(spec, alpha=alpha)
    seed = spec.training.stimulus_seeds.test

    def accuracy(silenced: list[int]) -> float:
        with circuit.lesioned({layer: silenced} if silenced else {}):
            result = predict(circuit, spec, generator, seed=seed, count=n, batch_size=batch_size)
        return float(np.mean(result["correct"]))

    baseline = accuracy([])
    lesion = [accuracy([i]) for i in range(len(names))]
    critical = [i for i, value in enumerate(lesion) if value < threshold]
    order = [int(i) for i in np.argsort(lesion, kind="stable")]
    sufficient: int | None = None
    for k in range(1, len(names) + 1):
        kept = set(order[:k])
        value = baseline if k == len(names) else accuracy([i for i in order if i not in kept])
        if value >= threshold:
            sufficient = k
            break
    tuning = direction_selectivity(circuit, spec, layer)
    dsi = [float(v) for v in tuning["dsi"].values]
    peak = [float(v) for v in tuning["peak_direction_deg"].values]
    critical_ds = [i for i in critical if np.isfinite(dsi[i]) and dsi[i] >= dsi_threshold]
    preferences = {peak[i] for i in critical_ds}
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
        "peak_direction_deg": peak,
        "critical_ds": critical_ds,
        "ds_emergence": len(critical_ds) >= 2 and set(DIRECTIONS) <= preferences,
    }


def direction_selectivity(circuit, spec, layer: str):
    """DSI and peak direction of every type of ``layer`` from left/right moving bars.

    Bars 4 and 10 px wide at 1 and 2 px/frame, white on black; each type's activity averaged
    over the layer's map (full-screen bars drive every position alike) and over frames. A type
    silent to every bar has DSI NaN (not direction selective).
    """
    from retinasim.analysis import direction_tuning
    from retinasim.record import record
    from retinasim.stimuli.bars import MovingBars

    height, width = spec.input.size
    bars = MovingBars(
        height=height,
        width=width,
        frames=spec.input.frames,
        directions_deg=DIRECTIONS,
        speeds=(1.0, 2.0),
        widths=(4.0, 10.0),
    )
    recording = record(circuit, bars, f"{layer}:mean", n=bars.n_conditions)
    response = recording[f"{layer}_mean"]
    return direction_tuning(response, n_permutations=0)
