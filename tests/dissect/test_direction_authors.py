"""The single-unit direction-selectivity protocol on the authors' own trained model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from retinasim.dissect.summary import direction_selectivity


@pytest.fixture(scope="module")
def authors(tmp_path_factory: pytest.TempPathFactory):
    from retinasim.authors import import_authors
    from retinasim.training import load_trained

    run = tmp_path_factory.mktemp("authors") / "run"
    import_authors("murray2021", run, rendering="authors")
    return load_trained(Path(run))


def test_authors_ganglion_0_and_2_are_direction_selective_in_opposite_directions(authors):
    circuit = authors
    # the ganglion layer's centre units only, at two speeds of a dot-sized bar (full size)
    tuning = direction_selectivity(
        circuit,
        layers=["ganglion"],
        speeds=(2.0, 3.0),
        widths=(10.0,),
        grid=1,
        n_permutations=200,
    )
    first, second = (tuning.sel(cell_type=f"ganglion_{k}") for k in (0, 2))
    for cell in (first, second):
        assert float(cell.dsi) >= 0.3 and float(cell.vector_dsi) >= 0.3
        assert float(cell.vector_dsi_p_value) < 0.05
        assert bool(cell.rf_found)
        # the receptive field is the centre unit's: near the middle of the 255-pixel screen
        assert abs(float(cell.rf_x) - 127) < 30 and abs(float(cell.rf_y) - 127) < 30
    cosines = [np.cos(np.deg2rad(float(c.preferred_direction_deg))) for c in (first, second)]
    assert cosines[0] * cosines[1] < 0 and min(abs(c) for c in cosines) > 0.5
