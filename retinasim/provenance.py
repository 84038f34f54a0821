"""Provenance recorded in every output: versions, plugins, seed, spec hash, device, host, time."""

from __future__ import annotations

import datetime as _dt
import platform
import socket
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from retinasim.plugins import plugin_versions

if TYPE_CHECKING:
    from retinasim.spec import CircuitSpec


def versions() -> dict[str, str]:
    """Versions of retinasim, torch, numpy and python."""
    import numpy
    import torch

    import retinasim

    return {
        "retinasim": str(retinasim.__version__),
        "torch": str(torch.__version__),
        "numpy": str(numpy.__version__),
        "python": platform.python_version(),
    }


def plugin_requirements(
    spec: CircuitSpec | None, *, stimulus_kinds: Iterable[str] = ()
) -> list[str]:
    """The packages of ``spec``'s cell types and training task and of ``stimulus_kinds`` (e.g.
    a recording's stimulus) as sorted ``package==version`` lines that ``pip install`` accepts
    (:func:`retinasim.plugins.plugin_versions`; the built-ins are ``retinasim``)."""
    found = plugin_versions(spec, stimulus_kinds=stimulus_kinds)
    return [f"{package}=={version}" if version else package for package, version in found.items()]


def provenance(
    *,
    seed: int | None,
    spec_hash: str,
    device: str,
    wall_time_s: float | None = None,
    spec: CircuitSpec | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A flat dict of provenance, JSON- and netCDF-attribute friendly: versions, ``plugins``
    (``spec``'s packages, :func:`plugin_requirements`), ``seed`` (-1 for None), ``spec_hash``,
    ``device``, host, UTC time (ISO 8601 to the second), command, ``wall_time_s`` (seconds)
    and the ``extra`` scalar entries (e.g. ``world_size``)."""
    record: dict[str, Any] = {
        **{f"{name}_version": value for name, value in versions().items()},
        **({"plugins": plugin_requirements(spec)} if spec is not None else {}),
        "seed": -1 if seed is None else int(seed),
        "spec_hash": spec_hash,
        "device": device,
        "hostname": socket.gethostname(),
        "utc_time": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "command": " ".join(sys.argv),
    }
    if wall_time_s is not None:
        record["wall_time_s"] = round(float(wall_time_s), 3)
    record.update(extra)
    return record
