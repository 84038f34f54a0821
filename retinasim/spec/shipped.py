"""The circuits that ship with retinasim, by name (torch-free).

The YAML files live in the repository's ``circuits/`` folder; a wheel carries them as package
data of ``retinasim.circuits`` (``pyproject.toml``). A circuit's name is its file's stem,
accepted wherever a circuit file is."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from retinasim.errors import SpecError
from retinasim.util.text import did_you_mean

SUFFIX = ".yaml"


@dataclass(frozen=True)
class ShippedCircuit:
    """A circuit file that ships with retinasim."""

    name: str
    """The name to give ``load_circuit`` and the command line (the file's stem)."""
    path: Path
    """Where the installed file is (read it, or copy it with ``retinasim init``)."""

    @property
    def description(self) -> str:
        """The file's ``description:`` (empty when it has none)."""
        try:
            data = yaml.safe_load(self.path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError):
            return ""
        text = data.get("description") if isinstance(data, dict) else None
        return " ".join(str(text).split()) if text else ""


def circuits_dir() -> Path | None:
    """The folder of the shipped circuit files: the package data folder
    ``retinasim/circuits`` when installed from a wheel, else the repository's ``circuits/``;
    ``None`` if there is none."""
    package = Path(__file__).resolve().parents[1]
    for folder in (package / "circuits", package.parent / "circuits"):
        if folder.is_dir() and any(folder.glob(f"*{SUFFIX}")):
            return folder
    return None


def shipped_circuits() -> dict[str, ShippedCircuit]:
    """Every shipped circuit by name, in name order."""
    folder = circuits_dir()
    if folder is None:
        return {}
    return {
        path.stem: ShippedCircuit(path.stem, path) for path in sorted(folder.glob(f"*{SUFFIX}"))
    }


def is_circuit_name(source: str | Path) -> bool:
    """Whether ``source`` reads as a circuit's name rather than a path (no folder, no suffix)."""
    text = str(source)
    return bool(text) and "/" not in text and "\\" not in text and Path(text).suffix == ""


def shipped_circuit(name: str) -> ShippedCircuit:
    """The shipped circuit called ``name``; a :class:`SpecError` naming the shipped
    circuits (with a "did you mean") if there is none."""
    circuits = shipped_circuits()
    if name in circuits:
        return circuits[name]
    raise SpecError.at(name, unknown_circuit_message(name, circuits))


def unknown_circuit_message(name: str, circuits: dict[str, ShippedCircuit] | None = None) -> str:
    """Why ``name`` is neither a file nor a shipped circuit, listing the shipped ones."""
    names = sorted(shipped_circuits() if circuits is None else circuits)
    hint = did_you_mean(name, names)
    listing = ", ".join(names) if names else "none are installed"
    return (
        f"no such file, and no shipped circuit of that name{hint} "
        f"(shipped circuits: {listing}; `retinasim circuits` describes them)"
    )
