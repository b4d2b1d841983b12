"""Keras' ``keras.datasets.fashion_mnist`` (the IDX files Zalando publishes, gzipped)."""

from __future__ import annotations

import gzip
import os

import numpy as np

from ..data.file_utils import get_file
from ._common import ORIGIN

FILES = ["train-labels-idx1-ubyte.gz", "train-images-idx3-ubyte.gz",
         "t10k-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz"]


def _idx(path, offset):
    with gzip.open(path, "rb") as f:
        return np.frombuffer(f.read(), np.uint8, offset=offset)


def load_data():
    """``(x_train, y_train), (x_test, y_test)``: uint8 images ``(n, 28, 28)``, uint8
    labels ``(n,)``, read from ``datasets/fashion-mnist/`` in the Keras cache."""
    subdir = os.path.join("datasets", "fashion-mnist")
    paths = [get_file(name, origin=ORIGIN + name, cache_subdir=subdir) for name in FILES]
    y_train, y_test = _idx(paths[0], 8), _idx(paths[2], 8)
    x_train = _idx(paths[1], 16)
    x_test = _idx(paths[3], 16)
    for x, y, name in ((x_train, y_train, FILES[1]), (x_test, y_test, FILES[3])):
        if x.size != len(y) * 28 * 28:
            raise ValueError(f"fashion_mnist: {name} holds {x.size} pixels, not "
                             f"{len(y)} images of 28x28 (one per label).")
    return ((x_train.reshape(len(y_train), 28, 28), y_train),
            (x_test.reshape(len(y_test), 28, 28), y_test))
