"""Keras 3's reductions and statistics (part of ``keras.ops.numpy``): sum/prod/mean/var,
max/min, arg-reductions, cumulative ops, quantiles and their NaN-ignoring forms,
histogram, corrcoef.

``sum``/``prod`` of bool/int8/int16 give int32 (uint8, uint16: uint32); ``mean`` of ints
gives float32; indices are int32 (Keras 3 follows JAX without x64).
"""

from __future__ import annotations

import builtins
import math as _math

import numpy as np

from ..xp import framework_of
from ..xp.dtypes import index_dtype
from ._common import (
    _axis, _bmax, cast_to, dtype_name, dtype_obj, FLOATS, INTS, _is_float_name,
    _is_floatish, _nelems, _one, op_error, resolve, result_type, standardize_dtype,
    to_array, to_float, _xfn,
)
from .elementwise import _to_bool
from .manipulation import diagonal, take_along_axis
from .segment import segment_sum

__all__: list[str] = []


def _export(fn):
    __all__.append(fn.__name__)
    return fn


# --------------------------------------------------------------------------------------
# reductions

def _sum_dtype(d):
    if d in ("bool", "int8", "int16"):
        return "int32"
    if d in ("uint8", "uint16"):
        return "uint32"
    return d


@_export
def sum(x, axis=None, keepdims=False):
    """Sum over ``axis`` (bool/int8/int16 give int32; uint8/uint16 give uint32)."""
    xp, fw, x = _one("sum", x)
    d = _sum_dtype(dtype_name(x))
    return _accumulate(xp, fw, xp.sum, x, _axis(axis), keepdims, d)


def _accumulate(xp, fw, fn, x, axis, keepdims, d):
    try:
        return fn(x, axis=axis, keepdims=keepdims, dtype=dtype_obj(xp, fw, d))
    except (NotImplementedError, RuntimeError, TypeError):
        # e.g. torch has no uint32 sums on CPU: accumulate in int64, then cast
        if d not in INTS:
            raise
        out = fn(cast_to(xp, fw, x, "int64"), axis=axis, keepdims=keepdims)
        return cast_to(xp, fw, out, d)


@_export
def prod(x, axis=None, keepdims=False, dtype=None):
    """Product over ``axis`` (accumulation dtype as ``sum``)."""
    xp, fw, x = _one("prod", x)
    d = standardize_dtype(dtype) if dtype is not None else _sum_dtype(dtype_name(x))
    return _accumulate(xp, fw, xp.prod, x, _axis(axis), keepdims, d)


@_export
def mean(x, axis=None, keepdims=False):
    """Mean over ``axis`` (ints/bool give float32; float16 accumulates in float32)."""
    xp, fw, x = _one("mean", x)
    d = dtype_name(x)
    compute = result_type(d, "float32")
    out = xp.mean(cast_to(xp, fw, x, compute), axis=_axis(axis), keepdims=keepdims)
    return out if d not in FLOATS else cast_to(xp, fw, out, d)


def _var(op, x, axis, keepdims, sqrt):
    xp, fw, x = _one(op, x)
    d = dtype_name(x)
    compute = result_type(d, "float32")
    out = xp.var(cast_to(xp, fw, x, compute), axis=_axis(axis), keepdims=keepdims)
    if sqrt:
        out = xp.sqrt(out)
    return cast_to(xp, fw, out, result_type(d, float))


@_export
def var(x, axis=None, keepdims=False):
    """Population variance over ``axis``."""
    return _var("var", x, axis, keepdims, False)


@_export
def std(x, axis=None, keepdims=False):
    """Population standard deviation over ``axis``."""
    return _var("std", x, axis, keepdims, True)


def _maxmin(op, fn, x, axis, keepdims, initial):
    xp, fw, x = _one(op, x)
    ax = _axis(axis)
    empty_ = _nelems(x) == 0
    if empty_:
        if initial is None:
            raise op_error(op, f"expected a non-empty array or an initial value; received shape "
                           f"{tuple(x.shape)}")
    if dtype_name(x) == "bool":
        red = xp.any if fn == "max" else xp.all
        out = red(x, axis=ax, keepdims=keepdims)
    elif initial is not None and empty_:
        shape = [1 if (ax is None or i in (ax if isinstance(ax, tuple) else (ax,)) or i - x.ndim in
                       (ax if isinstance(ax, tuple) else (ax,))) else s for i, s in enumerate(x.shape)]
        if not keepdims:
            shape = [s for i, s in enumerate(x.shape) if not (ax is None or i in (ax if isinstance(ax, tuple) else (ax,)))]
        return xp.full(tuple(shape), initial, dtype=x.dtype)
    else:
        out = getattr(xp, fn)(x, axis=ax, keepdims=keepdims)
    if initial is not None:
        init = to_array(xp, fw, initial, dtype_name(x))
        out = xp.maximum(out, init) if fn == "max" else xp.minimum(out, init)
    return out


@_export
def max(x, axis=None, keepdims=False, initial=None):
    """Maximum over ``axis``."""
    return _maxmin("max", "max", x, axis, keepdims, initial)


@_export
def min(x, axis=None, keepdims=False, initial=None):
    """Minimum over ``axis``."""
    return _maxmin("min", "min", x, axis, keepdims, initial)


@_export
def amax(x, axis=None, keepdims=False):
    """Maximum over ``axis``."""
    return _maxmin("amax", "max", x, axis, keepdims, None)


@_export
def amin(x, axis=None, keepdims=False):
    """Minimum over ``axis``."""
    return _maxmin("amin", "min", x, axis, keepdims, None)


@_export
def ptp(x, axis=None, keepdims=False):
    """``max - min`` over ``axis``."""
    xp, fw, x = _one("ptp", x)
    if dtype_name(x) == "bool":
        raise op_error("ptp", "expected a numeric array; received dtype bool", TypeError)
    ax = _axis(axis)
    return xp.max(x, axis=ax, keepdims=keepdims) - xp.min(x, axis=ax, keepdims=keepdims)


@_export
def all(x, axis=None, keepdims=False):
    """True where all elements along ``axis`` are truthy."""
    xp, fw, x = _one("all", x)
    return xp.all(_to_bool(xp, fw, x), axis=_axis(axis), keepdims=keepdims)


@_export
def any(x, axis=None, keepdims=False):
    """True where any element along ``axis`` is truthy."""
    xp, fw, x = _one("any", x)
    return xp.any(_to_bool(xp, fw, x), axis=_axis(axis), keepdims=keepdims)


def _arg(op, x, axis, keepdims):
    xp, fw, x = _one(op, x)
    if dtype_name(x) == "bool":
        x = cast_to(xp, fw, x, "int8")
    if axis is None:
        out = getattr(xp, op)(xp.reshape(x, (-1,)), axis=0)
        if keepdims:
            out = xp.reshape(out, (1,) * x.ndim)
    else:
        out = getattr(xp, op)(x, axis=int(axis), keepdims=keepdims)
    return cast_to(xp, fw, out, "int32")


@_export
def argmax(x, axis=None, keepdims=False):
    """Index of the maximum along ``axis`` (int32)."""
    return _arg("argmax", x, axis, keepdims)


@_export
def argmin(x, axis=None, keepdims=False):
    """Index of the minimum along ``axis`` (int32)."""
    return _arg("argmin", x, axis, keepdims)


@_export
def count_nonzero(x, axis=None):
    """Number of non-zero elements along ``axis`` (int32)."""
    xp, fw, x = _one("count_nonzero", x)
    out = xp.sum(cast_to(xp, fw, _to_bool(xp, fw, x), "int32"), axis=_axis(axis))
    return cast_to(xp, fw, out, "int32")


def _cum(op, x, axis, dtype):
    xp, fw, x = _one(op, x)
    d = standardize_dtype(dtype) if dtype is not None else dtype_name(x)
    if d == "bool":
        d = "int32"
    x = cast_to(xp, fw, x, d)
    if axis is None:
        x, axis = xp.reshape(x, (-1,)), 0
    name = "cumulative_sum" if op == "cumsum" else "cumulative_prod"
    fn = _xfn(xp, fw, name)
    if fn is None:  # sequential fallback
        x = xp.moveaxis(x, int(axis), 0)
        acc, outs = None, []
        for i in range(x.shape[0]):
            acc = x[i] if acc is None else (acc + x[i] if op == "cumsum" else acc * x[i])
            outs.append(acc)
        return xp.moveaxis(xp.stack(outs), 0, int(axis))
    return fn(x, axis=int(axis), dtype=dtype_obj(xp, fw, d))


@_export
def cumsum(x, axis=None, dtype=None):
    """Cumulative sum along ``axis`` (flattened when None; bool gives int32)."""
    return _cum("cumsum", x, axis, dtype)


@_export
def cumprod(x, axis=None, dtype=None):
    """Cumulative product along ``axis`` (flattened when None; bool gives int32)."""
    return _cum("cumprod", x, axis, dtype)


@_export
def average(x, axis=None, weights=None):
    """Weighted mean over ``axis`` (ints give floatx)."""
    xp, fw = resolve("average", x, weights)
    x = to_array(xp, fw, x)
    if weights is None:
        d = result_type(x, float)
        x = cast_to(xp, fw, x, d)
        return xp.mean(x, axis=_axis(axis))
    w = to_array(xp, fw, weights)
    d = result_type(x, w, float)
    x, w = cast_to(xp, fw, x, d), cast_to(xp, fw, w, d)
    if w.ndim != x.ndim:
        if axis is None or w.ndim != 1 or isinstance(axis, (tuple, list)):
            raise op_error("average", f"expected weights of shape {tuple(x.shape)} or 1-D along axis; "
                           f"received {tuple(w.shape)}")
        ax = int(axis) % x.ndim
        if w.shape[0] != x.shape[ax]:
            raise op_error("average", f"expected 1-D weights of length {x.shape[ax]} (axis {axis}); "
                           f"received shape {tuple(w.shape)}")
        w = xp.reshape(w, tuple(-1 if i == ax else 1 for i in range(x.ndim)))
    ax = _axis(axis)
    return xp.sum(x * w, axis=ax) / xp.sum(w * xp.ones_like(x), axis=ax)


def _move_reduced_last(xp, x, axis):
    """``x`` with the reduced axes merged into one last axis, and the kept shape."""
    if axis is None:
        return xp.reshape(x, (-1,)), None
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    axes = tuple(sorted(a % x.ndim for a in axes))
    keep = [i for i in range(x.ndim) if i not in axes]
    x = xp.permute_dims(x, tuple(keep) + axes)
    kept_shape = tuple(x.shape[: len(keep)])
    return xp.reshape(x, kept_shape + (-1,)), axes


@_export
def quantile(x, q, axis=None, method="linear", keepdims=False):
    """The ``q``-th quantiles (``q`` in [0, 1]) along ``axis``; methods linear, lower,
    higher, midpoint, nearest. ``q`` dims come first, as in NumPy."""
    if method not in ("linear", "lower", "higher", "midpoint", "nearest"):
        raise op_error("quantile", "expected method in ('linear', 'lower', 'higher', 'midpoint', "
                       f"'nearest'); received {method!r}")
    xp, fw = resolve("quantile", x, q)
    x = to_array(xp, fw, x)
    d = result_type(x, float)
    compute = result_type(d, "float32")
    x = cast_to(xp, fw, x, compute)
    flat, axes = _move_reduced_last(xp, x, _axis(axis))
    s = xp.sort(flat, axis=-1)
    n = s.shape[-1]
    qa = to_array(xp, fw, q, compute)
    q_shape = tuple(qa.shape)
    qf = xp.reshape(qa, (-1,))
    pos = qf * (n - 1)
    lo = xp.floor(pos)
    hi = xp.ceil(pos)
    if method == "nearest":
        idx = xp.astype(xp.round(pos), dtype_obj(xp, fw, index_dtype(fw)))
        out = xp.take(s, idx, axis=-1)
    else:
        it = dtype_obj(xp, fw, index_dtype(fw))
        v_lo = xp.take(s, xp.astype(lo, it), axis=-1)
        v_hi = xp.take(s, xp.astype(hi, it), axis=-1)
        out = _interpolate(method, v_lo, v_hi, pos - lo)
    return cast_to(xp, fw, _quantile_layout(xp, out, x, axes, keepdims, q_shape), d)


def _interpolate(method, v_lo, v_hi, frac):
    """Between the order statistics below and above a quantile's position."""
    if method == "lower":
        return v_lo
    if method == "higher":
        return v_hi
    if method == "midpoint":
        return (v_lo + v_hi) * 0.5
    return v_lo + (v_hi - v_lo) * frac


def _quantile_layout(xp, out, x, axes, keepdims, q_shape):
    """``kept_shape + (nq,)`` -> ``q_shape + kept_shape`` (reduced axes as 1 with keepdims)."""
    out = xp.moveaxis(out, -1, 0)
    if keepdims:
        kept = (1,) * x.ndim if axes is None else tuple(
            1 if i in axes else x.shape[i] for i in range(x.ndim))
        out = xp.reshape(out, (out.shape[0],) + kept)
    return xp.reshape(out, q_shape + tuple(out.shape[1:]))


def _percent_to_fraction(q):
    if framework_of(q) is not None:
        return q / 100.0
    q = np.asarray(q, dtype=np.float64) / 100.0
    return float(q) if q.ndim == 0 else q.tolist()


@_export
def percentile(x, q, axis=None, method="linear", keepdims=False):
    """``quantile`` with ``q`` in percent."""
    return quantile(x, _percent_to_fraction(q), axis=axis, method=method, keepdims=keepdims)


@_export
def median(x, axis=None, keepdims=False):
    """Median along ``axis`` (ints give floatx)."""
    return quantile(x, 0.5, axis=axis, keepdims=keepdims)


@_export
def trace(x, offset=0, axis1=0, axis2=1):
    """Sum of a diagonal (dtype as ``sum``)."""
    xp, fw, x = _one("trace", x)
    dg = diagonal(x, offset=offset, axis1=axis1, axis2=axis2)
    return xp.sum(dg, axis=-1, dtype=dtype_obj(xp, fw, _sum_dtype(dtype_name(x))))


def _nan_fill(op, x, fill):
    xp, fw, x = _one(op, x)
    if not _is_float_name(dtype_name(x)):
        return xp, fw, x, None
    nan = xp.isnan(x)
    return xp, fw, xp.where(nan, to_array(xp, fw, fill, dtype_name(x)), x), nan


@_export
def nansum(x, axis=None, keepdims=False):
    """``sum`` ignoring NaN."""
    xp, fw, x, _ = _nan_fill("nansum", x, 0)
    return sum(x, axis=axis, keepdims=keepdims)


@_export
def nanprod(x, axis=None, keepdims=False):
    """``prod`` ignoring NaN."""
    xp, fw, x, _ = _nan_fill("nanprod", x, 1)
    return prod(x, axis=axis, keepdims=keepdims)


@_export
def nanmax(x, axis=None, keepdims=False):
    """``max`` ignoring NaN (NaN where all are NaN)."""
    xp, fw, x, nan = _nan_fill("nanmax", x, -_math.inf)
    out = max(x, axis=axis, keepdims=keepdims)
    if nan is None:
        return out
    return xp.where(xp.all(nan, axis=_axis(axis), keepdims=keepdims), to_array(xp, fw, _math.nan, dtype_name(out)), out)


@_export
def nanmin(x, axis=None, keepdims=False):
    """``min`` ignoring NaN (NaN where all are NaN)."""
    xp, fw, x, nan = _nan_fill("nanmin", x, _math.inf)
    out = min(x, axis=axis, keepdims=keepdims)
    if nan is None:
        return out
    return xp.where(xp.all(nan, axis=_axis(axis), keepdims=keepdims), to_array(xp, fw, _math.nan, dtype_name(out)), out)


@_export
def nanmean(x, axis=None, keepdims=False):
    """``mean`` ignoring NaN."""
    xp, fw, x = _one("nanmean", x)
    d = dtype_name(x)
    if not _is_float_name(d):
        return mean(x, axis=axis, keepdims=keepdims)
    compute = result_type(d, "float32")
    xc = cast_to(xp, fw, x, compute)
    ok = xp.logical_not(xp.isnan(xc))
    total = xp.sum(xp.where(ok, xc, xp.zeros_like(xc)), axis=_axis(axis), keepdims=keepdims)
    count = xp.sum(cast_to(xp, fw, ok, compute), axis=_axis(axis), keepdims=keepdims)
    return cast_to(xp, fw, total / count, d)


@_export
def nanvar(x, axis=None, keepdims=False):
    """``var`` ignoring NaN."""
    xp, fw, x = _one("nanvar", x)
    d = dtype_name(x)
    if not _is_float_name(d):
        return var(x, axis=axis, keepdims=keepdims)
    m = nanmean(cast_to(xp, fw, x, result_type(d, "float32")), axis=axis, keepdims=True)
    dev = cast_to(xp, fw, x, dtype_name(m)) - m
    return cast_to(xp, fw, nanmean(dev * dev, axis=axis, keepdims=keepdims), d)


@_export
def nanstd(x, axis=None, keepdims=False):
    """``std`` ignoring NaN."""
    xp, fw, x = _one("nanstd", x)
    return xp.sqrt(nanvar(x, axis=axis, keepdims=keepdims))


@_export
def nancumsum(x, axis=None, dtype=None):
    """``cumsum`` treating NaN as 0."""
    xp, fw, x, _ = _nan_fill("nancumsum", x, 0)
    return cumsum(x, axis=axis, dtype=dtype)


@_export
def nancumprod(x, axis=None, dtype=None):
    """``cumprod`` treating NaN as 1."""
    xp, fw, x, _ = _nan_fill("nancumprod", x, 1)
    return cumprod(x, axis=axis, dtype=dtype)


# ---------------------------------------------------------------------- NaN-ignoring ops

def _nanarg(op, x, axis, keepdims):
    xp, fw = resolve(op, x)
    x = to_array(xp, fw, x)
    if not _is_floatish(dtype_name(x)):
        return _ARG_REDUCTIONS[op](x, axis=axis, keepdims=keepdims)
    nan = xp.isnan(x)
    fill = -_math.inf if op == "nanargmax" else _math.inf
    idx = _ARG_REDUCTIONS[op](xp.where(nan, xp.full_like(x, fill), x), axis=axis,
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
    if method not in _METHODS:
        raise op_error("nanquantile", f"expected method in {_METHODS}; received {method!r}")
    xp, fw = resolve("nanquantile", x, q)
    x = to_array(xp, fw, x)
    if not _is_floatish(dtype_name(x)):
        return quantile(x, q, axis=axis, method=method, keepdims=keepdims)
    d = dtype_name(x)
    compute = result_type(d, "float32")
    x = cast_to(xp, fw, x, compute)
    flat, axes = _move_reduced_last(xp, x, _axis(axis))
    valid = xp.logical_not(xp.isnan(flat))
    cnt = xp.sum(cast_to(xp, fw, valid, compute), axis=-1, keepdims=True)  # kept + (1,)
    s = xp.sort(xp.where(valid, flat, xp.full_like(flat, _math.inf)), axis=-1)
    s = xp.where(cnt == 0.0, xp.zeros_like(s), s)  # all-NaN slices: NaN is put back below
    m = s.shape[-1]
    qa = to_array(xp, fw, q, compute)
    q_shape = tuple(qa.shape)
    qf = xp.reshape(qa, (1,) * (s.ndim - 1) + (-1,))
    pos = qf * xp.maximum(cnt - 1.0, xp.zeros_like(cnt))  # kept + (nq,)
    it = dtype_obj(xp, fw, index_dtype(fw))
    hi_lim = float(_bmax(m - 1, 0))

    def gather(p):
        idx = xp.astype(xp.clip(p, 0.0, hi_lim), it)
        idx = xp.broadcast_to(idx, tuple(s.shape[:-1]) + (idx.shape[-1],))
        return take_along_axis(s, idx, axis=-1)

    if method == "nearest":
        out = gather(xp.round(pos))
    else:
        lo, hi = xp.floor(pos), xp.ceil(pos)
        out = _interpolate(method, gather(lo), gather(hi), pos - lo)
    out = xp.where(cnt == 0.0, xp.full_like(out, _math.nan), out)
    return cast_to(xp, fw, _quantile_layout(xp, out, x, axes, keepdims, q_shape), d)


@_export
def nanpercentile(x, q, axis=None, method="linear", keepdims=False):
    """``nanquantile`` with ``q`` in percent."""
    return nanquantile(x, _percent_to_fraction(q), axis=axis, method=method,
                       keepdims=keepdims)


@_export
def nanmedian(x, axis=None, keepdims=False):
    """Median along ``axis`` ignoring NaN (ints give floatx)."""
    xp, fw = resolve("nanmedian", x)
    x = to_array(xp, fw, x)
    if not _is_floatish(dtype_name(x)):
        return median(x, axis=axis, keepdims=keepdims)
    return nanquantile(x, 0.5, axis=axis, keepdims=keepdims)


@_export
def histogram(x, bins=10, range=None):
    """``(counts, bin_edges)`` of a 1-D array: ``bins`` equal bins over ``range`` (default:
    the data's min and max; half-open bins, the last one closed). Values outside are
    dropped. Both outputs are float (at least float32), as in Keras' JAX backend."""
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
def corrcoef(x):
    """Pearson correlation coefficients of the rows of ``x``."""
    xp, fw, x = _one("corrcoef", x)
    x = to_float(xp, fw, x)
    if x.ndim == 1:
        x = x[None, :]
    xc = x - xp.mean(x, axis=1, keepdims=True)
    cov = xp.matmul(xc, xp.matrix_transpose(xc))
    dg = xp.sqrt(xp.linalg.diagonal(cov))
    out = cov / (dg[:, None] * dg[None, :])
    out = xp.clip(out, -1.0, 1.0)
    return out[0, 0] if out.shape[0] == 1 else out


_ARG_REDUCTIONS = {"nanargmax": argmax, "nanargmin": argmin}
