"""The IDX reader, on files written here and on the real Fashion-MNIST."""
import gzip
import struct

import numpy as np
import pytest

from nin.core.data import CLASS_NAMES, DatasetError, load_split, read_idx


def write_idx(path, array, magic=None, compress=True, cut=0):
    array = np.asarray(array, np.uint8)
    magic = magic if magic is not None else 0x800 + array.ndim
    data = struct.pack(">I", magic) + b"".join(struct.pack(">I", d) for d in array.shape) + array.tobytes()
    data = data[:len(data) - cut] if cut else data
    path.write_bytes(gzip.compress(data) if compress else data)
    return path


def test_reads_images_and_labels(tmp_path):
    imgs = np.arange(3 * 28 * 28, dtype=np.uint32).reshape(3, 28, 28) % 256
    got = read_idx(write_idx(tmp_path / "i.gz", imgs), 2051, 3)
    assert got.shape == (3, 28, 28) and got.dtype == np.uint8
    np.testing.assert_array_equal(got, imgs)
    np.testing.assert_array_equal(read_idx(write_idx(tmp_path / "l", [1, 2, 9], compress=False), 2049), [1, 2, 9])


def test_truncated_file_is_named_with_the_fix(tmp_path):
    p = write_idx(tmp_path / "t.gz", np.zeros((3, 28, 28)), cut=100)
    with pytest.raises(DatasetError, match=r"t\.gz.*truncated.*dataset-fashion-mnist"):
        read_idx(p, 2051, 3)


def test_wrong_magic_is_refused(tmp_path):
    p = write_idx(tmp_path / "m.gz", np.zeros((3, 28, 28)), magic=1234)
    with pytest.raises(DatasetError, match=r"m\.gz.*wrong magic number 1234"):
        read_idx(p, 2051)


def test_wrong_count_and_broken_gzip_and_missing(tmp_path):
    with pytest.raises(DatasetError, match="holds 3 items, expected 5"):
        read_idx(write_idx(tmp_path / "c.gz", np.zeros(3)), 2049, 5)
    bad = tmp_path / "b.gz"
    bad.write_bytes(b"\x1f\x8b not really gzip")
    with pytest.raises(DatasetError, match=r"b\.gz.*corrupt"):
        read_idx(bad, 2049)
    with pytest.raises(DatasetError, match="not found.*FASHION_MNIST_DIR"):
        read_idx(tmp_path / "missing.gz", 2049)
    with pytest.raises(DatasetError, match="FASHION_MNIST_DIR"):
        load_split("test", data_dir=tmp_path)


def test_real_dataset_counts_and_balanced_labels():
    (x_train, y_train), (x_test, y_test) = load_split("train"), load_split("test")
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert np.bincount(y_train).tolist() == [6000] * 10
    assert np.bincount(y_test).tolist() == [1000] * 10
    assert x_test.dtype == np.uint8 and x_test.max() == 255 and x_test.min() == 0
    # Fashion-MNIST's first test image is an ankle boot, the first training image too
    assert CLASS_NAMES[y_test[0]] == "Ankle boot" and CLASS_NAMES[y_train[0]] == "Ankle boot"


def test_class_names_are_the_official_ones():
    assert CLASS_NAMES == ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                           "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
