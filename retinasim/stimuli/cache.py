"""An optional on-disk copy of a stimulus set, for users who want a fixed data-set file.

The file is a zip archive (readable by ``numpy.load`` as an ``.npz``) holding
``manifest.json`` (format and version, the generator's kind and parameters, ``seed``,
``start``, ``count``, video shape, classes and batch attrs), ``video/000000.npy`` ... (each
stimulus as uint8 ``(1, frames, height, width)``, luminance ``round(255 * L)``, deflated),
``labels.npy`` (tasks only) and ``metadata/<name>.npy`` (per-trial arrays ``(count,)``).
Items are read lazily; zip's CRC-32 catches corrupted bytes (any damaged or foreign file
raises :class:`~retinasim.errors.StimulusError`). The file is written under a temporary name
and renamed into place.
"""

from __future__ import annotations

import io
import json
import os
import zipfile
import zlib
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset

from retinasim.errors import StimulusError
from retinasim.plugins import generator_from_parameters
from retinasim.stimuli.base import StimulusGenerator, check_seed
from retinasim.stimuli.batch import StimulusBatch
from retinasim.stimuli.preview import to_uint8
from retinasim.util.files import atomic_path

FORMAT = "retinasim-stimulus-cache"
VERSION = 1
_CORRUPTION = (zipfile.BadZipFile, zlib.error, KeyError, ValueError, EOFError, OSError, TypeError)


def _npy_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, np.ascontiguousarray(array), allow_pickle=False)
    return buffer.getvalue()


def write_cache(
    path: str | os.PathLike,
    generator: StimulusGenerator,
    *,
    seed: int,
    count: int,
    start: int = 0,
    batch_size: int = 16,
) -> Path:
    """Render stimuli ``start ... start + count - 1`` of set ``seed`` and store them at ``path``.

    Returns the path written. Videos are quantised to uint8 (error at most 1/510 in luminance).
    """
    seed = check_seed(seed)
    if count < 1 or start < 0 or batch_size < 1:
        raise StimulusError(
            f"need count >= 1, start >= 0, batch_size >= 1; got {count}, {start}, {batch_size}"
        )
    target = Path(path)
    if not target.parent.is_dir():
        raise StimulusError(f"cannot write cache {target}: folder {target.parent} does not exist")
    with atomic_path(target) as temporary:
        parts = []
        with zipfile.ZipFile(temporary, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
            for first in range(start, start + count, batch_size):
                batch = generator.generate_range(
                    first, min(batch_size, start + count - first), seed=seed
                )
                for offset, video in enumerate(to_uint8(batch.video)):
                    archive.writestr(f"video/{first - start + offset:06d}.npy", _npy_bytes(video))
                parts.append(replace(batch, video=batch.video[:, :, :0]))  # all but the pixels
            whole = StimulusBatch.concatenate(parts)
            for name, values in whole.metadata.items():
                archive.writestr(f"metadata/{name}.npy", _npy_bytes(values))
            if whole.labels is not None:
                archive.writestr("labels.npy", _npy_bytes(whole.labels.cpu().numpy()))
            manifest = {
                "format": FORMAT,
                "version": VERSION,
                "kind": generator.kind,
                "parameters": generator.model_dump(mode="json"),
                "seed": seed,
                "start": start,
                "count": count,
                "video_shape": [1, generator.frames, generator.height, generator.width],
                "classes": list(generator.classes),
                "metadata": list(whole.metadata),
                "attrs": whole.attrs,
            }
            archive.writestr("manifest.json", json.dumps(manifest, indent=1))
    return target


class StimulusCache(Dataset):
    """A cache file written by :func:`write_cache`, as a map-style set.

    Item ``i`` (stimulus ``start + i``) is ``(video, label)`` for a task and ``video`` otherwise,
    video float32 ``(1, frames, height, width)`` in ``[0, 1]``. Attributes ``generator``,
    ``seed``, ``start``, ``labels`` (int64 ``(count,)`` or None) and ``metadata`` describe the set.
    """

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise StimulusError(f"stimulus cache {self.path} does not exist")
        self._archive: zipfile.ZipFile | None = None
        self._pid = -1
        try:
            manifest = json.loads(self._zip().read("manifest.json"))
            if manifest.get("format") != FORMAT or manifest.get("version") != VERSION:
                raise ValueError(f"not a {FORMAT} version {VERSION} file")
            self.manifest: dict[str, Any] = manifest
            self.count = int(manifest["count"])
            self.metadata = {
                name: self._array(f"metadata/{name}.npy") for name in manifest["metadata"]
            }
            self.labels = (
                torch.from_numpy(self._array("labels.npy").astype(np.int64))
                if manifest["classes"]
                else None
            )
            for name, values in self.metadata.items():
                if values.shape != (self.count,):
                    raise ValueError(
                        f"metadata {name!r} has shape {values.shape}, expected ({self.count},)"
                    )
        except _CORRUPTION as error:
            raise self._corrupt(error) from None
        self.generator = generator_from_parameters(manifest["kind"], manifest["parameters"])
        self.seed = int(manifest["seed"])
        self.start = int(manifest["start"])

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_archive"], state["_pid"] = None, -1  # open file handles do not cross processes
        return state

    def _zip(self) -> zipfile.ZipFile:
        if self._archive is None or self._pid != os.getpid():  # one handle per worker process
            try:
                self._archive = zipfile.ZipFile(self.path)
            except _CORRUPTION as error:
                raise self._corrupt(error) from None
            self._pid = os.getpid()
        return self._archive

    def _corrupt(self, error: Exception) -> StimulusError:
        return StimulusError(f"stimulus cache {self.path} is corrupt or not a cache: {error}")

    def _array(self, name: str) -> np.ndarray:
        return np.lib.format.read_array(io.BytesIO(self._zip().read(name)), allow_pickle=False)

    def __len__(self) -> int:
        return self.count

    def video(self, position: int) -> torch.Tensor:
        """Video of item ``position``: float32 ``(1, frames, height, width)`` in ``[0, 1]``."""
        if not 0 <= position < self.count:
            raise IndexError(f"item {position} out of range for a cache of {self.count}")
        try:
            frames = self._array(f"video/{position:06d}.npy")
            if frames.dtype != np.uint8 or list(frames.shape) != self.manifest["video_shape"]:
                raise ValueError(
                    f"video {position} has dtype {frames.dtype} and shape {frames.shape}"
                )
        except _CORRUPTION as error:
            raise self._corrupt(error) from None
        return torch.from_numpy(frames).to(torch.float32).div_(255.0)

    def __getitem__(self, position: int) -> Any:
        video = self.video(position)
        return video if self.labels is None else (video, self.labels[position])

    def batch(self, positions: list[int] | range) -> StimulusBatch:
        """Items ``positions`` as a :class:`StimulusBatch`."""
        chosen = np.asarray(list(positions), dtype=np.int64)
        return StimulusBatch(
            video=torch.stack([self.video(int(position)) for position in chosen]),
            metadata={name: values[chosen] for name, values in self.metadata.items()},
            labels=None if self.labels is None else self.labels[chosen],
            classes=tuple(self.manifest["classes"]),
            attrs=dict(self.manifest["attrs"]),
        )

    def verify(self, batch_size: int = 16) -> float:
        """Re-render the set from its parameters; return the largest luminance difference.

        Raises StimulusError when any pixel differs by more than uint8 quantisation (1/510).
        """
        worst = 0.0
        for first in range(0, self.count, batch_size):
            positions = range(first, min(first + batch_size, self.count))
            fresh = self.generator.generate_range(
                self.start + first, len(positions), seed=self.seed
            )
            stored = self.batch(positions)
            worst = max(worst, float((fresh.video - stored.video).abs().max()))
        if worst > 0.5 / 255 + 1e-6:
            raise StimulusError(
                f"stimulus cache {self.path} does not match its parameters "
                f"(max difference {worst:.4f})"
            )
        return worst
