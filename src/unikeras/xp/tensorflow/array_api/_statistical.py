"""Statistical and utility functions."""

from __future__ import annotations

import tensorflow as tf

from . import _base as B
from ._elementwise import not_equal, subtract

__all__ = ["all", "any", "cumulative_prod", "cumulative_sum", "diff", "max", "mean", "min", "prod", "std",
           "sum", "var"]


def _axes(x, axis):
    n = B.ndim(x)
    return B.normalize_axes(axis, n)


def _keep(out, x, axes, keepdims):
    if not keepdims:
        return out
    shape = [1 if i in axes else d for i, d in enumerate(B.shape_list(x))]
    return tf.reshape(out, shape)


def _sum_dtype(dt, dtype):
    if dtype is not None:
        return B.as_dtype(dtype)
    if dt in B.SIGNED or dt == tf.bool:
        return B.DEFAULT_INT
    if dt in B.UNSIGNED:
        return tf.uint64
    return dt


def sum(x, /, *, axis=None, dtype=None, keepdims=False):
    x = B.tensor(x)
    dt = _sum_dtype(x.dtype, dtype)
    x = tf.cast(x, dt) if x.dtype != dt else x
    axes = _axes(x, axis)
    return tf.reduce_sum(x, axis=axes, keepdims=keepdims)


def prod(x, /, *, axis=None, dtype=None, keepdims=False):
    x = B.tensor(x)
    dt = _sum_dtype(x.dtype, dtype)
    x = tf.cast(x, dt) if x.dtype != dt else x
    axes = _axes(x, axis)
    return tf.reduce_prod(x, axis=axes, keepdims=keepdims)


def _minmax(fn, x, axis, keepdims):
    x = B.tensor(x)
    axes = _axes(x, axis)
    if x.dtype == tf.bool:
        return tf.cast(fn(tf.cast(x, tf.int8), axis=axes, keepdims=keepdims), tf.bool)
    return fn(x, axis=axes, keepdims=keepdims)


def max(x, /, *, axis=None, keepdims=False):
    return _minmax(tf.reduce_max, x, axis, keepdims)


def min(x, /, *, axis=None, keepdims=False):
    return _minmax(tf.reduce_min, x, axis, keepdims)


def _as_float(x):
    return x if B.is_inexact(x.dtype) else tf.cast(x, B.DEFAULT_FLOAT)


def mean(x, /, *, axis=None, keepdims=False):
    x = _as_float(B.tensor(x))
    axes = _axes(x, axis)
    return tf.reduce_mean(x, axis=axes, keepdims=keepdims)


def _count(x, axes):
    c = 1
    for a in axes:
        c = c * B.dim(x, a)
    return c


def var(x, /, *, axis=None, correction=0.0, keepdims=False):
    x = _as_float(B.tensor(x))
    axes = _axes(x, axis)
    m = tf.reduce_mean(x, axis=axes, keepdims=True)
    d = x - m
    if B.is_complex(x.dtype):
        sq = tf.math.real(d * tf.math.conj(d))
    else:
        sq = tf.math.square(d)
    rd = sq.dtype
    n = tf.cast(_count(x, axes), rd)
    s = tf.reduce_sum(sq, axis=axes, keepdims=keepdims)
    return s / (n - tf.cast(correction, rd))


def std(x, /, *, axis=None, correction=0.0, keepdims=False):
    return tf.math.sqrt(var(x, axis=axis, correction=correction, keepdims=keepdims))


def _cumulative(fn, init, x, axis, dtype, include_initial):
    x = B.tensor(x)
    n = B.ndim(x)
    if axis is None:
        if n > 1:
            raise ValueError("axis is required for arrays with more than one dimension")
        axis = 0
    axis = B.normalize_axis(axis, n)
    dt = _sum_dtype(x.dtype, dtype)
    x = tf.cast(x, dt) if x.dtype != dt else x
    if dt in B.UNSIGNED:  # no cumsum/cumprod kernels: wrap-around arithmetic in int64
        out = tf.cast(fn(tf.cast(x, tf.int64), axis=axis), dt)
    else:
        out = fn(x, axis=axis)
    if include_initial:
        shape = B.shape_list(x)
        shape[axis] = 1
        out = tf.concat([init(shape, dt), out], axis)
    return out


def cumulative_sum(x, /, *, axis=None, dtype=None, include_initial=False):
    return _cumulative(tf.math.cumsum, tf.zeros, x, axis, dtype, include_initial)


def cumulative_prod(x, /, *, axis=None, dtype=None, include_initial=False):
    """2024.12 name, provided early (same dtype rules as cumulative_sum)."""
    return _cumulative(tf.math.cumprod, tf.ones, x, axis, dtype, include_initial)


def _truth(x):
    x = B.tensor(x)
    return x if x.dtype == tf.bool else tf.not_equal(x, tf.zeros_like(x))


def all(x, /, *, axis=None, keepdims=False):
    x = _truth(x)
    return tf.reduce_all(x, axis=_axes(x, axis), keepdims=keepdims)


def any(x, /, *, axis=None, keepdims=False):
    x = _truth(x)
    return tf.reduce_any(x, axis=_axes(x, axis), keepdims=keepdims)


def diff(x, /, *, axis=-1, n=1, prepend=None, append=None):
    """``n``-th forward difference along ``axis`` (``prepend``/``append`` are joined to
    ``x`` first, promoted with it). Booleans differ by ``!=`` (as NumPy), unsigned
    integers wrap around."""
    x = B.tensor(x)
    nd = B.ndim(x)
    if nd == 0:
        raise ValueError("diff needs an array with at least one dimension")
    ax = B.normalize_axis(axis, nd)
    n = int(n)
    if n < 0:
        raise ValueError(f"diff: n must be non-negative; received {n}")
    parts = [p for p in (prepend, x, append) if p is not None]
    if len(parts) > 1:
        parts, _ = B.promote(*parts)
        x = tf.concat(parts, ax)
    lead = (slice(None),) * ax
    for _ in range(n):
        hi, lo = x[lead + (slice(1, None),)], x[lead + (slice(None, -1),)]
        x = not_equal(hi, lo) if x.dtype == tf.bool else subtract(hi, lo)
    return x
