"""The direction protocol's result as a labelled Dataset (every variable's long name and
units; :func:`retinasim.dissect.direction_protocol` documents the variables)."""

from __future__ import annotations

from typing import Any

import numpy as np
import xarray as xr

LABELS = {
    "dsi": ("direction selectivity index (pref - null) / (pref + null)", "1"),
    "vector_dsi": ("vector-sum direction selectivity index |sum R e^(i theta)| / sum R", "1"),
    "vector_dsi_p_value": (
        "permutation p-value of the vector DSI (directions shuffled within each speed x width)",
        "1",
    ),
    "preferred_direction_deg": (
        "preferred direction (vector sum; 0 rightward, 90 up, 180 leftward)",
        "degree",
    ),
    "preferred_speed": ("bar speed of the largest preferred-direction response", "pixels/frame"),
    "preferred_width": ("bar width of the largest preferred-direction response", "pixels"),
    "peak_response": (
        "preferred-direction evoked response at the preferred speed and width",
        "a.u. x frames",
    ),
    "rf_x": ("receptive-field centre, column (input gradient)", "pixels"),
    "rf_y": ("receptive-field centre, row (input gradient)", "pixels"),
    "rf_radius": ("receptive-field radius (input gradient)", "pixels"),
    "rf_found": (
        "the centre unit was active at the operating point (else its RF is its layer's median)",
        "1",
    ),
    "tuning": ("evoked response: sum over time of (activity - blank baseline)", "a.u. x frames"),
    "unit_dsi": ("DSI of each sampled unit (grid condition)", "1"),
    "unit_vector_dsi": ("vector DSI of each sampled unit (grid condition)", "1"),
    "unit_preferred_direction_deg": ("preferred direction of each sampled unit", "degree"),
    "unit_rf_x": ("receptive-field centre, column", "pixels"),
    "unit_rf_y": ("receptive-field centre, row", "pixels"),
    "unit_valid": ("unit measured (off the map border, receptive field inside the screen)", "1"),
    "unit_row": ("unit's row in its layer's map", "1"),
    "unit_column": ("unit's column in its layer's map", "1"),
    "median_unit_dsi": ("median DSI over the valid sampled units", "1"),
    "fraction_ds_units": ("fraction of valid sampled units with DSI >= {threshold}", "1"),
    "map_p_value": (
        "permutation p-value of the vector DSI across sampled units "
        "(directions shuffled within each unit)",
        "1",
    ),
}
"""Variable → long name (``{threshold}``: the protocol's ``ds_threshold``) and units, in the
Dataset's order."""

CENTRE = tuple(LABELS)[:6]
"""The centre unit's variables (``dsi`` to ``preferred_width``) that are NaN where the type
does not respond."""

DIMS = {
    1: ("cell_type",),
    2: ("cell_type", "unit"),
    4: ("cell_type", "speed", "width", "direction"),
}


def protocol_dataset(
    setup: Any, rf: Any, values: dict[str, np.ndarray], settings: dict[str, Any]
) -> xr.Dataset:
    """The Dataset of one protocol run: the protocol's ``values`` by variable name, the centre
    and sampled units' receptive fields ``rf`` (:class:`~retinasim.dissect.gradient_rf.
    GradientFields`) and positions (``setup``, :class:`~retinasim.dissect.direction.Setup`),
    labelled; ``settings`` become its attrs."""
    middle = setup.middle
    responsive = values["peak_response"] > 0
    values = {
        **values,
        **{name: np.where(responsive, values[name], np.nan) for name in CENTRE},
        "peak_response": np.maximum(values["peak_response"], 0.0),
        "rf_x": rf.x[:, middle],
        "rf_y": rf.y[:, middle],
        "rf_radius": rf.radius[:, middle],
        "rf_found": rf.found[:, middle],
        "unit_rf_x": rf.x,
        "unit_rf_y": rf.y,
        "unit_row": setup.positions[0],
        "unit_column": setup.positions[1],
    }
    threshold = settings["ds_threshold"]
    names, layer_of, type_index = setup.circuit.type_names, setup.layer_of, setup.type_index
    coords = {
        "cell_type": [str(names[layer][i]) for layer, i in zip(layer_of, type_index, strict=True)],
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
    result = xr.Dataset(
        {
            name: xr.DataArray(
                values[name],
                dims=DIMS[np.ndim(values[name])],
                attrs={"long_name": long.format(threshold=threshold), "units": unit},
            )
            for name, (long, unit) in LABELS.items()
        },
        coords=coords,
    )
    result.attrs = {
        "protocol": "single-unit bars centred on the receptive field (input gradient)",
        "centre_unit": int(middle),
        **settings,
    }
    return result
