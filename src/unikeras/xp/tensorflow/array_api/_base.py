"""Shared helpers: dtype tables, type promotion, conversion of inputs to tensors,
shape helpers. Everything here works on symbolic tensors (inside tf.function) as well
as eager ones: no numpy round trips on tensor values."""

from __future__ import annotations

import builtins
import contextlib

import numpy as np
import tensorflow as tf

# --------------------------------------------------------------------------- dtypes

BOOL = tf.bool
SIGNED = (tf.int8, tf.int16, tf.int32, tf.int64)
UNSIGNED = (tf.uint8, tf.uint16, tf.uint32, tf.uint64)
INTEGRAL = SIGNED + UNSIGNED
REAL_FLOAT = (tf.float32, tf.float64)
COMPLEX = (tf.complex64, tf.complex128)
FLOATING = REAL_FLOAT + COMPLEX
NUMERIC = INTEGRAL + FLOATING
ALL_DTYPES = (BOOL,) + NUMERIC
# Not Array API dtypes, but accepted (mixed-precision layers): they count as real
# floating in promotion and in the elementwise functions, which keep them.
HALF_FLOAT = (tf.float16, tf.bfloat16)

DEFAULT_FLOAT = tf.float32
DEFAULT_COMPLEX = tf.complex64
DEFAULT_INT = tf.int64
DEFAULT_INDEX = tf.int64

_BITS = {
    tf.bool: 8,
    tf.int8: 8,
    tf.int16: 16,
    tf.int32: 32,
    tf.int64: 64,
    tf.uint8: 8,
    tf.uint16: 16,
    tf.uint32: 32,
    tf.uint64: 64,
    tf.float16: 16,
    tf.bfloat16: 16,
    tf.float32: 32,
    tf.float64: 64,
    tf.complex64: 64,
    tf.complex128: 128,
}

_SIGNED_BY_BITS = {8: tf.int8, 16: tf.int16, 32: tf.int32, 64: tf.int64}
_FLOAT_BY_BITS = {32: tf.float32, 64: tf.float64}
_COMPLEX_BY_BITS = {64: tf.complex64, 128: tf.complex128}


def kind(dt) -> str:
    """'b', 'i', 'u', 'f', 'c' for a tf dtype."""
    if dt == tf.bool:
        return "b"
    if dt in SIGNED:
        return "i"
    if dt in UNSIGNED:
        return "u"
    if dt in REAL_FLOAT or dt in HALF_FLOAT:
        return "f"
    if dt in COMPLEX:
        return "c"
    raise TypeError(f"unsupported dtype {dt!r}")


def is_int(dt) -> bool:
    return dt in INTEGRAL


def is_float(dt) -> bool:
    return dt in REAL_FLOAT or dt in HALF_FLOAT


def is_complex(dt) -> bool:
    return dt in COMPLEX


def is_inexact(dt) -> bool:
    return dt in FLOATING or dt in HALF_FLOAT


def real_dtype(dt):
    """float dtype of a complex dtype's components (identity otherwise)."""
    if dt == tf.complex64:
        return tf.float32
    if dt == tf.complex128:
        return tf.float64
    return dt


def complex_dtype(dt):
    if dt in COMPLEX:
        return dt
    if dt == tf.float64:
        return tf.complex128
    return tf.complex64


def as_dtype(dt):
    if dt is None:
        return None
    if isinstance(dt, tf.DType):
        return dt
    return tf.dtypes.as_dtype(dt)


def _strict_pair(a, b):
    """The standard's promotion table; None where the standard defines nothing."""
    if a == b:
        return a
    ka, kb = kind(a), kind(b)
    ba, bb = _BITS[a], _BITS[b]
    if ka == kb and ka in "iufc":
        if ba == bb:  # float16 with bfloat16
            return tf.float32
        return a if ba > bb else b
    if {ka, kb} == {"i", "u"}:
        s, sb, ub = (a, ba, bb) if ka == "i" else (b, bb, ba)
        if sb > ub:
            return s
        if ub < 64:
            return _SIGNED_BY_BITS[ub * 2]
        return None
    if {ka, kb} == {"f", "c"}:
        f_bits = ba if ka == "f" else bb
        c_bits = ba if ka == "c" else bb
        return _COMPLEX_BY_BITS[builtins.max(c_bits, 2 * f_bits)]
    return None


_PAIR_CACHE: dict = {}


def promote_pair(a, b):
    """Promotion used by the namespace: the standard's table, extended (like numpy,
    jax and torch) to mixed kinds: bool with a number gives the number; an integer
    with a floating type gives the floating type."""
    key = (a, b)
    hit = _PAIR_CACHE.get(key)
    if hit is not None:
        return hit
    out = _strict_pair(a, b)
    if out is None:
        ka, kb = kind(a), kind(b)
        if ka == "b":
            out = b
        elif kb == "b":
            out = a
        elif {ka, kb} == {"i", "u"}:  # uint64 with a signed integer
            out = tf.int64
        elif ka in "iu":  # b is floating
            out = b
        elif kb in "iu":
            out = a
        else:
            raise TypeError(f"no promotion for {a!r} and {b!r}")
    _PAIR_CACHE[key] = out
    return out


def strict_promote(a, b):
    return _strict_pair(a, b)


def is_pyscalar(x) -> bool:
    return isinstance(x, (builtins.bool, int, float, complex)) and not hasattr(x, "dtype")


def _scalar_kind(s):
    if isinstance(s, builtins.bool):
        return "b"
    if isinstance(s, int):
        return "i"
    if isinstance(s, float):
        return "f"
    return "c"


def default_dtype_for_scalar(s):
    return {"b": tf.bool, "i": DEFAULT_INT, "f": DEFAULT_FLOAT, "c": DEFAULT_COMPLEX}[_scalar_kind(s)]


def scalar_with(dt, s):
    """dtype for a Python scalar combined with an array of dtype ``dt``."""
    sk = _scalar_kind(s)
    k = kind(dt)
    if sk == "b":
        return dt
    if sk == "i":
        return DEFAULT_INT if k == "b" else dt
    if sk == "f":
        if k in "fc":
            return dt
        return DEFAULT_FLOAT
    # complex scalar
    if k == "c":
        return dt
    if k == "f":
        return complex_dtype(dt)
    return DEFAULT_COMPLEX


def dtype_of(x):
    if isinstance(x, tf.DType):
        return x
    dt = getattr(x, "dtype", None)
    if dt is None:
        raise TypeError(f"not an array or dtype: {x!r}")
    return as_dtype(dt)


def result_type(*args):
    dtypes = []
    scalars = []
    for a in args:
        if is_pyscalar(a):
            scalars.append(a)
        else:
            dtypes.append(dtype_of(a))
    if not dtypes:
        if not scalars:
            raise ValueError("at least one array or dtype is required")
        dt = default_dtype_for_scalar(scalars[0])
        scalars = scalars[1:]
        for s in scalars:
            dt = promote_pair(dt, default_dtype_for_scalar(s))
        return dt
    dt = dtypes[0]
    for d in dtypes[1:]:
        dt = promote_pair(dt, d)
    for s in scalars:
        dt = scalar_with(dt, s)
    return dt


# --------------------------------------------------------------------------- tensors


def is_tensor(x) -> bool:
    return isinstance(x, (tf.Tensor, tf.Variable)) or tf.is_tensor(x)


def tensor(x, dtype=None):
    """Convert an array-like to a tf.Tensor (tensors and variables pass through)."""
    if isinstance(x, tf.Tensor):
        t = x
    elif isinstance(x, tf.Variable) or tf.is_tensor(x):
        t = tf.convert_to_tensor(x)
    else:
        from ._creation import asarray

        return asarray(x, dtype=dtype)
    if dtype is not None and t.dtype != dtype:
        t = tf.cast(t, dtype)
    return t


def convert_scalar(s, dt):
    if isinstance(s, complex) and not is_complex(dt):
        s = s.real
    if isinstance(s, float) and is_int(dt):
        s = int(s)
    if isinstance(s, builtins.bool) and dt != tf.bool:
        s = int(s)  # tf.constant(False, dtype=tf.uint8) raises
    if dt.is_floating or dt.is_complex:
        # Not tf.constant(python_float): TF's eager scalar cache is keyed by value, so
        # -0.0 and +0.0 (and +-0j) share one cached tensor and signed zeros get lost.
        return tf.constant(np.asarray(s, dtype=dt.as_numpy_dtype))
    return tf.constant(s, dtype=dt)


def promote(*args):
    """Convert all arguments (arrays or Python scalars) to tensors of their common
    dtype; returns (list_of_tensors, dtype)."""
    dt = result_type(*args)
    out = []
    for a in args:
        if is_pyscalar(a):
            out.append(convert_scalar(a, dt))
        else:
            out.append(tensor(a, dt))
    return out, dt


def ndim(x) -> int:
    r = x.shape.rank
    if r is None:
        raise ValueError("arrays of unknown rank are not supported")
    return r


def shape_list(x):
    """Static dims where known, scalar tensors where not."""
    static = x.shape.as_list()
    if builtins.all(d is not None for d in static):
        return static
    dyn = tf.shape(x)
    return [d if d is not None else dyn[i] for i, d in enumerate(static)]


def dim(x, i):
    d = x.shape[i]
    if d is None:
        return tf.shape(x)[i]
    return d


def size_of(x):
    s = 1
    for d in shape_list(x):
        s = s * d
    return s


def normalize_axis(axis: int, n: int, exc=IndexError) -> int:
    axis = int(axis)
    if axis < -n or axis >= n:
        raise exc(f"axis {axis} is out of bounds for array of dimension {n}")
    return axis % n if n else 0


def normalize_axes(axis, n: int):
    if axis is None:
        return list(range(n))
    if isinstance(axis, (tuple, list)):
        out = [normalize_axis(a, n) for a in axis]
        if len(set(out)) != len(out):
            raise ValueError("repeated axis")
        return out
    return [normalize_axis(axis, n)]


def device_scope(device):
    if device is None:
        return contextlib.nullcontext()
    if isinstance(device, str):
        d = device
        if d.lower() == "cpu":
            d = "/CPU:0"
        return tf.device(d)
    return tf.device(str(device))


# Dtypes on which TF lacks kernels for some ops: computed in a wider "carrier" dtype.
def int_carrier(dt):
    """A signed type able to hold ``dt`` for kernels missing on small/unsigned ints;
    uint64 uses int64 (two's complement: add/sub/mul wrap identically)."""
    if dt in (tf.int8, tf.int16, tf.uint8, tf.uint16):
        return tf.int32
    return tf.int64
