"""Keras' ``keras.datasets.mnist``."""

from __future__ import annotations

import numpy as np

from ..data.file_utils import get_file
from ._common import ORIGIN

FILE_HASH = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"


def load_data(path="mnist.npz"):
    """``(x_train, y_train), (x_test, y_test)``: uint8 images ``(n, 28, 28)`` and uint8
    digit labels ``(n,)`` (60000 train, 10000 test in the real file)."""
    path = get_file(fname=path, origin=f"{ORIGIN}mnist.npz", file_hash=FILE_HASH)
    with np.load(path, allow_pickle=False) as f:
        return (f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])
