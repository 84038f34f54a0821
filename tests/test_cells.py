"""The built-in ``spatiotemporal`` cell type: a causal temporal filter per type, bias, ReLU."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from retinasim.cells import nonnegative_parameters, spatiotemporal
from retinasim.cells.builtin import Spatiotemporal, SpatiotemporalParams
from retinasim.cells.spatiotemporal import CausalTemporalFilter, SpatiotemporalCell, causal_toeplitz
from retinasim.testing import check_cell_type


def naive_filter(module: CausalTemporalFilter, drive: torch.Tensor) -> torch.Tensor:
    """The filter as the authors wrote it: left zero padding, then a correlation over time."""
    batch, types, time, y, x = drive.shape
    series = drive.permute(0, 3, 4, 1, 2).reshape(-1, types, time)
    padded = F.pad(series, (module.kernel - 1, 0))
    taps = module.weight.flip(1)[:, None, :]  # correlation: tap k sits at kernel-1-k
    out = F.conv1d(padded, taps, module.bias, groups=types)
    return torch.relu(out).reshape(batch, y, x, types, time).permute(0, 3, 4, 1, 2)


def frames_major(tensor: torch.Tensor) -> torch.Tensor:
    """The same values stored as ``(batch, time, types, y, x)``, the circuit's layout."""
    return tensor.transpose(1, 2).contiguous().transpose(1, 2)


@pytest.mark.parametrize("layout", ["contiguous", "frames_major", "channel_slice"])
def test_filter_equals_causal_convolution_on_any_layout(layout: str) -> None:
    torch.manual_seed(0)
    module = CausalTemporalFilter(3, 4).double()
    drive = torch.randn(2, 3, 9, 5, 6, dtype=torch.float64)
    if layout == "frames_major":
        drive = frames_major(drive)
    elif layout == "channel_slice":
        drive = frames_major(torch.randn(2, 5, 9, 5, 6, dtype=torch.float64))[:, 1:4]
    torch.testing.assert_close(module(drive), naive_filter(module, drive))


def test_filter_output_is_stored_frames_major() -> None:
    module = CausalTemporalFilter(2, 3)
    out = module(torch.randn(2, 2, 7, 4, 4))
    assert out.transpose(1, 2).is_contiguous()


@pytest.mark.parametrize(
    ("frames", "kernel", "blocked"), [(6, 3, False), (40, 7, True), (9, 12, True)]
)
def test_filter_gradients_match_autograd_of_the_naive_filter(
    frames: int, kernel: int, blocked: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if blocked:  # split the band into row blocks even on a small map
        monkeypatch.setattr(spatiotemporal, "_BLOCKED_MIN_WIDTH", 1)
        monkeypatch.setattr(spatiotemporal, "_BLOCK_ROWS", 4)
    torch.manual_seed(1)
    module = CausalTemporalFilter(2, kernel).double()
    drive = frames_major(torch.randn(2, 2, frames, 3, 4, dtype=torch.float64)).requires_grad_()
    weights = torch.randn(2, 2, frames, 3, 4, dtype=torch.float64)
    fast = torch.autograd.grad((module(drive) * weights).sum(), [drive, *module.parameters()])
    slow = torch.autograd.grad(
        (naive_filter(module, drive) * weights).sum(), [drive, *module.parameters()]
    )
    for a, b in zip(fast, slow, strict=True):
        torch.testing.assert_close(a, b)


def test_filter_passes_gradcheck() -> None:
    torch.manual_seed(2)
    module = CausalTemporalFilter(2, 2).double()
    drive = torch.randn(1, 2, 4, 2, 2, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(module, (drive,))


def test_filter_is_causal() -> None:
    module = CausalTemporalFilter(1, 5)
    with torch.no_grad():
        module.weight.fill_(1.0)
        module.bias.zero_()
    drive = torch.zeros(1, 1, 10, 1, 1)
    drive[0, 0, 6] = 1.0
    out = module(drive)[0, 0, :, 0, 0]
    assert out[:6].eq(0).all() and out[6:].eq(1).all()


def test_row_blocks_cover_the_band_and_skip_zero_blocks() -> None:
    blocks = spatiotemporal._row_blocks(51, 31, width=2500)
    assert blocks == [(0, 17, 0), (17, 34, 0), (34, 51, 4)]
    assert spatiotemporal._row_blocks(51, 31, width=144) == [(0, 51, 0)]


def test_toeplitz_is_banded() -> None:
    weight = torch.arange(1.0, 4.0)[None]  # taps 1, 2, 3
    matrix = causal_toeplitz(weight, 5)[0]
    assert matrix[4].tolist() == [0.0, 0.0, 3.0, 2.0, 1.0]
    assert matrix.triu(1).eq(0).all()


def test_build_uses_the_temporal_kernel_param() -> None:
    module = Spatiotemporal.build(4, SpatiotemporalParams(temporal_kernel=7), frames=20)
    assert module.weight.shape == (4, 7) and module.bias.shape == (4,)


def test_nonnegative_parameters_are_the_filter_weights_not_the_bias() -> None:
    module = CausalTemporalFilter(3, 4)
    assert list(nonnegative_parameters(module)) == [module.weight]


def test_reset_parameters_is_reproducible_and_dtype_independent() -> None:
    torch.manual_seed(3)
    single = CausalTemporalFilter(3, 4)
    torch.manual_seed(3)
    double = CausalTemporalFilter(3, 4).double()
    torch.manual_seed(3)
    double.reset_parameters()
    torch.testing.assert_close(double.weight, single.weight.double())


def test_the_cell_type_keeps_the_plugin_contract() -> None:
    check_cell_type(
        Spatiotemporal,
        {"temporal_kernel": 3},
        bad_params=[{"temporal_kernel": 0}, {"temporal_kernel": 2.5}],
        package="retinasim",
    )
    assert isinstance(Spatiotemporal.build(2, SpatiotemporalParams(), frames=8), SpatiotemporalCell)
