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
:func:`initial_kernel_correlation`, and
(in :mod:`retinasim.dissect.summary`) :func:`cell_type_summary`; :class:`DissectionError`.
See ``docs/dissection.md``.
"""

from retinasim.dissect.ablation import ablated_lesions, ablation_search
from retinasim.dissect.behaviour import accuracy_by_s, psychometric_curve
from retinasim.dissect.deepvis import (
    maximise_activation,
    motion_index,
    structure_velocity,
    xt_slice,
)
from retinasim.dissect.errors import DissectionError
from retinasim.dissect.evaluation import StimulusSet, decisions, evaluation_set
from retinasim.dissect.lesions import (
    CRITICAL_THRESHOLD,
    critical_mask,
    critical_types,
    lesion_effects_by_s,
    lesion_scan,
)
from retinasim.dissect.moving_pattern import maximise_moving_pattern
from retinasim.dissect.receptive_fields import (
    initial_kernel_correlation,
    kernel_receptive_fields,
    map_receptive_fields,
    receptive_field_summary,
)
from retinasim.dissect.units import bipolar_amacrine_units

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
    "evaluation_set",
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
