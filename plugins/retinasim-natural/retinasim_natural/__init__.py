"""retinasim task plugin: natural images drifting left and right (which way is faster? which
way does the scene drift?).

The entry point loads this module, which imports neither torch nor scikit-image: the hook
returns the torch-free parameter model, so circuits that train on ``natural_motion`` are
validated without torch. The generators (:mod:`retinasim_natural.motion`) are imported when
stimuli are rendered.
"""

from pathlib import Path

from retinasim.plugins import stimuli_hook
from retinasim_natural.params import IMAGES, NaturalDriftParams, NaturalMotionParams

CIRCUIT = Path(__file__).parent / "circuits" / "murray2021_natural.yaml"
"""murray2021 on ``natural_motion`` (``retinasim train <CIRCUIT> --out RUN``)."""

DRIFT_CIRCUIT = Path(__file__).parent / "circuits" / "murray2021_natural_drift.yaml"
"""murray2021 on ``natural_drift``: the recipe that trains (docs/variants.md)."""

__all__ = [
    "CIRCUIT",
    "DRIFT_CIRCUIT",
    "IMAGES",
    "NaturalDriftParams",
    "NaturalMotionParams",
    "retinasim_stimuli",
]


retinasim_stimuli = stimuli_hook(NaturalMotionParams, NaturalDriftParams)
"""The tasks of this plugin (the ``retinasim_stimuli`` hook)."""
