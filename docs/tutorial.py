# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# ruff: noqa: E402  (a notebook imports in the cell that first needs a name)

# %% [markdown]
# # Tutorial: from a shipped circuit to an NWB file
#
# This script is a notebook in jupytext's percent format (`jupytext --to notebook
# docs/tutorial.py` makes an `.ipynb`; or run it as it is, `python docs/tutorial.py`). It
# writes everything into the current folder and runs in well under a minute on a laptop CPU:
#
# 1. copy a shipped circuit and edit it into a small variant,
# 2. train the variant for a few hundred steps,
# 3. record its responses to moving bars (one group per layer, an `xarray.DataTree`),
# 4. compute direction tuning with xarray,
# 5. draw a polar plot,
# 6. export the recording to Neurodata Without Borders (NWB).

# %%
import shutil
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display needed
import torch
import yaml

from retinasim.spec import load_circuit, shipped_circuits

torch.manual_seed(0)

# %% [markdown]
# ## 1. Copy a circuit and edit it
#
# `retinasim circuits` lists the shipped circuits and `retinasim init murray2021` copies one
# here; from Python the same files are in `shipped_circuits()`. The reference circuit sees
# 255 × 255 × 51 videos; our variant sees 32 × 32 × 8 ones with fewer, shorter filters and a
# short training section, so that it trains in seconds.

# %%
shipped = shipped_circuits()  # name -> ShippedCircuit (name, path, description)
print("shipped circuits:", ", ".join(shipped))
shutil.copy(shipped["murray2021"].path, "my_retina.yaml")

circuit_file = yaml.safe_load(Path("my_retina.yaml").read_text())
circuit_file["name"] = "my_retina"
circuit_file["description"] = "A small variant of murray2021 for the tutorial."
circuit_file["input"].update(size=[32, 32], frames=8)
for layer, n_types in zip(circuit_file["layers"], (3, 2, 2), strict=True):
    layer["n_types"] = n_types
    layer["params"] = {"temporal_kernel": 3}
circuit_file["connections"] = [
    {"source": "input", "target": "bipolar", "kernel": 4, "stride": 2},  # 32 -> 15
    {"source": "bipolar", "target": "amacrine", "kernel": 3},  # 15 -> 13
    {"source": "amacrine", "target": "ganglion", "kernel": 3, "padding": 1},  # 13 -> 13
    {"source": "bipolar", "target": "ganglion", "kernel": 3},  # the residual
]
circuit_file["training"].update(
    steps=300,
    warmup_steps=10,
    validation_size=64,
    eval_every=300,
    log_every=100,
    checkpoint_every=300,
    stimulus={"alpha": 3.0, "dot_radius": 2.0, "mean_dots_in_view": 6.0, "s_range": [0.3, 0.6]},
)
Path("my_retina.yaml").write_text(yaml.safe_dump(circuit_file, sort_keys=False))

spec = load_circuit("my_retina.yaml")  # validated: a mistake names its line and field
print(spec.name, [(layer.name, layer.n_types) for layer in spec.layers])

# %% [markdown]
# ## 2. Train the variant
#
# `train` writes a run folder (checkpoints, metrics, provenance) that every command takes,
# and returns the trained circuit (with its spec), the metrics and the history in memory;
# `retinasim.load_trained(folder)` gives the circuit back later. On the command line:
# `retinasim train my_retina.yaml --out runs/my_retina`.

# %%
from retinasim import train

trained = train(spec, "runs/my_retina", overwrite=True)
circuit, metrics = trained.circuit, trained.metrics
print({key: metrics[key] for key in ("status", "step") if key in metrics})

# %% [markdown]
# ## 3. Record moving bars
#
# Bars in 8 directions (0° = rightward, counter-clockwise), 2 pixels wide, at 2 pixels per
# frame. Probes pick what to keep: the centre unit of every layer. The recording is an
# `xarray.DataTree` with one group per layer, each with its own `cell_type`, `frame` (with
# `time` in seconds along it) and the stimulus parameters along `trial`; saved as netCDF groups
# and reopened lazily.

# %%
from retinasim.recording import open_recording, record, save_recording
from retinasim.stimuli import MovingBars

bars = MovingBars(height=32, width=32, frames=8, speeds=(2.0,), widths=(2.0,))
probes = [f"{layer}:centre" for layer in circuit.layer_names]
recording = record(circuit, bars, probes, n=bars.n_conditions)
print(recording)
save_recording(recording, "bars.nc")
recording = open_recording("bars.nc")  # lazy (dask) from here on

# One layer as a flat xarray.Dataset, the form most analysis code takes:
ganglion = recording["ganglion"].to_dataset()
print(ganglion.ganglion_centre.dims, ganglion.cell_type.values.tolist())

# %% [markdown]
# ## 4. Direction tuning with xarray
#
# `direction_tuning` averages each cell type's response per direction and computes the
# direction selectivity index (DSI), the vector-sum DSI and their permutation p-values.
# Plain xarray works on the result: select, reduce, convert to pandas.

# %%
from retinasim.analysis import direction_tuning

tuning = {
    layer: direction_tuning(recording[layer][f"{layer}_centre"], n_permutations=200)
    for layer in circuit.layer_names
}
columns = ["dsi", "vector_dsi", "preferred_direction_deg", "vector_dsi_p_value"]
table = tuning["ganglion"][columns].reset_coords(drop=True).to_pandas()
print(table.round(3))
print("mean response per direction:")
print(tuning["ganglion"].tuning.mean("cell_type").to_pandas().round(4))

# %% [markdown]
# ## 5. A polar plot

# %%
from retinasim.plots import plot_polar_tuning

figure = plot_polar_tuning(tuning["ganglion"])
figure.savefig("ganglion_tuning.png", bbox_inches="tight")
print("wrote ganglion_tuning.png")

# %% [markdown]
# ## 6. Export to NWB
#
# `to_nwb` writes a Neurodata Without Borders file: a trials table with every stimulus
# parameter, one `TimeSeries` per cell type (rates at the frame rate), the circuit spec and
# provenance in the file's metadata, and here Poisson spike trains drawn from the rates in
# the Units table, so spike-based tools (pynapple, elephant) read model cells like recorded
# ones. (Command line: `retinasim record ... --out bars.nwb --spikes`.)

# %%
import pynwb

from retinasim.recording import to_nwb

to_nwb(recording, "bars.nwb", spikes=True, seed=0, spike_rate_hz=50.0)
print("validation errors:", pynwb.validate(path="bars.nwb"))
with pynwb.NWBHDF5IO("bars.nwb", "r") as io:
    nwb = io.read()
    print(nwb.trials.to_dataframe()[["start_time", "stop_time", "direction_deg"]].head())
    print("series:", ", ".join(nwb.acquisition))
    print("units:", len(nwb.units), "spikes:", sum(len(s) for s in nwb.units["spike_times"][:]))
