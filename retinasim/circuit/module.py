"""The compiled circuit: an ``nn.Module`` running layers of cell types on a stimulus video.

For a stimulus batch ``(batch, channels, time, height, width)``, layer by layer in topological
order: every connection into the layer (a per-frame 2-D convolution, frames folded into the
batch, then dropout while training) sums into its drive ``(batch, types, time, y, x)``; the
layer's cell-type module turns the drive into activity; lesion masks zero the silenced types
(the *recorded activity*, never negated); dropout while training, then on to the targets (an
inhibitory layer's sign is folded into its targets' connection weights). The readout maps the
readout layer's whole map to one logit per class at every frame.

Every map is stored *frames-major*, physically ``(batch, time, types, y, x)``, and handed
around as the logical ``(batch, types, time, y, x)`` view, which the convolutions read as
``(batch*time, types, y, x)``: no stage copies a map to change its layout.
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from retinasim.circuit.connections import Connection, ConnectionGroup, group_connections
from retinasim.circuit.conv import conv2d
from retinasim.circuit.dropout import dropout
from retinasim.circuit.errors import CircuitError
from retinasim.circuit.init import initialise
from retinasim.circuit.lesions import LesionControl
from retinasim.circuit.plan import INPUT, CircuitPlan, LayerPlan
from retinasim.circuit.readout import Readout
from retinasim.errors import PluginError, RetinasimError
from retinasim.plugins.cell_type import nonnegative_parameters
from retinasim.util.resources import ResourceError, allocation, out_of_memory


@dataclass(frozen=True)
class CircuitOptions:
    """How a circuit computes (never *what*: every option gives the same function):
    byte-level dropout masks on the CPU (:mod:`~retinasim.circuit.dropout`), one convolution
    per source and geometry (:class:`ConnectionGroup`), the weight gradient of connections from
    the stimulus as a dilated convolution, the other input gradients computed channels-last."""

    fast_dropout: bool = True
    fuse_connections: bool = True
    dilated_input_weight_grad: bool = True
    channels_last_input_grad: bool = True


@dataclass
class CircuitOutput:
    """What one pass of a circuit returns: ``logits (batch, time, n_classes)``, and
    ``activity``, layer → ``(batch, n_types, time, y, x)`` after lesions and before dropout
    (a frames-major view; ``.contiguous()`` copies it) for each recorded layer; ``drives``,
    layer → its drive ``(batch, n_types, time, y, x)``, the input of its cell-type module (the
    sum of its connections' outputs after dropout), for each layer asked for."""

    logits: torch.Tensor
    activity: dict[str, torch.Tensor] = field(default_factory=dict)
    drives: dict[str, torch.Tensor] = field(default_factory=dict)


@dataclass
class PassCache:
    """What :meth:`Circuit.rerun` needs to restart a pass of :meth:`Circuit.run_cached`: the
    circuit's lesions then, the batch and frame counts, and per restart layer the drive its
    predecessors sent to later layers and its activity before lesions."""

    lesions: dict[str, list[int]]
    batch: int
    time: int
    restarts: dict[str, tuple[dict[str, torch.Tensor], torch.Tensor]] = field(default_factory=dict)


class _Table(nn.Module):
    """Submodules and buffers keyed by layer name, whatever the name (even ``"training"``)."""

    def put_module(self, name: str, module: nn.Module) -> None:
        self._modules[name] = module

    def put_buffer(self, name: str, tensor: torch.Tensor) -> None:
        self._buffers[name] = tensor
        self._non_persistent_buffers_set.add(name)

    def __getitem__(self, name: str) -> Any:
        return self._modules[name] if name in self._modules else self._buffers[name]


class Circuit(LesionControl, nn.Module):
    """A compiled retinal circuit; build it with :func:`retinasim.compile.compile_circuit`.

    Attributes: ``spec`` and ``spec_hash`` (the spec it was compiled from, its content hash);
    ``layer_names`` (topological order), ``type_names`` (layer → its types' names in index
    order) and ``layer_shapes`` (layer → ``(n_types, frames, y, x)`` for one stimulus);
    ``classes`` and ``readout_frame`` (the deciding frame, ``-1``: last); ``dropout_p`` (while
    training, after every connection and cell type) and ``readout_dropout`` (on the logits, 0
    by default; the authors' code used ``dropout_p``); ``options`` (:class:`CircuitOptions`).
    """

    def __init__(
        self,
        plan: CircuitPlan,
        cells: Mapping[str, nn.Module],
        *,
        spec: Any = None,
        spec_hash: str = "",
        options: CircuitOptions | None = None,
    ):
        super().__init__()
        self.plan = plan
        self.spec = spec
        self.spec_hash = spec_hash
        self.layer_names = [layer.name for layer in plan.layers]
        self.type_names = {layer.name: list(layer.type_names) for layer in plan.layers}
        self.layer_shapes = {
            layer.name: (layer.n_types, plan.frames, *layer.size) for layer in plan.layers
        }
        self.classes = list(plan.classes)
        self.readout_frame = plan.readout_frame
        self.dropout_p = plan.dropout
        self.readout_dropout = 0.0
        self.options = options or CircuitOptions()
        self.connections = nn.ModuleDict(
            {
                c.key: Connection(c, plan.channels(c.source), plan.channels(c.target))
                for c in plan.connections
            }
        )
        self.cells = _Table()
        self.lesion_masks = _Table()
        for layer in plan.layers:
            self.cells.put_module(layer.name, cells[layer.name])
            self.lesion_masks.put_buffer(layer.name, torch.ones(layer.n_types, dtype=torch.bool))
        read = plan.layer(plan.readout_layer)
        self.readout = Readout(len(plan.classes), read.n_types, read.size)
        self._lesions: dict[str, list[int]] = {}

    # -- running -------------------------------------------------------------------------

    def forward(self, video: torch.Tensor) -> torch.Tensor:
        """Logits ``(batch, time, n_classes)`` for a luminance video
        ``(batch, channels, time, y, x)`` (see :meth:`run`)."""
        return self.run(video, layers=()).logits

    def run(
        self,
        video: torch.Tensor,
        layers: Iterable[str] | None = None,
        *,
        drives: Iterable[str] = (),
    ) -> CircuitOutput:
        """One pass, returning the logits, the activity of ``layers`` (default: all) and the
        drive of the layers ``drives`` (default: none; see :class:`CircuitOutput`).

        ``video`` is ``(batch, channels, time, height, width)`` at the circuit's channels and
        size, any number of frames, luminance as the stimuli render it (0 to 1): the circuit
        itself sees ``(video - plan.input_offset) * plan.input_scale`` (:meth:`seen_input`).
        """
        record = set(self.layer_names) if layers is None else self._known_layers(layers, "record")
        driven = self._known_layers(drives, "return the drive of") if drives else set()
        return self._pass(*self._start(video), record=record, drives=driven)

    def run_cached(
        self, video: torch.Tensor, restart_layers: Iterable[str]
    ) -> tuple[CircuitOutput, PassCache]:
        """:meth:`run` (eval mode, no activity returned) that also keeps what
        :meth:`rerun` needs to restart the pass at any of ``restart_layers``: per layer its
        activity before lesions and the drive the layers before it sent to the layers after it
        (murray2021, restarting at bipolar: 4 MB per stimulus in float32).
        """
        if self.training:
            raise CircuitError("run_cached needs eval mode (dropout would differ per pass)")
        keep = self._known_layers(restart_layers, "restart at")
        pending, batch, time = self._start(video)
        cache = PassCache(self.lesions, batch, time)
        return self._pass(pending, batch, time, keep=keep, cache=cache), cache

    def rerun(self, cache: PassCache, layer: str) -> CircuitOutput:
        """The pass of :meth:`run_cached` again from ``layer`` on, with the current lesions.

        Exact (the logits of :meth:`run` with the current lesions) as long as the layers
        before ``layer`` carry the lesions they had when the cache was made (checked).
        """
        if layer not in cache.restarts:
            raise CircuitError(f"the pass cache has no restart point at layer {layer!r}")
        order = self.layer_names.index(layer)
        now, then = self.lesions, cache.lesions
        if any(now.get(name) != then.get(name) for name in self.layer_names[:order]):
            raise CircuitError(
                f"cannot restart at {layer!r}: lesions of the layers before it changed since "
                "the cache was made"
            )
        pending, output = cache.restarts[layer]
        return self._pass(dict(pending), cache.batch, cache.time, first=order, known=output)

    def _start(self, video: torch.Tensor) -> tuple[dict[str, torch.Tensor], int, int]:
        """Check ``video``, transform it and send it through the connections from the
        stimulus: the drive sent to each layer, batch and frames."""
        video = self.seen_input(video)
        batch, channels, time, height, width = video.shape
        frames = video.transpose(1, 2).reshape(batch * time, channels, height, width)
        pending: dict[str, torch.Tensor] = {}
        self._send(self._groups().get(INPUT, ()), frames, pending)
        return pending, batch, time

    def _pass(
        self,
        pending: dict[str, torch.Tensor],
        batch: int,
        time: int,
        *,
        first: int = 0,
        known: torch.Tensor | None = None,
        record: Container[str] = (),
        keep: Container[str] = (),
        cache: PassCache | None = None,
        drives: Container[str] = (),
    ) -> CircuitOutput:
        """Layers ``first ...`` of a pass, ``pending`` the drive (``(batch*time, types, y,
        x)``) sent so far to each layer not yet run; ``known``: layer ``first``'s activity
        before lesions (a restart), else computed from its drive. Layers in ``keep`` are
        stored in ``cache``; the drives of the layers in ``drives`` are returned."""
        groups = self._groups()
        activity: dict[str, torch.Tensor] = {}
        kept_drives: dict[str, torch.Tensor] = {}
        readout_input = None
        for layer in self.plan.layers[first:]:
            if known is None:
                drive = pending.pop(layer.name)
                drive = drive.view(batch, time, *drive.shape[1:]).transpose(1, 2)
                if layer.name in drives:
                    kept_drives[layer.name] = drive
                output = self._cell(layer, drive)
            else:  # a restart: the layer's activity is known, its drive was not kept
                output, known = known, None
            if cache is not None and layer.name in keep:
                cache.restarts[layer.name] = (dict(pending), output)
            output = self._silence_lesioned(layer.name, output)
            if layer.name in record:
                activity[layer.name] = output
            output = self._dropout(output)
            if layer.name == self.plan.readout_layer:
                readout_input = output
            if layer.name in groups:
                self._send(groups[layer.name], output.transpose(1, 2).flatten(0, 1), pending)
        logits = self.readout(readout_input)
        if self.training and self.readout_dropout > 0:
            logits = dropout(logits, self.readout_dropout, training=True)
        return CircuitOutput(logits, activity, kept_drives)

    def _send(
        self,
        groups: Iterable[ConnectionGroup],
        source_map: torch.Tensor,
        pending: dict[str, torch.Tensor],
    ) -> None:
        """Run a source's connections and add each target's dropped-out drive to ``pending``."""
        for group in groups:
            for target, drive in group(source_map, self.connections):
                drive = self._dropout(drive)
                pending[target] = drive if target not in pending else pending[target] + drive

    def _dropout(self, tensor: torch.Tensor) -> torch.Tensor:
        return dropout(
            tensor, self.dropout_p, training=self.training, fast=self.options.fast_dropout
        )

    def _cell(self, layer: LayerPlan, drive: torch.Tensor) -> torch.Tensor:
        """Run a layer's cell-type module, reporting a misbehaving plugin by name."""
        where = f"cell type {layer.cell_type!r} (plugin {layer.plugin!r}) in layer {layer.name!r}"
        try:
            output = self.cells[layer.name](drive)
        except RetinasimError:
            raise
        except Exception as error:
            if out_of_memory(error):
                raise ResourceError(
                    f"layer {layer.name!r} ran out of memory (it asked for {allocation(error)}) "
                    f"on a drive of (batch, types, time, y, x) = {tuple(drive.shape)}; use "
                    "fewer frames, a smaller input or a smaller batch"
                ) from error
            raise PluginError(f"{where} raised {type(error).__name__}: {error}") from error
        if not isinstance(output, torch.Tensor) or output.shape != drive.shape:
            got = tuple(output.shape) if isinstance(output, torch.Tensor) else type(output).__name__
            raise PluginError(
                f"{where} returned {got}; expected a tensor of the drive's shape "
                f"(batch, n_types, time, y, x) = {tuple(drive.shape)}"
            )
        if output.dtype != drive.dtype or output.device != drive.device:
            raise PluginError(
                f"{where} returned {output.dtype} on {output.device}; expected {drive.dtype} "
                f"on {drive.device}, like its drive"
            )
        return output

    def _groups(self) -> dict[str, list[ConnectionGroup]]:
        """The connection groups by source, made again when ``options`` changed."""
        options = self.options
        if getattr(self, "_group_cache", (None,))[0] != options:
            self._group_cache = (
                options,
                group_connections(
                    self.plan.connections,
                    {layer.name for layer in self.plan.layers if layer.inhibitory},
                    fuse=options.fuse_connections,
                    dilated_input_weight_grad=options.dilated_input_weight_grad,
                    channels_last_input_grad=options.channels_last_input_grad,
                ),
            )
        return self._group_cache[1]

    def _known_layers(self, layers: Iterable[str], action: str) -> set[str]:
        """``layers`` (or one layer's name) as a set, checked to be layers of the circuit."""
        chosen = {layers} if isinstance(layers, str) else set(layers)
        unknown = sorted(chosen - set(self.layer_names))
        if unknown:
            raise CircuitError(
                f"cannot {action} unknown layer(s) {', '.join(map(repr, unknown))} "
                f"(layers: {', '.join(self.layer_names)})"
            )
        return chosen

    def _check_video(self, video: torch.Tensor) -> None:
        plan = self.plan
        height, width = plan.input_size
        expected = f"(batch, {plan.input_channels}, frames, {height}, {width})"
        if not isinstance(video, torch.Tensor):
            raise CircuitError(f"expected a video {expected}, got {type(video).__name__}")
        shape = tuple(video.shape)
        if len(shape) != 5 or shape[1] != plan.input_channels or shape[3:] != plan.input_size:
            raise CircuitError(f"expected a video {expected}, got {shape}")
        weight = self.readout.weight
        if video.dtype != weight.dtype or video.device != weight.device:
            raise CircuitError(
                f"the video is {video.dtype} on {video.device} but the circuit is "
                f"{weight.dtype} on {weight.device}; convert one of them with .to()"
            )

    def seen_input(self, video: torch.Tensor) -> torch.Tensor:
        """The luminance ``video (batch, channels, time, height, width)`` as the circuit sees
        it, ``(video - plan.input_offset) * plan.input_scale``: the source map of the
        connections from the input (checked like :meth:`run`'s)."""
        self._check_video(video)
        if self.plan.input_offset:
            video = video - self.plan.input_offset
        if self.plan.input_scale != 1.0:
            video = video * self.plan.input_scale
        return video

    def connection_drive(
        self,
        key: str,
        source: torch.Tensor,
        *,
        source_types: Sequence[int] | None = None,
        bias: bool = True,
    ) -> torch.Tensor:
        """The drive connection ``key`` (``"<source>-><target>"``) delivers to its target,
        ``(batch, target types, time, y', x')``, from ``source (batch, source types, time, y,
        x)``, its source's activity as :meth:`run` records it (lesions applied) or, from the
        input, :meth:`seen_input`: an inhibitory source's output arrives negated, the bias is
        added when ``bias``, no dropout (the drive of eval mode).

        ``source_types``: indices of the source types whose part is computed (the others
        deliver nothing; ``source`` still holds every type). Over every connection into a
        layer these sum to its drive (``run(..., drives=...)``) to float precision: the pass
        runs the connections of one source as one convolution, this one alone.
        """
        connection = self.connection(key)
        plan = connection.plan
        weight: torch.Tensor = connection.weight
        if source_types is not None:
            chosen = torch.as_tensor(list(source_types), dtype=torch.long, device=weight.device)
            weight, source = weight.index_select(1, chosen), source.index_select(1, chosen)
        if plan.source != INPUT and self.plan.layer(plan.source).inhibitory:
            weight = -weight
        batch, _, time = source.shape[:3]
        frames = source.transpose(1, 2).flatten(0, 1)  # (batch*time, types, y, x)
        out = conv2d(frames, weight, connection.bias if bias else None, plan.stride, plan.padding)
        return out.view(batch, time, *out.shape[1:]).transpose(1, 2)

    def connection(self, key: str) -> Connection:
        """The connection ``"<source>-><target>"`` (its ``weight``: ``(target types, source
        types, kh, kw)``); ``KeyError`` if there is none."""
        module = self.connections[key]
        assert isinstance(module, Connection)
        return module

    # -- constraints and initialisation --------------------------------------------------

    def constrained_parameters(self) -> list[nn.Parameter]:
        """Parameters kept ≥ 0: weights of ``nonnegative`` connections and the cell modules'
        :func:`~retinasim.plugins.cell_type.nonnegative_parameters` of ``nonnegative`` layers."""
        constrained = [
            self.connection(c.key).weight for c in self.plan.connections if c.nonnegative
        ]
        for layer in self.plan.layers:
            if layer.nonnegative:
                constrained += list(nonnegative_parameters(self.cells[layer.name]))
        return constrained

    @torch.no_grad()
    def project_constraints(self) -> None:
        """Clamp every constrained parameter to ≥ 0 in place; call after each optimizer step."""
        for parameter in self.constrained_parameters():
            parameter.clamp_(min=0)

    def reset_parameters(self, seed: int | None = None) -> int:
        """Draw every parameter afresh from ``seed``; returns it (see :func:`.init.initialise`)."""
        return initialise(self, seed)

    def extra_repr(self) -> str:
        shapes = ", ".join(f"{name}{self.layer_shapes[name]}" for name in self.layer_names)
        return f"name={self.plan.name!r}, spec_hash={self.spec_hash!r}, layers: {shapes}"
