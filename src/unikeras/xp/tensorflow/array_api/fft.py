"""The ``fft`` extension on tf.signal kernels (which act on the innermost axes:
the requested axis is moved last and back)."""

from __future__ import annotations

import tensorflow as tf

from . import _base as B

__all__ = [
    "fft",
    "ifft",
    "fftn",
    "ifftn",
    "rfft",
    "irfft",
    "rfftn",
    "irfftn",
    "hfft",
    "ihfft",
    "fftfreq",
    "rfftfreq",
    "fftshift",
    "ifftshift",
]

_NORMS = ("backward", "ortho", "forward")


def _check_norm(norm):
    if norm not in _NORMS:
        raise ValueError(f"norm must be one of {_NORMS}")


def _swap(norm):
    return {"backward": "forward", "forward": "backward", "ortho": "ortho"}[norm]


def _to_last(x, axis):
    n = B.ndim(x)
    axis = B.normalize_axis(axis, n)
    if axis == n - 1:
        return x, None
    perm = list(range(n))
    perm[axis], perm[-1] = perm[-1], perm[axis]
    return tf.transpose(x, perm), perm


def _back(x, perm):
    return x if perm is None else tf.transpose(x, perm)


def _fit_last(x, n):
    """Zero-pad or trim the last axis to length n."""
    cur = x.shape[-1]
    if cur is not None:
        if cur == n:
            return x
        if cur > n:
            return x[..., :n]
        pad = [[0, 0]] * (B.ndim(x) - 1) + [[0, n - cur]]
        return tf.pad(x, pad)
    cur = tf.shape(x)[-1]
    x = x[..., : tf.minimum(cur, n)]
    pad = tf.concat([tf.zeros([B.ndim(x) - 1, 2], tf.int32), [[0, tf.maximum(n - cur, 0)]]], 0)
    return tf.pad(x, pad)


def _scale(x, n, norm, inverse):
    """tf's fft is unscaled and ifft scaled by 1/n ('backward')."""
    if norm == "backward":
        return x
    nf = tf.cast(n, B.real_dtype(x.dtype))
    if norm == "ortho":
        f = tf.math.sqrt(nf)
        f = f if inverse else 1 / f
    else:  # forward
        f = nf if inverse else 1 / nf
    return x * tf.cast(f, x.dtype)


def _complex_in(x):
    x = B.tensor(x)
    if not B.is_complex(x.dtype):
        x = tf.cast(x, B.complex_dtype(x.dtype if B.is_float(x.dtype) else B.DEFAULT_FLOAT))
    return x


def _c2c(x, n, axis, norm, inverse):
    _check_norm(norm)
    x = _complex_in(x)
    xt, perm = _to_last(x, axis)
    if n is None:
        n = B.dim(xt, -1)
    elif n < 1:
        raise ValueError("n must be positive")
    else:
        xt = _fit_last(xt, n)
    out = tf.signal.ifft(xt) if inverse else tf.signal.fft(xt)
    return _back(_scale(out, n, norm, inverse), perm)


def fft(x, /, *, n=None, axis=-1, norm="backward"):
    return _c2c(x, n, axis, norm, False)


def ifft(x, /, *, n=None, axis=-1, norm="backward"):
    return _c2c(x, n, axis, norm, True)


def _axes_and_sizes(x, s, axes):
    nd = B.ndim(x)
    if axes is None:
        axes = list(range(nd)) if s is None else list(range(nd - len(s), nd))
    else:
        axes = [B.normalize_axis(a, nd) for a in axes]
    if s is None:
        s = [None] * len(axes)
    else:
        s = [None if v == -1 else v for v in s]
    if len(s) != len(axes):
        raise ValueError("s and axes must have the same length")
    return axes, s


def fftn(x, /, *, s=None, axes=None, norm="backward"):
    x = _complex_in(x)
    axes, s = _axes_and_sizes(x, s, axes)
    for a, n in zip(axes, s):
        x = _c2c(x, n, a, norm, False)
    return x


def ifftn(x, /, *, s=None, axes=None, norm="backward"):
    x = _complex_in(x)
    axes, s = _axes_and_sizes(x, s, axes)
    for a, n in zip(axes, s):
        x = _c2c(x, n, a, norm, True)
    return x


def _real_in(x):
    x = B.tensor(x)
    if B.is_complex(x.dtype):
        x = tf.math.real(x)
    if not B.is_float(x.dtype):
        x = tf.cast(x, B.DEFAULT_FLOAT)
    return x


def rfft(x, /, *, n=None, axis=-1, norm="backward"):
    _check_norm(norm)
    x = _real_in(x)
    xt, perm = _to_last(x, axis)
    if n is None:
        n = B.dim(xt, -1)
    out = tf.signal.rfft(xt, fft_length=tf.reshape(tf.cast(n, tf.int32), [1]))
    return _back(_scale(out, n, norm, False), perm)


def irfft(x, /, *, n=None, axis=-1, norm="backward"):
    _check_norm(norm)
    x = _complex_in(x)
    xt, perm = _to_last(x, axis)
    if n is None:
        n = 2 * (B.dim(xt, -1) - 1)
    m = n // 2 + 1
    xt = _fit_last(xt, m)
    rdt = B.real_dtype(x.dtype)
    out = tf.signal.irfft(xt, fft_length=tf.reshape(tf.cast(n, tf.int32), [1]))
    if out.dtype != rdt:
        out = tf.cast(out, rdt)
    return _back(_scale(out, n, norm, True), perm)


def rfftn(x, /, *, s=None, axes=None, norm="backward"):
    x = _real_in(x)
    axes, s = _axes_and_sizes(x, s, axes)
    x = rfft(x, n=s[-1], axis=axes[-1], norm=norm)
    for a, n in zip(axes[:-1], s[:-1]):
        x = _c2c(x, n, a, norm, False)
    return x


def irfftn(x, /, *, s=None, axes=None, norm="backward"):
    x = _complex_in(x)
    axes, s = _axes_and_sizes(x, s, axes)
    for a, n in zip(axes[:-1], s[:-1]):
        x = _c2c(x, n, a, norm, True)
    return irfft(x, n=s[-1], axis=axes[-1], norm=norm)


def hfft(x, /, *, n=None, axis=-1, norm="backward"):
    _check_norm(norm)
    return irfft(tf.math.conj(_complex_in(x)), n=n, axis=axis, norm=_swap(norm))


def ihfft(x, /, *, n=None, axis=-1, norm="backward"):
    _check_norm(norm)
    return tf.math.conj(rfft(x, n=n, axis=axis, norm=_swap(norm)))


def fftfreq(n, /, *, d=1.0, dtype=None, device=None):
    dt = B.as_dtype(dtype) or B.DEFAULT_FLOAT
    with B.device_scope(device):
        i = tf.range(n, dtype=tf.int64)
        k = tf.where(i < (n + 1) // 2, i, i - n)
        return tf.cast(tf.cast(k, tf.float64) / (n * d), dt)


def rfftfreq(n, /, *, d=1.0, dtype=None, device=None):
    dt = B.as_dtype(dtype) or B.DEFAULT_FLOAT
    with B.device_scope(device):
        k = tf.range(n // 2 + 1, dtype=tf.float64)
        return tf.cast(k / (n * d), dt)


def _shift(x, axes, sign):
    x = B.tensor(x)
    nd = B.ndim(x)
    axes = B.normalize_axes(axes, nd)
    if not axes:
        return tf.identity(x)
    shifts = []
    for a in axes:
        d = B.dim(x, a)
        shifts.append(d // 2 if sign > 0 else -(d // 2))
    return tf.roll(x, shifts, axes)


def fftshift(x, /, *, axes=None):
    return _shift(x, axes, 1)


def ifftshift(x, /, *, axes=None):
    return _shift(x, axes, -1)
