"""Circuit commands: ``validate``, ``schema``, ``plugins`` and ``info``."""

from __future__ import annotations

import json
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from retinasim.errors import SpecError


class SchemaFormat(str, Enum):
    """Output format of ``retinasim schema``."""

    json = "json"
    markdown = "markdown"


def validate(
    files: Annotated[list[Path], typer.Argument(help="Circuit YAML files to check.")],
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only problems.")] = False,
) -> None:
    """Check circuit files; print every problem as ``file:line:col: field: message``.

    Exits 0 when every file is valid and 2 otherwise.
    """
    from retinasim.spec import load_circuit

    failed = False
    for file in files:
        try:
            spec = load_circuit(file)
        except SpecError as error:
            failed = True
            for issue in error.issues:
                print(issue, file=sys.stderr)
            continue
        if not quiet:
            print(
                f"{file}: ok ({spec.name}: {len(spec.layers)} layers, "
                f"{len(spec.connections)} connections)"
            )
    if failed:
        raise typer.Exit(2)


def schema(
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write to this file instead of stdout.")
    ] = None,
    format: Annotated[
        SchemaFormat, typer.Option("--format", help="json: JSON Schema; markdown: reference.")
    ] = SchemaFormat.json,
) -> None:
    """Print the JSON Schema of circuit files (for editors' YAML language servers)."""
    from retinasim.util.files import atomic_write_text

    if format is SchemaFormat.markdown:
        from retinasim.spec.reference import render_reference

        text = render_reference()
    else:
        from retinasim.spec.schema import circuit_json_schema

        text = json.dumps(circuit_json_schema(), indent=2) + "\n"
    if out is None:
        sys.stdout.write(text)
    else:
        atomic_write_text(out, text)
        print(f"wrote {out}")


def plugins() -> None:
    """List every registered cell type with the package and version that provides it."""
    from retinasim.plugins import cell_types, plugin_problems

    table = Table(title="cell types")
    for column in ("cell type", "package", "version", "plugin", "description"):
        table.add_column(column)
    for name, entry in sorted(cell_types().items()):
        table.add_row(name, entry.package, entry.version, entry.plugin, entry.description)
    Console(width=160).print(table)
    for problem in plugin_problems():
        print(f"warning: {problem}", file=sys.stderr)


def info(file: Annotated[Path, typer.Argument(help="A circuit YAML file.")]) -> None:
    """Show a circuit's layers, their shapes and its parameter count."""
    from retinasim.compile import compile_circuit
    from retinasim.spec import load_circuit, spec_hash

    spec = load_circuit(file)
    circuit = compile_circuit(spec, seed=0)
    console = Console(width=160)
    console.print(f"[bold]{spec.name}[/bold]  (spec hash {spec_hash(spec)})")
    if spec.description:
        console.print(spec.description)
    frames, (height, width) = spec.input.frames, spec.input.size
    table = Table()
    for column in (
        "layer",
        "cell type",
        "types",
        "sign",
        "weights",
        "shape (types, t, y, x)",
        "parameters",
    ):
        table.add_column(column)
    table.add_row(
        "input",
        "-",
        str(spec.input.channels),
        "-",
        "-",
        f"({spec.input.channels}, {frames}, {height}, {width})",
        "-",
    )
    for layer in spec.layers:
        table.add_row(
            layer.name,
            layer.cell_type,
            str(layer.n_types),
            layer.sign.value,
            layer.weights.value,
            str(circuit.layer_shapes[layer.name]),
            str(circuit.parameter_count(layer.name)),
        )
    table.add_row(
        "readout",
        "linear",
        str(len(spec.readout.classes)),
        "-",
        "free",
        f"classes {', '.join(spec.readout.classes)} at frame {spec.readout.frame}",
        str(circuit.parameter_count("readout")),
    )
    console.print(table)
    total = sum(p.numel() for p in circuit.parameters() if p.requires_grad)
    console.print(f"trainable parameters: [bold]{total:,}[/bold]")


def register(app: typer.Typer) -> None:
    """Register the circuit commands on ``app``."""
    app.command()(validate)
    app.command()(schema)
    app.command()(plugins)
    app.command()(info)
