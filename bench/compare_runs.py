"""Are two run folders' weights and results identical (bit for bit, timings aside)?

Compares every checkpoint and weights file (``*.pt``: every tensor bit-identical, with
``torch.equal``), every netCDF result (``*.nc``: every variable and coordinate exactly equal,
NaN equal to NaN; attributes too), every JSON file and every CSV file of two run folders,
recursively. Values that record when, where or how fast the run ran (keys matching
:data:`IGNORED`: times, rates, dates, hosts, paths, versions) are skipped, and so are the
report, the figures and the logs.

Usage::

    python bench/compare_runs.py OLD_RUN NEW_RUN    # prints the differences, exits 1 if any
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import numpy as np

IGNORED = re.compile(
    r"time|date|_s$|seconds|per_s|elapsed|host|created|started|finished|path|version|"
    r"commit|git|dirty|python|platform|pid|out$|run_dir|command",
    re.IGNORECASE,
)
"""Keys (JSON, checkpoint dictionaries, netCDF attributes) whose values may differ."""
COMPARED = (".pt", ".nc", ".json", ".csv")


def compare_runs(old: Path, new: Path) -> list[str]:
    """The differences between run folders ``old`` and ``new`` (empty: identical)."""
    files = {
        path.relative_to(folder)
        for folder in (old, new)
        for path in folder.rglob("*")
        if path.suffix in COMPARED and not path.name.startswith(".")
    }
    differences = []
    for name in sorted(files):
        if not (old / name).exists() or not (new / name).exists():
            differences.append(f"{name}: only in {old if (old / name).exists() else new}")
            continue
        differences += [f"{name}: {d}" for d in _compare_file(old / name, new / name)]
    return differences


def _compare_file(old: Path, new: Path) -> list[str]:
    """The differences between two files of the same kind."""
    if old.suffix == ".pt":
        import torch

        return _compare(torch.load(old, weights_only=False), torch.load(new, weights_only=False))
    if old.suffix == ".nc":
        return _compare_netcdf(old, new)
    if old.suffix == ".json":
        return _compare(json.loads(old.read_text()), json.loads(new.read_text()))
    return [] if old.read_bytes() == new.read_bytes() else ["differ"]


def _compare_netcdf(old: Path, new: Path) -> list[str]:
    """Every variable, coordinate and attribute of two netCDF files, exactly."""
    import xarray as xr

    with xr.open_dataset(old, engine="h5netcdf") as a, xr.open_dataset(new, engine="h5netcdf") as b:
        differences = _compare(dict(a.attrs), dict(b.attrs), "attrs")
        for name in sorted({*a.variables, *b.variables}, key=str):
            if name not in a.variables or name not in b.variables:
                differences.append(f"{name}: in one file only")
                continue
            differences += _compare(a[name].values, b[name].values, str(name))
            differences += _compare(dict(a[name].attrs), dict(b[name].attrs), f"{name}.attrs")
        return differences


def _compare(a: Any, b: Any, where: str = "") -> list[str]:
    """The differences between two values (dictionaries, sequences, tensors, arrays)."""
    if isinstance(a, dict) and isinstance(b, dict):
        keys = {key for key in (*a, *b) if not IGNORED.search(str(key))}
        return [
            difference
            for key in sorted(keys, key=str)
            for difference in (
                _compare(a[key], b[key], f"{where}.{key}")
                if key in a and key in b
                else [f"{where}.{key}: in one only"]
            )
        ]
    if type(a).__module__.startswith("torch") and hasattr(a, "dtype"):
        import torch

        same = isinstance(b, torch.Tensor) and a.dtype == b.dtype and torch.equal(a, b)
        return [] if same else [f"{where}: tensors differ"]
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return [] if _equal_arrays(np.asarray(a), np.asarray(b)) else [f"{where}: arrays differ"]
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        if len(a) != len(b):
            return [f"{where}: lengths {len(a)} and {len(b)}"]
        return [
            d
            for i, (x, y) in enumerate(zip(a, b, strict=True))
            for d in _compare(x, y, f"{where}[{i}]")
        ]
    if isinstance(a, float) and isinstance(b, float) and np.isnan(a) and np.isnan(b):
        return []
    return [] if a == b else [f"{where}: {a!r} and {b!r}"]


def _equal_arrays(a: np.ndarray, b: np.ndarray) -> bool:
    """Same shape, dtype and values (NaN equal to NaN where the dtype has NaN)."""
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    if a.dtype.kind in "fc":
        return bool(np.array_equal(a, b, equal_nan=True))
    return bool(np.array_equal(a, b))


def main(argv: list[str] | None = None) -> int:
    """Print the differences between two run folders; 1 if there are any."""
    old, new = (Path(arg) for arg in (argv or sys.argv[1:]))
    differences = compare_runs(old, new)
    print("\n".join(differences) if differences else f"{old} and {new}: identical")
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main())
