"""``retinasim import-authors``: one of the authors' models as an ordinary run folder.

The folder holds what ``retinasim train`` writes (see :mod:`retinasim.run_folder`): the
resolved ``circuit.yaml`` (``circuits/murray2021.yaml`` with the types per layer read from the
weights' shapes), a retinasim ``checkpoint.pt`` of the mapped weights
(:mod:`retinasim.authors.weights`), ``metrics.json`` with status ``completed``, an empty
``history.json`` (no training happened here) and ``provenance.json`` naming the source file,
its SHA-256 and the authors' licence. Every command that takes a run folder (``evaluate``,
``analyze``, ``report``, ``record``, ``tuning``) then works on it.
"""

from __future__ import annotations

import hashlib
import re
import reprlib
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import yaml

from retinasim.authors.errors import AuthorsError
from retinasim.authors.weights import circuit_state, read_state_dict, type_counts

if TYPE_CHECKING:
    from retinasim.spec import CircuitSpec

#: The authors' files shipped with retinasim (``retinasim/authors/data/``), by name.
MODELS = {
    "murray2021": "model.pt",
    "murray2021-top": "model_top_dist.pt",
    "murray2021-top-san-amacrine": "model_top_dist_san_ama.pt",
    "murray2021-top-san-bipolar": "model_top_dist_san_bipolar.pt",
}
MODEL_DESCRIPTIONS = {
    "murray2021": "the trained 8-type model of the paper",
    "murray2021-top": "their truncated model: the types kept by their ablation, 2 per layer",
    "murray2021-top-san-amacrine": "the truncated model with its amacrine type removed",
    "murray2021-top-san-bipolar": "the truncated model with its bipolar type removed",
}
ORIGIN = (
    "github.com/keith-murray/emergence-retina-cell-types, models_and_data/ "
    "(Murray, Wang & Lynch 2021)"
)
LICENCE = "MIT"
LICENCE_NOTICE = "Copyright (c) 2021 Keith T. Murray; MIT License (retinasim/authors/data/LICENSE)"
BASE_CIRCUIT = "murray2021"
"""The shipped circuit an imported model's circuit is made from."""
Rendering = Literal["authors", "antialiased"]


def data_file(name: str) -> Path:
    """Path of a file shipped in ``retinasim/authors/data/``."""
    return Path(str(files("retinasim.authors").joinpath("data").joinpath(name)))


def resolve_source(source: str | Path) -> tuple[Path, str]:
    """``(path, model name)`` of a shipped model's name or of a file path."""
    text = str(source)
    if text in MODELS:
        return data_file(MODELS[text]), text
    path = Path(source)
    try:
        found = path.exists()
    except OSError:  # a name too long for a path, say
        found = False
    if found:
        stem = re.sub(r"[^A-Za-z0-9_\-]", "-", path.stem) or "model"
        return path, stem if stem[0].isalpha() or stem[0] == "_" else f"m{stem}"
    names = ", ".join(MODELS)
    raise AuthorsError(f"{reprlib.repr(text)}: no such file and not a shipped model ({names})")


def authors_spec(
    counts: dict[str, int],
    *,
    name: str,
    base: str | Path | None = None,
    rendering: Rendering = "authors",
) -> CircuitSpec:
    """The resolved circuit of an imported model: the base circuit (shipped ``murray2021``) with
    ``n_types`` per layer from ``counts`` and the moving dots drawn with ``rendering``."""
    from retinasim.spec import load_circuit
    from retinasim.spec.shipped import shipped_circuit

    base_path = Path(base) if base is not None else shipped_circuit(BASE_CIRCUIT).path
    data: dict[str, Any] = load_circuit(base_path).model_dump(mode="json")
    layer_names = {layer["name"] for layer in data["layers"]}
    if layer_names != set(counts):
        raise AuthorsError(
            f"{base_path}: layers {sorted(layer_names)} do not match the authors' model "
            f"({', '.join(counts)})"
        )
    for layer in data["layers"]:
        layer["n_types"] = counts[layer["name"]]
    data["name"] = f"{name}-authors"[:64]
    data["description"] = (
        f"The authors' trained model {name!r} ({ORIGIN}), imported into {base_path.name} "
        f"with {', '.join(f'{n} {layer}' for layer, n in counts.items())} types."
    )
    stimulus = dict(data["training"].get("stimulus") or {})
    if rendering == "authors":
        stimulus["rendering"] = "authors"
    else:
        stimulus.pop("rendering", None)
    data["training"]["stimulus"] = stimulus
    return load_circuit("<imported circuit>", text=yaml.safe_dump(data, sort_keys=False))


def import_authors(
    source: str | Path,
    out: str | Path,
    *,
    overwrite: bool = False,
    circuit: str | Path | None = None,
    rendering: Rendering = "authors",
) -> dict[str, Any]:
    """Write the run folder ``out`` for the authors' model ``source`` (a name of
    :data:`MODELS` or a file); return its metrics.

    Raises :class:`AuthorsError` for a file that is not such a ``state_dict`` and
    :class:`~retinasim.training.errors.RunFolderError` for an occupied ``out``.
    """
    from retinasim.compile import compile_circuit
    from retinasim.provenance import provenance
    from retinasim.run_folder import HISTORY, METRICS, PROVENANCE, RunFolder
    from retinasim.spec import spec_hash
    from retinasim.training.checkpoint import save_checkpoint
    from retinasim.util.lock import run_folder_lock

    path, name = resolve_source(source)
    state = read_state_dict(path)
    counts = type_counts(state)
    spec = authors_spec(counts, name=name, base=circuit, rendering=rendering)
    with run_folder_lock(out):  # never into a folder another command is writing
        run = RunFolder(out)
        run.prepare(spec, resume=False, overwrite=overwrite)
        spec = run.load_spec()  # exactly what every later command reads
        digest = spec_hash(spec)
        model = compile_circuit(spec, seed=spec.training.seed)
        model.load_state_dict(circuit_state(state, model.state_dict()))
        save_checkpoint(run.checkpoint, model=model, optimizer=None, step=0, spec_hash=digest)
        source_sha = hashlib.sha256(path.read_bytes()).hexdigest()  # at most MAX_STATE_BYTES
        metrics = {
            "status": "completed",
            "imported": True,
            "source": "authors",
            "source_file": path.name,
            "source_sha256": source_sha,
            "steps": 0,
            "total_steps": 0,
            "stimuli_seen": 0,
            "loss": None,
            "train_accuracy": None,
            "validation_accuracy": None,
            "validation_size": spec.training.validation_size,
            "wall_time_s": None,
            "train_time_s": None,
            "spec_hash": digest,
        }
        run.write_json(HISTORY, [])
        run.write_json(METRICS, metrics)
        record = provenance(
            seed=None,
            spec_hash=digest,
            device="cpu",
            circuit=spec.name,
            status="completed",
            imported_from=str(path),
            source_file=path.name,
            source_model=name,
            source_sha256=source_sha,
            source_origin=ORIGIN,
            source_licence=LICENCE,
            source_licence_notice=LICENCE_NOTICE,
            source_types=", ".join(f"{layer} {n}" for layer, n in counts.items()),
            source_parameters=int(sum(value.numel() for value in state.values())),
            rendering=rendering,
            torch_load="weights_only=True, map_location=cpu",
        )
        run.write_json(PROVENANCE, record)
        return metrics
