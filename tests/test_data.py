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


# ---------------------------------------------------------------------------------------------------------
# MNIST-1D, generated by the mnist1d package (never downloaded)
# ---------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mnist1d():
    return data.load_mnist1d()


def test_mnist1d_splits_are_the_packages_test_set_and_a_stratified_seeded_validation_set(mnist1d):
    from mnist1d.data import get_dataset_args, make_dataset

    sizes = [len(mnist1d.train), len(mnist1d.val), len(mnist1d.test)]
    assert sizes == [3400, 600, 1000] and mnist1d.features == 40 and mnist1d.classes == 10
    assert repr(mnist1d) == "Splits(MNIST-1D: train 3400, val 600, test 1000; signals of length 40, 10 classes)"
    x, y = mnist1d.train.tensors
    assert x.dtype == torch.float32 and y.dtype == torch.int64 and x.shape == (3400, 40)
    # one mean and one std over all training values (not per position): the whole training split is 0 and 1
    assert abs(x.mean().item()) < 1e-5 and abs(x.std(unbiased=False).item() - 1) < 1e-4
    per_position = x.std(dim=0, unbiased=False)
    assert (per_position - 1).abs().max() > 0.1, "per-position standardization would give every position std 1"
    # the test split is the package's own test set, in its order, scaled like the training split
    state = np.random.get_state()  # noqa: NPY002 (make_dataset seeds NumPy's global generator; restore it)
    made = make_dataset(get_dataset_args())
    np.random.set_state(state)  # noqa: NPY002
    assert torch.equal(mnist1d.test.tensors[1], torch.from_numpy(made["y_test"]).long())
    test_x = mnist1d.test.tensors[0].double().numpy()
    scale = np.corrcoef(test_x.ravel(), made["x_test"].ravel())[0, 1]
    assert scale > 0.999999, "the test split is an affine rescaling of the package's test signals"
    # train + val together are exactly the package's training set (as a multiset of labels and of signal sums)
    labels = torch.cat([mnist1d.train.tensors[1], mnist1d.val.tensors[1]])
    assert torch.equal(torch.bincount(labels), torch.from_numpy(np.bincount(made["y"])))
    both = torch.cat([mnist1d.train.tensors[0], mnist1d.val.tensors[0]]).double().numpy()
    ours = np.sort(both.sum(axis=1))
    theirs = np.sort(made["x"].sum(axis=1))
    assert np.corrcoef(ours, theirs)[0, 1] > 0.999999
    # stratified: each class's count in val within 1 of its share
    counts = torch.bincount(mnist1d.val.tensors[1], minlength=10).double()
    whole = torch.from_numpy(np.bincount(made["y"], minlength=10)).double()
    assert ((counts - whole * 600 / 4000).abs() <= 1).all()


def test_mnist1d_is_identical_on_every_call_and_seeded(mnist1d):
    again = data.load_mnist1d()
    for a, b in zip((mnist1d.train, mnist1d.val, mnist1d.test), (again.train, again.val, again.test), strict=True):
        assert torch.equal(a.tensors[0], b.tensors[0]) and torch.equal(a.tensors[1], b.tensors[1])
    other = data.load_mnist1d(seed=1)
    assert not torch.equal(other.val.tensors[1], mnist1d.val.tensors[1])
    assert torch.equal(other.test.tensors[1], mnist1d.test.tensors[1]), "the test set does not depend on seed"
    # a learner's tensor edited in place does not reach the next call
    again.train.tensors[0][0, 0] = 1e6
    assert data.load_mnist1d().train.tensors[0][0, 0] != 1e6


def test_mnist1d_leaves_the_global_random_generators_alone():
    import random

    np.random.seed(123)  # noqa: NPY002 (the global generator is what mnist1d would disturb)
    random.seed(123)
    expected = np.random.rand(), random.random()  # noqa: NPY002
    np.random.seed(123)  # noqa: NPY002
    random.seed(123)
    data.load_mnist1d(num_samples=200, data_seed=7, val_size=20)  # a size not cached yet: make_dataset really runs
    assert (np.random.rand(), random.random()) == expected  # noqa: NPY002


def test_mnist1d_never_downloads(monkeypatch):
    import mnist1d.data

    def no_download(*args, **kwargs):
        raise AssertionError("get_dataset would download; load_mnist1d must generate the data itself")

    monkeypatch.setattr(mnist1d.data, "get_dataset", no_download)
    monkeypatch.setattr("requests.get", no_download)
    data._mnist1d_arrays.cache_clear()
    splits = data.load_mnist1d(num_samples=300, data_seed=3, val_size=20)
    assert [len(splits.train), len(splits.val), len(splits.test)] == [220, 20, 60]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(val_size=0), r"val_size must be a whole number between 10 and 3990, got 0"),
        (dict(val_size=4000), r"val_size must be a whole number between 10 and 3990, got 4000"),
        (dict(val_size=0.2), r"val_size must be a whole number between 10 and 3990, got 0\.2"),
        (dict(num_samples=50), r"num_samples must be a whole number between 100 and 1000000, got 50"),
        (dict(seed=-1), r"seed must be a whole number between 0 and 4294967295, got -1"),
        (dict(data_seed="42"), r"data_seed must be a whole number between 0 and 4294967295, got '42'"),
    ],
)
def test_mnist1d_refuses_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        data.load_mnist1d(**kwargs)
