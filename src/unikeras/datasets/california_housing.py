"""Keras' ``keras.datasets.california_housing``."""

from __future__ import annotations

import numpy as np

from ..data.file_utils import get_file
from ._common import ORIGIN, shuffle_split

FILE_HASH = "1a2e3a52e0398de6463aebe6f4a8da34fb21fbb6b934cf88c3425e766f2a1a6f"


def load_data(version="large", path="california_housing.npz", test_split=0.2, seed=113):
    """``(x_train, y_train), (x_test, y_test)``: 8 features per block group, the median
    house value target; ``version="small"`` keeps the first 600 samples."""
    if not 0 <= test_split < 1:
        raise ValueError(f"Invalid `test_split` argument: {test_split}. It must be between "
                         "0 and 1 (exclusive of 1).")
    if version not in ("small", "large"):
        raise ValueError("Argument `version` must be one of 'small', 'large'. Received: "
                         f"version={version}")
    path = get_file(path, origin=f"{ORIGIN}california_housing.npz", file_hash=FILE_HASH)
    with np.load(path, allow_pickle=False) as f:
        x, y = f["x"], f["y"]
    if version == "small":
        x, y = x[:600], y[:600]
    return shuffle_split(x, y, test_split, seed)
