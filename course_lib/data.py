"""The course's real data: handwritten digits as tensors, ready for a DataLoader.

``load_digits`` gives the 1,797 handwritten digits (8 x 8 pixels, 10 classes) that ship inside scikit-learn,
so nothing is downloaded. ``load_mnist`` reads MNIST from the four IDX files of a folder a user already has
(raw or gzipped); it never downloads. ``load_mnist1d`` generates MNIST-1D (Greydanus, 2020, "Scaling down
deep learning"), 10 classes of 1-D signals of length 40, on this machine with the ``mnist1d`` package; it never
downloads either. All three return ``Splits``: train, validation and test ``TensorDataset``s of
float32 features (flattened images, standardized with the training split's statistics only, so nothing of
the validation or test data leaks into training) and int64 class labels.

Introduced in notebook 06; ``load_mnist1d`` in notebook 08.
"""

from __future__ import annotations

import functools
import gzip
import math
import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader, TensorDataset

__all__ = ["Splits", "load_digits", "load_mnist", "load_mnist1d", "read_idx"]


@dataclass(frozen=True)
class Splits:
    """Train, validation and test sets of one data set, and what describes them."""

    train: TensorDataset
    val: TensorDataset
    test: TensorDataset
    classes: int
    image_shape: tuple[int, int]
    name: str

    @property
    def features(self) -> int:
        """How many inputs a model needs: the number of pixels per image (of samples per signal)."""
        return self.train.tensors[0].shape[1]

    def loaders(self, batch_size: int = 64, *, seed: int = 0) -> tuple[DataLoader, DataLoader, DataLoader]:
        """(train, val, test) loaders. The training loader reshuffles every epoch from a seeded generator, so a
        run is repeatable; the other two keep their order. Evaluation uses batches of 1024."""
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"batch_size must be a whole number >= 1, got {batch_size!r}")
        gen = torch.Generator().manual_seed(seed)
        train = DataLoader(self.train, batch_size=batch_size, shuffle=True, generator=gen)
        return train, DataLoader(self.val, batch_size=1024), DataLoader(self.test, batch_size=1024)

    def __repr__(self) -> str:
        sizes = ", ".join(f"{n} {len(getattr(self, n))}" for n in ("train", "val", "test"))
        h, w = self.image_shape
        shape = f"signals of length {w}" if h == 1 else f"{h}x{w} images"
        return f"Splits({self.name}: {sizes}; {shape}, {self.classes} classes)"


def _check_fractions(val_fraction: float, test_fraction: float) -> None:
    for name, value in (("val_fraction", val_fraction), ("test_fraction", test_fraction)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < 1:
            raise ValueError(f"{name} must be a number strictly between 0 and 1, got {value!r}")
    if val_fraction + test_fraction >= 0.9:
        raise ValueError(
            f"val_fraction + test_fraction must leave at least 10% for training, got "
            f"{val_fraction!r} + {test_fraction!r} = {val_fraction + test_fraction:.3g}"
        )


def _standardize(train: np.ndarray, *others: np.ndarray) -> list[np.ndarray]:
    """Scale every array with the training array's per-feature mean and standard deviation.

    Pixels that never vary in the training set (four border pixels, for digits) have standard deviation 0;
    they are only centred, not divided, so they stay finite.
    """
    mean = train.mean(axis=0)
    std = train.std(axis=0)
    std[std < 1e-8] = 1.0
    return [((a - mean) / std).astype(np.float32) for a in (train, *others)]


def _datasets(arrays: list[np.ndarray], labels: list[np.ndarray]) -> list[TensorDataset]:
    return [
        TensorDataset(torch.from_numpy(x), torch.from_numpy(y.astype(np.int64)))
        for x, y in zip(arrays, labels, strict=True)
    ]


def load_digits(*, seed: int = 0, val_fraction: float = 0.15, test_fraction: float = 0.15) -> Splits:
    """The digits data set bundled with scikit-learn, split into train / val / test, stratified and seeded.

    1,797 images of 8 x 8 pixels (values 0 to 16), flattened to 64 features and standardized with the training
    split's statistics. Stratified: each split has (almost exactly) the same share of every digit. The same
    seed always gives the same split.
    """
    from sklearn.datasets import load_digits as sklearn_digits
    from sklearn.model_selection import train_test_split

    _check_fractions(val_fraction, test_fraction)
    digits = sklearn_digits()
    x, y = digits.data.astype(np.float64), digits.target
    x_rest, x_test, y_rest, y_test = train_test_split(x, y, test_size=test_fraction, stratify=y, random_state=seed)
    x_train, x_val, y_train, y_val = train_test_split(
        x_rest, y_rest, test_size=val_fraction / (1 - test_fraction), stratify=y_rest, random_state=seed
    )
    arrays = _standardize(x_train, x_val, x_test)
    train, val, test = _datasets(arrays, [y_train, y_val, y_test])
    return Splits(train, val, test, classes=10, image_shape=(8, 8), name="digits")


# --------------------------------------------------------------------------------------------------------
# MNIST from IDX files
# --------------------------------------------------------------------------------------------------------

_MNIST_FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}
_IDX_TYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: np.dtype(">i2"), 0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4")}


def read_idx(path: str | Path) -> np.ndarray:
    """Read one IDX file (the format MNIST ships in), raw or gzipped, checking its header against its size.

    The header is two zero bytes, a type code (0x08 for unsigned bytes), the number of dimensions, then each
    dimension as a big-endian 32-bit integer. A file whose header is malformed or whose data is shorter or
    longer than the header announces raises ValueError naming the file and what is wrong.
    """
    path = Path(path)
    try:
        raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    except (OSError, EOFError) as err:  # gzip raises EOFError for a truncated archive, BadGzipFile for garbage
        raise ValueError(
            f"{path.name}: cannot be read as {'gzip' if path.suffix == '.gz' else 'a file'} ({err})"
        ) from None
    if len(raw) < 4:
        raise ValueError(f"{path.name}: too short to be an IDX file ({len(raw)} bytes; the header alone is 4+)")
    if raw[0] != 0 or raw[1] != 0:
        raise ValueError(f"{path.name}: not an IDX file (its first two bytes must be 0, got {raw[0]}, {raw[1]})")
    code, ndim = raw[2], raw[3]
    if code not in _IDX_TYPES:
        raise ValueError(f"{path.name}: unknown IDX data type code 0x{code:02x}")
    if ndim == 0:
        raise ValueError(f"{path.name}: an IDX file needs at least one dimension, the header says 0")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(f"{path.name}: truncated header (needs {header} bytes for {ndim} dimensions, has {len(raw)})")
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    dtype = np.dtype(_IDX_TYPES[code])
    expected = math.prod(shape) * dtype.itemsize
    found = len(raw) - header
    if found != expected:
        what = "truncated" if found < expected else "too long"
        raise ValueError(
            f"{path.name}: {what}: the header announces shape {shape} ({expected} bytes of data), the file has {found}"
        )
    return np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape)


def _find(root: Path, stem: str) -> Path:
    for name in (stem, f"{stem}.gz"):
        hits = sorted(root.rglob(name))
        if hits:
            return hits[0]
    # torchvision and some mirrors write the dots as in "train-images.idx3-ubyte"
    for name in (stem.replace("-idx", ".idx"), stem.replace("-idx", ".idx") + ".gz"):
        hits = sorted(root.rglob(name))
        if hits:
            return hits[0]
    raise FileNotFoundError(f"no {stem} (or {stem}.gz) under {root}")


def load_mnist(root: str | Path, *, seed: int = 0, val_size: int = 10_000) -> Splits:
    """MNIST from the four IDX files found under ``root`` (searched recursively, raw or .gz); no download.

    The official test set is the test split; ``val_size`` images of the training set, drawn stratified with
    ``seed``, are the validation split. Images are flattened to 784 features and standardized with the training
    split's per-pixel statistics. A missing file raises FileNotFoundError; a malformed one ValueError naming it.
    """
    from sklearn.model_selection import train_test_split

    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"{root} is not a folder; load_mnist(root) needs the folder holding the MNIST files")
    arrays = {key: read_idx(_find(root, stem)) for key, stem in _MNIST_FILES.items()}
    for part in ("train", "test"):
        images, labels = arrays[f"{part}_images"], arrays[f"{part}_labels"]
        if images.ndim != 3 or labels.ndim != 1:
            raise ValueError(
                f"{_MNIST_FILES[f'{part}_images']}: expected images (n, rows, cols) and labels (n,), "
                f"got shapes {images.shape} and {labels.shape}"
            )
        if len(images) != len(labels):
            raise ValueError(
                f"{_MNIST_FILES[f'{part}_labels']}: {len(labels)} labels for {len(images)} images in the {part} set"
            )
        if labels.size and (labels.min() < 0 or labels.max() > 9):
            raise ValueError(f"{_MNIST_FILES[f'{part}_labels']}: labels must be digits 0-9, found {labels.max()}")
    x = arrays["train_images"].reshape(len(arrays["train_images"]), -1).astype(np.float64) / 255
    y = arrays["train_labels"]
    if isinstance(val_size, bool) or not isinstance(val_size, int) or not 0 < val_size < len(x):
        raise ValueError(f"val_size must be a whole number between 1 and {len(x) - 1}, got {val_size!r}")
    x_train, x_val, y_train, y_val = train_test_split(x, y, test_size=val_size, stratify=y, random_state=seed)
    x_test = arrays["test_images"].reshape(len(arrays["test_images"]), -1).astype(np.float64) / 255
    scaled = _standardize(x_train, x_val, x_test)
    train, val, test = _datasets(scaled, [y_train, y_val, arrays["test_labels"]])
    rows, cols = arrays["train_images"].shape[1:]
    return Splits(train, val, test, classes=10, image_shape=(rows, cols), name="MNIST")


# --------------------------------------------------------------------------------------------------------
# MNIST-1D, generated locally
# --------------------------------------------------------------------------------------------------------


def _whole_number(name: str, value, low: int, high: int | None = None) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < low or (high is not None and value > high):
        allowed = f"between {low} and {high}" if high is not None else f">= {low}"
        raise ValueError(f"{name} must be a whole number {allowed}, got {value!r}")


@functools.lru_cache(maxsize=4)
def _mnist1d_arrays(num_samples: int, data_seed: int) -> tuple[np.ndarray, ...]:
    """(x_train, y_train, x_test, y_test) as the mnist1d package generates them; cached, read-only.

    ``make_dataset`` seeds Python's and NumPy's global random generators; their states are saved before and
    restored after, so loading the data does not change what a learner's own ``np.random`` calls return.
    """
    from mnist1d.data import get_dataset_args, make_dataset  # make_dataset only: get_dataset would download
    from mnist1d.utils import ObjectView

    args = get_dataset_args(as_dict=True)
    args.update(num_samples=num_samples, seed=data_seed)
    # the package draws from NumPy's legacy global generator; we can only save and restore that one
    np_state, py_state = np.random.get_state(), random.getstate()  # noqa: NPY002
    try:
        made = make_dataset(ObjectView(args))
    finally:
        np.random.set_state(np_state)  # noqa: NPY002
        random.setstate(py_state)
    arrays = (made["x"], made["y"], made["x_test"], made["y_test"])
    for a in arrays:
        a.setflags(write=False)
    return arrays


def load_mnist1d(*, seed: int = 0, val_size: int = 600, num_samples: int = 5000, data_seed: int = 42) -> Splits:
    """MNIST-1D, generated on this machine by the ``mnist1d`` package (nothing is downloaded), as ``Splits``.

    Each example is a 1-D signal of 40 values: one of ten hand-made templates (the "digits" 0-9), padded,
    stretched, shifted, sheared and overlaid with noise at random (Greydanus, 2020, "Scaling down deep
    learning"). ``mnist1d.data.make_dataset`` draws ``num_samples`` signals (an equal number per class) from
    ``data_seed``; the defaults, 5,000 signals from seed 42, are the package's own, and its first 80% are its
    training set, the last 20% its test set.

    - **test**: the package's test set (1,000 signals by default), in its order: the same for every ``seed``,
      and the split to look at once, after every choice has been made on validation.
    - **val**: ``val_size`` signals of the package's training set, drawn stratified (every class's share as in
      the whole) with ``seed``; **train**: the rest (3,400 by default).

    Standardized with the training split's statistics: one mean and one standard deviation over all training
    values, not one per position, so a pattern looks the same wherever it sits in the signal (what a
    convolution assumes). The same arguments always give the same tensors. Generating takes a few seconds the
    first time in a process; the raw signals are then kept in memory for later calls.
    """
    from sklearn.model_selection import train_test_split

    _whole_number("num_samples", num_samples, 100, 1_000_000)
    _whole_number("data_seed", data_seed, 0, 2**32 - 1)
    _whole_number("seed", seed, 0, 2**32 - 1)
    package_train = int(num_samples // 10 * 10 * 0.8)  # make_dataset's own arithmetic: whole classes, 80% train
    _whole_number("val_size", val_size, 10, package_train - 10)
    x_all, y_all, x_test, y_test = _mnist1d_arrays(num_samples, data_seed)
    x_train, x_val, y_train, y_val = train_test_split(
        x_all.astype(np.float64), y_all, test_size=val_size, stratify=y_all, random_state=seed
    )
    mean, std = x_train.mean(), x_train.std()
    arrays = [((a - mean) / std).astype(np.float32) for a in (x_train, x_val, x_test.astype(np.float64))]
    train, val, test = _datasets(arrays, [y_train, y_val, np.asarray(y_test)])
    return Splits(train, val, test, classes=10, image_shape=(1, x_all.shape[1]), name="MNIST-1D")
