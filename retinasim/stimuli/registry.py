"""The registry of stimulus kinds: name → generator class, used by the command line and caches."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

from retinasim.errors import StimulusError
from retinasim.stimuli.bars import MovingBars
from retinasim.stimuli.base import StimulusGenerator
from retinasim.stimuli.flashes import Flashes
from retinasim.stimuli.gratings import Gratings
from retinasim.stimuli.moving_dots import MovingDots
from retinasim.stimuli.noise import WhiteNoise

#: Every stimulus kind by name.
STIMULI: dict[str, type[StimulusGenerator]] = {
    generator.kind: generator
    for generator in (MovingDots, MovingBars, Gratings, Flashes, WhiteNoise)
}


def generator_class(kind: str) -> type[StimulusGenerator]:
    """The generator class registered as ``kind``; StimulusError (with a suggestion) otherwise."""
    try:
        return STIMULI[kind]
    except KeyError:
        guess = difflib.get_close_matches(kind, list(STIMULI), n=1, cutoff=0.5)
        hint = f"; did you mean {guess[0]!r}?" if guess else ""
        raise StimulusError(
            f"unknown stimulus kind {kind!r}{hint} (known: {', '.join(STIMULI)})"
        ) from None


def generator_from_parameters(kind: str, parameters: Mapping[str, Any]) -> StimulusGenerator:
    """Build the ``kind`` generator from a mapping of parameters (validated)."""
    return generator_class(kind)(**dict(parameters))
