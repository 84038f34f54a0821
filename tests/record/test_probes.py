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
