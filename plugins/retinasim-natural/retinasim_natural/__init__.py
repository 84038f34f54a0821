"""retinasim task plugin: natural images drifting left and right; which way is faster?

The entry point loads this module, which imports neither torch nor scikit-image: the hook
returns the torch-free parameter model, so circuits that train on ``natural_motion`` are
validated without torch. The generator (:mod:`retinasim_natural.motion`) is imported when
stimuli are rendered.
"""

from pathlib import Path

from retinasim.plugins import hookimpl
from retinasim_natural.params import IMAGES, NaturalMotionParams

CIRCUIT = Path(__file__).parent / "circuits" / "murray2021_natural.yaml"
"""The reference circuit trained on this task (``retinasim train <CIRCUIT> --out RUN``)."""

__all__ = ["CIRCUIT", "IMAGES", "NaturalMotionParams", "retinasim_stimuli"]


@hookimpl
def retinasim_stimuli() -> list[type]:
    return [NaturalMotionParams]
