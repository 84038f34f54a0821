"""Errors of the dissection analyses (bad sizes, unknown types, unusable models)."""

from __future__ import annotations

from retinasim.errors import RetinasimError


class DissectionError(RetinasimError):
    """A dissection analysis cannot run with these arguments."""
