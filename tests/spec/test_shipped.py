"""Circuits by name: the shipped circuits, ``load_circuit(name)``, ``retinasim circuits`` and
``retinasim init``."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from helpers import CIRCUITS

from retinasim.cli import main
from retinasim.errors import SpecError
from retinasim.spec import load_circuit, resolve_circuit, shipped_circuit, shipped_circuits


def test_the_shipped_circuits_are_the_files_of_circuits_with_their_descriptions() -> None:
    shipped = shipped_circuits()
    assert list(shipped) == sorted(path.stem for path in CIRCUITS)
    for path in CIRCUITS:
        circuit = shipped[path.stem]
        assert circuit.path.read_bytes() == path.read_bytes()
        described = " ".join(yaml.safe_load(path.read_text())["description"].split())
        assert circuit.description == described and described


def test_a_name_loads_the_shipped_circuit(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)  # no file of that name here
    assert load_circuit("murray2021") == load_circuit(shipped_circuit("murray2021").path)
    (tmp_path / "murray2021").mkdir()  # a folder of that name is not a circuit file
    assert load_circuit("murray2021").name == "murray2021"


def test_an_existing_file_wins_over_a_shipped_name(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "murray2021").write_text(Path(CIRCUITS[0]).read_text().replace("name: ", "name: x"))
    assert resolve_circuit("murray2021") == Path("murray2021")


def test_an_unknown_name_lists_the_shipped_names_with_a_did_you_mean(
    tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SpecError) as raised:
        load_circuit("murray2012")
    message = str(raised.value)
    assert message.startswith("murray2012: no such file, and no shipped circuit")
    assert "did you mean 'murray2021'?" in message
    assert all(name in message for name in shipped_circuits())
    with pytest.raises(SpecError, match=r"^missing\.yaml: no such file$"):
        load_circuit("missing.yaml")  # a path, not a name: the plain message


def test_commands_that_take_a_file_take_a_name(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["validate", "murray2021", "murray2021_adaptive"]) in (0, 2)
    out = capsys.readouterr().out
    assert "murray2021: ok (murray2021: 3 layers" in out
    assert main(["validate", "murray2012"]) == 2
    assert "did you mean 'murray2021'?" in capsys.readouterr().err


def test_circuits_lists_every_shipped_circuit_with_its_description(capsys) -> None:
    assert main(["circuits"]) == 0
    out = capsys.readouterr().out
    for name, circuit in shipped_circuits().items():
        assert name in out
        assert circuit.description.split()[-1] in out


def test_init_copies_a_shipped_circuit_and_refuses_to_overwrite(
    tmp_path: Path, monkeypatch, capsys
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["init", "murray2021"]) == 0
    copy = tmp_path / "murray2021.yaml"
    assert copy.read_bytes() == shipped_circuit("murray2021").path.read_bytes()
    assert main(["init", "murray2021_4types", "--out", "mine/variant.yaml"]) == 0
    assert load_circuit("mine/variant.yaml") == load_circuit("murray2021_4types")
    capsys.readouterr()

    copy.write_text("edited")
    assert main(["init", "murray2021"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: murray2021.yaml: exists") and "--overwrite" in err
    assert copy.read_text() == "edited"
    assert main(["init", "murray2021", "--overwrite"]) == 0
    assert copy.read_bytes() == shipped_circuit("murray2021").path.read_bytes()

    assert main(["init", "murray2012"]) == 2
    assert "did you mean 'murray2021'?" in capsys.readouterr().err
    assert main(["init", "murray2021", "--out", "mine"]) == 0  # a folder: NAME.yaml in it
    assert (tmp_path / "mine" / "murray2021.yaml").read_bytes() == copy.read_bytes()
