"""Small circuits and shared helpers for the contract checks of :mod:`retinasim.testing`."""

from __future__ import annotations

import importlib.metadata as metadata
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from retinasim.plugins import plugin_problems
from retinasim.spec import CircuitSpec, load_circuit

SMALL_CIRCUIT_NAME = "contract_check.yaml"
"""The file name :func:`small_circuit` gives its circuit (it appears in spec errors)."""
CHECKED_LAYER = "cells"
"""The layer of :func:`small_circuit` that has the cell type under test."""


def small_circuit_text(
    *,
    cell_type: str = "spatiotemporal",
    params: Mapping[str, Any] | None = None,
    n_types: int = 2,
    nonnegative: bool = False,
    size: tuple[int, int] = (16, 16),
    frames: int = 6,
    classes: Sequence[str] = ("left", "right"),
    stimulus: Mapping[str, Any] | None = None,
) -> str:
    """The YAML of a two-layer circuit: ``input → cells → ganglion → readout``.

    Layer ``cells`` has ``n_types`` of ``cell_type`` with ``params:`` (on line 5) and, with
    ``nonnegative``, nonnegative weights; ``ganglion`` is 2 types of ``spatiotemporal`` with
    3-frame filters. The input is ``size`` ``(height, width)`` pixels and ``frames`` frames;
    ``stimulus`` is the ``training.stimulus`` section (``kind`` and parameters), if any.
    """
    if params is None and cell_type == "spatiotemporal":
        params = {"temporal_kernel": 3}
    constraint = ", weights: nonnegative" if nonnegative else ""
    lines = [
        "name: contract_check",
        f"input: {{channels: 1, size: [{size[0]}, {size[1]}], frames: {frames}}}",
        "layers:",
        f"  - {{name: {CHECKED_LAYER}, cell_type: {cell_type}, n_types: {n_types}{constraint},",
        f"     params: {json.dumps(dict(params or {}))}}}",
        "  - {name: ganglion, cell_type: spatiotemporal, n_types: 2, weights: nonnegative,",
        "     params: {temporal_kernel: 3}}",
        "connections:",
        f"  - {{source: input, target: {CHECKED_LAYER}, kernel: 3, padding: 1}}",
        f"  - {{source: {CHECKED_LAYER}, target: ganglion, kernel: 3, padding: 1}}",
        f"readout: {{layer: ganglion, classes: {json.dumps(list(classes))}}}",
    ]
    if stimulus is not None:
        lines.append(f"training: {{stimulus: {json.dumps(dict(stimulus))}}}")
    return "\n".join(lines) + "\n"


def small_circuit(**options: Any) -> CircuitSpec:
    """:func:`small_circuit_text` loaded (validated) as a circuit; spec errors propagate."""
    return load_circuit(SMALL_CIRCUIT_NAME, text=small_circuit_text(**options))


def registered_entry(noun: str, name: Any, registry: Mapping[str, Any], package: str | None) -> Any:
    """``registry[name]``, asserting it is there with a description and, when ``package`` is
    given, that this distribution provides it at its installed version."""
    problems = "; ".join(str(problem) for problem in plugin_problems()) or "none"
    assert name in registry, (
        f"{noun} {name!r} is not registered (registered: {', '.join(sorted(registry))}; "
        f"plugin problems: {problems}); install its package (an entry point in the "
        f"`retinasim` group) or call retinasim.plugins.register(module)"
    )
    entry = registry[name]
    if package is not None:
        assert entry.package == package, (
            f"{noun} {name!r} comes from {entry.package!r}, not {package!r}"
        )
        installed = metadata.version(package)
        assert entry.version == installed, (
            f"{noun} {name!r} is registered at version {entry.version}, but {package} "
            f"{installed} is installed"
        )
    assert entry.description, f"{noun} {name!r} has no description (`description` or a docstring)"
    return entry


def raised(error_type: type[Exception], call: Callable[[], object]) -> Exception | None:
    """The ``error_type`` exception that ``call()`` raises, or None when it returns."""
    try:
        call()
    except error_type as error:
        return error
    return None


@contextmanager
def no_error(what: str) -> Iterator[None]:
    """Turn an exception raised inside the block (by the plugin under test, or by retinasim
    refusing it) into an AssertionError naming ``what`` and the original error, so that a
    contract check fails as a test failure that says what broke."""
    try:
        yield
    except AssertionError:
        raise
    except Exception as error:
        raise AssertionError(f"{what} failed: {type(error).__name__}: {error}") from error


def check_torch_free(module: str, *, forbidden: Sequence[str] = ("torch",)) -> None:
    """Check that importing ``module`` (e.g. ``"retinasim_centersurround"``) in a fresh
    interpreter imports none of the top-level packages ``forbidden``: the module a plugin's
    entry point names must stay torch-free, as retinasim loads every plugin to validate a
    circuit without torch."""
    code = (
        "import importlib, json, sys\n"
        f"importlib.import_module({module!r})\n"
        "print(json.dumps(sorted({name.split('.')[0] for name in sys.modules})))\n"
    )
    stdout = run_python(code, what=f"importing {module!r}")
    imported = set(json.loads(stdout.strip().splitlines()[-1]))
    found = sorted(imported & set(forbidden))
    assert not found, (
        f"importing {module!r} imports {', '.join(found)}: keep torch (and other heavy "
        f"libraries) in the modules named by `module` / `generator`, imported on first use"
    )


def run_python(
    code: str,
    *,
    what: str = "the code",
    cwd: str | Path | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float | None = None,
) -> str:
    """Run ``code`` with ``python -c`` in a fresh interpreter (which, unlike the test's own,
    has imported nothing yet) and return what it printed; ``env`` is added to this process's
    environment. An AssertionError naming ``what`` and ending with the stderr when it fails.
    """
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=None if env is None else {**os.environ, **env},
        timeout=timeout,
    )
    assert done.returncode == 0, f"{what} failed:\n{done.stderr[-2000:]}"
    return done.stdout
