"""Keras' ``keras.datasets.boston_housing``."""

from __future__ import annotations

import numpy as np

from ..data.file_utils import get_file
from ._common import ORIGIN, shuffle_split

FILE_HASH = "f553886a1f8d56431e820c5b82552d9d95cfcb96d1e678153f8839538947dff5"


def load_data(path="boston_housing.npz", test_split=0.2, seed=113):
    """``(x_train, y_train), (x_test, y_test)``: 13 features per house, the median
    value target; shuffled with ``seed`` then split."""
    if not 0 <= test_split < 1:
        raise ValueError(f"Invalid `test_split` argument: {test_split}. It must be between "
                         "0 and 1 (exclusive of 1).")
    path = get_file(path, origin=f"{ORIGIN}boston_housing.npz", file_hash=FILE_HASH)
    with np.load(path, allow_pickle=False) as f:
        x, y = f["x"], f["y"]
    return shuffle_split(x, y, test_split, seed)
