"""The torch-free half of every stimulus generator: its name and its validated parameters.

A stimulus kind is a :class:`StimulusParams` subclass: ``kind`` (its name in YAML and on the
command line), ``description``, ``classes`` (the labels, for a *task*), typed fields with
bounds and validators; :func:`retinasim.spec.load_circuit` validates a circuit's
``training.stimulus`` with it, without torch. The generator that renders the stimuli
subclasses both the model and :class:`retinasim.stimuli.StimulusGenerator` and is named by
:attr:`StimulusParams.generator`, imported only when stimuli are rendered::

    class DriftParams(StimulusParams):            # torch-free: validation, `retinasim plugins`
        kind = "drift"
        generator = "my_package.drift:Drift"
        speed: float = Field(1.0, gt=0)

    class Drift(DriftParams, StimulusGenerator):  # torch: rendering
        def _render(self, request): ...  # a RenderRequest: indices, seed, device, dtype, out
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Sequence
from typing import Annotated, Any, ClassVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from retinasim.errors import StimulusError
from retinasim.util.text import did_you_mean


def describe_validation_error(kind: str, fields: Sequence[str], error: ValidationError) -> str:
    """One line naming every bad parameter, its value and the rule it breaks."""
    problems = []
    for issue in error.errors():
        location = ".".join(str(part) for part in issue["loc"])
        message = issue["msg"].removeprefix("Value error, ")
        if issue["type"] == "extra_forbidden":
            hint = did_you_mean(location, fields, cutoff=0.5)
            problems.append(
                f"unknown parameter {location!r}{hint} (parameters: {', '.join(fields)})"
            )
        elif issue["type"] == "missing" and isinstance(issue["loc"][-1], int):
            field = ".".join(str(part) for part in issue["loc"][:-1])
            problems.append(f"{field} = {issue['input']!r}: too few values")
        elif location:
            problems.append(f"{location} = {issue['input']!r}: {message}")
        else:
            problems.append(message)
    return f"invalid {kind} parameters: " + "; ".join(problems)


def _check_speed_range(speeds: tuple[float, float]) -> tuple[float, float]:
    if not 0 <= speeds[0] <= speeds[1]:
        raise ValueError("must be (low, high) with 0 <= low <= high pixels/frame")
    return speeds


SpeedRange = Annotated[tuple[float, float], AfterValidator(_check_speed_range)]
"""A field type: an interval of speeds ``(low, high)``, pixels/frame, ``0 <= low <= high``."""


@functools.cache
def _raw_model(model: type[StimulusParams]) -> type[BaseModel]:
    """``model`` with pydantic's own ``__init__`` (errors keep their locations)."""

    def __init__(self: BaseModel, **data: Any) -> None:
        BaseModel.__init__(self, **data)

    return type(model.__name__, (model,), {"__init__": __init__, "__module__": model.__module__})


class StimulusParams(BaseModel):
    """Validated, frozen parameters of one kind of stimulus (the torch-free contract).

    Subclasses set :attr:`kind`, optionally :attr:`description`, :attr:`classes` and
    :attr:`units`, declare their parameters as fields and name their :attr:`generator`. Bad
    parameters raise :class:`~retinasim.errors.StimulusError` (one line naming each).
    """

    model_config = ConfigDict(
        frozen=True, extra="forbid", allow_inf_nan=False, use_attribute_docstrings=True
    )

    kind: ClassVar[str] = ""
    """The kind's name: ``retinasim stimulus KIND``, ``training.stimulus.kind``."""
    description: ClassVar[str] = ""
    """One line shown by ``retinasim plugins`` (default: the docstring's first line)."""
    classes: ClassVar[tuple[str, ...]] = ()
    """Labels of a *task* (``labels[k]`` indexes them); empty for a stimulus without labels."""
    units: ClassVar[dict[str, str]] = {}
    """Units of the per-trial metadata, by name."""
    generator: ClassVar[str] = ""
    """``"module:Class"`` of the generator that renders this kind (imported on first use);
    not needed when the class is itself a generator."""

    height: int = Field(255, ge=1, le=8192, description="Video height in pixels.")
    width: int = Field(255, ge=1, le=8192, description="Video width in pixels.")
    frames: int = Field(51, ge=1, le=100_000, description="Number of frames.")
    frame_rate_hz: float = Field(30.0, gt=0, description="Frames per second (30 Hz by default).")

    def __init__(self, **parameters: Any) -> None:
        try:
            super().__init__(**parameters)
        except ValidationError as error:
            raise self._invalid(error) from None

    @classmethod
    def model_validate(cls, obj: Any, **options: Any) -> StimulusParams:
        """Build from a mapping (as pydantic does), raising StimulusError on bad parameters."""
        try:
            return super().model_validate(obj, **options)
        except ValidationError as error:
            raise cls._invalid(error) from None

    @classmethod
    def _invalid(cls, error: ValidationError) -> StimulusError:
        return StimulusError(describe_validation_error(cls.kind, list(cls.model_fields), error))

    @classmethod
    def validate_raw(cls, parameters: Any) -> StimulusParams:
        """Validate like pydantic, raising its :class:`~pydantic.ValidationError` (with the
        location of every problem) instead of a one-line StimulusError."""
        return _raw_model(cls).__pydantic_validator__.validate_python(parameters)

    @classmethod
    def generator_class(cls) -> type[Any]:
        """The generator class that renders this kind (imports it, and so torch).

        Returns ``cls`` itself when it is already a generator (has ``generate``); else the
        class named by :attr:`generator`, which must subclass ``cls``.
        """
        if callable(getattr(cls, "generate", None)):
            return cls
        module_name, _, name = cls.generator.partition(":")
        if not module_name or not name:
            raise StimulusError(
                f"stimulus kind {cls.kind!r} names no generator: set `generator = "
                f"'module:Class'` on {cls.__name__} or subclass StimulusGenerator"
            )
        try:
            found = getattr(importlib.import_module(module_name), name)
        except (ImportError, AttributeError) as error:
            raise StimulusError(
                f"stimulus kind {cls.kind!r}: cannot import its generator {cls.generator!r}: "
                f"{type(error).__name__}: {error}"
            ) from None
        if not (isinstance(found, type) and issubclass(found, cls)):
            raise StimulusError(
                f"stimulus kind {cls.kind!r}: its generator {cls.generator!r} must be a "
                f"subclass of {cls.__name__} (and of retinasim.stimuli.StimulusGenerator)"
            )
        return found

    @classmethod
    def check_definition(cls) -> str | None:
        """Why this class is not a usable stimulus kind, or ``None`` when it is (no import)."""
        if not isinstance(cls.kind, str) or not cls.kind.isidentifier():
            return "needs a class attribute `kind` that is a valid identifier"
        if not isinstance(cls.classes, tuple) or not all(isinstance(c, str) for c in cls.classes):
            return "`classes` must be a tuple of label names"
        if not callable(getattr(cls, "generate", None)) and ":" not in cls.generator:
            return "names no generator (`generator = 'module:Class'`) and has no generate()"
        return None
