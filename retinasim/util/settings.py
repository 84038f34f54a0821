"""Settings models: a command's options declared once, with their bounds and help.

A :class:`Settings` is a frozen pydantic model the library takes and the command line derives
its options from (:mod:`retinasim.cli.settings`). Bad values raise :attr:`Settings.error_type`,
one line per field at fault, named as the caller knows it (the field, or ``--the-option``)."""

from __future__ import annotations

from collections.abc import Mapping
from contextvars import ContextVar
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, ValidationError

from retinasim.errors import RetinasimError

MAX_SEED = 2**63 - 1
"""Seeds are 63-bit (they feed numpy's and torch's generators through ``derived_seed``)."""
MAX_COUNT = 1_000_000
"""The most stimuli, trials, iterations or permutations one option may ask for."""
MAX_NUMBER_CHARACTERS = 100
"""Longest number read from a circuit file or a command-line value (Python refuses integers
past 4300 digits, and no setting needs a hundred)."""


class SettingsError(RetinasimError):
    """A setting is out of its bounds or of the wrong type."""


def option_name(field: str) -> str:
    """The command-line spelling of a settings field: ``n_stimuli`` → ``--n-stimuli``."""
    return "--" + field.replace("_", "-")


def describe(error: ValidationError, *, options: Mapping[str, str] | None = None) -> str:
    """One line per problem of ``error``: ``name: message (got value)``; ``options`` maps the
    fields to their command-line options (``n_stimuli`` → ``--n-stimuli``)."""
    lines = []
    for problem in error.errors():
        location = ".".join(str(part) for part in problem["loc"])
        field = str(problem["loc"][0]) if problem["loc"] else ""
        name = options.get(field, option_name(field)) if options is not None and field else location
        whole = not problem["loc"]  # a rule between fields: its message says it all
        got = "" if whole or problem["type"] == "missing" else f" (got {problem['input']!r})"
        message = problem["msg"].removeprefix("Value error, ")
        lines.append(f"{name}: {message}{got}" if name else f"{message}{got}")
    return "\n".join(lines)


_AS_OPTIONS: ContextVar[bool] = ContextVar("retinasim_settings_as_options", default=False)
"""Set while :meth:`Settings.from_options` validates (pydantic runs ``__init__`` then too)."""


class Settings(BaseModel):
    """Base of the settings models: frozen, unknown keys refused, one-line errors."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    error_type: ClassVar[type[RetinasimError]] = SettingsError

    def __init__(self, **values: Any) -> None:
        try:
            super().__init__(**values)
        except ValidationError as error:
            options = self.options() if _AS_OPTIONS.get() else None
            raise self.error_type(describe(error, options=options)) from None

    @classmethod
    def options(cls) -> dict[str, str]:
        """Field → its command-line option: ``--field-name``, or the field's ``option``
        (``json_schema_extra={"option": "--n"}``)."""
        spelled = {}
        for name, field in cls.model_fields.items():
            extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
            spelled[name] = str(extra.get("option", option_name(name)))
        return spelled

    @classmethod
    def from_options(cls, values: Mapping[str, Any]) -> Settings:
        """The settings of a command's options; errors name the options (``--n-stimuli``)."""
        token = _AS_OPTIONS.set(True)
        try:
            return cls(**values)
        finally:
            _AS_OPTIONS.reset(token)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able values, field by field."""
        return self.model_dump(mode="json")
