"""``python -m retinasim.cli.fidelity``: the fidelity comparison, printed as markdown.

The command line of :mod:`retinasim.authors.fidelity`: progress on stderr (bars on a
terminal, timestamped lines in a log), the tables on stdout.
"""

from __future__ import annotations

import argparse
from pathlib import Path


def main(argv: list[str] | None = None) -> None:
    """Measure (:func:`~retinasim.authors.fidelity.measure`), save, print the tables."""
    from retinasim.authors import fidelity
    from retinasim.cli.output import command_logging
    from retinasim.cli.progress import phase_progress
    from retinasim.util.cpu import tune_cpu_allocator
    from retinasim.util.netcdf import write_netcdf

    parser = argparse.ArgumentParser(description=(fidelity.__doc__ or "").split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1000, help="stimuli at alpha 2, per lesion")
    parser.add_argument("--n-curve", type=int, default=200, help="stimuli per alpha of a curve")
    parser.add_argument("--out", type=Path, help="save the comparison as netCDF")
    args = parser.parse_args(argv)
    tune_cpu_allocator()
    with command_logging(), phase_progress() as progress:
        result = fidelity.measure(args.n, args.n_curve, progress=progress)
    if args.out:
        write_netcdf(result, args.out)
    print(fidelity.markdown(result))


if __name__ == "__main__":
    main()
