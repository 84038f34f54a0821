"""Functional cell types by clustering battery responses (Baden et al. 2016, Nature 529:345).

Each *unit* (one cell type of one run) is described by a vector of *features*, its normalised
responses to a fixed stimulus battery (the chirp, moving bars, ...: the caller concatenates
and normalises them, e.g. each trace scaled to a peak of 1). :func:`fit_clusters`:

1. **Silent units** are set aside: a unit whose feature range (max − min) is at most
   ``silent_threshold`` × the largest range of any unit, or that has a non-finite feature (a
   constant trace normalised by its zero peak), responds to nothing. Silent units form a
   cluster of their own, label :data:`SILENT` (−1); they are never fed to the mixture, so
   they neither crash it (flyvis#6) nor pull a cluster towards zero.
2. **PCA** of the other units (centred, not scaled: the features share one unit, and scaling
   each would inflate the bins where nothing responds) keeps the fewest components that
   explain ``variance`` (default 90%) of the variance, at most ``max_components``.
3. **Gaussian mixtures** (scikit-learn ``GaussianMixture``) with k = 1 ... ``k_max``
   components are fitted in that space; the k with the lowest BIC wins. Covariances are
   diagonal by default, as in Baden et al.: PCA has decorrelated the features, and a full
   covariance has k d (d + 1) / 2 parameters, more than a few hundred units determine.
4. Clusters are numbered 0, 1, ... by decreasing size (ties: by their first unit), so the
   numbering does not depend on the mixture's component order; the same ``seed`` gives the
   same assignment.

The result is a :class:`Clustering`: its ``assignment`` dataset, and the fitted PCA and
mixture, which :meth:`Clustering.predict` uses to place new units (the authors' model, say)
into the same clusters. Nothing is written to disk.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import xarray as xr

from retinasim.analysis.labels import require_dims, variable
from retinasim.recording.errors import AnalysisError

SILENT = -1
"""The cluster label of silent units."""

Covariance = Literal["diag", "full"]


@dataclass(frozen=True)
class Clustering:
    """A fitted clustering: the ``assignment`` (see :func:`fit_clusters`), the PCA and the
    Gaussian mixture fitted to the non-silent units (None when every unit was silent),
    ``labels[c]`` the cluster number of mixture component ``c``, and ``reference_range``, the
    largest feature range at fitting, against which units count as silent."""

    assignment: xr.Dataset
    pca: Any
    mixture: Any
    labels: np.ndarray
    reference_range: float
    silent_threshold: float

    def predict(self, features: xr.DataArray) -> xr.Dataset:
        """Place new units ``features (unit, feature)`` (the same features, in the same order
        and normalisation as at fitting) into the fitted clusters.

        Returns ``cluster (unit)`` (:data:`SILENT` for a silent unit, judged against the
        fitting's largest range) and ``probability (unit)``, the mixture's posterior of that
        cluster (1 for a silent unit), with the units' coordinates.
        """
        values = _values(features)
        fitted = self.assignment["feature"].values
        if values.shape[1] != len(fitted) or (
            "feature" in features.coords and not np.array_equal(features["feature"].values, fitted)
        ):
            raise AnalysisError(
                f"predict needs the {len(fitted)} features the clusters were fitted on, got "
                f"{values.shape[1]}" + ("" if values.shape[1] != len(fitted) else " others")
            )
        silent = _silent(values, self.silent_threshold * self.reference_range)
        cluster = np.full(len(values), SILENT)
        probability = np.ones(len(values))
        if not silent.all():
            if self.mixture is None:
                raise AnalysisError("no clusters to predict into: every fitted unit was silent")
            posterior = self.mixture.predict_proba(self.pca.transform(values[~silent]))
            cluster[~silent] = self.labels[posterior.argmax(axis=1)]
            probability[~silent] = posterior.max(axis=1)
        return _unit_dataset(features, cluster, probability)


def fit_clusters(
    features: xr.DataArray,
    *,
    k_max: int = 10,
    seed: int = 0,
    variance: float = 0.9,
    max_components: int = 10,
    silent_threshold: float = 1e-3,
    covariance: Covariance = "diag",
    n_init: int = 4,
) -> Clustering:
    """Cluster units by their battery responses (see the module's docstring for the method).

    ``features (unit, feature)``: one row per unit (any coordinates along ``unit`` are kept),
    normalised responses, a.u. ``k_max``: most clusters tried (at most the number of
    non-silent units); ``seed``: the mixture's initialisation (k-means, ``n_init`` starts per
    k); ``variance`` in (0, 1]: share of the variance the PCA keeps; ``silent_threshold``: a
    unit is silent when its range is at most this fraction of the largest range.

    Returns a :class:`Clustering` whose ``assignment`` holds ``cluster (unit)`` (0, 1, ... by
    decreasing size; :data:`SILENT` for silent units), ``probability (unit)`` (posterior of
    the assigned cluster; 1 for silent units), ``mean`` and ``spread`` (standard deviation,
    ddof 0) ``(cluster_id, feature)`` of the member units' features, ``size (cluster_id)``;
    the ``cluster_id`` coordinate lists the clusters (−1 first, if any unit is silent), so
    ``assignment.mean.sel(cluster_id=assignment.cluster)`` is each unit's cluster mean;
    attributes ``k`` (chosen; 0 when every unit is silent), ``k_values`` and ``bic`` (per k
    tried), ``n_components`` and ``explained_variance`` of the PCA, ``seed``,
    ``silent_threshold``, ``n_silent``, ``covariance``. Fewer than two non-silent units but
    not none is an :class:`AnalysisError`.
    """
    values = _values(features)
    _check_options(k_max, variance, max_components, silent_threshold, covariance, n_init)
    reference = _reference_range(values)
    silent = _silent(values, silent_threshold * reference)
    active = values[~silent]
    cluster = np.full(len(values), SILENT)
    probability = np.ones(len(values))
    pca = mixture = None
    labels, fit_attrs = np.zeros(0, dtype=int), _fit_attrs([], [], 0, [])
    if len(active) >= 2:
        pca, mixture, fit_attrs = _fit(
            active, k_max, seed, variance, max_components, covariance, n_init
        )
        posterior = mixture.predict_proba(pca.transform(active))
        components = posterior.argmax(axis=1)
        labels = _number_by_size(components, mixture.n_components)
        cluster[~silent] = labels[components]
        probability[~silent] = posterior.max(axis=1)
    elif len(active) == 1:
        raise AnalysisError("only one unit is not silent: fitting clusters needs two or more")
    assignment = _unit_dataset(features, cluster, probability)
    assignment = assignment.merge(_cluster_summary(features, values, cluster))
    assignment.attrs = {
        **fit_attrs,
        "seed": int(seed),
        "silent_threshold": float(silent_threshold),
        "silent_label": SILENT,
        "n_silent": int(silent.sum()),
        "covariance": covariance,
        "variance_kept": float(variance),
    }
    return Clustering(assignment, pca, mixture, labels, reference, float(silent_threshold))


def _values(features: xr.DataArray) -> np.ndarray:
    """``features`` as a float64 ``(unit, feature)`` array, checked."""
    require_dims(features, ("unit", "feature"), "clustering")
    if features.ndim != 2:
        raise AnalysisError(
            f"clustering needs features (unit, feature), got dimensions {features.dims}"
        )
    values = np.asarray(features.transpose("unit", "feature").values, dtype=np.float64)
    if values.shape[0] == 0 or values.shape[1] == 0:
        raise AnalysisError(
            f"clustering needs at least one unit and one feature, got {values.shape}"
        )
    return values


def _check_options(
    k_max: int, variance: float, components: int, threshold: float, covariance: str, n_init: int
) -> None:
    if not (isinstance(k_max, int | np.integer) and k_max >= 1):
        raise AnalysisError(f"k_max must be a whole number >= 1, got {k_max!r}")
    if not 0 < variance <= 1:
        raise AnalysisError(f"variance must lie in (0, 1], got {variance}")
    if not (isinstance(components, int | np.integer) and components >= 1):
        raise AnalysisError(f"max_components must be a whole number >= 1, got {components!r}")
    if not 0 <= threshold < 1:
        raise AnalysisError(f"silent_threshold must lie in [0, 1), got {threshold}")
    if covariance not in ("diag", "full"):
        raise AnalysisError(f"covariance must be 'diag' or 'full', not {covariance!r}")
    if not (isinstance(n_init, int | np.integer) and n_init >= 1):
        raise AnalysisError(f"n_init must be a whole number >= 1, got {n_init!r}")


def _reference_range(values: np.ndarray) -> float:
    """The largest feature range (max − min) of any unit with finite features (0 if none)."""
    finite = np.isfinite(values).all(axis=1)
    if not finite.any():
        return 0.0
    return float(np.ptp(values[finite], axis=1).max())


def _silent(values: np.ndarray, threshold: float) -> np.ndarray:
    """Silent units, ``(unit,)`` bool: a non-finite feature, or a range of at most
    ``threshold``."""
    finite = np.isfinite(values).all(axis=1)
    spread = np.where(finite, np.ptp(np.where(np.isfinite(values), values, 0.0), axis=1), 0.0)
    return ~finite | (spread <= threshold)


def _fit(
    active: np.ndarray,
    k_max: int,
    seed: int,
    variance: float,
    max_components: int,
    covariance: Covariance,
    n_init: int,
) -> tuple[Any, Any, dict[str, Any]]:
    """PCA of ``active (unit, feature)`` and the mixture of the k with the lowest BIC."""
    from sklearn.decomposition import PCA
    from sklearn.mixture import GaussianMixture

    limit = min(max_components, len(active) - 1, active.shape[1])
    full = PCA(n_components=limit, svd_solver="full").fit(active)
    explained = np.cumsum(full.explained_variance_ratio_)
    n_components = min(limit, int(np.searchsorted(explained, variance - 1e-12) + 1))
    pca = PCA(n_components=n_components, svd_solver="full").fit(active)
    reduced = pca.transform(active)
    k_values = list(range(1, min(k_max, len(active)) + 1))
    mixtures = [
        GaussianMixture(k, covariance_type=covariance, n_init=n_init, random_state=seed).fit(
            reduced
        )
        for k in k_values
    ]
    bic = [float(m.bic(reduced)) for m in mixtures]
    best = int(np.argmin(bic))
    ratios = pca.explained_variance_ratio_.tolist()
    return pca, mixtures[best], _fit_attrs(k_values, bic, n_components, ratios)


def _fit_attrs(
    k_values: list[int], bic: list[float], n_components: int, ratios: list[float]
) -> dict[str, Any]:
    k = k_values[int(np.argmin(bic))] if bic else 0
    return {
        "k": k,
        "k_values": k_values,
        "bic": bic,
        "n_components": n_components,
        "explained_variance": float(sum(ratios)),
    }


def _number_by_size(components: np.ndarray, n: int) -> np.ndarray:
    """Cluster number of each mixture component: 0 for the largest, by first unit on ties;
    components that own no unit come last."""
    sizes = np.bincount(components, minlength=n)
    first = np.array(
        [np.flatnonzero(components == c)[0] if sizes[c] else len(components) for c in range(n)]
    )
    order = np.lexsort((first, -sizes))
    labels = np.empty(n, dtype=int)
    labels[order] = np.arange(n)
    return labels


def _unit_dataset(
    features: xr.DataArray, cluster: np.ndarray, probability: np.ndarray
) -> xr.Dataset:
    """``cluster`` and ``probability`` along ``unit``, with ``features``' unit coordinates."""
    coords = {name: coord for name, coord in features.coords.items() if coord.dims == ("unit",)}
    return xr.Dataset(
        {
            "cluster": variable("unit", cluster, f"cluster of each unit ({SILENT}: silent)", "1"),
            "probability": variable(
                "unit", probability, "posterior probability of the assigned cluster", "1"
            ),
        },
        coords=coords,
    )


def _cluster_summary(features: xr.DataArray, values: np.ndarray, cluster: np.ndarray) -> xr.Dataset:
    """Per-cluster ``mean``, ``spread`` ``(cluster, feature)`` (over the members' finite
    values) and ``size (cluster)``."""
    names = np.unique(cluster)  # SILENT (-1) first
    with warnings.catch_warnings():  # a silent cluster may hold NaN rows only
        warnings.simplefilter("ignore", RuntimeWarning)
        mean = np.stack([np.nanmean(values[cluster == c], axis=0) for c in names])
        spread = np.stack([np.nanstd(values[cluster == c], axis=0) for c in names])
    feature = (
        features["feature"].values if "feature" in features.coords else np.arange(values.shape[1])
    )
    units = features.attrs.get("units", "a.u.")
    return xr.Dataset(
        {
            "mean": variable(
                ("cluster_id", "feature"), mean, "mean features of the members", units
            ),
            "spread": variable(
                ("cluster_id", "feature"), spread, "standard deviation of the members", units
            ),
            "size": variable(
                "cluster_id", np.bincount(cluster - SILENT)[names - SILENT], "units", "1"
            ),
        },
        coords={"cluster_id": names, "feature": feature},
    )
