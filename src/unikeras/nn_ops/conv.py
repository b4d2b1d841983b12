"""Convolutions (1-3 spatial dims) with Keras 3's argument names and kernel layouts,
written once against the Array API standard.

Generic method: pad (concatenating constant blocks), gather the ``prod(kernel_size)``
strided windows by slicing, stack them and contract with the kernel by one (batched,
for groups) ``matmul``. Frameworks replace this with their fused kernels.

Layouts (channels_last shown):
    conv            inputs (N, *S, C), kernel (*K, C // groups, O)
    conv_transpose  inputs (N, *S, C), kernel (*K, O, C)
    depthwise_conv  inputs (N, *S, C), kernel (*K, C, M) -> (N, *S', C * M)
"""

from __future__ import annotations

import itertools

from ..xp import namespace, standardize_dtype
from . import _utils as U
from ._dispatch import fused

__all__ = ["conv", "conv_bias", "conv_transpose", "depthwise_conv", "separable_conv"]


# ----------------------------------------------------------------- array helpers
def _index(ndim, axis, sl):
    idx = [slice(None)] * ndim
    idx[axis] = sl
    return tuple(idx)


def pad_axis(xp, x, axis, before, after, value=0.0):
    """``x`` padded along ``axis`` with ``before``/``after`` entries of ``value``
    (negative amounts crop)."""
    nd = len(x.shape)
    if before < 0:
        x = x[_index(nd, axis, slice(-before, None))]
        before = 0
    if after < 0:
        x = x[_index(nd, axis, slice(0, x.shape[axis] + after))]
        after = 0
    if before == 0 and after == 0:
        return x
    unit = xp.full_like(x[_index(nd, axis, slice(0, 1))], value)
    parts = []
    for n in (before,):
        if n:
            shape = list(x.shape)
            shape[axis] = n
            parts.append(xp.broadcast_to(unit, tuple(shape)))
    parts.append(x)
    if after:
        shape = list(x.shape)
        shape[axis] = after
        parts.append(xp.broadcast_to(unit, tuple(shape)))
    return xp.concat(parts, axis=axis)


def pad_spatial(xp, x, pads, value=0.0):
    """Pad the spatial axes 1..n of a channels_last array."""
    for i, (b, a) in enumerate(pads):
        x = pad_axis(xp, x, 1 + i, b, a, value)
    return x


def windows(x, kernel_size, strides, dilation, out_sizes):
    """The strided windows of a padded channels_last ``x``: one (N, *out, C) slice per
    kernel offset, in row-major kernel order."""
    n = len(kernel_size)
    for offs in itertools.product(*(range(k) for k in kernel_size)):
        idx = [slice(None)]
        for i in range(n):
            start = offs[i] * dilation[i]
            idx.append(slice(start, start + (out_sizes[i] - 1) * strides[i] + 1, strides[i]))
        idx.append(slice(None))
        yield x[tuple(idx)]


def to_channels_last(xp, x, data_format):
    if data_format == "channels_first":
        nd = len(x.shape)
        return xp.permute_dims(x, (0,) + tuple(range(2, nd)) + (1,))
    return x


def from_channels_last(xp, x, data_format):
    if data_format == "channels_first":
        nd = len(x.shape)
        return xp.permute_dims(x, (0, nd - 1) + tuple(range(1, nd - 1)))
    return x


def _common_dtype(xp, *arrays):
    dts = {standardize_dtype(a.dtype) for a in arrays}
    if len(dts) == 1:
        return arrays
    dt = xp.result_type(*(a.dtype for a in arrays))
    return tuple(a if a.dtype == dt else xp.astype(a, dt) for a in arrays)


# ----------------------------------------------------------------- validation
class ConvSpec:
    """Normalized arguments of a convolution (shared by the generic path and shims)."""

    __slots__ = ("n", "data_format", "padding", "strides", "dilation", "kernel_size",
                 "spatial", "channels", "groups", "pads", "out_sizes")


def conv_spec(op, inputs, kernel, strides, padding, data_format, dilation_rate,
              kernel_in_axis=-2, groups_from_kernel=True, check_output=True):
    """Validate ``conv``-style arguments; raises ValueError naming the op, the expected
    and the received values."""
    s = ConvSpec()
    nd = U.check_rank(op, "inputs", inputs, (3, 4, 5))
    n = s.n = nd - 2
    if len(kernel.shape) != nd:
        raise ValueError(f"{op}: kernel must have rank {nd} ({n} spatial dims + 2) for inputs "
                         f"of rank {nd}; received kernel.shape={tuple(kernel.shape)}, "
                         f"inputs.shape={tuple(inputs.shape)}")
    s.data_format = U.standardize_data_format(op, data_format)
    s.padding = U.standardize_padding(op, padding)
    s.strides = U.standardize_tuple(op, "strides", strides, n)
    s.dilation = U.standardize_tuple(op, "dilation_rate", dilation_rate, n)
    s.kernel_size = tuple(int(k) for k in kernel.shape[:n])
    if s.data_format == "channels_last":
        s.spatial, s.channels = tuple(inputs.shape[1:-1]), inputs.shape[-1]
    else:
        s.spatial, s.channels = tuple(inputs.shape[2:]), inputs.shape[1]
    kin = kernel.shape[kernel_in_axis]
    if groups_from_kernel:
        if kin == 0 or s.channels % kin:
            raise ValueError(f"{op}: the input channels ({s.channels}, data_format="
                             f"{s.data_format!r}) must be a multiple of kernel.shape[-2] "
                             f"(input channels per group); received kernel.shape="
                             f"{tuple(kernel.shape)}, inputs.shape={tuple(inputs.shape)}")
        s.groups = s.channels // kin
        if kernel.shape[-1] % s.groups:
            raise ValueError(f"{op}: the output channels kernel.shape[-1]={kernel.shape[-1]} "
                             f"must be divisible by the number of groups {s.groups}; received "
                             f"kernel.shape={tuple(kernel.shape)}")
    else:
        if kin != s.channels:
            raise ValueError(f"{op}: kernel.shape[{kernel_in_axis}] must equal the input "
                             f"channels {s.channels}; received kernel.shape="
                             f"{tuple(kernel.shape)}, inputs.shape={tuple(inputs.shape)}")
        s.groups = 1
    s.pads = U.conv_padding(s.padding, s.spatial, s.kernel_size, s.strides, s.dilation)
    s.out_sizes = tuple(U.conv_output_size(L, k, st, d, p) for L, k, st, d, p in
                        zip(s.spatial, s.kernel_size, s.strides, s.dilation, s.pads))
    if check_output and any(o < 1 for o in s.out_sizes):
        raise ValueError(f"{op}: the (dilated) kernel {s.kernel_size} is larger than the "
                         f"padded input {s.spatial} with padding={s.padding!r}; received "
                         f"inputs.shape={tuple(inputs.shape)}, kernel.shape="
                         f"{tuple(kernel.shape)}, dilation_rate={s.dilation}")
    return s


def conv_transpose_spec(op, inputs, kernel, strides, padding, output_padding, data_format,
                        dilation_rate):
    s = conv_spec(op, inputs, kernel, strides, padding, data_format, dilation_rate,
                  kernel_in_axis=-1, groups_from_kernel=False, check_output=False)
    n = s.n
    if output_padding is None:
        ops = [None] * n
    else:
        ops = list(U.standardize_tuple(op, "output_padding", output_padding, n, allow_zero=True))
        for o, st, d in zip(ops, s.strides, s.dilation):
            if o >= max(st, d):
                raise ValueError(f"{op}: output_padding must be smaller than the stride or "
                                 f"the dilation; received output_padding={output_padding!r}, "
                                 f"strides={s.strides}, dilation_rate={s.dilation}")
    s.pads = [U.conv_transpose_padding(k, st, d, s.padding, o)
              for k, st, d, o in zip(s.kernel_size, s.strides, s.dilation, ops)]
    s.out_sizes = tuple(U.conv_transpose_output_size(L, k, st, d, p) for L, k, st, d, p in
                        zip(s.spatial, s.kernel_size, s.strides, s.dilation, s.pads))
    return s


# ----------------------------------------------------------------- generic ops
def _conv_channels_last(xp, x, kernel, s: ConvSpec):
    """Generic conv of a channels_last ``x`` (no validation)."""
    x = pad_spatial(xp, x, s.pads)
    n_batch = x.shape[0]
    c = x.shape[-1]
    k = U.prod(s.kernel_size)
    o = kernel.shape[-1]
    m = n_batch * U.prod(s.out_sizes)
    wins = list(windows(x, s.kernel_size, s.strides, s.dilation, s.out_sizes))
    patches = xp.stack(wins, axis=-2)  # (N, *out, K, C)
    g = s.groups
    if g == 1:
        y = xp.reshape(patches, (m, k * c)) @ xp.reshape(kernel, (k * c, o))
        return xp.reshape(y, (n_batch,) + s.out_sizes + (o,))
    cg, og = c // g, o // g
    p = xp.permute_dims(xp.reshape(patches, (m, k, g, cg)), (2, 0, 1, 3))
    p = xp.reshape(p, (g, m, k * cg))
    w = xp.permute_dims(xp.reshape(kernel, (k, cg, g, og)), (2, 0, 1, 3))
    w = xp.reshape(w, (g, k * cg, og))
    y = xp.permute_dims(p @ w, (1, 0, 2))  # (M, G, Og)
    return xp.reshape(y, (n_batch,) + s.out_sizes + (o,))


@fused
def conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    """N-D convolution (cross-correlation, as in every deep-learning framework).

    ``kernel`` has shape ``(*kernel_size, in_channels // groups, out_channels)``; the
    number of groups is ``in_channels // kernel.shape[-2]``. "same" padding puts the
    extra padding at the end (TF/Keras)."""
    xp = namespace(inputs, kernel)
    s = conv_spec("conv", inputs, kernel, strides, padding, data_format, dilation_rate)
    inputs, kernel = _common_dtype(xp, inputs, kernel)
    x = to_channels_last(xp, inputs, s.data_format)
    y = _conv_channels_last(xp, x, kernel, s)
    return from_channels_last(xp, y, s.data_format)


def add_channel_bias(y, bias, data_format):
    """``y + bias`` with ``bias`` (C,) on the channel axis of ``y`` (the framework's own
    dtype promotion)."""
    if U.standardize_data_format("conv", data_format) == "channels_last":
        return y + bias
    xp = namespace(y)
    return y + xp.reshape(bias, (1, bias.shape[0]) + (1,) * (len(y.shape) - 2))


@fused
def conv_bias(inputs, kernel, bias, strides=1, padding="valid", data_format=None,
              dilation_rate=1):
    """``conv(inputs, kernel, ...) + bias``, ``bias`` of shape ``(out_channels,)`` on the
    channel axis: the convolution layers' product. A framework whose convolution takes a
    bias fuses it (torch: one kernel forward, and its backward computes the bias
    gradient; no separate add and reduction over N and the spatial axes)."""
    y = conv(inputs, kernel, strides, padding, data_format, dilation_rate)
    return add_channel_bias(y, bias, data_format)


def dilate_spatial(xp, x, strides):
    """Insert ``stride - 1`` zeros between the entries of each spatial axis of a
    channels_last ``x``."""
    for i, st in enumerate(strides):
        if st == 1:
            continue
        ax = 1 + i
        L = x.shape[ax]
        xe = xp.expand_dims(x, axis=ax + 1)  # (..., L, 1, ...)
        zshape = list(xe.shape)
        zshape[ax + 1] = st - 1
        z = xp.broadcast_to(xp.zeros_like(xe), tuple(zshape))
        x = xp.concat([xe, z], axis=ax + 1)  # (..., L, st, ...)
        shape = list(x.shape)
        x = xp.reshape(x, tuple(shape[:ax]) + (L * st,) + tuple(shape[ax + 2:]))
        x = x[_index(len(x.shape), ax, slice(0, (L - 1) * st + 1))]
    return x


@fused
def conv_transpose(inputs, kernel, strides=1, padding="valid", output_padding=None,
                   data_format=None, dilation_rate=1):
    """N-D transposed convolution; ``kernel`` has shape ``(*kernel_size, out_channels,
    in_channels)``. Output size per axis follows Keras 3: with ``output_padding=None``,
    ``(L - 1) * s + max(k_eff, s)`` for "valid" and ``L * s`` for "same"."""
    xp = namespace(inputs, kernel)
    s = conv_transpose_spec("conv_transpose", inputs, kernel, strides, padding,
                            output_padding, data_format, dilation_rate)
    inputs, kernel = _common_dtype(xp, inputs, kernel)
    x = to_channels_last(xp, inputs, s.data_format)
    x = dilate_spatial(xp, x, s.strides)
    n = s.n
    # the transposed conv is a stride-1 conv of the dilated input with the spatially
    # flipped kernel, its in/out axes swapped: (*K, O, I) -> (*K, I, O)
    w = xp.flip(kernel, axis=tuple(range(n)))
    w = xp.permute_dims(w, tuple(range(n)) + (n + 1, n))
    inner = conv_spec("conv_transpose", x, w, 1, "valid", "channels_last", s.dilation,
                      check_output=False)
    inner.pads = s.pads
    inner.out_sizes = s.out_sizes
    y = _conv_channels_last(xp, x, w, inner)
    return from_channels_last(xp, y, s.data_format)


def depthwise_kernel_as_grouped(xp, kernel):
    """(*K, C, M) -> (*K, 1, C * M): the grouped-conv kernel with C groups."""
    shape = tuple(kernel.shape)
    return xp.reshape(kernel, shape[:-2] + (1, shape[-2] * shape[-1]))


def check_depthwise(op, inputs, kernel, data_format):
    nd = U.check_rank(op, "inputs", inputs, (3, 4, 5))
    if len(kernel.shape) != nd:
        raise ValueError(f"{op}: kernel must have rank {nd} (*kernel_size, in_channels, "
                         f"multiplier); received kernel.shape={tuple(kernel.shape)}, "
                         f"inputs.shape={tuple(inputs.shape)}")
    df = U.standardize_data_format(op, data_format)
    c = inputs.shape[-1] if df == "channels_last" else inputs.shape[1]
    if kernel.shape[-2] != c:
        raise ValueError(f"{op}: kernel.shape[-2] must equal the input channels {c}; "
                         f"received kernel.shape={tuple(kernel.shape)}, "
                         f"inputs.shape={tuple(inputs.shape)} (data_format={df!r})")
    return df


@fused
def depthwise_conv(inputs, kernel, strides=1, padding="valid", data_format=None,
                   dilation_rate=1):
    """Depthwise convolution; ``kernel`` has shape ``(*kernel_size, in_channels,
    depth_multiplier)`` and output channel ``c * multiplier + m`` is input channel ``c``
    convolved with ``kernel[..., c, m]``."""
    xp = namespace(inputs, kernel)
    check_depthwise("depthwise_conv", inputs, kernel, data_format)
    return conv(inputs, depthwise_kernel_as_grouped(xp, kernel), strides, padding,
                data_format, dilation_rate)


@fused
def separable_conv(inputs, depthwise_kernel, pointwise_kernel, strides=1, padding="valid",
                   data_format=None, dilation_rate=1):
    """Depthwise convolution followed by a 1x1 convolution with ``pointwise_kernel``
    of shape ``(*ones, in_channels * multiplier, out_channels)``."""
    nd = len(inputs.shape)
    if len(pointwise_kernel.shape) != nd:
        raise ValueError(f"separable_conv: pointwise_kernel must have rank {nd}; received "
                         f"pointwise_kernel.shape={tuple(pointwise_kernel.shape)}")
    depthwise_conv_out = depthwise_conv(inputs, depthwise_kernel, strides, padding,
                                        data_format, dilation_rate)
    return conv(depthwise_conv_out, pointwise_kernel, 1, "valid", data_format, 1)
