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
    """Spatial ``(height, width)`` after the connection's convolution (may be ≤ 0 if invalid)."""
    k, s, p = connection.kernel, connection.stride, connection.padding
    return (size[0] + 2 * p[0] - k[0]) // s[0] + 1, (size[1] + 2 * p[1] - k[1]) // s[1] + 1


def topological_order(spec: CircuitSpec) -> list[str]:
    """Layer names ordered so that every layer comes after all of its sources.

    Raises ``ValueError`` naming the layers of a cycle.
    """
    names = [layer.name for layer in spec.layers]
    sources = {name: {c.source for c in spec.connections if c.target == name} for name in names}
    try:
        order = _in_waves(names, sources)
    except CycleError as error:
        cycle = ", ".join(sorted(set(error.args[1])))
        raise ValueError(f"connections form a cycle through {cycle}") from None
    if len(order) < len(names):
        unfed = ", ".join(sorted(set(names) - set(order)))
        raise ValueError(f"layers fed through a connection from a missing layer: {unfed}")
    return order


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
    """Spatial ``(height, width)`` of every layer (and ``input``), for a consistent spec."""
    sizes: dict[str, tuple[int, int]] = {INPUT: spec.input.size}
    for name in topological_order(spec):
        incoming = [c for c in spec.connections if c.target == name]
        sizes[name] = output_size(sizes[incoming[0].source], incoming[0])
    return sizes


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
    problems = check_links(names, pairs, spec.readout.layer)
    usable, cycles = _cycles(names, pairs)
    in_cycle = {name for _, members in cycles for name in members}
    connections = {i: spec.connections[i] for i in usable}
    order = [n for n in dict.fromkeys(names) if n not in in_cycle and n != INPUT]
    sources = {n: {c.source for c in connections.values() if c.target == n} for n in order}
    # layers fed (directly or not) only through a cycle or a dangling connection are left
    # out, and so are layers without any source (None: a source that never comes)
    order = _in_waves(order, {name: sources[name] or {None} for name in order})
    problems += _check_shapes(spec, order, connections)
    frame, frames = spec.readout.frame, spec.input.frames
    if isinstance(frame, int) and frame >= frames:
        message = f"frame {frame} is out of range: the input has {frames} frames (0..{frames - 1})"
        problems.append((("readout", "frame"), message))
    return problems


def _cycles(
    layer_names: Sequence[str | None], connections: Sequence[tuple[str | None, str | None]]
) -> tuple[list[int], list[tuple[int, list[str]]]]:
    """Indices of the connections between existing layers (or from the input), and the
    cycles among them: for each group of layers that reach one another, the first connection
    (in file order) on the cycle and the layers (sorted)."""
    known = {name for name in layer_names if name is not None} - {INPUT}
    usable = [
        i
        for i, (source, target) in enumerate(connections)
        if (source == INPUT or source in known) and target in known
    ]
    edges = [(i, str(connections[i][0]), str(connections[i][1])) for i in usable]
    following: dict[str, set[str]] = {}
    for _, source, target in edges:
        following.setdefault(source, set()).add(target)

    def reachable(start: str) -> set[str]:
        seen: set[str] = set()
        todo = [start]
        while todo:
            for nxt in following.get(todo.pop(), set()) - seen:
                seen.add(nxt)
                todo.append(nxt)
        return seen

    reach = {name: reachable(name) for name in following}
    cycles: dict[frozenset[str], int] = {}
    for index, source, target in edges:
        if source != INPUT and source in reach.get(target, set()):  # on a cycle
            group = frozenset(n for n in reach if n in reach[source] and source in reach[n])
            cycles.setdefault(group, index)
    return usable, [(i, sorted(group)) for group, i in sorted(cycles.items(), key=lambda g: g[1])]


def check_links(
    layer_names: Sequence[str | None],
    connections: Sequence[tuple[str | None, str | None]],
    readout_layer: str | None,
) -> list[Problem]:
    """Problems with names alone: duplicates, dangling connections, layers without input,
    a readout from a missing layer, cycles. ``None`` stands for a name that is itself invalid
    (already reported) and is skipped, so the loader runs these checks on a partly invalid
    file."""
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
    for index, members in _cycles(layer_names, connections)[1]:
        message = "connections form a cycle through " + ", ".join(members)
        problems.append((("connections", index), message))
    return problems


def _missing(what: str, name: str, known: Iterable[str]) -> str:
    known = sorted(known)
    return f"{what} {name!r} does not exist{did_you_mean(name, known)} (layers: {', '.join(known)})"


def _check_shapes(
    spec: CircuitSpec, order: list[str], usable: dict[int, ConnectionSpec]
) -> list[Problem]:
    problems: list[Problem] = []
    sizes: dict[str, tuple[int, int] | None] = {INPUT: spec.input.size}
    for name in order:
        sizes[name] = None
        first: tuple[int, tuple[int, int]] | None = None
        for i, c in usable.items():
            source_size = sizes.get(c.source)
            if c.target != name or source_size is None:
                continue
            size = output_size(source_size, c)
            if min(size) < 1:
                message = (
                    f"kernel {c.kernel} with stride {c.stride} and padding {c.padding} does "
                    f"not fit the {c.source} map of size {source_size}"
                )
                problems.append((("connections", i, "kernel"), message))
            elif first is None:
                first = (i, size)
                sizes[name] = size
            elif size != first[1]:
                other = spec.connections[first[0]].source
                message = (
                    f"{c.source} -> {name} gives a {size[0]}x{size[1]} map but "
                    f"connections[{first[0]}] ({other} -> {name}) gives "
                    f"{first[1][0]}x{first[1][1]}; inputs to one layer must agree"
                )
                problems.append((("connections", i), message))
    return problems
