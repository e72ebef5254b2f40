"""Fashion-MNIST from the real IDX files: find, read, validate.

Search order: $FASHION_MNIST_DIR, Keras's cache (~/.keras/datasets/fashion-mnist),
Debian's package dataset-fashion-mnist (/usr/share/datasets/fashion-mnist).
Nothing is downloaded and nothing falls back to random data.
"""
import gzip
import hashlib
import os
import struct
from pathlib import Path

import numpy as np

CLASS_NAMES = [
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
]

FILES = {
    "train_images": "train-images-idx3-ubyte.gz",
    "train_labels": "train-labels-idx1-ubyte.gz",
    "test_images": "t10k-images-idx3-ubyte.gz",
    "test_labels": "t10k-labels-idx1-ubyte.gz",
}
COUNTS = {"train": 60000, "test": 10000}
IMAGE_MAGIC, LABEL_MAGIC = 2051, 2049
FIX_HINT = ("install it with `apt-get install dataset-fashion-mnist` "
            "or set FASHION_MNIST_DIR to a folder holding the four IDX .gz files")


class DatasetError(RuntimeError):
    """A missing or broken data file; the message says which and how to fix it."""


def candidate_dirs():
    dirs = []
    if os.environ.get("FASHION_MNIST_DIR"):
        dirs.append(Path(os.environ["FASHION_MNIST_DIR"]))
    dirs.append(Path.home() / ".keras" / "datasets" / "fashion-mnist")
    dirs.append(Path("/usr/share/datasets/fashion-mnist"))
    return dirs


def find_data_dir():
    """First folder that holds all four files."""
    for d in candidate_dirs():
        if all((d / f).is_file() for f in FILES.values()):
            return d
    searched = ", ".join(str(d) for d in candidate_dirs())
    raise DatasetError(f"Fashion-MNIST not found (looked in {searched}); {FIX_HINT}.")


def read_idx(path, expected_magic, expected_count=None):
    """Read one gzipped (or raw) IDX file of uint8 into a numpy array, checking header and size."""
    path = Path(path)
    try:
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        raise DatasetError(f"{path}: file not found; {FIX_HINT}.") from None
    except (OSError, EOFError, gzip.BadGzipFile) as e:
        raise DatasetError(f"{path}: cannot be read ({e}); the file is corrupt, {FIX_HINT}.") from None
    if len(data) < 8:
        raise DatasetError(f"{path}: truncated header ({len(data)} bytes); {FIX_HINT}.")
    magic, count = struct.unpack(">II", data[:8])
    if magic != expected_magic:
        raise DatasetError(f"{path}: wrong magic number {magic} (expected {expected_magic}); "
                           f"not an IDX file of this kind, {FIX_HINT}.")
    ndim = magic & 0xFF
    header = 4 + 4 * ndim
    if len(data) < header:
        raise DatasetError(f"{path}: truncated header; {FIX_HINT}.")
    dims = struct.unpack(">" + "I" * ndim, data[4:header])
    size = int(np.prod(dims))
    if len(data) - header != size:
        raise DatasetError(f"{path}: expected {size} data bytes for shape {dims}, found "
                           f"{len(data) - header} (truncated or corrupt); {FIX_HINT}.")
    if expected_count is not None and count != expected_count:
        raise DatasetError(f"{path}: holds {count} items, expected {expected_count}; {FIX_HINT}.")
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(dims)


def load_split(split, data_dir=None):
    """(images uint8 [N,28,28], labels uint8 [N]) for 'train' or 'test'."""
    d = Path(data_dir) if data_dir else find_data_dir()
    n = COUNTS[split]
    images = read_idx(d / FILES[f"{split}_images"], IMAGE_MAGIC, n)
    labels = read_idx(d / FILES[f"{split}_labels"], LABEL_MAGIC, n)
    if images.shape[1:] != (28, 28):
        raise DatasetError(f"{d / FILES[f'{split}_images']}: images are {images.shape[1:]}, expected (28, 28).")
    if labels.max() >= len(CLASS_NAMES):
        raise DatasetError(f"{d / FILES[f'{split}_labels']}: label {labels.max()} out of range 0-9.")
    return images, labels


def load_fashion_mnist(data_dir=None):
    """((x_train, y_train), (x_test, y_test)) as uint8 arrays."""
    return load_split("train", data_dir), load_split("test", data_dir)


def checksums(data_dir=None):
    """sha256 of each file, recorded in the weights metadata."""
    d = Path(data_dir) if data_dir else find_data_dir()
    return {name: hashlib.sha256((d / f).read_bytes()).hexdigest() for name, f in FILES.items()}


# --- the validation split: 5,000 training images held out for every choice (runs, shares, thresholds) ---

VALIDATION_SIZE = 5000
VALIDATION_SEED = 20261201  # fixed: the same 5,000 images on every machine and in every run


def validation_indices(labels):
    """Sorted indices of the held-out validation images: 500 per class, drawn with a fixed seed.

    Depends only on the labels, so it is the same split on every machine and across runs.
    """
    labels = np.asarray(labels)
    rng = np.random.default_rng(VALIDATION_SEED)
    per_class = VALIDATION_SIZE // len(CLASS_NAMES)
    picks = [rng.choice(np.flatnonzero(labels == c), per_class, replace=False) for c in range(len(CLASS_NAMES))]
    return np.sort(np.concatenate(picks))


def train_validation_split(images, labels):
    """((train images, labels), (validation images, labels)): disjoint, stratified, fixed."""
    val = validation_indices(labels)
    keep = np.ones(len(labels), bool)
    keep[val] = False
    return (images[keep], labels[keep]), (images[val], labels[val])
