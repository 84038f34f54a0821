"""Re-render the stimuli of a recording from its attributes and trial coordinates: every
stimulus is a pure function of its generator parameters, its set's seed and its index, so the
videos come back bit for bit (e.g. for the spike-triggered average of a white-noise recording).
"""

from __future__ import annotations

import json

import numpy as np
import xarray as xr

from retinasim.plugins import generator_from_parameters
from retinasim.recording.errors import RecordingError
from retinasim.stimuli import StimulusBatch


def replay_stimuli(recording: xr.DataTree | xr.Dataset | xr.DataArray) -> StimulusBatch:
    """The stimuli of ``recording``'s trials, in trial order: a ``StimulusBatch`` whose
    ``video`` is ``(trial, 1, frames, height, width)`` and metadata equal the trial coordinates.

    ``recording`` (a tree of :func:`~retinasim.recording.record`, one of its groups as a
    Dataset, or a variable of one) must come from a stimulus generator: attrs
    ``stimulus_kind`` and ``stimulus_parameters``, coordinates ``index`` and ``stimulus_seed``.
    """
    if isinstance(recording, xr.DataTree):
        recording = recording.to_dataset()
    attrs = recording.attrs
    missing = [a for a in ("stimulus_kind", "stimulus_parameters") if not attrs.get(a)]
    seed_name = "stimulus_seed" if "stimulus_seed" in recording.coords else "seed"
    missing += [c for c in ("index", seed_name) if c not in recording.coords]
    if missing:
        raise RecordingError(
            f"cannot re-render the stimuli: the recording lacks {', '.join(missing)}"
        )
    seeds = np.unique(np.asarray(recording.coords[seed_name].values))
    if len(seeds) != 1:
        raise RecordingError(f"the recording mixes stimulus sets (seeds {seeds.tolist()})")
    generator = generator_from_parameters(
        str(attrs["stimulus_kind"]), json.loads(attrs["stimulus_parameters"])
    )
    indices = [int(i) for i in np.asarray(recording.coords["index"].values)]
    return generator.generate(indices, seed=int(seeds[0]))
