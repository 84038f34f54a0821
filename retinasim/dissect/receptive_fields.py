"""Receptive fields of a trained circuit mapped with white noise, as a physiologist maps them.

A layer repeats one unit per cell type over its map, so a type's spike-triggered average is
measured over every unit of its map at once, each aligned on its own receptive field
(:func:`pixel_geometry`):

``sta[c, k, dy, dx] = Σ (r[b, c, t, i, j] - r̄_c) (s[b, t - k, y0 + S i + dy, x0 + S j + dx]
- m) / (N σ_c)``

over trials ``b``, frames ``t ≥ lags - 1`` and the units ``(i, j)`` whose window lies inside
the screen; ``m`` is the noise's mean luminance, ``r̄_c`` and ``σ_c`` the response's mean and
standard deviation (:func:`retinasim.analysis.spike_triggered_average`'s centred convention).
:func:`kernel_receptive_fields` reads an input-fed layer's field off its weights instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
import xarray as xr

from retinasim.analysis.kernels import spatial_kernels, temporal_kernels
from retinasim.analysis.labels import labelled
from retinasim.analysis.receptive_fields import receptive_field
from retinasim.dissect.errors import DissectionError
from retinasim.dissect.evaluation import evaluating
from retinasim.util.progress import Progress, as_task

if TYPE_CHECKING:
    from retinasim.circuit import Circuit
    from retinasim.spec import CircuitSpec


@dataclass(frozen=True)
class AxisGeometry:
    """Where the units of a layer look along one screen axis, in input pixels.

    Unit ``i``'s receptive field covers pixels ``start + stride * i`` to
    ``start + stride * i + extent - 1`` (``start`` is negative where zero padding lets edge
    units look past the screen).
    """

    stride: int
    start: int
    extent: int


def pixel_geometry(spec: CircuitSpec, layer: str) -> tuple[AxisGeometry, AxisGeometry]:
    """``(rows, columns)`` geometry of ``layer``'s receptive fields, composed along every
    path of undelayed connections from the input (the union of the paths' fields; feedback
    and lateral connections, which are delayed, can widen a field over time: the STA's flat
    margin is the check).

    Raises
    ------
    DissectionError
        When two paths into a layer have different strides (no common grid of units).
    """
    known: dict[str, tuple[AxisGeometry, AxisGeometry]] = {
        "input": (AxisGeometry(1, 0, 1), AxisGeometry(1, 0, 1))
    }

    def geometry(name: str) -> tuple[AxisGeometry, AxisGeometry]:
        if name in known:
            return known[name]
        incoming = [c for c in spec.connections if c.target == name and c.delay == 0]
        if not incoming:
            raise DissectionError(f"layer {name!r} is not reached from the input")
        if any(c.upsample != (1, 1) for c in incoming):
            raise DissectionError(f"an upsampled connection into {name!r}: no pixel grid")
        axes = []
        for axis in (0, 1):
            fields = []
            for connection in incoming:
                source = geometry(connection.source)[axis]
                stride = source.stride * connection.stride[axis]
                start = source.start - source.stride * connection.padding[axis]
                extent = source.extent + (connection.kernel[axis] - 1) * source.stride
                fields.append((stride, start, start + extent))
            strides = {f[0] for f in fields}
            if len(strides) > 1:
                raise DissectionError(
                    f"the paths into {name!r} have different strides {sorted(strides)}: its "
                    "units have no common receptive-field grid"
                )
            start, end = min(f[1] for f in fields), max(f[2] for f in fields)
            axes.append(AxisGeometry(strides.pop(), start, end - start))
        known[name] = (axes[0], axes[1])
        return known[name]

    if layer not in {layer.name for layer in spec.layers}:
        raise DissectionError(f"no layer {layer!r} in circuit {spec.name!r}")
    return geometry(layer)


#: Mean luminances tried by the operating-point search (binary noise at the largest contrast
#: each allows: 0/0.2, 0/0.6, 0/1, 0.4/1, 0.8/1).
OPERATING_LEVELS = (0.1, 0.3, 0.5, 0.7, 0.9)


def map_receptive_fields(
    circuit: Circuit,
    layer: str | None = None,
    *,
    trials: int = 16,
    seed: int = 0,
    lags: int | None = None,
    margin: int = 2,
    batch_size: int = 4,
    noise: dict[str, Any] | None = None,
    pilot_trials: int = 2,
    min_active: float = 0.005,
    device: str | torch.device | None = None,
    progress: Progress | None = None,
) -> xr.Dataset:
    """Spike-triggered averages of every cell type of ``layer`` under white noise.

    A rectified unit that the noise leaves below threshold has no STA, so each type is mapped
    at its own *operating point*: unless ``noise`` sets ``mean_luminance``, pilots of
    ``pilot_trials`` videos at each of :data:`OPERATING_LEVELS` pick, per type, the level
    where its response varies most.

    Parameters
    ----------
    layer
        Layer to map; default: the first layer the input drives (the bipolar cells).
    trials, pilot_trials, batch_size
        White-noise videos per operating point (from ``seed``), per level of the
        operating-point search, and per forward pass.
    lags
        Lags ``k = 0 .. lags - 1`` in frames; default: the layer's temporal kernel length
        (16 when its cell module has none), at most ``frames``.
    margin
        Pixels kept around each receptive field (they must come out flat: a check).
    noise
        :class:`~retinasim.stimuli.WhiteNoise` parameters; default binary noise of 1-pixel
        stixels at each type's operating point.
    min_active
        Share of responses above zero under which a type counts as silent.
    device
        Where the circuit runs (default: where its parameters are).
    progress
        Told the videos run at each operating point (task ``white noise at LEVEL``).

    Returns
    -------
    xarray.Dataset
        ``sta (cell_type, lag, pixel_y, pixel_x)``: contrast per response standard deviation,
        ``pixel_y``/``pixel_x`` in input pixels from the receptive field's first pixel;
        ``mean_luminance (cell_type)``: the noise each type was mapped at;
        ``active_fraction (cell_type)``: share of its responses above zero (a silent type has
        a NaN STA and profiles); :func:`~retinasim.analysis.receptive_field`'s profiles,
        centre and indices. Attributes: layer, units, trials, seed, noise.
    """
    spec = circuit.spec
    layer = layer or _input_layer(spec)
    if trials < 1 or batch_size < 1 or pilot_trials < 1 or margin < 0:
        raise DissectionError(
            "trials, pilot_trials and batch_size must be at least 1, margin at least 0"
        )
    mapping = _Mapping(circuit, layer, lags, margin, batch_size, device)
    settings = {"distribution": "binary", "pixel_size": 1, **(noise or {})}
    pilots: dict[float, _Sums] = {}  # level -> the sums of its first pilot_trials videos
    if "mean_luminance" in settings:
        if not 0 < float(settings["mean_luminance"]) < 1:  # noise needs room above and below
            raise DissectionError(
                f"the noise's mean luminance must be between 0 and 1, got "
                f"{settings['mean_luminance']}"
            )
        levels = np.full(mapping.n_types, float(settings["mean_luminance"]))
    else:
        pilots = {
            level: mapping.run(_at_level(settings, level), pilot_trials, seed)
            for level in OPERATING_LEVELS
        }
        spread = np.stack([pilot.std() for pilot in pilots.values()])
        levels = np.asarray(OPERATING_LEVELS)[spread.argmax(axis=0)]
    sta = np.full((mapping.n_types, mapping.lags, *mapping.window), np.nan)
    active = np.zeros(mapping.n_types)
    for level in np.unique(levels):
        chosen = levels == level
        pilot = pilots.get(float(level)) if pilot_trials <= trials else None
        task = as_task(progress, f"white noise at {float(level):g}")
        sums = mapping.run(_at_level(settings, float(level)), trials, seed, pilot, task)
        sta[chosen], active[chosen] = sums.sta()[chosen], (sums.active / sums.count)[chosen]
    sta[active < min_active] = np.nan
    array = mapping.label(sta)
    result = receptive_field(array.fillna(0.0))
    result = result.where(xr.DataArray(active >= min_active, dims="cell_type"))
    result["sta"] = array
    result["mean_luminance"] = labelled(
        xr.DataArray(levels, dims="cell_type"), "noise mean luminance", "1"
    )
    result["active_fraction"] = labelled(
        xr.DataArray(active, dims="cell_type"), "share of responses > 0", "1"
    )
    result.attrs = {
        "layer": layer,
        "units": mapping.units,
        "trials": trials,
        "seed": seed,
        "margin": margin,
        "noise": str(settings),
        "method": "population spike-triggered average (every unit of the map, aligned)",
    }
    return result


def _at_level(settings: dict[str, Any], mean: float) -> dict[str, Any]:
    """Binary noise at mean luminance ``mean`` with the largest contrast it allows."""
    contrast = settings.get("contrast")
    if contrast is None and settings.get("distribution", "binary") == "binary":
        contrast = min(1.0, (1.0 - mean) / mean)
    return {**settings, "mean_luminance": mean, "contrast": contrast}


class _Mapping:
    """One layer's units, window and crop, and the white-noise runs that measure them."""

    def __init__(self, circuit, layer: str, lags: int | None, margin: int, batch_size, device):
        spec = circuit.spec
        self.circuit, self.layer, self.batch_size = circuit, layer, batch_size
        self.rows, self.columns = pixel_geometry(spec, layer)
        self.n_types, self.frames, height, width = circuit.layer_shapes[layer]
        self.screen = tuple(spec.input.size)
        kernel = temporal_kernels(circuit).get(layer)
        self.lags = min(lags or (16 if kernel is None else kernel.sizes["lag"]), self.frames)
        self.margin = margin
        self.units_y, crop_y = _on_screen(self.rows, height, self.screen[0], margin)
        self.units_x, crop_x = _on_screen(self.columns, width, self.screen[1], margin)
        self.crop = (crop_y, crop_x)
        self.units = (self.units_y.stop - self.units_y.start) * (
            self.units_x.stop - self.units_x.start
        )
        self.window = (self.rows.extent + 2 * margin, self.columns.extent + 2 * margin)
        self.device = torch.device(device) if device else next(circuit.parameters()).device

    def run(
        self,
        settings: dict[str, Any],
        trials: int,
        seed: int,
        sums: _Sums | None = None,
        progress: Progress | None = None,
    ) -> _Sums:
        """The sums of white-noise videos ``0 .. trials - 1`` of ``settings`` (set ``seed``);
        given ``sums`` of the first ``sums.videos`` of them (a pilot), it goes on from there.
        ``progress`` is told the videos done."""
        from retinasim.stimuli.noise import WhiteNoise

        circuit, spec = self.circuit, self.circuit.spec
        generator = WhiteNoise(
            height=self.screen[0],
            width=self.screen[1],
            frames=self.frames,
            frame_rate_hz=float(spec.input.frame_rate),
            **settings,
        )
        sums = sums or _Sums(self.n_types, self.lags, self.window)
        strides = (self.rows.stride, self.columns.stride)
        with evaluating(circuit), torch.no_grad():
            for first in range(sums.videos, trials, self.batch_size):
                if progress is not None:
                    progress("white noise", first, trials)
                count = min(self.batch_size, trials - first)
                video = generator.generate_range(first, count, seed=seed).video.to(self.device)
                output = circuit.run(video, layers=[self.layer]).activity[self.layer]
                response = output[:, :, self.lags - 1 :, self.units_y, self.units_x]
                contrast = video[:, 0, :, self.crop[0], self.crop[1]] - generator.mean_luminance
                sums.add(response, contrast, strides)
                sums.videos += count
        if progress is not None:
            progress("white noise", sums.videos, trials)
        return sums

    def label(self, sta: np.ndarray) -> xr.DataArray:
        """``sta (cell_type, lag, pixel_y, pixel_x)`` as a labeled array."""
        rate = float(self.circuit.spec.input.frame_rate)
        names = np.array(self.circuit.type_names[self.layer], dtype=object)
        lags, margin = np.arange(self.lags), self.margin
        array = xr.DataArray(
            sta,
            dims=("cell_type", "lag", "pixel_y", "pixel_x"),
            coords={
                "cell_type": ("cell_type", names, {"long_name": "cell type"}),
                "lag": ("lag", lags, {"long_name": "lag", "units": "frame"}),
                "lag_s": ("lag", lags / rate, {"long_name": "lag", "units": "s"}),
                "pixel_y": ("pixel_y", np.arange(self.window[0]) - margin, _pixel("row")),
                "pixel_x": ("pixel_x", np.arange(self.window[1]) - margin, _pixel("column")),
            },
        )
        return labelled(array, "spike-triggered average contrast", "1", frame_rate_hz=rate)


def kernel_receptive_fields(
    circuit: Circuit, layer: str | None = None, *, margin: int = 2
) -> xr.Dataset:
    """The space–time kernel ``temporal ⊗ spatial`` of an input-fed layer's cell types, read
    off the weights, laid out like :func:`map_receptive_fields`'s ``sta`` (same pixel and lag
    coordinates) and summarised by :func:`~retinasim.analysis.receptive_field`.

    Raises
    ------
    DissectionError
        When ``layer`` has inputs other than one input connection or no temporal kernel.
    """
    spec = circuit.spec
    layer = layer or _input_layer(spec)
    incoming = [c for c in spec.connections if c.target == layer]
    temporal = temporal_kernels(circuit).get(layer)
    if [c.source for c in incoming] != ["input"] or temporal is None:
        raise DissectionError(
            f"{layer!r} is not a layer fed by the input alone with a temporal kernel: its "
            "receptive field is not a product of its weights (map it with white noise)"
        )
    spatial = spatial_kernels(circuit, signed=True)[f"input->{layer}"].sum("source_type")
    spatial = spatial.rename(target_type="cell_type", ky="pixel_y", kx="pixel_x")
    spatial = spatial.reset_coords(drop=True).pad(
        pixel_y=margin, pixel_x=margin, constant_values=0.0
    )
    ky, kx = spatial.sizes["pixel_y"], spatial.sizes["pixel_x"]
    spatial = spatial.assign_coords(
        cell_type=temporal.cell_type.values,
        pixel_y=("pixel_y", np.arange(ky) - margin, _pixel("row")),
        pixel_x=("pixel_x", np.arange(kx) - margin, _pixel("column")),
    )
    kernel = temporal.reset_coords(drop=True) * spatial
    kernel = kernel.transpose("cell_type", "lag", "pixel_y", "pixel_x")
    kernel = labelled(kernel, "space-time kernel", "a.u.")
    result = receptive_field(kernel)
    result["kernel"] = kernel
    result.attrs = {"layer": layer, "margin": margin, "method": "weights"}
    return result


KERNEL_VARIABLES = "spatial centre_surround_index surround_index surround_coverage surround_p_value"


def receptive_field_summary(
    circuit: Circuit, layer: str | None = None, **options: Any
) -> xr.Dataset:
    """:func:`map_receptive_fields` of ``layer``, with the weights' answer beside it where
    the layer is fed by the input alone: ``kernel_<name>`` for each of
    :data:`KERNEL_VARIABLES`, and ``sta_kernel_correlation (cell_type)`` (Pearson r of STA
    and kernel over lags and pixels; near 1 = the noise measured the unit's linear field).
    ``options`` go to :func:`map_receptive_fields`."""
    fields = map_receptive_fields(circuit, layer, **options)
    try:
        weights = kernel_receptive_fields(
            circuit, fields.attrs["layer"], margin=fields.attrs["margin"]
        )
    except DissectionError:
        return fields
    kernel = weights.kernel.isel(lag=slice(0, fields.sizes["lag"]))
    for name in KERNEL_VARIABLES.split():
        fields[f"kernel_{name}"] = weights[name].assign_attrs(
            long_name=f"{weights[name].attrs.get('long_name', name)} (weights)"
        )
    correlation = _row_correlation(fields.sta.values, kernel.values)
    fields["sta_kernel_correlation"] = labelled(
        xr.DataArray(correlation, dims="cell_type"), "correlation of STA and kernel", "1"
    )
    return fields


def initial_kernel_correlation(
    circuit: Circuit, spec: CircuitSpec, layer: str | None = None
) -> xr.DataArray:
    """How far training moved each type's input kernel: Pearson r ``(cell_type)`` between
    the trained spatial kernel of the input connection into ``layer`` and the one the
    circuit was compiled with (``spec.training.seed``; the data-dependent initialisation only
    rescales it per type, which r ignores). Near 1: the spatial kernel is still its random
    initialisation.
    """
    from retinasim.compile import compile_circuit

    layer = layer or _input_layer(spec)
    key = f"input->{layer}"
    if key not in circuit.connections:
        raise DissectionError(f"no connection {key!r} in circuit {spec.name!r}")
    fresh = compile_circuit(spec, seed=spec.training.seed)
    trained = circuit.connection(key).weight.detach().double().cpu().numpy()
    initial = fresh.connection(key).weight.detach().double().numpy()
    correlation = _row_correlation(trained, initial)
    names = np.array(circuit.type_names[layer], dtype=object)
    return labelled(
        xr.DataArray(correlation, dims="cell_type", coords={"cell_type": names}),
        "correlation of the trained and the initial input kernel",
        "1",
    )


class _Sums:
    """Running sums of the population STA over batches (float64)."""

    def __init__(self, n_types: int, lags: int, window: tuple[int, int]):
        self.shape = (n_types, lags, *window)
        self.cross = torch.zeros(self.shape, dtype=torch.float64)
        self.stimulus = torch.zeros((lags, *window), dtype=torch.float64)
        self.total = torch.zeros(n_types, dtype=torch.float64)
        self.square = torch.zeros(n_types, dtype=torch.float64)
        self.active = np.zeros(n_types)
        self.count = 0  # responses summed per type
        self.videos = 0  # white-noise videos they came from

    def add(self, response: torch.Tensor, contrast: torch.Tensor, strides: tuple[int, int]) -> None:
        """``response (b, c, t', ny, nx)`` (frames ``t ≥ lags - 1``), ``contrast (b, t,
        crop_y, crop_x)``: their correlation at every lag and window pixel, summed."""
        lags, (height, width) = self.shape[1], self.shape[2:]
        n_types, ny, nx = response.shape[1], response.shape[3], response.shape[4]
        weights = response.permute(1, 0, 2, 3, 4).reshape(n_types, -1)  # (c, b t' ny nx)
        for dy in range(height):
            for dx in range(width):
                shifted = contrast[:, :, dy :: strides[0], dx :: strides[1]][:, :, :ny, :nx]
                # windows[b, t', i, j, τ] = contrast at frame t' + τ = t - (lags - 1 - τ)
                windows = shifted.unfold(1, lags, 1).reshape(-1, lags)
                self.cross[:, :, dy, dx] += (weights @ windows).double().cpu()
                self.stimulus[:, dy, dx] += windows.sum(0).double().cpu()
        self.total += weights.sum(1).double().cpu()
        self.square += (weights.double() ** 2).sum(1).cpu()
        self.active += (weights > 0).sum(1).cpu().numpy()
        self.count += weights.shape[1]

    def std(self) -> np.ndarray:
        """``(cell_type,)``: the responses' standard deviation."""
        mean = self.total / self.count
        return (self.square / self.count - mean**2).clamp_min(0).sqrt().numpy()

    def sta(self) -> np.ndarray:
        """``(cell_type, lag, pixel_y, pixel_x)``: lag 0 = the response's own frame."""
        mean = self.total / self.count
        std = torch.from_numpy(self.std())
        centred = self.cross - mean[:, None, None, None] * self.stimulus
        sta = centred / (self.count * std[:, None, None, None])
        sta[std == 0] = float("nan")
        return sta.flip(1).numpy()  # window index τ is lag lags - 1 - τ (see add)


def _on_screen(axis: AxisGeometry, units: int, screen: int, margin: int) -> tuple[slice, slice]:
    """The units whose field plus ``margin`` lies on the screen (a slice of the map), and the
    screen pixels their windows cover."""
    first = max(0, -((axis.start - margin) // axis.stride))
    last = min(units - 1, (screen - axis.extent - margin - axis.start) // axis.stride)
    if last < first:
        raise DissectionError(
            f"no unit's receptive field ({axis.extent} px + {margin} px margin) lies inside "
            f"the {screen}-pixel screen"
        )
    origin, window = axis.start - margin, axis.extent + 2 * margin
    crop = slice(origin + axis.stride * first, origin + axis.stride * last + window)
    return slice(first, last + 1), crop


def _input_layer(spec) -> str:
    """The first layer the input drives (the bipolar cells of murray2021)."""
    return next(c.target for c in spec.connections if c.source == "input")


def _row_correlation(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Pearson r of ``first[i]`` and ``second[i]`` (each flattened) for every ``i``; NaN
    where either is constant or ``first[i]`` has NaN."""
    correlation = np.full(first.shape[0], np.nan)
    for index, (a, b) in enumerate(zip(first, second, strict=True)):
        a, b = a.ravel(), b.ravel()
        if np.isfinite(a).all() and a.std() > 0 and b.std() > 0:
            correlation[index] = np.corrcoef(a, b)[0, 1]
    return correlation


def _pixel(name: str) -> dict[str, str]:
    return {"long_name": f"{name} from the receptive field's first pixel", "units": "pixel"}
