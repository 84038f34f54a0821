"""Command-line options derived from a settings model (:mod:`retinasim.util.settings`).

A command that takes a settings model declares none of its options itself::

    @settings_options(AnalysisConfig)
    def analyze(run_dir: Path, settings: AnalysisConfig) -> None: ...

adds ``--n-stimuli``, ``--alpha-step``, ... (type, default and help from the model's fields)
to the command and hands it the validated model; a bad value exits 2 with one line naming the
option.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping
from typing import Annotated, Any, TypeVar

import typer

from retinasim.util.settings import MAX_COUNT, MAX_SEED, Settings

Command = TypeVar("Command", bound=Callable[..., Any])
SETTINGS = "settings"
"""The parameter of a command that receives the model."""


def seed_option(help: str) -> Any:
    """A seed option: 0 ≤ seed ≤ :data:`~retinasim.util.settings.MAX_SEED`."""
    return typer.Option(min=0, max=MAX_SEED, help=help)


def count_option(help: str, *names: str, least: int = 1) -> Any:
    """A count option: ``least`` ≤ N ≤ :data:`~retinasim.util.settings.MAX_COUNT`."""
    return typer.Option(*names, min=least, max=MAX_COUNT, help=help)


def settings_options(
    model: type[Settings], *, keep_unset: bool = False, exclude: tuple[str, ...] = ()
) -> Callable[[Command], Command]:
    """Give a command one option per field of ``model`` (those not in ``exclude``).

    With ``keep_unset`` the options default to None and the command receives a mapping of the
    options given (for commands that fill the rest from saved settings); otherwise it receives
    the validated model (defaults where an option is not given).
    """

    def decorate(command: Command) -> Command:
        signature = inspect.signature(command, eval_str=True)
        own = [p for p in signature.parameters.values() if p.name != SETTINGS]
        fields = {n: f for n, f in model.model_fields.items() if n not in exclude}
        spelled = model.options()
        added = [_parameter(n, f, spelled[n], keep_unset) for n, f in fields.items()]

        @functools.wraps(command)
        def wrapper(**given: Any) -> Any:
            values = {name: given.pop(name) for name in fields}
            if keep_unset:
                chosen: Any = {k: v for k, v in values.items() if v is not None}
            else:
                chosen = model.from_options(values)
            return command(**given, **{SETTINGS: chosen})

        wrapper.__signature__ = signature.replace(parameters=[*own, *added])  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate


def _parameter(name: str, field: Any, option: str, keep_unset: bool) -> inspect.Parameter:
    """The typer parameter of one settings field, spelled ``option`` on the command line."""
    annotation = field.annotation if not keep_unset else field.annotation | None
    option_info = typer.Option(option, help=field.description or "")
    return inspect.Parameter(
        name,
        inspect.Parameter.KEYWORD_ONLY,
        default=None if keep_unset else field.default,
        annotation=Annotated[annotation, option_info],
    )


def merged(model: type[Settings], saved: Mapping[str, Any], given: Mapping[str, Any]) -> Any:
    """``model`` from saved settings overridden by the options given (unknown saved keys, from
    another version, are dropped); errors name the options."""
    known = {key: value for key, value in saved.items() if key in model.model_fields}
    return model.from_options({**known, **given})
