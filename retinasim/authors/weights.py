"""The authors' ``state_dict`` ↔ a retinasim circuit: reading, checking and the exact mapping.

Their ``RetinaModel`` (keith-murray/emergence-retina-cell-types) has one module per cell type
(a spatial ``Conv3d`` with a bias, a temporal ``Conv3d`` of 31 taps with a bias, ReLU or
``-ReLU`` for amacrine cells) and two decoders (left, right). Each maps onto one connection,
cell or readout tensor of the compiled ``circuits/murray2021.yaml``, temporal taps reversed
(their ``Conv3d`` correlates); ``docs/authors.md``, "The mapping (exact)", gives the table and
why nothing is approximated.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import torch

from retinasim.authors.errors import AuthorsError
from retinasim.training.checkpoint import torch_load
from retinasim.util.reading import InputFileError, read_bounded
from retinasim.util.text import listed

LAYERS = ("bipolar", "amacrine", "ganglion")
DECISIONS = ("decisionLeft", "decisionRight")
"""Their decoders, in retinasim's class order (left, right)."""
TEMPORAL_KERNEL = 31
READOUT_SIZE = (12, 12)

#: Their spatial convolutions: (layer, module, source, retinasim connection, kernel).
SPATIAL = (
    ("bipolar", "bipolar_space", "input", "input->bipolar", (10, 10)),
    ("amacrine", "amacrine_space", "bipolar", "bipolar->amacrine", (5, 5)),
    ("ganglion", "ganglion_bipolar_space", "bipolar", "bipolar->ganglion", (5, 5)),
    ("ganglion", "ganglion_amacrine_space", "amacrine", "amacrine->ganglion", (3, 3)),
)


MAX_STATE_BYTES = 256 * 2**20
"""State dicts larger than this are refused (the authors' models are about 70 kB)."""


def read_state_dict(path: str | Path) -> dict[str, torch.Tensor]:
    """Load one of the authors' files (weights only, onto the CPU) and check it: one line of
    :class:`AuthorsError` when it is unreadable or not a ``state_dict`` of their model."""
    path = Path(path)
    try:
        data = read_bounded(path, MAX_STATE_BYTES, "a torch state_dict file")
    except InputFileError as error:
        raise AuthorsError(str(error)) from None
    if not zipfile.is_zipfile(io.BytesIO(data)) and data[:1] != b"\x80":
        raise AuthorsError(
            f"{path}: not a torch file (neither torch's zip format nor a pickle); expected one "
            "of the authors' state_dicts such as model.pt"
        )
    state = torch_load(
        io.BytesIO(data),
        lambda reason: AuthorsError(
            f"{path}: not a readable torch file (torch.load with weights_only: {reason})"
        ),
    )
    if not isinstance(state, dict):
        raise AuthorsError(
            f"{path}: not a state_dict (a mapping of names to tensors), got {type(state).__name__}"
        )
    odd = [key for key, value in state.items() if not isinstance(value, torch.Tensor)]
    if odd or not all(isinstance(key, str) for key in state):
        what = f"{odd[0]!r} is a {type(state[odd[0]]).__name__}" if odd else "keys not strings"
        raise AuthorsError(
            f"{path}: not a state_dict (a mapping of names to tensors): {what}; expected one "
            "of the authors' files such as model.pt"
        )
    check_state_dict(state, where=str(path))
    return {key: value.detach().cpu() for key, value in state.items()}


def type_counts(state: dict[str, torch.Tensor]) -> dict[str, int]:
    """Cell types per layer: the number of ``{layer}{i}.`` modules (0 if none); indices other
    than ``0 .. n - 1`` (``bipolar99999999.`` must not make the check expect 10⁸ types) raise
    :class:`AuthorsError`."""
    counts = {}
    for layer in LAYERS:
        found = {int(m.group(1)) for k in state if (m := re.match(rf"{layer}(\d{{1,9}})\.", k))}
        if found and max(found) + 1 != len(found):
            raise AuthorsError(
                f"not a state_dict of the authors' model: the {layer} cell types are numbered "
                f"up to {max(found)} but there are {len(found)} of them"
            )
        counts[layer] = len(found)
    return counts


def expected_shapes(counts: dict[str, int]) -> dict[str, tuple[int, ...]]:
    """Every key of a ``state_dict`` of their model with these type counts, and its shape."""
    sources = {"input": 1, "bipolar": counts["bipolar"], "amacrine": counts["amacrine"]}
    shapes: dict[str, tuple[int, ...]] = {}
    for layer in LAYERS:
        for i in range(counts[layer]):
            for target, module, source, _, kernel in SPATIAL:
                if target == layer:
                    shapes[f"{layer}{i}.{module}.weight"] = (1, sources[source], 1, *kernel)
                    shapes[f"{layer}{i}.{module}.bias"] = (1,)
            shapes[f"{layer}{i}.{layer}_temporal.weight"] = (1, 1, TEMPORAL_KERNEL, 1, 1)
            shapes[f"{layer}{i}.{layer}_temporal.bias"] = (1,)
    for decision in DECISIONS:
        shapes[f"{decision}.decision_space.weight"] = (1, counts["ganglion"], 1, *READOUT_SIZE)
        shapes[f"{decision}.decision_space.bias"] = (1,)
    return shapes


def check_state_dict(state: dict[str, torch.Tensor], *, where: str = "state_dict") -> None:
    """Raise :class:`AuthorsError` (one line) unless ``state`` is a ``state_dict`` of their
    model: every key present with its shape, nothing else, finite floating-point values."""
    counts = type_counts(state)
    if min(counts.values()) == 0:
        missing = [layer for layer, n in counts.items() if n == 0]
        raise AuthorsError(
            f"{where}: not a state_dict of the authors' model (no {', '.join(missing)} cell "
            f"types; expected keys such as 'bipolar0.bipolar_space.weight'; found "
            f"{listed(sorted(state)) or 'no keys'})"
        )
    shapes = expected_shapes(counts)
    missing = [key for key in shapes if key not in state]
    unexpected = [key for key in state if key not in shapes]
    parts = [
        f"{what} {listed(keys)}"
        for what, keys in [("missing", missing), ("unexpected", unexpected)]
        if keys
    ]
    if parts:
        raise AuthorsError(f"{where}: not a state_dict of the authors' model ({'; '.join(parts)})")
    for key, shape in shapes.items():
        tensor = state[key]
        if tuple(tensor.shape) != shape:
            raise AuthorsError(
                f"{where}: {key} has shape {tuple(tensor.shape)}, expected {shape} "
                f"(types per layer: {counts})"
            )
        if not tensor.dtype.is_floating_point:
            raise AuthorsError(f"{where}: {key} has dtype {tensor.dtype}, expected floating point")
        if not bool(torch.isfinite(tensor).all()):
            raise AuthorsError(f"{where}: {key} holds non-finite values")


def circuit_state(
    state: dict[str, torch.Tensor], template: dict[str, torch.Tensor]
) -> dict[str, torch.Tensor]:
    """The compiled circuit's ``state_dict`` ``template`` with every parameter replaced by
    the authors' weights (in the template's dtype; buffers such as lesion masks are kept)."""
    counts = type_counts(state)
    out = {key: value.clone() for key, value in template.items()}
    written: set[str] = set()

    def put(key: str, value: torch.Tensor) -> None:
        if key not in out or tuple(out[key].shape) != tuple(value.shape):
            found = tuple(out[key].shape) if key in out else "absent"
            raise AuthorsError(
                f"the circuit does not fit the authors' model: {key} is {found}, their weights "
                f"give {tuple(value.shape)}"
            )
        out[key] = value.to(out[key].dtype)
        written.add(key)

    for layer, module, _, connection, _ in SPATIAL:
        n = counts[layer]
        put(
            f"connections.{connection}.weight",
            torch.stack([state[f"{layer}{i}.{module}.weight"][0, :, 0] for i in range(n)]),
        )
        put(
            f"connections.{connection}.bias",
            torch.stack([state[f"{layer}{i}.{module}.bias"][0] for i in range(n)]),
        )
    for layer in LAYERS:
        n = counts[layer]
        taps = [state[f"{layer}{i}.{layer}_temporal.weight"][0, 0, :, 0, 0] for i in range(n)]
        # Conv3d correlates over the padded frames: their tap K - 1 weighs the current frame,
        # retinasim's tap 0 does.
        put(f"cells.{layer}.weight", torch.stack([t.flip(0) for t in taps]))
        put(
            f"cells.{layer}.bias",
            torch.stack([state[f"{layer}{i}.{layer}_temporal.bias"][0] for i in range(n)]),
        )
    put(
        "readout.weight",
        torch.stack([state[f"{d}.decision_space.weight"][0, :, 0] for d in DECISIONS]),
    )
    put("readout.bias", torch.stack([state[f"{d}.decision_space.bias"][0] for d in DECISIONS]))
    left = [key for key in template if key not in written and not key.startswith("lesion_")]
    if left:
        raise AuthorsError(
            f"the circuit does not fit the authors' model: nothing of theirs for {listed(left)}"
        )
    return out
