"""The direction protocol's result as a labelled Dataset (every variable's long name and
units; :func:`retinasim.dissect.direction_protocol` documents the variables)."""

from __future__ import annotations

from typing import Any

import numpy as np
import xarray as xr

ONE = ("cell_type",)
TWO = ("cell_type", "unit")


def protocol_dataset(
    setup: Any,
    rf: Any,
    valid: np.ndarray,
    tuning: np.ndarray,
    centre: dict[str, np.ndarray],
    units: dict[str, np.ndarray],
    settings: dict[str, Any],
) -> xr.Dataset:
    """The Dataset of one protocol run.

    Parameters
    ----------
    setup
        The run's :class:`~retinasim.dissect.direction.Setup`.
    rf
        The sampled units' :class:`~retinasim.dissect.gradient_rf.GradientFields`.
    valid
        ``(cell_type, unit)`` the units measured.
    tuning
        The centre units' evoked curves ``(cell_type, speed, width, direction)``.
    centre, units
        The centre units' summary at their preferred condition and the sampled units'.
    settings
        The protocol's settings (the Dataset's attrs).
    """
    middle = setup.middle
    data = {
        **_centre_variables(centre, centre["peak"] > 0),
        **_rf_variables(rf, middle),
        "tuning": (
            ("cell_type", "speed", "width", "direction"),
            tuning,
            "evoked response: sum over time of (activity - blank baseline)",
            "a.u. x frames",
        ),
        **_unit_variables(setup, rf, valid, units, settings["ds_threshold"]),
    }
    result = xr.Dataset(
        {
            name: xr.DataArray(values, dims=dims, attrs={"long_name": long, "units": unit})
            for name, (dims, values, long, unit) in data.items()
        },
        coords=_coords(setup),
    )
    result.attrs = {
        "protocol": "single-unit bars centred on the receptive field (input gradient)",
        "centre_unit": int(middle),
        **settings,
    }
    return result


def _centre_variables(centre: dict[str, np.ndarray], responsive: np.ndarray) -> dict:
    """Per cell type, at the preferred condition (NaN where not ``responsive``)."""

    def masked(values: np.ndarray) -> np.ndarray:
        return np.where(responsive, values, np.nan)

    return {
        "dsi": (
            ONE,
            masked(centre["dsi"]),
            "direction selectivity index (pref - null) / (pref + null)",
            "1",
        ),
        "vector_dsi": (
            ONE,
            masked(centre["vector_dsi"]),
            "vector-sum direction selectivity index |sum R e^(i theta)| / sum R",
            "1",
        ),
        "vector_dsi_p_value": (
            ONE,
            masked(centre["p_value"]),
            "permutation p-value of the vector DSI (directions shuffled within each speed x width)",
            "1",
        ),
        "preferred_direction_deg": (
            ONE,
            masked(centre["preferred"]),
            "preferred direction (vector sum; 0 rightward, 90 up, 180 leftward)",
            "degree",
        ),
        "preferred_speed": (
            ONE,
            masked(centre["speed"]),
            "bar speed of the largest preferred-direction response",
            "pixels/frame",
        ),
        "preferred_width": (
            ONE,
            masked(centre["width"]),
            "bar width of the largest preferred-direction response",
            "pixels",
        ),
        "peak_response": (
            ONE,
            np.maximum(centre["peak"], 0.0),
            "preferred-direction evoked response at the preferred speed and width",
            "a.u. x frames",
        ),
    }


def _rf_variables(rf: Any, middle: int) -> dict:
    """The centre unit's receptive field per cell type."""
    return {
        "rf_x": (ONE, rf.x[:, middle], "receptive-field centre, column (input gradient)", "pixels"),
        "rf_y": (ONE, rf.y[:, middle], "receptive-field centre, row (input gradient)", "pixels"),
        "rf_radius": (
            ONE,
            rf.radius[:, middle],
            "receptive-field radius (input gradient)",
            "pixels",
        ),
        "rf_found": (
            ONE,
            rf.found[:, middle],
            "the centre unit was active at the operating point (else its RF is its layer's median)",
            "1",
        ),
    }


def _unit_variables(setup: Any, rf: Any, valid: np.ndarray, units: dict, threshold: float) -> dict:
    """Per sampled unit, and their summary per cell type."""
    layer_of = setup.layer_of
    return {
        "unit_dsi": (TWO, units["dsi"], "DSI of each sampled unit (grid condition)", "1"),
        "unit_vector_dsi": (
            TWO,
            units["vector_dsi"],
            "vector DSI of each sampled unit (grid condition)",
            "1",
        ),
        "unit_preferred_direction_deg": (
            TWO,
            units["preferred"],
            "preferred direction of each sampled unit",
            "degree",
        ),
        "unit_rf_x": (TWO, rf.x, "receptive-field centre, column", "pixels"),
        "unit_rf_y": (TWO, rf.y, "receptive-field centre, row", "pixels"),
        "unit_valid": (
            TWO,
            valid,
            "unit measured (off the map border, receptive field inside the screen)",
            "1",
        ),
        "unit_row": (
            TWO,
            np.stack([setup.units[layer][0] for layer in layer_of]),
            "unit's row in its layer's map",
            "1",
        ),
        "unit_column": (
            TWO,
            np.stack([setup.units[layer][1] for layer in layer_of]),
            "unit's column in its layer's map",
            "1",
        ),
        "median_unit_dsi": (ONE, units["median"], "median DSI over the valid sampled units", "1"),
        "fraction_ds_units": (
            ONE,
            units["fraction"],
            f"fraction of valid sampled units with DSI >= {threshold}",
            "1",
        ),
        "map_p_value": (
            ONE,
            units["map_p_value"],
            "permutation p-value of the vector DSI across sampled units "
            "(directions shuffled within each unit)",
            "1",
        ),
    }


def _coords(setup: Any) -> dict:
    names = setup.circuit.type_names
    layer_of, type_index = setup.layer_of, setup.type_index
    return {
        "cell_type": (
            "cell_type",
            [str(names[layer][i]) for layer, i in zip(layer_of, type_index, strict=True)],
        ),
        "layer": ("cell_type", layer_of.astype(str)),
        "type_index": ("cell_type", type_index),
        "speed": ("speed", setup.speeds, {"long_name": "bar speed", "units": "pixels/frame"}),
        "width": ("width", setup.widths, {"long_name": "bar width", "units": "pixels"}),
        "direction": (
            "direction",
            setup.directions,
            {"long_name": "direction of motion", "units": "degree"},
        ),
        "unit": (
            "unit",
            np.arange(setup.n_units),
            {"long_name": "sampled unit (middle: the centre unit)"},
        ),
    }
