"""Current probes ("voltage clamp in silico"): the drive each connection delivers to its target.

On the 3-layer ``tiny3`` circuit (input -> bipolar -> inhibitory amacrine -> ganglion, plus
the bipolar -> ganglion residual; the two bipolar connections share a geometry, so the pass
fuses them into one convolution), with an input transform so that the currents from the
input must see the stimulus as the circuit does.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
import xarray as xr
from helpers import TINY3, assert_currents_add_up, run_cli

from retinasim.compile import compile_circuit
from retinasim.recording import Probe, RecordingError, open_recording, parse_probe, record
from retinasim.recording.currents import record_current, source_entries
from retinasim.spec import load_circuit
from retinasim.stimuli import MovingBars

BARS = MovingBars(height=32, width=32, frames=8, speeds=(1.0,), widths=(4.0,))
TEXT = TINY3.read_text().replace(
    "  init: normalised\n", "  input_offset: 0.3\n  input_scale: 2.0\n"
)


def tiny3(dtype: torch.dtype = torch.float32):
    """``tiny3`` (seed 0) with its input transform, constraints projected, in eval mode."""
    circuit = compile_circuit(load_circuit("tiny3", text=TEXT), seed=0, dtype=dtype)
    circuit.project_constraints()
    return circuit.eval()


def test_the_currents_into_every_layer_add_up_to_its_drive() -> None:
    circuit = tiny3(torch.float64)
    assert circuit.plan.input_offset == 0.3 and circuit.plan.input_scale == 2.0
    batch = BARS.generate(range(4), seed=0, dtype=torch.float64)
    recording, output = assert_currents_add_up(circuit, batch)
    assert torch.equal(output.logits, circuit(batch.video))  # the pass is unchanged
    assert min(drive.abs().max().item() for drive in output.drives.values()) > 0.1
    for layer in circuit.layer_names:  # (trial, cell_type, frame, y, x), the drive's dims
        source = next(c.source for c in circuit.plan.connections if c.target == layer)
        dims = recording[layer].to_dataset()[f"{layer}_from_{source}"].dims
        assert dims == ("trial", "cell_type", "frame", "y", "x")


def test_by_source_parts_and_bias_add_up_to_the_current_and_inhibition_is_negative() -> None:
    circuit = tiny3()
    probes = [
        "amacrine->ganglion:full",
        "amacrine->ganglion:full/by_source",
        "bipolar->ganglion[1]:full/by_source",
        "bipolar->ganglion:full",
    ]
    ganglion = record(circuit, BARS, probes, n=4, batch_size=3)["ganglion"].to_dataset()
    whole = ganglion["ganglion_from_amacrine"]
    parts = ganglion["ganglion_from_amacrine_by_source"]
    assert parts.dims == ("trial", "cell_type", "source_type", "frame", "y", "x")
    # one source_type dimension for the group: both split probes' entries, NaN where absent
    names = ["bipolar_0", "bipolar_1", "bipolar_2", "bias_from_bipolar"]
    names += ["amacrine_0", "amacrine_1", "bias_from_amacrine"]
    assert list(ganglion["source_type"].values) == names
    assert list(ganglion["source_sign"].values) == [1, 1, 1, 1, -1, -1, 1]
    assert list(ganglion["source_type_index"].values) == [0, 1, 2, -1, 0, 1, -1]
    assert np.isnan(parts.sel(source_type="bipolar_0")).all()
    xr.testing.assert_allclose(parts.sum("source_type"), whole, atol=1e-6)
    split = ganglion["ganglion_from_bipolar_by_source"]
    assert np.isnan(split.sel(cell_type="ganglion_0")).all()
    xr.testing.assert_allclose(
        split.sum("source_type").sel(cell_type="ganglion_1"),
        ganglion["ganglion_from_bipolar"].sel(cell_type="ganglion_1"),
        atol=1e-6,
    )
    # amacrine is inhibitory, its activity rectified and ganglion's weights non-negative: each
    # amacrine type's part is <= 0, and < 0 where an amacrine cell is active
    inhibition = parts.sel(source_type=["amacrine_0", "amacrine_1"])
    assert float(inhibition.max()) <= 0.0 and float(inhibition.min()) < -1e-3
    bias = circuit.connection("amacrine->ganglion").bias.detach().numpy()
    constant = parts.sel(source_type="bias_from_amacrine") - xr.DataArray(bias, dims="cell_type")
    assert float(np.abs(constant).max()) == 0.0  # the bias everywhere, every frame
    assert whole.attrs["sign"] == -1 and whole.attrs["units"] == "a.u."
    assert whole.attrs["source"] == "amacrine" and whole.attrs["target"] == "ganglion"
    assert ganglion["ganglion_from_bipolar"].attrs["sign"] == 1


def test_a_silenced_source_type_delivers_nothing() -> None:
    circuit = tiny3()
    probes = ["amacrine->ganglion:centre/by_source", "amacrine->ganglion:mean"]
    intact = record(circuit, BARS, probes, n=3)["ganglion"].to_dataset()
    lesioned = record(circuit, BARS, probes, n=3, lesions={"amacrine": [0]})["ganglion"]
    lesioned = lesioned.to_dataset()
    parts = lesioned["ganglion_from_amacrine_by_source_centre"]
    before = intact["ganglion_from_amacrine_by_source_centre"]
    assert float(np.abs(before.sel(source_type="amacrine_0")).max()) > 1e-3
    assert (parts.sel(source_type="amacrine_0") == 0).all()
    assert list(lesioned["lesioned"].values) == [False, False]  # (ganglion's own types)
    xr.testing.assert_allclose(  # amacrine_1's part is untouched
        parts.sel(source_type="amacrine_1"), before.sel(source_type="amacrine_1")
    )
    # the whole current with the lesion: the intact one without amacrine_0's part
    probe = parse_probe("amacrine->ganglion:mean/by_source")
    with torch.no_grad():
        output = circuit.run(BARS.generate(range(3), seed=0).video, layers=["amacrine"])
        split = record_current(
            circuit,
            probe,
            output.activity["amacrine"],
            (0, 1),
            np.arange(8),
            source_entries(circuit, probe),
        ).numpy()  # (trial, cell_type, source_type: amacrine_0, amacrine_1, bias, frame)
    np.testing.assert_allclose(
        lesioned["ganglion_from_amacrine_mean"].values, split[:, :, 1:].sum(axis=2), atol=1e-6
    )


@pytest.mark.parametrize(
    ("probe", "message"),
    [
        ("retina->ganglion:centre", "unknown source layer 'retina'"),
        ("input->ganglion:centre", "the circuit has no connection input->ganglion"),
        ("amacrine->bipolar", "connections into bipolar: input->bipolar"),
        ("ganglion:centre/by_source", "by_source splits the drive of a connection"),
        ("amacrine->ganglion:centre/by_type", "unknown flag /by_type"),
        ("amacrine->readout", "the decoder is not a layer with connections"),
        ("amacrine->ganglion[7]:centre", "ganglion has types 0..1, not 7"),
    ],
)
def test_bad_current_probes_are_one_clear_error(probe: str, message: str) -> None:
    circuit = tiny3()
    with pytest.raises(RecordingError, match=r"\A[^\n]*\Z") as raised:
        record(circuit, BARS, [probe], n=1)
    assert message in str(raised.value)


def test_by_source_in_code_needs_a_connection() -> None:
    with pytest.raises(RecordingError, match="by_source splits the drive of a connection"):
        Probe("ganglion", by_source=True)
    assert Probe("ganglion", source="amacrine", by_source=True).variable == (
        "ganglion_from_amacrine_by_source_centre"
    )


def test_the_cli_records_current_probes_to_netcdf_and_nwb(tmp_path: Path) -> None:
    pytest.importorskip("pynwb")
    circuit = tmp_path / "tiny3.yaml"
    circuit.write_text(TEXT)
    common = ["record", circuit, "--stimulus", "moving_bars", "--set", "speeds=1"]
    common += ["--n", "3", "--probe", "amacrine->ganglion:centre/by_source"]
    common += ["--probe", "bipolar->ganglion:centre", "--probe", "ganglion:centre"]
    done = run_cli(*common, "--out", tmp_path / "rec.nc")
    assert done.returncode == 0, done.stderr
    assert "ganglion_from_amacrine_by_source_centre, ganglion_from_bipolar_centre" in done.stdout
    saved = open_recording(tmp_path / "rec.nc", chunks=None)
    current = saved["ganglion"]["ganglion_from_amacrine_by_source_centre"]
    assert current.sizes == {"trial": 3, "cell_type": 2, "source_type": 3, "frame": 8}
    assert current.attrs["connection"] == "amacrine->ganglion" and current.attrs["sign"] == -1
    done = run_cli(*common, "--out", tmp_path / "rec.nwb")
    assert done.returncode == 0, done.stderr
    from pynwb import NWBHDF5IO

    with NWBHDF5IO(str(tmp_path / "rec.nwb"), "r") as io:
        acquisition = io.read().acquisition
        series = acquisition["ganglion_from_amacrine_by_source_centre_ganglion_1_amacrine_0"]
        comments = json.loads(series.comments)
        assert series.unit == "a.u." and series.data.shape == (3 * 8,)
        assert "drive from amacrine to ganglion" in series.description
        assert comments["connection"] == "amacrine->ganglion"
        assert comments["source_sign"] == -1 and comments["quantity"] == "current"
        np.testing.assert_allclose(
            series.data[:],
            current.sel(cell_type="ganglion_1", source_type="amacrine_0").values.ravel(),
        )
        assert "ganglion_from_bipolar_centre_ganglion_0" in acquisition
