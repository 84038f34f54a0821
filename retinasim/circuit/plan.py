"""What the compiler hands to :class:`~retinasim.circuit.Circuit`: frozen, torch-free records
translated from a validated spec (layers in topological order, sizes and constraints resolved).
"""

from __future__ import annotations

from dataclasses import dataclass

INPUT = "input"
"""Name of the photoreceptor input as a connection source (same as ``retinasim.spec.INPUT``)."""


@dataclass(frozen=True)
class ConnectionPlan:
    """A spatial convolution from every type of ``source`` to every type of ``target``.

    Kernel, stride and padding are ``(height, width)`` pairs in pixels of the source map, after
    it is repeated ``upsample`` times along each axis (nearest neighbour); the target at frame
    ``t`` reads the source at frame ``t - delay`` (at rest, 0, before the first frame).
    """

    source: str
    target: str
    kernel: tuple[int, int]
    stride: tuple[int, int]
    padding: tuple[int, int]
    bias: bool
    nonnegative: bool
    delay: int = 0
    upsample: tuple[int, int] = (1, 1)

    @property
    def key(self) -> str:
        """Module name of the connection, ``"<source>-><target>"`` (unambiguous: layer names
        cannot contain ``>``)."""
        return f"{self.source}->{self.target}"


@dataclass(frozen=True)
class LayerPlan:
    """One layer: ``n_types`` cell types of one cell-type plugin on a ``size`` map."""

    name: str
    n_types: int
    type_names: tuple[str, ...]
    size: tuple[int, int]
    cell_type: str
    plugin: str
    inhibitory: bool
    nonnegative: bool


@dataclass(frozen=True)
class CircuitPlan:
    """A whole circuit, ready to build: the stimulus ``(batch, input_channels, frames,
    *input_size)``, layers in run order (each after the sources of its undelayed connections),
    connections in spec order, the decoder reading
    ``readout_layer`` with the decision at ``readout_frame`` (``-1``: the last frame), dropout
    while training, and what the circuit sees of a luminance video: ``(video - input_offset) *
    input_scale``."""

    name: str
    input_channels: int
    input_size: tuple[int, int]
    frames: int
    layers: tuple[LayerPlan, ...]
    connections: tuple[ConnectionPlan, ...]
    readout_layer: str
    classes: tuple[str, ...]
    readout_frame: int
    dropout: float
    input_offset: float = 0.0
    input_scale: float = 1.0
    recurrent: tuple[tuple[str, ...], ...] = ()
    """The recurrent components (layers that reach one another, or a layer connected to
    itself), each in run order: they run frame by frame; every other layer over the whole
    video at once."""

    def layer(self, name: str) -> LayerPlan:
        """The layer called ``name`` (``KeyError`` if there is none)."""
        return {layer.name: layer for layer in self.layers}[name]

    def channels(self, name: str) -> int:
        """Number of channels of a layer's map, or of the input."""
        return self.input_channels if name == INPUT else self.layer(name).n_types

    def size(self, name: str) -> tuple[int, int]:
        """Spatial ``(y, x)`` size of a layer's map, or of the input, in pixels."""
        return self.input_size if name == INPUT else self.layer(name).size
