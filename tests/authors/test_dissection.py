"""retinasim's dissection of the authors' own model finds what they found (held-out stimuli)."""

from __future__ import annotations

import pytest

from retinasim.authors import import_authors
from retinasim.dissect.lesions import critical_types, lesion_scan
from retinasim.engine import moving_dots_set
from retinasim.training import load_trained


@pytest.fixture(scope="module")
def their_model(tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("authors") / "murray2021"
    import_authors("murray2021", out, rendering="authors")
    return load_trained(out)


def test_the_lesion_scan_of_their_model_finds_ganglion_0_and_2_and_only_those(their_model):
    circuit = their_model
    spec = circuit.spec
    stimuli = moving_dots_set(spec, alphas=[2.0], n=128)  # the test seed: never seen by them
    scan = lesion_scan(circuit, stimuli)
    assert scan.attrs["intact_accuracy"] >= 0.97
    assert critical_types(scan) == [("ganglion", 0), ("ganglion", 2)]
    # their stored lesion accuracies: ganglion 0 -> 0.56, ganglion 2 -> 0.91
    assert float(scan["accuracy"].sel(cell_type="ganglion_0")) < 0.75
