"""The built-in stimulus kinds by name, as generator classes (every registered kind, plugins
included: :func:`retinasim.plugins.generator_class`)."""

from __future__ import annotations

from retinasim.stimuli.bars import MovingBars
from retinasim.stimuli.base import StimulusGenerator
from retinasim.stimuli.centred_bars import CentredBars
from retinasim.stimuli.flashes import Flashes
from retinasim.stimuli.gratings import Gratings
from retinasim.stimuli.moving_dots import MovingDots
from retinasim.stimuli.noise import WhiteNoise
from retinasim.stimuli.sparse_noise import SparseNoise

#: The built-in stimulus kinds by name (plugins' kinds: :func:`retinasim.plugins.stimuli`).
STIMULI: dict[str, type[StimulusGenerator]] = {
    generator.kind: generator
    for generator in (
        MovingDots,
        MovingBars,
        Gratings,
        Flashes,
        WhiteNoise,
        CentredBars,
        SparseNoise,
    )
}
