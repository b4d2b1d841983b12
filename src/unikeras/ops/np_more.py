"""More of Keras 3's NumPy-named ops (``keras.ops.numpy``): gcd/lcm, the NaN-ignoring
arg-reductions and quantiles, argpartition, histogram, correlate, window functions, i0 and
unique. Written once against the Array API; merged into ``ops.numpy`` by ``ops/__init__``.
"""

from __future__ import annotations

import builtins
import math as _math

import numpy as np

from ..xp import framework_of, to_numpy
from ._common import (
    cast_to, dtype_name, dtype_obj, floatx, op_error, ops_shim, resolve, result_type,
    standardize_dtype, to_array,
)

__all__: list[str] = []

_brange = builtins.range


def _export(fn):
    __all__.append(fn.__name__)
    return fn


def _int_dtype(fw):
    return "int32" if fw == "jax" else "int64"


def _is_floatish(d):
    return d.startswith(("float", "bfloat"))


# ------------------------------------------------------------------------------ gcd / lcm

def _gcd_abs(xp, a, b, bits):
    """Euclid's algorithm, vectorized, with a fixed number of steps (enough for any pair
    of ``bits``-bit integers: Lamé's bound), so it traces under jit."""
    zero = xp.zeros_like(b)
    one = xp.ones_like(b)
    steps = 47 if bits <= 32 else 93
    for _ in _brange(steps):
        nz = b != zero
        r = xp.where(nz, xp.remainder(a, xp.where(nz, b, one)), zero)
        a = xp.where(nz, b, a)
        b = r
    return a


def _int_pair(op, x1, x2):
    xp, fw = resolve(op, x1, x2)
    a = to_array(xp, fw, x1)
    b = to_array(xp, fw, x2)
    da, db = dtype_name(a), dtype_name(b)
    if not (da.startswith(("int", "uint")) and db.startswith(("int", "uint"))):
        raise op_error(op, f"expected integer arrays; received dtypes {da} and {db}", TypeError)
    d = result_type(a, b)
    a, b = cast_to(xp, fw, a, d), cast_to(xp, fw, b, d)
    a, b = xp.broadcast_arrays(a, b)
    return xp, fw, xp.abs(a), xp.abs(b), d


@_export
def gcd(x1, x2):
    """Greatest common divisor, elementwise (integers; gcd(0, 0) = 0)."""
    xp, fw, a, b, d = _int_pair("gcd", x1, x2)
    return _gcd_abs(xp, a, b, 64 if d.endswith("64") else 32)


@_export
def lcm(x1, x2):
    """Least common multiple, elementwise (integers; 0 where either is 0)."""
    xp, fw, a, b, d = _int_pair("lcm", x1, x2)
    g = _gcd_abs(xp, a, b, 64 if d.endswith("64") else 32)
    zero = xp.zeros_like(g)
    safe = xp.where(g == zero, xp.ones_like(g), g)
    return xp.where(g == zero, zero, (a // safe) * b)


# ---------------------------------------------------------------------- NaN-ignoring ops

def _nanarg(op, x, axis, keepdims):
    from . import np_api

    xp, fw = resolve(op, x)
    x = to_array(xp, fw, x)
    if not _is_floatish(dtype_name(x)):
        return getattr(np_api, op[3:])(x, axis=axis, keepdims=keepdims)
    nan = xp.isnan(x)
    fill = -_math.inf if op == "nanargmax" else _math.inf
    idx = getattr(np_api, op[3:])(xp.where(nan, xp.full_like(x, fill), x), axis=axis,
                                  keepdims=keepdims)
    if axis is None:
        all_nan = xp.all(nan)
        if keepdims:
            all_nan = xp.reshape(all_nan, (1,) * x.ndim)
    else:
        all_nan = xp.all(nan, axis=int(axis), keepdims=keepdims)
    return xp.where(all_nan, xp.full_like(idx, -1), idx)


@_export
def nanargmax(x, axis=None, keepdims=False):
    """Index of the maximum along ``axis`` ignoring NaN (int32; -1 where all are NaN, as in
    Keras' JAX backend)."""
    return _nanarg("nanargmax", x, axis, keepdims)


@_export
def nanargmin(x, axis=None, keepdims=False):
    """Index of the minimum along ``axis`` ignoring NaN (int32; -1 where all are NaN)."""
    return _nanarg("nanargmin", x, axis, keepdims)


_METHODS = ("linear", "lower", "higher", "midpoint", "nearest")


@_export
def nanquantile(x, q, axis=None, method="linear", keepdims=False):
    """``quantile`` ignoring NaN (NaN where a slice is all NaN). ``q`` dims come first."""
    from . import np_api

    if method not in _METHODS:
        raise op_error("nanquantile", f"expected method in {_METHODS}; received {method!r}")
    xp, fw = resolve("nanquantile", x, q)
    x = to_array(xp, fw, x)
    if not _is_floatish(dtype_name(x)):
        return np_api.quantile(x, q, axis=axis, method=method, keepdims=keepdims)
    d = dtype_name(x)
    compute = result_type(d, "float32")
    x = cast_to(xp, fw, x, compute)
    flat, axes = np_api._move_reduced_last(xp, x, np_api._axis(axis))
    valid = xp.logical_not(xp.isnan(flat))
    cnt = xp.sum(cast_to(xp, fw, valid, compute), axis=-1, keepdims=True)  # kept + (1,)
    s = xp.sort(xp.where(valid, flat, xp.full_like(flat, _math.inf)), axis=-1)
    s = xp.where(cnt == 0.0, xp.zeros_like(s), s)  # all-NaN slices: NaN is put back below
    m = s.shape[-1]
    qa = to_array(xp, fw, q, compute)
    q_shape = tuple(qa.shape)
    qf = xp.reshape(qa, (1,) * (s.ndim - 1) + (-1,))
    pos = qf * xp.maximum(cnt - 1.0, xp.zeros_like(cnt))  # kept + (nq,)
    it = dtype_obj(xp, fw, _int_dtype(fw))
    hi_lim = float(max(m - 1, 0))

    def gather(p):
        idx = xp.astype(xp.clip(p, 0.0, hi_lim), it)
        idx = xp.broadcast_to(idx, tuple(s.shape[:-1]) + (idx.shape[-1],))
        return np_api.take_along_axis(s, idx, axis=-1)

    if method == "nearest":
        out = gather(xp.round(pos))
    else:
        lo, hi = xp.floor(pos), xp.ceil(pos)
        out = np_api._interpolate(method, gather(lo), gather(hi), pos - lo)
    out = xp.where(cnt == 0.0, xp.full_like(out, _math.nan), out)
    return cast_to(xp, fw, np_api._quantile_layout(xp, out, x, axes, keepdims, q_shape), d)


@_export
def nanpercentile(x, q, axis=None, method="linear", keepdims=False):
    """``nanquantile`` with ``q`` in percent."""
    from . import np_api

    return nanquantile(x, np_api._percent_to_fraction(q), axis=axis, method=method,
                       keepdims=keepdims)


@_export
def nanmedian(x, axis=None, keepdims=False):
    """Median along ``axis`` ignoring NaN (ints give floatx)."""
    from . import np_api

    xp, fw = resolve("nanmedian", x)
    x = to_array(xp, fw, x)
    if not _is_floatish(dtype_name(x)):
        return np_api.median(x, axis=axis, keepdims=keepdims)
    return nanquantile(x, 0.5, axis=axis, keepdims=keepdims)


# ------------------------------------------------------------------ partition, histogram

@_export
def argpartition(x, kth, axis=-1):
    """Indices that partition ``x`` along ``axis`` around its ``kth`` element (int32): the
    element at ``kth`` is where it would be sorted, smaller ones before, larger after. This
    returns the stable sort order, one valid partition (NumPy's introselect order differs,
    as it does between Keras' backends)."""
    from . import np_api

    xp, fw = resolve("argpartition", x)
    x = to_array(xp, fw, x)
    if axis is None:
        x, axis = xp.reshape(x, (-1,)), 0
    if x.ndim == 0:
        raise op_error("argpartition", "expected an array of rank >= 1; received a scalar")
    axis = int(axis)
    if not -x.ndim <= axis < x.ndim:
        raise op_error("argpartition", f"axis {axis} is out of bounds for rank {x.ndim}")
    n = x.shape[axis]
    for k in (kth if isinstance(kth, (list, tuple)) else (kth,)):
        if not -n <= int(k) < n:
            raise op_error("argpartition", f"expected kth in [{-n}, {n}); received {k}")
    return np_api.argsort(x, axis=axis)


@_export
def histogram(x, bins=10, range=None):
    """``(counts, bin_edges)`` of a 1-D array: ``bins`` equal bins over ``range`` (default:
    the data's min and max; half-open bins, the last one closed). Values outside are
    dropped. Both outputs are float (at least float32), as in Keras' JAX backend."""
    from .math import segment_sum

    if not isinstance(bins, int) or isinstance(bins, bool):
        raise op_error("histogram", f"expected an int bins; received bins={bins!r}", TypeError)
    if bins < 0:
        raise op_error("histogram", f"expected a non-negative bins; received bins={bins}")
    if range is not None:
        if not isinstance(range, tuple) or len(range) != 2:
            raise op_error("histogram", f"expected range as a tuple (min, max); received {range!r}")
        if range[1] < range[0]:
            raise op_error("histogram", f"expected range[0] <= range[1]; received {range!r}")
    xp, fw = resolve("histogram", x)
    x = to_array(xp, fw, x)
    if x.ndim != 1:
        raise op_error("histogram", f"expected a 1-D array; received shape {tuple(x.shape)}")
    d = result_type(dtype_name(x), "float32")
    xf = cast_to(xp, fw, x, d)
    if range is None:
        if x.shape[0]:
            lo, hi = xp.min(xf), xp.max(xf)
        else:
            lo, hi = xp.asarray(0.0, dtype=xf.dtype), xp.asarray(1.0, dtype=xf.dtype)
    else:
        lo, hi = (to_array(xp, fw, float(v), d) for v in range)
    same = lo == hi
    lo = xp.where(same, lo - 0.5, lo)
    hi = xp.where(same, hi + 0.5, hi)
    steps = to_array(xp, fw, np.arange(bins + 1, dtype=np.float64) / builtins.max(bins, 1), d)
    edges = lo + (hi - lo) * steps
    edges = xp.concat([edges[:-1], xp.reshape(hi, (1,))]) if bins else edges
    idx = xp.searchsorted(edges, xf, side="right") - 1
    it = idx.dtype
    idx = xp.where(xf == hi, xp.asarray(bins - 1, dtype=it), idx)
    keep = xp.logical_and(xf >= lo, xf <= hi)
    idx = xp.where(keep, idx, xp.asarray(-1, dtype=it))
    counts = segment_sum(xp.ones_like(xf), idx, num_segments=bins)
    return counts, edges


@_export
def correlate(x1, x2, mode="valid"):
    """Cross-correlation of two 1-D arrays, ``c[k] = sum_n x1[n + k] * conj(x2[n])``, with
    NumPy's modes 'valid', 'same' and 'full' (ints give floatx)."""
    if mode not in ("valid", "same", "full"):
        raise op_error("correlate", f"expected mode in ('valid', 'same', 'full'); received {mode!r}")
    xp, fw = resolve("correlate", x1, x2)
    a, v = to_array(xp, fw, x1), to_array(xp, fw, x2)
    if a.ndim != 1 or v.ndim != 1:
        raise op_error("correlate", f"expected 1-D arrays; received shapes {tuple(a.shape)} and "
                       f"{tuple(v.shape)}")
    m, n = a.shape[0], v.shape[0]
    if m == 0 or n == 0:
        raise op_error("correlate", f"expected non-empty arrays; received lengths {m} and {n}")
    d = result_type(a, v, float)
    a, v = cast_to(xp, fw, a, d), cast_to(xp, fw, v, d)
    if d.startswith("complex"):
        v = xp.conj(v)
    pad = xp.zeros((n - 1,), dtype=a.dtype)
    ap = xp.concat([pad, a, pad])
    length = m + n - 1
    idx = (np.arange(length)[:, None] + np.arange(n)[None, :]).reshape(-1)
    frames = xp.reshape(xp.take(ap, to_array(xp, fw, idx, _int_dtype(fw)), axis=0), (length, n))
    full = xp.sum(frames * v, axis=-1)
    if mode == "full":
        return full
    if mode == "valid":
        start, size = builtins.min(m, n) - 1, builtins.max(m, n) - builtins.min(m, n) + 1
    else:
        size = builtins.max(m, n)
        start = (length - size) // 2 if m >= n else (length - size + 1) // 2
    return full[start:start + size]


# ---------------------------------------------------------------------------- windows

def _window(op, x):
    xp, fw = resolve(op, x)
    try:
        m = int(x if framework_of(x) is None else to_numpy(x))
    except (TypeError, ValueError):
        raise op_error(op, f"expected an integer window length; received {x!r}", TypeError) from None
    return xp, fw, m


def _ramp(xp, fw, m):
    """2n / (M - 1) for n in [0, M) as floatx (M >= 2)."""
    return to_array(xp, fw, 2.0 * np.arange(m, dtype=np.float64) / (m - 1), floatx())


def _cosine_window(op, x, coeffs):
    xp, fw, m = _window(op, x)
    if m < 2:
        return xp.ones((builtins.max(m, 0),), dtype=dtype_obj(xp, fw, floatx()))
    t = _ramp(xp, fw, m) * _math.pi  # 2 pi n / (M - 1)
    out = coeffs[0]
    for k, c in enumerate(coeffs[1:], start=1):
        out = out + c * xp.cos(k * t)
    return out


@_export
def bartlett(x):
    """The Bartlett (triangular) window of length ``x`` (floatx)."""
    xp, fw, m = _window("bartlett", x)
    if m < 2:
        return xp.ones((builtins.max(m, 0),), dtype=dtype_obj(xp, fw, floatx()))
    return 1.0 - xp.abs(_ramp(xp, fw, m) - 1.0)


@_export
def blackman(x):
    """The Blackman window of length ``x`` (floatx)."""
    return _cosine_window("blackman", x, (0.42, -0.5, 0.08))


@_export
def hamming(x):
    """The Hamming window of length ``x`` (floatx)."""
    return _cosine_window("hamming", x, (0.54, -0.46))


@_export
def hanning(x):
    """The Hann window of length ``x`` (floatx)."""
    return _cosine_window("hanning", x, (0.5, -0.5))


@_export
def kaiser(x, beta):
    """The Kaiser window of length ``x`` and shape ``beta`` (floatx)."""
    xp, fw, m = _window("kaiser", x)
    if m < 2:
        return xp.ones((builtins.max(m, 0),), dtype=dtype_obj(xp, fw, floatx()))
    r = _ramp(xp, fw, m) - 1.0
    arg = float(beta) * xp.sqrt(xp.clip(1.0 - r * r, 0.0, 1.0))
    return _i0_generic(xp, arg) / _i0_generic(xp, xp.full_like(arg, float(beta)))


def _i0_generic(xp, x):
    """I0 by its power series (positive terms: no cancellation) for |x| <= 30 and its
    asymptotic expansion beyond; relative error ~1e-15 in float64."""
    a = xp.abs(x)
    small = xp.minimum(a, 30.0)
    y = small * small * 0.25
    term = xp.ones_like(y)
    s = xp.ones_like(y)
    for k in _brange(1, 90):
        term = term * y / float(k * k)
        s = s + term
    big = xp.maximum(a, 30.0)
    z = 1.0 / (8.0 * big)
    t = xp.ones_like(z)
    series = xp.ones_like(z)
    for k in _brange(1, 20):
        t = t * z * float((2 * k - 1) ** 2) / k
        series = series + t
    # e^x / sqrt(2 pi x) computed as (e^(x/2))^2 / ... so float32 overflows only where I0 does
    half = xp.exp(big * 0.5)
    asym = half * (half / xp.sqrt(2.0 * _math.pi * big)) * series
    return xp.where(a <= 30.0, s, asym)


@_export
def i0(x):
    """The modified Bessel function of the first kind, order 0 (ints give floatx; float16,
    bfloat16 and float64 are kept)."""
    xp, fw = resolve("i0", x)
    x = to_array(xp, fw, x)
    d = dtype_name(x)
    if d in ("int64", "float64"):
        d = "float64"
    elif d not in ("bfloat16", "float16"):
        d = floatx()
    compute = result_type(d, "float32")
    return cast_to(xp, fw, _i0_generic(xp, cast_to(xp, fw, x, compute)), d)


# ----------------------------------------------------------------------------- unique

@_export
def unique(x, sorted=True, return_index=False, return_inverse=False, return_counts=False,
           axis=None, size=None, fill_value=None):
    """The sorted unique values of ``x`` (flattened, or unique slices along ``axis``), with
    optionally the first indices, the inverse indices and the counts (int32), as in Keras
    (its JAX backend). ``size`` pads (with ``fill_value``, default the smallest unique
    value; indices with 0, counts with 0) or truncates the result to a static length.
    The output shape depends on the values: they are read on the host (not traceable
    under jax.jit / tf.function without ``size``, as in Keras)."""
    xp, fw = resolve("unique", x)
    x = to_array(xp, fw, x)
    it = dtype_obj(xp, fw, _int_dtype(fw))
    host = np.asarray(to_numpy(x))
    if axis is None:
        flat = host.reshape(-1)
        _, first, inv, counts = np.unique(flat, return_index=True, return_inverse=True,
                                          return_counts=True)
        values = xp.take(xp.reshape(x, (-1,)), to_array(xp, fw, first, _int_dtype(fw)), axis=0)
        inv = inv.reshape(host.shape)
    else:
        ax = int(axis)
        if not -x.ndim <= ax < x.ndim:
            raise op_error("unique", f"axis {ax} is out of bounds for an array of rank {x.ndim}")
        ax %= x.ndim
        _, first, inv, counts = np.unique(host, return_index=True, return_inverse=True,
                                          return_counts=True, axis=ax)
        values = xp.take(x, to_array(xp, fw, first, _int_dtype(fw)), axis=ax)
        inv = inv.reshape(-1)
    ax = 0 if axis is None else int(axis) % x.ndim
    nu = first.shape[0]
    if size is not None:
        size = int(size)
        if size < nu:
            values = xp.take(values, xp.arange(size, dtype=it), axis=ax)
            first, counts = first[:size], counts[:size]
        elif size > nu:
            pad_shape = list(values.shape)
            pad_shape[ax] = size - nu
            if fill_value is None:
                if nu == 0:
                    raise op_error("unique", "fill_value is needed to pad an empty array to size")
                fill = xp.take(values, xp.asarray([0], dtype=it), axis=ax)
                pad = xp.broadcast_to(fill, tuple(pad_shape))
            else:
                pad = xp.full(tuple(pad_shape), fill_value, dtype=values.dtype)
            values = xp.concat([values, pad], axis=ax)
            first = np.concatenate([first, np.zeros(size - nu, first.dtype)])
            counts = np.concatenate([counts, np.zeros(size - nu, counts.dtype)])
    extras = []
    if return_index:
        extras.append(to_array(xp, fw, first.astype(np.int32), "int32"))
    if return_inverse:
        extras.append(to_array(xp, fw, inv.astype(np.int32), "int32"))
    if return_counts:
        extras.append(to_array(xp, fw, counts.astype(np.int32), "int32"))
    return (values, *extras) if extras else values


# ------------------------------------------------------------------------------ view

_ITEMSIZE = {"bool": 1, "int8": 1, "uint8": 1, "int16": 2, "uint16": 2, "float16": 2,
             "bfloat16": 2, "int32": 4, "uint32": 4, "float32": 4, "int64": 8,
             "uint64": 8, "float64": 8, "complex64": 8, "complex128": 16}


@_export
def view(x, dtype=None):
    """The bits of ``x`` reinterpreted as ``dtype`` (NumPy's ``ndarray.view``): with a
    different item size the last dimension shrinks or grows by the ratio."""
    xp, fw = resolve("view", x)
    x = to_array(xp, fw, x)
    if dtype is None:
        return x
    src, dst = dtype_name(x), standardize_dtype(dtype)
    if dst not in _ITEMSIZE:
        raise op_error("view", f"expected a numeric dtype; received {dtype!r}", TypeError)
    a, b = _ITEMSIZE[src], _ITEMSIZE[dst]
    if a != b:
        last = x.shape[-1] if x.ndim else None
        if last is None or (b > a and last * a % b):
            raise op_error("view", f"viewing {src} as {dst} changes the item size, which needs "
                           f"a last dimension whose bytes divide into {dst} items; received "
                           f"shape {tuple(x.shape)}")
    return ops_shim(fw).view(x, dtype_obj(xp, fw, dst))
