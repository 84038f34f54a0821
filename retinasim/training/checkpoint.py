"""Checkpoints: everything an exact resume needs, written atomically, loaded weights-only.

A checkpoint is a plain dict of tensors and numbers (so ``torch.load(weights_only=True)``
can read it): ``model`` and ``optimizer`` state dicts, the ``step`` count (steps done), the
``spec_hash`` of the circuit, and a format version. (No random-number state: every step
seeds its own, :mod:`retinasim.training.loop`.)
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any

import torch

from retinasim.run_folder import first_line
from retinasim.spec import CircuitSpec, accepted_spec_hashes
from retinasim.training.errors import CheckpointError, RunFolderError
from retinasim.util.files import atomic_write_bytes
from retinasim.util.reading import InputFileError, check_input
from retinasim.util.text import listed

FORMAT = 1
"""Version of the checkpoint layout."""
MAX_CHECKPOINT_BYTES = 16 * 2**30
"""Checkpoints larger than this are refused (murray2021's is under a megabyte)."""


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
    }
    buffer = io.BytesIO()  # serialised first: a full disk is then a plain OSError (ENOSPC)
    torch.save(state, buffer)
    atomic_write_bytes(path, buffer.getvalue())


def torch_load(path: Path | io.BytesIO, unreadable: Callable[[str], Exception]) -> Any:
    """``torch.load`` of ``path`` (or bytes already read) weights only onto the CPU; what it
    cannot read raises ``unreadable(reason)`` (the first line of torch's reason)."""
    try:
        with warnings.catch_warnings():  # e.g. torch's note on the pickle protocol
            warnings.simplefilter("ignore")
            return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # RuntimeError, EOFError, UnpicklingError, BadZipFile, ...
        text = str(error)
        if "WeightsUnpickler error:" in text:  # the reason, not torch's advice around it
            text = text.split("WeightsUnpickler error:", 1)[1]
        raise unreadable(first_line(error, text)) from None


def load_checkpoint(
    path: Path, *, spec_hash: str | Collection[str] | None = None
) -> dict[str, Any]:
    """Read a checkpoint with ``weights_only=True`` and check it belongs to ``spec_hash``
    (one hash, or the hashes accepted for the circuit); a missing or unreadable file, one
    that is not a retinasim checkpoint or is another circuit's raises :class:`CheckpointError`.
    """
    path = Path(path)
    try:
        check_input(path, MAX_CHECKPOINT_BYTES, "a checkpoint")
    except InputFileError as error:
        raise CheckpointError(str(error).replace("no such file", "no such checkpoint")) from None
    state = torch_load(
        path, lambda reason: CheckpointError(f"{path}: corrupt or unreadable checkpoint ({reason})")
    )
    if not isinstance(state, dict) or state.get("format") != FORMAT or "model" not in state:
        raise CheckpointError(f"{path}: not a retinasim checkpoint (format {FORMAT})")
    if problem := _layout_problem(state):
        raise CheckpointError(f"{path}: damaged checkpoint ({problem}); retrain the run")
    accepted = {spec_hash} if isinstance(spec_hash, str) else set(spec_hash or ())
    if spec_hash is not None and state.get("spec_hash") not in accepted:
        raise CheckpointError(
            f"{path}: checkpoint belongs to another circuit (spec hash {state.get('spec_hash')}, "
            f"expected {spec_hash if isinstance(spec_hash, str) else 'this circuit'})"
        )
    return state


def _layout_problem(state: dict[str, Any]) -> str | None:
    """What is wrong with the parts of a checkpoint every reader relies on (None: fine)."""
    step = state.get("step")
    if not isinstance(step, int) or isinstance(step, bool) or step < 0:
        return f"step must be a whole number >= 0, got {step!r}"
    model = state["model"]
    if not isinstance(model, dict) or not model:
        return "it holds no model weights"
    if not all(isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in model.items()):
        return "its model state is not a mapping of names to tensors"
    optimizer = state.get("optimizer")
    if optimizer is not None and not (
        isinstance(optimizer, dict) and {"state", "param_groups"} <= set(optimizer)
    ):
        return "its optimizer state is not an optimizer state dict"
    return None


def restore(
    module: torch.nn.Module,
    path: Path,
    spec: CircuitSpec,
    optimizer: torch.optim.Optimizer | None = None,
) -> dict[str, Any]:
    """Load the checkpoint ``path`` of a run of ``spec`` into ``module`` (and ``optimizer``)
    and return it, after checking that it is this circuit's, within the run's steps, holds
    finite weights (and a training state for ``optimizer``), and fits (else
    :class:`CheckpointError` or :class:`RunFolderError`)."""
    state = load_checkpoint(path, spec_hash=accepted_spec_hashes(spec))
    if optimizer is not None and state.get("optimizer") is None:
        raise RunFolderError(
            f"{path.parent}: holds weights without a training state (imported with "
            "`retinasim import-authors`?); there is nothing to resume: train into a new folder"
        )
    total = spec.training.total_steps()
    if state["step"] > total:
        raise CheckpointError(
            f"{path}: records step {state['step']} but the run has only {total} steps; it "
            "is not this run's checkpoint (or it is damaged): retrain with --overwrite"
        )
    bad = [
        name
        for name, tensor in state["model"].items()
        if tensor.is_floating_point() and not bool(torch.isfinite(tensor).all())
    ]
    if bad:
        raise CheckpointError(
            f"{path}: the weights hold NaN or infinite values ({listed(bad)}); the run diverged "
            "or the file is damaged: retrain it (a lower learning rate, or grad_clip)"
        )
    try:
        module.load_state_dict(state["model"])
        if optimizer is not None:
            optimizer.load_state_dict(state["optimizer"])
    except (RuntimeError, ValueError, KeyError, TypeError, IndexError) as error:
        raise CheckpointError(
            f"{path}: does not fit the circuit ({first_line(error)}); it is damaged or of another "
            "version: retrain with --overwrite"
        ) from None
    return state
