"""Recording: probes on a compiled circuit → labeled ``xarray.DataTree`` (one group per
probed layer; in memory or on disk), and its export to NWB.

Public API: :func:`record`, :class:`Probe`, :func:`parse_probe`, :data:`READOUT`,
:func:`save_recording`, :func:`open_recording`, :func:`replay_stimuli`, :func:`to_nwb`
(needs ``pynwb``: ``pip install retinasim[nwb]``), :class:`RecordingWriter` and the errors
:class:`RecordingError`, :class:`AnalysisError`.
The vocabulary of dimensions, coordinates and attributes is documented in
``docs/recording.md`` and :mod:`retinasim.record.layout`.
"""

from retinasim.record.errors import AnalysisError, RecordingError
from retinasim.record.nwb import to_nwb
from retinasim.record.probes import READOUT, Probe, parse_probe
from retinasim.record.recorder import record
from retinasim.record.replay import replay_stimuli
from retinasim.record.storage import RecordingWriter, open_recording, save_recording

__all__ = [
    "READOUT",
    "AnalysisError",
    "Probe",
    "RecordingError",
    "RecordingWriter",
    "open_recording",
    "parse_probe",
    "record",
    "replay_stimuli",
    "save_recording",
    "to_nwb",
]
