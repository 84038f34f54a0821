"""Recording: probes on a compiled circuit → labeled ``xarray.DataTree`` (one group per probed
layer; in memory or on disk; layers' activity, the decoder's outputs and the currents each
connection delivers, :mod:`retinasim.recording.currents`), and its export to NWB (:func:`to_nwb`
needs ``pynwb``: ``pip install retinasim[nwb]``). The vocabulary of dimensions, coordinates and
attributes is in ``docs/recording.md`` and :mod:`retinasim.recording.layout`.
"""

from retinasim.recording.errors import AnalysisError, RecordingError
from retinasim.recording.nwb import to_nwb
from retinasim.recording.probes import READOUT, Probe, parse_probe
from retinasim.recording.recorder import record
from retinasim.recording.replay import replay_stimuli
from retinasim.recording.storage import RecordingWriter, open_recording, save_recording

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
