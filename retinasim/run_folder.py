"""The run folder: its file names, one reader and writer, and the rules for reusing one.

``retinasim train --out RUN_DIR`` writes ``circuit.yaml`` (the resolved circuit),
``provenance.json``, ``history.json``, ``metrics.json`` and ``checkpoint.pt``; ``evaluate``,
``analyze`` and ``report`` add ``evaluation.nc``, ``analysis/``, ``figures/`` and
``report.html`` (``docs/training.md``, "The run folder"). Every file is written atomically
and read through :func:`read_json` / :func:`read_netcdf` / :func:`check_run_files`: a damaged
one raises one :class:`RunFolderError`, ``PATH: what is wrong; how to regenerate it``.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Collection
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from retinasim.errors import RunFolderError
from retinasim.spec import CircuitSpec, load_circuit, spec_hash
from retinasim.util.files import atomic_write_text, make_folder, write_error
from retinasim.util.lock import LOCK_FILES

if TYPE_CHECKING:
    import pandas as pd
    import xarray as xr

CIRCUIT = "circuit.yaml"
PROVENANCE = "provenance.json"
HISTORY = "history.json"
METRICS = "metrics.json"
CHECKPOINT = "checkpoint.pt"
EVALUATION = "evaluation.nc"
ANALYSIS = "analysis"
FIGURES = "figures"
REPORT = "report.html"
_RUN_FILES = (CIRCUIT, PROVENANCE, HISTORY, METRICS, CHECKPOINT, EVALUATION)
_RESULTS = (ANALYSIS, FIGURES, REPORT)
"""What ``retinasim run``/``analyze``/``report`` add: stale once the run is retrained."""


ANALYSIS_FILES = {
    "config.json": None,
    "psychometric.nc": "behaviour",
    "accuracy_by_s.nc": "behaviour",
    "lesion_scan.nc": "lesions",
    "critical.json": "lesions",
    "ablation.nc": "ablation",
    "ablated.json": "ablation",
    "ablated_psychometric.nc": "ablation",
    "lesions_within_ablated.nc": "ablation",
    "amplitude.nc": "amplitude",
    "tuning.nc": "tuning",
    "mechanism.nc": "mechanism",
    "deepvis.nc": "deepvis",
    "cell_types.csv": "summary",
    "summary.json": "summary",
}
"""Every file of ``analysis/`` and the step of ``retinasim analyze`` that writes it (None:
every run of ``analyze``)."""

_VARIABLES = {
    "psychometric.nc": ("accuracy",),
    "ablated_psychometric.nc": ("accuracy",),
    "accuracy_by_s.nc": ("accuracy",),
    "lesion_scan.nc": ("accuracy",),
    "lesions_within_ablated.nc": ("accuracy",),
    "amplitude.nc": ("amplitude",),
    "tuning.nc": ("dsi", "preferred_direction_deg"),
    "mechanism.nc": ("mechanism", "carriers"),
    EVALUATION: ("accuracy",),
}
"""Variables a results file must hold for the commands that read it."""


def damaged(path: Path, problem: str) -> RunFolderError:
    """``RunFolderError: PATH: problem; how to write it again``."""
    path = Path(path)
    run = path.parent
    retrain = f"retrain with `retinasim train CIRCUIT --out {run} --overwrite`"
    hints = {
        EVALUATION: f"rerun `retinasim evaluate {run}`",
        METRICS: f"rerun `retinasim train CIRCUIT --out {run} --resume` to rewrite it (or "
        "retrain with --overwrite)",
        HISTORY: f"delete it to resume without the logged history, or {retrain}",
    }
    hints[PROVENANCE] = hints[METRICS]
    if run.name == ANALYSIS:
        step = ANALYSIS_FILES.get(path.name)
        analyze = f"rerun `retinasim analyze {run.parent}"
        hint = f"{analyze}` to redo every analysis" if step is None else f"{analyze} --only {step}`"
    else:
        hint = hints.get(path.name, retrain)
    return RunFolderError(f"{path}: {problem}; {hint}")


def _json_type(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}.get(
        type(value), "a number" if isinstance(value, int | float) else "null"
    )


def _check_shape(name: str, data: Any) -> str | None:
    """What is wrong with the parsed JSON ``data`` of the file ``name`` (None: fine)."""
    want_list = name == HISTORY
    if want_list != isinstance(data, list) or (not want_list and not isinstance(data, dict)):
        return f"holds {_json_type(data)}, expected {'a list' if want_list else 'an object'}"
    if name == HISTORY:
        for i, row in enumerate(data):
            if not isinstance(row, dict):
                return f"row {i} is {_json_type(row)}, expected an object"
            step = row.get("step")
            if not isinstance(step, int) or isinstance(step, bool) or step < 0:
                return f"row {i} has no valid step (got {step!r})"
            for key in ("wall_time_s", "train_time_s"):
                value = row.get(key, 0.0)
                if not isinstance(value, int | float) or isinstance(value, bool):
                    return f"row {i}: {key} is {_json_type(value)}, expected a number"
    elif name == METRICS and not isinstance(data.get("status", ""), str):
        return "status is not a string"
    elif name == "critical.json":
        pairs = data.get("critical")
        if not isinstance(pairs, list) or not all(
            isinstance(p, list) and len(p) == 2 and isinstance(p[0], str) and _is_int(p[1])
            for p in pairs
        ):
            return "critical is not a list of [layer, type index] pairs"
    elif name == "ablated.json":
        lesions = data.get("lesions")
        if lesions is not None and not (
            isinstance(lesions, dict)
            and all(isinstance(v, list) and all(map(_is_int, v)) for v in lesions.values())
        ):
            return "lesions is not a mapping of layer to type indices"
    elif name == "summary.json":
        sentences = data.get("sentences", [])
        if not isinstance(sentences, list) or not all(isinstance(s, str) for s in sentences):
            return "sentences is not a list of strings"
    return None


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def first_line(error: BaseException, text: str | None = None) -> str:
    """The first line of ``text`` (default: the error's message), or the error's type name."""
    lines = str(error if text is None else text).strip().splitlines()
    return lines[0].strip() if lines else type(error).__name__


def read_json(path: str | Path, default: Any = None) -> Any:
    """The JSON run-folder file ``path`` (``default`` if it does not exist), checked: one that
    is empty, truncated, not UTF-8 JSON, of the wrong type (an object where a list belongs, a
    history row without a step, ...), a folder or unreadable raises :class:`RunFolderError`."""
    path = Path(path)
    if not _exists(path, "a JSON file"):
        return default
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise damaged(path, f"cannot be read ({error.strerror or error})") from None
    if not raw.strip():
        raise damaged(path, "is empty")
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise damaged(path, "is not UTF-8 text (corrupt)") from None
    except json.JSONDecodeError as error:
        raise damaged(
            path,
            f"is not valid JSON (truncated or corrupt: {error.msg} at "
            f"line {error.lineno} column {error.colno})",
        ) from None
    except RecursionError:
        raise damaged(path, "is nested too deeply to be a retinasim file") from None
    if problem := _check_shape(path.name, data):
        raise damaged(path, problem)
    return data


def read_netcdf(path: str | Path, variables: tuple[str, ...] | None = None) -> xr.Dataset | None:
    """The netCDF run-folder file ``path`` as a loaded :class:`xarray.Dataset`, or None if it
    does not exist; ``variables`` (default: those its readers need) must be present. A folder,
    an empty, truncated or non-netCDF file or a missing variable raises :class:`RunFolderError`.
    """
    import xarray as xr

    path = Path(path)
    if not _exists(path, "a netCDF file"):
        return None
    if path.stat().st_size == 0:
        raise damaged(path, "is empty")
    try:
        with xr.open_dataset(path, engine="h5netcdf") as dataset:
            loaded = dataset.load()
    except Exception as error:  # h5py/h5netcdf raise OSError, KeyError, ValueError, ...
        raise damaged(
            path, f"is not a readable netCDF file (truncated or corrupt: {first_line(error)})"
        ) from None
    wanted = _VARIABLES.get(path.name, ()) if variables is None else variables
    missing = [name for name in wanted if name not in loaded.variables]
    if missing:
        raise damaged(path, f"lacks the variable(s) {', '.join(missing)}")
    return loaded


def check_run_files(
    run_dir: str | Path, *, analysis: bool = True, skip_steps: Collection[str] = ()
) -> None:
    """Read every JSON and netCDF file of the run folder (and of ``analysis/``, except the
    files of ``skip_steps``, about to be rewritten), so that the first damaged one raises
    :class:`RunFolderError` before anything is written."""
    run_dir = Path(run_dir)
    for name in (PROVENANCE, METRICS, HISTORY):
        read_json(run_dir / name)
    read_netcdf(run_dir / EVALUATION)
    if not analysis:
        return
    folder = run_dir / ANALYSIS
    for name, step in ANALYSIS_FILES.items():
        if step is not None and step in skip_steps:
            continue
        path = folder / name
        if name.endswith(".json"):
            read_json(path)
        elif name.endswith(".nc"):
            read_netcdf(path)
        else:
            read_table(path)


_COLUMNS = {"cell_types.csv": ("layer", "dsi", "critical")}
"""Columns a run folder's CSV table must have (its readers need them)."""


def read_table(path: str | Path) -> pd.DataFrame | None:
    """The CSV run-folder table ``path`` (first column the index), or None if it does not
    exist; one that pandas cannot read or that lacks its columns raises
    :class:`RunFolderError`."""
    import pandas as pd

    path = Path(path)
    if not _exists(path, "a CSV file"):
        return None
    try:
        table = pd.read_csv(path, index_col=0)
    except Exception as error:  # pandas: EmptyDataError, ParserError, UnicodeError, ...
        raise damaged(path, f"is not a readable CSV table ({first_line(error)})") from None
    missing = [c for c in _COLUMNS.get(path.name, ()) if c not in table.columns]
    if missing:
        raise damaged(path, f"lacks the column(s) {', '.join(missing)}")
    return table


def _exists(path: Path, expected: str) -> bool:
    """Whether ``path`` exists; a folder where a file belongs raises :class:`RunFolderError`."""
    if path.is_dir():
        raise damaged(path, f"is a folder, expected {expected}")
    return path.exists()


class RunFolder:
    """Paths of one run folder and reading and writing its small files."""

    def __init__(self, path: str | Path):
        self.path = Path(path)

    def __truediv__(self, name: str) -> Path:
        return self.path / name

    @property
    def checkpoint(self) -> Path:
        """The latest checkpoint."""
        return self.path / CHECKPOINT

    def is_run(self) -> bool:
        """Whether the folder holds a resolved circuit (was made by ``retinasim train``)."""
        return (self.path / CIRCUIT).is_file()

    def prepare(self, spec: CircuitSpec, *, resume: bool, overwrite: bool) -> None:
        """Make the folder ready for training ``spec``: a missing or empty one is used as is,
        an existing run resumed (``resume``; the same spec hash) or replaced (``overwrite``);
        anything else is refused with :class:`RunFolderError`."""
        if self.path.exists() and not self.path.is_dir():
            raise RunFolderError(f"{self.path}: exists and is not a folder")
        occupied = self.path.is_dir() and any(
            entry.name not in LOCK_FILES for entry in self.path.iterdir()
        )
        if self.checkpoint.exists() and not self.checkpoint.is_file() and not overwrite:
            raise damaged(self.checkpoint, "is not a file (a folder?), expected a checkpoint")
        if occupied and resume and self.is_run():
            existing = self.load_spec()
            if spec_hash(existing) != spec_hash(spec):
                raise RunFolderError(
                    f"{self.path}: cannot resume, the run was made with another circuit or "
                    f"training settings (spec hash {spec_hash(existing)}, now {spec_hash(spec)}); "
                    "use the same circuit and options, or --overwrite"
                )
            self._remove_temporaries()  # of a killed run
            return
        if occupied and not overwrite:
            what = "a training run" if self.is_run() else "files"
            raise RunFolderError(
                f"{self.path}: already holds {what}; pass --overwrite to replace it"
                + (" or --resume to continue it" if self.is_run() else "")
            )
        if occupied:
            if not self.is_run():
                raise RunFolderError(
                    f"{self.path}: is not empty and is not a run folder; refusing to delete it "
                    "even with --overwrite"
                )
            self._remove([*_RUN_FILES, "checkpoints", *_RESULTS])
            self._remove_temporaries()
        make_folder(self.path)
        header = f"# resolved circuit of this run (spec hash {spec_hash(spec)})\n"
        text = yaml.safe_dump(spec.model_dump(mode="json"), sort_keys=False)
        atomic_write_text(self.path / CIRCUIT, header + text)

    def _remove(self, names: list[str]) -> None:
        """Delete these files or folders of the run (the old run's results among them)."""
        try:
            for name in names:
                path = self.path / name
                if path.is_dir() and not path.is_symlink():
                    shutil.rmtree(path)
                else:
                    path.unlink(missing_ok=True)
        except OSError as error:
            raise write_error(error, self.path / name) from None

    def _remove_temporaries(self) -> None:
        """Delete the temporary files (``.NAME.tmp.*``) a killed run left behind."""
        for folder in (self.path, self.path / ANALYSIS, self.path / FIGURES):
            self._remove([str(p.relative_to(self.path)) for p in folder.glob(".*.tmp.*")])

    def load_spec(self) -> CircuitSpec:
        """The run's resolved circuit."""
        if not self.is_run():
            raise RunFolderError(f"{self.path}: not a run folder (no {CIRCUIT})")
        return load_circuit(self.path / CIRCUIT)

    def write_json(self, name: str, data: Any) -> None:
        """Write ``data`` as indented JSON to ``name`` atomically."""
        atomic_write_text(self.path / name, json.dumps(data, indent=2) + "\n")

    def read_json(self, name: str, default: Any = None) -> Any:
        """Read the JSON file ``name`` (``default`` if it does not exist); damage raises
        :class:`RunFolderError` (see :func:`read_json`)."""
        return read_json(self.path / name, default)
