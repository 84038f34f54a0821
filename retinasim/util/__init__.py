"""Small helpers shared across retinasim (files, provenance)."""
