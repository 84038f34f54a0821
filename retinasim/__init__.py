"""retinasim: build, train and dissect biologically constrained models of retinal circuits."""

from __future__ import annotations

__version__ = "0.1.0"
