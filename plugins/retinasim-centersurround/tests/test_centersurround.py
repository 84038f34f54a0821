"""The centersurround plugin: the DoG and its params; the cell-type contract (retinasim.testing)."""

from __future__ import annotations

import pytest
import torch
from retinasim_centersurround import CenterSurround, CenterSurroundParams
from retinasim_centersurround.cell import difference_of_gaussians

from retinasim.testing import check_cell_type, check_torch_free

BAD_PARAMS = [
    ({"kernel_size": 4}, "kernel_size must be odd"),
    ({"center_sigma": 2.0, "surround_sigma": 1.0}, "must be larger than center_sigma"),
    ({"center_sigma": 0.0}, "greater than 0"),
]


@pytest.mark.parametrize(
    "params",
    [
        {"kernel_size": 5, "temporal_kernel": 3},
        {"learn_receptive_field": False, "surround_strength": 0.0, "temporal_kernel": 1},
    ],
)
def test_the_cell_type_keeps_the_contract(params: dict) -> None:
    check_cell_type(
        CenterSurround,
        params,
        bad_params=[bad for bad, _ in BAD_PARAMS],
        package="retinasim-centersurround",
    )


def test_the_entry_point_module_is_torch_free() -> None:
    check_torch_free("retinasim_centersurround")


def test_dog_has_an_excitatory_centre_and_inhibitory_surround() -> None:
    ones = torch.ones(1)
    kernel = difference_of_gaussians(ones, 3 * ones, ones, 0.5 * ones, 11)[0, 0]
    assert kernel.shape == (11, 11)
    assert kernel[5, 5] > 0 and kernel[0, 5] < 0
    assert kernel.sum().item() == pytest.approx(0.5, abs=1e-5)  # 1 - 0.5 (unit-sum Gaussians)


@pytest.mark.parametrize(("params", "message"), BAD_PARAMS)
def test_invalid_params_are_rejected_with_the_rule(params: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        CenterSurroundParams(**params)
