"""Electrophysiology-style analyses of recordings: pure functions of xarray objects (numpy- or
dask-backed), each returning labeled xarray (``long_name`` and ``units`` on every variable).
The direction-selectivity core (:mod:`retinasim.analysis.direction`) is shared with the
single-unit protocol (:func:`retinasim.dissect.direction_protocol`).
"""

from retinasim.analysis.amplitude import response_amplitude, trial_response
from retinasim.analysis.clustering import SILENT, Clustering, fit_clusters
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
    "SILENT",
    "Clustering",
    "direction_tuning",
    "dsi",
    "dsi_p_value",
    "fit_clusters",
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
