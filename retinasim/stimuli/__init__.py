"""Stimuli: the moving-dots task and electrophysiology stimuli, rendered on the fly.

Every generator is a frozen, validated set of parameters whose :meth:`generate` renders any
stimulus indices of a seeded set as a :class:`StimulusBatch`::

    from retinasim.stimuli import MovingDots
    batch = MovingDots().generate(range(16), seed=0)       # video (16, 1, 51, 255, 255)
    batch.labels, batch.metadata["s"], batch.attrs["frame_rate_hz"]

Conventions (see :mod:`retinasim.stimuli.base`): luminance in [0, 1]; direction in degrees,
0 = rightward, 90 = up the screen; speeds in pixels/frame; 30 frames per second by default.
"""

from retinasim.stimuli.bars import MovingBars
from retinasim.stimuli.base import DIRECTION_CONVENTION, StimulusGenerator
from retinasim.stimuli.batch import StimulusBatch
from retinasim.stimuli.cache import StimulusCache, write_cache
from retinasim.stimuli.dataset import MovingDotsDataset, StimulusBatches, StimulusDataset
from retinasim.stimuli.flashes import Flashes
from retinasim.stimuli.gratings import Gratings
from retinasim.stimuli.moving_dots import MovingDots
from retinasim.stimuli.noise import WhiteNoise
from retinasim.stimuli.registry import STIMULI, generator_class, generator_from_parameters

__all__ = [
    "DIRECTION_CONVENTION",
    "STIMULI",
    "Flashes",
    "Gratings",
    "MovingBars",
    "MovingDots",
    "MovingDotsDataset",
    "StimulusBatch",
    "StimulusBatches",
    "StimulusCache",
    "StimulusDataset",
    "StimulusGenerator",
    "WhiteNoise",
    "generator_class",
    "generator_from_parameters",
    "write_cache",
]
