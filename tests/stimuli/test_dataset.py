"""Data sets: map-style items, DataLoader batches, disjoint on-the-fly batches, shuffling."""

from __future__ import annotations

import pytest
import torch
from torch.utils.data import DataLoader

from retinasim.errors import StimulusError
from retinasim.stimuli import (
    Flashes,
    MovingDots,
    MovingDotsDataset,
    StimulusBatch,
    StimulusBatches,
    StimulusDataset,
)

TASK = MovingDots(height=24, width=40, frames=6, mean_dots_in_view=3.0)


def test_items_are_stimuli_of_the_seeded_set():
    dataset = MovingDotsDataset(TASK, seed=5, length=10, start=100)
    assert len(dataset) == 10
    video, label = dataset[3]
    reference = TASK.generate([103], seed=5)
    assert video.shape == (1, 6, 24, 40) and label.dtype == torch.int64
    assert torch.equal(video, reference.video[0]) and int(label) == int(reference.labels[0])
    with pytest.raises(IndexError):
        dataset[10]
    assert MovingDotsDataset().generator == MovingDots() and len(MovingDotsDataset()) == 1000


def test_dataloader_batches_equal_one_vectorised_generate():
    loader = DataLoader(MovingDotsDataset(TASK, seed=2, length=8), batch_size=4)
    videos, labels = next(iter(loader))
    reference = TASK.generate_range(0, 4, seed=2)
    assert videos.shape == (4, 1, 6, 24, 40)
    assert torch.equal(videos, reference.video) and torch.equal(labels, reference.labels)


def test_train_and_test_sets_differ_by_seed():
    train = MovingDotsDataset(TASK, seed=0, length=4)
    test = MovingDotsDataset(TASK, seed=1, length=4)
    assert not torch.equal(train[0][0], test[0][0])


def test_generic_dataset_yields_videos_without_labels():
    dataset = StimulusDataset(Flashes(height=4, width=4, frames=3), seed=0, length=2)
    assert dataset[1].shape == (1, 3, 4, 4)
    with pytest.raises(StimulusError, match="MovingDots"):
        MovingDotsDataset(Flashes(), seed=0, length=2)
    with pytest.raises(StimulusError, match="length must be an integer >= 1"):
        StimulusDataset(TASK, seed=0, length=0)


def test_batches_cover_disjoint_consecutive_ranges():
    batches = list(StimulusBatches(TASK, seed=3, batch_size=4, length=10, start=20))
    assert [len(batch) for batch in batches] == [4, 4, 2]
    indices = [list(batch.metadata["index"]) for batch in batches]
    assert indices == [[20, 21, 22, 23], [24, 25, 26, 27], [28, 29]]
    assert all(isinstance(batch, StimulusBatch) and batch.labels is not None for batch in batches)
    assert len(StimulusBatches(TASK, seed=3, batch_size=4, length=10, drop_last=True)) == 2
    stream = iter(StimulusBatches(TASK, seed=3, batch_size=2))  # endless: fresh stimuli
    assert [list(next(stream).metadata["index"]) for _ in range(3)] == [[0, 1], [2, 3], [4, 5]]


def test_shuffled_batches_are_a_permutation_that_changes_with_the_epoch():
    sampler = StimulusBatches(TASK, seed=3, batch_size=3, length=9, start=10, shuffle=True)
    first = [i for batch in sampler for i in batch.metadata["index"]]
    again = [i for batch in sampler for i in batch.metadata["index"]]
    sampler.set_epoch(1)
    other = [i for batch in sampler for i in batch.metadata["index"]]
    assert sorted(first) == list(range(10, 19)) and first == again and other != first
    assert sorted(other) == sorted(first)


def test_worker_processes_split_batches_without_repeats():
    sampler = StimulusBatches(TASK, seed=1, batch_size=2, length=8)
    loader = DataLoader(sampler, batch_size=None, num_workers=2)
    seen = sorted(i for batch in loader for i in batch.metadata["index"])
    assert seen == list(range(8))


def test_batch_selection_concatenation_and_device_move():
    batch = TASK.generate_range(0, 4, seed=0)
    part = batch.select([2, 0])
    assert list(part.metadata["index"]) == [2, 0]
    assert torch.equal(part.video[1], batch.video[0])
    joined = StimulusBatch.concatenate([batch.select(slice(0, 2)), batch.select(slice(2, 4))])
    assert torch.equal(joined.video, batch.video) and torch.equal(joined.labels, batch.labels)
    assert batch.to("cpu").device.type == "cpu"
    with pytest.raises(StimulusError, match="same generator"):
        StimulusBatch.concatenate(
            [batch, Flashes(height=24, width=40, frames=6).generate([0], seed=0)]
        )
    with pytest.raises(StimulusError, match="shape"):
        StimulusBatch(video=torch.zeros(2, 6, 24, 40), metadata={})
