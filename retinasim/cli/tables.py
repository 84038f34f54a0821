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


def frame_of(dataset: xr.Dataset, columns: list[str], labels: Mapping[str, str]) -> pd.DataFrame:
    """One row per ``cell_type`` of ``dataset`` (with its ``layer``); the ``columns`` as
    floats, after the ``labels`` (name → values along ``cell_type``) in front."""
    data: dict[str, object] = {
        name: [str(v) for v in dataset[coord].values] for name, coord in labels.items()
    }
    data.update({column: dataset[column].values.astype(float) for column in columns})
    return pd.DataFrame(data)


def show_and_save(frame: pd.DataFrame, path: Path, headers: Mapping[str, str]) -> None:
    """Print ``frame`` (columns renamed to ``headers``, 2 decimals) and write it to ``path``
    as CSV (all columns, 6 significant digits)."""
    shown = frame.rename(columns=dict(headers))
    print(shown.to_string(index=False, float_format=lambda v: f"{v:.2f}", na_rep="nan"))
    atomic_write_text(path, frame.to_csv(index=False, float_format="%.6g"))
