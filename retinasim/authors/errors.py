"""Errors of importing the authors' models, each a :class:`~retinasim.errors.RetinasimError`
(the command line prints one line and exits with code 2)."""

from __future__ import annotations

from retinasim.errors import RetinasimError


class AuthorsError(RetinasimError):
    """A file is not one of the authors' ``state_dict``s, or a model name is unknown."""
