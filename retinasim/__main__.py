"""``python -m retinasim`` runs the command line."""

import sys

from retinasim.cli import main

sys.exit(main())
