"""The authors' trained models and stored results (Murray, Wang & Lynch 2021; MIT licence).

- :func:`import_authors`: one of their ``state_dict``s (shipped ones by name, see
  :data:`MODELS`) as an ordinary retinasim run folder; the weight mapping is exact
  (:mod:`retinasim.authors.weights`).
- :func:`load_results`: their stored psychometric curves and lesion accuracies as xarray.

The files live in ``retinasim/authors/data/`` with the authors' ``LICENSE``; see
``docs/authors.md``.
"""

from __future__ import annotations

from retinasim.authors.errors import AuthorsError
from retinasim.authors.importer import MODELS, authors_spec, data_file, import_authors
from retinasim.authors.results import ALPHAS, load_results
from retinasim.authors.weights import check_state_dict, circuit_state, read_state_dict

__all__ = [
    "ALPHAS",
    "MODELS",
    "AuthorsError",
    "authors_spec",
    "check_state_dict",
    "circuit_state",
    "data_file",
    "import_authors",
    "load_results",
    "read_state_dict",
]
