"""Dissecting a trained circuit as the paper did: behaviour, lesions, ablation, deep
visualization and a per-cell-type function summary.

Public API: :func:`evaluation_set` (a :class:`~retinasim.engine.StimulusSet`),
:func:`decisions`, :func:`psychometric_curve`,
:func:`accuracy_by_s`, :func:`lesion_scan`, :func:`critical_types` (the rule:
:func:`critical_mask`, :data:`CRITICAL_THRESHOLD`),
:func:`lesion_effects_by_s`, :func:`ablation_search`, :func:`ablated_lesions`,
:func:`maximise_activation`, :func:`xt_slice`, :func:`structure_velocity`,
:func:`motion_index`, :func:`maximise_moving_pattern`, :func:`bipolar_amacrine_units`,
:func:`map_receptive_fields`, :func:`kernel_receptive_fields`, :func:`receptive_field_summary`,
:func:`initial_kernel_correlation`, :func:`direction_protocol` (single-unit direction
selectivity; its receptive fields: :func:`gradient_receptive_fields`), and
(in :mod:`retinasim.dissect.summary`) :func:`cell_type_summary`; :class:`DissectionError`.
See ``docs/dissection.md``.
"""

from __future__ import annotations

import importlib
from typing import Any

_LOCATIONS = {
    "ablated_lesions": "ablation",
    "ablation_search": "ablation",
    "accuracy_by_s": "behaviour",
    "bipolar_amacrine_units": "units",
    "critical_mask": "lesions",
    "CRITICAL_THRESHOLD": "config",
    "critical_types": "lesions",
    "decisions": "evaluation",
    "direction_protocol": "direction",
    "DissectionError": "errors",
    "evaluation_set": "evaluation",
    "gradient_receptive_fields": "gradient_rf",
    "initial_kernel_correlation": "receptive_fields",
    "kernel_receptive_fields": "receptive_fields",
    "lesion_effects_by_s": "lesions",
    "lesion_scan": "lesions",
    "map_receptive_fields": "receptive_fields",
    "maximise_activation": "deepvis",
    "maximise_moving_pattern": "moving_pattern",
    "motion_index": "deepvis",
    "psychometric_curve": "behaviour",
    "receptive_field_summary": "receptive_fields",
    "StimulusSet": "evaluation",
    "structure_velocity": "deepvis",
    "xt_slice": "deepvis",
}


__all__ = [
    "CRITICAL_THRESHOLD",
    "DissectionError",
    "StimulusSet",
    "ablated_lesions",
    "ablation_search",
    "accuracy_by_s",
    "bipolar_amacrine_units",
    "critical_mask",
    "critical_types",
    "decisions",
    "direction_protocol",
    "evaluation_set",
    "gradient_receptive_fields",
    "initial_kernel_correlation",
    "kernel_receptive_fields",
    "lesion_effects_by_s",
    "lesion_scan",
    "map_receptive_fields",
    "maximise_activation",
    "maximise_moving_pattern",
    "motion_index",
    "psychometric_curve",
    "receptive_field_summary",
    "structure_velocity",
    "xt_slice",
]


def __getattr__(name: str) -> Any:
    """Import the module of a public name on first use (``import retinasim.dissect.config``
    stays light: the command line reads the analysis settings without torch)."""
    module = _LOCATIONS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LOCATIONS})
