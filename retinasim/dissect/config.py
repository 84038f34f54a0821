"""Sizes of the analysis part of ``retinasim run`` / ``retinasim analyze``.

The defaults keep the whole analysis of the full reference model to a few minutes on two CPU
cores; the authors' sizes are in brackets.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from retinasim.dissect.errors import DissectionError


@dataclass(frozen=True)
class AnalysisConfig:
    """How large each analysis is.

    Attributes
    ----------
    n_stimuli
        Test stimuli per alpha for the psychometric curve and for lesions/ablation (100).
    alpha_max, alpha_step
        Psychometric grid 0, step, ..., alpha_max (0 to 4 in steps of 0.1).
    n_s, n_per_s
        Slow speeds spanning the training ``s_range`` and stimuli per speed (34 speeds).
    alpha
        Test ratio of the lesion, ablation and s analyses (2).
    critical_threshold
        A type is critical when lesioning it leaves accuracy below this fraction of intact
        (0.95).
    min_ablation_accuracy
        Ablated combinations below this accuracy are not kept (0.90 in the authors' code).
    deepvis_iterations
        Adam iterations of deep visualization (5000).
    n_amplitude
        Stimuli per speed for the response amplitudes.
    ablation_screen, ablation_best
        Screen every ablation combination on the first ``ablation_screen`` stimuli, then test
        the ``ablation_best`` best on all (0, the default: every combination on all stimuli,
        the whole search; with the engine it costs a few seconds for murray2021).
    """

    n_stimuli: int = 128
    alpha_max: float = 4.0
    alpha_step: float = 0.5
    n_s: int = 6
    n_per_s: int = 24
    alpha: float = 2.0
    critical_threshold: float = 0.95
    min_ablation_accuracy: float = 0.0
    deepvis_iterations: int = 100
    n_amplitude: int = 8
    ablation_screen: int = 0
    ablation_best: int = 8

    def __post_init__(self) -> None:
        counts = ("n_stimuli", "n_s", "n_per_s", "deepvis_iterations", "n_amplitude")
        if self.ablation_screen < 0 or self.ablation_best < 1:
            raise DissectionError("ablation_screen must be >= 0 and ablation_best >= 1")
        for name in counts:
            if getattr(self, name) < 1:
                raise DissectionError(f"{name} must be at least 1, got {getattr(self, name)}")
        if not 0 < self.alpha_step <= self.alpha_max:
            raise DissectionError(
                f"need 0 < alpha_step <= alpha_max, got {self.alpha_step} and {self.alpha_max}"
            )
        if not 0 < self.critical_threshold <= 1:
            raise DissectionError(
                f"critical_threshold must be in (0, 1], got {self.critical_threshold}"
            )

    @property
    def alphas(self) -> list[float]:
        """The psychometric grid (always holds 1, chance)."""
        grid = np.arange(0.0, self.alpha_max + 1e-9, self.alpha_step)
        return sorted({round(float(a), 4) for a in grid} | {1.0})

    def s_values(self, s_range: tuple[float, float]) -> list[float]:
        """``n_s`` slow speeds spanning ``s_range`` (pixels/frame)."""
        return [round(float(s), 4) for s in np.linspace(*s_range, self.n_s)]

    def to_dict(self) -> dict:
        return asdict(self)
