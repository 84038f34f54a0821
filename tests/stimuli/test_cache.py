"""On-disk caches: round trip, verification, atomic writing, corruption caught."""

from __future__ import annotations

import pickle
import zipfile

import numpy as np
import pytest
import torch

from retinasim.errors import StimulusError
from retinasim.stimuli import MovingDots, StimulusCache, WhiteNoise, write_cache

TASK = MovingDots(height=24, width=40, frames=6, mean_dots_in_view=3.0)


def test_round_trip_matches_the_generator_within_uint8_quantisation(tmp_path):
    path = write_cache(tmp_path / "train.npz", TASK, seed=4, count=5, start=10, batch_size=2)
    assert [p.name for p in tmp_path.iterdir()] == ["train.npz"]  # no temporary left behind
    cache = StimulusCache(path)
    fresh = TASK.generate_range(10, 5, seed=4)
    assert len(cache) == 5 and cache.seed == 4 and cache.start == 10
    assert cache.generator == TASK
    video, label = cache[2]
    assert video.shape == (1, 6, 24, 40) and video.dtype == torch.float32
    assert float((video - fresh.video[2]).abs().max()) <= 0.5 / 255 + 1e-7
    assert int(label) == int(fresh.labels[2])
    stored = cache.batch(range(5))
    np.testing.assert_array_equal(stored.metadata["s"], fresh.metadata["s"])
    assert torch.equal(stored.labels, fresh.labels) and stored.classes == ("left", "right")
    assert cache.verify() <= 0.5 / 255 + 1e-7
    assert np.load(path)["labels"].tolist() == fresh.labels.tolist()  # a plain .npz too
    copy = pickle.loads(pickle.dumps(cache))  # for DataLoader workers started by spawn
    assert torch.equal(copy[4][0], cache[4][0])


def test_caches_of_unlabelled_stimuli(tmp_path):
    cache = StimulusCache(
        write_cache(
            tmp_path / "noise.npz", WhiteNoise(height=8, width=8, frames=3), seed=0, count=2
        )
    )
    assert cache.labels is None and cache[1].shape == (1, 3, 8, 8)


def test_corrupted_truncated_or_foreign_files_raise_stimulus_error(tmp_path):
    path = write_cache(tmp_path / "set.npz", TASK, seed=1, count=3)
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        entry = archive.getinfo("video/000001.npy")
    flipped = tmp_path / "flipped.npz"
    data[entry.header_offset + 30 + len(entry.filename) + 40] ^= 0xFF  # inside compressed data
    flipped.write_bytes(bytes(data))
    with pytest.raises(StimulusError, match="corrupt"):
        StimulusCache(flipped)[1]
    truncated = tmp_path / "truncated.npz"
    truncated.write_bytes(path.read_bytes()[: len(data) // 2])
    with pytest.raises(StimulusError, match="corrupt"):
        StimulusCache(truncated)
    foreign = tmp_path / "foreign.npz"
    np.savez(foreign, video=np.zeros(3))
    with pytest.raises(StimulusError, match="corrupt or not a cache"):
        StimulusCache(foreign)
    with pytest.raises(StimulusError, match="does not exist"):
        StimulusCache(tmp_path / "missing.npz")


def test_a_cache_that_disagrees_with_its_parameters_fails_verification(tmp_path):
    path = write_cache(tmp_path / "set.npz", TASK, seed=1, count=2)
    with zipfile.ZipFile(path) as archive:
        entries = {name: archive.read(name) for name in archive.namelist()}
    entries["manifest.json"] = entries["manifest.json"].replace(b'"seed": 1', b'"seed": 2')
    tampered = tmp_path / "tampered.npz"
    with zipfile.ZipFile(tampered, "w") as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    with pytest.raises(StimulusError, match="does not match its parameters"):
        StimulusCache(tampered).verify()


def test_failed_write_leaves_nothing(tmp_path):
    class Failing(MovingDots):
        def _render(self, request):
            raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        write_cache(tmp_path / "x.npz", Failing(height=12, width=20, frames=2), seed=0, count=2)
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(StimulusError, match="does not exist"):
        write_cache(tmp_path / "no" / "x.npz", TASK, seed=0, count=1)
