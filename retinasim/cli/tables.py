"""A command's result table, printed and saved from one pandas frame.

The CSV holds every value (6 significant digits); the printed table shows the columns a
reader scans, under short headers, through pandas' own fixed-width layout.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd
import xarray as xr

from retinasim.util.files import atomic_write_text


def show_and_save(
    dataset: xr.Dataset,
    path: Path,
    headers: Mapping[str, str],
    labels: tuple[str, ...] = ("cell_type", "layer"),
) -> None:
    """Print a table of ``dataset``'s variables ``headers`` (name → printed header; floats,
    2 decimals) and write it to ``path`` as CSV (6 significant digits): one row per
    ``cell_type`` (and per ``run`` when it is a dimension), the ``labels`` (coordinates)
    in front."""
    rows = dataset.stack(row=[dim for dim in ("run", "cell_type") if dim in dataset.dims])
    frame = pd.DataFrame(
        {
            **{label: [str(v) for v in rows[label].values] for label in labels},
            **{column: rows[column].values.astype(float) for column in headers},
        }
    )
    shown = frame.rename(columns={"cell_type": "cell type", **headers})
    print(shown.to_string(index=False, float_format=lambda v: f"{v:.2f}", na_rep="nan"))
    atomic_write_text(path, frame.to_csv(index=False, float_format="%.6g"))
