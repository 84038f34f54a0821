"""Semantic checks of a circuit: names, connections, cycles and spatial shapes.

Pure functions of a validated :class:`CircuitSpec`; each problem is returned as
``(path, message)`` so that the loader can place it in the YAML file.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from graphlib import CycleError, TopologicalSorter

from retinasim.spec.models import INPUT, CircuitSpec, ConnectionSpec
from retinasim.util.resources import BYTES
from retinasim.util.text import did_you_mean

Problem = tuple[tuple[str | int, ...], str]


def output_size(size: tuple[int, int], connection: ConnectionSpec) -> tuple[int, int]:
    """Spatial ``(height, width)`` after the connection's upsampling and convolution (may be
    ≤ 0 if invalid): ``(size × upsample + 2 × padding − kernel) // stride + 1`` per axis."""
    k, s, p, u = connection.kernel, connection.stride, connection.padding, connection.upsample
    return (
        (size[0] * u[0] + 2 * p[0] - k[0]) // s[0] + 1,
        (size[1] * u[1] + 2 * p[1] - k[1]) // s[1] + 1,
    )


def topological_order(spec: CircuitSpec) -> list[str]:
    """Layer names ordered so that every layer comes after the sources of its connections
    without a delay (a delayed connection reads an earlier frame, so it orders nothing); for
    a circuit without delays, after all of its sources.

    Raises ``ValueError`` naming the layers of a cycle without a delay.
    """
    names = [layer.name for layer in spec.layers]
    known = {*names, INPUT}
    sources = {
        name: {
            c.source
            for c in spec.connections
            if c.target == name and (c.delay == 0 or c.source not in known)
        }
        for name in names
    }
    try:
        order = _in_waves(names, sources)
    except CycleError as error:
        raise ValueError(_cycle_message(sorted(set(error.args[1])))) from None
    if len(order) < len(names):
        unfed = ", ".join(sorted(set(names) - set(order)))
        raise ValueError(f"layers fed through a connection from a missing layer: {unfed}")
    return order


def component_order(spec: CircuitSpec) -> list[tuple[str, ...]]:
    """The layers of a consistent ``spec`` grouped into the strongly connected components of
    its connection graph (delays included), in an order in which they can run: each after
    every component that feeds it. A component of several layers, or of one layer that
    connects to itself, is recurrent: it runs frame by frame. Layers keep their
    :func:`topological_order` inside a component, and the components come wave by wave in
    that order too, so a circuit without a cycle gives ``topological_order`` one layer a
    component."""
    order = topological_order(spec)
    following: dict[str, set[str]] = {name: set() for name in order}
    for c in spec.connections:
        if c.source != INPUT:
            following[c.source].add(c.target)
    reach = {name: _reachable(name, following) for name in order}
    component = {
        name: min(
            (n for n in order if n in reach[name] and name in reach[n]),
            default=name,
            key=order.index,
        )
        for name in order
    }
    groups = {head: tuple(n for n in order if component[n] == head) for head in component.values()}
    sources = {
        head: {
            component[c.source]
            for c in spec.connections
            if c.source != INPUT and component.get(c.target) == head
        }
        - {head}
        for head in groups
    }
    heads = _in_waves(sorted(groups, key=order.index), sources)
    return [groups[head] for head in heads]


def recurrent_components(spec: CircuitSpec) -> list[tuple[str, ...]]:
    """The components of :func:`component_order` that must run frame by frame: several
    layers that reach one another, or one layer that connects to itself."""
    loops = {c.target for c in spec.connections if c.source == c.target}
    return [group for group in component_order(spec) if len(group) > 1 or group[0] in loops]


def _reachable(start: str, following: Mapping[str, Iterable[str]]) -> set[str]:
    """Every name reached from ``start`` through one or more steps of ``following``."""
    seen: set[str] = set()
    todo = [start]
    while todo:
        for nxt in set(following.get(todo.pop(), ())) - seen:
            seen.add(nxt)
            todo.append(nxt)
    return seen


def _cycle_message(members: Sequence[str]) -> str:
    return (
        f"connections form a cycle without a delay through {', '.join(members)}; "
        "give one of its connections delay >= 1"
    )


def _in_waves(names: list[str], sources: Mapping[str, Iterable[object]]) -> list[str]:
    """``names`` in signal order, wave by wave: the layers fed by the input alone, then those
    fed by the input and the first wave, ...; each wave in file order (which decides the compiled
    circuit's parameters, so it must never change). A layer with a source that is neither the
    input nor one of ``names`` is left out, and so are the layers it feeds; a cycle raises
    :class:`graphlib.CycleError`."""
    position = {name: i for i, name in enumerate(names)}
    sorter = TopologicalSorter({name: set(sources[name]) - {INPUT} for name in names})
    sorter.prepare()
    order: list[str] = []
    while wave := sorted(
        (n for n in sorter.get_ready() if n in position), key=position.__getitem__
    ):
        order += wave
        sorter.done(*wave)
    return order


def layer_sizes(spec: CircuitSpec) -> dict[str, tuple[int, int]]:
    """Spatial ``(height, width)`` of every layer (and ``input``), for a consistent spec: a
    layer's size is given by its first connection (in file order) whose source's size is
    known when the layer comes in :func:`topological_order` (see :func:`_sizes`)."""
    return _sizes(spec, topological_order(spec), dict(enumerate(spec.connections)))[0]


BACKWARD_FACTOR = 3
"""Activity is kept for the backward pass and its gradient made: about 3 × the forward."""


def circuit_step_bytes(spec: CircuitSpec, stimuli: int, *, backward: bool = True) -> float:
    """Bytes of one forward (and backward) pass of ``spec`` on ``stimuli`` stimuli: the
    input and every layer's activity (``stimuli × n_types × frames × H × W`` values), times
    :data:`BACKWARD_FACTOR` with a backward pass, plus the weights of the connections and the
    decoder (with gradients and Adam's two moments when training)."""
    frames = spec.input.frames
    sizes = layer_sizes(spec)
    height, width = spec.input.size
    values = float(spec.input.channels) * frames * height * width
    types = {layer.name: layer.n_types for layer in spec.layers}
    types["input"] = spec.input.channels
    for layer in spec.layers:
        h, w = sizes[layer.name]
        values += float(layer.n_types) * frames * max(h, 0) * max(w, 0)
    readout_h, readout_w = sizes[spec.readout.layer]
    weights = float(types[spec.readout.layer]) * readout_h * readout_w * len(spec.readout.classes)
    for connection in spec.connections:
        kh, kw = connection.kernel
        weights += float(types[connection.source]) * types[connection.target] * kh * kw
    activity = float(stimuli) * values * BYTES * (BACKWARD_FACTOR if backward else 1)
    return activity + weights * BYTES * (4 if backward else 1)


def check_circuit(spec: CircuitSpec) -> list[Problem]:
    """Every semantic problem of ``spec`` (empty when it is consistent).

    Names, cycles and shapes are each checked on the part of the circuit they can be checked
    on: a dangling connection does not hide a cycle elsewhere, nor a cycle a shape mismatch
    between layers outside it.
    """
    names = [layer.name for layer in spec.layers]
    pairs = [(c.source, c.target) for c in spec.connections]
    delays = [c.delay for c in spec.connections]
    problems = check_links(names, pairs, spec.readout.layer, delays=delays)
    usable, cycles = _cycles(names, pairs, delays)
    in_cycle = {name for _, members in cycles for name in members}
    connections = {i: spec.connections[i] for i in usable}
    order = [n for n in dict.fromkeys(names) if n not in in_cycle and n != INPUT]
    sources = {
        n: {c.source for c in connections.values() if c.target == n and c.delay == 0} - {n}
        for n in order
    }
    fed = {c.target for c in connections.values()}
    # layers fed (directly or not, without a delay) only through a cycle or a dangling
    # connection are left out, and so are layers without any source (None: a source that never
    # comes); delayed connections order nothing (their sizes are checked once all are known)
    order = _in_waves(order, {name: sources[name] if name in fed else {None} for name in order})
    problems += _sizes(spec, order, connections)[1]
    frame, frames = spec.readout.frame, spec.input.frames
    if isinstance(frame, int) and frame >= frames:
        message = f"frame {frame} is out of range: the input has {frames} frames (0..{frames - 1})"
        problems.append((("readout", "frame"), message))
    return problems


def _cycles(
    layer_names: Sequence[str | None],
    connections: Sequence[tuple[str | None, str | None]],
    delays: Sequence[int | None] | None = None,
) -> tuple[list[int], list[tuple[int, list[str]]]]:
    """Indices of the connections between existing layers (or from the input), and the
    cycles without a delay among them: for each group of layers that reach one another
    through connections of delay 0 (``delays``: one per connection, default all 0; ``None``
    for an invalid delay, taken as no cycle's), the last such connection (in file order) on
    the cycle, usually the one that closes it, and the layers (sorted). A layer that
    connects to itself is no group of its own (see :func:`check_links`)."""
    known = {name for name in layer_names if name is not None} - {INPUT}
    usable = [
        i
        for i, (source, target) in enumerate(connections)
        if (source == INPUT or source in known) and target in known
    ]
    undelayed = [i for i in usable if delays is None or delays[i] == 0]
    edges = [(i, str(connections[i][0]), str(connections[i][1])) for i in undelayed]
    edges = [(i, source, target) for i, source, target in edges if source != target]
    following: dict[str, set[str]] = {}
    for _, source, target in edges:
        following.setdefault(source, set()).add(target)
    reach = {name: _reachable(name, following) for name in following}
    cycles: dict[frozenset[str], int] = {}
    for index, source, target in edges:
        if source != INPUT and source in reach.get(target, set()):  # on a cycle
            group = frozenset(n for n in reach if n in reach[source] and source in reach[n])
            cycles[group] = index  # the last: usually the one that closes it
    return usable, [(i, sorted(group)) for group, i in sorted(cycles.items(), key=lambda g: g[1])]


def check_links(
    layer_names: Sequence[str | None],
    connections: Sequence[tuple[str | None, str | None]],
    readout_layer: str | None,
    *,
    delays: Sequence[int | None] | None = None,
) -> list[Problem]:
    """Problems with names alone (and ``delays``, one per connection, default all 0):
    duplicates, dangling connections, layers without input, a readout from a missing layer,
    cycles without a delay, a layer connected to itself without a delay. ``None`` stands for
    a name or a delay that is itself invalid (already reported) and is skipped, so the loader
    runs these checks on a partly invalid file."""
    problems: list[Problem] = []
    names = {name for name in layer_names if name is not None}
    seen: dict[str, int] = {}
    for i, name in enumerate(layer_names):
        if name == INPUT:
            message = f"{INPUT!r} is reserved for the photoreceptor input"
            problems.append((("layers", i, "name"), message))
        elif name is not None and name in seen:
            message = f"duplicate layer name {name!r} (also layers[{seen[name]}])"
            problems.append((("layers", i, "name"), message))
        if name is not None:
            seen.setdefault(name, i)
    pairs: dict[tuple[str | None, str | None], int] = {}
    for i, (source, target) in enumerate(connections):
        if source is not None and source != INPUT and source not in names:
            message = _missing("source layer", source, names | {INPUT})
            problems.append((("connections", i, "source"), message))
        if target == INPUT:
            problems.append((("connections", i, "target"), "the input cannot be a target"))
        elif target is not None and target not in names:
            problems.append((("connections", i, "target"), _missing("target layer", target, names)))
        if None not in (source, target) and (source, target) in pairs:
            message = (
                f"connection {source} -> {target} is listed twice "
                f"(also connections[{pairs[(source, target)]}])"
            )
            problems.append((("connections", i), message))
        pairs.setdefault((source, target), i)
    if None not in (target for _, target in connections):
        targets = {target for _, target in connections}
        for i, name in enumerate(layer_names):
            if name is not None and name != INPUT and name not in targets:
                problems.append((("layers", i), f"layer {name!r} receives no connection"))
    if readout_layer is not None and readout_layer not in names:
        problems.append((("readout", "layer"), _missing("readout layer", readout_layer, names)))
    for i, (source, target) in enumerate(connections):
        if source not in (None, INPUT) and source == target and (delays is None or delays[i] == 0):
            message = (
                f"layer {source!r} connects to itself without a delay; give this connection "
                "delay >= 1"
            )
            problems.append((("connections", i), message))
    for index, members in _cycles(layer_names, connections, delays)[1]:
        problems.append((("connections", index), _cycle_message(members)))
    return problems


def _missing(what: str, name: str, known: Iterable[str]) -> str:
    known = sorted(known)
    return f"{what} {name!r} does not exist{did_you_mean(name, known)} (layers: {', '.join(known)})"


def _sizes(
    spec: CircuitSpec, order: list[str], usable: dict[int, ConnectionSpec]
) -> tuple[dict[str, tuple[int, int]], list[Problem]]:
    """The spatial sizes of the layers of ``order`` (and ``input``) that the ``usable``
    connections fix, and the problems with them.

    Layers are sized in ``order`` (the order of the connections without a delay): a layer's
    size is given by its first connection (in file order) whose source's size is already
    known and whose kernel fits; its other connections from layers of known size must agree.
    A delayed connection from a layer later in the order is checked once that layer's size
    is known; a layer fed only through delayed connections from layers sized after it is sized
    on a later pass over the order. A layer whose size nothing fixes (fed only from layers
    whose size depends on its own) is a problem at that layer, unless a problem already
    reported upstream explains it."""
    problems: list[Problem] = []
    sizes: dict[str, tuple[int, int]] = {INPUT: spec.input.size}
    first: dict[str, int] = {}
    checked: set[int] = set()
    misfit: set[str] = set()

    def check(i: int, c: ConnectionSpec) -> None:
        checked.add(i)
        source_size = sizes[c.source]
        size = output_size(source_size, c)
        scaled = (source_size[0] * c.upsample[0], source_size[1] * c.upsample[1])
        upsampled = f" upsampled by {c.upsample} to {scaled}" if c.upsample != (1, 1) else ""
        if min(size) < 1:
            message = (
                f"kernel {c.kernel} with stride {c.stride} and padding {c.padding} does "
                f"not fit the {c.source} map of size {source_size}{upsampled}"
            )
            problems.append((("connections", i, "kernel"), message))
            misfit.add(c.target)
        elif c.target not in sizes:
            first[c.target] = i
            sizes[c.target] = size
        elif size != sizes[c.target]:
            j = first[c.target]
            detail = (
                f" (from the {source_size[0]}x{source_size[1]} {c.source} map upsampled "
                f"{c.upsample[0]}x{c.upsample[1]} to {scaled[0]}x{scaled[1]})"
                if upsampled
                else ""
            )
            message = (
                f"{c.source} -> {c.target} gives a {size[0]}x{size[1]} map{detail} but "
                f"connections[{j}] ({spec.connections[j].source} -> {c.target}) gives "
                f"{sizes[c.target][0]}x{sizes[c.target][1]}; inputs to one layer must agree"
            )
            problems.append((("connections", i), message))

    growing = True
    while growing:
        known = len(sizes)
        for name in order:
            if name not in sizes:
                for i, c in usable.items():
                    if c.target == name and c.source in sizes and i not in checked:
                        check(i, c)
        growing = len(sizes) > known
    for i, c in usable.items():  # feedback from layers sized after their target
        if i not in checked and c.source in sizes and c.target in sizes:
            check(i, c)
    unsized = [name for name in order if name not in sizes]
    feeding = {n: {c.source for c in usable.values() if c.target == n} for n in unsized}
    blocked = misfit | ({layer.name for layer in spec.layers} - set(order))
    index = {layer.name: i for i, layer in enumerate(spec.layers)}
    loops: set[frozenset[str]] = set()
    for name in unsized:
        loop = frozenset({name} | {n for n in _reachable(name, feeding) if n not in sizes})
        if not loop & blocked and loop not in loops:
            loops.add(loop)
            message = (
                f"the size of layer {name!r} cannot be fixed: it is fed only from layers whose "
                f"size depends on its own ({', '.join(sorted(loop))}); feed one of them from "
                "the input or from a layer of known size"
            )
            problems.append((("layers", index[name]), message))
    return sizes, problems
