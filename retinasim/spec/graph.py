"""Semantic checks of a circuit: names, connections, cycles and spatial shapes.

Pure functions of a validated :class:`CircuitSpec`; each problem is returned as
``(path, message)`` so that the loader can place it in the YAML file.
"""

from __future__ import annotations

from collections.abc import Iterable

from retinasim.spec.models import INPUT, CircuitSpec, ConnectionSpec

Problem = tuple[tuple[str | int, ...], str]


def output_size(size: tuple[int, int], connection: ConnectionSpec) -> tuple[int, int]:
    """Spatial ``(height, width)`` after the connection's convolution (may be ≤ 0 if invalid)."""
    kernel, stride, padding = connection.kernel, connection.stride, connection.padding
    return tuple(  # type: ignore[return-value]
        (size[d] + 2 * padding[d] - kernel[d]) // stride[d] + 1 for d in range(2)
    )


def topological_order(spec: CircuitSpec) -> list[str]:
    """Layer names ordered so that every layer comes after all of its sources.

    Raises ``ValueError`` naming the layers of a cycle.
    """
    names = [layer.name for layer in spec.layers]
    sources = {name: {c.source for c in spec.connections if c.target == name} for name in names}
    order: list[str] = []
    done = {INPUT}
    remaining = list(names)
    while remaining:
        ready = [name for name in remaining if sources[name] <= done]
        if not ready:
            raise ValueError("connections form a cycle through " + ", ".join(sorted(remaining)))
        for name in ready:
            order.append(name)
            done.add(name)
            remaining.remove(name)
    return order


def layer_sizes(spec: CircuitSpec) -> dict[str, tuple[int, int]]:
    """Spatial ``(height, width)`` of every layer (and ``input``), for a consistent spec."""
    sizes: dict[str, tuple[int, int]] = {INPUT: tuple(spec.input.size)}  # type: ignore[dict-item]
    for name in topological_order(spec):
        incoming = [c for c in spec.connections if c.target == name]
        sizes[name] = output_size(sizes[incoming[0].source], incoming[0])
    return sizes


def check_circuit(spec: CircuitSpec) -> list[Problem]:
    """Every semantic problem of ``spec`` (empty when it is consistent)."""
    problems: list[Problem] = list(_check_names(spec))
    names = {layer.name for layer in spec.layers}
    problems += _check_endpoints(spec, names)
    if problems:
        return problems
    try:
        order = topological_order(spec)
    except ValueError as cycle:
        targets = {c.target for c in spec.connections}
        first = next(
            i
            for i, c in enumerate(spec.connections)
            if c.source in targets and c.target in targets and c.source != INPUT
        )
        return [(("connections", first), str(cycle))]
    problems += _check_shapes(spec, order)
    if spec.readout.layer not in names:
        problems.append(
            (("readout", "layer"), _missing("readout layer", spec.readout.layer, names))
        )
    elif isinstance(spec.readout.frame, int) and spec.readout.frame >= spec.input.frames:
        problems.append(
            (
                ("readout", "frame"),
                f"frame {spec.readout.frame} is out of range: "
                f"the input has {spec.input.frames} frames (0..{spec.input.frames - 1})",
            )
        )
    return problems


def _missing(what: str, name: str, known: Iterable[str]) -> str:
    import difflib

    known = sorted(known)
    close = difflib.get_close_matches(name, known, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"{what} {name!r} does not exist{hint} (layers: {', '.join(known)})"


def _check_names(spec: CircuitSpec) -> Iterable[Problem]:
    seen: dict[str, int] = {}
    for i, layer in enumerate(spec.layers):
        if layer.name == INPUT:
            yield ("layers", i, "name"), f"{INPUT!r} is reserved for the photoreceptor input"
        elif layer.name in seen:
            yield (
                ("layers", i, "name"),
                (f"duplicate layer name {layer.name!r} (also layers[{seen[layer.name]}])"),
            )
        seen.setdefault(layer.name, i)


def _check_endpoints(spec: CircuitSpec, names: set[str]) -> list[Problem]:
    problems: list[Problem] = []
    seen: dict[tuple[str, str], int] = {}
    for i, c in enumerate(spec.connections):
        if c.source != INPUT and c.source not in names:
            problems.append(
                (("connections", i, "source"), _missing("source layer", c.source, names | {INPUT}))
            )
        if c.target == INPUT:
            problems.append((("connections", i, "target"), "the input cannot be a target"))
        elif c.target not in names:
            problems.append(
                (("connections", i, "target"), _missing("target layer", c.target, names))
            )
        if (c.source, c.target) in seen:
            problems.append(
                (
                    ("connections", i),
                    f"connection {c.source} -> {c.target} is "
                    f"listed twice (also connections[{seen[(c.source, c.target)]}])",
                )
            )
        seen.setdefault((c.source, c.target), i)
    targets = {c.target for c in spec.connections}
    for i, layer in enumerate(spec.layers):
        if layer.name in names and layer.name not in targets:
            problems.append((("layers", i), f"layer {layer.name!r} receives no connection"))
    return problems


def _check_shapes(spec: CircuitSpec, order: list[str]) -> list[Problem]:
    problems: list[Problem] = []
    sizes: dict[str, tuple[int, int] | None] = {INPUT: tuple(spec.input.size)}  # type: ignore
    for name in order:
        sizes[name] = None
        first: tuple[int, tuple[int, int]] | None = None
        for i, c in enumerate(spec.connections):
            if c.target != name or sizes[c.source] is None:
                continue
            size = output_size(sizes[c.source], c)  # type: ignore[arg-type]
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
                            f"connections[{first[0]}] ({spec.connections[first[0]].source} -> {name}) "
                            f"gives {first[1][0]}x{first[1][1]}; inputs to one layer must agree"
                        ),
                    )
                )
    return problems
