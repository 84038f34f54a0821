"""Data-dependent initialisation: every cell type starts with a unit-scale, centred drive.

With PyTorch's default initialisation and the sparse moving-dots stimulus the drives are tiny,
several ganglion types start silent and training sits at chance. Here, layer by layer, the
drive into each cell type is measured on a batch of training stimuli and the connections into
the layer are rescaled per target type to mean 0 and standard deviation ``target_std`` (LSUV,
Mishkin & Matas 2016, per type). Positive factors keep non-negative weights non-negative;
only connection parameters change, so any cell-type plugin works.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING

import torch

from retinasim.circuit.connections import Connection

if TYPE_CHECKING:
    from retinasim.circuit import Circuit

EPSILON = 1e-12
_PROBE_BIAS = 1e6
BIAS_MARGIN = 0.1
"""Added to each cell's bias above the threshold, in units of the filtered drive's standard
deviation: with sparse stimuli many cells sit exactly at the background level (ties at the
threshold), and the margin keeps them just active, so gradients reach them from the start."""


@torch.no_grad()
def normalise_drives(
    circuit: Circuit,
    video: torch.Tensor,
    *,
    target_std: float = 1.0,
    active_fraction: float | None = 0.5,
) -> dict[str, tuple[list[float], list[float]]]:
    """Rescale the connections of ``circuit`` in place so each type's drive is ~N(0, target_std)
    on ``video`` ``(batch, channels, time, height, width)``, the stimuli as the circuit sees
    them; return layer name → ``(mean, std)`` of each type's drive before, two lists.

    ``active_fraction``: for cells with a per-type ``bias`` added before their rectifier (the
    built-in ``spatiotemporal`` cell), also scale the cell's ``weight`` rows so its filtered
    drive has unit standard deviation, and set ``bias`` so this fraction of the type's cells
    are above ``BIAS_MARGIN`` on the batch; ``None`` leaves cell parameters alone.
    """
    was_training = circuit.training
    circuit.eval()
    measured: dict[str, tuple[list[float], list[float]]] = {}
    try:
        for layer in circuit.plan.layers:  # the drive as the cell sees it, stepped or not
            drive = circuit.run(video, layers=(), drives=(layer.name,)).drives[layer.name]
            drive = drive.double()
            flat = drive.transpose(0, 1).flatten(1)  # (types, everything)
            mean, std = flat.mean(1), flat.std(1)
            del flat  # (in-place steps below keep the peak memory to a few copies of the drive)
            measured[layer.name] = (mean.tolist(), std.tolist())
            scale = (target_std / std.clamp_min(EPSILON)).where(std > EPSILON, 1.0)
            incoming = [
                c
                for c in circuit.connections.values()
                if isinstance(c, Connection) and c.plan.target == layer.name
            ]
            shifted = False
            for connection in incoming:
                factor = scale.to(connection.weight.dtype).view(
                    -1, *[1] * (connection.weight.ndim - 1)
                )
                connection.weight.mul_(factor)
                if connection.bias is not None:
                    connection.bias.mul_(scale.to(connection.bias.dtype))
                    if not shifted:
                        connection.bias.sub_((scale * mean).to(connection.bias.dtype))
                        shifted = True
            if active_fraction is not None:
                view = (1, -1, *[1] * (drive.ndim - 2))
                new_drive = drive.sub_(mean.view(view)).mul_(scale.view(view))
                _centre_cell(circuit.cells[layer.name], new_drive, layer.n_types, active_fraction)
            del drive
    finally:
        circuit.train(was_training)
    circuit.project_constraints()
    return measured


def _centre_cell(cell: torch.nn.Module, drive: torch.Tensor, n_types: int, fraction: float) -> None:
    """Scale a cell's per-type ``weight`` and set its ``bias`` (see :func:`normalise_drives`).

    The filtered drive without bias is read by running a float64 copy of the cell with a
    huge bias, so that its rectifier passes everything: ``filtered = output - bias``.
    """
    own = dict(cell.named_parameters(recurse=False))
    bias = own.get("bias")
    if bias is None or tuple(bias.shape) != (n_types,):
        return
    probe = copy.deepcopy(cell).double()
    probe.get_parameter("bias").fill_(_PROBE_BIAS)
    filtered = probe(drive).sub_(_PROBE_BIAS)
    flat = filtered.transpose(0, 1).flatten(1)  # (types, everything)
    del filtered
    weight = own.get("weight")
    if weight is not None and weight.shape[0] == n_types:
        std = flat.std(1)
        scale = (1.0 / std.clamp_min(EPSILON)).where(std > EPSILON, 1.0)
        weight.mul_(scale.to(weight.dtype).view(-1, *[1] * (weight.ndim - 1)))
        flat.mul_(scale[:, None])
    k = min(max(round((1.0 - fraction) * flat.shape[1]), 1), flat.shape[1])
    threshold = flat.kthvalue(k, dim=1).values
    bias.copy_((BIAS_MARGIN - threshold).to(bias.dtype))
