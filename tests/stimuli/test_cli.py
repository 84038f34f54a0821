"""``retinasim stimulus``: real preview files, caches, and one-line errors with exit code 2."""

from __future__ import annotations

import subprocess

import imageio.v3 as iio
import pytest
from helpers import run_cli

from retinasim.cli import main
from retinasim.stimuli import StimulusCache


def run(*arguments: str) -> subprocess.CompletedProcess:
    return run_cli("stimulus", *arguments)


def test_subprocess_writes_an_animated_gif_and_a_png_strip(tmp_path):
    out = tmp_path / "dots.gif"
    done = run(
        "moving_dots",
        "--height",
        "48",
        "--width",
        "64",
        "--frames",
        "6",
        "--alpha=1.5",
        "--s-range",
        "0.5,1.0",
        "--seed",
        "3",
        "--strip-frames",
        "3",
        "--out",
        str(out),
    )
    assert done.returncode == 0, done.stderr
    assert "alpha=1.5" in done.stdout
    gif = iio.imread(out, index=None)
    assert gif.shape[:3] == (6, 48, 64)
    strip = iio.imread(tmp_path / "dots.png")
    assert strip.shape[:2] == (48, 3 * 64 + 2 * 2)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dots.gif", "dots.png"]


def test_subprocess_bad_argument_exits_2_with_one_line(tmp_path):
    done = run("moving_dots", "--alpha", "-1", "--out", str(tmp_path / "x.gif"))
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0
    assert "alpha = -1" in done.stderr and "greater than or equal to 0" in done.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["moving_dot"], "unknown stimulus kind 'moving_dot'; did you mean 'moving_dots'?"),
        (["moving_dots", "--radius", "3"], "did you mean --dot-radius?"),
        (["gratings", "--sped", "3"], "unknown gratings parameter --sped"),
        (["moving_dots", "--frames", "0"], "frames = 0"),
        (["moving_dots", "--fast-direction", "up"], "fast_direction = 'up'"),
        (["moving_bars", "--speeds", "0,-1"], "speeds must all be > 0"),
        (["moving_dots", "--seed", "abc"], "--seed must be a whole number from 0 to"),
        (["moving_dots", "stray"], "unexpected argument 'stray'"),
        (["flashes", "--out", "x.mp4"], "must end in .gif or .png"),
    ],
)
def test_bad_kind_name_or_value_is_one_line_and_exit_code_2(tmp_path, capsys, arguments, message):
    out = [] if "--out" in arguments else ["--out", str(tmp_path / "x.gif")]
    assert main(["stimulus", *arguments, *out]) == 2
    error = capsys.readouterr().err.strip()
    assert message in error and "\n" not in error
    assert list(tmp_path.iterdir()) == []


def test_list_values_flags_and_zoom(tmp_path, capsys):
    out = tmp_path / "g.png"
    assert (
        main(
            [
                "stimulus",
                "gratings",
                "--directions-deg",
                "90",
                "--waveform",
                "square",
                "--random-phase",
                "--height",
                "16",
                "--width",
                "16",
                "--frames",
                "4",
                "--zoom",
                "2",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    assert "direction_deg=90" in capsys.readouterr().out
    assert iio.imread(tmp_path / "g.gif", index=None).shape[:3] == (4, 32, 32)
    assert main(["stimulus", "white_noise", "--list"]) == 0
    assert "--pixel-size" in capsys.readouterr().out


def test_npz_output_writes_a_cache(tmp_path):
    out = tmp_path / "set.npz"
    assert (
        main(
            [
                "stimulus",
                "moving_dots",
                "--height",
                "16",
                "--width",
                "24",
                "--frames",
                "3",
                "--dot-radius",
                "2",
                "--count",
                "3",
                "--index",
                "5",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    cache = StimulusCache(out)
    assert len(cache) == 3 and cache.start == 5


def test_existing_outputs_are_replaced_only_with_overwrite(tmp_path, capsys):
    """N11 (#27): a preview writes x.gif and x.png; either one existing is kept unless asked."""
    keep = tmp_path / "keep.png"
    keep.write_text("my notes")
    arguments = ["stimulus", "flashes", "--height", "16", "--width", "16", "--frames", "4"]
    assert main([*arguments, "--out", str(tmp_path / "keep.gif")]) == 2
    assert "keep.png already exists; pass --overwrite" in capsys.readouterr().err
    assert keep.read_text() == "my notes" and not (tmp_path / "keep.gif").exists()
    assert main([*arguments, "--out", str(tmp_path / "keep.gif"), "--overwrite"]) == 0
    assert iio.imread(keep).ndim >= 2  # now the strip
