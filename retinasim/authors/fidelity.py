"""retinasim's analyses of the authors' own models held against the authors' stored numbers.

For each rendering of the moving dots (``authors``, ``antialiased``) this imports their models
and compares with ``load_results()`` the full model's psychometric curve at their 41 α, every
single-type lesion of it at α = 2, and the truncated model's curve. Their numbers come from
100 stimuli per point (a standard error of up to 0.05); ours from ``n`` stimuli at α = 2 and
per lesion and ``n_curve`` per point of a curve. Run it as ``python -m retinasim.cli.fidelity``;
it prints :func:`markdown` tables (quoted in ``docs/authors.md``).
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import xarray as xr

from retinasim.authors.importer import Rendering, import_authors
from retinasim.authors.results import ALPHAS, LESION_LAYERS, load_results
from retinasim.util.progress import Progress, as_task

if TYPE_CHECKING:
    from retinasim.circuit import Circuit

RENDERINGS: tuple[Rendering, ...] = ("authors", "antialiased")


def _imported(name: str, folder: Path, rendering: Rendering) -> Circuit:
    from retinasim.training import load_trained

    import_authors(name, folder / f"{name}-{rendering}", rendering=rendering)
    return load_trained(folder / f"{name}-{rendering}")


def measure(
    n: int = 1000,
    n_curve: int = 200,
    renderings: Sequence[Rendering] = RENDERINGS,
    progress: Progress | None = None,
) -> xr.Dataset:
    """The comparison as one Dataset (see the module docstring); ``progress`` is told the
    stimuli done of each curve and scan.

    Returns ``accuracy_alpha_2 (rendering)`` of the full model on ``n`` stimuli;
    ``psychometric (rendering, alpha)`` and ``stored_psychometric (alpha)`` of the full model;
    ``ablated_psychometric (rendering, alpha)`` and ``stored_ablated (alpha)`` of the truncated
    one; ``lesion_accuracy (rendering, layer, cell_type)`` and ``stored_lesion_accuracy
    (layer, cell_type)`` at α = 2; every value the fraction of answers naming the labelled
    ("fast") population; attrs ``n``, ``n_curve`` and ``seconds``.
    """
    from retinasim.dissect.lesions import add_lesion
    from retinasim.engine import Engine, moving_dots_set

    stored = load_results()
    started = time.perf_counter()
    curves, ablated, lesions, at_two = [], [], [], []
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        for rendering in renderings:
            circuit = _imported("murray2021", folder, rendering)
            curve = _curve(circuit, n_curve, progress, f"psychometric curve ({rendering})")
            curves.append(curve)
            test = moving_dots_set(circuit.spec, alphas=[2.0], n=n)
            sets = [None, *(add_lesion(None, lay, i) for lay in LESION_LAYERS for i in range(8))]
            task = as_task(progress, f"lesions at alpha = 2 ({rendering})")
            intact, *scan = Engine(circuit).run(test, sets, progress=task).accuracy()
            at_two.append(intact)
            lesions.append(np.reshape(scan, (len(LESION_LAYERS), 8)))
            circuit = _imported("murray2021-top", folder, rendering)
            curve = _curve(circuit, n_curve, progress, f"truncated model's curve ({rendering})")
            ablated.append(curve)
    full = stored["accuracy"].sel(model="full").values
    truncated = stored["accuracy"].sel(model="truncated").values
    return xr.Dataset(
        {
            "accuracy_alpha_2": ("rendering", np.array(at_two)),
            "psychometric": (("rendering", "alpha"), np.array(curves)),
            "stored_psychometric": ("alpha", full),
            "ablated_psychometric": (("rendering", "alpha"), np.array(ablated)),
            "stored_ablated": ("alpha", truncated),
            "lesion_accuracy": (("rendering", "layer", "cell_type"), np.array(lesions)),
            "stored_lesion_accuracy": (("layer", "cell_type"), stored["lesion_accuracy"].values),
        },
        coords={
            "rendering": list(renderings),
            "alpha": ALPHAS,
            "layer": list(LESION_LAYERS),
            "cell_type": np.arange(8),
        },
        attrs={"n": n, "n_curve": n_curve, "seconds": round(time.perf_counter() - started, 1)},
    )


def _curve(circuit: Circuit, n: int, progress: Progress | None, what: str) -> np.ndarray:
    """Accuracy of ``circuit`` at each of :data:`ALPHAS`, ``n`` stimuli a point."""
    from retinasim.engine import Engine, moving_dots_set

    stimuli = moving_dots_set(circuit.spec, alphas=list(ALPHAS), n=n)
    result = Engine(circuit).run(stimuli, progress=as_task(progress, what))
    correct, alpha = result.correct[0], result.trials["alpha"]
    return np.array([correct[np.isclose(alpha, a)].mean() for a in ALPHAS])


def markdown(result: xr.Dataset) -> str:
    """The comparison as markdown tables."""
    lines = [
        f"{result.attrs['n']} stimuli at α = 2 and per lesion, {result.attrs['n_curve']} per "
        f"point of the curves; {result.attrs['seconds']:.0f} s",
        "",
        "| rendering | full: α = 2 | full: mean / largest |diff| over 41 α | "
        "truncated: α = 2 / α = 4 (theirs 0.69 / 0.94) | truncated: mean / largest |diff| |",
        "|---|---|---|---|---|",
    ]
    for rendering in result["rendering"].values:
        row = result.sel(rendering=rendering)
        full = np.abs(row["psychometric"] - result["stored_psychometric"])
        cut = np.abs(row["ablated_psychometric"] - result["stored_ablated"])
        lines.append(
            f"| {rendering} | {float(row['accuracy_alpha_2']):.3f} | "
            f"{float(full.mean()):.3f} / {float(full.max()):.3f} "
            f"(α = {ALPHAS[int(np.argmax(full.values))]:.1f}) | "
            f"{float(row['ablated_psychometric'].sel(alpha=2.0)):.3f} / "
            f"{float(row['ablated_psychometric'].sel(alpha=4.0)):.3f} | "
            f"{float(cut.mean()):.3f} / {float(cut.max()):.3f} |"
        )
    lines += ["", "Single lesions at α = 2 (theirs | ours per rendering):", ""]
    header = " | ".join(f"{r}" for r in result["rendering"].values)
    lines += [f"| type | theirs | {header} |", "|---|---|" + "---|" * result.sizes["rendering"]]
    for layer in result["layer"].values:
        for index in result["cell_type"].values:
            theirs = float(result["stored_lesion_accuracy"].sel(layer=layer, cell_type=index))
            ours = result["lesion_accuracy"].sel(layer=layer, cell_type=index).values
            lines.append(
                f"| {layer} {index} | {theirs:.2f} | " + " | ".join(f"{v:.3f}" for v in ours) + " |"
            )
    return "\n".join(lines)
