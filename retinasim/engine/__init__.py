"""The evaluation engine: a circuit's decisions on fixed stimulus sets, under many lesions.

Every accuracy that retinasim reports goes through :class:`Engine` — validation during
training, ``retinasim evaluate``, the dissection's psychometric curves, lesion scans and
ablation search, and ``retinasim compare``.
"""

from retinasim.engine.engine import Engine, EngineResult, Lesions, decision_logits
from retinasim.engine.stimulus_set import Condition, StimulusSet, moving_dots_set

__all__ = [
    "Condition",
    "Engine",
    "EngineResult",
    "Lesions",
    "StimulusSet",
    "decision_logits",
    "moving_dots_set",
]
