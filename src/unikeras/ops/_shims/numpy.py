"""NumPy helpers for unikeras.ops."""

from __future__ import annotations

import math

import numpy as np


def stop_gradient(x):
    return x


def index_update(x, key, value):
    out = np.array(x, copy=True)
    out[key] = value
    return out


def scatter_add(zeros, index_tuple, values):
    out = np.array(zeros, copy=True)
    np.add.at(out, index_tuple, values)
    return out


def segment_sum(data, ids, num_segments):
    out = np.zeros((num_segments,) + data.shape[1:], dtype=data.dtype)
    keep = (ids >= 0) & (ids < num_segments)
    np.add.at(out, ids[keep], data[keep])
    return out


def _segment_reduce(data, ids, num_segments, init, ufunc):
    out = np.full((num_segments,) + data.shape[1:], init, dtype=data.dtype)
    keep = (ids >= 0) & (ids < num_segments)
    ufunc.at(out, ids[keep], data[keep])
    return out


def _extreme(dtype, largest):
    """The identity of min (largest=True) or max (False) for ``dtype``."""
    if dtype.kind == "f":
        return np.inf if largest else -np.inf
    if dtype.kind == "b":
        return largest
    info = np.iinfo(dtype)
    return info.max if largest else info.min


def segment_max(data, ids, num_segments):
    return _segment_reduce(data, ids, num_segments, _extreme(data.dtype, False), np.maximum)


def segment_min(data, ids, num_segments):
    return _segment_reduce(data, ids, num_segments, _extreme(data.dtype, True), np.minimum)


def segment_prod(data, ids, num_segments):
    return _segment_reduce(data, ids, num_segments, 1, np.multiply)


def _special(name):
    try:
        import scipy.special as sp

        return getattr(sp, name)
    except ImportError:  # pragma: no cover - scipy is optional
        return None


def erf(x):
    f = _special("erf")
    if f is not None:
        return f(x).astype(x.dtype, copy=False)
    return np.vectorize(math.erf, otypes=[x.dtype])(x)


def erfinv(x):
    f = _special("erfinv")
    if f is not None:
        return f(x).astype(x.dtype, copy=False)
    return None  # generic approximation


def top_k(x, k, sorted=True):
    idx = np.argsort(-x if x.dtype.kind != "b" else ~x, axis=-1, kind="stable")[..., :k]
    return np.take_along_axis(x, idx, axis=-1), idx


def einsum(subscripts, *operands, **kwargs):
    return np.einsum(subscripts, *operands)


def view(x, dtype):
    return np.ascontiguousarray(x).view(dtype)
