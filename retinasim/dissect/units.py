"""Bipolar–amacrine units (the paper's Figure 7: pairs, each covering the slow speeds ``s``
from its bipolar type's threshold up): each input-layer type's partner is the inhibitory type
it drives most (the weights), its ``s`` coverage read off the measured response amplitudes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import xarray as xr

from retinasim.analysis.labels import variable
from retinasim.dissect.summary import response_threshold
from retinasim.spec.models import Sign

if TYPE_CHECKING:
    from retinasim.circuit import Circuit
    from retinasim.spec import CircuitSpec


def unit_layers(spec: CircuitSpec) -> tuple[str, str] | None:
    """``(input layer, inhibitory layer it drives)``: bipolar and amacrine in the reference
    circuit; ``None`` when the circuit has no such pair."""
    layers = {layer.name: layer for layer in spec.layers}
    for first in (c.target for c in spec.connections if c.source == "input"):
        for connection in spec.connections:
            target = connection.target
            inhibitory = layers[target].sign is Sign.inhibitory
            if connection.source == first and inhibitory and target != spec.readout.layer:
                return first, target
    return None


def bipolar_amacrine_units(circuit: Circuit, amplitude: xr.DataArray) -> xr.Dataset | None:
    """The units of a trained circuit (module docstring), given the mean response
    ``amplitude (s, cell_type)`` of every type (:func:`retinasim.dissect.summary.amplitude_by_s`).

    Returns ``weight (source_type, target_type)``: summed spatial weight of each connection
    (a.u.); ``partner (source_type)``: the target type each source type drives most;
    ``threshold_s (source_type)``: where the source type starts to respond (pixels/frame);
    ``coverage (source_type, s)``: the source type's amplitude scaled to [0, 1] over the ``s``
    grid. ``None`` when the circuit has no input-layer → inhibitory-layer pair.
    """
    from retinasim.analysis import spatial_kernels

    layers = unit_layers(circuit.spec)
    if layers is None:
        return None
    source, target = layers
    kernel = spatial_kernels(circuit)[f"{source}->{target}"]
    weight = abs(kernel).sum(("ky", "kx")).transpose("source_type", "target_type")
    sources = [str(name) for name in weight["source_type"].values]
    targets = [str(name) for name in weight["target_type"].values]
    own = amplitude.sel(cell_type=sources)
    low, high = own.min("s"), own.max("s")
    coverage = ((own - low) / (high - low).where(high > low)).fillna(0.0)
    return xr.Dataset(
        {
            "weight": variable(
                ("source_type", "target_type"), weight.values, f"summed {source}→{target} weight"
            ),
            "partner": (
                "source_type",
                np.array([targets[k] for k in weight.values.argmax(1)], dtype=object),
                {"long_name": f"{target} type driven most"},
            ),
            "threshold_s": variable(
                "source_type", response_threshold(own).values, "response threshold", "pixels/frame"
            ),
            "coverage": (
                ("source_type", "s"),
                coverage.transpose("cell_type", "s").values,
                {"long_name": "response amplitude, scaled to [0, 1]", "units": "1"},
            ),
        },
        coords={"source_type": sources, "target_type": targets, "s": amplitude["s"].values},
        attrs={"source_layer": source, "target_layer": target},
    )
