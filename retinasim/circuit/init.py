"""Initial parameters of a compiled circuit: the one place to change how a circuit starts.

PyTorch's defaults, as in the authors' code: connection weights and biases U(±1/√fan_in)
(``Conv2d``'s, fan_in = source types × kernel area), the decoder U(±1/√(types·y·x))
(``Linear``'s), each cell type's own ``reset_parameters()``; then the sign constraints are
projected, so ``nonnegative`` weights start ≥ 0 (about half at 0).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch

if TYPE_CHECKING:
    from retinasim.circuit.module import Circuit

_SEED_RANGE = 2**62


def initialise(circuit: Circuit, seed: int | None = None) -> int:
    """Draw every parameter of ``circuit`` afresh from ``seed`` (``None``: one drawn from
    PyTorch's global generator) and return the seed. Values are drawn in float32 on the CPU
    and copied in, so one seed gives the same circuit on every device and dtype."""
    if seed is None:
        seed = int(torch.randint(_SEED_RANGE, ()).item())
    generator = torch.Generator().manual_seed(seed)
    for plan in circuit.plan.connections:
        circuit.connection(plan.key).reset_parameters(generator)
    for name in circuit.layer_names:
        cell = circuit.cells[name]
        cell_seed = int(torch.randint(_SEED_RANGE, (), generator=generator).item())
        reset = getattr(cell, "reset_parameters", None)
        if callable(reset):
            devices = sorted(
                {p.device.index or 0 for p in cell.parameters() if p.device.type == "cuda"}
            )
            with torch.random.fork_rng(devices=devices):
                torch.manual_seed(cell_seed)
                reset()
    circuit.readout.reset_parameters(generator)
    circuit.project_constraints()
    return seed
