"""Stimuli: the moving-dots task and electrophysiology stimuli, rendered on the fly.

Every generator is a frozen, validated set of parameters whose :meth:`generate` renders any
stimulus indices of a seeded set as a :class:`StimulusBatch`::

    from retinasim.stimuli import MovingDots
    batch = MovingDots().generate(range(16), seed=0)       # video (16, 1, 51, 255, 255)
    batch.labels, batch.metadata["s"], batch.attrs["frame_rate_hz"]

Conventions: :mod:`retinasim.stimuli.base`. Each kind is a torch-free parameter model
(:mod:`retinasim.stimuli.builtin`, registered through the ``retinasim_stimuli`` hook) and a
generator class that subclasses it; names are imported on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from retinasim.util.lazy import lazy_exports

if TYPE_CHECKING:
    from retinasim.plugins.stimulus_kind import StimulusParams
    from retinasim.stimuli.bars import MovingBars
    from retinasim.stimuli.base import DIRECTION_CONVENTION, RenderRequest, StimulusGenerator
    from retinasim.stimuli.batch import StimulusBatch
    from retinasim.stimuli.cache import StimulusCache, write_cache
    from retinasim.stimuli.centred_bars import CentredBars
    from retinasim.stimuli.chirp import Chirp
    from retinasim.stimuli.dataset import MovingDotsDataset, StimulusBatches, StimulusDataset
    from retinasim.stimuli.flashes import Flashes
    from retinasim.stimuli.gratings import Gratings
    from retinasim.stimuli.moving_dots import MovingDots
    from retinasim.stimuli.noise import WhiteNoise
    from retinasim.stimuli.registry import STIMULI
    from retinasim.stimuli.sparse_noise import SparseNoise

_LOCATIONS = {
    "DIRECTION_CONVENTION": "base",
    "STIMULI": "registry",
    "CentredBars": "centred_bars",
    "Chirp": "chirp",
    "Flashes": "flashes",
    "Gratings": "gratings",
    "MovingBars": "bars",
    "MovingDots": "moving_dots",
    "MovingDotsDataset": "dataset",
    "RenderRequest": "base",
    "StimulusBatch": "batch",
    "StimulusBatches": "dataset",
    "StimulusCache": "cache",
    "StimulusDataset": "dataset",
    "StimulusGenerator": "base",
    "SparseNoise": "sparse_noise",
    "StimulusParams": "retinasim.plugins.stimulus_kind",
    "WhiteNoise": "noise",
    "write_cache": "cache",
}

__all__ = [
    "DIRECTION_CONVENTION",
    "STIMULI",
    "CentredBars",
    "Chirp",
    "Flashes",
    "Gratings",
    "MovingBars",
    "MovingDots",
    "MovingDotsDataset",
    "RenderRequest",
    "SparseNoise",
    "StimulusBatch",
    "StimulusBatches",
    "StimulusCache",
    "StimulusDataset",
    "StimulusGenerator",
    "StimulusParams",
    "WhiteNoise",
    "write_cache",
]
assert set(__all__) == set(_LOCATIONS)
__getattr__, __dir__ = lazy_exports(__name__, _LOCATIONS)
