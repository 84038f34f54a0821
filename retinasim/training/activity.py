"""How active each layer is while it trains: the share of cells above threshold and the mean.

Logged in every ``history.json`` row, they tell a retina gone quiet (no readout cell active:
the loss stays at ln 2 for good; docs/training.md, "Collapse") from a slow plateau.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import torch

if TYPE_CHECKING:
    from retinasim.circuit import Circuit


class ActivityMeter:
    """Counts, per layer, active cells and summed activity over the training passes it is
    told to watch (``with meter.watching(): model(video)``), until :meth:`take`.

    Activity is each cell module's output at the decision frame (``plan.readout_frame``,
    cheap and what the decoder reads), ``(batch, n_types, y, x)``, before dropout, lesions and
    the sign of inhibitory layers.
    """

    def __init__(self, circuit: Circuit) -> None:
        self.layers = [layer.name for layer in circuit.plan.layers]
        self.frame = circuit.plan.readout_frame
        self._sums: dict[str, torch.Tensor] = {}
        self._watching = False
        self._handles = [
            circuit.cells[name].register_forward_hook(functools.partial(self._count, name))
            for name in self.layers
        ]

    def _count(self, name: str, _module: Any, _inputs: Any, output: torch.Tensor) -> None:
        if not self._watching:
            return
        with torch.no_grad():
            output = output[:, :, self.frame]
            cells = torch.tensor(float(output.numel()), dtype=torch.float64, device=output.device)
            counts = torch.stack([(output > 0).sum().double(), output.sum().double(), cells])
            previous = self._sums.get(name)
            self._sums[name] = counts if previous is None else previous + counts

    @contextlib.contextmanager
    def watching(self) -> Iterator[None]:
        """Count the passes run inside this context."""
        self._watching = True
        try:
            yield
        finally:
            self._watching = False

    def totals(self) -> list[float]:
        """Flat ``[active, activity sum, cells]`` per layer since the last :meth:`take`
        (zeros for a layer not yet seen), to be summed over processes."""
        zero = torch.zeros(3, dtype=torch.float64)
        return [float(v) for name in self.layers for v in self._sums.get(name, zero)]

    def take(self, totals: list[float]) -> dict[str, dict[str, float | None]]:
        """``{"active_fraction": {layer: share}, "mean_activity": {layer: mean}}`` of
        ``totals`` (from :meth:`totals`, possibly summed over processes); starts a new window.
        A layer with no cells counted gets ``None``."""
        self._sums.clear()
        active, mean = {}, {}
        for index, name in enumerate(self.layers):
            count_active, total, cells = totals[3 * index : 3 * index + 3]
            active[name] = round(count_active / cells, 6) if cells else None
            mean[name] = round(total / cells, 6) if cells else None
        return {"active_fraction": active, "mean_activity": mean}

    def close(self) -> None:
        """Remove the hooks from the circuit."""
        for handle in self._handles:
            handle.remove()
