"""Keras 3's segment reductions (``keras.ops.segment_sum`` / ``segment_max`` /
``segment_min`` / ``segment_prod``, also ``keras.ops.math.*``): the framework's kernel
where its ops shim has one, else a one-hot matmul (sum) or a masked reduction."""

from __future__ import annotations

import math as _math

from ._common import dtype_name, op_error, ops_shim, resolve, to_array

__all__ = ["segment_sum", "segment_max", "segment_min", "segment_prod"]


def _segment(op, data, segment_ids, num_segments, sorted):
    xp, fw = resolve(op, data, segment_ids)
    data = to_array(xp, fw, data)
    ids = to_array(xp, fw, segment_ids)
    if not dtype_name(ids).startswith(("int", "uint")):
        raise op_error(op, f"expected integer segment_ids; received dtype {dtype_name(ids)}", TypeError)
    if ids.ndim != 1 or ids.shape[0] != data.shape[0]:
        raise op_error(op, f"expected 1-D segment_ids of length {data.shape[0]} (data.shape[0]); "
                       f"received shape {tuple(ids.shape)}")
    if num_segments is None:
        num_segments = int(xp.max(ids)) + 1 if ids.shape[0] else 0
    return xp, fw, data, ids, int(num_segments)


def segment_sum(data, segment_ids, num_segments=None, sorted=False):
    """Sum of the rows of ``data`` per segment id (ids outside [0, num_segments) dropped)."""
    xp, fw, data, ids, n = _segment("segment_sum", data, segment_ids, num_segments, sorted)
    mod = ops_shim(fw)
    if mod is not None:
        return mod.segment_sum(data, ids, n)
    onehot = xp.astype(ids[:, None] == xp.arange(n, dtype=ids.dtype)[None, :], data.dtype)
    flat = xp.reshape(data, (data.shape[0], -1))
    out = xp.matmul(xp.matrix_transpose(onehot), flat)
    return xp.reshape(out, (n,) + tuple(data.shape[1:]))


def _masked_segment(name, reduce, fill, data, segment_ids, num_segments, sorted):
    """Segment reduction ``name``: the framework's kernel where its ops shim has one,
    else ``reduce`` over the rows with every other segment's rows replaced by ``fill``
    (a function of the dtype name giving the reduction's identity)."""
    xp, fw, data, ids, n = _segment(name, data, segment_ids, num_segments, sorted)
    mod = ops_shim(fw)
    if mod is not None and hasattr(mod, name):
        return getattr(mod, name)(data, ids, n)
    member = ids[:, None] == xp.arange(n, dtype=ids.dtype)[None, :]
    member = xp.reshape(member, tuple(member.shape) + (1,) * (data.ndim - 1))
    vals = xp.where(member, data[:, None, ...], xp.full((), fill(xp, data), dtype=data.dtype))
    return reduce(xp, vals)


def _is_floatlike(xp, data):
    return dtype_name(data).startswith(("float", "bfloat"))


def segment_max(data, segment_ids, num_segments=None, sorted=False):
    """Maximum of the rows of ``data`` per segment id (empty segments: the dtype's lowest
    value, -inf for floats)."""
    return _masked_segment(
        "segment_max", lambda xp, v: xp.max(v, axis=0),
        lambda xp, d: -_math.inf if _is_floatlike(xp, d) else xp.iinfo(d.dtype).min,
        data, segment_ids, num_segments, sorted)


def segment_min(data, segment_ids, num_segments=None, sorted=False):
    """Minimum of the rows of ``data`` per segment id (empty segments: the dtype's largest
    value, +inf for floats)."""
    return _masked_segment(
        "segment_min", lambda xp, v: xp.min(v, axis=0),
        lambda xp, d: _math.inf if _is_floatlike(xp, d) else xp.iinfo(d.dtype).max,
        data, segment_ids, num_segments, sorted)


def segment_prod(data, segment_ids, num_segments=None, sorted=False):
    """Product of the rows of ``data`` per segment id (empty segments: 1)."""
    return _masked_segment(
        "segment_prod", lambda xp, v: xp.prod(v, axis=0, dtype=v.dtype), lambda xp, d: 1,
        data, segment_ids, num_segments, sorted)
