"""Paper figures: every panel draws from labelled results, with units on its axes, as PNG+SVG."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import xarray as xr

from retinasim.figures import paper
from retinasim.figures.style import save_figure

DIRECTIONS = ["left", "right"]


def _curve() -> xr.Dataset:
    alpha = [0.0, 1.0, 2.0, 4.0]
    return xr.Dataset({"accuracy": ("alpha", [0.2, 0.5, 0.9, 1.0])}, coords={"alpha": alpha})


def _by_s() -> xr.DataArray:
    return xr.DataArray(
        np.array([[0.8, 0.7], [1.0, 1.0]]),
        dims=("s", "fast_direction"),
        coords={"s": [0.5, 1.5], "fast_direction": DIRECTIONS},
    )


def _scan() -> xr.Dataset:
    names = ["bipolar_0", "ganglion_0", "ganglion_1"]
    return xr.Dataset(
        {"accuracy": ("cell_type", [0.99, 0.56, 0.91])},
        coords={"cell_type": names, "layer": ("cell_type", ["bipolar", "ganglion", "ganglion"])},
        attrs={"intact_accuracy": 1.0},
    )


def _deepvis() -> xr.Dataset:
    xt = np.zeros((2, 5, 7))
    return xr.Dataset(
        {
            "xt": (("target", "time", "x"), xt),
            "decoder": (("target", "class"), [[1.0, 0.0], [0.0, 1.0]]),
            "velocity": ("target", [1.0, -1.0]),
        },
        coords={"target": ["ganglion_0", "ganglion_1"], "class": DIRECTIONS},
    )


def _labels(figure) -> list[str]:
    return [ax.get_xlabel() for ax in figure.axes if ax.get_xlabel()] + [
        ax.get_ylabel() for ax in figure.axes if ax.get_ylabel()
    ]


def test_every_panel_labels_its_axes_with_units(tmp_path: Path):
    effects = xr.concat([_by_s(), _by_s()], dim="lesion").assign_coords(lesion=["none", "g0"])
    amplitude = xr.DataArray(
        np.ones((2, 3)),
        dims=("s", "cell_type"),
        coords={
            "s": [0.5, 1.5],
            "cell_type": ["a", "b", "c"],
            "layer": ("cell_type", ["x", "x", "y"]),
        },
    )
    figures = {
        "psychometric": paper.psychometric(_curve(), _curve()),
        "by_s": paper.accuracy_vs_s(_by_s()),
        "lesions": paper.lesion_bars(_scan()),
        "within": paper.lesions_within_ablated(effects),
        "amplitudes": paper.amplitudes(amplitude),
        "deepvis": paper.deepvis_xt(_deepvis()),
    }
    for name, figure in figures.items():
        labels = _labels(figure)
        assert labels, name
        assert all("(" in label for label in labels if label != "lesioned cell type"), labels
        paths = save_figure(figure, tmp_path, name)
        assert [p.suffix for p in paths] == [".png", ".svg"]
        assert all(p.stat().st_size > 0 for p in paths)
