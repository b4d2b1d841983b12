"""Max and average pooling (1-3 spatial dims), Keras 3 semantics, written once.

"same" padding puts the extra padding at the end; padded positions never win a max and
are excluded from an average (TF semantics, which Keras 3 reproduces on every backend).
"""

from __future__ import annotations

from ..xp import namespace, standardize_dtype
from ..xp.dtypes import FLOATS
from . import _utils as U
from ._dispatch import fused
from .conv import from_channels_last, pad_spatial, to_channels_last, windows

__all__ = ["max_pool", "average_pool", "pool_spec", "same_counts"]


class PoolSpec:
    __slots__ = ("n", "data_format", "padding", "pool_size", "strides", "spatial", "pads",
                 "out_sizes")


def pool_spec(op, inputs, pool_size, strides, padding, data_format):
    s = PoolSpec()
    nd = U.check_rank(op, "inputs", inputs, (3, 4, 5))
    n = s.n = nd - 2
    s.data_format = U.standardize_data_format(op, data_format)
    s.padding = U.standardize_padding(op, padding)
    s.pool_size = U.standardize_tuple(op, "pool_size", pool_size, n)
    s.strides = s.pool_size if strides is None else U.standardize_tuple(op, "strides", strides, n)
    s.spatial = tuple(inputs.shape[1:-1]) if s.data_format == "channels_last" else tuple(inputs.shape[2:])
    ones = (1,) * n
    s.pads = U.conv_padding(s.padding, s.spatial, s.pool_size, s.strides, ones)
    s.out_sizes = tuple(U.conv_output_size(L, k, st, 1, p) for L, k, st, p in
                        zip(s.spatial, s.pool_size, s.strides, s.pads))
    if any(o < 1 for o in s.out_sizes):
        raise ValueError(f"{op}: pool_size {s.pool_size} is larger than the input's spatial "
                         f"shape {s.spatial} with padding={s.padding!r}; received "
                         f"inputs.shape={tuple(inputs.shape)}")
    return s


def same_counts(s: PoolSpec):
    """Per spatial axis, the number of real (unpadded) positions in each window."""
    out = []
    for L, k, st, (b, _), o in zip(s.spatial, s.pool_size, s.strides, s.pads, s.out_sizes):
        out.append([min(i * st - b + k, L) - max(i * st - b, 0) for i in range(o)])
    return out


def _lowest(xp, dtype):
    name = standardize_dtype(dtype)
    if name in FLOATS:
        return -float("inf")
    if name == "bool":
        return False
    return int(xp.iinfo(dtype).min)


@fused
def max_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    """Max over windows of ``pool_size`` (strides default to ``pool_size``)."""
    xp = namespace(inputs)
    s = pool_spec("max_pool", inputs, pool_size, strides, padding, data_format)
    x = to_channels_last(xp, inputs, s.data_format)
    x = pad_spatial(xp, x, s.pads, _lowest(xp, x.dtype))
    out = None
    for w in windows(x, s.pool_size, s.strides, (1,) * s.n, s.out_sizes):
        out = w if out is None else xp.maximum(out, w)
    return from_channels_last(xp, out, s.data_format)


@fused
def average_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    """Mean over windows of ``pool_size``; with "same", padded positions are left out of
    each window's count."""
    xp = namespace(inputs)
    s = pool_spec("average_pool", inputs, pool_size, strides, padding, data_format)
    x = to_channels_last(xp, inputs, s.data_format)
    x = pad_spatial(xp, x, s.pads, 0.0)
    total = None
    for w in windows(x, s.pool_size, s.strides, (1,) * s.n, s.out_sizes):
        total = w if total is None else total + w
    if s.padding == "valid" or all(p == (0, 0) for p in s.pads):
        out = total / float(U.prod(s.pool_size))
    else:
        out = total
        for i, counts in enumerate(same_counts(s)):
            shape = [1] * (s.n + 2)
            shape[1 + i] = len(counts)
            c = xp.reshape(xp.asarray(counts, dtype=x.dtype), tuple(shape))
            out = out / c
    return from_channels_last(xp, out, s.data_format)
