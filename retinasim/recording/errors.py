"""Errors of recordings and analyses a user can cause (bad probe, bad coordinate, bad file)."""

from __future__ import annotations

from retinasim.errors import RetinasimError


class RecordingError(RetinasimError):
    """A probe, a stimulus set or a recording file does not fit what was asked."""


class AnalysisError(RetinasimError):
    """An analysis was given data it cannot analyse (missing dimension, coordinate, ...)."""
