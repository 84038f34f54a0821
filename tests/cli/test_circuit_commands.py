"""The circuit commands, run as a user runs them: a real subprocess of the installed CLI."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from helpers import ROOT, TINY_CIRCUIT, run_cli

MURRAY = ROOT / "circuits" / "murray2021.yaml"


def retinasim(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return run_cli(*args, env=env)


def test_validate_accepts_a_valid_circuit() -> None:
    done = retinasim("validate", str(MURRAY))
    assert done.returncode == 0, done.stderr
    assert "murray2021.yaml: ok" in done.stdout


def test_validate_reports_every_problem_with_position_and_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        TINY_CIRCUIT.replace("frames: 8", "frames: 0").replace("layer: ganglion", "layer: ganglon")
    )
    done = retinasim("validate", str(MURRAY), str(bad))
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert lines == [
        f"{bad}:2:46: input.frames: Input should be greater than or equal to 1 (got 0)",
        f"{bad}:9:18: readout.layer: readout layer 'ganglon' does not exist; did you mean "
        "'ganglion'? (layers: bipolar, ganglion)",
    ]
    assert "Traceback" not in done.stderr
    assert "murray2021.yaml: ok" in done.stdout


def test_validate_on_unreadable_paths_gives_one_line_each(tmp_path: Path) -> None:
    binary = tmp_path / "image.yaml"
    binary.write_bytes(b"\x89PNG\x00\x00")
    done = retinasim("validate", str(tmp_path), str(binary), str(tmp_path / "absent.yaml"))
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"{tmp_path}: is a directory, expected a circuit YAML file",
        f"{binary}: is a binary file, expected a circuit YAML file",
        f"{tmp_path / 'absent.yaml'}: no such file",
    ]


def test_schema_is_json_schema_draft_07() -> None:
    done = retinasim("schema")
    assert done.returncode == 0
    schema = json.loads(done.stdout)
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
    assert "LayerSpec" in schema["definitions"]


def test_plugins_lists_builtin_and_installed_cell_types(plugin_site: Path) -> None:
    done = retinasim("plugins", env={"PYTHONPATH": str(plugin_site)})
    assert done.returncode == 0, done.stderr
    assert "spatiotemporal" in done.stdout and "retinasim" in done.stdout
    row = next(line for line in done.stdout.splitlines() if "rectifier" in line)
    assert "retinasim_rectifier" in row and "1.2.3" in row


def test_unknown_command_and_missing_argument_exit_2() -> None:
    for args in (["frobnicate"], ["validate"], ["info"]):
        done = retinasim(*args)
        assert done.returncode == 2, args
        assert "Traceback" not in done.stderr


def test_info_shows_shapes_parameters_and_a_forward_pass(tmp_path: Path) -> None:
    tiny = tmp_path / "tiny.yaml"
    tiny.write_text(TINY_CIRCUIT)
    done = retinasim("info", str(MURRAY))
    assert done.returncode == 0, done.stderr
    assert "(8, 51, 50, 50)" in done.stdout and "(8, 51, 12, 12)" in done.stdout
    assert "trainable parameters: 7,682" in done.stdout
    done = retinasim("info", str(tiny), "--forward", "3")
    assert done.returncode == 0, done.stderr
    assert "forward pass on 3 moving-dots stimuli" in done.stdout
    assert "/3 correct" in done.stdout
