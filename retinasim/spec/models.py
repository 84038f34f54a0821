"""Pydantic models of a circuit specification.

The spec is pure data: it knows nothing of torch. Every model is strict (unknown keys, NaN/inf
and non-positive sizes are rejected) and frozen. Field docstrings are the documentation: they
become the descriptions of the exported JSON Schema and of ``docs/spec-reference.md``.
"""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any

from pydantic import (
    BeforeValidator,
    Field,
    PlainValidator,
    StringConstraints,
    WithJsonSchema,
    model_validator,
)

from retinasim.spec.strict import StrictModel
from retinasim.spec.training import TrainingSpec

INPUT = "input"
"""Reserved name of the photoreceptor input, usable as a connection ``source``."""

PositiveInt = Annotated[int, Field(strict=True, ge=1)]
NonNegativeInt = Annotated[int, Field(strict=True, ge=0)]


def as_pair(value: Any) -> Any:
    """A single number stands for the same value along height and width."""
    return (value, value) if isinstance(value, int) and not isinstance(value, bool) else value


def _frame_index(value: Any) -> str | int:
    if value == "last" or (isinstance(value, int) and not isinstance(value, bool) and value >= 0):
        return value
    raise ValueError(f"expected 'last' or a frame index >= 0 (got {value!r})")


def _pair_schema(minimum: int) -> WithJsonSchema:
    number = {"type": "integer", "minimum": minimum}
    return WithJsonSchema(
        {"anyOf": [number, {"type": "array", "items": number, "minItems": 2, "maxItems": 2}]}
    )


PositivePair = Annotated[tuple[PositiveInt, PositiveInt], BeforeValidator(as_pair), _pair_schema(1)]
"""A size in pixels: one positive integer, or ``[height, width]``."""
NonNegativePair = Annotated[
    tuple[NonNegativeInt, NonNegativeInt], BeforeValidator(as_pair), _pair_schema(0)
]
"""A padding in pixels: one integer ≥ 0, or ``[height, width]``."""
FrameIndex = Annotated[
    str | int,
    PlainValidator(_frame_index),
    WithJsonSchema({"anyOf": [{"const": "last"}, {"type": "integer", "minimum": 0}]}),
]
Name = Annotated[
    str,
    StringConstraints(strict=True, pattern=r"^[A-Za-z_][A-Za-z0-9_\-]*$", max_length=64),
]


class Sign(str, Enum):
    """Sign of a layer's output onto its targets."""

    excitatory = "excitatory"
    inhibitory = "inhibitory"


class WeightConstraint(str, Enum):
    """Constraint projected onto weights after every optimizer step."""

    free = "free"
    nonnegative = "nonnegative"


class InputSpec(StrictModel):
    """The photoreceptor drive: a video of ``channels`` × ``frames`` × ``size``."""

    channels: PositiveInt = 1
    """Number of input channels (1 for a grey-scale video)."""
    size: PositivePair = (255, 255)
    """Spatial size ``[height, width]`` in pixels."""
    frames: PositiveInt = 51
    """Number of frames of one stimulus."""
    frame_rate: Annotated[float, Field(gt=0)] = 30.0
    """Frames per second, used to label time in seconds (a convention: the paper gives none)."""


class LayerSpec(StrictModel):
    """One layer of cells: ``n_types`` cell types that share one cell-type plugin."""

    name: Name
    """Unique name of the layer, e.g. ``bipolar``; ``input`` is reserved."""
    cell_type: Name
    """Name of a registered cell-type plugin (``retinasim plugins`` lists them)."""
    n_types: PositiveInt
    """Number of cell types in the layer (output channels)."""
    type_names: list[Name] | None = None
    """Optional names of the cell types, one per type; default ``<layer>_<index>``."""
    sign: Sign = Sign.excitatory
    """``inhibitory`` negates the layer's (non-negative) output before it reaches its targets."""
    weights: WeightConstraint = WeightConstraint.free
    """Constraint on the weights into this layer and inside its cell types; also the default of
    every connection that targets this layer."""
    params: dict[str, Any] = Field(default_factory=dict)
    """Parameters of the cell-type plugin, validated against the plugin's own ``Params`` model."""

    @model_validator(mode="after")
    def _type_names_match_count(self) -> LayerSpec:
        if self.type_names is not None:
            if len(self.type_names) != self.n_types:
                raise ValueError(
                    f"type_names has {len(self.type_names)} names but n_types is {self.n_types}"
                )
            if len(set(self.type_names)) != len(self.type_names):
                raise ValueError("type_names must be unique")
        return self

    @property
    def resolved_type_names(self) -> list[str]:
        """Names of the cell types: ``type_names`` or ``<layer>_<index>``."""
        return list(self.type_names or (f"{self.name}_{i}" for i in range(self.n_types)))


class ConnectionSpec(StrictModel):
    """A spatial convolution from every cell type of ``source`` to every type of ``target``."""

    source: Name
    """Layer the connection reads from, or ``input`` for the photoreceptor drive."""
    target: Name
    """Layer the connection drives; several connections into one layer are summed."""
    kernel: PositivePair
    """Spatial kernel size in pixels of the source layer (one number, or ``[height, width]``)."""
    stride: PositivePair = (1, 1)
    """Stride in pixels of the source layer."""
    padding: NonNegativePair = (0, 0)
    """Zero padding in pixels on each side."""
    weights: WeightConstraint | None = None
    """Constraint on this connection's weights; default: the target layer's ``weights``."""
    bias: bool = True
    """Whether the connection has a learnable bias per target type."""
    delay: NonNegativeInt = 0
    """Delay in whole frames: the target at frame t receives the source's output at frame
    t − delay; before frame ``delay`` the source counts as at rest (activity 0), so the
    connection delivers only its bias. Connections may form a cycle (feedback, e.g.
    ``amacrine -> bipolar``) only if every cycle has a connection with delay ≥ 1, and a layer
    may connect to itself (lateral interactions) only with delay ≥ 1."""
    upsample: PositivePair = (1, 1)
    """Factor by which the source map is repeated (nearest neighbour) along height and width
    before the convolution, so that a coarse map can feed a finer one (e.g. amacrine 12×12
    back onto bipolar 50×50): the target map is ``(size × upsample + 2 × padding − kernel) //
    stride + 1`` per axis."""


class ReadoutSpec(StrictModel):
    """A linear decoder from a layer's whole map to one output per class, at every frame."""

    layer: Name
    """Layer that is read out."""
    classes: list[Name] = Field(default_factory=lambda: ["left", "right"], min_length=2)
    """Names of the decisions, in the order of the decoder's outputs."""
    frame: FrameIndex = "last"
    """Frame whose outputs make the decision (``last`` or a 0-based index)."""

    @model_validator(mode="after")
    def _unique_classes(self) -> ReadoutSpec:
        if len(set(self.classes)) != len(self.classes):
            raise ValueError("classes must be unique")
        return self


class CircuitSpec(StrictModel):
    """A retinal circuit: input, layers of cell types, connections and a readout."""

    name: Name
    """Name of the circuit, recorded in every output."""
    description: str = ""
    """Free text shown by ``retinasim info``."""
    input: InputSpec = Field(default_factory=InputSpec)
    """The photoreceptor drive."""
    layers: list[LayerSpec] = Field(min_length=1)
    """Layers of cells, in any order (the compiler orders them by their connections)."""
    connections: list[ConnectionSpec] = Field(min_length=1)
    """Spatial convolutions between layers (and from ``input``)."""
    readout: ReadoutSpec
    """The linear decoder."""
    dropout: Annotated[float, Field(ge=0.0, lt=1.0)] = 0.0
    """Dropout probability after every spatial and temporal convolution while training."""
    training: TrainingSpec = Field(default_factory=TrainingSpec)
    """How ``retinasim train`` trains the circuit: optimiser, schedule, stimuli, seeds (all
    optional; see ``docs/training.md``)."""

    def layer(self, name: str) -> LayerSpec:
        """The layer called ``name`` (``KeyError`` if there is none)."""
        return {layer.name: layer for layer in self.layers}[name]

    def connection_constraint(self, connection: ConnectionSpec) -> WeightConstraint:
        """The constraint of ``connection``: its own, else its target layer's."""
        if connection.weights is not None:
            return connection.weights
        return self.layer(connection.target).weights
