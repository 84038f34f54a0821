"""Sizes of the analysis part of ``retinasim run`` / ``retinasim analyze``.

The defaults keep the whole analysis of the full reference model to a few minutes on two CPU
cores; the authors' sizes: 100 test stimuli per alpha, alpha 0 to 4 in steps of 0.1, 34 slow
speeds, lesions at alpha 2, ablated combinations kept above 0.90, 5000 deep-visualization
iterations.
"""

from __future__ import annotations

from typing import Annotated, ClassVar

import numpy as np
from pydantic import Field, model_validator

from retinasim.dissect.errors import DissectionError
from retinasim.util.settings import MAX_COUNT, Settings

Count = Annotated[int, Field(ge=1, le=MAX_COUNT)]

CRITICAL_THRESHOLD = 0.95
"""The paper's bar for a critical type: lesioned, the model keeps less than 95% of its
accuracy (:func:`retinasim.dissect.lesions.critical_mask`)."""


MAX_ALPHAS = 1000
"""The most points of the psychometric alpha grid."""


class AnalysisConfig(Settings):
    """How large each analysis is (``retinasim run`` and ``analyze`` take every field as an
    option: ``n_stimuli`` is ``--n-stimuli``)."""

    error_type: ClassVar[type[DissectionError]] = DissectionError

    n_stimuli: Count = Field(
        128, description="Test stimuli per alpha for the psychometric curve and lesions."
    )
    alpha_max: float = Field(
        4.0, gt=0, le=100, description="Largest alpha of the psychometric grid."
    )
    alpha_step: float = Field(
        0.5, gt=0, description="Step of the psychometric alpha grid (0 .. alpha-max)."
    )
    n_s: Count = Field(6, description="Slow speeds s spanning the training s_range.")
    n_per_s: Count = Field(24, description="Test stimuli per slow speed s.")
    alpha: float = Field(
        2.0, gt=0, le=100, description="Test alpha of the lesion, ablation and s analyses."
    )
    critical_threshold: float = Field(
        CRITICAL_THRESHOLD,
        gt=0,
        le=1,
        description="Critical: lesioned accuracy below this fraction of intact.",
    )
    min_ablation_accuracy: float = Field(
        0.0, ge=0, le=1, description="Ablated combinations below this accuracy are not kept."
    )
    deepvis_iterations: Count = Field(100, description="Adam iterations of deep visualization.")
    n_amplitude: Count = Field(8, description="Stimuli per speed for the response amplitudes.")
    ablation_screen: int = Field(
        0,
        ge=0,
        le=MAX_COUNT,
        description="Screen ablation combinations on this many stimuli (0: no screen).",
    )
    ablation_best: Count = Field(
        8, description="Combinations kept after the screen, tested on every stimulus."
    )

    @model_validator(mode="after")
    def _grid(self) -> AnalysisConfig:
        if self.alpha_step > self.alpha_max:
            raise ValueError(
                f"need alpha_step <= alpha_max, got {self.alpha_step} and {self.alpha_max}"
            )
        if self.alpha_max / self.alpha_step > MAX_ALPHAS:
            raise ValueError(
                f"the alpha grid 0 .. {self.alpha_max} in steps of {self.alpha_step} has more "
                f"than {MAX_ALPHAS} points; use a larger alpha_step"
            )
        return self

    @property
    def alphas(self) -> list[float]:
        """The psychometric grid (always holds 1, chance)."""
        grid = np.arange(0.0, self.alpha_max + 1e-9, self.alpha_step)
        return sorted({round(float(a), 4) for a in grid} | {1.0})

    def s_values(self, s_range: tuple[float, float]) -> list[float]:
        """``n_s`` slow speeds spanning ``s_range`` (pixels/frame)."""
        return [round(float(s), 4) for s in np.linspace(*s_range, self.n_s)]
