"""``retinasim import-authors``: exact mapping, an ordinary run folder, clear errors."""

from __future__ import annotations

import hashlib
import json
import pickle
from pathlib import Path

import pytest
import torch
import yaml
from helpers import run_cli

from retinasim.authors import MODELS, AuthorsError, data_file, import_authors, read_state_dict
from retinasim.authors.weights import type_counts
from retinasim.spec import load_circuit, spec_hash
from retinasim.training.checkpoint import load_checkpoint
from retinasim.training.evaluate import load_trained
from tests.authors.their_model import TheirRetina

TYPES = {
    "murray2021": (8, 8, 8),
    "murray2021-top": (2, 2, 2),
    "murray2021-top-san-amacrine": (2, 2, 2),
    "murray2021-top-san-bipolar": (2, 2, 2),
}
SHARED = Path(__file__).resolve().parents[3] / "shared" / "authors"


def their_model(name: str) -> TheirRetina:
    state = torch.load(data_file(MODELS[name]), map_location="cpu", weights_only=True)
    model = TheirRetina(*TYPES[name])
    model.load_state_dict(state, strict=True)  # their names, every key, nothing more
    return model.double().eval()


@pytest.mark.parametrize("name", list(MODELS))
def test_the_imported_circuit_computes_their_model_exactly(tmp_path: Path, name: str) -> None:
    run = tmp_path / "run"
    import_authors(name, run)
    circuit = load_trained(run)
    spec = circuit.spec
    assert (
        tuple(spec.layer(layer).n_types for layer in ("bipolar", "amacrine", "ganglion"))
        == (TYPES[name])
    )
    circuit = circuit.double()
    generator = torch.Generator().manual_seed(7)
    # 40 frames: the first 30 are where zero padding meets the spatial biases.
    video = torch.rand((2, 1, 40, 255, 255), dtype=torch.float64, generator=generator)
    with torch.no_grad():
        theirs = their_model(name)(video)
        ours = circuit(video)
    assert ours.shape == theirs.shape == (2, 40, 2)
    assert theirs.abs().max() > 1e-3  # not a trivial zero-vs-zero comparison
    torch.testing.assert_close(ours, theirs, rtol=0, atol=1e-10)


def test_the_temporal_taps_are_reversed_and_biases_kept() -> None:
    state = read_state_dict(data_file("model.pt"))
    from retinasim.authors.weights import circuit_state
    from retinasim.compile import compile_circuit

    circuit = compile_circuit(load_circuit(Path("circuits/murray2021.yaml")), seed=0)
    mapped = circuit_state(state, circuit.state_dict())
    taps = state["bipolar3.bipolar_temporal.weight"][0, 0, :, 0, 0]
    assert torch.equal(mapped["cells.bipolar.weight"][3], taps.flip(0))
    assert mapped["cells.bipolar.weight"][3, 0] == taps[30]  # tap 0: the current frame
    assert (
        mapped["connections.amacrine->ganglion.bias"][5]
        == (state["ganglion5.ganglion_amacrine_space.bias"][0])
    )
    assert torch.equal(
        mapped["connections.amacrine->ganglion.weight"][5],
        state["ganglion5.ganglion_amacrine_space.weight"][0, :, 0],
    )  # stored non-negative; the circuit negates it at run time
    assert torch.equal(
        mapped["readout.weight"][1], state["decisionRight.decision_space.weight"][0, :, 0]
    )


def test_the_run_folder_is_complete_and_names_its_source(tmp_path: Path) -> None:
    run = tmp_path / "run"
    metrics = import_authors("murray2021-top", run)
    assert {p.name for p in run.iterdir()} >= {
        "circuit.yaml", "checkpoint.pt", "metrics.json", "provenance.json", "history.json"
    }  # fmt: skip
    spec = load_circuit(run / "circuit.yaml")
    base = load_circuit(Path("circuits/murray2021.yaml"))
    assert [c.model_dump() for c in spec.connections] == [c.model_dump() for c in base.connections]
    assert spec.training.stimulus["rendering"] == "authors"
    checkpoint = load_checkpoint(run / "checkpoint.pt", spec_hash=spec_hash(spec))
    assert checkpoint["spec_hash"] == metrics["spec_hash"] == spec_hash(spec)
    saved = json.loads((run / "metrics.json").read_text())
    assert saved["status"] == "completed"
    provenance = json.loads((run / "provenance.json").read_text())
    digest = hashlib.sha256(data_file("model_top_dist.pt").read_bytes()).hexdigest()
    assert provenance["source_sha256"] == digest == saved["source_sha256"]
    assert provenance["source_file"] == "model_top_dist.pt"
    assert provenance["source_licence"] == "MIT"
    assert provenance["spec_hash"] == spec_hash(spec)
    assert json.loads((run / "history.json").read_text()) == []


def test_the_antialiased_rendering_keeps_the_base_stimulus(tmp_path: Path) -> None:
    import_authors("murray2021", tmp_path / "run", rendering="antialiased")
    spec = load_circuit(tmp_path / "run" / "circuit.yaml")
    assert "rendering" not in spec.training.stimulus
    assert (
        spec.training.stimulus == load_circuit(Path("circuits/murray2021.yaml")).training.stimulus
    )


@pytest.mark.skipif(not SHARED.is_dir(), reason="the shared folder of the authors' files")
def test_the_shipped_files_are_the_authors_files() -> None:
    for name in [*MODELS.values(), "LICENSE", "psycho_alpha_full.npy", "ganglion_ablation.npy"]:
        assert data_file(name).read_bytes() == (SHARED / name).read_bytes(), name


def test_their_shapes_give_the_types_per_layer() -> None:
    assert type_counts(read_state_dict(data_file("model.pt"))) == {
        "bipolar": 8, "amacrine": 8, "ganglion": 8
    }  # fmt: skip
    assert set(type_counts(read_state_dict(data_file("model_top_dist.pt"))).values()) == {2}


def _state() -> dict[str, torch.Tensor]:
    return torch.load(data_file("model.pt"), map_location="cpu", weights_only=True)


def _write(path: Path, content) -> Path:
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        torch.save(content, path)
    return path


def _bad_files(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    wrong_shape = _state()
    wrong_shape["amacrine2.amacrine_space.weight"] = torch.zeros(1, 8, 1, 4, 4)
    other_keys = _state()
    other_keys["extra.weight"] = other_keys.pop("decisionLeft.decision_space.bias")
    not_finite = _state()
    not_finite["ganglion1.ganglion_temporal.bias"] = torch.tensor([float("nan")])
    plain_pickle = tmp_path / "plain.pkl"
    plain_pickle.write_bytes(pickle.dumps({"a": 1}, protocol=2))
    return {
        "random bytes": (_write(tmp_path / "r.pt", bytes(range(256)) * 10), "not a torch file"),
        "other keys": (_write(tmp_path / "k.pt", {"conv.weight": torch.zeros(3)}), "no bipolar"),
        "not tensors": (_write(tmp_path / "n.pt", {"model": {"a": torch.zeros(1)}}), "'model'"),
        "wrong shape": (_write(tmp_path / "s.pt", wrong_shape), "has shape (1, 8, 1, 4, 4)"),
        "renamed key": (_write(tmp_path / "x.pt", other_keys), "unexpected extra.weight"),
        "nan": (_write(tmp_path / "f.pt", not_finite), "non-finite"),
        "a plain pickle": (plain_pickle, "not a readable torch file"),
        "a list": (_write(tmp_path / "l.pt", [torch.zeros(1)]), "got list"),
    }


def test_files_that_are_not_their_state_dict_raise_one_clear_error(tmp_path: Path) -> None:
    for what, (path, message) in _bad_files(tmp_path).items():
        with pytest.raises(AuthorsError) as raised:
            import_authors(path, tmp_path / "out")
        text = str(raised.value)
        assert message in text and "\n" not in text, (what, text)
        assert not (tmp_path / "out").exists(), what  # nothing written for a bad file


def test_the_command_imports_by_name_and_rejects_bad_files_with_exit_2(tmp_path: Path) -> None:
    run = tmp_path / "run"
    done = run_cli("import-authors", "murray2021-top-san-bipolar", "--out", run)
    assert done.returncode == 0, done.stderr
    assert "model_top_dist_san_bipolar.pt" in done.stdout
    assert yaml.safe_load((run / "circuit.yaml").read_text())["layers"][0]["n_types"] == 2
    done = run_cli("import-authors", "murray2021-top-san-bipolar", "--out", run)
    assert done.returncode == 2 and "--overwrite" in done.stderr
    bad = _write(tmp_path / "bad.pt", bytes(100))
    done = run_cli("import-authors", bad, "--out", tmp_path / "other")
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and "not a torch file" in done.stderr
    done = run_cli("import-authors", "murray2022", "--out", tmp_path / "other")
    assert done.returncode == 2 and "murray2021-top" in done.stderr


def test_import_refuses_a_folder_another_process_writes(
    tmp_path: Path,
) -> None:
    """N3 (#27): import-authors --overwrite takes the run lock, so it never replaces a run
    that a training (here: a process holding the lock) is writing."""
    import subprocess
    import sys

    out = tmp_path / "busy"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\nfrom retinasim.util.lock import run_folder_lock\n"
            f"with run_folder_lock({str(out)!r}):\n    print('held', flush=True)\n"
            "    time.sleep(60)\n",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        done = run_cli("import-authors", "murray2021", "--out", out, "--overwrite")
        assert done.returncode == 2 and "in use by pid" in done.stderr, done.stderr
        assert not (out / "circuit.yaml").exists()
    finally:
        holder.kill()
        holder.wait()


def test_a_planted_type_index_is_refused_at_once(tmp_path: Path) -> None:
    """N10 (#27): one key ``bipolar99999999.`` in a small file must not make the check
    build 10⁸ expected entries (7.5 GB): the numbering is refused before any is built;
    special files are refused before reading."""
    state = torch.load(data_file(MODELS["murray2021"]), map_location="cpu", weights_only=True)
    state["bipolar99999999.bipolar_space.weight"] = torch.zeros(1)
    planted = tmp_path / "big.pt"
    torch.save(state, planted)
    with pytest.raises(AuthorsError, match="bipolar cell types are numbered up to 99999999"):
        read_state_dict(planted)
    with pytest.raises(AuthorsError, match="is a folder, expected a torch state_dict file"):
        read_state_dict(tmp_path)
