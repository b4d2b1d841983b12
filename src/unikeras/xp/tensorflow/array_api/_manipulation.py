"""Manipulation and indexing functions."""

from __future__ import annotations

import tensorflow as tf

from . import _base as B

__all__ = [
    "broadcast_arrays",
    "broadcast_shapes",
    "broadcast_to",
    "concat",
    "expand_dims",
    "flip",
    "moveaxis",
    "permute_dims",
    "repeat",
    "reshape",
    "roll",
    "squeeze",
    "stack",
    "take",
    "take_along_axis",
    "tile",
    "unstack",
]


def _broadcast_shape(shapes):
    static = [tf.TensorShape(s) for s in shapes]
    out = tf.TensorShape([])
    for s in static:
        out = tf.broadcast_static_shape(out, s)
    if out.is_fully_defined():
        return out.as_list()
    return None


def broadcast_shapes_of(tensors):
    s = _broadcast_shape([t.shape for t in tensors])
    if s is not None:
        return s
    dyn = tf.shape(tensors[0])
    for t in tensors[1:]:
        dyn = tf.broadcast_dynamic_shape(dyn, tf.shape(t))
    return dyn


def broadcast_shapes(*shapes):
    """The shape ``shapes`` broadcast to (a tuple; ``None`` for an unknown size stays
    unknown unless the other size decides it). ``ValueError`` if they do not broadcast."""
    out = []
    for shape in shapes:
        shape = tuple(shape)
        if len(shape) > len(out):
            out = [1] * (len(shape) - len(out)) + out
        for i, d in enumerate(shape, start=len(out) - len(shape)):
            o = out[i]
            if d == 1 or d == o:
                continue
            if o == 1 or o is None:
                out[i] = d
            elif d is not None:
                raise ValueError(f"shapes {shapes} cannot be broadcast together (size {o} "
                                 f"against {d})")
    return tuple(out)


def broadcast_arrays(*arrays):
    ts = [B.tensor(a) for a in arrays]
    if not ts:
        return ()
    shape = broadcast_shapes_of(ts)
    return tuple(t if isinstance(shape, list) and t.shape.as_list() == shape
                 else tf.broadcast_to(t, shape) for t in ts)


def broadcast_to(x, /, shape):
    x = B.tensor(x)
    shape = list(shape) if not B.is_tensor(shape) else shape
    if isinstance(shape, list) and x.shape.rank is not None and x.shape.rank > len(shape):
        raise ValueError("cannot broadcast to fewer dimensions")
    if isinstance(shape, list) and all(isinstance(d, int) for d in shape) and x.shape.is_fully_defined():
        try:
            out = tf.broadcast_static_shape(x.shape, tf.TensorShape(shape))
        except ValueError as e:
            raise ValueError(str(e)) from None
        if out.as_list() != shape:
            raise ValueError(f"cannot broadcast {x.shape} to {shape}")
    return tf.broadcast_to(x, shape)


def concat(arrays, /, *, axis=0):
    ts, dt = B.promote(*arrays)
    if axis is None:
        ts = [tf.reshape(t, [-1]) for t in ts]
        axis = 0
    else:
        axis = B.normalize_axis(axis, B.ndim(ts[0]))
    return tf.concat(ts, axis)


def expand_dims(x, /, axis=0):
    x = B.tensor(x)
    n = B.ndim(x)
    if isinstance(axis, (tuple, list)):
        # positions in the result: normalized against its rank, then inserted in order
        out_ndim = n + len(axis)
        axes = [B.normalize_axis(a, out_ndim) for a in axis]
        if len(set(axes)) != len(axes):
            raise ValueError(f"repeated axis in expand_dims: {tuple(axis)}")
        for a in sorted(axes):
            x = tf.expand_dims(x, a)
        return x
    if axis < -n - 1 or axis > n:
        raise IndexError(f"axis {axis} out of range for expand_dims of a {n}-d array")
    return tf.expand_dims(x, axis)


def flip(x, /, *, axis=None):
    x = B.tensor(x)
    axes = B.normalize_axes(axis, B.ndim(x))
    if not axes:
        return tf.identity(x)
    return tf.reverse(x, axes)


def permute_dims(x, /, axes):
    x = B.tensor(x)
    n = B.ndim(x)
    perm = [B.normalize_axis(a, n) for a in axes]
    if sorted(perm) != list(range(n)):
        raise ValueError(f"axes {axes} is not a permutation of {n} dims")
    return tf.transpose(x, perm)


def moveaxis(x, source, destination, /):
    x = B.tensor(x)
    n = B.ndim(x)
    src = B.normalize_axes(source, n)
    dst = B.normalize_axes(destination, n)
    if len(src) != len(dst):
        raise ValueError("source and destination must have the same number of elements")
    rest = [a for a in range(n) if a not in src]
    perm = [None] * n
    for s, d in zip(src, dst):
        perm[d] = s
    it = iter(rest)
    perm = [p if p is not None else next(it) for p in perm]
    return tf.transpose(x, perm)


def repeat(x, repeats, /, *, axis=None):
    x = B.tensor(x)
    if B.is_tensor(repeats):
        repeats = tf.cast(repeats, tf.int64)
    if axis is None:
        x = tf.reshape(x, [-1])
        axis = 0
    else:
        axis = B.normalize_axis(axis, B.ndim(x))
    if x.dtype in (tf.uint16, tf.uint32, tf.uint64) or x.dtype == tf.bool:
        c = tf.int64 if x.dtype != tf.bool else tf.int8
        return tf.cast(tf.repeat(tf.cast(x, c), repeats, axis=axis), x.dtype)
    return tf.repeat(x, repeats, axis=axis)


def reshape(x, /, shape, *, copy=None):
    x = B.tensor(x)
    shape = list(shape) if not B.is_tensor(shape) else shape
    if isinstance(shape, list) and sum(1 for d in shape if isinstance(d, int) and d == -1) > 1:
        raise ValueError("only one dimension may be -1")
    out = tf.reshape(x, shape)
    return tf.identity(out) if copy else out


def roll(x, /, shift, *, axis=None):
    x = B.tensor(x)
    if axis is None:
        flat = tf.reshape(x, [-1])
        return tf.reshape(tf.roll(flat, shift, 0), B.shape_list(x))
    n = B.ndim(x)
    if isinstance(axis, (tuple, list)):
        axes = [B.normalize_axis(a, n) for a in axis]
        shifts = list(shift) if isinstance(shift, (tuple, list)) else [shift] * len(axes)
    else:
        axes = [B.normalize_axis(axis, n)]
        shifts = [shift] if not isinstance(shift, (tuple, list)) else list(shift)
        if len(shifts) != 1:
            axes = axes * len(shifts)
    return tf.roll(x, shifts, axes)


def squeeze(x, /, axis):
    x = B.tensor(x)
    n = B.ndim(x)
    axes = B.normalize_axes(axis, n)
    for a in axes:
        d = x.shape[a]
        if d is not None and d != 1:
            raise ValueError(f"cannot squeeze axis {a} of size {d}")
    if not axes:
        return x
    return tf.squeeze(x, axes)


def stack(arrays, /, *, axis=0):
    ts, _ = B.promote(*arrays)
    n = B.ndim(ts[0]) + 1
    axis = B.normalize_axis(axis, n)
    return tf.stack(ts, axis)


def take(x, indices, /, *, axis=None):
    x = B.tensor(x)
    if axis is None:
        if B.ndim(x) != 1:
            raise ValueError("take(axis=None) needs a 1-d array")
        axis = 0
    axis = B.normalize_axis(axis, B.ndim(x))
    idx = B.tensor(indices)
    n = tf.cast(B.dim(x, axis), idx.dtype)
    if idx.dtype not in B.UNSIGNED:
        idx = tf.where(idx < 0, idx + n, idx)
    return tf.gather(x, idx, axis=axis)


def take_along_axis(x, indices, /, *, axis=-1):
    """2024.12 name, provided early: ``out[..., i, ...] = x[..., indices[..., i, ...], ...]``
    along ``axis``; the other dimensions broadcast."""
    x = B.tensor(x)
    idx = B.tensor(indices)
    n = B.ndim(x)
    if B.ndim(idx) != n:
        raise ValueError("x and indices must have the same number of dimensions")
    axis = B.normalize_axis(axis, n)
    xm = moveaxis(x, axis, -1)
    im = moveaxis(idx, axis, -1)
    if idx.dtype not in B.UNSIGNED:
        m = tf.cast(B.dim(xm, -1), im.dtype)
        im = tf.where(im < 0, im + m, im)
    xs, is_ = B.shape_list(xm), B.shape_list(im)
    batch = tf.broadcast_static_shape(tf.TensorShape(xm.shape[:-1]), tf.TensorShape(im.shape[:-1]))
    if batch.is_fully_defined():
        batch = batch.as_list()
    else:
        batch = tf.broadcast_dynamic_shape(tf.shape(xm)[:-1], tf.shape(im)[:-1])
        batch = tf.unstack(batch)
    xm = tf.broadcast_to(xm, list(batch) + [xs[-1]])
    im = tf.broadcast_to(im, list(batch) + [is_[-1]])
    out = tf.gather(xm, im, axis=n - 1, batch_dims=n - 1)
    return moveaxis(out, -1, axis)


def tile(x, repetitions, /):
    x = B.tensor(x)
    reps = list(repetitions)
    n = B.ndim(x)
    if len(reps) < n:
        reps = [1] * (n - len(reps)) + reps
    elif len(reps) > n:
        x = tf.reshape(x, [1] * (len(reps) - n) + B.shape_list(x))
    if x.dtype == tf.uint16:
        return tf.cast(tf.tile(tf.cast(x, tf.int32), reps), tf.uint16)
    return tf.tile(x, reps)


def unstack(x, /, *, axis=0):
    x = B.tensor(x)
    axis = B.normalize_axis(axis, B.ndim(x))
    return tuple(tf.unstack(x, axis=axis))
