"""Stimulus kinds by name: every kind registered through the ``retinasim_stimuli`` hook
(built-ins and plugins), as generator classes, for the command line, caches and training."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from retinasim.errors import StimulusError
from retinasim.stimuli.bars import MovingBars
from retinasim.stimuli.base import StimulusGenerator
from retinasim.stimuli.flashes import Flashes
from retinasim.stimuli.gratings import Gratings
from retinasim.stimuli.moving_dots import MovingDots
from retinasim.stimuli.noise import WhiteNoise
from retinasim.stimuli.params import unknown_kind_message

#: The built-in stimulus kinds by name (plugins' kinds: :func:`retinasim.plugins.stimuli`).
STIMULI: dict[str, type[StimulusGenerator]] = {
    generator.kind: generator
    for generator in (MovingDots, MovingBars, Gratings, Flashes, WhiteNoise)
}


def generator_class(kind: str) -> type[StimulusGenerator]:
    """The generator class registered as ``kind``; StimulusError (with a suggestion) otherwise."""
    from retinasim.plugins import stimuli

    registered = stimuli()
    if kind not in registered:
        raise StimulusError(unknown_kind_message(kind, list(registered)))
    return registered[kind].generator_class()


def generator_from_parameters(kind: str, parameters: Mapping[str, Any]) -> StimulusGenerator:
    """Build the ``kind`` generator from a mapping of parameters (validated)."""
    return generator_class(kind)(**dict(parameters))
