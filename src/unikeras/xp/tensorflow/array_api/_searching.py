"""Searching, sorting and set functions."""

from __future__ import annotations

from collections import namedtuple

import tensorflow as tf

from . import _base as B
from ._manipulation import broadcast_shapes_of

__all__ = [
    "argmax",
    "argmin",
    "argsort",
    "count_nonzero",
    "isin",
    "nonzero",
    "searchsorted",
    "sort",
    "unique_all",
    "unique_counts",
    "unique_inverse",
    "unique_values",
    "where",
]


def _arg_reduce(fn, x, axis, keepdims):
    x = B.tensor(x)
    if x.dtype == tf.bool:
        x = tf.cast(x, tf.int8)
    n = B.ndim(x)
    if axis is None:
        out = fn(tf.reshape(x, [-1]), axis=0, output_type=B.DEFAULT_INDEX)
        if keepdims:
            out = tf.reshape(out, [1] * n)
        return out
    axis = B.normalize_axis(axis, n)
    out = fn(x, axis=axis, output_type=B.DEFAULT_INDEX)
    if keepdims:
        out = tf.expand_dims(out, axis)
    return out


def argmax(x, /, *, axis=None, keepdims=False):
    return _arg_reduce(tf.math.argmax, x, axis, keepdims)


def argmin(x, /, *, axis=None, keepdims=False):
    return _arg_reduce(tf.math.argmin, x, axis, keepdims)


def nonzero(x, /):
    x = B.tensor(x)
    n = B.ndim(x)
    if n == 0:
        raise ValueError("nonzero is not defined for 0-d arrays")
    mask = x if x.dtype == tf.bool else tf.not_equal(x, tf.zeros_like(x))
    idx = tf.where(mask)
    return tuple(idx[:, i] for i in range(n))


def count_nonzero(x, /, *, axis=None, keepdims=False):
    x = B.tensor(x)
    axes = B.normalize_axes(axis, B.ndim(x))
    nz = x if x.dtype == tf.bool else tf.not_equal(x, tf.zeros_like(x))
    return tf.reduce_sum(tf.cast(nz, B.DEFAULT_INDEX), axis=axes, keepdims=keepdims)


def where(condition, x1, x2, /):
    cond = B.tensor(condition)
    if cond.dtype != tf.bool:
        cond = tf.not_equal(cond, tf.zeros_like(cond))
    (a, b), _ = B.promote(x1, x2)
    return tf.where(cond, a, b)


def searchsorted(x1, x2, /, *, side="left", sorter=None):
    if side not in ("left", "right"):
        raise ValueError("side must be 'left' or 'right'")
    (a, v), dt = B.promote(x1, x2)
    if sorter is not None:
        a = tf.gather(a, B.tensor(sorter))
    if dt == tf.bool:
        a, v = tf.cast(a, tf.int8), tf.cast(v, tf.int8)
    vshape = B.shape_list(v)
    out = tf.searchsorted(tf.reshape(a, [1, -1]), tf.reshape(v, [1, -1]), side=side, out_type=B.DEFAULT_INDEX)
    return tf.reshape(out, vshape)


# -- sorting ---------------------------------------------------------------------


def _to_last(x, axis):
    n = B.ndim(x)
    axis = B.normalize_axis(axis, n)
    if axis == n - 1:
        return x, None
    perm = list(range(n))
    perm[axis], perm[-1] = perm[-1], perm[axis]
    return tf.transpose(x, perm), perm


def _from_last(x, perm):
    return x if perm is None else tf.transpose(x, perm)


def _argsort_last(x, descending):
    """Stable argsort along the last axis, NaNs last."""
    direction = "DESCENDING" if descending else "ASCENDING"
    if x.dtype == tf.bool:
        x = tf.cast(x, tf.int8)
    if B.is_float(x.dtype):
        nan = tf.math.is_nan(x)
        fill = tf.constant(float("-inf") if descending else float("inf"), x.dtype)
        key = tf.where(nan, fill, x)
        idx = tf.argsort(key, axis=-1, direction=direction, stable=True)
        nan_sorted = tf.cast(tf.gather(nan, idx, batch_dims=B.ndim(x) - 1), tf.int8)
        idx2 = tf.argsort(nan_sorted, axis=-1, direction="ASCENDING", stable=True)
        return tf.gather(idx, idx2, batch_dims=B.ndim(x) - 1)
    return tf.argsort(x, axis=-1, direction=direction, stable=True)


def argsort(x, /, *, axis=-1, descending=False, stable=True):
    x = B.tensor(x)
    if B.ndim(x) == 0:
        return tf.zeros([], B.DEFAULT_INDEX)
    xt, perm = _to_last(x, axis)
    idx = tf.cast(_argsort_last(xt, descending), B.DEFAULT_INDEX)
    return _from_last(idx, perm)


def sort(x, /, *, axis=-1, descending=False, stable=True):
    x = B.tensor(x)
    if B.ndim(x) == 0:
        return tf.identity(x)
    xt, perm = _to_last(x, axis)
    idx = _argsort_last(xt, descending)
    out = tf.gather(xt, idx, batch_dims=B.ndim(xt) - 1)
    return _from_last(out, perm)


# -- set functions ---------------------------------------------------------------

UniqueAllResult = namedtuple("UniqueAllResult", ["values", "indices", "inverse_indices", "counts"])
UniqueCountsResult = namedtuple("UniqueCountsResult", ["values", "counts"])
UniqueInverseResult = namedtuple("UniqueInverseResult", ["values", "inverse_indices"])


def _unique_sorted(flat):
    """(sorted unique values, inverse indices) of a 1-d tensor. Complex values (no TF
    kernel) are unique (real, imag) rows, sorted by real part then imaginary part."""
    if B.is_complex(flat.dtype):
        pairs = tf.stack([tf.math.real(flat), tf.math.imag(flat)], axis=1)
        rows, idx = tf.raw_ops.UniqueV2(x=pairs, axis=tf.constant([0], tf.int64), out_idx=B.DEFAULT_INDEX)
        by_imag = _argsort_last(rows[:, 1], False)
        order = tf.gather(by_imag, _argsort_last(tf.gather(rows[:, 0], by_imag), False))
        y = tf.complex(rows[:, 0], rows[:, 1])
    else:
        y, idx = tf.unique(flat, out_idx=B.DEFAULT_INDEX)
        order = _argsort_last(y, False)
    order = tf.cast(order, B.DEFAULT_INDEX)
    inverse = tf.gather(tf.math.invert_permutation(order), idx)
    return tf.gather(y, order), inverse


def _unique(x, need_inverse=True):
    x = B.tensor(x)
    flat = tf.reshape(x, [-1])
    values, inverse = _unique_sorted(flat)
    return x, flat, values, inverse


def unique_values(x, /):
    return _unique_sorted(tf.reshape(B.tensor(x), [-1]))[0]


def unique_counts(x, /):
    _, flat, values, inverse = _unique(x)
    num = tf.size(values, out_type=B.DEFAULT_INDEX)
    counts = tf.math.unsorted_segment_sum(tf.ones_like(inverse), inverse, num)
    return UniqueCountsResult(values, counts)


def unique_inverse(x, /):
    x, _, values, inverse = _unique(x)
    return UniqueInverseResult(values, tf.reshape(inverse, B.shape_list(x)))


def unique_all(x, /):
    x, flat, values, inverse = _unique(x)
    num = tf.size(values, out_type=B.DEFAULT_INDEX)
    counts = tf.math.unsorted_segment_sum(tf.ones_like(inverse), inverse, num)
    positions = tf.range(tf.size(flat, out_type=B.DEFAULT_INDEX), dtype=B.DEFAULT_INDEX)
    first = tf.math.unsorted_segment_min(positions, inverse, num)
    return UniqueAllResult(values, first, tf.reshape(inverse, B.shape_list(x)), counts)


def isin(x1, x2, /, *, invert=False):
    """For each element of ``x1``: is it in ``x2``? (bool, ``x1``'s shape). Real values:
    one sort of ``x2`` and a binary search per element, O((n + m) log m); complex values
    (no sort kernel): all pairs compared."""
    (a, b), dt = B.promote(x1, x2)
    shape = tf.shape(a)
    fa, fb = tf.reshape(a, [-1]), tf.reshape(b, [-1])
    if B.is_complex(dt):
        found = tf.reduce_any(tf.equal(fa[:, None], fb[None, :]), axis=1)
    else:
        sb = sort(fb)
        idx = searchsorted(sb, fa)
        # one padding element so that gathering at len(sb) (not found, or x2 empty) is valid
        padded = tf.concat([sb, tf.zeros([1], dt)], 0)
        found = tf.logical_and(idx < tf.size(sb, out_type=idx.dtype),
                               tf.equal(tf.gather(padded, idx), fa))
    if invert:
        found = tf.logical_not(found)
    return tf.reshape(found, shape)
