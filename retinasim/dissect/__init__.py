"""Dissecting a trained circuit as the paper did: behaviour, lesions, ablation, deep
visualization, receptive fields, single-unit direction selectivity and a per-cell-type function
summary (:mod:`retinasim.dissect.summary`). The public names are listed in ``_MODULES``; see
docs/dissection.md.
"""

from __future__ import annotations

from retinasim.util.lazy import lazy_exports

_MODULES = {
    "ablation": "ablated_lesions ablation_search",
    "behaviour": "accuracy_by_s psychometric_curve",
    "config": "CRITICAL_THRESHOLD",
    "deepvis": "maximise_activation motion_index structure_velocity xt_slice",
    "direction": "direction_protocol",
    "errors": "DissectionError",
    "evaluation": "StimulusSet decisions evaluation_set",
    "gradient_rf": "gradient_receptive_fields",
    "lesions": "critical_mask critical_types lesion_effects_by_s lesion_scan",
    "moving_pattern": "maximise_moving_pattern",
    "receptive_fields": (
        "initial_kernel_correlation kernel_receptive_fields map_receptive_fields "
        "receptive_field_summary"
    ),
    "units": "bipolar_amacrine_units",
}
"""Module → the public names it holds, imported on first use (``import
retinasim.dissect.config`` stays light: the command line reads the analysis settings without
torch)."""
_LOCATIONS = {name: module for module, names in _MODULES.items() for name in names.split()}

__all__ = sorted(_LOCATIONS)
__getattr__, __dir__ = lazy_exports(__name__, _LOCATIONS)
