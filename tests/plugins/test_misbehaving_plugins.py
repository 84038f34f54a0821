"""A misbehaving installed plugin is named and skipped, never silently stops a command (N8).

Each test installs a plugin the way pip leaves one on ``sys.path`` (a module and its
``*.dist-info`` with an ``entry_points.txt`` in the ``retinasim`` group) in a folder of its
own, and runs the real command line with that folder on ``PYTHONPATH``.
"""

from __future__ import annotations

from pathlib import Path

from helpers import ROOT, run_cli


def _install(site: Path, package: str, entry: str, module: str, code: str) -> None:
    """A distribution ``package`` whose entry point ``entry`` is module ``module``."""
    (site / f"{module}.py").write_text(code)
    info = site / f"{package.replace('-', '_')}-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {package}\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(f"[retinasim]\n{entry} = {module}\n")


def _env(site: Path) -> dict[str, str]:
    return {"PYTHONPATH": f"{site}:{ROOT / 'tests'}"}


def test_a_plugin_that_exits_at_import_is_named_and_the_command_works(tmp_path: Path) -> None:
    _install(tmp_path, "rp-exit", "rp_exit", "rp_exit", "import sys\nsys.exit(0)\n")
    done = run_cli("validate", ROOT / "circuits" / "murray2021.yaml", env=_env(tmp_path))
    assert done.returncode == 0 and "murray2021.yaml" in done.stdout, done.stderr
    listed = run_cli("plugins", env=_env(tmp_path))
    assert listed.returncode == 0, listed.stderr
    text = listed.stdout + listed.stderr
    assert "rp_exit" in text and "SystemExit" in text


def test_a_hook_raising_keyboard_interrupt_is_named_and_skipped(tmp_path: Path) -> None:
    code = (
        "from retinasim.plugins import hookimpl\n\n"
        "@hookimpl\ndef retinasim_cell_types():\n    raise KeyboardInterrupt\n"
    )
    _install(tmp_path, "rp-interrupt", "rp_interrupt", "rp_interrupt", code)
    listed = run_cli("plugins", env=_env(tmp_path))
    assert listed.returncode == 0, listed.stderr
    text = listed.stdout + listed.stderr
    assert "rp_interrupt" in text and "KeyboardInterrupt" in text
    assert "spatiotemporal" in listed.stdout  # the others still load


def test_an_entry_point_reusing_another_plugins_name_is_reported(tmp_path: Path) -> None:
    for package in ("rp-first", "rp-second"):
        module = package.replace("-", "_")
        _install(tmp_path, package, "clash", module, "")  # both entry points named "clash"
    listed = run_cli("plugins", env=_env(tmp_path))
    text = " ".join((listed.stdout + listed.stderr).split())
    assert listed.returncode == 0, listed.stderr
    assert "has the name of one already registered by" in text
    assert "rp-first" in text and "rp-second" in text  # both named: nothing silently lost
