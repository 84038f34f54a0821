"""retinasim.testing: the contract checks pass on sound plugins and fail, saying what broke,
on plugins that break one rule each (registered at run time)."""

from __future__ import annotations

import types
from typing import Any, ClassVar

import numpy as np
import pytest
import torch
from pydantic import Field
from torch import nn

from retinasim import plugins
from retinasim.plugins import CellParams, CellType, StimulusParams, cell_types_hook, stimuli_hook
from retinasim.stimuli import StimulusGenerator, rng
from retinasim.testing import (
    check_cell_type,
    check_stimulus_kind,
    check_task,
    check_torch_free,
    small_circuit,
)

# -- cell types -----------------------------------------------------------------------------


class GainParams(CellParams):
    offset: float = Field(0.0, ge=-1, le=1)
    """Added to the drive before the gain, a.u."""


class GainModule(nn.Module):
    """activity = relu(weight[type] * drive + bias[type] + offset): sound."""

    def __init__(self, n_types: int, params: GainParams) -> None:
        super().__init__()
        self.offset = params.offset
        self.weight = nn.Parameter(torch.empty(n_types))
        self.bias = nn.Parameter(torch.empty(n_types))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        with torch.no_grad():
            self.weight.uniform_(0.5, 1.5)
            self.bias.uniform_(-0.1, 0.1)

    def gain(self, drive: torch.Tensor) -> torch.Tensor:
        shape = (1, -1, 1, 1, 1)
        return drive * self.weight.view(shape) + self.bias.view(shape) + self.offset

    def forward(self, drive: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.gain(drive))


class Anticipating(GainModule):
    def forward(self, drive: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.gain(drive.roll(-1, dims=2)))  # frame t sees frame t + 1


class Squashing(GainModule):
    def forward(self, drive: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.gain(drive)).mean(2)


class Viewing(GainModule):
    def forward(self, drive: torch.Tensor) -> torch.Tensor:
        flat = drive.view(drive.shape[0], drive.shape[1], -1)  # fails on a frames-major drive
        return torch.relu(self.gain(flat.view(drive.shape)))


class BatchNormalising(GainModule):
    def forward(self, drive: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.gain(drive - drive.mean(0, keepdim=True)))


class SinglePrecision(GainModule):
    def forward(self, drive: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.gain(drive)).float()


class Unused(GainModule):
    def __init__(self, n_types: int, params: GainParams) -> None:
        super().__init__(n_types, params)
        self.unused = nn.Parameter(torch.zeros(n_types))


class NumpyDrawn(GainModule):
    def reset_parameters(self) -> None:
        with torch.no_grad():
            self.weight.copy_(
                torch.from_numpy(np.random.default_rng().uniform(0.5, 1.5, self.weight.shape))
            )


def cell_type(module: type[nn.Module], name: str, params: type = GainParams) -> type[CellType]:
    """A cell type ``name`` building ``module`` (through ``build``, as a plugin may)."""

    def build(cls, n_types: int, values: GainParams, *, frames: int) -> nn.Module:
        return module(n_types, values)

    attributes = {"name": name, "description": f"{module.__doc__ or name}", "Params": params}
    return type(name.title(), (CellType,), {**attributes, "build": classmethod(build)})


class Gain(CellType):
    """A sound cell type built by the default build() from `module`."""

    name = "kit_gain"
    Params = GainParams
    module = f"{__name__}:GainModule"


def register_plugin(name: str, **hooks: Any) -> None:
    """Register a module ``name`` with ``hooks``, from package ``name`` (dashed) 1.0."""
    plugin = types.ModuleType(name)
    vars(plugin).update(hooks)
    plugins.register(plugin, name, package=name.replace("_", "-"), version="1.0")


def register_cells(*classes: type[CellType]) -> None:
    register_plugin("kit_cells", retinasim_cell_types=cell_types_hook(*classes))


def test_a_sound_cell_type_passes_through_the_default_build() -> None:
    register_cells(Gain)
    check_cell_type(Gain, {"offset": 0.1}, bad_params=[{"offset": 2.0}])
    check_cell_type("kit_gain")  # by name, with the defaults
    assert "kit_gain" in small_circuit(cell_type="kit_gain").layer("cells").cell_type


class UndocumentedParams(CellParams):
    offset: float = 0.0


@pytest.mark.parametrize(
    ("module", "params", "message"),
    [
        (Anticipating, GainParams, "not causal: changing the drive from frame 4 of 8"),
        (Squashing, GainParams, r"to \(2, 3, 5, 6\); expected the same shape"),
        (Viewing, GainParams, "forward of a frames-major drive .* failed"),
        (BatchNormalising, GainParams, "depends on the other trials"),
        (SinglePrecision, GainParams, "float64 drive on cpu to torch.float32"),
        (Unused, GainParams, r"trainable parameters \['unused'\]"),
        (NumpyDrawn, GainParams, "draws other parameters after the same torch.manual_seed"),
        (GainModule, UndocumentedParams, r"UndocumentedParams documents no \['offset'\]"),
    ],
)
def test_a_broken_cell_type_fails_with_what_broke(module, params, message: str) -> None:
    broken = cell_type(module, "kit_broken", params)
    register_cells(broken)
    with pytest.raises(AssertionError, match=message):
        check_cell_type(broken)


def test_registration_is_checked() -> None:
    register_cells(Gain)
    with pytest.raises(AssertionError, match="'kit_gain' comes from 'kit-cells', not 'retinasim'"):
        check_cell_type(Gain, package="retinasim")
    with pytest.raises(
        AssertionError, match=r"'kit_lost' is not registered .*plugins\.register\(module\)"
    ):
        check_cell_type(cell_type(GainModule, "kit_lost"))
    with pytest.raises(AssertionError, match="accepts the bad params"):
        check_cell_type(Gain, bad_params=[{"offset": 0.5}])


# -- stimulus kinds and tasks -----------------------------------------------------------------


class GlowParams(StimulusParams):
    """Full-field glow of a seeded luminance; the label is whether it is bright."""

    kind: ClassVar[str] = "kit_glow"
    description: ClassVar[str] = "full-field glow: dim or bright?"
    classes: ClassVar[tuple[str, ...]] = ("dim", "bright")
    generator: ClassVar[str] = f"{__name__}:Glow"
    contrast: float = Field(0.5, gt=0, le=0.5)
    """Half the luminance range, around 0.5."""


class Glow(GlowParams, StimulusGenerator):
    def luminance(self, indices: torch.Tensor, seed: int) -> torch.Tensor:
        return 0.5 + self.contrast * (2 * rng.uniform(rng.stimulus_keys(seed, indices), 1) - 1)

    def _render(self, request):
        level = self.luminance(request.indices, request.seed)
        shape = (request.count, 1, self.frames, self.height, self.width)
        video = level.to(request.dtype)[:, None, None, None, None].expand(shape).contiguous()
        bright = level > 0.5
        return video.to(request.device), {"level": level.numpy()}, bright.to(torch.int64)


class Glaring(Glow):
    def luminance(self, indices, seed):
        return super().luminance(indices, seed) + 0.6


class Unseeded(Glow):
    def luminance(self, indices, seed):
        return 0.5 + self.contrast * (2 * torch.rand(len(indices), dtype=torch.float64) - 1)


class Positional(Glow):
    def luminance(self, indices, seed):
        return super().luminance(torch.arange(len(indices)), seed)


class AlwaysDim(Glow):
    def _render(self, request):
        video, metadata, labels = super()._render(request)
        return video, metadata, torch.zeros_like(labels)


def register_kinds(*classes: type) -> None:
    register_plugin("kit_stimuli", retinasim_stimuli=stimuli_hook(*classes))


def test_a_sound_task_passes() -> None:
    register_kinds(GlowParams)
    check_stimulus_kind(GlowParams, {"contrast": 0.3}, bad_parameters=[{"contrast": 0.6}])
    check_task("kit_glow", {"contrast": 0.3})


@pytest.mark.parametrize(
    ("generator", "message"),
    [
        (Glaring, r"luminance spans \[.*\], outside \[0, 1\]"),
        (Unseeded, "the same seed renders other videos"),
        (Positional, "depends on the others in its batch"),
    ],
)
def test_a_broken_stimulus_kind_fails_with_what_broke(generator: type, message: str) -> None:
    register_kinds(generator)
    with pytest.raises(AssertionError, match=message):
        check_stimulus_kind(generator)


def test_an_unbalanced_task_and_a_lax_parameter_fail() -> None:
    register_kinds(AlwaysDim)
    with pytest.raises(AssertionError, match=r"labels are unbalanced: \{'dim': 64, 'bright': 0\}"):
        check_task(AlwaysDim)
    with pytest.raises(AssertionError, match="accepts the bad parameters"):
        check_stimulus_kind(AlwaysDim, bad_parameters=[{"contrast": 0.4}])


def test_torch_free_modules_are_told_apart() -> None:
    check_torch_free("retinasim.plugins")
    with pytest.raises(AssertionError, match=r"importing 'retinasim\.stimuli\.base' imports torch"):
        check_torch_free("retinasim.stimuli.base")
