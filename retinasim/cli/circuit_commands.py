"""Placeholder replaced by the circuit commands (validate, schema, plugins, info)."""

import typer


def register(app: typer.Typer) -> None:
    """Register the circuit commands on ``app``."""
