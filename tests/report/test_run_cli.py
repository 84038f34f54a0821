"""``retinasim run`` end to end on a tiny circuit (subprocess), then ``analyze --only`` and
``report`` reruns, and bad arguments (in process: fast)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import xarray as xr
from helpers import SMALL_ANALYSIS, TINY3, run_cli


def test_run_writes_a_self_contained_report_with_figures_and_tables(run_dir: Path):
    report = (run_dir / "report.html").read_text()
    assert report.count('<img src="data:image/svg+xml;base64,') >= 8  # one file, no links
    assert "<svg" not in report and 'src="http' not in report and "src='" not in report
    assert "This run against the paper" in report and "accuracy at α = 1 (chance)" in report
    assert "Cell types" in report and "Provenance" in report
    for name in ("psychometric.nc", "lesion_scan.nc", "ablation.nc", "cell_types.csv"):
        assert (run_dir / "analysis" / name).exists()
    assert (run_dir / "figures" / "fig3a_psychometric.png").exists()
    assert (run_dir / "figures" / "fig3a_psychometric.svg").exists()
    kept = json.loads((run_dir / "analysis" / "ablated.json").read_text())
    if kept["lesions"] is not None:  # one figure per type the ablated model keeps
        assert list((run_dir / "figures").glob("fig4_kept_bipolar_*.svg"))
        assert list((run_dir / "figures").glob("fig6_kept_amacrine_*.svg"))
    assert (run_dir / "figures" / "fig7_units.svg").exists()
    with xr.open_dataset(run_dir / "analysis" / "deepvis.nc", engine="h5netcdf") as deepvis:
        assert deepvis["moving_response"].dims == ("target", "pattern_velocity")
        assert "preferred_velocity" in deepvis
    assert "best moving pattern" in report
    assert (run_dir / "evaluation.nc").exists()


def test_analyze_only_reruns_one_step_and_report_rebuilds(run_dir: Path):
    scan = run_dir / "analysis" / "lesion_scan.nc"
    curve = run_dir / "analysis" / "psychometric.nc"
    scan_before, curve_before = scan.stat().st_mtime_ns, curve.stat().st_mtime_ns
    done = run_cli("analyze", run_dir, "--only", "lesions", *SMALL_ANALYSIS)
    assert done.returncode == 0, done.stderr
    # stderr is not a terminal: each phase logs timestamped lines with its count and rate
    finished = r"^\d\d:\d\d:\d\d lesion scan: (\d+)/\1 in [\d.]+ s \([\d.]+/s\)$"
    assert re.search(finished, done.stderr, re.MULTILINE), done.stderr
    assert re.search(r"^\d\d:\d\d:\d\d figures: 1/1 in", done.stderr, re.MULTILINE)
    assert scan.stat().st_mtime_ns > scan_before
    assert curve.stat().st_mtime_ns == curve_before
    (run_dir / "report.html").unlink()
    done = run_cli("report", run_dir)
    assert done.returncode == 0, done.stderr
    assert "data:image/svg+xml;base64," in (run_dir / "report.html").read_text()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["analyze", "{run}", "--only", "lessions"], "unknown --only step"),
        (["analyze", "{run}", "--n-stimuli", "0"], "--n-stimuli: Input should be greater than or"),
        (["report", "{missing}"], "no such run folder"),
        (["run", str(TINY3), "--out", "{missing}", "--resume", "--overwrite"], "exclude"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(run_dir: Path, tmp_path: Path, args, message, capsys):
    from retinasim.cli import main

    filled = [a.format(run=run_dir, missing=tmp_path / "missing") for a in args]
    assert main(filled) == 2
    stderr = capsys.readouterr().err
    assert message in stderr
    assert len(stderr.strip().splitlines()) == 1
