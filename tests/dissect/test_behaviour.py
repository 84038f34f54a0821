"""Psychometric curve and accuracy over s of a trained tiny model."""

from __future__ import annotations

import numpy as np
import pytest

from retinasim.dissect import accuracy_by_s, evaluation_set, psychometric_curve
from retinasim.errors import RetinasimError


def test_psychometric_curve_sits_at_chance_for_equal_speeds_and_rises_with_alpha(trained):
    circuit = trained
    curve = psychometric_curve(circuit, alphas=[1.0, 3.0, 4.0], n=200)
    accuracy = curve["accuracy"].sel(alpha=1.0).item()
    assert abs(accuracy - 0.5) < 0.1  # 200 trials: chance ± 1.4 standard errors
    assert curve["accuracy"].sel(alpha=3.0) > 0.85
    assert curve["accuracy"].sel(alpha=4.0) > 0.85
    assert curve["accuracy_by_fast_direction"].dims == ("alpha", "fast_direction")
    assert curve["accuracy"].attrs["units"] == "fraction correct"
    assert list(curve["count"].values) == [200, 200, 200]


def test_accuracy_by_s_is_split_by_fast_direction_and_labelled(trained):
    circuit = trained
    table = accuracy_by_s(circuit, s_values=[0.3, 0.6], alpha=3.0, n=30)
    assert table.dims == ("s", "fast_direction")
    assert list(table["fast_direction"].values) == ["left", "right"]
    assert table["s"].attrs["units"] == "pixels/frame"
    assert np.isfinite(table.values).all()


def test_a_lesion_set_is_applied_for_the_call_only(trained):
    circuit = trained
    spec = circuit.spec
    stimuli = evaluation_set(spec, alphas=[3.0], n=60)
    silenced = psychometric_curve(circuit, stimuli=stimuli, lesions={"ganglion": [0, 1]})
    assert silenced.attrs["lesions"] == "ganglion_0+ganglion_1"
    assert circuit.lesions == {}
    # no ganglion activity: the decoder sees only its biases, one answer for every trial
    by_direction = silenced["accuracy_by_fast_direction"].values[0]
    assert sorted(by_direction.tolist()) == [0.0, 1.0]


@pytest.mark.parametrize("kwargs", [{"n": 0}, {"alphas": [-1.0]}, {"s_values": [-0.5]}])
def test_bad_sizes_are_refused(trained, kwargs):
    spec = trained.spec
    with pytest.raises(RetinasimError):
        evaluation_set(spec, **kwargs)
