"""One style for the paper figures, and saving each as PNG and SVG (atomically)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import matplotlib
from matplotlib.figure import Figure

from retinasim.util.files import atomic_path

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType

DIRECTION_COLOURS = {"left": "#1f77b4", "right": "#d62728"}
MODEL_COLOURS = {"full": "#222222", "ablated": "#ff7f0e"}
STYLE: dict[RcKeyType, Any] = {
    "figure.dpi": 100,
    "savefig.dpi": 150,
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "svg.fonttype": "none",
}


def new_figure(width: float = 4.5, height: float = 3.2, **subplots: Any) -> tuple[Figure, Any]:
    """A figure in the house style and its axes: what
    :meth:`~matplotlib.figure.Figure.subplots` returns for ``subplots``."""
    with matplotlib.rc_context(STYLE):
        figure = Figure(figsize=(width, height), layout="constrained")
        axes = figure.subplots(**subplots)
    return figure, axes


def save_figure(
    figure: Figure, folder: str | Path, name: str, formats: tuple[str, ...] = ("png", "svg")
) -> list[Path]:
    """Write ``name.png`` and ``name.svg`` (or the other ``formats``) into ``folder``."""
    paths = []
    with matplotlib.rc_context(STYLE):
        for suffix in formats:
            target = Path(folder) / f"{name}.{suffix}"
            with atomic_path(target) as temporary:
                figure.savefig(temporary, format=suffix)
            paths.append(target)
    return paths
