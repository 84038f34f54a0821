"""The parameters of the ``natural_motion`` task (torch-free, scikit-image-free)."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, field_validator, model_validator

from retinasim.plugins.stimulus_kind import SpeedRange, StimulusParams

IMAGES = (
    "astronaut",
    "brick",
    "camera",
    "chelsea",
    "coffee",
    "coins",
    "grass",
    "gravel",
    "moon",
    "rocket",
)
"""Photographs inside scikit-image's wheel (``skimage.data``: no download), made grey."""


class NaturalTextureParams(StimulusParams):
    """What the natural tasks share: drifting textures (photographs or 1/f noise), their
    speeds and their luminance. Not a task of its own."""

    texture: Literal["images", "pink_noise"] = "images"
    """``images``: photographs of ``images``; ``pink_noise``: a fresh 1/f noise texture per
    band (or frame) and stimulus (amplitude spectrum ``1 / f ** spectral_exponent``)."""
    images: tuple[str, ...] = IMAGES
    """Names of ``skimage.data`` photographs to draw from (each band draws one uniformly)."""
    texture_size: int = Field(512, ge=16, le=4096)
    """Side of the square texture in pixels: photographs are cropped to a square and
    resized to it; noise textures are this wide. The texture repeats (mirrored for images,
    periodic for noise) every 2 x (images) or 1 x (noise) this many pixels."""
    spectral_exponent: float = Field(1.0, ge=0, le=3)
    """Exponent of the 1/f amplitude spectrum of ``pink_noise`` (1: natural scenes)."""
    s_range: SpeedRange = (0.5, 1.5)
    """The (slow) speed ``s`` is uniform on this interval, pixels/frame."""
    s: float | None = Field(None, ge=0)
    """A fixed (slow) speed instead of ``s_range``, pixels/frame."""
    mean_luminance: float = Field(0.5, gt=0, lt=1)
    """Mean luminance of every texture."""
    contrast: float = Field(0.25, gt=0, le=1)
    """RMS contrast of every texture (standard deviation of luminance / mean), before clipping
    to [0, 1]."""

    @field_validator("images")
    @classmethod
    def _known_images(cls, names: tuple[str, ...]) -> tuple[str, ...]:
        if not names:
            raise ValueError("images must name at least one photograph")
        unknown = sorted(set(names) - set(IMAGES))
        if unknown:
            raise ValueError(f"unknown images {unknown} (available: {', '.join(IMAGES)})")
        return names


class NaturalMotionParams(NaturalTextureParams):
    """Two bands of a natural image drift in opposite directions; which one is faster?

    The upper and the lower half of the frame each show a texture (a crop of a photograph
    from ``images``, randomly chosen, flipped and placed, or a 1/f noise texture) drifting
    horizontally, one leftward and one rightward. Which band moves rightward is drawn per
    stimulus, independently of the label. The slow direction moves at ``s ~ U(s_range)``,
    the fast direction at ``alpha * s`` (pixels/frame, sub-pixel by linear interpolation); the
    label is the fast direction, ``left`` or ``right``: the dots' question on natural scenes.
    At ``alpha = 1`` the video does not depend on the label at all.
    """

    kind: ClassVar[str] = "natural_motion"
    description: ClassVar[str] = (
        "natural images (or 1/f noise) drifting left and right: which way is faster?"
    )
    classes: ClassVar[tuple[str, ...]] = ("left", "right")
    generator: ClassVar[str] = "retinasim_natural.motion:NaturalMotion"

    alpha: float = Field(2.0, ge=0)
    """Fast speed = ``alpha * s``."""
    fast_direction: Literal["left", "right"] | None = None
    """A fixed fast direction; None draws it uniformly per stimulus."""

    @model_validator(mode="after")
    def _check_bands(self) -> NaturalMotionParams:
        if self.height < 2:
            raise ValueError(f"height = {self.height}: two bands need at least 2 rows")
        return self


class NaturalDriftParams(NaturalTextureParams):
    """A natural scene drifts left or right; which way?

    The whole frame shows one texture (a crop of a photograph from ``images``, randomly
    chosen, flipped and placed, or a 1/f noise texture) drifting horizontally at
    ``s ~ U(s_range)`` pixels/frame (sub-pixel by linear interpolation); the label is the
    direction, ``left`` or ``right``. The direction-selective computation itself, on natural
    statistics: the which-is-faster question of ``natural_motion`` does not leave chance
    in murray2021 (docs/variants.md, "Natural scenes"), this one does. At ``s = 0`` the video
    does not depend on the label at all.
    """

    kind: ClassVar[str] = "natural_drift"
    description: ClassVar[str] = "a natural image (or 1/f noise) drifting left or right: which way?"
    classes: ClassVar[tuple[str, ...]] = ("left", "right")
    generator: ClassVar[str] = "retinasim_natural.motion:NaturalDrift"

    direction: Literal["left", "right"] | None = None
    """A fixed direction; None draws it uniformly per stimulus."""
