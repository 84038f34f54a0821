"""``retinasim record`` and ``retinasim tuning`` as a user runs them: real subprocesses."""

from __future__ import annotations

import subprocess
from pathlib import Path

import xarray as xr
from groundtruth import REICHARDT
from helpers import run_cli


def retinasim(*args: str | Path) -> subprocess.CompletedProcess:
    return run_cli(*args)


def test_record_writes_a_labelled_file(tmp_path: Path) -> None:
    out = tmp_path / "bars.zarr"
    done = retinasim(
        "record",
        REICHARDT,
        "--stimulus",
        "moving_bars",
        "--set",
        "speeds=1",
        "--set",
        "widths=1",
        "--n",
        "5",
        "--batch-size",
        "2",
        "--probe",
        "ganglion:centre",
        "--probe",
        "bipolar[delayed]:full",
        "--probe",
        "readout",
        "--lesion",
        "bipolar:fast",
        "--out",
        out,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"wrote {out}: ganglion_centre, bipolar, readout")
    with xr.open_datatree(out, engine="zarr", consolidated=False, chunks={}) as saved:
        assert saved.sizes["trial"] == 5 and saved["bipolar/bipolar"].chunks[0] == (2, 2, 1)
        assert list(saved.speed.values) == [1.0] * 5
        assert list(saved["bipolar"].speed.values) == [1.0] * 5
        assert saved.attrs["circuit"] == "reichardt"
        assert saved.attrs["lesions_bipolar"] == "fast"


def test_record_errors_are_one_line_and_exit_2(tmp_path: Path) -> None:
    cases = [
        (
            (REICHARDT, "--probe", "ganglion:middle", "--out", "x.nc"),
            "error: bad probe 'ganglion:middle'",
        ),
        (
            (
                REICHARDT,
                "--probe",
                "amacrine:mean",
                "--set",
                "speeds=2",
                "--out",
                tmp_path / "x.nc",
            ),
            "unknown layer 'amacrine'",
        ),
        ((REICHARDT, "--probe", "readout", "--out", "x.csv"), "saved as .nc (netCDF) or .zarr"),
        (
            (tmp_path / "absent.yaml", "--probe", "readout", "--out", tmp_path / "x.nc"),
            "no such run folder or circuit file",
        ),
    ]
    for args, message in cases:
        done = retinasim("record", "--stimulus", "moving_bars", *args)
        assert done.returncode == 2, done.stderr
        assert message in done.stderr and "Traceback" not in done.stderr
        assert len(done.stderr.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


def test_tuning_prints_the_dsi_table_and_writes_plots(tmp_path: Path) -> None:
    out = tmp_path / "tuning"
    done = retinasim(
        "tuning", REICHARDT, "--out", out, "--bar-width", "1", "--n-permutations", "50"
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split()[:3] == ["cell", "type", "layer"]
    assert [line.split()[0] for line in lines[1:4]] == ["fast", "delayed", "detector"]
    for name in ("tuning.csv", "tuning.nc", "tuning_bipolar.png", "tuning_ganglion.svg"):
        assert (out / name).stat().st_size > 0, name
    table = (out / "tuning.csv").read_text().splitlines()
    assert table[0].startswith("cell_type,layer,peak_direction_deg")
    assert len(table) == 4
    with xr.open_dataset(out / "tuning.nc", engine="h5netcdf") as saved:
        assert saved.sizes == {"cell_type": 3, "direction": 8}
    odd = retinasim("tuning", REICHARDT, "--out", out, "--directions", "5")
    assert odd.returncode == 2 and "--directions must be even" in odd.stderr
