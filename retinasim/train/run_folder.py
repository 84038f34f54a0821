"""The run folder: what ``retinasim train --out RUN_DIR`` writes, and the rules for reusing one.

Layout::

    RUN_DIR/
      circuit.yaml      the resolved circuit (its training section with every override applied)
      provenance.json   versions, seed, spec hash, device, host, UTC time, wall time
      history.json      metrics every ``log_every`` steps (loss, accuracy, learning rate, ...)
      metrics.json      final metrics (written when the run ends, or stops on a bad loss)
      checkpoint.pt     the latest checkpoint (every ``checkpoint_every`` steps and at the end)
      evaluation.nc     written by ``retinasim evaluate``

Every file is written atomically; only process 0 of a multi-process run writes.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import yaml

from retinasim.spec import CircuitSpec, load_circuit, spec_hash
from retinasim.train.errors import RunFolderError
from retinasim.util.files import atomic_write_text

CIRCUIT = "circuit.yaml"
PROVENANCE = "provenance.json"
HISTORY = "history.json"
METRICS = "metrics.json"
CHECKPOINT = "checkpoint.pt"
EVALUATION = "evaluation.nc"
_RUN_FILES = (CIRCUIT, PROVENANCE, HISTORY, METRICS, CHECKPOINT, EVALUATION)


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

    def prepare(self, spec: CircuitSpec, *, resume: bool, overwrite: bool) -> bool:
        """Make the folder ready for training ``spec``; return whether to resume from it.

        A folder that does not exist or is empty is used as is. An existing run is resumed
        (``resume``; its circuit must have the same spec hash) or replaced (``overwrite``);
        anything else is refused with :class:`RunFolderError`.
        """
        if self.path.exists() and not self.path.is_dir():
            raise RunFolderError(f"{self.path}: exists and is not a folder")
        occupied = self.path.is_dir() and any(self.path.iterdir())
        if occupied and resume and self.is_run():
            existing = self.load_spec()
            if spec_hash(existing) != spec_hash(spec):
                raise RunFolderError(
                    f"{self.path}: cannot resume, the run was made with another circuit or "
                    f"training settings (spec hash {spec_hash(existing)}, now {spec_hash(spec)}); "
                    "use the same circuit and options, or --overwrite"
                )
            return self.checkpoint.is_file()
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
            for name in _RUN_FILES:
                (self.path / name).unlink(missing_ok=True)
            for stray in self.path.glob(".*.tmp.*"):
                stray.unlink(missing_ok=True)
            shutil.rmtree(self.path / "checkpoints", ignore_errors=True)
        self.path.mkdir(parents=True, exist_ok=True)
        self.write_spec(spec)
        return False

    def write_spec(self, spec: CircuitSpec) -> None:
        """Write the resolved circuit as YAML (loadable by :func:`retinasim.spec.load_circuit`)."""
        data = spec.model_dump(mode="json")
        header = f"# resolved circuit of this run (spec hash {spec_hash(spec)})\n"
        atomic_write_text(self.path / CIRCUIT, header + yaml.safe_dump(data, sort_keys=False))

    def load_spec(self) -> CircuitSpec:
        """The run's resolved circuit."""
        if not self.is_run():
            raise RunFolderError(f"{self.path}: not a run folder (no {CIRCUIT})")
        return load_circuit(self.path / CIRCUIT)

    def write_json(self, name: str, data: Any) -> None:
        """Write ``data`` as indented JSON to ``name`` atomically."""
        atomic_write_text(self.path / name, json.dumps(data, indent=2) + "\n")

    def read_json(self, name: str, default: Any = None) -> Any:
        """Read the JSON file ``name`` (``default`` if it does not exist)."""
        path = self.path / name
        if not path.is_file():
            return default
        try:
            return json.loads(path.read_text())
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            raise RunFolderError(f"{path}: corrupt JSON ({error})") from None
