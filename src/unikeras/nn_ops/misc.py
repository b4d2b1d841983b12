"""Normalization statistics, one-hot encodings, attention, top-k and dropout, written
once against the Array API standard (Keras 3 semantics)."""

from __future__ import annotations

import math

from ..xp import epsilon as _epsilon
from ..xp import floatx, namespace, standardize_dtype
from ..xp import random as _random
from ..xp.dtypes import FLOATS
from . import _utils as U
from ._dispatch import fused
from .activations import softmax

__all__ = [
    "dense", "moments", "batch_normalization", "batch_norm_training", "layer_normalization",
    "rms_normalization",
    "one_hot", "multi_hot", "dot_product_attention", "top_k", "in_top_k", "dropout",
    "embedding_lookup",
]


def _axes_tuple(op, axes, ndim):
    if isinstance(axes, int):
        axes = (axes,)
    try:
        return tuple(sorted(U.normalize_axis(op, int(a), ndim) for a in axes))
    except TypeError:
        raise ValueError(f"{op}: axes must be an int or a sequence of ints; received "
                         f"{axes!r}") from None


def _half(x):
    return standardize_dtype(x.dtype) in ("float16", "bfloat16")


@fused
def moments(x, axes, keepdims=False, synchronized=False):
    """(mean, variance) of ``x`` over ``axes``; float16/bfloat16 are reduced in float32
    (and clipped to the half range on the way back), as Keras does."""
    if synchronized:
        raise NotImplementedError("moments: synchronized=True (cross-replica statistics) "
                                  "is not supported")
    xp = namespace(x)
    ax = _axes_tuple("moments", axes, len(x.shape))
    orig = standardize_dtype(x.dtype)
    if _half(x):
        x = xp.astype(x, xp.float32)
    mean = xp.mean(x, axis=ax, keepdims=True)
    d = x - mean
    variance = xp.mean(d * d, axis=ax, keepdims=True)
    if not keepdims:
        mean = xp.squeeze(mean, axis=ax)
        variance = xp.squeeze(variance, axis=ax)
    if orig in ("float16", "bfloat16"):
        lim = 65504.0 if orig == "float16" else 3.38e38
        dt = getattr(xp, orig)
        mean = xp.astype(xp.clip(mean, -lim, lim), dt)
        variance = xp.astype(xp.clip(variance, -lim, lim), dt)
    return mean, variance


def _along(xp, v, axis, ndim):
    """Reshape a 1-D ``v`` to broadcast along ``axis`` of an ``ndim`` array."""
    if v is None or len(v.shape) != 1:
        return v
    shape = [1] * ndim
    shape[axis] = v.shape[0]
    return xp.reshape(v, tuple(shape))


@fused
def batch_normalization(x, mean, variance, axis, offset=None, scale=None, epsilon=1e-3):
    """(x - mean) / sqrt(variance + epsilon) * scale + offset, with 1-D statistics laid
    along ``axis`` of ``x``."""
    xp = namespace(x)
    nd = len(x.shape)
    ax = U.normalize_axis("batch_normalization", axis, nd)
    for name, v in (("mean", mean), ("variance", variance), ("offset", offset), ("scale", scale)):
        if v is not None and len(v.shape) == 1 and v.shape[0] != x.shape[ax]:
            raise ValueError(f"batch_normalization: {name} must have shape ({x.shape[ax]},) "
                             f"(x.shape[{axis}]); received {name}.shape={tuple(v.shape)}")
    mean = _along(xp, mean, ax, nd)
    variance = _along(xp, variance, ax, nd)
    inv = 1.0 / xp.sqrt(variance + epsilon)
    if scale is not None:
        inv = inv * _along(xp, scale, ax, nd)
    res = -mean * inv
    if offset is not None:
        res = res + _along(xp, offset, ax, nd)
    return x * inv + res


@fused
def batch_norm_training(x, axis, scale=None, offset=None, epsilon=1e-3):
    """Training-mode batch normalization (the BatchNormalization layer without a mask):
    ``(out, mean, variance)`` with the batch statistics over every axis but ``axis``
    (1-D, biased variance, as Keras) and ``out = x * inv + (offset - mean * inv)``,
    ``inv = scale / sqrt(variance + epsilon)`` (Keras' formula). ``x`` is float32 or
    float64 (the layer upcasts half inputs). The statistics are for the moving averages:
    a framework kernel may return them outside autodiff."""
    xp = namespace(x)
    nd = len(x.shape)
    ax = U.normalize_axis("batch_norm_training", axis, nd)
    red = tuple(i for i in range(nd) if i != ax)
    mean = xp.mean(x, axis=red, keepdims=True)
    d = x - mean
    variance = xp.mean(d * d, axis=red)
    mean = xp.reshape(mean, (-1,))
    inv = 1.0 / xp.sqrt(variance + epsilon)
    if scale is not None:
        inv = inv * scale
    res = -mean * inv
    if offset is not None:
        res = res + offset
    out = x * _along(xp, inv, ax, nd) + _along(xp, res, ax, nd)
    return out, mean, variance


def _compute(xp, x):
    orig = standardize_dtype(x.dtype)
    if orig in ("float16", "bfloat16"):
        return xp.astype(x, xp.float32), orig
    return x, None


def _broadcast_param(xp, v, axes, x):
    if v is None:
        return None
    nd = len(x.shape)
    if len(v.shape) != nd and list(axes) != [nd - 1]:
        shape = [1] * nd
        for a in axes:
            shape[a] = x.shape[a]
        v = xp.reshape(v, tuple(shape))
    if v.dtype != x.dtype:
        v = xp.astype(v, x.dtype)
    return v


@fused
def layer_normalization(x, gamma=None, beta=None, axis=-1, epsilon=None):
    """(x - mean) / sqrt(var + epsilon) * gamma + beta over ``axis`` (an int or tuple);
    computed in at least float32 and returned in ``x``'s dtype (Keras 3)."""
    xp = namespace(x)
    epsilon = _epsilon() if epsilon is None else epsilon
    axes = _axes_tuple("layer_normalization", axis, len(x.shape))
    xc, orig = _compute(xp, x)
    mean = xp.mean(xc, axis=axes, keepdims=True)
    d = xc - mean
    var = xp.mean(d * d, axis=axes, keepdims=True)
    out = d / xp.sqrt(var + epsilon)
    g = _broadcast_param(xp, gamma, axes, xc)
    b = _broadcast_param(xp, beta, axes, xc)
    if g is not None:
        out = out * g
    if b is not None:
        out = out + b
    return out if orig is None else xp.astype(out, getattr(xp, orig))


@fused
def rms_normalization(x, scale=None, axis=-1, epsilon=None):
    """x / sqrt(mean(x**2, axis) + epsilon) * scale; computed in at least float32."""
    xp = namespace(x)
    epsilon = _epsilon() if epsilon is None else epsilon
    axes = _axes_tuple("rms_normalization", axis, max(len(x.shape), 1))
    xc, orig = _compute(xp, x)
    out = xc / xp.sqrt(xp.mean(xc * xc, axis=axes, keepdims=True) + epsilon)
    if scale is not None:
        if not hasattr(scale, "shape"):
            out = out * scale
        else:
            out = out * _broadcast_param(xp, scale, axes, xc)
    return out if orig is None else xp.astype(out, getattr(xp, orig))


def _int_ids(xp, x):
    if standardize_dtype(x.dtype) in FLOATS or standardize_dtype(x.dtype) == "bool":
        return xp.astype(x, xp.int32)
    return x


@fused
def one_hot(x, num_classes, axis=-1, dtype=None, sparse=False):
    """One-hot encoding of integer ``x`` with a new axis of ``num_classes`` at ``axis``;
    ids outside [0, num_classes) give all-zero vectors."""
    if sparse:
        raise NotImplementedError("one_hot: sparse=True is not supported")
    xp = namespace(x)
    if not hasattr(x, "shape"):
        x = xp.asarray(x)
    x = _int_ids(xp, x)
    nd = len(x.shape) + 1
    ax = U.normalize_axis("one_hot", axis, nd)
    shape = [1] * nd
    shape[ax] = int(num_classes)
    classes = xp.reshape(xp.arange(int(num_classes), dtype=x.dtype), tuple(shape))
    out = xp.expand_dims(x, axis=ax) == classes
    dt = standardize_dtype(dtype or floatx())
    return out if dt == "bool" else xp.astype(out, getattr(xp, dt))


@fused
def multi_hot(inputs, num_classes=None, axis=-1, dtype=None, sparse=False):
    """Multi-hot encoding: for (batch, ids) inputs, a (batch, num_classes) array with 1
    where a class occurs; a 1-D input is one sample."""
    if num_classes is None:
        raise ValueError("multi_hot: num_classes is required; received None")
    if sparse:
        raise NotImplementedError("multi_hot: sparse=True is not supported")
    xp = namespace(inputs)
    reduction_axis = 1 if len(inputs.shape) > 1 else 0
    oh = one_hot.generic(inputs, num_classes, axis=axis, dtype=dtype)
    return xp.max(oh, axis=reduction_axis)


@fused
def dot_product_attention(query, key, value, bias=None, mask=None, scale=None, is_causal=False,
                          flash_attention=None, attn_logits_soft_cap=None):
    """softmax(q k^T * scale + bias, masked) v in Keras' (batch, time, heads, depth)
    layout. ``mask`` is boolean (True = attend), broadcastable to (B, N, T, S); key and
    value may have fewer heads than query (grouped-query attention)."""
    op = "dot_product_attention"
    if flash_attention:
        raise ValueError(f"{op}: flash_attention=True is not supported here; received "
                         f"flash_attention={flash_attention!r}")
    xp = namespace(query, key, value)
    for name, a in (("query", query), ("key", key), ("value", value)):
        if len(a.shape) != 4:
            raise ValueError(f"{op}: {name} must be 4-D (batch, time, heads, depth); "
                             f"received {name}.shape={tuple(a.shape)}")
    b, t, n, h = query.shape
    nk = key.shape[2]
    if n % nk or value.shape[2] != nk:
        raise ValueError(f"{op}: the query heads ({n}) must be a multiple of the key/value "
                         f"heads; received key.shape={tuple(key.shape)}, "
                         f"value.shape={tuple(value.shape)}")
    dt = xp.result_type(query.dtype, key.dtype, value.dtype)
    query, key, value = (a if a.dtype == dt else xp.astype(a, dt) for a in (query, key, value))
    if nk != n:
        rep = n // nk
        key = xp.repeat(key, rep, axis=2)
        value = xp.repeat(value, rep, axis=2)
    scale = 1.0 / math.sqrt(h) if scale is None else scale
    q = xp.permute_dims(query, (0, 2, 1, 3))  # B N T H
    k = xp.permute_dims(key, (0, 2, 3, 1))  # B N H S
    v = xp.permute_dims(value, (0, 2, 1, 3))  # B N S H
    half = standardize_dtype(dt) in ("float16", "bfloat16")
    if half:
        q, k = xp.astype(q, xp.float32), xp.astype(k, xp.float32)
    logits = (q @ k) * scale
    if attn_logits_soft_cap is not None:
        logits = xp.tanh(logits / attn_logits_soft_cap) * attn_logits_soft_cap
    if bias is not None:
        logits = logits + xp.astype(bias, logits.dtype)
    s = key.shape[1]
    keep = None
    if mask is not None:
        keep = mask if standardize_dtype(mask.dtype) == "bool" else mask != 0
    if is_causal:
        rows = xp.reshape(xp.arange(t), (t, 1))
        cols = xp.reshape(xp.arange(s), (1, s))
        causal = cols <= rows
        keep = causal if keep is None else xp.logical_and(keep, causal)
    if keep is not None:
        big_neg = -0.7 * float(xp.finfo(logits.dtype).max)
        logits = xp.where(keep, logits, big_neg)
    probs = softmax(logits, axis=-1)
    if half:
        probs = xp.astype(probs, dt)
    out = probs @ v  # B N T H
    return xp.permute_dims(out, (0, 2, 1, 3))


@fused
def top_k(x, k, sorted=True):
    """(values, indices) of the ``k`` largest entries along the last axis, largest
    first; ties keep the lower index first."""
    xp = namespace(x)
    if not 0 <= int(k) <= x.shape[-1]:
        raise ValueError(f"top_k: k must be in [0, {x.shape[-1]}] (x.shape[-1]); "
                         f"received k={k!r}")
    idx = xp.argsort(x, axis=-1, descending=True, stable=True)[..., :int(k)]
    return xp.take_along_axis(x, idx, axis=-1), idx


@fused
def in_top_k(targets, predictions, k):
    """Whether each target id's prediction is among the ``k`` largest of its row (ties
    at the boundary count as in, as in TF)."""
    xp = namespace(predictions)
    if len(predictions.shape) != 2 or len(targets.shape) != 1:
        raise ValueError("in_top_k: expected targets of shape (batch,) and predictions of "
                         f"shape (batch, classes); received targets.shape="
                         f"{tuple(targets.shape)}, predictions.shape={tuple(predictions.shape)}")
    if namespace(targets) is not xp:
        targets = xp.asarray(targets)
    t = _int_ids(xp, targets)
    n = predictions.shape[-1]
    valid = (t >= 0) & (t < n)
    safe = xp.where(valid, t, xp.zeros_like(t))
    # the id's prediction, without a gather (whose index dtype rules differ)
    ids = xp.reshape(xp.arange(n, dtype=t.dtype), (1, n))
    hit = xp.expand_dims(safe, axis=-1) == ids
    tv = xp.sum(xp.where(hit, predictions, xp.zeros_like(predictions)), axis=-1, keepdims=True)
    greater = xp.sum(xp.astype(predictions > tv, xp.int32), axis=-1)
    return valid & (greater < int(k)) & xp.isfinite(tv[..., 0])


@fused
def dense(x, kernel, bias=None):
    """``x @ kernel + bias``: the Dense layer's product (``x``: at least 2-D, ``kernel``:
    (in, out)). Fused
    on torch into one ``addmm`` (one autograd node instead of two: per-step overhead)."""
    y = x @ kernel  # (the framework's own operator: TF's keeps float16 in float16)
    return y if bias is None else y + bias


@fused
def embedding_lookup(table, ids):
    """The rows of ``table`` (vocabulary, dim) at integer ``ids`` of any shape:
    ``ids.shape + (dim,)``; negative ids count from the end, as Keras' ``take`` (the
    Embedding layer's lookup). One unknown dimension of ``ids`` (a traced dynamic batch)
    is kept. Fused on torch into ``F.embedding`` (its backward accumulates the rows in
    the order ``index_select``'s does, in one kernel)."""
    xp = namespace(table)
    out = xp.take(table, xp.reshape(ids, (-1,)), axis=0)
    shape = tuple(ids.shape)
    if sum(d is None for d in shape) == 1:  # traced with a dynamic batch (export)
        shape = tuple(-1 if d is None else d for d in shape)
    return xp.reshape(out, shape + (table.shape[1],))


@fused
def dropout(x, rate, noise_shape=None, seed=None):
    """Zero entries with probability ``rate`` and scale the rest by 1 / (1 - rate)
    (``unikeras.xp.random.dropout``)."""
    return _random.dropout(x, rate, noise_shape=noise_shape, seed=seed)
