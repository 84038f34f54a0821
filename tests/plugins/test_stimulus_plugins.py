"""Stimulus plugins (the ``retinasim_stimuli`` hook), and every hook called through pluggy."""

from __future__ import annotations

import types
from pathlib import Path
from typing import ClassVar

import numpy as np
import pytest
import torch
from helpers import TINY_CIRCUIT, write_distribution

from retinasim import plugins
from retinasim.errors import SpecError, StimulusError
from retinasim.plugins import generator_class
from retinasim.plugins.stimulus_kind import StimulusParams
from retinasim.spec import load_circuit
from retinasim.stimuli import MovingDots, StimulusGenerator


class FlickerParams(StimulusParams):
    """Full-field flicker whose label is whether it starts bright."""

    kind: ClassVar[str] = "flicker"
    classes: ClassVar[tuple[str, ...]] = ("dark", "bright")
    generator: ClassVar[str] = f"{__name__}:Flicker"
    period: int = 2


class Flicker(FlickerParams, StimulusGenerator):
    def _render(self, request):
        starts_bright = torch.as_tensor(request.indices) % 2 == 1
        frame = torch.arange(self.frames) // self.period % 2 == 0
        on = frame[None, :] == starts_bright[:, None]  # (batch, frames)
        video = on.to(request.dtype)[:, None, :, None, None]
        video = video.expand(-1, 1, -1, self.height, self.width)
        metadata = {"starts_bright": starts_bright.numpy()}
        return video.contiguous().to(request.device), metadata, starts_bright.to(torch.int64)


def _module(name: str, hook, **marks) -> types.ModuleType:
    module = types.ModuleType(name)
    module.retinasim_stimuli = plugins.hookimpl(**marks)(hook) if marks else plugins.hookimpl(hook)
    return module


def test_builtin_stimuli_are_registered_through_the_retinasim_stimuli_hook() -> None:
    kinds = plugins.stimuli()
    assert list(kinds)[:5] == ["moving_dots", "moving_bars", "gratings", "flashes", "white_noise"]
    entry = kinds["moving_dots"]
    assert (entry.plugin, entry.package) == ("retinasim.stimuli.builtin", "retinasim")
    assert entry.classes == ("left", "right") and entry.is_task
    assert not kinds["gratings"].is_task
    assert entry.generator_class() is MovingDots and issubclass(MovingDots, entry.params)
    assert "moving_dots" in plugins.tasks() and "gratings" not in plugins.tasks()
    impls = plugins.get_plugin_manager().hook.retinasim_stimuli.get_hookimpls()
    assert "retinasim.stimuli.builtin" in [impl.plugin_name for impl in impls]


def test_a_runtime_task_plugin_is_used_by_kind_and_validated_in_training() -> None:
    plugins.register(_module("flicker_plugin", lambda: [FlickerParams]), "flicker_plugin")
    assert generator_class("flicker") is Flicker
    batch = Flicker(height=4, width=4, frames=4).generate([0, 1], seed=0)
    assert batch.labels.tolist() == [0, 1] and batch.classes == ("dark", "bright")
    text = TINY_CIRCUIT + "training:\n  stimulus: {kind: flicker, period: 3}\n"
    assert load_circuit("f.yaml", text=text).training.task == "flicker"
    with pytest.raises(SpecError, match=r"training\.stimulus\.perod: unknown flicker parameter"):
        load_circuit("f.yaml", text=text.replace("period", "perod"))
    with pytest.raises(SpecError, match=r"11:20: training\.stimulus\.kind: unknown stimulus"):
        load_circuit("f.yaml", text=text.replace("kind: flicker", "kind: flickr"))
    with pytest.raises(SpecError, match=r"did you mean 'flicker'.*known: moving_dots, flicker"):
        load_circuit("f.yaml", text=text.replace("kind: flicker", "kind: flickr"))


def test_a_kind_that_is_not_a_task_cannot_be_trained_on() -> None:
    text = TINY_CIRCUIT + "training:\n  stimulus: {kind: gratings}\n"
    with pytest.raises(SpecError, match=r"'gratings' is not a task .* tasks: moving_dots"):
        load_circuit("g.yaml", text=text)


def test_a_task_without_alpha_builds_for_training_and_evaluation_by_alpha_says_why_not() -> None:
    from retinasim.task import task_generator
    from retinasim.training.errors import TrainingError

    plugins.register(_module("flicker_plugin", lambda: [FlickerParams]), "flicker_plugin")
    text = TINY_CIRCUIT.replace(
        "readout: {layer: ganglion}", "readout: {layer: ganglion, classes: [dark, bright]}"
    )
    spec = load_circuit("f.yaml", text=text + "training:\n  stimulus: {kind: flicker}\n")
    assert isinstance(task_generator(spec), Flicker)
    with pytest.raises(TrainingError, match="task 'flicker' has no alpha or s or s_range"):
        task_generator(spec, alpha=2.0)


def test_a_stimulus_plugin_whose_hook_raises_is_named_and_skipped(plugin_site: Path) -> None:
    write_distribution(
        plugin_site,
        "retinasim_boom",
        "0.1",
        {"boom": "retinasim_boom"},
        """
        from retinasim.plugins import hookimpl

        @hookimpl
        def retinasim_stimuli():
            raise RuntimeError("no images here")
    """,
    )
    assert "moving_dots" in plugins.stimuli() and "rectifier" in plugins.cell_types()
    problems = [str(p) for p in plugins.plugin_problems()]
    assert any(
        "plugin 'boom'" in p and "retinasim_stimuli() raised RuntimeError: no images" in p
        for p in problems
    )
    text = TINY_CIRCUIT + "training:\n  stimulus: {kind: lost}\n"
    with pytest.raises(SpecError, match="plugins that failed to load: plugin 'boom'"):
        load_circuit("x.yaml", text=text)


def test_wrong_returns_and_reused_kinds_are_reported_and_builtins_keep_their_names() -> None:
    class Impostor(StimulusParams):
        kind: ClassVar[str] = "moving_dots"
        generator: ClassVar[str] = "nowhere:Impostor"

    class Nameless(StimulusParams):
        generator: ClassVar[str] = "nowhere:Nameless"

    plugins.register(_module("odd", lambda: [dict, Impostor, Nameless]), "odd")
    plugins.register(_module("scalar", lambda: FlickerParams), "scalar")
    problems = [str(p) for p in plugins.plugin_problems()]
    subclass = "not a subclass of retinasim.plugins.stimulus_kind"
    assert any("'odd'" in p and subclass in p for p in problems)
    assert any("'odd'" in p and "already registered by plugin 'retinasim.stimuli.builtin'" in p
               for p in problems)  # fmt: skip
    assert any("'odd'" in p and "valid identifier" in p for p in problems)
    assert any("'scalar'" in p and "must return a list" in p for p in problems)
    assert plugins.stimuli()["moving_dots"].params.generator_class() is MovingDots


def test_a_generator_that_cannot_be_imported_is_a_clear_error_naming_the_plugin() -> None:
    class Missing(StimulusParams):
        kind: ClassVar[str] = "missing"
        generator: ClassVar[str] = "no_such_module_here:Missing"

    plugins.register(_module("missing_plugin", lambda: [Missing]), "missing_plugin")
    with pytest.raises(StimulusError, match=r"cannot import its generator.*'missing_plugin'"):
        generator_class("missing")


def test_hooks_go_through_pluggy_wrappers_and_call_monitoring() -> None:
    manager = plugins.get_plugin_manager()
    seen: list[tuple[str, int]] = []
    monitored: list[str] = []

    class Wrapper:
        @plugins.hookimpl(wrapper=True)
        def retinasim_stimuli(self):
            result = yield
            seen.append(("retinasim_stimuli", len(result)))
            return result

        @plugins.hookimpl(wrapper=True)
        def retinasim_cell_types(self):
            result = yield
            seen.append(("retinasim_cell_types", len(result)))
            return result

    plugins.register(Wrapper(), "wrapper")
    undo = manager.add_hookcall_monitoring(
        lambda name, impls, kwargs: monitored.append(name), lambda *args: None
    )
    try:
        plugins.plugin_problems()
    finally:
        undo()
    assert ("retinasim_stimuli", 1) in seen and ("retinasim_cell_types", 1) in seen
    assert {"retinasim_stimuli", "retinasim_cell_types"} <= set(monitored)
    assert monitored.count("retinasim_stimuli") == len(plugins.hook_results("retinasim_stimuli"))


def test_tryfirst_decides_which_plugin_keeps_a_kind() -> None:
    class EarlyParams(FlickerParams):
        description: ClassVar[str] = "early"

    class LateParams(FlickerParams):
        description: ClassVar[str] = "late"

    plugins.register(_module("early", lambda: [EarlyParams], tryfirst=True), "early")
    plugins.register(_module("late", lambda: [LateParams]), "late")
    assert plugins.stimuli()["flicker"].plugin == "early"  # pluggy calls tryfirst first
    plugins.reset()
    plugins.register(_module("early", lambda: [EarlyParams]), "early")
    plugins.register(_module("late", lambda: [LateParams]), "late")
    assert plugins.stimuli()["flicker"].plugin == "late"  # otherwise the last registered
    order = [name for name, _ in plugins.hook_results("retinasim_stimuli")]
    assert order[0] == "retinasim.stimuli.builtin"  # then installed plugins, as pluggy calls
    assert [name for name in order if name in ("early", "late")] == ["late", "early"]
    assert any("flicker" in str(p) and "'early'" in str(p) for p in plugins.plugin_problems())


def test_the_stimulus_command_renders_a_plugin_kind(tmp_path: Path, capsys) -> None:
    from retinasim.cli import main

    plugins.register(_module("flicker_plugin", lambda: [FlickerParams]), "flicker_plugin")
    code = main(["stimulus", "flicker", "--height", "8", "--width", "8", "--frames", "4",
                 "--index", "1", "--out", str(tmp_path / "f.gif")])  # fmt: skip
    assert code == 0
    assert (tmp_path / "f.gif").exists() and (tmp_path / "f.png").exists()
    assert "starts_bright=True" in capsys.readouterr().out
    assert np.asarray(Flicker(height=2, width=2, frames=2).generate([1], seed=0).video).max() == 1
