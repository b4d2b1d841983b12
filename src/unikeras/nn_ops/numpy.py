"""NumPy fast paths for unikeras.nn_ops (NumPy is the inference backend): convolution
and pooling through strided views and tensordot/matmul. Same names and signatures as
the generic ops."""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from . import _utils as _U
from .conv import check_depthwise, conv_spec, conv_transpose_spec
from .pooling import pool_spec, same_counts

def _to_cl(x, data_format):
    if data_format == "channels_last":
        return x
    return np.moveaxis(x, 1, -1)


def _from_cl(y, data_format):
    if data_format == "channels_last":
        return y
    return np.moveaxis(y, -1, 1)


def _pad_cl(x, pads, value=0):
    if all(p == (0, 0) for p in pads):
        return x
    return np.pad(x, [(0, 0)] + [tuple(p) for p in pads] + [(0, 0)], constant_values=value)


def _windows(x, window, strides, dilation, out_sizes):
    """(N, *out, C, *window) strided view of a padded channels_last ``x``."""
    n = len(window)
    ke = tuple((k - 1) * d + 1 for k, d in zip(window, dilation))
    v = sliding_window_view(x, ke, axis=tuple(range(1, n + 1)))
    idx = ((slice(None),) + tuple(slice(0, (o - 1) * st + 1, st) for o, st in zip(out_sizes, strides))
           + (slice(None),) + tuple(slice(None, None, d) for d in dilation))
    return v[idx]


def _conv_cl(x, kernel, s):
    n = s.n
    x = _pad_cl(x, s.pads)
    win = _windows(x, s.kernel_size, s.strides, s.dilation, s.out_sizes)  # (N,*O,C,*K)
    if s.groups == 1:
        # im2col: one contiguous copy of the windows in (N, *O, *K, C) order, then BLAS
        cols = np.ascontiguousarray(np.moveaxis(win, 1 + n, -1))
        m = cols.shape[:1 + n]
        y = cols.reshape(-1, kernel[..., 0].size) @ kernel.reshape(-1, kernel.shape[-1])
        return y.reshape(m + (kernel.shape[-1],))
    g = s.groups
    c = x.shape[-1]
    o = kernel.shape[-1]
    win = win.reshape(win.shape[:1 + n] + (g, c // g) + win.shape[2 + n:])
    w = kernel.reshape(kernel.shape[:n] + (c // g, g, o // g))
    ks = "ijk"[:n]
    outs = "pqr"[:n]
    expr = f"z{outs}gc{ks},{ks}cgo->z{outs}go"
    y = np.einsum(expr, win, w, optimize=True)
    return y.reshape(y.shape[:1 + n] + (o,))


def _promote(a, b):
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype != b.dtype:
        dt = np.result_type(a.dtype, b.dtype)
        a, b = a.astype(dt), b.astype(dt)
    return a, b


def conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    s = conv_spec("conv", inputs, kernel, strides, padding, data_format, dilation_rate)
    inputs, kernel = _promote(inputs, kernel)
    return _from_cl(_conv_cl(_to_cl(inputs, s.data_format), kernel, s), s.data_format)


def conv_transpose(inputs, kernel, strides=1, padding="valid", output_padding=None,
                   data_format=None, dilation_rate=1):
    s = conv_transpose_spec("conv_transpose", inputs, kernel, strides, padding,
                            output_padding, data_format, dilation_rate)
    inputs, kernel = _promote(inputs, kernel)
    n = s.n
    x = _to_cl(inputs, s.data_format)
    dil_shape = (x.shape[0],) + tuple((L - 1) * st + 1 for L, st in zip(s.spatial, s.strides)) + (x.shape[-1],)
    xd = np.zeros(dil_shape, x.dtype)
    xd[(slice(None),) + tuple(slice(None, None, st) for st in s.strides)] = x
    # negative padding crops
    crop = tuple(slice(max(-b, 0), xd.shape[1 + i] - max(-a, 0)) for i, (b, a) in enumerate(s.pads))
    xd = xd[(slice(None),) + crop]
    w = np.flip(kernel, axis=tuple(range(n))).swapaxes(-1, -2)
    inner = conv_spec("conv_transpose", xd, w, 1, "valid", "channels_last", s.dilation,
                      check_output=False)
    inner.pads = [(max(b, 0), max(a, 0)) for b, a in s.pads]
    inner.out_sizes = s.out_sizes
    return _from_cl(_conv_cl(xd, w, inner), s.data_format)


def depthwise_conv(inputs, kernel, strides=1, padding="valid", data_format=None,
                   dilation_rate=1):
    check_depthwise("depthwise_conv", inputs, kernel, data_format)
    kernel = np.asarray(kernel)
    k = kernel.reshape(kernel.shape[:-2] + (1, kernel.shape[-2] * kernel.shape[-1]))
    return conv(inputs, k, strides, padding, data_format, dilation_rate)


def max_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    s = pool_spec("max_pool", inputs, pool_size, strides, padding, data_format)
    x = _to_cl(np.asarray(inputs), s.data_format)
    low = -np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).min
    x = _pad_cl(x, s.pads, low)
    win = _windows(x, s.pool_size, s.strides, (1,) * s.n, s.out_sizes)
    y = win.max(axis=tuple(range(-s.n, 0)))
    return _from_cl(y, s.data_format)


def average_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    s = pool_spec("average_pool", inputs, pool_size, strides, padding, data_format)
    x = _to_cl(np.asarray(inputs), s.data_format)
    x = _pad_cl(x, s.pads, 0)
    win = _windows(x, s.pool_size, s.strides, (1,) * s.n, s.out_sizes)
    y = win.sum(axis=tuple(range(-s.n, 0)))
    if all(p == (0, 0) for p in s.pads):
        y = y / np.asarray(_U.prod(s.pool_size), y.dtype)
    else:
        for i, counts in enumerate(same_counts(s)):
            shape = [1] * (s.n + 2)
            shape[1 + i] = len(counts)
            y = y / np.asarray(counts, y.dtype).reshape(shape)
    return _from_cl(y, s.data_format).astype(x.dtype, copy=False)
