"""Keras 3's Fourier ops (``keras.ops.math``: fft, fft2, ifft2, rfft, irfft, stft, istft)
on the Array API ``fft`` extension. As in Keras, complex values travel as ``(real, imag)``
tuples of float arrays; a transform returns such a tuple (irfft and istft: a real array).
float16/bfloat16 parts are computed in float32 and returned in float32.
"""

from __future__ import annotations

import math as _math

import numpy as np

from ..xp.dtypes import index_dtype
from ._common import cast_to, dtype_name, op_error, resolve, result_type, to_array
from .segment import segment_sum

__all__ = ["fft", "fft2", "ifft2", "rfft", "irfft", "stft", "istft"]


def _compute_dtype(d):
    return "float64" if d == "float64" else "float32"


def _complex_from(op, x):
    """(xp, fw, complex array) from a ``(real, imag)`` pair of float arrays."""
    if not isinstance(x, (tuple, list)) or len(x) != 2:
        raise op_error(op, f"expected a tuple (real, imag) of two float arrays; received {type(x).__name__}")
    xp, fw = resolve(op, *x)
    re, im = to_array(xp, fw, x[0]), to_array(xp, fw, x[1])
    if tuple(re.shape) != tuple(im.shape):
        raise op_error(op, f"expected real and imag parts of one shape; received {tuple(re.shape)} "
                       f"and {tuple(im.shape)}")
    dr, di = dtype_name(re), dtype_name(im)
    if not (dr.startswith(("float", "bfloat")) and di.startswith(("float", "bfloat"))):
        raise op_error(op, f"expected float real and imag parts; received dtypes {dr} and {di}", TypeError)
    d = _compute_dtype(result_type(dr, di))
    cd = "complex128" if d == "float64" else "complex64"
    re, im = cast_to(xp, fw, re, d), cast_to(xp, fw, im, d)
    z = cast_to(xp, fw, re, cd) + cast_to(xp, fw, im, cd) * 1j
    return xp, fw, z


def _parts(xp, z):
    return xp.real(z), xp.imag(z)


def _check_rank(op, z, rank):
    if z.ndim < rank:
        raise op_error(op, f"expected arrays of rank >= {rank}; received shape {tuple(z.shape)}")


def fft(x):
    """1-D discrete Fourier transform over the last axis of ``x = (real, imag)``."""
    xp, fw, z = _complex_from("fft", x)
    _check_rank("fft", z, 1)
    return _parts(xp, xp.fft.fft(z, axis=-1))


def fft2(x):
    """2-D discrete Fourier transform over the last two axes of ``x = (real, imag)``."""
    xp, fw, z = _complex_from("fft2", x)
    _check_rank("fft2", z, 2)
    return _parts(xp, xp.fft.fftn(z, axes=(-2, -1)))


def ifft2(x):
    """Inverse 2-D discrete Fourier transform over the last two axes."""
    xp, fw, z = _complex_from("ifft2", x)
    _check_rank("ifft2", z, 2)
    return _parts(xp, xp.fft.ifftn(z, axes=(-2, -1)))


def _length(op, n):
    if n is None:
        return None
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise op_error(op, f"expected fft_length to be a positive int or None; received {n!r}")
    return n


def rfft(x, fft_length=None):
    """FFT of a real signal over its last axis: the ``fft_length // 2 + 1`` non-negative
    frequencies as ``(real, imag)`` (the signal is cropped or zero-padded to
    ``fft_length``)."""
    n = _length("rfft", fft_length)
    xp, fw = resolve("rfft", x)
    x = to_array(xp, fw, x)
    _check_rank("rfft", x, 1)
    x = cast_to(xp, fw, x, _compute_dtype(result_type(x, float)))
    return _parts(xp, xp.fft.rfft(x, n=n, axis=-1))


def irfft(x, fft_length=None):
    """Inverse of ``rfft``: a real signal of length ``fft_length`` (default
    ``2 * (n - 1)``) from the ``(real, imag)`` non-negative frequencies."""
    n = _length("irfft", fft_length)
    xp, fw, z = _complex_from("irfft", x)
    _check_rank("irfft", z, 1)
    return xp.fft.irfft(z, n=n, axis=-1)


def _window(op, xp, fw, window, sequence_length, fft_length, d):
    """The analysis window, zero-padded (centred) to ``fft_length``; None for none."""
    if window is None:
        return None
    if isinstance(window, str):
        if window not in ("hann", "hamming"):
            raise op_error(op, f"expected window 'hann', 'hamming', an array or None; received {window!r}")
        a = 0.5 if window == "hann" else 0.54
        # periodic (DFT-even) windows, as scipy.signal.get_window gives
        n = np.arange(sequence_length, dtype=np.float64)
        win = to_array(xp, fw, a - (1.0 - a) * np.cos(2.0 * _math.pi * n / sequence_length), d)
    else:
        win = to_array(xp, fw, window, d)
    if win.ndim != 1 or win.shape[0] != sequence_length:
        raise op_error(op, f"expected a window of shape ({sequence_length},); received "
                       f"{tuple(win.shape)}")
    left = (fft_length - sequence_length) // 2
    right = fft_length - sequence_length - left
    return xp.concat([xp.zeros((left,), dtype=win.dtype), win, xp.zeros((right,), dtype=win.dtype)])


def _check_lengths(op, sequence_length, sequence_stride, fft_length):
    for name, v in (("sequence_length", sequence_length), ("sequence_stride", sequence_stride),
                    ("fft_length", fft_length)):
        if not isinstance(v, int) or isinstance(v, bool) or v <= 0:
            raise op_error(op, f"expected {name} to be a positive int; received {v!r}")
    if fft_length < sequence_length:
        raise op_error(op, f"expected fft_length >= sequence_length; received fft_length="
                       f"{fft_length}, sequence_length={sequence_length}")


def stft(x, sequence_length, sequence_stride, fft_length, window="hann", center=True):
    """Short-time Fourier transform over the last axis of a real signal:
    ``(real, imag)`` of shape ``(..., num_frames, fft_length // 2 + 1)``. Frames of
    ``fft_length`` samples every ``sequence_stride`` (the window, of
    ``sequence_length``, centred in them); ``center`` reflect-pads the signal by
    ``fft_length // 2`` on both sides. Unscaled, as in Keras."""
    _check_lengths("stft", sequence_length, sequence_stride, fft_length)
    xp, fw = resolve("stft", x)
    x = to_array(xp, fw, x)
    d = dtype_name(x)
    if d not in ("float32", "float64"):
        raise op_error("stft", f"expected a float32 or float64 signal; received dtype {d}", TypeError)
    _check_rank("stft", x, 1)
    n = x.shape[-1]
    it = index_dtype(fw)
    if center:
        p = fft_length // 2
        if p >= n:
            raise op_error("stft", f"center=True reflect-pads by fft_length // 2 = {p}, which needs "
                           f"a signal longer than that; received length {n}")
        idx = np.concatenate([np.arange(p, 0, -1), np.arange(n), np.arange(n - 2, n - 2 - p, -1)])
        x = xp.take(x, to_array(xp, fw, idx, it), axis=-1)
        n = x.shape[-1]
    if n < fft_length:
        raise op_error("stft", f"expected a (padded) signal of length >= fft_length={fft_length}; "
                       f"received length {n}")
    count = 1 + (n - fft_length) // sequence_stride
    idx = (np.arange(count)[:, None] * sequence_stride + np.arange(fft_length)[None, :]).reshape(-1)
    lead = tuple(-1 if d is None else d for d in x.shape[:-1])  # traced batch (tf.data)
    frames = xp.reshape(xp.take(x, to_array(xp, fw, idx, it), axis=-1),
                        lead + (count, fft_length))
    win = _window("stft", xp, fw, window, sequence_length, fft_length, d)
    if win is not None:
        frames = frames * win
    return _parts(xp, xp.fft.rfft(frames, n=fft_length, axis=-1))


def istft(x, sequence_length, sequence_stride, fft_length, length=None, window="hann",
          center=True):
    """Inverse of ``stft`` by weighted overlap-add (divided by the summed squared window
    where it is non-zero), cropped as Keras does: the ``center`` padding is removed and
    ``length`` samples are kept when given."""
    _check_lengths("istft", sequence_length, sequence_stride, fft_length)
    xp, fw, z = _complex_from("istft", x)
    if z.ndim < 2:
        raise op_error("istft", f"expected arrays of rank >= 2 (..., frames, bins); received "
                       f"shape {tuple(z.shape)}")
    d = dtype_name(xp.real(z))
    count = z.shape[-2]
    frames = xp.fft.irfft(z, n=fft_length, axis=-1)  # (..., count, fft_length)
    win = _window("istft", xp, fw, window, sequence_length, fft_length, d)
    w = win if win is not None else xp.ones((fft_length,), dtype=frames.dtype)
    frames = frames * w
    total = fft_length + sequence_stride * (count - 1)
    # overlap-add: out[t] = sum of frames[f, k] over t = f * stride + k (a segment sum)
    pos = to_array(xp, fw, (np.arange(count)[:, None] * sequence_stride
                            + np.arange(fft_length)[None, :]).reshape(-1), index_dtype(fw))
    batch = tuple(frames.shape[:-2])
    flat = xp.reshape(frames, batch + (count * fft_length,))
    flat = xp.moveaxis(flat, -1, 0)
    out = xp.moveaxis(segment_sum(flat, pos, num_segments=total), 0, -1)
    w2 = xp.reshape(xp.broadcast_to(w * w, (count, fft_length)), (count * fft_length,))
    norm = segment_sum(w2, pos, num_segments=total)
    out = out / xp.where(norm > 1e-10, norm, xp.ones_like(norm))
    if win is None:
        out = out * (float(fft_length) / sequence_stride)
    start = fft_length // 2 if center else 0
    if length is not None:
        end = start + int(length)
    elif center:
        end = -(fft_length // 2)
    else:
        end = total
    return out[..., start:end]
