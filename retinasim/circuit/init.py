"""Initial parameters of a compiled circuit: the one place to change how a circuit starts.

Defaults follow PyTorch's, as the authors' code did: every connection weight and bias
U(±1/√fan_in) (``Conv2d``'s default, fan_in = source types × kernel area), the decoder
U(±1/√(types·y·x)) (``Linear``'s default), and each cell type's own ``reset_parameters()``
(the built-in cell: U(±1/√kernel), ``Conv3d``'s default for a temporal filter). Then the sign
constraints are projected, so ``nonnegative`` weights start ≥ 0 (about half start at 0).

Known weakness (see ``paper.md``, "Measured while planning"): with these defaults and the
sparse dot stimulus the activity is tiny and several ganglion types are silent; a training
recipe will want to change this function.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch

from retinasim.circuit.connections import Connection

if TYPE_CHECKING:
    from retinasim.circuit.module import Circuit

_SEED_RANGE = 2**62


def initialise(circuit: Circuit, seed: int | None = None) -> int:
    """Draw every parameter of ``circuit`` afresh, reproducibly.

    Values are drawn in float32 on the CPU and copied into the parameters, so one seed gives
    the same circuit on every device and in every dtype (float64: the float32 values, exactly).

    Parameters
    ----------
    circuit
        The compiled circuit, changed in place.
    seed
        Seed of the draw; ``None`` draws one from PyTorch's global generator (so
        ``torch.manual_seed`` makes it reproducible too).

    Returns
    -------
    int
        The seed used.
    """
    if seed is None:
        seed = int(torch.randint(_SEED_RANGE, ()).item())
    generator = torch.Generator().manual_seed(seed)
    for connection in circuit.connections.values():
        assert isinstance(connection, Connection)
        connection.reset_parameters(generator)
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
