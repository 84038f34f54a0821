"""The straightforward model: one module per cell type, written the way the authors wrote it.

Every cell type of every layer is its own module holding, per incoming connection, a
``Conv3d(source types → 1, kernel (1, k, k))`` and a temporal ``Conv3d(1 → 1, (K, 1, 1))``
applied after ``K - 1`` frames of left zero padding; dropout after each convolution, ReLU,
and ``-ReLU`` for inhibitory layers; one ``Conv3d(types → 1, (1, y, x))`` decoder per class.
Types run one after another in a Python loop and their outputs are concatenated, as in the
authors' ``RetinaModel`` (keith-murray/emergence-retina-cell-types, ``retina_model.py``).

It serves as the baseline of the speed benchmarks and as an independent check of the compiled
circuit: :meth:`ReferenceCircuit.from_circuit` copies a compiled circuit's weights, after which
both compute the same function. Only circuits made of ``spatiotemporal`` cells are supported.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from retinasim.circuit import Circuit, CircuitPlan
from retinasim.circuit.plan import INPUT


class ReferenceCellType(nn.Module):
    """One cell type: spatial convolutions from its sources, a causal temporal filter, ReLU.

    Shapes: sources ``(batch, source types, time, y, x)`` → ``(batch, 1, time, y', x')``.
    """

    def __init__(self, plan: CircuitPlan, layer: str, temporal_kernel: int, dropout: float):
        super().__init__()
        self.spatial = nn.ModuleDict()
        for c in plan.connections:
            if c.target == layer:
                self.spatial[c.source] = nn.Conv3d(
                    plan.channels(c.source),
                    1,
                    (1, *c.kernel),
                    stride=(1, *c.stride),
                    padding=(0, *c.padding),
                    bias=c.bias,
                )
        self.temporal = nn.Conv3d(1, 1, (temporal_kernel, 1, 1))
        self.drop = nn.Dropout(dropout)
        self.inhibitory = plan.layer(layer).inhibitory
        self.left_padding = (0, 0, 0, 0, temporal_kernel - 1, 0)

    def forward(self, sources: dict[str, torch.Tensor]) -> torch.Tensor:
        """The cell type's output as its targets see it (negated when inhibitory)."""
        spatial = sum(self.drop(conv(sources[name])) for name, conv in self.spatial.items())
        temporal = self.drop(self.temporal(F.pad(spatial, self.left_padding)))
        activity = F.relu(temporal)
        return -activity if self.inhibitory else activity


class ReferenceCircuit(nn.Module):
    """The straightforward model of a compiled circuit's function (see module docstring)."""

    def __init__(self, plan: CircuitPlan, temporal_kernels: dict[str, int], readout_dropout=0.0):
        super().__init__()
        self.plan = plan
        self.layers = nn.ModuleDict(
            {
                layer.name: nn.ModuleList(
                    ReferenceCellType(plan, layer.name, temporal_kernels[layer.name], plan.dropout)
                    for _ in range(layer.n_types)
                )
                for layer in plan.layers
            }
        )
        read = plan.layer(plan.readout_layer)
        self.decoders = nn.ModuleList(
            nn.Conv3d(read.n_types, 1, (1, *read.size)) for _ in plan.classes
        )
        self.decoder_drop = nn.Dropout(readout_dropout)

    @classmethod
    def from_circuit(cls, circuit: Circuit) -> ReferenceCircuit:
        """A reference with ``circuit``'s weights, dtype and device (built-in cells only)."""
        kernels = {name: circuit.cells[name].kernel for name in circuit.layer_names}
        reference = cls(circuit.plan, kernels, circuit.readout_dropout)
        weight = circuit.readout.weight
        reference.to(device=weight.device, dtype=weight.dtype)
        reference.copy_weights(circuit)
        return reference

    @torch.no_grad()
    def copy_weights(self, circuit: Circuit) -> None:
        """Copy every weight of ``circuit`` into the per-type modules."""
        for layer in self.plan.layers:
            cell = circuit.cells[layer.name]
            for index, module in enumerate(self.layers[layer.name]):
                for source, conv in module.spatial.items():
                    connection = circuit.connections[f"{source}->{layer.name}"]
                    conv.weight.copy_(connection.weight[index, :, None])
                    if conv.bias is not None:
                        conv.bias.copy_(connection.bias[index])
                taps = cell.weight[index].flip(0)  # Conv3d correlates: tap k sits at K-1-k
                module.temporal.weight.copy_(taps.view(1, 1, -1, 1, 1))
                module.temporal.bias.copy_(cell.bias[index])
        for k, decoder in enumerate(self.decoders):
            decoder.weight.copy_(circuit.readout.weight[k, :, None])
            decoder.bias.copy_(circuit.readout.bias[k])

    @torch.no_grad()
    def project_constraints(self) -> None:
        """The authors' ``WeightReinforcer``: clamp spatial and temporal weights ≥ 0 where the
        circuit's constraints say so (biases free)."""
        for connection in self.plan.connections:
            if connection.nonnegative:
                for module in self.layers[connection.target]:
                    module.spatial[connection.source].weight.clamp_(min=0)
        for layer in self.plan.layers:
            if layer.nonnegative:
                for module in self.layers[layer.name]:
                    module.temporal.weight.clamp_(min=0)

    def run(self, video: torch.Tensor) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """Logits ``(batch, time, n_classes)`` and every layer's non-negative activity
        ``(batch, n_types, time, y, x)`` for ``video (batch, channels, time, height, width)``."""
        outputs: dict[str, torch.Tensor] = {INPUT: video}
        activity: dict[str, torch.Tensor] = {}
        for layer in self.plan.layers:
            types = [module(outputs) for module in self.layers[layer.name]]
            outputs[layer.name] = torch.cat(types, 1)
            activity[layer.name] = -outputs[layer.name] if layer.inhibitory else outputs[layer.name]
        read = outputs[self.plan.readout_layer]
        logits = torch.cat([self.decoder_drop(decoder(read)) for decoder in self.decoders], 1)
        return logits[:, :, :, 0, 0].transpose(1, 2), activity

    def forward(self, video: torch.Tensor) -> torch.Tensor:
        """Logits ``(batch, time, n_classes)``."""
        return self.run(video)[0]
