"""Probe spec strings and their checks against a circuit."""

from __future__ import annotations

import pytest
from groundtruth import reichardt

from retinasim.recording import Probe, RecordingError, parse_probe, record
from retinasim.stimuli import MovingBars


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ganglion:centre", Probe("ganglion", None, "centre")),
        ("ganglion", Probe("ganglion", None, "centre")),
        ("bipolar:mean", Probe("bipolar", None, "mean")),
        ("bipolar:max@10:", Probe("bipolar", None, "max", frames=(10, None, None))),
        ("amacrine[0,2]:full", Probe("amacrine", (0, 2), "full")),
        ("bipolar[fast]:pos=3,4", Probe("bipolar", ("fast",), "position", (3, 4))),
        ("readout@-1", Probe("readout", None, "centre", frames=(-1, None, None))),
        ("readout", Probe("readout")),
    ],
)
def test_spec_strings_parse_to_probes(text: str, expected: Probe) -> None:
    assert parse_probe(text) == expected


def test_variable_names_follow_layer_and_readout() -> None:
    names = [parse_probe(t).variable for t in ("bipolar", "bipolar:full", "readout", "g:pos=1,2")]
    assert names == ["bipolar_centre", "bipolar", "readout", "g_pos_1_2"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("ganglion:middle", "unknown spatial read-out 'middle'"),
        ("ganglion[]:mean", "empty cell-type list"),
        ("ganglion:pos=3", "pos=Y,X needs two integers"),
        ("readout:mean", "readout takes no types or space"),
        ("1ganglion", "expected LAYER[TYPES]:SPACE@FRAMES"),
    ],
)
def test_bad_spec_strings_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(RecordingError, match=message.replace("[", r"\[").replace("(", r"\(")):
        parse_probe(text)


@pytest.mark.parametrize(
    ("probe", "message"),
    [
        ("amacrine:mean", "unknown layer 'amacrine'"),
        ("bipolar[5]:mean", "bipolar has types 0..1, not 5"),
        ("bipolar[slow]:mean", "bipolar has no type 'slow'"),
        ("ganglion:pos=20,1", r"position \(20, 1\) is outside the ganglion map of 15 x 13"),
        ("ganglion@30:", "select nothing"),
    ],
)
def test_probes_are_checked_against_the_circuit(probe: str, message: str) -> None:
    bars = MovingBars(height=15, width=15, frames=21)
    with pytest.raises(RecordingError, match=message):
        record(reichardt(), bars, probe, n=1)


def test_two_probes_may_not_fill_one_variable() -> None:
    bars = MovingBars(height=15, width=15, frames=21)
    with pytest.raises(RecordingError, match="two probes fill the variable"):
        record(reichardt(), bars, ["ganglion:mean", "ganglion[0]:mean"], n=1)


def test_a_positions_probe_reads_the_units_of_the_full_map() -> None:
    bars = MovingBars(height=15, width=15, frames=21)
    units = ((0, 0), (7, 6), (14, 12), (7, 6))  # a repeat is read twice
    probe = Probe("ganglion", space="positions", positions=units)
    tree = record(reichardt(), bars, [probe, "ganglion:full"], n=3)
    group = tree["ganglion"].to_dataset()
    picked = group["ganglion_positions"]
    assert picked.dims == ("trial", "cell_type", "frame", "unit")
    assert list(zip(group["unit_y"].values, group["unit_x"].values, strict=True)) == list(units)
    for k, (y, x) in enumerate(units):
        expected = group["ganglion"].isel(y=y, x=x)
        assert (picked.isel(unit=k) == expected).all() and float(abs(expected).max()) > 0


def test_positions_are_checked() -> None:
    bars = MovingBars(height=15, width=15, frames=21)
    with pytest.raises(RecordingError, match="go with space='positions' only"):
        Probe("ganglion", space="positions")
    with pytest.raises(RecordingError, match=r"position \(15, 0\) is outside"):
        record(reichardt(), bars, Probe("ganglion", space="positions", positions=((15, 0),)), n=1)
    two = [
        Probe("ganglion", (0,), "positions", positions=((1, 1),), name="a"),
        Probe("ganglion", (0,), "positions", positions=((2, 2),), name="b"),
    ]
    with pytest.raises(RecordingError, match="one list of positions per layer"):
        record(reichardt(), bars, two, n=1)
