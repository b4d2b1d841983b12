"""Creation functions."""

from __future__ import annotations

import builtins
import math

import numpy as np
import tensorflow as tf

from . import _base as B

__all__ = [
    "arange",
    "asarray",
    "empty",
    "empty_like",
    "eye",
    "from_dlpack",
    "full",
    "full_like",
    "linspace",
    "meshgrid",
    "ones",
    "ones_like",
    "tril",
    "triu",
    "zeros",
    "zeros_like",
]


def _infer_nested(obj, acc):
    """Collect the kinds of Python scalars / dtypes of tensors in a nested sequence."""
    if isinstance(obj, (list, tuple)):
        for o in obj:
            _infer_nested(o, acc)
        return
    if B.is_tensor(obj) or isinstance(obj, np.ndarray) or isinstance(obj, np.generic):
        acc["dtypes"].append(B.as_dtype(obj.dtype))
        if B.is_tensor(obj):
            acc["tensor"] = True
        return
    if isinstance(obj, builtins.bool):
        acc["kinds"].add("b")
    elif isinstance(obj, int):
        acc["kinds"].add("i")
    elif isinstance(obj, float):
        acc["kinds"].add("f")
    elif isinstance(obj, complex):
        acc["kinds"].add("c")
    else:
        raise TypeError(f"cannot convert {type(obj).__name__} to a tensor")


def _dtype_from_kinds(kinds, dtypes):
    dt = None
    for d in dtypes:
        dt = d if dt is None else B.promote_pair(dt, d)
    order = "bifc"
    if kinds:
        k = builtins.max(kinds, key=order.index)
        sample = {"b": True, "i": 1, "f": 1.0, "c": 1j}[k]
        dt = B.default_dtype_for_scalar(sample) if dt is None else B.scalar_with(dt, sample)
    return dt if dt is not None else B.DEFAULT_FLOAT


def _pack(obj, dt):
    if isinstance(obj, (list, tuple)):
        parts = [_pack(o, dt) for o in obj]
        if not parts:
            return tf.zeros([0], dt)
        return tf.stack(parts)
    return B.tensor(obj, dt) if not B.is_pyscalar(obj) else B.convert_scalar(obj, dt)


def asarray(obj, /, *, dtype=None, device=None, copy=None):
    dtype = B.as_dtype(dtype)
    with B.device_scope(device):
        if B.is_tensor(obj):
            t = tf.convert_to_tensor(obj)
            if dtype is not None and t.dtype != dtype:
                if copy is False:
                    raise ValueError("asarray(copy=False) would need a cast")
                return tf.cast(t, dtype)
            if copy:
                return tf.identity(t)
            return t
        if copy is False:
            raise ValueError("asarray(copy=False) cannot share memory with a non-tensor input")
        if isinstance(obj, (np.ndarray, np.generic)):
            arr = np.asarray(obj)
            if dtype is None:
                return tf.constant(arr)
            return tf.cast(tf.constant(arr), dtype) if arr.dtype.kind == "c" and not B.is_complex(dtype) else tf.constant(arr, dtype=dtype)
        if hasattr(obj, "__dlpack__") and not isinstance(obj, (list, tuple)):
            t = from_dlpack(obj)
            return t if dtype is None or t.dtype == dtype else tf.cast(t, dtype)
        if hasattr(obj, "__array__") and not isinstance(obj, (list, tuple)):
            return asarray(np.asarray(obj), dtype=dtype)
        if isinstance(obj, (bytes, bytearray, memoryview)):
            return asarray(np.frombuffer(obj, dtype=np.uint8), dtype=dtype)
        acc = {"kinds": set(), "dtypes": [], "tensor": False}
        _infer_nested(obj, acc)
        if dtype is None:
            dtype = _dtype_from_kinds(acc["kinds"], acc["dtypes"])
        if acc["tensor"] or acc["dtypes"]:
            return _pack(obj, dtype)
        if B.is_pyscalar(obj):
            return B.convert_scalar(obj, dtype)
        if "c" in acc["kinds"] and not B.is_complex(dtype):
            return tf.cast(tf.constant(np.asarray(obj, dtype=np.complex128)), dtype)
        if B.is_int(dtype) and "f" in acc["kinds"]:
            return tf.cast(tf.constant(obj, dtype=tf.float64), dtype)
        if len(acc["kinds"]) > 1 or ("b" in acc["kinds"] and dtype != tf.bool):
            # tf.constant refuses mixed Python types ([1, 2j], [True, 2]) and bools into numbers
            return tf.constant(np.asarray(obj, dtype=dtype.as_numpy_dtype))
        return tf.constant(obj, dtype=dtype)


def _shape_arg(shape):
    if isinstance(shape, int) or B.is_tensor(shape) and shape.shape.rank == 0:
        return [shape]
    return list(shape)


def zeros(shape, *, dtype=None, device=None):
    dtype = B.as_dtype(dtype) or B.DEFAULT_FLOAT
    with B.device_scope(device):
        return tf.zeros(_shape_arg(shape), dtype=dtype)


def ones(shape, *, dtype=None, device=None):
    dtype = B.as_dtype(dtype) or B.DEFAULT_FLOAT
    with B.device_scope(device):
        return tf.ones(_shape_arg(shape), dtype=dtype)


def empty(shape, *, dtype=None, device=None):
    return zeros(shape, dtype=dtype, device=device)


def _fill_dtype(fill_value, dtype):
    if dtype is not None:
        return B.as_dtype(dtype)
    if B.is_pyscalar(fill_value):
        return B.default_dtype_for_scalar(fill_value)
    return B.dtype_of(fill_value)


def _fill_value(fill_value, dt):
    if B.is_pyscalar(fill_value):
        return B.convert_scalar(fill_value, dt)
    return B.tensor(fill_value, dt)


def full(shape, fill_value, *, dtype=None, device=None):
    dt = _fill_dtype(fill_value, dtype)
    with B.device_scope(device):
        return tf.fill(_shape_arg(shape), _fill_value(fill_value, dt))


def zeros_like(x, /, *, dtype=None, device=None):
    x = B.tensor(x)
    with B.device_scope(device):
        return tf.zeros_like(x, dtype=B.as_dtype(dtype) or x.dtype)


def ones_like(x, /, *, dtype=None, device=None):
    x = B.tensor(x)
    with B.device_scope(device):
        return tf.ones_like(x, dtype=B.as_dtype(dtype) or x.dtype)


def empty_like(x, /, *, dtype=None, device=None):
    return zeros_like(x, dtype=dtype, device=device)


def full_like(x, /, fill_value, *, dtype=None, device=None):
    x = B.tensor(x)
    dt = B.as_dtype(dtype) or x.dtype
    with B.device_scope(device):
        return tf.fill(B.shape_list(x), _fill_value(fill_value, dt))


def eye(n_rows, n_cols=None, /, *, k=0, dtype=None, device=None):
    dt = B.as_dtype(dtype) or B.DEFAULT_FLOAT
    n_cols = n_rows if n_cols is None else n_cols
    with B.device_scope(device):
        if isinstance(k, int) and isinstance(n_rows, int) and isinstance(n_cols, int):
            k = builtins.min(builtins.max(k, -n_rows - 1), n_cols + 1)
        r = tf.range(n_rows, dtype=tf.int64)[:, None]
        c = tf.range(n_cols, dtype=tf.int64)[None, :]
        return tf.cast(tf.equal(c - r, k), dt)


def arange(start, /, stop=None, step=1, *, dtype=None, device=None):
    if stop is None:
        start, stop = 0, start
    if dtype is None:
        if builtins.all(isinstance(v, int) for v in (start, stop, step)):
            dt = B.DEFAULT_INT
        else:
            dt = B.DEFAULT_FLOAT
    else:
        dt = B.as_dtype(dtype)
    if step == 0:
        raise ValueError("step must not be zero")
    with B.device_scope(device):
        if B.is_int(dt):
            start, stop, step = int(start), int(stop), int(step)
            n = builtins.max(-((start - stop) // step), 0)
            out = tf.constant(start, tf.int64) + tf.range(n, dtype=tf.int64) * tf.constant(step, tf.int64)
            return out if dt == tf.int64 else tf.cast(out, dt)
        n = builtins.max(math.ceil((stop - start) / step), 0)
        idx = tf.range(n, dtype=tf.float64)
        out = tf.constant(float(start), tf.float64) + idx * tf.constant(float(step), tf.float64)
        return tf.cast(out, dt)


def linspace(start, stop, /, num, *, dtype=None, device=None, endpoint=True):
    if dtype is None:
        if isinstance(start, complex) or isinstance(stop, complex):
            dt = B.DEFAULT_COMPLEX
        else:
            dt = B.DEFAULT_FLOAT
    else:
        dt = B.as_dtype(dtype)
    num = int(num)
    work = tf.complex128 if B.is_complex(dt) else tf.float64
    with B.device_scope(device):
        if num == 0:
            return tf.zeros([0], dt)
        div = (num - 1) if endpoint else num
        s = tf.constant(start, work)
        e = tf.constant(stop, work)
        if div == 0:
            return tf.cast(tf.reshape(s, [1]), dt)
        step = (e - s) / tf.cast(div, work)
        out = s + tf.cast(tf.range(num, dtype=tf.float64), work) * step
        if endpoint and num > 1:
            out = tf.concat([out[:-1], tf.reshape(e, [1])], 0)
        return tf.cast(out, dt)


def meshgrid(*arrays, indexing="xy"):
    if indexing not in ("xy", "ij"):
        raise ValueError("indexing must be 'xy' or 'ij'")
    ts, _ = B.promote(*arrays) if arrays else ([], None)
    return tuple(tf.meshgrid(*ts, indexing=indexing))


def _tri_mask(x, k, lower):
    m = B.dim(x, -2)
    n = B.dim(x, -1)
    r = tf.range(m, dtype=tf.int64)[:, None]
    c = tf.range(n, dtype=tf.int64)[None, :]
    return (c - r <= k) if lower else (c - r >= k)


def tril(x, /, *, k=0):
    x = B.tensor(x)
    return tf.where(_tri_mask(x, k, True), x, tf.zeros_like(x))


def triu(x, /, *, k=0):
    x = B.tensor(x)
    return tf.where(_tri_mask(x, k, False), x, tf.zeros_like(x))


def from_dlpack(x, /, *, device=None, copy=None):
    if B.is_tensor(x):
        t = tf.convert_to_tensor(x)
        return tf.identity(t) if copy else t
    if hasattr(x, "__dlpack__"):
        try:
            cap = x.__dlpack__()
        except TypeError:
            cap = x.__dlpack__(stream=None)
        t = tf.experimental.dlpack.from_dlpack(cap)
        return tf.identity(t) if copy else t
    return tf.experimental.dlpack.from_dlpack(x)
