"""Compare circuits: train each with several seeds, evaluate, dissect lightly, report.

Public API: :func:`compare` (the whole pipeline, ``retinasim compare``),
:func:`~retinasim.compare.dissect.light_dissection` (one run),
:func:`~retinasim.compare.report.write_report`,
:func:`~retinasim.compare.dataset.comparison_dataset` (the report's Dataset,
``comparison.nc``) and the population statistics of :mod:`retinasim.compare.population`
(:func:`wilson_interval`, :func:`~retinasim.compare.population.emergence`, ...).
See ``docs/compare.md``.
"""

from __future__ import annotations

from retinasim.compare.settings import CompareSettings, RunSettings
from retinasim.util.lazy import lazy_exports

__all__ = ["CompareSettings", "RunJob", "RunSettings", "compare", "labels_for", "wilson_interval"]
__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "RunJob": "runs",
        "compare": "pipeline",
        "labels_for": "pipeline",
        "wilson_interval": "population",
    },
)
