"""Checkpoints: everything an exact resume needs, written atomically, loaded weights-only.

A checkpoint is a plain dict of tensors and numbers (so ``torch.load(weights_only=True)``
can read it): ``model`` and ``optimizer`` state dicts, the ``step`` count (steps done), the
CPU (and CUDA) random-number states, the ``spec_hash`` of the circuit, and a format version.
"""

from __future__ import annotations

import pickle
import zipfile
from pathlib import Path
from typing import Any

import torch

from retinasim.train.errors import CheckpointError
from retinasim.util.files import atomic_path

FORMAT = 1
"""Version of the checkpoint layout."""


def save_checkpoint(
    path: Path,
    *,
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer | None,
    step: int,
    spec_hash: str,
) -> None:
    """Write a checkpoint to ``path`` atomically (temporary file, then rename)."""
    state: dict[str, Any] = {
        "format": FORMAT,
        "spec_hash": spec_hash,
        "step": int(step),
        "model": model.state_dict(),
        "optimizer": None if optimizer is None else optimizer.state_dict(),
        "cpu_rng_state": torch.get_rng_state(),
    }
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda_rng_state"] = torch.cuda.get_rng_state_all()
    with atomic_path(path) as temporary:
        torch.save(state, temporary)


def load_checkpoint(path: Path, *, spec_hash: str | None = None) -> dict[str, Any]:
    """Read a checkpoint with ``weights_only=True`` and check it belongs to ``spec_hash``.

    Raises
    ------
    CheckpointError
        If the file is missing, unreadable, not a retinasim checkpoint, or was written for a
        circuit with another spec hash.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: no such checkpoint")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except (RuntimeError, OSError, EOFError, pickle.UnpicklingError, zipfile.BadZipFile) as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise CheckpointError(f"{path}: corrupt or unreadable checkpoint ({first})") from None
    if not isinstance(state, dict) or state.get("format") != FORMAT or "model" not in state:
        raise CheckpointError(f"{path}: not a retinasim checkpoint (format {FORMAT})")
    if spec_hash is not None and state.get("spec_hash") != spec_hash:
        raise CheckpointError(
            f"{path}: checkpoint belongs to another circuit (spec hash {state.get('spec_hash')}, "
            f"expected {spec_hash})"
        )
    return state
