"""Keras 3 ``keras.ops.nn`` names that are array plumbing rather than neural-net kernels:
normalize, psnr, polar, depth_to_space, space_to_depth, unfold, fold, adaptive average /
max pooling. Written once against the Array API; ``ops.nn`` exports them beside the
``unikeras.nn_ops`` ones."""

from __future__ import annotations

import numpy as np

from ..xp.dtypes import index_dtype
from ._common import (
    cast_to, dtype_name, op_error, ops_shim, resolve, result_type, to_array, to_float,
)
from .segment import segment_sum

__all__ = ["normalize", "psnr", "polar", "depth_to_space", "space_to_depth", "unfold", "fold",
           "adaptive_average_pool", "adaptive_max_pool"]


def _is_float(d):
    return d.startswith(("float", "bfloat"))


def normalize(x, axis=-1, order=2, epsilon=None):
    """``x`` divided by its ``order``-norm along ``axis`` (at least ``epsilon``, default
    1e-7 as Keras' ``backend.epsilon()``). Float inputs only, as in Keras."""
    if not isinstance(order, int) or isinstance(order, bool) or order < 1:
        raise op_error("normalize", f"expected order to be an int >= 1; received order={order!r}")
    xp, fw = resolve("normalize", x)
    x = to_array(xp, fw, x)
    if not _is_float(dtype_name(x)):
        raise op_error("normalize", f"expected a float array; received dtype {dtype_name(x)}", TypeError)
    if x.ndim == 0:
        x = xp.reshape(x, (1,))
    eps = 1e-7 if epsilon is None else float(epsilon)
    ax = tuple(axis) if isinstance(axis, (list, tuple)) else int(axis)
    if order == 2:
        sq = xp.sum(x * x, axis=ax, keepdims=True)
        inv = xp.minimum(1.0 / xp.sqrt(sq), 1.0 / eps)
        return x * inv
    a = xp.abs(x)
    norm = xp.sum(a, axis=ax, keepdims=True) if order == 1 else (
        xp.sum(a ** order, axis=ax, keepdims=True) ** (1.0 / order))
    return x / xp.maximum(norm, eps)


def psnr(x1, x2, max_val):
    """Peak signal-to-noise ratio ``20 log10(max_val) - 10 log10(mean((x1 - x2)**2))``
    over all elements (a scalar; ints give floatx)."""
    xp, fw = resolve("psnr", x1, x2)
    a, b = to_array(xp, fw, x1), to_array(xp, fw, x2)
    if tuple(a.shape) != tuple(b.shape):
        raise op_error("psnr", f"expected x1 and x2 of one shape; received {tuple(a.shape)} and "
                       f"{tuple(b.shape)}")
    d = result_type(a, b, float)
    a, b = cast_to(xp, fw, a, d), cast_to(xp, fw, b, d)
    mse = xp.mean((a - b) * (a - b))
    m = to_array(xp, fw, max_val, d)
    return 20.0 * xp.log10(m) - 10.0 * xp.log10(mse)


def polar(abs_, angle):
    """The complex number ``abs_ * (cos(angle) + i sin(angle))`` (complex64; complex128
    from float64 where the framework has it)."""
    xp, fw = resolve("polar", abs_, angle)
    r, t = to_array(xp, fw, abs_), to_array(xp, fw, angle)
    d = result_type(r, t, float)
    if not _is_float(d):
        raise op_error("polar", f"expected real abs_ and angle; received dtypes {dtype_name(r)} "
                       f"and {dtype_name(t)}", TypeError)
    d = "float64" if d == "float64" else "float32"
    r, t = cast_to(xp, fw, r, d), cast_to(xp, fw, t, d)
    cd = "complex128" if d == "float64" else "complex64"
    return cast_to(xp, fw, r * xp.cos(t), cd) + cast_to(xp, fw, r * xp.sin(t), cd) * 1j


def _data_format(op, data_format):
    df = "channels_last" if data_format is None else str(data_format).lower()
    if df not in ("channels_last", "channels_first"):
        raise op_error(op, f"expected data_format 'channels_last' or 'channels_first'; received "
                       f"{data_format!r}")
    return df


def _block(op, x, block_size):
    if not isinstance(block_size, int) or isinstance(block_size, bool) or block_size < 2:
        raise op_error(op, f"expected block_size to be an int >= 2; received {block_size!r}")
    if x.ndim != 4:
        raise op_error(op, f"expected a 4-D array; received shape {tuple(x.shape)}")


def depth_to_space(x, block_size, data_format="channels_last"):
    """Moves channel blocks into ``block_size x block_size`` spatial blocks (pixel shuffle;
    Keras' channel order for each data format)."""
    df = _data_format("depth_to_space", data_format)
    xp, fw = resolve("depth_to_space", x)
    x = to_array(xp, fw, x)
    _block("depth_to_space", x, block_size)
    b = block_size
    if df == "channels_last":
        n, h, w, c = x.shape
    else:
        n, c, h, w = x.shape
    if c % (b * b):
        raise op_error("depth_to_space", f"expected channels divisible by block_size**2 = {b * b}; "
                       f"received {c} channels (shape {tuple(x.shape)})")
    nc = c // (b * b)
    if df == "channels_last":
        x = xp.reshape(x, (n, h, w, b, b, nc))
        x = xp.permute_dims(x, (0, 1, 3, 2, 4, 5))
        return xp.reshape(x, (n, h * b, w * b, nc))
    x = xp.reshape(x, (n, nc, b, b, h, w))
    x = xp.permute_dims(x, (0, 1, 4, 2, 5, 3))
    return xp.reshape(x, (n, nc, h * b, w * b))


def space_to_depth(x, block_size, data_format="channels_last"):
    """Moves ``block_size x block_size`` spatial blocks into channels (the inverse of
    ``depth_to_space``)."""
    df = _data_format("space_to_depth", data_format)
    xp, fw = resolve("space_to_depth", x)
    x = to_array(xp, fw, x)
    _block("space_to_depth", x, block_size)
    b = block_size
    if df == "channels_last":
        n, h, w, c = x.shape
    else:
        n, c, h, w = x.shape
    if h % b or w % b:
        raise op_error("space_to_depth", f"expected height and width divisible by block_size={b}; "
                       f"received shape {tuple(x.shape)}")
    nh, nw = h // b, w // b
    if df == "channels_last":
        x = xp.reshape(x, (n, nh, b, nw, b, c))
        x = xp.permute_dims(x, (0, 1, 3, 2, 4, 5))
        return xp.reshape(x, (n, nh, nw, c * b * b))
    x = xp.reshape(x, (n, c, nh, b, nw, b))
    x = xp.permute_dims(x, (0, 1, 3, 5, 2, 4))
    return xp.reshape(x, (n, c * b * b, nh, nw))


def _pair(op, name, v, low):
    if isinstance(v, int) and not isinstance(v, bool):
        v = (v, v)
    try:
        v = tuple(int(a) for a in v)
    except TypeError:
        raise op_error(op, f"expected {name} to be an int or a pair of ints; received {v!r}") from None
    if len(v) != 2 or any(a < low for a in v):
        raise op_error(op, f"expected {name} to be an int or a pair of ints >= {low}; received {v!r}")
    return v


def _geometry(op, size, kernel_size, dilation, padding, stride):
    k = _pair(op, "kernel_size", kernel_size, 1)
    d = _pair(op, "dilation", dilation, 1)
    p = _pair(op, "padding", padding, 0)
    s = _pair(op, "stride", stride, 1)
    out = []
    for i in range(2):
        span = d[i] * (k[i] - 1) + 1
        if size[i] + 2 * p[i] < span:
            raise op_error(op, f"the dilated kernel ({span}) is larger than the padded input "
                           f"({size[i] + 2 * p[i]}) along spatial axis {i}")
        out.append((size[i] + 2 * p[i] - span) // s[i] + 1)
    return k, d, p, s, tuple(out)


def unfold(x, kernel_size, dilation=1, padding=0, stride=1):
    """Sliding ``kernel_size`` blocks of a channels-first 4-D array (im2col): shape
    ``(N, C * kH * kW, L)``, L the number of blocks, channel-major as torch's unfold."""
    xp, fw = resolve("unfold", x)
    x = to_array(xp, fw, x)
    if x.ndim != 4:
        raise op_error("unfold", f"expected a 4-D array (N, C, H, W); received shape {tuple(x.shape)}")
    n, c, h, w = x.shape
    k, d, p, s, (oh, ow) = _geometry("unfold", (h, w), kernel_size, dilation, padding, stride)
    if p[0] or p[1]:
        x = xp.concat([xp.zeros((n, c, p[0], w), dtype=x.dtype), x,
                       xp.zeros((n, c, p[0], w), dtype=x.dtype)], axis=2)
        x = xp.concat([xp.zeros((n, c, h + 2 * p[0], p[1]), dtype=x.dtype), x,
                       xp.zeros((n, c, h + 2 * p[0], p[1]), dtype=x.dtype)], axis=3)
    blocks = []
    for i in range(k[0]):
        for j in range(k[1]):
            r0, c0 = i * d[0], j * d[1]
            blocks.append(x[:, :, r0:r0 + s[0] * (oh - 1) + 1:s[0], c0:c0 + s[1] * (ow - 1) + 1:s[1]])
    out = xp.stack(blocks, axis=2)  # (N, C, kH*kW, oh, ow)
    return xp.reshape(out, (n, c * k[0] * k[1], oh * ow))


def fold(x, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """The adjoint of ``unfold`` (col2im): sums the blocks of ``x (N, C * kH * kW, L)`` into
    a ``(N, C, *output_size)`` array (overlaps add up)."""
    xp, fw = resolve("fold", x)
    x = to_array(xp, fw, x)
    if x.ndim != 3:
        raise op_error("fold", f"expected a 3-D array (N, C * kH * kW, L); received shape "
                       f"{tuple(x.shape)}")
    size = _pair("fold", "output_size", output_size, 1)
    k, d, p, s, (oh, ow) = _geometry("fold", size, kernel_size, dilation, padding, stride)
    n, ckk, L = x.shape
    if ckk % (k[0] * k[1]) or L != oh * ow:
        raise op_error("fold", f"expected x of shape (N, C * {k[0] * k[1]}, {oh * ow}) for "
                       f"output_size={size}; received {tuple(x.shape)}")
    c = ckk // (k[0] * k[1])
    hp, wp = size[0] + 2 * p[0], size[1] + 2 * p[1]
    ki, kj, oi, oj = np.meshgrid(np.arange(k[0]), np.arange(k[1]), np.arange(oh), np.arange(ow),
                                 indexing="ij")
    pos = ((ki * d[0] + oi * s[0]) * wp + (kj * d[1] + oj * s[1])).reshape(-1)
    data = xp.reshape(x, (n, c, k[0] * k[1] * L))
    data = xp.permute_dims(data, (2, 0, 1))  # (kH*kW*L, N, C)
    ids = to_array(xp, fw, pos, index_dtype(fw))
    out = segment_sum(data, ids, num_segments=hp * wp)  # (Hp*Wp, N, C)
    out = xp.reshape(xp.permute_dims(out, (1, 2, 0)), (n, c, hp, wp))
    return out[:, :, p[0]:p[0] + size[0], p[1]:p[1] + size[1]]


# ------------------------------------------------------------------ adaptive pooling

def _adaptive_windows(size, out):
    """Window i covers [floor(i * size / out), ceil((i + 1) * size / out)) (torch's and
    Keras' definition): the start and end of each of the ``out`` windows."""
    i = np.arange(out)
    return (i * size) // out, -((-(i + 1) * size) // out)


def _adaptive_prepare(op, inputs, output_size, data_format):
    """The input as channels-first ``(N, C, *spatial)`` with 1 to 3 spatial axes, and the
    output size per spatial axis (an int applies to all)."""
    from ..config import image_data_format

    df = _data_format(op, data_format or image_data_format())
    xp, fw = resolve(op, inputs)
    x = to_float(xp, fw, to_array(xp, fw, inputs))
    if x.ndim not in (3, 4, 5):
        raise op_error(op, "expected a 3-D, 4-D or 5-D array (batch, 1 to 3 spatial axes and "
                       f"channels, {df}); received shape {tuple(x.shape)}")
    rank = x.ndim - 2
    out = output_size
    if isinstance(out, int) and not isinstance(out, bool):
        out = (out,) * rank
    try:
        out = tuple(int(a) for a in out)
    except TypeError:
        out = None
    if out is None or len(out) != rank or any(a < 1 for a in out):
        raise op_error(op, f"expected output_size to be an int or {rank} ints >= 1 for a "
                       f"{x.ndim}-D input; received {output_size!r}")
    if df == "channels_last":
        x = xp.permute_dims(x, (0, x.ndim - 1) + tuple(range(1, x.ndim - 1)))
    return xp, fw, df, x, out


def _adaptive_finish(xp, df, y):
    if df == "channels_last":
        return xp.permute_dims(y, (0,) + tuple(range(2, y.ndim)) + (1,))
    return y


def _to_last(xp, x, axis):
    """``x`` with ``axis`` moved last, and the permutation that moves it back."""
    order = [a for a in range(x.ndim) if a != axis] + [axis]
    back = [order.index(a) for a in range(x.ndim)]
    return xp.permute_dims(x, tuple(order)), tuple(back)


def adaptive_average_pool(inputs, output_size, data_format=None):
    """Average pooling of a 3-D, 4-D or 5-D array (1 to 3 spatial axes) to a fixed
    ``output_size`` (int or one int per spatial axis): output cell i averages the input
    positions ``floor(i * L / out)`` to ``ceil((i + 1) * L / out)`` along each axis
    (windows may overlap; one matmul with an averaging matrix per axis)."""
    xp, fw, df, x, out = _adaptive_prepare("adaptive_average_pool", inputs, output_size,
                                           data_format)
    mod = ops_shim(fw)
    if mod is not None and hasattr(mod, "adaptive_average_pool"):
        return _adaptive_finish(xp, df, mod.adaptive_average_pool(x, out))
    y = x
    for axis, o in zip(range(2, x.ndim), out):
        size = y.shape[axis]
        start, end = _adaptive_windows(size, o)
        pos = np.arange(size)
        inside = (pos[None, :] >= start[:, None]) & (pos[None, :] < end[:, None])
        m = to_array(xp, fw, (inside / (end - start)[:, None]).T, dtype_name(x))  # (L, o)
        last, back = _to_last(xp, y, axis)
        y = xp.permute_dims(xp.matmul(last, m), back)
    return _adaptive_finish(xp, df, y)


def adaptive_max_pool(inputs, output_size, data_format=None):
    """Max pooling of a 3-D, 4-D or 5-D array to a fixed ``output_size``, with the
    windows of ``adaptive_average_pool`` (each gathered to the longest window's length by
    repeating its last index, which leaves the max unchanged)."""
    xp, fw, df, x, out = _adaptive_prepare("adaptive_max_pool", inputs, output_size,
                                           data_format)
    mod = ops_shim(fw)
    if mod is not None and hasattr(mod, "adaptive_max_pool"):
        return _adaptive_finish(xp, df, mod.adaptive_max_pool(x, out))
    it = index_dtype(fw)
    y = x
    for axis, o in zip(range(2, x.ndim), out):
        size = y.shape[axis]
        start, end = _adaptive_windows(size, o)
        longest = int((end - start).max())
        idx = np.minimum(start[:, None] + np.arange(longest)[None, :], (end - 1)[:, None])
        g = xp.take(y, to_array(xp, fw, idx.reshape(-1), it), axis=axis)
        shape = list(g.shape)
        shape[axis:axis + 1] = [o, longest]
        y = xp.max(xp.reshape(g, tuple(shape)), axis=axis + 1)
    return _adaptive_finish(xp, df, y)
