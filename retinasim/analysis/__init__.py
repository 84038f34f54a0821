"""Electrophysiology-style analyses of recordings: pure functions of xarray objects.

Each returns labeled xarray (``long_name`` and ``units`` on every variable) and accepts
numpy- or dask-backed input. Public API: :func:`trial_response`, :func:`response_amplitude`,
:func:`direction_tuning`, :func:`direction_protocol` (single-unit direction selectivity of a
circuit), :func:`stimulus_array`, :func:`spike_triggered_average`,
:func:`receptive_field`, :func:`spatial_kernels`, :func:`temporal_kernels`.
"""

from retinasim.analysis.amplitude import response_amplitude, trial_response
from retinasim.analysis.direction import direction_protocol
from retinasim.analysis.kernels import spatial_kernels, temporal_kernels
from retinasim.analysis.receptive_fields import (
    radial_profile,
    receptive_field,
    spike_triggered_average,
    stimulus_array,
)
from retinasim.analysis.tuning import direction_tuning

__all__ = [
    "direction_protocol",
    "direction_tuning",
    "radial_profile",
    "receptive_field",
    "response_amplitude",
    "spatial_kernels",
    "spike_triggered_average",
    "stimulus_array",
    "temporal_kernels",
    "trial_response",
]
