"""The built-in stimulus kinds by name, as generator classes (every registered kind, plugins
included: :func:`retinasim.plugins.generator_class`)."""

from __future__ import annotations

from retinasim.stimuli.base import StimulusGenerator
from retinasim.stimuli.builtin import BUILTIN_STIMULI

STIMULI: dict[str, type[StimulusGenerator]] = {
    params.kind: params.generator_class() for params in BUILTIN_STIMULI
}
