"""Receptive fields from white noise: response-weighted (spike-triggered) averages and profiles.

``sta[c, k, py, px] = Σ_{trial, t} w[trial, c, t] (s[trial, t - k, py, px] - s̄) / Σ w``, the
mean stimulus contrast ``k`` frames before the response of cell type ``c`` (one unit: record
with a ``centre`` or ``pos=Y,X`` probe), weighted by the response. By default the weights are
the response's deviations from its mean, ``w = r - r̄``, normalised by ``N σ_r`` (contrast per
standard deviation of response), and only responses at frames ``t ≥ lags - 1`` count. For a
linear–rectified unit under white noise, lag ``k`` matches tap ``k`` of its causal kernel.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import xarray as xr

from retinasim.analysis.amplitude import is_spatial
from retinasim.analysis.labels import labelled, require_dims, variable
from retinasim.recording.errors import AnalysisError
from retinasim.stimuli import StimulusBatch


def stimulus_array(batch: StimulusBatch) -> xr.DataArray:
    """A stimulus batch as ``(trial, frame, pixel_y, pixel_x)`` luminance, trials 0..n-1."""
    video = batch.video[:, 0].detach().float().cpu().numpy()
    rate = float(batch.attrs.get("frame_rate_hz", 30.0))
    frames = np.arange(video.shape[1])
    coords = {
        "trial": np.arange(video.shape[0]),
        "frame": variable("frame", frames, "frame", "1"),
        "time": variable("frame", frames / rate, "time", "s"),
        "pixel_y": variable("pixel_y", np.arange(video.shape[2]), "row", "pixel"),
        "pixel_x": variable("pixel_x", np.arange(video.shape[3]), "column", "pixel"),
    }
    array = xr.DataArray(video, dims=("trial", "frame", "pixel_y", "pixel_x"), coords=coords)
    return labelled(array, "luminance", "1", frame_rate_hz=rate)


def spike_triggered_average(
    stimulus: xr.DataArray, response: xr.DataArray, *, lags: int, centred: bool = True
) -> xr.DataArray:
    """Response-weighted average of the stimulus contrast at lags ``k = 0 .. lags - 1`` frames
    before each response: ``(..., cell_type, lag, pixel_y, pixel_x)``, luminance minus its mean.

    ``stimulus (trial, frame, pixel_y, pixel_x)``: luminance (:func:`stimulus_array`);
    ``response (trial, cell_type, frame)``: one unit per cell type, non-negative weights (other
    dimensions, ``seed``, ``lesion``, ..., are kept). ``centred``: weigh by ``r - r̄`` and
    divide by ``N σ_r`` (default); ``False``: weigh by ``r`` and divide by ``Σ r`` (the classic
    spike-triggered average, for spike-like responses).
    """
    require_dims(stimulus, ("trial", "frame", "pixel_y", "pixel_x"), "a spike-triggered average")
    require_dims(response, ("trial", "frame"), "a spike-triggered average")
    extra = [d for d in response.dims if is_spatial(str(d))]
    if extra:
        raise AnalysisError(
            f"the response must be one unit per cell type (trial, cell_type, frame); reduce "
            f"{', '.join(map(str, extra))} first (record with a centre or pos=Y,X probe)"
        )
    if lags < 1:
        raise AnalysisError(f"lags must be at least 1, got {lags}")
    cell_coords = {
        name: coord
        for name, coord in response.coords.items()
        if coord.dims and not {"trial", "frame"} & set(coord.dims)
    }
    weights = response.reset_coords(drop=True)
    weights = weights.isel(frame=weights.frame.values >= weights.frame.values.min() + lags - 1)
    contrast = (stimulus - stimulus.mean()).reset_coords(drop=True)
    if centred:
        weights = weights - weights.mean(dim=["trial", "frame"])
        total = weights.count(dim=["trial", "frame"]) * weights.std(dim=["trial", "frame"])
    else:
        total = weights.sum(dim=["trial", "frame"])
    per_lag = []
    for lag in range(lags):
        earlier = contrast.sel(frame=weights.frame.values - lag).assign_coords(frame=weights.frame)
        per_lag.append(xr.dot(weights, earlier, dim=["trial", "frame"]))
    sta = (xr.concat(per_lag, dim="lag") / total).assign_coords(cell_coords)
    rate = float(stimulus.attrs.get("frame_rate_hz", 30.0))
    sta = sta.assign_coords(
        lag=("lag", np.arange(lags), {"long_name": "lag", "units": "frame"}),
        lag_s=("lag", np.arange(lags) / rate, {"long_name": "lag", "units": "s"}),
    )
    order = [d for d in ("cell_type", "lag", "pixel_y", "pixel_x") if d in sta.dims]
    return labelled(
        sta.transpose(..., *order), "spike-triggered average contrast", "1", frame_rate_hz=rate
    )


def receptive_field(
    sta: xr.DataArray, *, method: Literal["svd", "peak"] = "svd", permutations: int = 200
) -> xr.Dataset:
    """Spatial and temporal profiles, centre and centre–surround index of STAs.

    Parameters
    ----------
    sta
        ``(..., lag, pixel_y, pixel_x)`` (:func:`spike_triggered_average`): one STA per
        cell type, and per index of any other dimension (``seed``, ...), which is kept.
    method
        ``"svd"``: rank-1 fit ``sta ≈ temporal ⊗ spatial`` (first singular vectors);
        ``"peak"``: the frame of largest variance and the time course of the peak pixel.
    permutations
        Shufflings for ``surround_p_value`` (0: NaN).

    Returns
    -------
    xarray.Dataset
        ``spatial (..., pixel_y, pixel_x)`` with its largest-magnitude pixel positive;
        ``temporal (..., lag)`` (sign so that ``temporal ⊗ spatial`` ≈ ``sta``);
        ``centre_y``, ``centre_x`` (pixels: centroid of the pixels above half the peak);
        ``centre_surround_index`` (summed opposite-sign over same-sign weight of the pixels
        above 10% of the peak: any mixed-sign field scores, an edge detector too);
        ``surround_index`` and ``surround_coverage`` (the concentric test: minus the most
        negative mean of a ring of ≥ 8 pixels at radius ≥ 2 px around the centre, over the
        peak; the share of 8 directions in which that ring is antagonistic, 1 = a closed
        annulus); ``surround_p_value`` (the share of ``permutations`` seeded shufflings of
        the spatial profile's pixels whose surround index is at least as large) and
        ``variance_explained`` (of the rank-1 fit).
    """
    require_dims(sta, ("lag", "pixel_y", "pixel_x"), "a receptive field")
    if method not in ("svd", "peak"):
        raise AnalysisError(f"method must be 'svd' or 'peak', not {method!r}")
    if isinstance(permutations, bool) or not isinstance(permutations, int) or permutations < 0:
        raise AnalysisError(f"permutations must be a whole number >= 0, got {permutations!r}")
    rows, columns = np.asarray(sta.pixel_y.values), np.asarray(sta.pixel_x.values)

    def core(values: np.ndarray) -> tuple[np.ndarray, ...]:
        """``values (..., lag, pixel_y, pixel_x)`` → the profiles and indices of each STA."""
        leading = values.shape[:-3]
        lags, height, width = values.shape[-3:]
        matrix = values.reshape(-1, lags, height * width).astype(np.float64)
        spatial, temporal, explained = _rank_one(matrix, method)
        maps = spatial.reshape(-1, height, width)
        centre_y, centre_x, csi = _centre(maps, rows, columns)
        surround, coverage = _surround(maps, centre_y, centre_x, rows, columns)
        p_value = _surround_p_value(maps, surround, rows, columns, permutations)
        scalars = (centre_y, centre_x, csi, surround, coverage, p_value, explained)
        return (
            spatial.reshape(*leading, height, width),
            temporal.reshape(*leading, lags),
            *(v.reshape(leading) for v in scalars),
        )

    bare = sta.drop_vars([c for c in sta.coords if c not in sta.dims]).compute()  # small
    outputs = xr.apply_ufunc(
        core,
        bare,
        input_core_dims=[["lag", "pixel_y", "pixel_x"]],
        output_core_dims=[["pixel_y", "pixel_x"], ["lag"], [], [], [], [], [], [], []],
    )
    names = [
        ("spatial", "spatial profile", "1"),
        ("temporal", "temporal profile", "1"),
        ("centre_y", "RF centre row", "pixel"),
        ("centre_x", "RF centre column", "pixel"),
        ("centre_surround_index", "centre-surround index", "1"),
        ("surround_index", "antagonistic surround ring over the peak", "1"),
        ("surround_coverage", "share of directions with an antagonistic surround", "1"),
        ("surround_p_value", "surround index permutation p-value", "1"),
        ("variance_explained", "variance explained by rank-1 fit", "1"),
    ]
    data = {
        name: labelled(output, long_name, units)
        for (name, long_name, units), output in zip(names, outputs, strict=True)
    }
    result = xr.Dataset(data).assign_coords(
        {name: sta.coords[name] for name in sta.coords if name not in data}
    )
    result.attrs["method"] = method
    return result


def _rank_one(matrix: np.ndarray, method: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Spatial ``(n, pixels)`` and temporal ``(n, lags)`` profiles of STAs ``(n, lags,
    pixels)`` (largest-magnitude pixel positive), and the rank-1 fit's variance explained."""
    cells = matrix.shape[0]
    u, s, vh = np.linalg.svd(matrix, full_matrices=False)
    explained = s[:, 0] ** 2 / np.maximum((s**2).sum(axis=1), 1e-300)
    if method == "svd":
        temporal, spatial = u[:, :, 0] * s[:, None, 0], vh[:, 0, :]
    else:
        peak_lag = matrix.var(axis=2).argmax(axis=1)
        spatial = matrix[np.arange(cells), peak_lag]
        peak_pixel = np.abs(spatial).argmax(axis=1)
        temporal = matrix[np.arange(cells), :, peak_pixel] / np.maximum(
            np.abs(spatial[np.arange(cells), peak_pixel])[:, None], 1e-300
        )
    sign = np.sign(spatial[np.arange(cells), np.abs(spatial).argmax(axis=1)])
    sign[sign == 0] = 1.0
    return spatial * sign[:, None], temporal * sign[:, None], explained


def _centre(
    spatial: np.ndarray, rows: np.ndarray, columns: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Centroid of the centre (peak-sign pixels above half the peak) and the CSI."""
    flat = spatial.reshape(spatial.shape[0], -1)
    peak = np.abs(flat).max(axis=1)[:, None, None]
    centre = np.where(spatial >= 0.5 * peak, spatial, 0.0)
    weight = np.maximum(centre.sum(axis=(1, 2)), 1e-300)
    centre_y = (centre.sum(axis=2) * rows[None, :]).sum(axis=1) / weight
    centre_x = (centre.sum(axis=1) * columns[None, :]).sum(axis=1) / weight
    strong = np.abs(spatial) >= 0.1 * peak
    same = np.where(strong & (spatial > 0), spatial, 0.0).sum(axis=(1, 2))
    opposite = np.where(strong & (spatial < 0), -spatial, 0.0).sum(axis=(1, 2))
    return centre_y, centre_x, opposite / np.maximum(same, 1e-300)


def radial_profile(
    spatial: np.ndarray, centre_y: float, centre_x: float, rows: np.ndarray, columns: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Mean of a spatial profile ``(pixel_y, pixel_x)`` on rings of 1 pixel around its
    centre: ``(radius, mean)``, radius in pixels (rounded distance to the centre)."""
    _, counts, means = _rings(spatial, centre_y, centre_x, rows, columns)
    radius = np.nonzero(counts)[0]
    return radius, means[radius]


def _rings(
    spatial: np.ndarray, centre_y: float, centre_x: float, rows: np.ndarray, columns: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``ring (pixel_y, pixel_x)`` (rounded distance to the centre, pixels), and per ring
    radius its pixel count and mean (0 where empty)."""
    ring = np.rint(np.hypot(rows[:, None] - centre_y, columns[None, :] - centre_x)).astype(int)
    counts = np.bincount(ring.ravel())
    means = np.bincount(ring.ravel(), weights=spatial.ravel()) / np.maximum(counts, 1)
    return ring, counts, means


RING_PIXELS = 8
"""Fewest pixels of a ring the surround index reads (corner rings of a few pixels would make
it a noisy extreme)."""


def _surround_p_value(
    spatial: np.ndarray, index: np.ndarray, rows: np.ndarray, columns: np.ndarray, count: int
) -> np.ndarray:
    """``(1 + #shufflings with an index >= the profile's) / (1 + count)`` per profile."""
    p_value = np.full(spatial.shape[0], np.nan)
    if count < 1:
        return p_value
    generator = np.random.default_rng(0)
    for n, (profile, observed) in enumerate(zip(spatial, index, strict=True)):
        if not np.isfinite(observed):
            continue
        shuffled = np.stack([generator.permutation(profile.ravel()) for _ in range(count)])
        sign = np.sign(shuffled[np.arange(count), np.abs(shuffled).argmax(axis=1)])
        shuffled = (shuffled * np.where(sign == 0, 1.0, sign)[:, None]).reshape(-1, *profile.shape)
        centre_y, centre_x, _ = _centre(shuffled, rows, columns)
        null, _ = _surround(shuffled, centre_y, centre_x, rows, columns)
        p_value[n] = (1 + np.sum(np.nan_to_num(null, nan=0.0) >= observed)) / (1 + count)
    return p_value


def _surround(
    spatial: np.ndarray,
    centre_y: np.ndarray,
    centre_x: np.ndarray,
    rows: np.ndarray,
    columns: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Per profile ``(n, pixel_y, pixel_x)`` (peak positive): the surround index (minus the
    most negative mean of the rings of at least :data:`RING_PIXELS` pixels at radius ≥ 2 px
    around the centre, over the peak; 0 when no such ring is negative) and the share of the
    8 octants around the centre in which that ring sums negative."""
    index = np.full(spatial.shape[0], np.nan)
    coverage = np.full(spatial.shape[0], np.nan)
    for n, (profile, cy, cx) in enumerate(zip(spatial, centre_y, centre_x, strict=True)):
        peak = profile.max()
        if not np.isfinite(cy) or not np.isfinite(cx) or peak <= 0:
            continue
        ring, counts, means = _rings(profile, cy, cx, rows, columns)
        eligible = np.nonzero((np.arange(counts.size) >= 2) & (counts >= RING_PIXELS))[0]
        if not eligible.size:
            continue
        ring_radius = eligible[means[eligible].argmin()]
        index[n] = max(0.0, -means[ring_radius]) / peak
        band = ring == ring_radius
        angle = np.arctan2(rows[:, None] - cy, columns[None, :] - cx)
        octant = np.floor((angle + np.pi) / (np.pi / 4)).astype(int) % 8
        sums = np.bincount(octant[band], weights=profile[band], minlength=8)
        present = np.bincount(octant[band], minlength=8) > 0
        coverage[n] = (sums[present] < 0).mean() if index[n] > 0 else 0.0
    return index, coverage
