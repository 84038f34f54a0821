"""Packaging that ``pyproject.toml`` cannot express (everything else is there).

The shipped circuit files stay in the top-level ``circuits/`` folder, where a clone's users
find them (``retinasim validate circuits/murray2021.yaml``); the wheel carries them as the
package data of ``retinasim.circuits`` (``retinasim validate murray2021``). ``pyproject.toml``
can either find packages or list them, and a package mapped to a folder outside
``retinasim/`` is never found, so the packages are found here and that one is added. The
authors' trained weights and stored results (``retinasim/authors/data``, with their MIT
licence) are package data too (``retinasim import-authors murray2021``), and so are the jinja2
templates of the reports (``retinasim/report/templates``, ``retinasim/compare/templates``), and
the ``retinasim/py.typed`` marker (PEP 561), so that type checkers read retinasim's hints.
"""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["retinasim", "retinasim.*"]), "retinasim.circuits"],
    package_dir={"retinasim.circuits": "circuits"},
    package_data={
        "retinasim": ["py.typed"],  # PEP 561: the package's own type hints are for its users
        "retinasim.circuits": ["*.yaml"],
        "retinasim.authors": ["data/*"],  # the authors' weights and results, MIT (LICENSE)
        "retinasim.report": ["templates/*.j2"],  # report.html
        "retinasim.compare": ["templates/*.j2"],  # comparison.md
    },
)
