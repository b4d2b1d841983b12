"""Keras 3's array-creation ops (part of ``keras.ops.numpy``): arange, zeros/ones/full
(and ``*_like``), eye/tri, linspace/logspace/geomspace, array, meshgrid, vander and the
window functions (bartlett, blackman, hamming, hanning, kaiser). With no array input
they run on the default framework.
"""

from __future__ import annotations

import builtins
import math as _math

import numpy as np

from .. import xp as _xp
from ..xp import framework_of, to_numpy
from ._common import (
    cast_to, dtype_name, dtype_obj, FLOATS, floatx, INTS, _one, op_error, resolve,
    result_type, standardize_dtype, to_array,
)
from .core import convert_to_tensor
from .elementwise import _i0_generic

__all__: list[str] = []


def _export(fn):
    __all__.append(fn.__name__)
    return fn


# --------------------------------------------------------------------------------------
# creation

def _creation_ns(op):
    return resolve(op)


@_export
def arange(start, stop=None, step=None, dtype=None):
    """Evenly spaced values in ``[start, stop)``; int32 for Python ints, floatx when any
    bound is a float."""
    vals = [v for v in (start, stop, step) if v is not None]
    xp, fw = resolve("arange", *vals)
    if dtype is None:
        dtype = result_type(*[v if not hasattr(v, "dtype") else v for v in vals])
    d = standardize_dtype(dtype)
    start, stop, step = (_scalar(v) for v in (start, stop, step))
    if step is None:
        step = 1
    return xp.arange(start, stop, step, dtype=dtype_obj(xp, fw, d))


def _scalar(v):
    if v is None or isinstance(v, (int, float)):
        return v
    return np.asarray(_xp.to_numpy(v)).item()


def _shape(shape):
    if isinstance(shape, (int, np.integer)):
        return (int(shape),)
    return tuple(int(s) for s in shape)


def _dt(dtype):
    return floatx() if dtype is None else standardize_dtype(dtype)


@_export
def zeros(shape, dtype=None):
    """Zeros of ``shape`` (floatx by default) in the default framework."""
    xp, fw = resolve("zeros")
    return xp.zeros(_shape(shape), dtype=dtype_obj(xp, fw, _dt(dtype)))


@_export
def ones(shape, dtype=None):
    """Ones of ``shape`` (floatx by default) in the default framework."""
    xp, fw = resolve("ones")
    return xp.ones(_shape(shape), dtype=dtype_obj(xp, fw, _dt(dtype)))


@_export
def empty(shape, dtype=None):
    """An uninitialised array of ``shape`` (floatx by default)."""
    xp, fw = resolve("empty")
    return xp.empty(_shape(shape), dtype=dtype_obj(xp, fw, _dt(dtype)))


@_export
def full(shape, fill_value, dtype=None):
    """``shape`` filled with ``fill_value`` (floatx by default)."""
    xp, fw = resolve("full", fill_value)
    d = _dt(dtype)
    if framework_of(fill_value) is not None:
        v = to_array(xp, fw, fill_value, d)
        return xp.broadcast_to(v, _shape(shape)) * xp.ones(_shape(shape), dtype=v.dtype)
    return xp.full(_shape(shape), fill_value, dtype=dtype_obj(xp, fw, d))


def _like(op, x, dtype):
    xp, fw, x = _one(op, x)
    d = dtype_name(x) if dtype is None else standardize_dtype(dtype)
    return xp, fw, x, dtype_obj(xp, fw, d)


@_export
def zeros_like(x, dtype=None):
    """Zeros with the shape (and dtype, unless given) of ``x``."""
    xp, fw, x, d = _like("zeros_like", x, dtype)
    return xp.zeros_like(x, dtype=d)


@_export
def ones_like(x, dtype=None):
    """Ones with the shape (and dtype, unless given) of ``x``."""
    xp, fw, x, d = _like("ones_like", x, dtype)
    return xp.ones_like(x, dtype=d)


@_export
def empty_like(x, dtype=None):
    """Uninitialised array shaped like ``x``."""
    xp, fw, x, d = _like("empty_like", x, dtype)
    return xp.empty_like(x, dtype=d)


@_export
def full_like(x, fill_value, dtype=None):
    """``fill_value`` with the shape (and dtype, unless given) of ``x``."""
    xp, fw, x, d = _like("full_like", x, dtype)
    if framework_of(fill_value) is not None:
        return xp.zeros_like(x, dtype=d) + to_array(xp, fw, fill_value, standardize_dtype(d))
    return xp.full_like(x, fill_value, dtype=d)


@_export
def eye(N, M=None, k=0, dtype=None):
    """A 2-D array with ones on the ``k``-th diagonal (floatx by default)."""
    xp, fw = resolve("eye")
    return xp.eye(int(N), None if M is None else int(M), k=int(k), dtype=dtype_obj(xp, fw, _dt(dtype)))


@_export
def identity(n, dtype=None):
    """The ``n`` x ``n`` identity matrix."""
    return eye(n, dtype=dtype)


@_export
def tri(N, M=None, k=0, dtype=None):
    """Ones at and below the ``k``-th diagonal."""
    xp, fw = resolve("tri")
    M = N if M is None else M
    rows = xp.arange(int(N))[:, None]
    cols = xp.arange(int(M))[None, :]
    return xp.astype(cols - rows <= k, dtype_obj(xp, fw, _dt(dtype)))


@_export
def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    """``num`` evenly spaced values from ``start`` to ``stop`` (floatx by default)."""
    xp, fw = resolve("linspace", start, stop)
    d = _dt(dtype)
    compute = "float64" if fw != "jax" and d != "float64" and fw != "tensorflow" else d
    compute = d if not (d in FLOATS) else compute
    if compute not in FLOATS:
        compute = floatx()
    a = to_array(xp, fw, start, compute)
    b = to_array(xp, fw, stop, compute)
    num = int(num)
    div = (num - 1) if endpoint else num
    steps = xp.arange(num, dtype=dtype_obj(xp, fw, compute))
    shape = tuple(a.shape) if a.ndim >= b.ndim else tuple(b.shape)
    a = xp.broadcast_to(a, xp.broadcast_shapes(tuple(a.shape), tuple(b.shape))) if shape else a
    b = xp.broadcast_to(b, tuple(a.shape)) if shape else b
    steps = xp.reshape(steps, (num,) + (1,) * a.ndim)
    delta = (b - a) / div if div > 0 else (b - a) * 0
    out = a + steps * delta
    if endpoint and num > 1:
        out = xp.concat([out[:-1], b[None, ...]], axis=0)
    if axis != 0:
        out = xp.moveaxis(out, 0, axis)
    if d in INTS:
        out = xp.floor(out)
    out = cast_to(xp, fw, out, d)
    if retstep:
        return out, cast_to(xp, fw, delta, d if d in FLOATS else floatx())
    return out


@_export
def logspace(start, stop, num=50, endpoint=True, base=10, dtype=None, axis=0):
    """``base ** linspace(start, stop)``."""
    xp, fw = resolve("logspace", start, stop)
    d = _dt(dtype)
    exps = linspace(start, stop, num=num, endpoint=endpoint, dtype=floatx() if d not in FLOATS else d, axis=axis)
    out = xp.pow(to_array(xp, fw, base, dtype_name(exps)), exps)
    return cast_to(xp, fw, out, d)


@_export
def geomspace(start, stop, num=50, endpoint=True, dtype=None, axis=0):
    """Numbers spaced evenly on a log scale from ``start`` to ``stop``."""
    xp, fw = resolve("geomspace", start, stop)
    d = _dt(dtype)
    a = to_array(xp, fw, start, floatx() if d not in FLOATS else d)
    b = to_array(xp, fw, stop, dtype_name(a))
    sign_ = xp.sign(a)
    out = logspace(xp.log10(xp.abs(a)), xp.log10(xp.abs(b)), num=num, endpoint=endpoint,
                   dtype=dtype_name(a), axis=axis)
    out = out * sign_
    return cast_to(xp, fw, out, d)


@_export
def array(x, dtype=None):
    """``x`` as an array (see ``convert_to_tensor``)."""
    return convert_to_tensor(x, dtype=dtype)


@_export
def copy(x):
    """A copy of ``x``."""
    xp, fw, x = _one("copy", x)
    return xp.asarray(x, copy=True)


@_export
def meshgrid(*x, indexing="xy"):
    """Coordinate grids from 1-D arrays."""
    if indexing not in ("xy", "ij"):
        raise op_error("meshgrid", f"expected indexing 'xy' or 'ij'; received {indexing!r}")
    xp, fw = resolve("meshgrid", *x)
    arrs = [to_array(xp, fw, v) for v in x]
    d = result_type(*arrs) if arrs else floatx()
    return list(xp.meshgrid(*[cast_to(xp, fw, a, d) for a in arrs], indexing=indexing))


@_export
def vander(x, N=None, increasing=False):
    """Vandermonde matrix of the 1-D ``x``."""
    xp, fw, x = _one("vander", x)
    N = x.shape[0] if N is None else int(N)
    powers = xp.arange(N, dtype=x.dtype)
    if not increasing:
        powers = xp.flip(powers)
    return xp.pow(x[:, None], powers[None, :])


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


