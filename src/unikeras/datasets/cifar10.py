"""Keras' ``keras.datasets.cifar10``."""

from __future__ import annotations

import numpy as np

from . import _cifar

ORIGIN = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
FILE_HASH = "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce"


def load_data():
    """``(x_train, y_train), (x_test, y_test)``: uint8 images ``(n, 32, 32, 3)``
    (channels first under that image data format) and uint8 labels ``(n, 1)``."""
    root = _cifar.fetch("cifar-10-batches-py-target", ORIGIN, FILE_HASH)
    parts = [_cifar.load_batch(_cifar.path_in(root, "cifar-10-batches-py", f"data_batch_{i}"))
             for i in range(1, 6)]
    x_train = np.concatenate([x for x, _ in parts])
    y_train = np.concatenate([np.asarray(y, dtype="uint8") for _, y in parts])
    x_test, y_test = _cifar.load_batch(_cifar.path_in(root, "cifar-10-batches-py",
                                                      "test_batch"))
    return _cifar.finish(x_train, y_train, x_test.astype(x_train.dtype),
                         np.asarray(y_test, dtype="uint8"))
