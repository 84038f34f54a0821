"""A tiny trained run folder (4 steps, evaluated, with a small analysis/) shared by the
run-folder tests, copied afresh for each test that damages it."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from helpers import one_thread  # noqa: F401  (autouse fixture)
from trainhelpers import tiny_spec

SMALL = dict(
    steps=4, batch_size=4, log_every=1, eval_every=2, checkpoint_every=2, validation_size=4
)


@pytest.fixture(scope="session")
def trained_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import torch

    from retinasim.training import evaluate_run, train

    torch.set_num_threads(1)
    run = tmp_path_factory.mktemp("template") / "run"
    train(tiny_spec(**SMALL), run)
    evaluate_run(run, alphas=[2.0], n=4, batch_size=4)
    analysis = run / "analysis"
    analysis.mkdir()
    alphas = [0.0, 1.0, 2.0]
    curve = xr.Dataset({"accuracy": ("alpha", np.array([0.5, 0.5, 0.9]))}, {"alpha": alphas})
    curve.to_netcdf(analysis / "psychometric.nc", engine="h5netcdf")
    (analysis / "config.json").write_text('{"n_stimuli": 24, "alpha_step": 1.0}\n')
    (analysis / "summary.json").write_text('{"intact_accuracy": 0.9, "sentences": ["ok."]}\n')
    (analysis / "critical.json").write_text('{"threshold": 0.95, "critical": [["ganglion", 0]]}\n')
    return run


@pytest.fixture
def trained(trained_template: Path, tmp_path: Path) -> Path:
    """A fresh copy of the tiny trained run."""
    copy = tmp_path / "run"
    shutil.copytree(trained_template, copy)
    return copy
