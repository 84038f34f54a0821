"""Semantic checks of a circuit: names, connections, cycles and spatial shapes.

Pure functions of a validated :class:`CircuitSpec`; each problem is returned as
``(path, message)`` so that the loader can place it in the YAML file.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from graphlib import CycleError, TopologicalSorter

from retinasim.spec.models import INPUT, CircuitSpec, ConnectionSpec
from retinasim.util.text import did_you_mean

Problem = tuple[tuple[str | int, ...], str]


def output_size(size: tuple[int, int], connection: ConnectionSpec) -> tuple[int, int]:
    """Spatial ``(height, width)`` after the connection's convolution (may be ≤ 0 if invalid)."""
    kernel, stride, padding = connection.kernel, connection.stride, connection.padding

    def along(d: int) -> int:
        return (size[d] + 2 * padding[d] - kernel[d]) // stride[d] + 1

    return along(0), along(1)


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
    """``names`` in signal order, wave by wave: first the layers fed by the input alone, then
    those fed by the input and the first wave, ...; each wave in file order (the order decides
    the compiled circuit's parameters, so it must never change).

    A layer with a source that is neither the input nor one of ``names`` is left out, and so
    are the layers it feeds. Raises :class:`graphlib.CycleError` for a cycle.
    """
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


def check_circuit(spec: CircuitSpec) -> list[Problem]:
    """Every semantic problem of ``spec`` (empty when it is consistent).

    Names, cycles and shapes are all checked, each on the part of the circuit it can be
    checked on: a dangling connection does not hide a cycle elsewhere, and a cycle does not
    hide a shape mismatch between layers outside it.
    """
    names = [layer.name for layer in spec.layers]
    problems = check_links(
        names, [(c.source, c.target) for c in spec.connections], spec.readout.layer
    )
    known = set(names) - {INPUT}
    usable = [
        (i, c)
        for i, c in enumerate(spec.connections)
        if (c.source == INPUT or c.source in known) and c.target in known
    ]
    cycles = find_cycles([(i, c.source, c.target) for i, c in usable])
    for index, members in cycles:
        problems.append(
            (("connections", index), "connections form a cycle through " + ", ".join(members))
        )
    in_cycle = {name for _, members in cycles for name in members}
    order = _order(
        [c for _, c in usable], [n for n in dict.fromkeys(names) if n in known - in_cycle]
    )
    problems += _check_shapes(spec, order, dict(usable))
    frame = spec.readout.frame
    if isinstance(frame, int) and frame >= spec.input.frames:
        problems.append(
            (
                ("readout", "frame"),
                f"frame {frame} is out of range: the input has "
                f"{spec.input.frames} frames (0..{spec.input.frames - 1})",
            )
        )
    return problems


def find_cycles(edges: list[tuple[int, str, str]]) -> list[tuple[int, list[str]]]:
    """The cycles among ``(index, source, target)`` connections: for each group of layers
    that reach one another, the first connection (in file order) that lies on the cycle and
    the layers (sorted)."""
    following: dict[str, set[str]] = {}
    for _, source, target in edges:
        following.setdefault(source, set()).add(target)

    def reachable(start: str) -> set[str]:
        seen: set[str] = set()
        todo = [start]
        while todo:
            for nxt in following.get(todo.pop(), ()):
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return seen

    reach = {name: reachable(name) for name in following}
    cycles: dict[frozenset[str], int] = {}
    for index, source, target in edges:
        if source == INPUT or source not in reach.get(target, set()):
            continue  # not on a cycle
        group = frozenset(name for name in reach if name in reach[source] and source in reach[name])
        cycles.setdefault(group, index)
    return [(index, sorted(group)) for group, index in sorted(cycles.items(), key=lambda g: g[1])]


def _order(connections: list[ConnectionSpec], names: list[str]) -> list[str]:
    """``names`` in signal order; layers fed (directly or not) only through a cycle or a
    dangling connection are left out, and so are layers without any source (``None``: a
    source that never comes)."""
    sources = {name: {c.source for c in connections if c.target == name} for name in names}
    return _in_waves(names, {name: sources[name] or {None} for name in names})


def check_links(
    layer_names: Sequence[str | None],
    connections: Sequence[tuple[str | None, str | None]],
    readout_layer: str | None,
) -> list[Problem]:
    """Problems with names alone: duplicates, dangling connections, layers without input,
    a readout from a missing layer. ``None`` stands for a name that is itself invalid (already
    reported) and is skipped; this lets the loader run these checks on a partly invalid file."""
    problems: list[Problem] = []
    names = {name for name in layer_names if name is not None}
    seen: dict[str, int] = {}
    for i, name in enumerate(layer_names):
        if name == INPUT:
            problems.append(
                (("layers", i, "name"), f"{INPUT!r} is reserved for the photoreceptor input")
            )
        elif name is not None and name in seen:
            problems.append(
                (
                    ("layers", i, "name"),
                    f"duplicate layer name {name!r} (also layers[{seen[name]}])",
                )
            )
        if name is not None:
            seen.setdefault(name, i)
    pairs: dict[tuple[str | None, str | None], int] = {}
    for i, (source, target) in enumerate(connections):
        if source is not None and source != INPUT and source not in names:
            problems.append(
                (("connections", i, "source"), _missing("source layer", source, names | {INPUT}))
            )
        if target == INPUT:
            problems.append((("connections", i, "target"), "the input cannot be a target"))
        elif target is not None and target not in names:
            problems.append((("connections", i, "target"), _missing("target layer", target, names)))
        if None not in (source, target) and (source, target) in pairs:
            problems.append(
                (
                    ("connections", i),
                    f"connection {source} -> {target} is listed "
                    f"twice (also connections[{pairs[(source, target)]}])",
                )
            )
        pairs.setdefault((source, target), i)
    if None not in (target for _, target in connections):
        targets = {target for _, target in connections}
        for i, name in enumerate(layer_names):
            if name is not None and name != INPUT and name not in targets:
                problems.append((("layers", i), f"layer {name!r} receives no connection"))
    if readout_layer is not None and readout_layer not in names:
        problems.append((("readout", "layer"), _missing("readout layer", readout_layer, names)))
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
                problems.append(
                    (
                        ("connections", i, "kernel"),
                        (
                            f"kernel {c.kernel} with stride {c.stride} and padding "
                            f"{c.padding} does not fit the {c.source} map of size "
                            f"{sizes[c.source]}"
                        ),
                    )
                )
                continue
            if first is None:
                first = (i, size)
                sizes[name] = size
            elif size != first[1]:
                problems.append(
                    (
                        ("connections", i),
                        (
                            f"{c.source} -> {name} gives a {size[0]}x{size[1]} map but "
                            f"connections[{first[0]}] "
                            f"({spec.connections[first[0]].source} -> {name}) "
                            f"gives {first[1][0]}x{first[1][1]}; inputs to one layer must agree"
                        ),
                    )
                )
    return problems
