"""Probes: which layer (or the decoder, or a connection), which cell types, which spatial
read-out, which frames.

A probe is written in code as :class:`Probe` or on the command line as a spec string::

    LAYER[TYPES]:SPACE@FRAMES      e.g.  ganglion:centre   bipolar:mean   amacrine[0,2]:full
                                         ganglion:pos=3,4  bipolar:max@10:   readout
    SOURCE->TARGET[TYPES]:SPACE@FRAMES[/by_source]
                                   e.g.  bipolar->ganglion:centre   amacrine->ganglion[0]:mean
                                         amacrine->ganglion:centre/by_source

``TYPES`` are 0-based indices or type names (default: every type); ``SPACE`` is ``centre``,
``pos=Y,X`` (that unit), ``mean``, ``max`` or ``full`` (see :class:`Probe`); ``FRAMES`` is a
Python slice of frame indices (default: every frame). ``readout`` records the decoder's outputs.
``SOURCE->TARGET`` records the drive that connection delivers to the ``TYPES`` of ``TARGET``
(a *current probe*, :mod:`retinasim.recording.currents`); ``/by_source`` splits it by source
type.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal, get_args

import numpy as np
import torch

from retinasim.recording.errors import RecordingError

READOUT = "readout"
"""Probe layer name of the decoder's outputs ``(trial, time, class)``."""

Space = Literal["centre", "position", "positions", "mean", "max", "full"]
SPACES: tuple[str, ...] = get_args(Space)

_SPEC = re.compile(
    r"^(?:(?P<source>[A-Za-z_][\w.-]*)->)?(?P<layer>[A-Za-z_][\w.-]*)(?:\[(?P<types>[^\]]*)\])?"
    r"(?::(?P<space>[^@/]+))?(?:@(?P<frames>[-\d:]*))?(?:/(?P<flag>[^/]*))?$"
)
BY_SOURCE = "by_source"
"""The flag of a current probe split by source type (``.../by_source``)."""


@dataclass(frozen=True)
class Probe:
    """What to record from one layer of a circuit (or :data:`READOUT`, the decoder).

    ``cell_types``: type indices or names (None: every type). ``space``: ``"centre"`` (unit
    ``(y // 2, x // 2)``), ``"position"`` (the unit ``position``), ``"positions"`` (the units
    ``positions``, along ``unit``), ``"mean"`` or ``"max"`` over the map, or ``"full"`` (keeps
    ``y``, ``x``); units are 0-based ``(y, x)`` of the layer's map. ``frames``: ``(start,
    stop, step)`` of a slice (None: every frame). ``name``: the data variable's (default
    ``<layer>`` for full maps, ``<layer>_pos_<y>_<x>``, ``<layer>_<space>``, or ``readout``).

    A *current probe* (``source`` set: a layer or ``"input"``) records instead the drive the
    connection ``source -> layer`` delivers to ``layer``'s types, signed and with its bias
    (:mod:`retinasim.recording.currents`); ``by_source`` splits it by source type (an extra
    dimension ``source_type``, the bias its own entry). Its default name puts
    ``<layer>_from_<source>`` (``_by_source``) in place of ``<layer>``, e.g.
    ``ganglion_from_amacrine_centre``.
    """

    layer: str
    cell_types: tuple[int | str, ...] | None = None
    space: Space = "centre"
    position: tuple[int, int] | None = None
    frames: tuple[int | None, int | None, int | None] | None = None
    name: str | None = None
    positions: tuple[tuple[int, int], ...] | None = None
    source: str | None = None
    by_source: bool = False

    def __post_init__(self) -> None:
        if self.by_source and self.source is None:
            raise RecordingError(
                f"probe {self.layer!r}: by_source splits the drive of a connection; write "
                f"SOURCE->{self.layer}.../by_source (a layer probe records activity)"
            )
        if self.source is not None and self.layer == READOUT:
            raise RecordingError(
                f"probe {self.source}->{READOUT}: the decoder is not a layer with connections"
            )
        if self.space not in SPACES:
            raise RecordingError(
                f"probe {self.layer!r}: unknown spatial read-out {self.space!r} "
                f"(choose from {', '.join(SPACES)})"
            )
        if (self.space == "position") != (self.position is not None):
            raise RecordingError(
                f"probe {self.layer!r}: a position (y, x) goes with space='position' only"
            )
        if (self.space == "positions") != bool(self.positions):
            raise RecordingError(
                f"probe {self.layer!r}: positions ((y, x), ...) go with space='positions' only "
                "(at least one)"
            )
        if self.frames and self.frames[2] is not None and self.frames[2] < 1:
            raise RecordingError(
                f"probe {self.variable!r}: the frame step must be at least 1, got "
                f"{self.frames[2]} (START:STOP:STEP, e.g. @::2; frames stay in time order)"
            )
        if self.positions:
            object.__setattr__(
                self, "positions", tuple((int(y), int(x)) for y, x in self.positions)
            )

    @property
    def variable(self) -> str:
        """Name of the data variable this probe fills."""
        if self.name:
            return self.name
        if self.layer == READOUT:
            return READOUT
        stem = self.layer
        if self.source is not None:
            stem += f"_from_{self.source}" + ("_by_source" if self.by_source else "")
        if self.space == "full":
            return stem
        if self.space == "position":
            assert self.position is not None
            return f"{stem}_pos_{self.position[0]}_{self.position[1]}"
        return f"{stem}_{self.space}"

    @property
    def connection(self) -> str | None:
        """The probed connection ``"<source>-><layer>"`` of a current probe, else None."""
        return None if self.source is None else f"{self.source}->{self.layer}"

    @property
    def keeps_space(self) -> bool:
        """Whether the variable keeps the ``y``, ``x`` dimensions."""
        return self.layer != READOUT and self.space == "full"

    def frame_indices(self, frames: int) -> np.ndarray:
        """The recorded frame indices, ``(n,)`` int, for a video of ``frames`` frames."""
        chosen = np.arange(frames)[slice(*self.frames)] if self.frames else np.arange(frames)
        if chosen.size == 0:
            raise RecordingError(f"probe {self.variable!r}: frames {self.frames} select nothing")
        return chosen

    def reduce(self, activity: torch.Tensor) -> torch.Tensor:
        """Spatial read-out of ``activity (batch, types, time, y, x)`` (types and frames
        already selected): ``(batch, types, time)``, ``(batch, types, time, unit)`` for
        ``positions`` or, for ``full``, unchanged."""
        if self.space == "full":
            return activity
        if self.space == "positions":
            units = torch.as_tensor(self.positions, device=activity.device)  # (unit, 2)
            return activity[:, :, :, units[:, 0], units[:, 1]]
        if self.space == "mean":
            return activity.mean(dim=(3, 4))
        if self.space == "max":
            return activity.amax(dim=(3, 4))
        y, x = self.unit((activity.shape[3], activity.shape[4]))
        return activity[:, :, :, y, x]

    def unit(self, size: tuple[int, int]) -> tuple[int, int]:
        """The ``(y, x)`` unit read by ``centre`` or ``position`` on a map of ``size``."""
        if self.space == "centre":
            return size[0] // 2, size[1] // 2
        assert self.position is not None
        y, x = self.position
        self.unit_inside(y, x, size)
        return y, x

    def unit_inside(self, y: int, x: int, size: tuple[int, ...]) -> None:
        """Refuse a unit ``(y, x)`` outside a map of ``size`` (RecordingError)."""
        if not (0 <= y < size[0] and 0 <= x < size[1]):
            raise RecordingError(
                f"probe {self.variable!r}: position ({y}, {x}) is outside the {self.layer} "
                f"map of {size[0]} x {size[1]} units"
            )


def parse_probe(text: str) -> Probe:
    """A :class:`Probe` from a spec string such as ``amacrine[0,2]:full`` (module docstring);
    :class:`RecordingError` when it does not follow ``LAYER[TYPES]:SPACE@FRAMES``."""
    found = _SPEC.match(text.strip())
    if not found:
        raise RecordingError(
            f"bad probe {text!r}: expected LAYER[TYPES]:SPACE@FRAMES, e.g. ganglion:centre, "
            "bipolar:mean, amacrine[0,2]:full, ganglion:pos=3,4, readout, or a connection "
            "SOURCE->TARGET[TYPES]:SPACE@FRAMES[/by_source], e.g. amacrine->ganglion:centre"
        )
    layer, source, flag = found["layer"], found["source"], found["flag"]
    if flag is not None and flag != BY_SOURCE:
        raise RecordingError(
            f"bad probe {text!r}: unknown flag /{flag} (a connection probe takes /{BY_SOURCE})"
        )
    if source is not None and layer == READOUT:
        raise RecordingError(f"bad probe {text!r}: the decoder is not a layer with connections")
    types = _parse_types(found["types"], text)
    space_text = (found["space"] or ("centre" if layer != READOUT else "")).strip()
    position = None
    if space_text.startswith("pos="):
        try:
            y, x = (int(piece) for piece in space_text[4:].split(","))
        except ValueError:
            raise RecordingError(f"bad probe {text!r}: pos=Y,X needs two integers") from None
        position, space_text = (y, x), "position"
    if layer == READOUT:
        if types is not None or space_text:
            raise RecordingError(f"bad probe {text!r}: readout takes no types or space")
        space_text = "centre"
    if space_text not in SPACES or (space_text == "position" and position is None):
        raise RecordingError(
            f"bad probe {text!r}: unknown spatial read-out {space_text!r} "
            "(centre, mean, max, full or pos=Y,X)"
        )
    frames = _parse_frames(found["frames"], text)
    if flag is not None and source is None:
        raise RecordingError(
            f"bad probe {text!r}: /{BY_SOURCE} splits the drive of a connection; write "
            f"SOURCE->{layer}.../{BY_SOURCE} (a layer probe records activity)"
        )
    return Probe(
        layer,
        types,
        space_text,  # type: ignore[arg-type]
        position,
        frames,
        source=source,
        by_source=flag is not None,
    )


def _parse_types(text: str | None, spec: str) -> tuple[int | str, ...] | None:
    if text is None:
        return None
    pieces = [piece.strip() for piece in text.split(",") if piece.strip()]
    if not pieces:
        raise RecordingError(f"bad probe {spec!r}: empty cell-type list []")
    return tuple(int(piece) if re.fullmatch(r"\d+", piece) else piece for piece in pieces)


def _parse_frames(text: str | None, spec: str) -> tuple[int | None, int | None, int | None] | None:
    if text is None:
        return None
    try:
        values = [int(part) if part else None for part in text.split(":")]
    except ValueError:
        values = []
    if not 1 <= len(values) <= 3:
        raise RecordingError(f"bad probe {spec!r}: frames are a slice START:STOP:STEP")
    if len(values) == 1:  # a single frame
        start = values[0]
        values.append(None if start in (None, -1) else start + 1)
    start, stop, step = [*values, None][:3]
    return start, stop, step
