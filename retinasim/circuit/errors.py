"""Errors raised by a compiled circuit."""

from __future__ import annotations

from retinasim.errors import RetinasimError


class CircuitError(RetinasimError):
    """A compiled circuit was used wrongly: an unknown layer or cell type, a lesion out of
    range, or a stimulus whose shape or dtype does not fit the circuit."""
