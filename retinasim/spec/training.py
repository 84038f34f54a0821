"""The optional ``training:`` section of a circuit file: optimiser, schedule, data and seeds.

Pure data (no torch). The ``stimulus`` section names its task (``kind``, default
``moving_dots``) and is checked against that kind's torch-free parameter model, like cell-type
``params``: errors land at ``training.stimulus.<name>`` with the file position."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any

from pydantic import (
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from retinasim.spec.strict import StrictModel
from retinasim.util.text import did_you_mean

PositiveInt = Annotated[int, Field(strict=True, ge=1)]
Length = Annotated[int, Field(strict=True, ge=1, le=100_000_000)]
"""Steps or epochs of a run: at most 10⁸ (a run of that many steps takes months here)."""
NonNegativeInt = Annotated[int, Field(strict=True, ge=0)]
Seed = Annotated[int, Field(strict=True, ge=0, lt=2**63)]
PositiveFloat = Annotated[float, Field(gt=0)]

DEFAULT_STEPS = 500
"""Length of a run that names neither ``steps`` nor ``epochs``."""

#: Stimulus parameters that come from the circuit's ``input`` section, not from ``training``.
INPUT_OWNED = {
    "height": "input.size",
    "width": "input.size",
    "frames": "input.frames",
    "frame_rate_hz": "input.frame_rate",
}
DEFAULT_TASK = "moving_dots"
"""The task of a ``training.stimulus`` section without ``kind``."""


class Schedule(str, Enum):
    """Learning-rate schedule after the linear warm-up."""

    constant = "constant"
    cosine = "cosine"
    linear = "linear"


class Initialisation(str, Enum):
    """How the weights start."""

    pytorch = "pytorch"
    normalised = "normalised"


class StimulusSeeds(StrictModel):
    """Seeds of the three stimulus sets; distinct, so the sets never share a stimulus."""

    train: Seed = 1
    """Seed of the training stimuli (stimulus ``step * batch_size + k`` at step ``step``)."""
    validation: Seed = 2
    """Seed of the validation stimuli measured during training."""
    test: Seed = 3
    """Seed of the held-out test stimuli used by ``retinasim evaluate`` (never trained on)."""

    @model_validator(mode="after")
    def _distinct(self) -> StimulusSeeds:
        if len({self.train, self.validation, self.test}) != 3:
            raise ValueError(
                "train, validation and test seeds must differ so the sets are disjoint "
                f"(got {self.train}, {self.validation}, {self.test})"
            )
        return self


class TrainingSpec(StrictModel):
    """How to train a circuit on the moving-dots task (every field has a default)."""

    seed: Seed = 0
    """Seed of the weight initialisation and of the dropout masks (mask of step ``k`` is a
    pure function of ``(seed, k, rank)``, so a resumed run draws the same masks)."""
    steps: Length | None = None
    """Number of optimizer steps (500 when neither ``steps`` nor ``epochs`` is given)."""
    epochs: Length | None = None
    """Passes over a fixed set of ``train_size`` stimuli, instead of ``steps``."""
    train_size: PositiveInt | None = None
    """Number of distinct training stimuli (reshuffled every epoch); ``null``: a fresh stimulus
    for every draw (an endless stream)."""
    batch_size: PositiveInt = 16
    """Stimuli per optimizer step, over all processes together (the global batch)."""
    learning_rate: PositiveFloat = 1e-3
    """Peak learning rate of Adam."""
    weight_decay: Annotated[float, Field(ge=0)] = 0.0
    """L2 penalty of Adam (coupled, as ``torch.optim.Adam``)."""
    betas: tuple[Annotated[float, Field(ge=0, lt=1)], Annotated[float, Field(ge=0, lt=1)]] = (
        0.9,
        0.999,
    )
    """Adam's moment decay rates."""
    relative_lr: bool = False
    """Scale each tensor's learning rate by its root-mean-square value after initialisation
    (1 for biases and for tensors that start at zero), so that every step changes every
    weight tensor by about the same *fraction*: small weights of wide connections (fan-in
    200: weights ~0.07) then do not grow many-fold in a few Adam steps."""
    warmup_steps: NonNegativeInt = 0
    """Steps of linear warm-up from ``learning_rate / (warmup_steps + 1)`` to the peak."""
    schedule: Schedule = Schedule.constant
    """Decay after warm-up: ``constant``, ``cosine`` or ``linear`` down to
    ``final_lr_fraction * learning_rate`` at the last step."""
    final_lr_fraction: Annotated[float, Field(ge=0, le=1)] = 0.0
    """Learning rate at the last step, as a fraction of the peak (cosine and linear)."""
    dropout: Annotated[float, Field(ge=0.0, lt=1.0)] | None = None
    """Dropout probability while training, replacing the circuit's ``dropout`` for this
    training run only; ``null``: the circuit's."""
    dropout_start: NonNegativeInt = 0
    """Steps trained without dropout before it begins (a dropout warm-up: the network first
    leaves the chance plateau, which dropout noise at 0.4 keeps it on)."""
    dropout_ramp_steps: NonNegativeInt = 0
    """Steps over which the dropout probability then rises linearly from 0 to its value
    (0: it starts at full strength at ``dropout_start``)."""
    dropout_cooldown_steps: NonNegativeInt = 0
    """Last steps of the run over which the dropout probability falls linearly back to 0, so
    that the network ends adapted to running without it, as it is evaluated (trained at 0.4
    to the end, a network can be right under dropout and wrong without it)."""
    clean_loss_weight: Annotated[float, Field(ge=0)] = 0.0
    """At steps with dropout, add this weight × the cross-entropy of the same batch without
    dropout (a second pass), so the decision holds in both modes: trained under dropout
    alone, a network of thresholded cells can be right under dropout and wrong in eval mode,
    as it is evaluated. 0: off (one pass, as in the paper)."""
    loss_frames: PositiveInt = 1
    """Frames whose cross-entropy is averaged, ending at the readout's decision frame (1: the
    decision frame alone, as in the paper). Accuracy is always the decision frame's."""
    grad_clip: PositiveFloat | None = None
    """Clip the global gradient norm to this value; ``null``: no clipping."""
    init: Initialisation = Initialisation.pytorch
    """``pytorch``: the compiler's defaults (PyTorch's, like the authors' code).
    ``normalised``: then rescale, layer by layer, the connections into each cell type so its
    drive has mean 0 and standard deviation ``init_drive_std`` on ``init_stimuli`` training
    stimuli, and centre each cell's filter so ``init_active_fraction`` of its cells are
    active (see ``retinasim.training.normalise``)."""
    init_stimuli: PositiveInt = 16
    """Training stimuli measured by the ``normalised`` initialisation."""
    init_drive_std: PositiveFloat = 1.0
    """Standard deviation of every type's drive after the ``normalised`` initialisation."""
    init_active_fraction: Annotated[float, Field(gt=0, lt=1)] = 0.5
    """Fraction of each type's cells active after the ``normalised`` initialisation."""
    init_readout_scale: Annotated[float, Field(ge=0)] = 1.0
    """Factor on the decoder's initial weights (0: the decoder starts silent, at chance, and
    learns from the first step without swinging the loss upward)."""
    input_scale: PositiveFloat = 1.0
    """The circuit sees ``(luminance - input_offset) * input_scale``: a fixed input
    standardisation, part of the trained model (evaluation applies it too)."""
    input_offset: float = 0.0
    """Luminance subtracted before scaling (see ``input_scale``)."""
    stimulus: dict[str, Any] = Field(default_factory=dict)
    """The task: ``kind`` (a registered stimulus kind with labels; default ``moving_dots``,
    plugins add others, see ``retinasim plugins``) and its parameters (for the dots:
    ``alpha``, ``s_range``, ``dot_radius``, ...; size, frames and frame rate come from
    ``input``). ``retinasim evaluate`` uses them too, except ``alpha``, which it sets."""
    stimulus_seeds: StimulusSeeds = Field(default_factory=StimulusSeeds)
    """Seeds of the training, validation and test stimulus sets."""
    validation_size: PositiveInt = 64
    """Validation stimuli measured every ``eval_every`` steps."""
    eval_every: NonNegativeInt = 50
    """Steps between validation measurements (0: only at the end)."""
    log_every: PositiveInt = 10
    """Steps between entries of the metrics history."""
    checkpoint_every: PositiveInt = 100
    """Steps between checkpoints (one is always written at the end)."""

    @model_validator(mode="after")
    def _length(self) -> TrainingSpec:
        if self.steps is not None and self.epochs is not None:
            raise ValueError("give steps or epochs, not both")
        if self.epochs is not None and self.train_size is None:
            raise ValueError("epochs needs train_size (the number of stimuli in one epoch)")
        return self

    @field_validator("stimulus")
    @classmethod
    def _stimulus_params(cls, value: dict[str, Any]) -> dict[str, Any]:
        for name, owner in INPUT_OWNED.items():
            if name in value:
                raise ValueError(f"stimulus {name} is set by the circuit's {owner}, not here")
        if value:
            _check_stimulus(value)
        return value

    @property
    def task(self) -> str:
        """The stimulus kind trained on (``stimulus.kind``, default ``moving_dots``)."""
        return self.stimulus.get("kind", DEFAULT_TASK)

    def total_steps(self) -> int:
        """Number of optimizer steps of the whole run."""
        if self.epochs is not None:
            assert self.train_size is not None
            return -(-self.epochs * self.train_size // self.batch_size)
        return DEFAULT_STEPS if self.steps is None else self.steps


def _error(loc: tuple[str | int, ...], type_: str, message: str, given: Any) -> InitErrorDetails:
    """A pydantic error of type ``type_`` at ``loc`` saying ``message``."""
    problem = PydanticCustomError(type_, "{message}", {"message": message})
    return {"type": problem, "loc": loc, "input": given}


def _check_stimulus(params: dict[str, Any]) -> None:
    """Validate a ``training.stimulus`` section against its task's parameter model,
    with a "did you mean" and the list for unknown names; raises pydantic's
    :class:`~pydantic.ValidationError`, so the loader places each problem."""
    # lazy: loads plugins (torch-free parameter models)
    from retinasim.plugins import stimuli, tasks, unknown_kind_message

    kind = params.get("kind", DEFAULT_TASK)
    registry, trainable = stimuli(), list(tasks())
    if not isinstance(kind, str) or kind not in trainable:
        message = (
            f"stimulus kind {kind!r} is not a task (its stimuli carry no labels); "
            f"tasks: {', '.join(trainable)}"
            if isinstance(kind, str) and kind in registry
            else unknown_kind_message(kind, trainable)
        )
        raise ValidationError.from_exception_data(
            "stimulus", [_error(("kind",), "stimulus_kind", message, kind)]
        )
    model = registry[kind].params
    values = {name: value for name, value in params.items() if name != "kind"}
    try:
        model.validate_raw(values)
    except ValidationError as error:
        known = sorted({*model.model_fields, "kind"} - set(INPUT_OWNED))
        label = kind.replace("_", "-")
        details: list[InitErrorDetails] = []
        for item in error.errors(include_url=False):
            type_, message = item["type"], item["msg"]
            if type_ == "extra_forbidden":
                key = str(item["loc"][-1])
                type_ = "unknown_stimulus_parameter"
                message = (
                    f"unknown {label} parameter {key!r}{did_you_mean(key, known)} "
                    f"(expected one of: {', '.join(known)})"
                )
            details.append(_error(item["loc"], type_, message, item["input"]))
        raise ValidationError.from_exception_data("stimulus", details) from None
