"""The compiled circuit: an ``nn.Module`` running layers of cell types on a stimulus video.

For a stimulus batch ``(batch, channels, time, height, width)``, layer by layer in run order
(each after the sources of its undelayed connections): every connection into the layer (a
per-frame 2-D convolution, frames folded into the batch, the source shifted by the
connection's delay and upsampled first when it says so, then dropout while training) sums into
its drive ``(batch, types, time, y, x)``; the layer's cell-type module turns the drive into
activity; lesion masks zero the silenced types (the *recorded activity*, never negated);
dropout while training, then on to the targets (an inhibitory layer's sign is folded into its
targets' connection weights). The readout maps the readout layer's whole map to one logit per
class at every frame.

A layer outside every cycle runs over the whole video at once (the fast path above). A
*recurrent component* (layers that reach one another through delayed connections, or a layer
connected to itself) runs frame by frame: its drive from outside the component is computed in
bulk beforehand; at each frame its layers run in order, each connection inside the component
reading its source's activity ``delay`` frames earlier (at rest, 0, before the first frame),
each cell module stepping its state (``initial_state``/``step``); autograd backpropagates
through time. Then its activity goes on, in bulk, to the layers after it.

Every map is stored *frames-major*, physically ``(batch, time, types, y, x)``, and handed
around as the logical ``(batch, types, time, y, x)`` view, which the convolutions read as
``(batch*time, types, y, x)``: no stage copies a map to change its layout.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from retinasim.circuit.connections import (
    Connection,
    ConnectionGroup,
    delayed,
    group_connections,
    upsampled,
)
from retinasim.circuit.conv import conv2d
from retinasim.circuit.dropout import dropout
from retinasim.circuit.errors import CircuitError
from retinasim.circuit.init import initialise
from retinasim.circuit.lesions import LesionControl
from retinasim.circuit.plan import INPUT, CircuitPlan, LayerPlan
from retinasim.circuit.readout import Readout
from retinasim.errors import PluginError, RetinasimError
from retinasim.plugins.cell_type import can_step, nonnegative_parameters
from retinasim.util.resources import ResourceError, allocation, out_of_memory


@dataclass(frozen=True)
class CircuitOptions:
    """How a circuit computes (never *what*: every option gives the same function):
    byte-level dropout masks on the CPU (:mod:`~retinasim.circuit.dropout`), one convolution
    per source and geometry (:class:`ConnectionGroup`), the weight gradient of connections from
    the stimulus as a dilated convolution, the other input gradients computed channels-last;
    ``stepped``: run every layer frame by frame, as one recurrent component (slow: for checking
    the stepped path against the bulk one; every cell module must have a stepped form)."""

    fast_dropout: bool = True
    fuse_connections: bool = True
    dilated_input_weight_grad: bool = True
    channels_last_input_grad: bool = True
    stepped: bool = False


@dataclass(frozen=True)
class Component:
    """Layers that run together: one layer over the whole video at once, or, when
    ``stepped``, a recurrent component frame by frame (``layers`` in run order)."""

    layers: tuple[str, ...]
    stepped: bool


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
    predecessors sent to later layers and its activity before lesions (for the first layer of
    a recurrent component, which reruns whole: the drive sent to it as well, and ``None``)."""

    lesions: dict[str, list[int]]
    batch: int
    time: int
    restarts: dict[str, tuple[dict[str, torch.Tensor], torch.Tensor | None]] = field(
        default_factory=dict
    )


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
        (murray2021, restarting at bipolar: 4 MB per stimulus in float32); a layer of a
        recurrent component restarts the whole component.
        """
        if self.training:
            raise CircuitError("run_cached needs eval mode (dropout would differ per pass)")
        keep = {
            self._restart_layer(name) for name in self._known_layers(restart_layers, "restart at")
        }
        pending, batch, time = self._start(video)
        cache = PassCache(self.lesions, batch, time)
        return self._pass(pending, batch, time, keep=keep, cache=cache), cache

    def rerun(self, cache: PassCache, layer: str) -> CircuitOutput:
        """The pass of :meth:`run_cached` again from ``layer`` on (from the first layer of its
        recurrent component, if it is in one), with the current lesions.

        Exact (the logits of :meth:`run` with the current lesions) as long as the layers
        before it carry the lesions they had when the cache was made (checked).
        """
        start = self._restart_layer(layer) if layer in self.layer_names else layer
        if start not in cache.restarts:
            raise CircuitError(f"the pass cache has no restart point at layer {layer!r}")
        components = self._schedule()[1]
        first = next(i for i, c in enumerate(components) if c.layers[0] == start)
        earlier = [name for c in components[:first] for name in c.layers]
        now, then = self.lesions, cache.lesions
        if any(now.get(name) != then.get(name) for name in earlier):
            raise CircuitError(
                f"cannot restart at {layer!r}: lesions of the layers before it changed since "
                "the cache was made"
            )
        pending, output = cache.restarts[start]
        return self._pass(dict(pending), cache.batch, cache.time, first=first, known=output)

    def _restart_layer(self, layer: str) -> str:
        """Where a pass restarts to rerun ``layer``: the first layer of its component."""
        return next(c.layers[0] for c in self._schedule()[1] if layer in c.layers)

    def _start(self, video: torch.Tensor) -> tuple[dict[str, torch.Tensor], int, int]:
        """Check ``video``, transform it and send it through the connections from the
        stimulus: the drive sent to each layer, batch and frames."""
        video = self.seen_input(video)
        batch, channels, time, height, width = video.shape
        frames = video.transpose(1, 2).reshape(batch * time, channels, height, width)
        pending: dict[str, torch.Tensor] = {}
        self._send(self._schedule()[0].get(INPUT, ()), frames, pending, batch)
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
        """Components ``first ...`` of a pass (:meth:`_schedule`), ``pending`` the drive
        (``(batch*time, types, y, x)``) sent so far to each layer not yet run; ``known``:
        the activity before lesions of component ``first``'s layer (a restart), else computed
        from its drive. Layers in ``keep`` are stored in ``cache``; the drives of the layers
        in ``drives`` are returned."""
        groups, components = self._schedule()
        activity: dict[str, torch.Tensor] = {}
        kept_drives: dict[str, torch.Tensor] = {}
        readout_input = None
        for component in components[first:]:
            if component.stepped:
                if cache is not None and component.layers[0] in keep:
                    cache.restarts[component.layers[0]] = (dict(pending), None)
                outputs = self._step(component.layers, pending, batch, time, drives, kept_drives)
            else:
                name = component.layers[0]
                if known is None:
                    drive = pending.pop(name)
                    drive = drive.view(batch, time, *drive.shape[1:]).transpose(1, 2)
                    if name in drives:
                        kept_drives[name] = drive
                    output = self._cell(self.plan.layer(name), drive)
                else:  # a restart: the layer's activity is known, its drive was not kept
                    output = known
                if cache is not None and name in keep:
                    cache.restarts[name] = (dict(pending), output)
                output = self._silence_lesioned(name, output)
                outputs = {name: (output, self._dropout(output))}
            known = None
            for name, (recorded, sent) in outputs.items():
                if name in record:
                    activity[name] = recorded
                if name == self.plan.readout_layer:
                    readout_input = sent
                onward = [g for g in groups.get(name, ()) if not g.internal]
                if onward:
                    self._send(onward, sent.transpose(1, 2).flatten(0, 1), pending, batch)
        logits = self.readout(readout_input)
        if self.training and self.readout_dropout > 0:
            logits = dropout(logits, self.readout_dropout, training=True)
        return CircuitOutput(logits, activity, kept_drives)

    def _step(
        self,
        names: tuple[str, ...],
        pending: dict[str, torch.Tensor],
        batch: int,
        time: int,
        drives: Container[str],
        kept_drives: dict[str, torch.Tensor],
    ) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
        """Run a recurrent component frame by frame: layer → its activity after lesions and
        after dropout, ``(batch, types, time, y, x)`` (frames-major), from the bulk drive
        ``pending`` sent to it from outside; the drives of the layers in ``drives`` go to
        ``kept_drives``."""
        groups = self._schedule()[0]
        layers = [self.plan.layer(name) for name in names]
        # one unbind, not a select per frame: each select's backward fills a whole-video zero
        outside: dict[str, tuple[torch.Tensor, ...]] = {}
        for name in names:
            if name in pending:
                bulk = pending.pop(name)
                outside[name] = bulk.view(batch, time, *bulk.shape[1:]).unbind(1)
        inside = [g for n in names for g in groups.get(n, ()) if g.internal]
        states = {layer.name: self._cell_state(layer, batch) for layer in layers}
        recorded: dict[str, list[torch.Tensor]] = {n: [] for n in names}
        sent: dict[str, list[torch.Tensor]] = {n: [] for n in names}
        driven: dict[str, list[torch.Tensor]] = {n: [] for n in names}
        hooked = {n for n in names if self.cells[n]._forward_hooks}  # e.g. training's meter
        raw: dict[str, list[torch.Tensor]] = {n: [] for n in hooked}
        for t in range(time):
            now = {n: frames[t] for n, frames in outside.items()}
            for group in inside:
                if group.delay:
                    source = self._earlier(sent[group.source], t - group.delay, group.source, batch)
                    self._add(group(source, self.connections), now)
            for layer in layers:
                drive = now.pop(layer.name)
                if layer.name in drives or layer.name in hooked:
                    driven[layer.name].append(drive)
                output, states[layer.name] = self._cell_step(layer, drive, states[layer.name])
                if layer.name in hooked:
                    raw[layer.name].append(output)
                output = self._silence_lesioned(layer.name, output)
                recorded[layer.name].append(output)
                output = self._dropout(output)
                sent[layer.name].append(output)
                for group in inside:
                    if group.source == layer.name and not group.delay:
                        self._add(group(output, self.connections), now)

        def video(frames: list[torch.Tensor]) -> torch.Tensor:
            return torch.stack(frames, 1).transpose(1, 2)

        for name in names:
            if name in drives:
                kept_drives[name] = video(driven[name])
        for name in hooked:  # forward hooks see a stepped layer as if it ran on the video
            cell, args, activity = self.cells[name], (video(driven[name]),), video(raw[name])
            for hook in list(cell._forward_hooks.values()):
                hook(cell, args, activity)
        outputs = {}
        for n in names:
            output = video(recorded[n])
            dropped = sent[n][0] is not recorded[n][0] if time else False
            outputs[n] = (output, video(sent[n]) if dropped else output)
        return outputs

    def _earlier(
        self, sent: list[torch.Tensor], frame: int, layer: str, batch: int
    ) -> torch.Tensor:
        """What ``layer`` sent at ``frame`` (``sent``: its maps so far), or its map at rest,
        zeros ``(batch, types, y, x)``, before the first frame."""
        if frame >= 0:
            return sent[frame]
        shape = (batch, self.plan.channels(layer), *self.plan.size(layer))
        return self.readout.weight.new_zeros(shape)

    def _send(
        self,
        groups: Iterable[ConnectionGroup],
        source_map: torch.Tensor,
        pending: dict[str, torch.Tensor],
        batch: int,
    ) -> None:
        """Run a source's connections in bulk on ``source_map (batch*time, types, y, x)``,
        each shifted by its delay, and add each target's dropped-out drive to ``pending``."""
        for group in groups:
            self._add(group(delayed(source_map, batch, group.delay), self.connections), pending)

    def _add(
        self, drives: Iterable[tuple[str, torch.Tensor]], pending: dict[str, torch.Tensor]
    ) -> None:
        """Add each target's drive, dropped out, to ``pending``."""
        for target, drive in drives:
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

    def _cell_state(self, layer: LayerPlan, batch: int) -> Any:
        """A layer's cell state at rest, for ``batch`` stimuli (its module's ``initial_state``)."""
        module = self.cells[layer.name]
        weight = self.readout.weight
        kind = {"device": weight.device, "dtype": weight.dtype}
        if not can_step(module):
            raise CircuitError(
                f"cell type {layer.cell_type!r} (plugin {layer.plugin!r}) of layer "
                f"{layer.name!r} cannot run frame by frame (no initial_state() and step())"
            )
        return self._plugin_call(layer, lambda: module.initial_state(batch, layer.size, **kind))

    def _cell_step(
        self, layer: LayerPlan, drive: torch.Tensor, state: Any
    ) -> tuple[torch.Tensor, Any]:
        """One frame of a layer's cell module: activity ``(batch, types, y, x)`` from its
        ``drive`` of that shape, and the next state; a misbehaving plugin reported by name."""
        result = self._plugin_call(layer, lambda: self.cells[layer.name].step(drive, state))
        output = result[0] if isinstance(result, tuple) and len(result) == 2 else None
        if not isinstance(output, torch.Tensor) or output.shape != drive.shape:
            got = tuple(output.shape) if isinstance(output, torch.Tensor) else type(result).__name__
            raise PluginError(
                f"cell type {layer.cell_type!r} (plugin {layer.plugin!r}) in layer "
                f"{layer.name!r}: step() returned {got}; expected (activity, state), the "
                f"activity of the drive's shape (batch, n_types, y, x) = {tuple(drive.shape)}"
            )
        return output, result[1]

    def _plugin_call(self, layer: LayerPlan, call: Callable[[], Any]) -> Any:
        """``call()``, a plugin's exception turned into a :class:`PluginError` naming it."""
        try:
            return call()
        except RetinasimError:
            raise
        except Exception as error:
            where = (
                f"cell type {layer.cell_type!r} (plugin {layer.plugin!r}) in layer {layer.name!r}"
            )
            raise PluginError(f"{where} raised {type(error).__name__}: {error}") from error

    def _schedule(self) -> tuple[dict[str, list[ConnectionGroup]], list[Component]]:
        """The connection groups by source and the components in run order, made again when
        ``options`` changed."""
        options = self.options
        if getattr(self, "_schedule_cache", (None,))[0] != options:
            if options.stepped:
                recurrent: tuple[tuple[str, ...], ...] = (tuple(self.layer_names),)
            else:
                recurrent = self.plan.recurrent
            component = {name: i for i, names in enumerate(recurrent) for name in names}
            components: list[Component] = []
            for name in self.layer_names:
                if name not in component:
                    components.append(Component((name,), stepped=False))
                elif name == recurrent[component[name]][0]:
                    components.append(Component(recurrent[component[name]], stepped=True))
            groups = group_connections(
                self.plan.connections,
                {layer.name for layer in self.plan.layers if layer.inhibitory},
                fuse=options.fuse_connections,
                dilated_input_weight_grad=options.dilated_input_weight_grad,
                channels_last_input_grad=options.channels_last_input_grad,
                component=component,
            )
            self._schedule_cache = (options, (groups, components))
        return self._schedule_cache[1]

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
        aligned: bool = False,
    ) -> torch.Tensor:
        """The drive connection ``key`` (``"<source>-><target>"``) delivers to its target,
        ``(batch, target types, time, y', x')``, from ``source (batch, source types, time, y,
        x)``, its source's activity as :meth:`run` records it (lesions applied) or, from the
        input, :meth:`seen_input`: an inhibitory source's output arrives negated, the bias is
        added when ``bias``, no dropout (the drive of eval mode). A delayed connection reads
        its source ``delay`` frames earlier (at rest, 0, before the first frame), unless
        ``aligned``: ``source`` already holds, at each frame, what the connection reads then.

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
        if not aligned:
            frames = delayed(frames, batch, plan.delay)
        frames = upsampled(frames, plan.upsample)
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
