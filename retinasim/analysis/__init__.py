"""Electrophysiology-style analyses of recordings: pure functions of xarray objects.

Each returns labeled xarray (``long_name`` and ``units`` on every variable) and accepts
numpy- or dask-backed input. Public API: :func:`trial_response`, :func:`response_amplitude`,
:func:`direction_tuning` and the direction-selectivity core it shares with the single-unit
protocol (:func:`retinasim.dissect.direction_protocol`): :func:`dsi`, :func:`vector_dsi`,
:func:`preferred_direction_deg`, :func:`dsi_p_value`, :func:`vector_dsi_p_value`;
:func:`stimulus_array`, :func:`spike_triggered_average`,
:func:`receptive_field`, :func:`spatial_kernels`, :func:`temporal_kernels`.
"""

from retinasim.analysis.amplitude import response_amplitude, trial_response
from retinasim.analysis.direction import (
    dsi,
    dsi_p_value,
    preferred_direction_deg,
    vector_dsi,
    vector_dsi_p_value,
)
from retinasim.analysis.kernels import spatial_kernels, temporal_kernels
from retinasim.analysis.receptive_fields import (
    radial_profile,
    receptive_field,
    spike_triggered_average,
    stimulus_array,
)
from retinasim.analysis.tuning import direction_tuning

__all__ = [
    "direction_tuning",
    "dsi",
    "dsi_p_value",
    "preferred_direction_deg",
    "radial_profile",
    "receptive_field",
    "response_amplitude",
    "spatial_kernels",
    "spike_triggered_average",
    "stimulus_array",
    "temporal_kernels",
    "trial_response",
    "vector_dsi",
    "vector_dsi_p_value",
]
