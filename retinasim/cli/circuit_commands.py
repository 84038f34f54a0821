"""Circuit commands: ``validate``, ``schema``, ``plugins``, ``info``, ``circuits`` and ``init``.

Every command that takes a circuit file also takes the name of a shipped circuit
(``retinasim validate murray2021``): :func:`retinasim.spec.load_circuit` resolves it.
"""

from __future__ import annotations

import json
import os
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from retinasim.errors import RetinasimError, SpecError
from retinasim.util.settings import MAX_COUNT


class SchemaFormat(str, Enum):
    """Output format of ``retinasim schema``."""

    json = "json"
    markdown = "markdown"


def validate(
    files: Annotated[
        list[Path], typer.Argument(help="Circuit YAML files (or shipped circuits' names).")
    ],
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only problems.")] = False,
) -> None:
    """Check circuit files; print every problem as ``file:line:col: field: message``.

    Exits 0 when every file is valid and 2 otherwise.
    """
    from retinasim.spec import load_circuit
    from retinasim.spec.graph import circuit_step_bytes
    from retinasim.util.resources import available_memory, human

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
            weights = circuit_step_bytes(spec, 0, backward=False)
            available = available_memory()
            beyond = (
                f", more than the {human(available)} this machine has"
                if available is not None and weights > available
                else ""
            )
            print(
                f"{file}: ok ({spec.name}: {len(spec.layers)} layers, "
                f"{len(spec.connections)} connections, {human(weights)} of weights{beyond})"
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
    """List every registered cell type and stimulus kind with the package and version that
    provides it (tasks: the kinds with labels, trainable with training.stimulus.kind)."""
    from retinasim.plugins import cell_types, plugin_problems, stimuli

    console = Console(width=160)
    table = Table("cell type", "package", "version", "plugin", "description", title="cell types")
    for name, entry in sorted(cell_types().items()):
        table.add_row(name, entry.package, entry.version, entry.plugin, entry.description)
    console.print(table)
    table = Table(
        *("stimulus", "task labels", "package", "version", "plugin", "description"),
        title="stimuli (a task has labels: training: {stimulus: {kind: ...}})",
    )
    for name, kind in stimuli().items():
        labels = ", ".join(kind.classes) if kind.is_task else "-"
        table.add_row(name, labels, kind.package, kind.version, kind.plugin, kind.description)
    console.print(table)
    for problem in plugin_problems():
        print(f"warning: {problem}", file=sys.stderr)


def info(
    file: Annotated[Path, typer.Argument(help="A circuit YAML file or a shipped circuit's name.")],
    forward: Annotated[
        int,
        typer.Option(
            "--forward",
            min=0,
            max=MAX_COUNT,
            help="Also run a timed forward pass on N moving-dots stimuli.",
        ),
    ] = 0,
    device: Annotated[str, typer.Option(help="Device of the forward pass: cpu or cuda.")] = "cpu",
) -> None:
    """Show a circuit's layers, their shapes and its parameter count."""
    from retinasim.compile import compile_circuit
    from retinasim.spec import load_circuit, spec_hash

    spec = load_circuit(file)
    circuit = compile_circuit(spec, seed=0)
    console = Console(width=160)
    console.print(f"[bold]{spec.name}[/bold]  (spec hash {spec_hash(spec)})")
    if spec.description:
        console.print(spec.description)
    table = Table(
        *("layer", "cell type", "types", "sign", "weights", "shape (types, t, y, x)", "parameters")
    )
    channels, frames, (height, width) = spec.input.channels, spec.input.frames, spec.input.size
    table.add_row(
        "input", "-", str(channels), "-", "-", str((channels, frames, height, width)), "-"
    )
    for layer in spec.layers:
        into = [c.key for c in circuit.plan.connections if c.target == layer.name]
        parts = [circuit.cells[layer.name], *(circuit.connections[key] for key in into)]
        table.add_row(
            layer.name,
            layer.cell_type,
            str(layer.n_types),
            layer.sign.value,
            layer.weights.value,
            str(circuit.layer_shapes[layer.name]),
            f"{sum(p.numel() for part in parts for p in part.parameters()):,}",
        )
    readout = sum(p.numel() for p in circuit.readout.parameters())
    table.add_row(
        "readout",
        "linear",
        str(len(spec.readout.classes)),
        "-",
        "free",
        f"{', '.join(spec.readout.classes)} at frame {spec.readout.frame}",
        f"{readout:,}",
    )
    console.print(table)
    total = sum(p.numel() for p in circuit.parameters() if p.requires_grad)
    console.print(f"trainable parameters: [bold]{total:,}[/bold]")
    for component in circuit.plan.recurrent:  # run frame by frame, the rest over whole videos
        inside = [
            f"{c.source} -> {c.target}" + (f" (delay {c.delay})" if c.delay else "")
            for c in circuit.plan.connections
            if c.source in component and c.target in component
        ]
        console.print(
            f"recurrent, run frame by frame: {', '.join(component)} ({'; '.join(inside)})"
        )
    if forward:
        _forward_pass(circuit, spec, forward, device, console)


def _forward_pass(circuit: Any, spec: Any, n: int, device: str, console: Console) -> None:
    """Run the (untrained) circuit on ``n`` stimuli of its task and summarise its activity."""
    import time

    import torch

    from retinasim.spec.graph import circuit_step_bytes
    from retinasim.task import task_generator
    from retinasim.util.resources import check_memory, stimulus_bytes

    if device not in ("cpu", "cuda") or (device == "cuda" and not torch.cuda.is_available()):
        raise typer.BadParameter(f"device {device!r} is not available (cpu or cuda)")
    task = task_generator(spec)  # the circuit's task (training.stimulus), the dots by default
    check_memory(
        circuit_step_bytes(spec, n, backward=False) + stimulus_bytes(task, n),
        f"a forward pass of {spec.name} on {n} stimuli",
        "use a smaller --forward",
    )
    circuit = circuit.to(device).eval()
    start = time.perf_counter()
    batch = task.generate(range(n), seed=0, device=device)
    generated = time.perf_counter()
    with torch.no_grad():
        output = circuit.run(batch.video)
    done = time.perf_counter()
    console.print(
        f"forward pass on {n} {task.kind.replace('_', '-')} stimuli ({device}): stimuli "
        f"{generated - start:.2f} s, circuit {done - generated:.2f} s"
    )
    table = Table("layer", "mean activity", "silent types")
    for name, activity in output.activity.items():
        per_type = activity.mean(dim=(0, 2, 3, 4))
        silent = int((activity.amax(dim=(0, 2, 3, 4)) == 0).sum())
        table.add_row(name, f"{float(per_type.mean()):.4g}", f"{silent} of {len(per_type)}")
    console.print(table)
    decisions = output.logits[:, -1].argmax(dim=1).cpu()
    assert batch.labels is not None  # a task's stimuli carry labels
    correct = int((decisions == batch.labels.cpu()).sum())
    console.print(f"decisions on the last frame: {correct}/{n} correct (untrained: chance)")


def circuits() -> None:
    """List the circuits that ship with retinasim: give a name wherever a circuit file goes."""
    from retinasim.spec import shipped_circuits

    shipped = shipped_circuits()
    if not shipped:
        raise RetinasimError("no shipped circuits are installed (a broken installation?)")
    table = Table(title="shipped circuits")
    table.add_column("name", no_wrap=True)
    table.add_column("description")
    for name, circuit in shipped.items():
        table.add_row(name, circuit.description)
    Console(width=160).print(table)
    print("copy one to edit it: retinasim init NAME [--out FILE]")


def init(
    name: Annotated[str, typer.Argument(help="A shipped circuit (see `retinasim circuits`).")],
    out: Annotated[
        str | None,
        typer.Option(
            "--out", "-o", help="File to write, or a folder (ending in /) for NAME.yaml there."
        ),
    ] = None,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace the file if it exists.")
    ] = False,
) -> None:
    """Copy a shipped circuit's YAML into the working directory, to edit into a variant."""
    from retinasim.spec import shipped_circuit
    from retinasim.util.files import atomic_write_text

    circuit = shipped_circuit(name)
    file_name = f"{circuit.name}.yaml"
    target = Path(file_name if out is None else out)
    if out is not None and (out.endswith(("/", os.sep)) or os.path.isdir(target)):
        target /= file_name  # like cp: into the folder (made if need be)
    if os.path.lexists(target) and not overwrite:  # (os.path: False for unusable paths)
        raise RetinasimError(f"{target}: exists; choose another --out or pass --overwrite")
    atomic_write_text(target, circuit.path.read_text(encoding="utf-8"))
    print(f"wrote {target} (a copy of {circuit.name}); edit it, then: retinasim validate {target}")


def register(app: typer.Typer) -> None:
    """Register the circuit commands on ``app``."""
    app.command()(validate)
    app.command()(schema)
    app.command()(plugins)
    app.command()(info)
    app.command()(circuits)
    app.command()(init)
