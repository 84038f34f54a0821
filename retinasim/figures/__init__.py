"""The paper's figures 3–6 (PNG and SVG, one style): :func:`make_figures` draws all of a run
folder's; :mod:`retinasim.figures.paper` has one function per panel."""

from retinasim.figures.build import make_figures

__all__ = ["make_figures"]
