"""Spatial connections between layers: per-frame 2-D convolutions, fused where possible.

A :class:`Connection` owns its weight ``(target types, source types, kh, kw)`` and bias.
Connections that read one source with one kernel, stride and padding run as *one*
convolution (:class:`ConnectionGroup`), so the source map is read, and its gradient written,
once; connections with different delays or upsampling, or that run frame by frame inside a
recurrent component while others run in bulk, are never fused. A source map arrives as
``(batch * time, channels, y, x)`` (in bulk) or ``(batch, channels, y, x)`` (one frame);
a delay is the caller's (:func:`delayed` in bulk), upsampling the group's. An inhibitory
source's sign is folded into the weights, ``conv(-a, W) = conv(a, -W)`` exactly, so activity
is never negated in memory."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import accumulate

import torch
from torch import nn

from retinasim.circuit.conv import conv2d
from retinasim.circuit.plan import INPUT, ConnectionPlan


class Connection(nn.Module):
    """Weights of one connection: ``weight (target types, source types, kh, kw)``, ``bias
    (target types,)`` (``None`` when the spec says ``bias: false``)."""

    def __init__(self, plan: ConnectionPlan, source_channels: int, target_channels: int):
        super().__init__()
        self.plan = plan
        self.weight = nn.Parameter(torch.empty(target_channels, source_channels, *plan.kernel))
        self.bias = nn.Parameter(torch.empty(target_channels)) if plan.bias else None
        self.reset_parameters()

    def reset_parameters(self, generator: torch.Generator | None = None) -> None:
        """PyTorch's ``Conv2d`` default: weight and bias U(±1/√fan_in), drawn on the CPU
        (fan_in: source types × kernel area)."""
        bound = 1.0 / math.sqrt(math.prod(self.weight.shape[1:]))
        with torch.no_grad():
            for parameter in (self.weight, self.bias):
                if parameter is not None:
                    values = torch.empty(parameter.shape)
                    parameter.copy_(values.uniform_(-bound, bound, generator=generator))

    def extra_repr(self) -> str:
        p = self.plan
        extra = f", delay={p.delay}" if p.delay else ""
        extra += f", upsample={p.upsample}" if p.upsample != (1, 1) else ""
        return (
            f"{p.source} -> {p.target}: kernel={p.kernel}, stride={p.stride}, "
            f"padding={p.padding}, bias={p.bias}, nonnegative={p.nonnegative}{extra}"
        )


def upsampled(source_map: torch.Tensor, factor: tuple[int, int]) -> torch.Tensor:
    """``source_map (..., y, x)`` repeated ``factor`` times along each axis (nearest
    neighbour): ``(..., y * factor[0], x * factor[1])``; itself when ``factor`` is ``(1, 1)``."""
    if factor[0] != 1:
        source_map = source_map.repeat_interleave(factor[0], dim=-2)
    if factor[1] != 1:
        source_map = source_map.repeat_interleave(factor[1], dim=-1)
    return source_map


def delayed(source_map: torch.Tensor, batch: int, delay: int) -> torch.Tensor:
    """A bulk ``source_map (batch * time, channels, y, x)`` shifted ``delay`` frames later
    within each stimulus: frame ``t`` holds frame ``t - delay``, zeros (at rest) before;
    itself when ``delay`` is 0."""
    if delay == 0:
        return source_map
    frames = source_map.view(batch, -1, *source_map.shape[1:])
    time = frames.shape[1]
    rest = frames.new_zeros((batch, min(delay, time), *frames.shape[2:]))
    return torch.cat([rest, frames[:, : max(time - delay, 0)]], dim=1).flatten(0, 1)


@dataclass(frozen=True)
class ConnectionGroup:
    """Connections from one ``source`` layer (or ``input``) with one geometry, delay and
    upsampling, run as one convolution: ``keys`` and ``targets`` are the members' module names
    and target layers in the order of their output channels; an ``inhibitory`` source's output
    is negated onto its targets; ``internal``: the connections run frame by frame inside the
    source's recurrent component (else in bulk); ``dilated_weight_grad`` and
    ``channels_last_input_grad`` pick the backward routes of
    :func:`retinasim.circuit.conv.conv2d` on the CPU (other devices' own are fast)."""

    source: str
    keys: tuple[str, ...]
    targets: tuple[str, ...]
    stride: tuple[int, int]
    padding: tuple[int, int]
    inhibitory: bool
    dilated_weight_grad: bool
    channels_last_input_grad: bool
    delay: int = 0
    upsample: tuple[int, int] = (1, 1)
    internal: bool = False

    def __call__(
        self, source_map: torch.Tensor, connections: nn.ModuleDict
    ) -> list[tuple[str, torch.Tensor]]:
        """Each target's drive ``(n, target types, y', x')`` before dropout from
        ``source_map (n, source types, y, x)`` (``n``: batch × time, or batch for one frame),
        upsampled first: a channel slice (a view) of the fused output when the group has
        several members."""
        # ModuleDict is not generic (its items are typed Module); these are Connections
        members: list[Connection] = [connections[key] for key in self.keys]  # type: ignore[misc]
        weight = torch.cat([m.weight for m in members]) if len(members) > 1 else members[0].weight
        if self.inhibitory:
            weight = -weight
        bias = _concatenated_bias(members)
        on_cpu = source_map.device.type == "cpu"
        source_map = upsampled(source_map, self.upsample)
        if weight.shape[2:] == (1, 1) and self.stride == (1, 1) and self.padding == (0, 0):
            out = _pointwise(source_map, weight, bias)
        else:
            out = conv2d(
                source_map,
                weight,
                bias,
                self.stride,
                self.padding,
                dilated_weight_grad=self.dilated_weight_grad and on_cpu,
                channels_last_input_grad=self.channels_last_input_grad and on_cpu,
            )
        if len(members) == 1:
            return [(self.targets[0], out)]
        bounds = [0, *accumulate(m.weight.shape[0] for m in members)]
        return [
            (target, out[:, start:stop])
            for target, start, stop in zip(self.targets, bounds[:-1], bounds[1:], strict=True)
        ]


def _pointwise(
    source_map: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None
) -> torch.Tensor:
    """A 1 × 1 convolution (stride 1, no padding) as a mix of channels ``(n, out, y, x)``:
    oneDNN takes ~30 ms for one over a 255 × 255 map of 8 stimuli that this does in ~1."""
    out = torch.einsum("oi,niyx->noyx", weight[:, :, 0, 0], source_map)
    return out if bias is None else out + bias.view(1, -1, 1, 1)


def _concatenated_bias(members: Sequence[Connection]) -> torch.Tensor | None:
    if all(m.bias is None for m in members):
        return None
    parts = [
        m.bias if m.bias is not None else m.weight.new_zeros(m.weight.shape[0]) for m in members
    ]
    return torch.cat(parts) if len(parts) > 1 else parts[0]


def group_connections(
    plans: Iterable[ConnectionPlan],
    inhibitory_layers: set[str],
    *,
    fuse: bool = True,
    dilated_input_weight_grad: bool = True,
    channels_last_input_grad: bool = True,
    component: Mapping[str, int] | None = None,
) -> dict[str, list[ConnectionGroup]]:
    """Groups of connections by source, in spec order: connections that share source,
    geometry, delay, upsampling and whether they are internal (source and target in the same
    recurrent component, ``component``: layer → its component's number) are fused when
    ``fuse`` (else one group per connection); the other flags choose the backward routes of
    connections from the input (``dilated_input_weight_grad``) and of the others
    (``channels_last_input_grad``, see :func:`~retinasim.circuit.conv.conv2d`)."""
    component = component or {}
    groups: dict[tuple, list[ConnectionPlan]] = {}
    for plan in plans:
        internal = plan.source in component and component[plan.source] == component.get(plan.target)
        geometry = (plan.kernel, plan.stride, plan.padding, plan.delay, plan.upsample, internal)
        key = (plan.source, geometry) if fuse else (plan.source, plan.key)
        groups.setdefault(key, []).append(plan)
    by_source: dict[str, list[ConnectionGroup]] = {}
    for members in groups.values():
        first = members[0]
        group = ConnectionGroup(
            source=first.source,
            keys=tuple(m.key for m in members),
            targets=tuple(m.target for m in members),
            stride=first.stride,
            padding=first.padding,
            inhibitory=first.source in inhibitory_layers,
            dilated_weight_grad=dilated_input_weight_grad and first.source == INPUT,
            channels_last_input_grad=channels_last_input_grad and first.source != INPUT,
            delay=first.delay,
            upsample=first.upsample,
            internal=first.source in component
            and component[first.source] == component.get(first.target),
        )
        by_source.setdefault(first.source, []).append(group)
    return by_source
