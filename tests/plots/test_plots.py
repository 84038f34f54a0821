"""Every plot function draws on a new or given axes and labels axes from the data's attrs."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pytest
from groundtruth import planted_rf, reichardt
from matplotlib.figure import Figure

from retinasim.analysis import (
    direction_tuning,
    receptive_field,
    response_amplitude,
    spatial_kernels,
    spike_triggered_average,
    stimulus_array,
    temporal_kernels,
)
from retinasim.plots import (
    plot_amplitude,
    plot_kernel_grid,
    plot_polar_tuning,
    plot_rf_map,
    plot_temporal_kernels,
    plot_temporal_profile,
    plot_tuning_curve,
)
from retinasim.recording import record
from retinasim.stimuli import MovingBars, WhiteNoise


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def tuning():
    bars = MovingBars(height=15, width=15, frames=21, speeds=(1.0,), widths=(1.0,))
    recording = record(reichardt(), bars, ["ganglion:centre", "bipolar:mean"], n=8)
    return direction_tuning(recording["ganglion/ganglion_centre"], n_permutations=10), recording


@pytest.fixture(scope="module")
def rf():
    batch = WhiteNoise(height=11, width=11, frames=20, pixel_size=1).generate(range(10), seed=0)
    response = record(planted_rf(), batch, "bipolar:centre")["bipolar/bipolar_centre"]
    return receptive_field(spike_triggered_average(stimulus_array(batch), response, lags=4))


def test_tuning_curve(tuning) -> None:
    figure = plot_tuning_curve(tuning[0])
    ax = figure.axes[0]
    assert isinstance(figure, Figure)
    assert ax.get_xlabel() == "direction of motion [degree]"
    assert ax.get_ylabel() == "mean response [a.u.]"


def test_polar_tuning_on_a_given_axes(tuning) -> None:
    figure = plt.figure()
    ax = figure.add_subplot(projection="polar")
    assert plot_polar_tuning(tuning[0], ax=ax) is figure
    assert ax.get_xlabel() == "direction of motion [degree]" and ax.get_ylabel().endswith("[a.u.]")
    assert len(ax.lines) == 1


def test_rf_map_and_temporal_profile(rf) -> None:
    figure = plot_rf_map(rf, cell_type="bipolar_1")
    ax = figure.axes[0]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("column [pixel]", "row [pixel]")
    assert figure.axes[1].get_ylabel() == "spatial profile [1]"  # the colour bar
    figure = plot_temporal_profile(rf)
    ax = figure.axes[0]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("lag [s]", "temporal profile [1]")
    assert len(ax.get_legend().get_texts()) == 2


def test_kernel_grid_and_temporal_kernels() -> None:
    circuit = reichardt()
    figure = plot_kernel_grid(spatial_kernels(circuit)["bipolar->ganglion"])
    ax = figure.axes[0]
    assert ax.get_xlabel() == "bipolar cell type (tiles of kernel column [pixel])"
    assert ax.get_ylabel() == "ganglion cell type (tiles of kernel row [pixel])"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["fast", "delayed"]
    assert figure.axes[1].get_ylabel() == "spatial weight bipolar → ganglion [1]"
    figure = plot_temporal_kernels(temporal_kernels(circuit)["bipolar"])
    ax = figure.axes[0]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("lag [s]", "bipolar temporal filter weight [1]")


def test_amplitude_curve(tuning) -> None:
    amplitude = response_amplitude(tuning[1]["bipolar/bipolar_mean"], "direction_deg")
    figure, ax = plt.subplots()
    assert plot_amplitude(amplitude, ax=ax) is figure
    assert ax.get_xlabel() == "direction deg [degrees]"
    assert ax.get_ylabel().endswith("mean across trials [a.u.]")
    binned = response_amplitude(tuning[1]["bipolar/bipolar_mean"], "direction_deg", bins=2)
    assert plot_amplitude(binned).axes[0].get_xlabel() == "direction deg [degrees]"
