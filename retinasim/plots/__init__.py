"""Figures of recordings and analyses (matplotlib): every function takes an optional ``ax``
(a new figure otherwise), labels its axes ``long_name [units]`` from the data's attributes
and returns the Figure."""

from retinasim.plots.amplitude import plot_amplitude
from retinasim.plots.kernels import plot_kernel_grid, plot_temporal_kernels
from retinasim.plots.receptive_fields import plot_rf_map, plot_rf_mosaic, plot_temporal_profile
from retinasim.plots.tuning import plot_polar_tuning, plot_tuning_curve

__all__ = [
    "plot_amplitude",
    "plot_kernel_grid",
    "plot_polar_tuning",
    "plot_rf_map",
    "plot_rf_mosaic",
    "plot_temporal_kernels",
    "plot_temporal_profile",
    "plot_tuning_curve",
]
