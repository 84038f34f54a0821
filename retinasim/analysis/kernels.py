"""Learned kernels as labeled xarray: every connection's spatial kernel, every layer's
temporal filters.

Spatial: ``(target_type, source_type, ky, kx)`` per connection, as stored (the weights the
sign constraint acts on); ``signed=True`` gives the effective weight onto the targets (an
inhibitory source's kernels negated, as the circuit applies them). Temporal: ``(cell_type,
lag)`` per layer from the cell module's ``weight (n_types, taps)``, the built-in
``spatiotemporal`` convention: tap ``k`` weighs the drive ``k`` frames in the past (lag 0 =
the current frame). Layers whose cell module has no such weight are left out.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import torch
import xarray as xr

from retinasim.analysis.labels import labelled, variable
from retinasim.circuit.connections import Connection

if TYPE_CHECKING:
    from retinasim.circuit import Circuit


def _types(circuit: Circuit, layer: str, dim: str) -> tuple:
    """The coordinate ``dim`` naming ``layer``'s cell types (the input's channels)."""
    if layer in circuit.type_names:
        names = list(circuit.type_names[layer])
    else:
        channels = circuit.plan.input_channels
        names = ["input"] if channels == 1 else [f"input_{c}" for c in range(channels)]
    return dim, np.array(names, dtype=object), {"long_name": f"{layer} cell type"}


def spatial_kernels(circuit: Circuit, *, signed: bool = False) -> dict[str, xr.DataArray]:
    """Spatial kernels of every connection, keyed ``"<source>-><target>"``.

    Returns
    -------
    dict of str to xarray.DataArray
        ``(target_type, source_type, ky, kx)``, ``ky``/``kx`` in pixels of the source map;
        coordinate ``bias (target_type)`` when the connection has one.
    """
    kernels = {}
    for key, connection in circuit.connections.items():
        assert isinstance(connection, Connection)
        plan = connection.plan
        inhibitory = (
            plan.source in circuit.type_names and circuit.plan.layer(plan.source).inhibitory
        )
        weight = connection.weight.detach().float().cpu().numpy()
        if signed and inhibitory:
            weight = -weight
        coords = {
            "target_type": _types(circuit, plan.target, "target_type"),
            "source_type": _types(circuit, plan.source, "source_type"),
            "ky": variable("ky", np.arange(weight.shape[2]), "kernel row", "pixel"),
            "kx": variable("kx", np.arange(weight.shape[3]), "kernel column", "pixel"),
        }
        if connection.bias is not None:
            bias = connection.bias.detach().float().cpu().numpy()
            coords["bias"] = variable("target_type", bias, "bias")
        array = xr.DataArray(
            weight, dims=("target_type", "source_type", "ky", "kx"), coords=coords, name=key
        )
        kernels[key] = labelled(
            array,
            f"{'effective ' if signed else ''}spatial weight {plan.source} → {plan.target}",
            "1",
            source=plan.source,
            target=plan.target,
            stride=list(plan.stride),
            padding=list(plan.padding),
            source_sign=-1 if inhibitory else 1,
            signed=int(signed),
        )
    return kernels


def temporal_kernels(circuit: Circuit) -> dict[str, xr.DataArray]:
    """Temporal filters of every layer whose cell module has ``weight (n_types, taps)`` or
    an ``impulse_response(frames)`` of that shape (the leaky integrator's, over the input's
    frames).

    Returns
    -------
    dict of str to xarray.DataArray
        Layer → ``(cell_type, lag)``; ``lag`` in frames with ``lag_s`` in seconds; coordinate
        ``bias (cell_type)`` when the module has one.
    """
    rate = float(circuit.spec.input.frame_rate)
    kernels = {}
    for layer in circuit.layer_names:
        module = circuit.cells[layer]
        weight = getattr(module, "weight", None)
        if callable(getattr(module, "impulse_response", None)):
            with torch.no_grad():
                weight = module.impulse_response(circuit.plan.frames)
        n_types = len(circuit.type_names[layer])
        if not isinstance(weight, torch.Tensor) or weight.dim() != 2 or weight.shape[0] != n_types:
            continue
        taps = np.arange(weight.shape[1])
        coords = {
            "cell_type": (
                "cell_type",
                np.array(circuit.type_names[layer], dtype=object),
                {"long_name": "cell type"},
            ),
            "lag": variable("lag", taps, "lag", "frame"),
            "lag_s": variable("lag", taps / rate, "lag", "s"),
        }
        bias = getattr(module, "bias", None)
        if isinstance(bias, torch.Tensor) and tuple(bias.shape) == (n_types,):
            coords["bias"] = variable("cell_type", bias.detach().float().cpu().numpy(), "bias")
        array = xr.DataArray(
            weight.detach().float().cpu().numpy(),
            dims=("cell_type", "lag"),
            coords=coords,
            name=layer,
        )
        kernels[layer] = labelled(
            array, f"{layer} temporal filter weight", "1", layer=layer, frame_rate_hz=rate
        )
    return kernels
