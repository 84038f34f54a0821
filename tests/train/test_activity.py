"""Layer activity during training: logged per layer, and a silent readout layer is reported."""

from __future__ import annotations

import json
import logging
import math
from pathlib import Path

from trainhelpers import tiny_spec

from retinasim.compile import compile_circuit
from retinasim.task import task_generator
from retinasim.training import train
from retinasim.training.activity import ActivityMeter


def test_meter_counts_what_the_circuit_records_and_only_while_watching() -> None:
    spec = tiny_spec()
    circuit = compile_circuit(spec, seed=0)
    video = task_generator(spec).generate(range(4), seed=1).video
    meter = ActivityMeter(circuit)
    circuit(video)  # not watched: not counted
    with meter.watching():
        circuit(video)
        circuit(video)
    shares = meter.take(meter.totals())
    recorded = circuit.run(video).activity
    meter.close()
    for name in ("bipolar", "ganglion"):
        activity = recorded[name][:, :, -1]  # the decision frame (readout: last)
        assert abs(shares["active_fraction"][name] - float((activity > 0).double().mean())) < 1e-6
        assert abs(shares["mean_activity"][name] - float(activity.detach().double().mean())) < 1e-5
    assert meter.take(meter.totals())["active_fraction"] == {"bipolar": None, "ganglion": None}
    circuit(video)  # hooks removed by close(): nothing counted, nothing raised
    assert meter.totals() == [0.0] * 6


def test_every_history_row_has_each_layers_active_share(tmp_path: Path) -> None:
    spec = tiny_spec(steps=20, log_every=5, eval_every=10, checkpoint_every=10)
    train(spec, tmp_path / "run")
    history = json.loads((tmp_path / "run" / "history.json").read_text())
    for row in history:
        assert set(row["active_fraction"]) == set(row["mean_activity"]) == {"bipolar", "ganglion"}
        assert all(0.0 < share < 1.0 for share in row["active_fraction"].values())
        assert all(mean > 0.0 for mean in row["mean_activity"].values())
    # the normalised initialisation starts about half of every type's cells active
    assert 0.25 < history[0]["active_fraction"]["ganglion"] < 0.75


def test_a_silent_readout_layer_is_reported_once(tmp_path: Path, caplog) -> None:
    # an absolute learning rate of 0.1 kills the tiny circuit's ganglion layer (docs/training.md)
    spec = tiny_spec(steps=60, learning_rate=0.1, log_every=10, eval_every=30, validation_size=16)
    with caplog.at_level(logging.INFO, logger="retinasim"):
        train(spec, tmp_path / "run")
    history = json.loads((tmp_path / "run" / "history.json").read_text())
    silent = [row["step"] for row in history if row["active_fraction"]["ganglion"] == 0.0]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert silent and len(warnings) == 1
    first = silent[0]
    assert f"no ganglion cell was active in steps {first - 9}-{first}" in warnings[0]
    assert abs(history[-1]["loss"] - math.log(2)) < 0.01  # the decoder sees a constant


def test_stepped_layers_are_metered_like_the_others(tmp_path) -> None:
    """A layer of a recurrent component runs frame by frame (no ``forward``); its cell's
    forward hooks still see its whole activity, so training counts its active cells."""
    import json

    from trainhelpers import tiny_spec

    from retinasim.spec import CircuitSpec
    from retinasim.training import train

    spec = tiny_spec(steps=4, log_every=2, eval_every=0, checkpoint_every=4, validation_size=8)
    data = spec.model_dump(mode="json")
    lateral = {"source": "ganglion", "target": "ganglion", "kernel": 3, "padding": 1, "delay": 1}
    data["connections"].append(lateral)
    train(CircuitSpec.model_validate(data), tmp_path / "run")
    history = json.loads((tmp_path / "run" / "history.json").read_text())
    fractions = history[-1]["active_fraction"]
    assert set(fractions) == {"bipolar", "ganglion"}
    assert all(value is not None and 0 < value <= 1 for value in fractions.values())
