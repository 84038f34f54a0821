"""The built-in stimulus kinds' parameters, registered through the same hook as plugins'.

This module never imports torch: each kind's name, description, labels and validated
parameters are all that validating a circuit's ``training.stimulus`` section (and listing
``retinasim plugins``) needs. Each generator (:class:`retinasim.stimuli.MovingDots`, ...) is a
subclass of its parameter model here and is imported when stimuli are rendered. The
generators' docstrings document the parameters.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from typing import Any, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from retinasim.plugins.hookspecs import stimuli_hook
from retinasim.plugins.stimulus_kind import SpeedRange, StimulusParams

logger = logging.getLogger(__name__)

DIRECTIONS = ("left", "right")
AUTHORS_DOTS_PER_POPULATION = 75
"""Dots moving each way in the authors' generator (150 in all)."""


def _listed(*fields: str, **rules: tuple[Callable[[Any], bool], str]) -> Any:
    """A validator of the list parameters ``fields``: each lists a value (or is None), and
    every value of a field in ``rules`` passes its test (else ``"<message>, got <values>"``)."""

    def check(cls: type, values: tuple | None, info: ValidationInfo) -> tuple | None:
        if values is not None and not values:
            raise ValueError(f"{info.field_name} must list at least one value")
        test, message = rules.get(str(info.field_name), (None, ""))
        if values is not None and test is not None and not all(map(test, values)):
            raise ValueError(f"{message}, got {values}")
        return values

    return field_validator(*fields)(check)


def _check_peak(what: str, mean: float, contrast: float) -> None:
    """The brightest luminance of ``what``, ``mean * (1 + contrast)``, is at most 1."""
    if mean * (1 + contrast) > 1 + 1e-12:
        raise ValueError(
            f"{what} with mean_luminance {mean} and contrast {contrast} exceeds luminance 1 "
            f"(need mean_luminance * (1 + contrast) <= 1)"
        )


def _check_bar_contrasts(
    contrasts: tuple[float, ...], background: float, slack: float = 0.0
) -> None:
    """Every bar differs from the ``background`` and its luminance lies in [0, 1] (give or
    take ``slack``)."""
    for contrast in contrasts:
        bar = background + contrast
        if contrast == 0 or not -slack <= bar <= 1 + slack:
            raise ValueError(
                f"contrast {contrast} on background {background} gives bar "
                f"luminance {bar}; it must differ from the background and lie in [0, 1]"
            )


_BAR_RULES = {
    "speeds": (lambda speed: speed > 0, "speeds must all be > 0 pixels/frame"),
    "widths": (lambda width: width > 0, "widths must all be > 0 pixels"),
}


class MovingDotsParams(StimulusParams):
    """Parameters of the moving-dots task (see :class:`retinasim.stimuli.MovingDots`)."""

    kind = "moving_dots"
    description = "Murray et al. 2021: do the left- or right-moving dots move faster?"
    classes = DIRECTIONS
    generator = "retinasim.stimuli.moving_dots:MovingDots"

    mean_dots_in_view: float = Field(16.67, gt=0, le=100_000)
    dot_radius: float = Field(5.0, gt=0)
    s_range: SpeedRange = (0.5, 1.5)
    s: float | None = Field(None, ge=0)
    alpha: float = Field(2.0, ge=0)
    fast_direction: Literal["left", "right"] | None = None
    scene_width: int | None = Field(None, ge=1)
    dot_luminance: float = Field(1.0, ge=0, le=1)
    background_luminance: float = Field(0.0, ge=0, le=1)
    rendering: Literal["antialiased", "authors"] = "antialiased"

    @model_validator(mode="after")
    def _check_consistency(self) -> MovingDotsParams:
        if 2 * self.dot_radius > min(self.height, self.width):
            raise ValueError(
                f"dot_radius = {self.dot_radius}: a dot must fit in the {self.height}x"
                f"{self.width} frame (radius <= {min(self.height, self.width) / 2})"
            )
        minimum = self.width + 2 * (int(self.dot_radius) + 1)
        if self.scene_width is not None and self.scene_width < minimum:
            raise ValueError(
                f"scene_width = {self.scene_width} must be at least width + 2 (radius + 1) = "
                f"{minimum} so a dot is never seen at both ends of the periodic scene"
            )
        if self.dot_luminance == self.background_luminance:
            raise ValueError(
                "dot_luminance equals background_luminance: the dots would be invisible"
            )
        if self.rendering == "authors":
            fixed = sorted({"mean_dots_in_view", "scene_width"} & self.model_fields_set)
            if fixed:
                raise ValueError(
                    f"{' and '.join(fixed)} do not apply to rendering='authors' (exactly "
                    f"{2 * AUTHORS_DOTS_PER_POPULATION} dots on a scene of 3 x the frame)"
                )
            dots = 2 * AUTHORS_DOTS_PER_POPULATION
            if 3 * min(self.height, self.width) < dots:
                raise ValueError(
                    f"rendering='authors' draws {dots} distinct positions per axis on a scene "
                    f"of 3 x the frame: height and width must be at least {dots // 3}"
                )
        return self


class MovingBarsParams(StimulusParams):
    """Parameters of moving bars (see :class:`retinasim.stimuli.MovingBars`)."""

    kind = "moving_bars"
    description = "a full-screen bar sweeping across (direction and speed tuning)"
    generator = "retinasim.stimuli.bars:MovingBars"

    directions_deg: tuple[float, ...] = (0.0, 45.0, 90.0, 135.0, 180.0, 225.0, 270.0, 315.0)
    speeds: tuple[float, ...] = (1.0, 2.0)
    widths: tuple[float, ...] = (10.0,)
    contrasts: tuple[float, ...] = (1.0,)
    background_luminance: float = Field(0.0, ge=0, le=1)

    _check_lists = _listed("directions_deg", "speeds", "widths", "contrasts", **_BAR_RULES)

    @model_validator(mode="after")
    def _check_luminance(self) -> MovingBarsParams:
        _check_bar_contrasts(self.contrasts, self.background_luminance)
        return self


class GratingsParams(StimulusParams):
    """Parameters of drifting gratings (see :class:`retinasim.stimuli.Gratings`)."""

    kind = "gratings"
    description = "full-field drifting sine or square gratings"
    generator = "retinasim.stimuli.gratings:Gratings"

    directions_deg: tuple[float, ...] = (0.0, 45.0, 90.0, 135.0, 180.0, 225.0, 270.0, 315.0)
    spatial_frequencies: tuple[float, ...] = (1 / 32,)
    temporal_frequencies_hz: tuple[float, ...] = (1.875,)
    waveform: Literal["sine", "square"] = "sine"
    contrast: float = Field(1.0, ge=0, le=1)
    mean_luminance: float = Field(0.5, gt=0, lt=1)
    phase_deg: float = 0.0
    random_phase: bool = False

    _check_lists = _listed(
        "directions_deg",
        "spatial_frequencies",
        "temporal_frequencies_hz",
        spatial_frequencies=(
            lambda frequency: 0 < frequency <= 0.5,
            "spatial frequencies must lie in (0, 0.5] cycles/pixel",
        ),
        temporal_frequencies_hz=(
            lambda frequency: frequency >= 0,
            "temporal frequencies must be >= 0 Hz",
        ),
    )

    @model_validator(mode="after")
    def _check_ranges(self) -> GratingsParams:
        _check_peak("a grating", self.mean_luminance, self.contrast)
        nyquist = self.frame_rate_hz / 2
        if max(self.temporal_frequencies_hz) >= nyquist:
            raise ValueError(
                f"temporal frequencies must be below frame_rate_hz / 2 = {nyquist} Hz "
                f"(temporal aliasing), got {self.temporal_frequencies_hz}"
            )
        return self


class FlashesParams(StimulusParams):
    """Parameters of full-field flashes (see :class:`retinasim.stimuli.Flashes`)."""

    kind = "flashes"
    description = "full-field flashes and steps from a background level"
    generator = "retinasim.stimuli.flashes:Flashes"

    levels: tuple[float, ...] = (1.0, 0.0)
    durations_frames: tuple[int, ...] = (10,)
    onset_frame: int | None = Field(None, ge=0)
    background_luminance: float = Field(0.5, ge=0, le=1)

    _check_lists = _listed(
        "levels",
        "durations_frames",
        levels=(lambda level: 0 <= level <= 1, "levels must lie in [0, 1]"),
        durations_frames=(lambda duration: duration >= 1, "durations must be >= 1 frame"),
    )

    @model_validator(mode="after")
    def _check_onset(self) -> FlashesParams:
        if self.onset_frame is not None and self.onset_frame >= self.frames:
            raise ValueError(
                f"onset_frame {self.onset_frame} must come before the end of the video "
                f"(frames = {self.frames})"
            )
        return self


class WhiteNoiseParams(StimulusParams):
    """Parameters of white noise (see :class:`retinasim.stimuli.WhiteNoise`)."""

    kind = "white_noise"
    description = "spatiotemporal white noise (receptive-field mapping)"
    generator = "retinasim.stimuli.noise:WhiteNoise"

    distribution: Literal["binary", "gaussian"] = "binary"
    pixel_size: int = Field(8, ge=1)
    frame_hold: int = Field(1, ge=1)
    mean_luminance: float = Field(0.5, gt=0, lt=1)
    contrast: float | None = Field(None, gt=0)

    @model_validator(mode="after")
    def _check_contrast(self) -> WhiteNoiseParams:
        if self.distribution == "binary":
            _check_peak("binary noise", self.mean_luminance, self.rms_contrast)
            if self.rms_contrast > 1:
                raise ValueError(f"binary noise contrast must be <= 1, got {self.rms_contrast}")
        if math.prod(self.noise_shape) >= 2**32:
            raise ValueError(f"too many noise values per stimulus: {self.noise_shape}")
        return self

    @property
    def rms_contrast(self) -> float:
        """The contrast in use (the distribution's default when ``contrast`` is None)."""
        if self.contrast is not None:
            return self.contrast
        return 1.0 if self.distribution == "binary" else 1.0 / 3.0

    @property
    def noise_shape(self) -> tuple[int, int, int]:
        """``(noise_frames, stixel_rows, stixel_columns)`` of one stimulus."""
        return (
            math.ceil(self.frames / self.frame_hold),
            math.ceil(self.height / self.pixel_size),
            math.ceil(self.width / self.pixel_size),
        )


class CentredBarsParams(StimulusParams):
    """Parameters of bars centred on screen positions (see
    :class:`retinasim.stimuli.CentredBars`)."""

    kind = "centred_bars"
    description = "full-length bars whose paths are centred on given positions"
    generator = "retinasim.stimuli.centred_bars:CentredBars"

    directions_deg: tuple[float, ...] = (0.0, 45.0, 90.0, 135.0, 180.0, 225.0, 270.0, 315.0)
    centres_xy: tuple[tuple[float, float], ...] | None = None
    half_paths: tuple[float, ...] | None = None
    speeds: tuple[float, ...] = (1.0,)
    widths: tuple[float, ...] = (10.0,)
    contrasts: tuple[float, ...] = (1.0,)
    background_luminance: float = Field(0.0, ge=0, le=1)

    _check_lists = _listed(
        "directions_deg",
        "centres_xy",
        "half_paths",
        "speeds",
        "widths",
        "contrasts",
        half_paths=(lambda half_path: half_path >= 0, "half_paths must all be >= 0 pixels"),
        **_BAR_RULES,
    )

    @model_validator(mode="after")
    def _check_sites(self) -> CentredBarsParams:
        if self.half_paths is not None and len(self.half_paths) != len(self.sites_xy):
            raise ValueError(
                f"half_paths has {len(self.half_paths)} values for {len(self.sites_xy)} "
                "centres_xy: give one per centre"
            )
        # slack: the round-off of bar - background
        _check_bar_contrasts(self.contrasts, self.background_luminance, slack=1e-9)
        return self

    @property
    def sites_xy(self) -> tuple[tuple[float, float], ...]:
        """The path centres ``(x, y)`` in pixels (default: the screen's centre)."""
        if self.centres_xy is not None:
            return self.centres_xy
        return (((self.width - 1) / 2, (self.height - 1) / 2),)


class SparseNoiseParams(StimulusParams):
    """Parameters of sparse noise (see :class:`retinasim.stimuli.SparseNoise`)."""

    kind = "sparse_noise"
    description = "sparse bright/dark squares on a background (operating points)"
    generator = "retinasim.stimuli.sparse_noise:SparseNoise"

    square: int = Field(8, ge=1)
    density: float = Field(0.06, gt=0, le=1)
    contrast: float = 1.0
    background_luminance: float = Field(0.0, ge=0, le=1)

    @model_validator(mode="after")
    def _check_visible(self) -> SparseNoiseParams:
        if not self.signs:
            raise ValueError(
                f"contrast {self.contrast} on background {self.background_luminance} draws "
                "no visible square (bright and dark both clip to the background)"
            )
        return self

    def level(self, sign: int) -> float:
        """Luminance of a square of ``sign`` (+1 bright, -1 dark), clipped to [0, 1]."""
        return min(max(self.background_luminance + sign * abs(self.contrast), 0.0), 1.0)

    @property
    def signs(self) -> tuple[int, ...]:
        """The signs drawn: those whose luminance differs from the background."""
        return tuple(k for k in (1, -1) if self.level(k) != self.background_luminance)


CHIRP_SEGMENTS = (
    "dark",
    "on",
    "off",
    "mean_pre",
    "frequency_sweep",
    "mean_mid",
    "contrast_sweep",
    "mean_post",
    "dark_end",
)
"""The chirp's segments in order; segment ``name`` lasts the parameter ``<name>_s`` seconds."""


def _frame_of(seconds: float, rate: float) -> int:
    """The first frame at or after ``seconds`` (rounded half up) at ``rate`` frames/second."""
    return math.floor(seconds * rate + 0.5)


class ChirpParams(StimulusParams):
    """Parameters of the Baden et al. (2016) chirp (see :class:`retinasim.stimuli.Chirp`)."""

    kind = "chirp"
    description = "Baden et al. 2016 full-field chirp: light steps, frequency and contrast sweeps"
    generator = "retinasim.stimuli.chirp:Chirp"

    frames: int = Field(
        990,
        ge=1,
        le=100_000,
        description="Number of frames: always the segments' total duration x frame_rate_hz "
        "(a value passed in is replaced).",
    )
    dark_s: float = Field(2.0, ge=0)
    """Dark before the light step, seconds."""
    on_s: float = Field(3.0, ge=0)
    """The light step's ON phase (``mean (1 + contrast)``), seconds."""
    off_s: float = Field(3.0, ge=0)
    """The light step's OFF phase (``mean (1 - contrast)``), seconds."""
    mean_pre_s: float = Field(2.0, ge=0)
    """At the mean before the frequency sweep, seconds."""
    frequency_sweep_s: float = Field(8.0, ge=0)
    """The frequency sweep (full contrast, ``f0_hz`` rising linearly to ``f1_hz``), seconds."""
    mean_mid_s: float = Field(2.0, ge=0)
    """At the mean between the sweeps, seconds."""
    contrast_sweep_s: float = Field(8.0, ge=0)
    """The contrast sweep (``contrast_sweep_hz``, amplitude rising linearly from 0), seconds."""
    mean_post_s: float = Field(2.0, ge=0)
    """At the mean after the contrast sweep, seconds."""
    dark_end_s: float = Field(3.0, ge=0)
    """Dark at the end, seconds."""
    f0_hz: float = Field(0.5, ge=0)
    """Instantaneous frequency at the start of the frequency sweep, Hz."""
    f1_hz: float = Field(8.0, ge=0)
    """Instantaneous frequency at the end of the frequency sweep, Hz (>= ``f0_hz``)."""
    contrast_sweep_hz: float = Field(2.0, gt=0)
    """Frequency of the contrast sweep's sinusoid, Hz."""
    mean_luminance: float = Field(0.5, gt=0, lt=1)
    """The mean (the pauses; the sweeps oscillate around it)."""
    contrast: float = Field(1.0, gt=0, le=1)
    """Full-contrast amplitude relative to the mean: ON ``mean (1 + contrast)``, dark and OFF
    ``mean (1 - contrast)``; 1 with the mean 0.5 spans luminance 0 to 1."""

    @model_validator(mode="before")
    @classmethod
    def _derive_frames(cls, data: Any) -> Any:
        """``frames`` = the segments' total duration x ``frame_rate_hz``; a valid ``frames``
        passed in (``record`` passes the circuit's input length) is replaced, an invalid one
        left to be refused like every kind's."""
        if not isinstance(data, dict):
            return data
        fields = cls.model_fields
        try:
            durations = [
                float(data.get(f"{name}_s", fields[f"{name}_s"].default)) for name in CHIRP_SEGMENTS
            ]
            rate = float(data.get("frame_rate_hz", fields["frame_rate_hz"].default))
        except (TypeError, ValueError):
            return data  # the field validators name the bad value
        if not all(math.isfinite(d) and d >= 0 for d in durations) or not (
            math.isfinite(rate) and rate > 0
        ):
            return data
        total = sum(durations)
        derived = _frame_of(total, rate)
        if not 1 <= derived <= 100_000:
            raise ValueError(
                f"the segments last {total:g} s = {derived} frames at {rate:g} Hz; "
                "need 1 to 100000 frames"
            )
        given = data.get("frames")
        valid = isinstance(given, int) and not isinstance(given, bool) and given >= 1
        if given is None or valid:
            if valid and given != derived:
                logger.info(
                    "chirp: %d frames (%g s at %g Hz, set by the segment durations), not %d",
                    derived,
                    total,
                    rate,
                    given,
                )
            data = {**data, "frames": derived}
        return data

    @model_validator(mode="after")
    def _check_sweeps(self) -> ChirpParams:
        _check_peak("the chirp", self.mean_luminance, self.contrast)
        if self.f1_hz < self.f0_hz:
            raise ValueError(
                f"f1_hz = {self.f1_hz} must be >= f0_hz = {self.f0_hz} (the sweep rises)"
            )
        nyquist = self.frame_rate_hz / 2
        frequencies = {"f1_hz": self.f1_hz, "contrast_sweep_hz": self.contrast_sweep_hz}
        aliased = [f"{name} = {value}" for name, value in frequencies.items() if value >= nyquist]
        if aliased:
            raise ValueError(
                f"{' and '.join(aliased)}: frequencies must be below frame_rate_hz / 2 = "
                f"{nyquist} Hz (temporal aliasing)"
            )
        return self

    @property
    def segment_frames(self) -> dict[str, tuple[int, int]]:
        """Segment name → ``(first frame, stop frame)`` (stop exclusive), in order: segment
        ``k`` starts at frame ``round(rate x the durations before it)`` (half up)."""
        bounds, elapsed = {}, 0.0
        for name in CHIRP_SEGMENTS:
            start = _frame_of(elapsed, self.frame_rate_hz)
            elapsed += getattr(self, f"{name}_s")
            bounds[name] = (start, _frame_of(elapsed, self.frame_rate_hz))
        return bounds


BUILTIN_STIMULI: tuple[type[StimulusParams], ...] = (
    MovingDotsParams,
    MovingBarsParams,
    GratingsParams,
    FlashesParams,
    WhiteNoiseParams,
    CentredBarsParams,
    SparseNoiseParams,
    ChirpParams,
)
retinasim_stimuli = stimuli_hook(*BUILTIN_STIMULI)
"""The stimulus kinds that ship with retinasim (the ``retinasim_stimuli`` hook)."""
