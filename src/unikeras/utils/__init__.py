"""Keras' ``keras.utils``."""

from __future__ import annotations

import numpy as np

from ..xp.random import set_random_seed
from .serialization import register_keras_serializable


def to_categorical(x, num_classes=None):
    """One-hot encode integer labels (NumPy, like Keras)."""
    from ..xp import to_numpy

    x = np.asarray(to_numpy(x)).astype("int64")
    shape = x.shape
    if shape and shape[-1] == 1 and len(shape) > 1:
        shape = shape[:-1]
    x = x.reshape(-1)
    if num_classes is None:
        num_classes = int(x.max()) + 1
    out = np.zeros((x.shape[0], num_classes), dtype="float32")
    out[np.arange(x.shape[0]), x] = 1
    return out.reshape(shape + (num_classes,))

from .py_dataset import PyDataset  # noqa: E402,F401
