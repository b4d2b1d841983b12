"""Keras' ``keras.utils``."""

from __future__ import annotations

import random as _random

import numpy as np

from .serialization import register_keras_serializable


def set_random_seed(seed: int) -> None:
    """Seed Python, NumPy and unikeras' initializers (and, where loaded, torch)."""
    import sys

    from .. import initializers

    _random.seed(seed)
    np.random.seed(seed)
    initializers._reseed(seed)
    if "torch" in sys.modules:
        sys.modules["torch"].manual_seed(seed)
    if "tensorflow" in sys.modules:
        sys.modules["tensorflow"].random.set_seed(seed)


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
