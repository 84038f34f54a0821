"""Every analysis of a trained run, step by step, each saved in ``RUN_DIR/analysis/``.

Steps (in order; each can be rerun alone, reading what earlier steps saved):

========== ===================================================================================
behaviour  ``psychometric.nc`` (accuracy vs alpha), ``accuracy_by_s.nc`` (s × fast direction)
lesions    ``lesion_scan.nc`` (every type alone), ``critical.json`` (critical types)
ablation   ``ablation.nc`` (combinations), ``ablated.json`` (best model's lesions),
           ``ablated_psychometric.nc``, ``lesions_within_ablated.nc`` (lesion × s × fast
           direction, each kept type lesioned in turn)
amplitude  ``amplitude.nc`` (mean response, s × cell type)
tuning     ``tuning.nc`` (single-unit DSI, vector DSI, p-value, preferred direction, speed
           and width: bars crossing each unit's receptive field)
mechanism  ``mechanism.nc`` (each direction-selective type of ``tuning.nc``: its currents per
           source type for preferred- and null-direction bars, their DSIs, the class and the
           source types that carry it)
deepvis    ``deepvis.nc`` (critical ganglion types: free optimised videos with their x–t
           velocity; optimised moving patterns per velocity and the preferred velocity)
summary    ``cell_types.csv``, ``summary.json`` (sentences per critical type)
========== ===================================================================================
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import xarray as xr

from retinasim.dissect.config import AnalysisConfig
from retinasim.dissect.errors import DissectionError
from retinasim.util.files import atomic_path, atomic_write_text
from retinasim.util.netcdf import write_netcdf
from retinasim.util.progress import Progress, as_task, silent

STEPS = (
    "behaviour",
    "lesions",
    "ablation",
    "amplitude",
    "tuning",
    "mechanism",
    "deepvis",
    "summary",
)
ANALYSIS_DIR = "analysis"
PER_FRAME = {"units": "pixels/frame"}


class Dissection:
    """The paper's dissection of one run folder, step by step (``retinasim run``/``analyze``;
    the trained circuit is loaded once); each step reports its progress as one or more named
    tasks (:mod:`retinasim.util.progress`)."""

    def __init__(
        self, run_dir: str | Path, config: AnalysisConfig, progress: Progress | None = None
    ):
        from retinasim.training import load_trained

        self.run_dir = Path(run_dir)
        self.folder = self.run_dir / ANALYSIS_DIR
        self.config = config
        self.circuit = load_trained(self.run_dir)
        self.spec = self.circuit.spec
        self._progress: Progress = progress or silent
        from retinasim.task import task_generator

        task: Any = task_generator(self.spec)  # a task tested by alpha has s_range
        self.s_values = config.s_values(tuple(task.s_range))

    # -- storage ---------------------------------------------------------------------------
    def save(self, name: str, data: xr.Dataset | xr.DataArray) -> None:
        dataset = (
            data.to_dataset(name=data.name or "value")
            if isinstance(data, xr.DataArray)
            else data.copy()
        )
        dataset.attrs = {
            k: v if isinstance(v, int | float | str) else str(v) for k, v in dataset.attrs.items()
        }
        write_netcdf(dataset, self.folder / name)

    def load(self, name: str) -> Any:
        """A saved result, a ``.nc`` file's Dataset or a JSON file's data (the run folder's
        checked readers: damage is a RunFolderError)."""
        from retinasim.run_folder import read_json, read_netcdf

        path = self.folder / name
        data = read_netcdf(path) if path.suffix == ".nc" else read_json(path)
        if data is None:
            raise DissectionError(f"{path} is missing: run the step that writes it first")
        return data

    def write_json(self, name: str, data: Any) -> None:
        atomic_write_text(self.folder / name, json.dumps(data, indent=2) + "\n")

    # -- steps -----------------------------------------------------------------------------
    def run(self, steps: tuple[str, ...] = STEPS) -> None:
        unknown = [step for step in steps if step not in STEPS]
        if unknown:
            raise DissectionError(f"unknown analysis step(s) {unknown}; steps: {', '.join(STEPS)}")
        config = self._config_to_save(steps)  # refuses a mix before any work
        for step in STEPS:
            if step in steps:
                getattr(self, f"step_{step}")()
        self.write_json("config.json", config)  # after the work it describes

    def _config_to_save(self, steps: tuple[str, ...]) -> dict:
        """The sizes to record for an analysis of ``steps``: rerunning only some steps keeps
        the record of the others and refuses sizes unlike theirs (a mixed folder)."""
        from retinasim.run_folder import read_json

        config = self.config.to_dict()
        saved = read_json(self.folder / "config.json")
        if saved and set(steps) != set(STEPS):
            differ = [
                f"{key} {saved[key]!r} (now {value!r})"
                for key, value in config.items()
                if key in saved and saved[key] != value
            ]
            if differ:
                raise DissectionError(
                    f"{self.folder / 'config.json'}: the saved results were computed with "
                    f"{', '.join(differ)}; rerunning only {', '.join(steps)} with other sizes "
                    "would mix them: pass the saved sizes, or rerun every step"
                )
            config = {**saved, **config}
        return config

    def _psychometric(self, lesions=None, task: str = "psychometric curve") -> xr.Dataset:
        from retinasim.dissect.behaviour import psychometric_curve

        return psychometric_curve(
            self.circuit,
            alphas=self.config.alphas,
            n=self.config.n_stimuli,
            lesions=lesions,
            progress=as_task(self._progress, task),
        )

    def _by_s(self, lesions=None, types=()) -> xr.DataArray:
        """Accuracy ``(lesion, s, fast_direction)`` on ``n_per_s`` stimuli per slow speed."""
        from retinasim.dissect.lesions import lesion_effects_by_s
        from retinasim.engine import moving_dots_set

        stimuli = moving_dots_set(
            self.spec, alphas=[self.config.alpha], s_values=self.s_values, n=self.config.n_per_s
        )
        result = lesion_effects_by_s(
            self.circuit,
            stimuli,
            list(types),
            base_lesions=lesions,
            progress=as_task(
                self._progress, "lesions within the ablated model" if types else "accuracy vs s"
            ),
        )
        return result.rename("accuracy")

    def _test_set(self):
        from retinasim.engine import moving_dots_set

        return moving_dots_set(self.spec, alphas=[self.config.alpha], n=self.config.n_stimuli)

    def step_behaviour(self) -> None:
        self.save("psychometric.nc", self._psychometric())
        self.save("accuracy_by_s.nc", self._by_s().sel(lesion="none", drop=True))

    def step_lesions(self) -> None:
        from retinasim.dissect.lesions import critical_types, lesion_scan

        scan = lesion_scan(
            self.circuit, self._test_set(), progress=as_task(self._progress, "lesion scan")
        )
        self.save("lesion_scan.nc", scan)
        critical = critical_types(scan, threshold=self.config.critical_threshold)
        self.write_json(
            "critical.json", {"threshold": self.config.critical_threshold, "critical": critical}
        )

    def critical(self, layer: str | None = None) -> list[tuple[str, int]]:
        """The critical ``(layer, type index)`` pairs of ``critical.json`` (of one ``layer``)."""
        pairs = self.load("critical.json")["critical"]
        return [(lay, int(i)) for lay, i in pairs if layer is None or lay == layer]

    def step_ablation(self) -> None:
        from retinasim.dissect.ablation import ablated_lesions, ablation_search

        readout = self.spec.readout.layer
        keep = {readout: [i for _, i in self.critical(readout)]}
        search = ablation_search(
            self.circuit,
            self._test_set(),
            keep=keep,
            min_accuracy=self.config.min_ablation_accuracy,
            screen=(
                (self.config.ablation_screen, self.config.ablation_best)
                if 0 < self.config.ablation_screen < self.config.n_stimuli
                else None
            ),
            progress=as_task(self._progress, "ablation search"),
        )
        self.save("ablation.nc", search)
        if search.sizes["combination"] == 0:
            self.write_json("ablated.json", {"lesions": None, "kept": None, "accuracy": None})
            return
        best = search.isel(combination=0)
        lesions = ablated_lesions(self.circuit, keep, best)
        self.write_json(
            "ablated.json",
            {
                "lesions": lesions,
                "kept": str(best["kept"].values),
                "accuracy": float(best["accuracy"]),
            },
        )
        self.save(
            "ablated_psychometric.nc", self._psychometric(lesions, "ablated psychometric curve")
        )
        # Every type the ablated model keeps, lesioned in turn (the paper's Figs. 4B, 5B-C, 6B).
        types = [
            (layer, i)
            for layer, names in self.circuit.type_names.items()
            for i in range(len(names))
            if i not in lesions.get(layer, [])
        ]
        self.save("lesions_within_ablated.nc", self._by_s(lesions, types))

    def step_amplitude(self) -> None:
        from retinasim.dissect.summary import amplitude_by_s

        self._progress("response amplitudes", 0, 1)
        config = self.config
        amplitude = amplitude_by_s(
            self.circuit, s_values=self.s_values, alpha=config.alpha, n=config.n_amplitude
        )
        self.save("amplitude.nc", amplitude.rename("amplitude"))
        self._progress("response amplitudes", 1, 1)

    def step_tuning(self) -> None:
        from retinasim.dissect.summary import direction_selectivity

        self._progress("direction tuning (single units)", 0, 1)
        self.save("tuning.nc", direction_selectivity(self.circuit))
        self._progress("direction tuning (single units)", 1, 1)

    def step_mechanism(self) -> None:
        from retinasim.dissect.mechanism import direction_mechanism

        self._progress("mechanism of the direction-selective types", 0, 1)
        self.save("mechanism.nc", direction_mechanism(self.circuit, self.load("tuning.nc")))
        self._progress("mechanism of the direction-selective types", 1, 1)

    def step_deepvis(self) -> None:
        from retinasim.dissect.deepvis import maximise_activation, structure_velocity, xt_slice
        from retinasim.dissect.moving_pattern import maximise_moving_pattern

        readout = self.spec.readout.layer
        names = self.circuit.type_names[readout]
        targets = [i for _, i in self.critical(readout)] or list(range(len(names)))
        results = []
        self._progress("deep visualization", 0, len(targets))
        for k, index in enumerate(targets):
            result = maximise_activation(
                self.circuit,
                layer=readout,
                cell_type=index,
                iterations=self.config.deepvis_iterations,
            )
            xt = xt_slice(result)
            moving = maximise_moving_pattern(self.circuit, layer=readout, cell_type=index).rename(
                velocity="pattern_velocity"
            )
            variables = {
                "video": result["video"],
                "xt": xt,
                "decoder": result["decoder"],
                "velocity": ((), structure_velocity(xt), PER_FRAME),
                "initial_activation": ((), result.attrs["initial_activation"]),
                "final_activation": ((), result.attrs["final_activation"]),
                "moving_response": moving["response"],
                "moving_xt": moving["xt"],
                "moving_decoder": moving["decoder"],
                "preferred_velocity": (
                    (),
                    moving.attrs["preferred_velocity"],
                    {"long_name": "velocity of the best moving pattern", **PER_FRAME},
                ),
            }
            results.append(xr.Dataset(variables))
            self._progress("deep visualization", k + 1, len(targets))
        self.save(
            "deepvis.nc",
            xr.concat(results, dim="target").assign_coords(target=[names[i] for i in targets]),
        )

    def step_summary(self) -> None:
        from retinasim.dissect.summary import cell_type_summary, sentences

        scan = self.load("lesion_scan.nc")
        velocity = {}
        if (self.folder / "deepvis.nc").exists():
            deepvis = self.load("deepvis.nc")
            if "preferred_velocity" in deepvis:
                pairs = zip(
                    deepvis["target"].values, deepvis["preferred_velocity"].values, strict=True
                )
                velocity = {str(name): float(v) for name, v in pairs}
        table = cell_type_summary(
            self.load("tuning.nc"),
            self.load("amplitude.nc")["amplitude"],
            scan,
            critical_threshold=self.config.critical_threshold,
            preferred_velocity=velocity,
        )
        with atomic_path(self.folder / "cell_types.csv") as temporary:
            table.to_csv(temporary)
        self.write_json(
            "summary.json",
            {
                "intact_accuracy": scan.attrs["intact_accuracy"],
                "sentences": sentences(table, scan.attrs["intact_accuracy"]),
            },
        )
