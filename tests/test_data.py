"""course_lib.data: the digits splits, and MNIST's IDX files read (and refused) correctly."""

from __future__ import annotations

import gzip
import struct

import numpy as np
import pytest
import torch

from course_lib import data


def test_digits_splits_are_complete_disjoint_stratified_and_seeded():
    splits = data.load_digits()
    sizes = [len(splits.train), len(splits.val), len(splits.test)]
    assert sum(sizes) == 1797 and sizes == [1257, 270, 270]
    x, y = splits.train.tensors
    assert x.dtype == torch.float32 and y.dtype == torch.int64 and x.shape[1] == splits.features == 64
    # standardized with the training split: mean 0, and std 1 wherever a pixel varies
    assert x.mean(dim=0).abs().max() < 1e-5
    std = x.std(dim=0, unbiased=False)
    assert ((std - 1).abs() < 1e-4).logical_or(std < 1e-6).all()
    # stratified (in two stages): every class share within 1.5 examples of the whole set; random splits miss by ~5
    counts = [torch.bincount(s.tensors[1], minlength=10).double() for s in (splits.train, splits.val, splits.test)]
    whole = sum(counts)
    for c, n in zip(counts, sizes, strict=True):
        assert ((c - whole * n / 1797).abs() <= 1.5).all()
    # disjoint: no image appears in two splits
    rows = {tuple(r.tolist()) for s in (splits.train, splits.val, splits.test) for r in s.tensors[0]}
    assert len(rows) >= 1797 - 20  # the digits data itself holds a few exact duplicates
    again = data.load_digits()
    assert torch.equal(again.train.tensors[0], x)
    other = data.load_digits(seed=1)
    assert not torch.equal(other.train.tensors[1], y)
    assert "digits: train 1257, val 270, test 270" in repr(splits)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(val_fraction=0), r"val_fraction must be a number strictly between 0 and 1, got 0"),
        (dict(test_fraction=1.5), r"test_fraction must be a number strictly between 0 and 1, got 1\.5"),
        (dict(val_fraction=0.5, test_fraction=0.45), r"must leave at least 10% for training"),
    ],
)
def test_digits_refuses_impossible_fractions(kwargs, message):
    with pytest.raises(ValueError, match=message):
        data.load_digits(**kwargs)


def test_loaders_shuffle_repeatably_and_check_batch_size():
    splits = data.load_digits()
    first = next(iter(splits.loaders(16, seed=3)[0]))[1]
    again = next(iter(splits.loaders(16, seed=3)[0]))[1]
    other = next(iter(splits.loaders(16, seed=4)[0]))[1]
    assert torch.equal(first, again) and not torch.equal(first, other)
    with pytest.raises(ValueError, match=r"batch_size must be a whole number >= 1, got 0"):
        splits.loaders(0)


# ---------------------------------------------------------------------------------------------------------
# IDX files written by the tests themselves
# ---------------------------------------------------------------------------------------------------------


def idx_bytes(array: np.ndarray) -> bytes:
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(struct.pack(">I", d) for d in array.shape)
    return header + array.astype(np.uint8).tobytes()


def write_mnist(folder, n_train=60, n_test=20, compress=False, rows=4, cols=5):
    rng = np.random.default_rng(0)
    parts = {
        "train-images-idx3-ubyte": rng.integers(0, 256, (n_train, rows, cols)),
        "train-labels-idx1-ubyte": np.arange(n_train) % 10,
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (n_test, rows, cols)),
        "t10k-labels-idx1-ubyte": np.arange(n_test) % 10,
    }
    for name, array in parts.items():
        raw = idx_bytes(array)
        if compress:
            (folder / f"{name}.gz").write_bytes(gzip.compress(raw))
        else:
            (folder / name).write_bytes(raw)
    return parts


@pytest.mark.parametrize("compress", [False, True], ids=["raw", "gz"])
def test_mnist_reads_idx_files_raw_and_gzipped(tmp_path, compress):
    (tmp_path / "MNIST" / "raw").mkdir(parents=True)
    parts = write_mnist(tmp_path / "MNIST" / "raw", compress=compress)
    splits = data.load_mnist(tmp_path, val_size=10)
    assert [len(splits.train), len(splits.val), len(splits.test)] == [50, 10, 20]
    assert splits.image_shape == (4, 5) and splits.features == 20
    # the test split keeps the official order; its pixels are the file's, scaled with the training statistics
    assert torch.equal(splits.test.tensors[1], torch.tensor(parts["t10k-labels-idx1-ubyte"]))
    x = parts["train-images-idx3-ubyte"].reshape(60, -1) / 255
    assert np.isclose(splits.train.tensors[0].numpy().mean(), 0.0, atol=1e-5)
    assert data.read_idx(
        tmp_path / "MNIST" / "raw" / ("train-images-idx3-ubyte" + (".gz" if compress else ""))
    ).shape == (
        60,
        4,
        5,
    )
    assert x.shape == (60, 20)


def test_mnist_missing_folder_and_files_are_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="is not a folder"):
        data.load_mnist(tmp_path / "nowhere")
    with pytest.raises(FileNotFoundError, match=r"no train-images-idx3-ubyte \(or train-images-idx3-ubyte\.gz\)"):
        data.load_mnist(tmp_path)


def test_truncated_and_malformed_idx_files_name_the_file_and_the_fault(tmp_path):
    good = idx_bytes(np.zeros((3, 2, 2)))
    cases = {
        "short.idx": (good[:-1], r"short\.idx: truncated: the header announces shape \(3, 2, 2\) \(12 bytes"),
        "long.idx": (good + b"\x00", r"long\.idx: too long"),
        "magic.idx": (b"\x01" + good[1:], r"magic\.idx: not an IDX file \(its first two bytes must be 0, got 1, 0\)"),
        "type.idx": (good[:2] + b"\x07" + good[3:], r"type\.idx: unknown IDX data type code 0x07"),
        "header.idx": (good[:6], r"header\.idx: truncated header \(needs 16 bytes for 3 dimensions, has 6\)"),
        "tiny.idx": (b"\x00", r"tiny\.idx: too short to be an IDX file"),
    }
    for name, (raw, message) in cases.items():
        (tmp_path / name).write_bytes(raw)
        with pytest.raises(ValueError, match=message):
            data.read_idx(tmp_path / name)
    (tmp_path / "cut.gz").write_bytes(gzip.compress(good)[:-6])
    with pytest.raises(ValueError, match=r"cut\.gz: cannot be read as gzip"):
        data.read_idx(tmp_path / "cut.gz")


def test_mnist_with_a_truncated_file_or_mismatched_labels_is_refused(tmp_path):
    write_mnist(tmp_path)
    labels = tmp_path / "t10k-labels-idx1-ubyte"
    labels.write_bytes(labels.read_bytes()[:-3])
    with pytest.raises(ValueError, match=r"t10k-labels-idx1-ubyte: truncated"):
        data.load_mnist(tmp_path, val_size=10)
    labels.write_bytes(idx_bytes(np.arange(19) % 10))
    with pytest.raises(ValueError, match=r"t10k-labels-idx1-ubyte: 19 labels for 20 images in the test set"):
        data.load_mnist(tmp_path, val_size=10)
    labels.write_bytes(idx_bytes(np.full(20, 12)))
    with pytest.raises(ValueError, match=r"labels must be digits 0-9, found 12"):
        data.load_mnist(tmp_path, val_size=10)
