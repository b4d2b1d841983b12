"""Keras 3 ``keras.ops.math``: segment reductions, top-k, logsumexp, erf, rsqrt, ..."""

from __future__ import annotations

import math as _math

from ..xp import framework_of
from ..xp.dtypes import index_dtype
from ._common import (
    cast_to, dtype_name, op_error, ops_shim, resolve, result_type, to_array, to_float,
)
from .manipulation import take_along_axis
from .segment import segment_max, segment_min, segment_prod, segment_sum
from .signal import fft, fft2, ifft2, irfft, istft, rfft, stft

__all__ = [
    "segment_sum", "segment_max", "top_k", "in_top_k", "logsumexp", "erf", "erfinv",
    "rsqrt", "extract_sequences", "logdet", "segment_min", "segment_prod", "erfc", "cdist",
    "view_as_complex", "view_as_real", "fft", "fft2", "ifft2", "rfft", "irfft", "stft", "istft",
]


def top_k(x, k, sorted=True):
    """``(values, indices)`` of the ``k`` largest entries along the last axis (indices int32)."""
    try:
        from .. import nn_ops

        fn = getattr(nn_ops, "top_k", None)
    except ImportError:
        fn = None
    xp, fw = resolve("top_k", x)
    x = to_array(xp, fw, x)
    k = int(k)
    if k > x.shape[-1]:
        raise op_error("top_k", f"expected k <= {x.shape[-1]} (the last dimension); received k={k}")
    if fn is not None:
        values, idx = fn(x, k, sorted=sorted)
    else:
        mod = ops_shim(fw)
        if mod is not None:
            values, idx = mod.top_k(x, k, sorted=sorted)
        else:
            idx = xp.argsort(x, axis=-1, descending=True, stable=True)[..., :k]
            values = take_along_axis(x, idx, axis=-1)
    return values, cast_to(xp, fw, idx, "int32")


def in_top_k(targets, predictions, k):
    """True where ``targets[i]`` is among the ``k`` largest ``predictions[i]`` (ties count
    as in, as in Keras' TF backend)."""
    xp, fw = resolve("in_top_k", targets, predictions)
    t = to_array(xp, fw, targets)
    p = to_array(xp, fw, predictions)
    if p.ndim != 2 or t.ndim != 1 or t.shape[0] != p.shape[0]:
        raise op_error("in_top_k", f"expected targets of shape (batch,) and predictions of shape "
                       f"(batch, classes); received {tuple(t.shape)} and {tuple(p.shape)}")
    it = index_dtype(fw)
    t = cast_to(xp, fw, t, it)
    target_val = take_along_axis(p, t[:, None], axis=1)
    higher = xp.sum(cast_to(xp, fw, p > target_val, "int32"), axis=1)
    return higher < int(k)


def logsumexp(x, axis=None, keepdims=False):
    """``log(sum(exp(x)))`` along ``axis``, computed stably."""
    xp, fw = resolve("logsumexp", x)
    x = to_float(xp, fw, to_array(xp, fw, x))
    ax = tuple(axis) if isinstance(axis, (list, tuple)) else axis
    m = xp.max(x, axis=ax, keepdims=True)
    m = xp.where(xp.isfinite(m), m, xp.zeros_like(m))
    out = xp.log(xp.sum(xp.exp(x - m), axis=ax, keepdims=True)) + m
    if not keepdims:
        out = xp.squeeze(out, axis=tuple(range(x.ndim)) if ax is None else
                         (ax if isinstance(ax, tuple) else (ax,)))
    return out


def _erf_generic(xp, x):
    # Numerical Recipes erfc (Chebyshev fit), fractional error < 1.2e-7
    z = xp.abs(x)
    t = 1.0 / (1.0 + 0.5 * z)
    poly = -z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (
        -0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (
            -0.82215223 + t * 0.17087277))))))))
    erfc = t * xp.exp(poly)
    return xp.where(x >= 0, 1.0 - erfc, erfc - 1.0)


def _erfinv_generic(xp, x):
    # Giles (2010) single-precision approximation, refined by two Newton steps on erf
    w = -xp.log((1.0 - x) * (1.0 + x))
    w1 = w - 2.5
    p1 = 2.81022636e-08
    for c in (3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087, -0.00125372503,
              -0.00417768164, 0.246640727, 1.50140941):
        p1 = c + p1 * w1
    w2 = xp.sqrt(xp.where(w < 5.0, xp.full_like(w, 5.0), w)) - 3.0
    p2 = -0.000200214257
    for c in (0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773, -0.0076224613,
              0.00943887047, 1.00167406, 2.83297682):
        p2 = c + p2 * w2
    y = xp.where(w < 5.0, p1, p2) * x
    for _ in range(2):
        err = _erf_generic(xp, y) - x
        y = y - err / (2.0 / _math.sqrt(_math.pi) * xp.exp(-y * y))
    return y


def erf(x):
    """The error function (floats only, as in Keras)."""
    xp, fw = resolve("erf", x)
    x = to_array(xp, fw, x)
    if not dtype_name(x).startswith(("float", "bfloat")):
        raise op_error("erf", f"expected a float array; received dtype {dtype_name(x)}", TypeError)
    mod = ops_shim(fw)
    return mod.erf(x) if mod is not None else _erf_generic(xp, x)


def erfinv(x):
    """The inverse error function (int/bool give floatx)."""
    xp, fw = resolve("erfinv", x)
    x = to_float(xp, fw, to_array(xp, fw, x))
    mod = ops_shim(fw)
    out = mod.erfinv(x) if mod is not None else None
    out = out if out is not None else _erfinv_generic(xp, x)
    return cast_to(xp, fw, out, dtype_name(x))


def rsqrt(x):
    """``1 / sqrt(x)`` (floats only, as in Keras)."""
    xp, fw = resolve("rsqrt", x)
    x = to_array(xp, fw, x)
    if not dtype_name(x).startswith(("float", "bfloat")):
        raise op_error("rsqrt", f"expected a float array; received dtype {dtype_name(x)}", TypeError)
    return 1.0 / xp.sqrt(x)


def extract_sequences(x, sequence_length, sequence_stride):
    """Frames of length ``sequence_length`` every ``sequence_stride`` along the last axis:
    shape ``(..., num_sequences, sequence_length)``."""
    xp, fw = resolve("extract_sequences", x)
    x = to_array(xp, fw, x)
    n = x.shape[-1]
    L, S = int(sequence_length), int(sequence_stride)
    if L > n:
        raise op_error("extract_sequences", f"expected sequence_length <= {n} (last dimension); "
                       f"received {L}")
    count = 1 + (n - L) // S
    import numpy as np

    idx = (np.arange(count)[:, None] * S + np.arange(L)[None, :]).reshape(-1)
    out = xp.take(x, to_array(xp, fw, idx, index_dtype(fw)), axis=-1)
    return xp.reshape(out, tuple(x.shape[:-1]) + (count, L))


def logdet(x):
    """``log(det(x))`` of (batched) positive-definite matrices."""
    xp, fw = resolve("logdet", x)
    x = to_float(xp, fw, to_array(xp, fw, x))
    sign, logabs = xp.linalg.slogdet(x)
    return xp.where(sign > 0, logabs, xp.full_like(logabs, _math.nan))


def erfc(x):
    """The complementary error function ``1 - erf(x)``, accurate for large x (int/bool
    give floatx)."""
    from .. import nn_ops

    xp, fw = resolve("erfc", x)
    x = to_float(xp, fw, to_array(xp, fw, x))
    return cast_to(xp, fw, nn_ops.erfc(x), dtype_name(x))


def cdist(x, y):
    """Euclidean distances between the rows of ``x (..., M, D)`` and ``y (..., N, D)``:
    shape ``(..., M, N)`` (ints give floatx)."""
    xp, fw = resolve("cdist", x, y)
    x, y = to_array(xp, fw, x), to_array(xp, fw, y)
    if x.ndim < 2 or y.ndim < 2:
        raise op_error("cdist", f"expected arrays of rank >= 2; received shapes {tuple(x.shape)} "
                       f"and {tuple(y.shape)}")
    if x.shape[-1] != y.shape[-1]:
        raise op_error("cdist", f"expected the same last dimension; received shapes "
                       f"{tuple(x.shape)} and {tuple(y.shape)}")
    d = result_type(x, y, float)
    x, y = cast_to(xp, fw, x, d), cast_to(xp, fw, y, d)
    diff = x[..., :, None, :] - y[..., None, :, :]
    return xp.sqrt(xp.sum(diff * diff, axis=-1))


def view_as_complex(x):
    """A complex array from a real one of shape ``(..., 2)`` (real, imaginary): complex64,
    as Keras gives on every backend (complex128 from float64 where the framework has it)."""
    xp, fw = resolve("view_as_complex", x)
    x = to_array(xp, fw, x)
    if x.ndim < 1 or x.shape[-1] != 2:
        raise op_error("view_as_complex", f"expected a last dimension of size 2 (real, imag); "
                       f"received shape {tuple(x.shape)}")
    cd = "complex128" if dtype_name(x) == "float64" else "complex64"
    return cast_to(xp, fw, x[..., 0], cd) + cast_to(xp, fw, x[..., 1], cd) * 1j


def view_as_real(x):
    """A real array of shape ``(..., 2)`` (real, imaginary) from a complex one."""
    xp, fw = resolve("view_as_real", x)
    x = to_array(xp, fw, x)
    if not dtype_name(x).startswith("complex"):
        x = to_float(xp, fw, x)
        return xp.stack([x, xp.zeros_like(x)], axis=-1)
    return xp.stack([xp.real(x), xp.imag(x)], axis=-1)


