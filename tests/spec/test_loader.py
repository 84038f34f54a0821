"""Loading circuit files: valid circuits, placed errors, and hostile or broken input."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from helpers import CIRCUITS, TINY_CIRCUIT

from retinasim.errors import SpecError
from retinasim.spec import CircuitSpec, layer_sizes, load_circuit, spec_hash


@pytest.mark.parametrize("file", CIRCUITS, ids=lambda f: f.stem)
def test_every_shipped_circuit_validates(file: Path) -> None:
    spec = load_circuit(file)
    assert isinstance(spec, CircuitSpec)
    assert spec.name


def test_murray2021_layer_sizes_follow_the_authors_code() -> None:
    spec = load_circuit(Path(__file__).parents[2] / "circuits" / "murray2021.yaml")
    sizes = layer_sizes(spec)
    assert sizes == {
        "input": (255, 255),
        "bipolar": (50, 50),
        "amacrine": (12, 12),
        "ganglion": (12, 12),
    }
    assert [layer.n_types for layer in spec.layers] == [8, 8, 8]
    assert spec.dropout == 0.4


def test_all_errors_of_a_file_are_reported_at_once(tmp_path: Path) -> None:
    text = TINY_CIRCUIT.replace("frames: 8", "frames: 0").replace("stride: 2", "stride: -1")
    text = text.replace("weights: nonnegative", "weights: positive")
    file = tmp_path / "many.yaml"
    file.write_text(text)
    with pytest.raises(SpecError) as caught:
        load_circuit(file)
    paths = [issue.path for issue in caught.value.issues]
    assert paths == ["input.frames", "layers[1].weights", "connections[0].stride"]
    assert [issue.line for issue in caught.value.issues] == [2, 5, 7]


def test_spec_hash_ignores_formatting_but_not_content() -> None:
    a = load_circuit("a.yaml", text=TINY_CIRCUIT)
    b = load_circuit(
        "b.yaml",
        text="# a comment\n"
        + TINY_CIRCUIT.replace("ganglion, kernel: 3}", "ganglion, kernel: [3, 3]}"),
    )
    c = load_circuit(
        "c.yaml", text=TINY_CIRCUIT.replace("ganglion, kernel: 3}", "ganglion, kernel: 5}")
    )
    assert spec_hash(a) == spec_hash(b)
    assert spec_hash(a) != spec_hash(c)


def test_python_object_tag_constructs_nothing(tmp_path: Path) -> None:
    marker = tmp_path / "constructed"
    text = TINY_CIRCUIT.replace(
        "name: tiny",
        f"name: !!python/object/apply:pathlib.Path.touch [!!python/object/apply:"
        f"pathlib.Path ['{marker}']]",
    )
    with pytest.raises(SpecError, match="is not allowed"):
        load_circuit("evil.yaml", text=text)
    assert not marker.exists()


def test_billion_laughs_is_rejected_quickly() -> None:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in range(1, 10):
        refs = ",".join([f"*a{level - 1}"] * 9)
        lines.append(f"a{level}: &a{level} [{refs}]")
    lines.append("name: *a9")
    start = time.perf_counter()
    with pytest.raises(SpecError, match="expands to more than"):
        load_circuit("laughs.yaml", text="\n".join(lines))
    assert time.perf_counter() - start < 5.0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "file is empty"),
        (b"\x00\x01\x02binary", "is a binary file"),
        ("name: caf\u00e9".encode("latin-1"), "is not UTF-8 text"),
        (b"name: x\n" + b"#" * 1_100_000, "a circuit YAML file must be at most 1000000 bytes"),
    ],
    ids=["empty", "binary", "latin1", "huge"],
)
def test_unreadable_files_get_one_clear_issue(tmp_path: Path, content: bytes, message: str) -> None:
    file = tmp_path / "broken.yaml"
    file.write_bytes(content)
    with pytest.raises(SpecError) as caught:
        load_circuit(file)
    assert len(caught.value.issues) == 1
    assert message in str(caught.value)
    assert str(caught.value).startswith(str(file))


def test_directory_and_missing_file_are_reported(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="is a directory"):
        load_circuit(tmp_path)
    with pytest.raises(SpecError, match="no such file"):
        load_circuit(tmp_path / "absent.yaml")


def test_anchors_and_aliases_within_limits_are_allowed() -> None:
    text = TINY_CIRCUIT.replace("params: {temporal_kernel: 3}", "params: &p {temporal_kernel: 3}")
    text = text.replace("weights: nonnegative}", "weights: nonnegative, params: *p}")
    spec = load_circuit("aliases.yaml", text=text)
    assert spec.layers[1].params == {"temporal_kernel": 3}


def test_single_numbers_and_pairs_are_equivalent() -> None:
    spec = load_circuit("t.yaml", text=TINY_CIRCUIT)
    assert spec.connections[0].kernel == (4, 4)
    assert spec.connections[0].stride == (2, 2)
    assert spec.connections[0].padding == (0, 0)


def test_connection_inherits_the_target_layer_constraint() -> None:
    spec = load_circuit("t.yaml", text=TINY_CIRCUIT)
    assert spec.connection_constraint(spec.connections[0]).value == "free"
    assert spec.connection_constraint(spec.connections[1]).value == "nonnegative"


def test_spec_hash_leaves_defaults_out_and_accepts_the_hash_of_earlier_versions() -> None:
    import hashlib
    import json

    from retinasim.spec import accepted_spec_hashes
    from retinasim.spec.loader import LEGACY_CONNECTION_FIELDS, LEGACY_TRAINING_FIELDS

    plain = load_circuit("a.yaml", text=TINY_CIRCUIT + "training: {steps: 10}\n")
    spelled = load_circuit(  # the same content with fields written at their defaults
        "b.yaml", text=TINY_CIRCUIT + "training: {steps: 10, dropout_start: 0, batch_size: 16}\n"
    )
    assert spec_hash(plain) == spec_hash(spelled)
    # Before fields at their default were left out, a run folder hashed the whole dump, without
    # the training fields added since: its checkpoint must still belong to the circuit.
    data = plain.model_dump(mode="json")
    data["training"] = {
        k: v for k, v in data["training"].items() if k not in LEGACY_TRAINING_FIELDS
    }
    for connection in data["connections"]:  # nor the connection fields added since (#25)
        for key in LEGACY_CONNECTION_FIELDS:
            del connection[key]
    old = hashlib.sha256(json.dumps(data, sort_keys=True, separators=(",", ":")).encode())
    assert old.hexdigest()[:16] in accepted_spec_hashes(plain)
    other = load_circuit("c.yaml", text=TINY_CIRCUIT + "training: {steps: 11}\n")
    assert not accepted_spec_hashes(plain) & accepted_spec_hashes(other)


def test_special_files_are_refused_before_anything_is_read(tmp_path: Path) -> None:
    """N12 (#27): /dev/zero reports size 0 and never ends; a FIFO blocks a reader."""
    import os

    fifo = tmp_path / "circuit.yaml"
    os.mkfifo(fifo)
    for path, kind in ((Path("/dev/zero"), "a character device"), (fifo, "a FIFO")):
        with pytest.raises(SpecError, match=f"is {kind}, expected a circuit YAML file"):
            load_circuit(path)
