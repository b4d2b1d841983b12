"""Keras' ``keras.utils.normalize`` and ``keras.utils.to_categorical``.

As in Keras: NumPy (or list) in, NumPy out, computed on the host; a framework's array
in, that framework's array out (through ``unikeras.ops``)."""

from __future__ import annotations

import numpy as np

from ..xp import framework_of


def _is_framework_array(x):
    fw = framework_of(x)
    return fw is not None and fw != "numpy"


def normalize(x, axis=-1, order=2):
    """``x`` divided by its ``order``-norm along ``axis`` (a zero norm divides by 1)."""
    if not _is_framework_array(x):
        x = np.asarray(x)
        norm = np.atleast_1d(np.linalg.norm(x, order, axis))
        norm[norm == 0] = 1
        axis = axis or -1  # Keras: axis=None (or 0) expands the last axis
        return x / np.expand_dims(norm, axis)
    from ..ops import normalize as _normalize

    return _normalize(x, axis=axis, order=order)


def to_categorical(x, num_classes=None):
    """One-hot encode integer class labels; the class axis is last and a trailing axis of
    size 1 is dropped first. NumPy input gives a float64 NumPy array (as Keras); a
    framework's array gives that framework's float32 array (``ops.one_hot``)."""
    if _is_framework_array(x):
        from .. import ops

        shape = tuple(x.shape)
        if len(shape) > 1 and shape[-1] == 1:
            x = ops.reshape(x, shape[:-1])
        if num_classes is None:
            num_classes = int(np.asarray(ops.convert_to_numpy(ops.max(x)))) + 1
        return ops.one_hot(x, num_classes)
    x = np.array(x, dtype="int64")
    shape = x.shape
    if shape and shape[-1] == 1 and len(shape) > 1:
        shape = shape[:-1]
    x = x.reshape(-1)
    if not num_classes:
        num_classes = int(np.max(x)) + 1
    if x.size and (x.min() < 0 or x.max() >= num_classes):
        bad = x[(x < 0) | (x >= num_classes)][0]
        raise ValueError(f"to_categorical: class values must be in [0, {num_classes}); "
                         f"received {int(bad)}")
    out = np.zeros((x.shape[0], num_classes))
    out[np.arange(x.shape[0]), x] = 1
    return out.reshape(shape + (num_classes,))
