"""Keras 3 losses, written once on the array namespace (``unikeras.losses``).

Each loss exists as a function ``fn(y_true, y_pred, ...)`` returning per-sample values
(the last axis reduced) and as a ``Loss`` class applying a reduction with optional
``sample_weight``. Reductions follow Keras 3: "sum_over_batch_size" (default) divides
the weighted sum by the number of per-sample loss values.
"""

from __future__ import annotations

import math
import threading

import numpy as np

from .. import nn_ops
from ..nn_ops.losses import check_sparse_target
from ..utils.naming import to_snake_case as _snake
from ..utils.serialization import deserialize_simple, register
from ..xp import device_of, framework_of, namespace, standardize_dtype, to_numpy
from ..xp.dtypes import FLOATS, epsilon

REDUCTIONS = ("sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None)


def _prep(y_true, y_pred):
    xp = namespace(y_pred)
    dt = standardize_dtype(y_pred.dtype)
    if not hasattr(y_true, "dtype") or namespace(y_true) is not xp:
        y_true = xp.asarray(y_true)
    if standardize_dtype(y_true.dtype) != dt:
        y_true = xp.astype(y_true, getattr(xp, dt))
    return xp, y_true, y_pred


def _check_same_shape(name, y_true, y_pred):
    if tuple(y_true.shape) != tuple(y_pred.shape):
        t, p = tuple(y_true.shape), tuple(y_pred.shape)
        if len(t) == len(p) + 1 and t[-1] == 1:
            return
        if len(p) == len(t) + 1 and p[-1] == 1:
            return
        if len(t) == len(p) and all(a == b or a == 1 or b == 1 or a is None or b is None
                                    for a, b in zip(t, p)):
            return
        raise ValueError(f"{name}: y_true and y_pred must have the same shape; received "
                         f"y_true.shape={t}, y_pred.shape={p}")


def _squeeze_or_expand(xp, y_true, y_pred):
    """Keras' ``squeeze_or_expand_to_same_rank``: when ranks differ by one and the
    longer one ends in 1, squeeze it, except that a rank-1 partner is expanded."""
    t, p = len(y_true.shape), len(y_pred.shape)
    if t == p + 1 and y_true.shape[-1] == 1:
        if p == 1:
            y_pred = xp.expand_dims(y_pred, axis=-1)
        else:
            y_true = xp.squeeze(y_true, axis=-1)
    elif p == t + 1 and y_pred.shape[-1] == 1:
        if t == 1:
            y_true = xp.expand_dims(y_true, axis=-1)
        else:
            y_pred = xp.squeeze(y_pred, axis=-1)
    return y_true, y_pred


# ---------------------------------------------------------------- loss functions
def mean_squared_error(y_true, y_pred):
    xp, y_true, y_pred = _prep(y_true, y_pred)
    _check_same_shape("mean_squared_error", y_true, y_pred)
    y_true, y_pred = _squeeze_or_expand(xp, y_true, y_pred)
    d = y_pred - y_true
    return xp.mean(d * d, axis=-1)


def mean_absolute_error(y_true, y_pred):
    xp, y_true, y_pred = _prep(y_true, y_pred)
    _check_same_shape("mean_absolute_error", y_true, y_pred)
    y_true, y_pred = _squeeze_or_expand(xp, y_true, y_pred)
    return xp.mean(xp.abs(y_pred - y_true), axis=-1)


def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    xp, y_true, y_pred = _prep(y_true, y_pred)
    if tuple(y_true.shape) != tuple(y_pred.shape):
        raise ValueError(
            "categorical_crossentropy: y_true and y_pred must have the same shape (one-hot "
            f"targets); received y_true.shape={tuple(y_true.shape)}, "
            f"y_pred.shape={tuple(y_pred.shape)}. For integer targets use "
            "sparse_categorical_crossentropy.")
    if label_smoothing:
        n = y_pred.shape[axis]
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / n
    return nn_ops.categorical_crossentropy(y_true, y_pred, from_logits=from_logits, axis=axis)


class _LabelsChecked(threading.local):
    #: True while Model.fit/evaluate runs eager steps of the default train/test step on
    #: array data whose labels it checked once up front: the per-step check is skipped
    on = False


LABELS_CHECKED = _LabelsChecked()


def sparse_label_check(op, xp, y_true, num_classes, ignore_class=None):
    """Labels out of range (``< 0`` or ``>= num_classes``, other than ``ignore_class``).

    Where reading the labels costs no device sync (host data, eager CPU arrays), a bad
    label is a ValueError naming the bad labels. Elsewhere (jit / tf.function tracing,
    accelerator arrays) the check cannot stop the computation without a sync, so the
    returned boolean mask marks the bad positions and the caller makes those losses NaN:
    never a finite made-up value. Returns None when the eager check passed. Cost on an
    eager CPU step: a zero-copy view of the labels and a min and a max (about 15-20 us
    on this 2-core machine under load; traced steps pay two elementwise ops instead),
    skipped in ``fit``/``evaluate``'s eager steps when the labels were checked up front
    (``LABELS_CHECKED``)."""
    if labels_known_valid(op, y_true, num_classes, ignore_class):
        return None
    invalid = (y_true < 0) | (y_true >= num_classes)
    if ignore_class is not None:
        invalid = invalid & (y_true != ignore_class)
    return invalid


def labels_known_valid(op, y_true, num_classes, ignore_class=None):
    """True when the labels are known to be class ids (checked up front:
    ``LABELS_CHECKED``, or read now without a device sync; a bad label is then the
    ValueError of ``sparse_label_check``); False when they cannot be read (traced,
    accelerator arrays)."""
    if LABELS_CHECKED.on:
        return True
    host = None
    try:
        if framework_of(y_true) in (None, "numpy") or device_of(y_true).startswith("cpu"):
            host = to_numpy(y_true)  # zero-copy for eager CPU arrays
    except Exception:  # traced (jax tracer, tf.function tensor): no value to read
        host = None
    if host is None:
        return False
    if host.size and (host.min() < 0 or host.max() >= num_classes):
        h = host.astype(np.int64) if host.dtype.kind in "fb" else host
        bad = (h < 0) | (h >= num_classes)
        if ignore_class is not None:
            bad &= h != ignore_class
        if bad.any():
            values = np.unique(h[bad])
            shown = ", ".join(str(int(v)) for v in values[:10])
            more = f" and {len(values) - 10} more" if len(values) > 10 else ""
            raise ValueError(
                f"{op}: labels must be class ids in [0, {num_classes}) (y_pred has "
                f"{num_classes} classes); received {int(bad.sum())} out-of-range "
                f"label(s): {shown}{more}")
    return True


def nan_where(xp, invalid, values):
    """``values`` with NaN where ``invalid`` (see ``sparse_label_check``)."""
    if invalid is None:
        return values
    return xp.where(invalid, xp.full_like(values, float("nan")), values)


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, ignore_class=None, axis=-1):
    xp = namespace(y_pred)
    if not hasattr(y_true, "dtype") or namespace(y_true) is not xp:
        y_true = xp.asarray(y_true)
    squeeze, _ = check_sparse_target("sparse_categorical_crossentropy", y_true.shape,
                                     y_pred.shape, axis)
    if squeeze:
        y_true = xp.squeeze(y_true, axis=-1)
    if standardize_dtype(y_true.dtype) in FLOATS:
        y_true = xp.astype(y_true, xp.int64 if hasattr(xp, "int64") else xp.int32)
    invalid = sparse_label_check("sparse_categorical_crossentropy", xp, y_true,
                                 y_pred.shape[axis], ignore_class)
    if ignore_class is not None:
        valid = y_true != ignore_class
        safe = xp.where(valid, y_true, xp.zeros_like(y_true))
        res = nn_ops.sparse_categorical_crossentropy(safe, y_pred, from_logits=from_logits, axis=axis)
        return nan_where(xp, invalid, xp.where(valid, res, xp.zeros_like(res)))
    res = nn_ops.sparse_categorical_crossentropy(y_true, y_pred, from_logits=from_logits, axis=axis)
    return nan_where(xp, invalid, res)


def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    xp, y_true, y_pred = _prep(y_true, y_pred)
    _check_same_shape("binary_crossentropy", y_true, y_pred)
    y_true, y_pred = _squeeze_or_expand(xp, y_true, y_pred)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    return xp.mean(nn_ops.binary_crossentropy(y_true, y_pred, from_logits=from_logits), axis=axis)


def _same_rank(name, y_true, y_pred):
    xp, y_true, y_pred = _prep(y_true, y_pred)
    _check_same_shape(name, y_true, y_pred)
    y_true, y_pred = _squeeze_or_expand(xp, y_true, y_pred)
    return xp, y_true, y_pred


def mean_absolute_percentage_error(y_true, y_pred):
    """``100 * mean(|y_true - y_pred| / max(|y_true|, epsilon), axis=-1)``."""
    xp, y_true, y_pred = _same_rank("mean_absolute_percentage_error", y_true, y_pred)
    diff = xp.abs((y_true - y_pred) / xp.clip(xp.abs(y_true), epsilon(), None))
    return 100.0 * xp.mean(diff, axis=-1)


def mean_squared_logarithmic_error(y_true, y_pred):
    """``mean((log(max(y_pred, eps) + 1) - log(max(y_true, eps) + 1))^2, axis=-1)``."""
    xp, y_true, y_pred = _same_rank("mean_squared_logarithmic_error", y_true, y_pred)
    eps = epsilon()
    d = xp.log(xp.clip(y_pred, eps, None) + 1.0) - xp.log(xp.clip(y_true, eps, None) + 1.0)
    return xp.mean(d * d, axis=-1)


def huber(y_true, y_pred, delta=1.0):
    """``mean(0.5 e^2 if |e| <= delta else delta |e| - 0.5 delta^2, axis=-1)``."""
    xp, y_true, y_pred = _same_rank("huber", y_true, y_pred)
    err = y_pred - y_true
    a = xp.abs(err)
    delta = float(delta)
    return xp.mean(xp.where(a <= delta, 0.5 * err * err, delta * a - 0.5 * delta * delta), axis=-1)


def log_cosh(y_true, y_pred):
    """``mean(log(cosh(y_pred - y_true)), axis=-1)``, computed stably as
    ``x + softplus(-2x) - log(2)``."""
    xp, y_true, y_pred = _same_rank("log_cosh", y_true, y_pred)
    x = y_pred - y_true
    return xp.mean(x + nn_ops.softplus(-2.0 * x) - math.log(2.0), axis=-1)


def _hinge_labels(xp, y_true):
    """Keras converts labels that are all 0/1 to -1/1 (traceable: no Python branch)."""
    is_binary = xp.all((y_true == 0) | (y_true == 1))
    return xp.where(is_binary, 2.0 * y_true - 1.0, y_true)


def hinge(y_true, y_pred):
    """``mean(max(1 - y_true * y_pred, 0), axis=-1)``; 0/1 labels become -1/1."""
    xp, y_true, y_pred = _prep(y_true, y_pred)
    y_true = _hinge_labels(xp, y_true)
    return xp.mean(xp.clip(1.0 - y_true * y_pred, 0.0, None), axis=-1)


def squared_hinge(y_true, y_pred):
    """``mean(max(1 - y_true * y_pred, 0)^2, axis=-1)``; 0/1 labels become -1/1."""
    xp, y_true, y_pred = _prep(y_true, y_pred)
    y_true = _hinge_labels(xp, y_true)
    h = xp.clip(1.0 - y_true * y_pred, 0.0, None)
    return xp.mean(h * h, axis=-1)


def categorical_hinge(y_true, y_pred):
    """``max(max((1 - y_true) * y_pred) - sum(y_true * y_pred) + 1, 0)``."""
    xp, y_true, y_pred = _prep(y_true, y_pred)
    pos = xp.sum(y_true * y_pred, axis=-1)
    neg = xp.max((1.0 - y_true) * y_pred, axis=-1)
    return xp.clip(neg - pos + 1.0, 0.0, None)


def kl_divergence(y_true, y_pred):
    """``sum(t * log(t / p), axis=-1)`` with both clipped to [epsilon, 1]."""
    xp, y_true, y_pred = _prep(y_true, y_pred)
    eps = epsilon()
    t = xp.clip(y_true, eps, 1.0)
    p = xp.clip(y_pred, eps, 1.0)
    return xp.sum(t * xp.log(t / p), axis=-1)


def poisson(y_true, y_pred):
    """``mean(y_pred - y_true * log(y_pred + epsilon), axis=-1)``."""
    xp, y_true, y_pred = _prep(y_true, y_pred)
    return xp.mean(y_pred - y_true * xp.log(y_pred + epsilon()), axis=-1)


def _l2_normalize(xp, x, axis):
    sq = xp.sum(x * x, axis=axis, keepdims=True)
    inv = xp.clip(1.0 / xp.sqrt(sq), None, 1.0 / epsilon())  # Keras: min(rsqrt, 1/eps)
    return x * inv


def cosine_similarity(y_true, y_pred, axis=-1):
    """``-sum(l2_normalize(y_true) * l2_normalize(y_pred), axis)``: -1 for the same
    direction (Keras' loss sign)."""
    xp, y_true, y_pred = _same_rank("cosine_similarity", y_true, y_pred)
    return -xp.sum(_l2_normalize(xp, y_true, axis) * _l2_normalize(xp, y_pred, axis), axis=axis)


def binary_focal_crossentropy(y_true, y_pred, apply_class_balancing=False, alpha=0.25,
                              gamma=2.0, from_logits=False, label_smoothing=0.0, axis=-1):
    """Lin et al. 2017: ``mean((1 - p_t)^gamma * bce, axis)`` with
    ``p_t = y p + (1 - y)(1 - p)``; class balancing weighs by ``alpha`` / ``1 - alpha``."""
    xp, y_true, y_pred = _prep(y_true, y_pred)
    if label_smoothing:
        y_true = nn_ops.label_smoothing(y_true, label_smoothing, binary=True)
    if from_logits:
        y_pred = nn_ops.sigmoid(y_pred)
    bce = nn_ops.binary_crossentropy(y_true, y_pred, from_logits=False)
    p_t = y_true * y_pred + (1.0 - y_true) * (1.0 - y_pred)
    focal = xp.pow(1.0 - p_t, float(gamma)) * bce
    if apply_class_balancing:
        focal = (y_true * alpha + (1.0 - y_true) * (1.0 - alpha)) * focal
    return xp.mean(focal, axis=axis)


def categorical_focal_crossentropy(y_true, y_pred, alpha=0.25, gamma=2.0, from_logits=False,
                                   label_smoothing=0.0, axis=-1):
    """``sum(alpha (1 - p)^gamma * -y log(p), axis)`` with ``p`` renormalized and clipped
    to [epsilon, 1 - epsilon] (Keras' formula)."""
    if isinstance(axis, bool):
        raise ValueError(f"categorical_focal_crossentropy: axis must be an int; received {axis!r}")
    xp, y_true, y_pred = _prep(y_true, y_pred)
    if label_smoothing:
        y_true = nn_ops.label_smoothing(y_true, label_smoothing, num_classes=y_true.shape[-1])
    if from_logits:
        y_pred = nn_ops.softmax(y_pred, axis=axis)
    eps = epsilon()
    out = xp.clip(y_pred / xp.sum(y_pred, axis=axis, keepdims=True), eps, 1.0 - eps)
    cce = -y_true * xp.log(out)
    return xp.sum(alpha * xp.pow(1.0 - out, float(gamma)) * cce, axis=axis)


def ctc(y_true, y_pred):
    """Keras' CTC loss per sample: ``y_true`` (batch, max_label_length) integer labels with
    0 as the blank and as padding (the label length is the count of non-zero entries),
    ``y_pred`` (batch, max_time, num_classes) logits, every time step used
    (``nn_ops.ctc_loss`` with ``mask_index=0``)."""
    t_shape = tuple(getattr(y_true, "shape", ()))
    p_shape = tuple(getattr(y_pred, "shape", ()))
    if len(t_shape) != 2:
        raise ValueError("ctc: y_true must have rank 2, shape (batch, max_label_length) of "
                         f"integer labels; received y_true.shape={t_shape}")
    if len(p_shape) != 3:
        raise ValueError("ctc: y_pred must have rank 3, shape (batch, max_time, num_classes) "
                         f"of logits; received y_pred.shape={p_shape}")
    xp = namespace(y_pred)
    if not hasattr(y_true, "dtype") or namespace(y_true) is not xp:
        y_true = xp.asarray(y_true)
    label_length = xp.sum(xp.astype(y_true != 0, xp.int32), axis=-1)
    input_length = xp.ones_like(label_length) * p_shape[1]
    return nn_ops.ctc_loss(y_true, y_pred, label_length, input_length, mask_index=0)


def dice(y_true, y_pred, axis=None):
    """Keras' Dice loss: ``1 - 2 sum(y_true y_pred) / (sum(y_true) + sum(y_pred) + eps)``,
    the sums over ``axis`` (all axes when None: one value for the batch)."""
    xp, y_true, y_pred = _prep(y_true, y_pred)
    inter = xp.sum(y_true * y_pred, axis=axis)
    return 1 - 2.0 * inter / (xp.sum(y_true, axis=axis) + xp.sum(y_pred, axis=axis) + epsilon())


def tversky(y_true, y_pred, alpha=0.5, beta=0.5, axis=None):
    """Salehi et al. 2017 (Keras' form): ``1 - TP / (TP + alpha FP + beta FN + eps)`` with
    ``TP = sum(y_true y_pred)``, ``FP = sum((1 - y_pred) y_true)``,
    ``FN = sum(y_pred (1 - y_true))`` over ``axis``."""
    xp, y_true, y_pred = _prep(y_true, y_pred)
    tp = xp.sum(y_true * y_pred, axis=axis)
    fp = xp.sum((1 - y_pred) * y_true, axis=axis)
    fn = xp.sum(y_pred * (1 - y_true), axis=axis)
    return 1 - tp / (tp + fp * alpha + fn * beta + epsilon())


def _masked_logsumexp(xp, x, mask, axis):
    """``log(sum(exp(x) where mask))`` along ``axis``; -inf where nothing is kept."""
    x = xp.where(mask, x, xp.full_like(x, -math.inf))
    m = xp.max(x, axis=axis, keepdims=True)
    m = xp.where(xp.isfinite(m), m, xp.zeros_like(m))
    return xp.squeeze(m, axis=axis) + xp.log(xp.sum(xp.exp(x - m), axis=axis))


def circle(y_true, y_pred, ref_labels=None, ref_embeddings=None, remove_diagonal=True,
           gamma=80, margin=0.4):
    """Sun et al. 2020, Circle loss on L2-normalized embeddings ``y_pred`` (batch, dim)
    with integer labels ``y_true`` (batch,), against ``ref_embeddings``/``ref_labels``
    (default: the batch itself). Cosine distances ``d = max(1 - y_pred ref^T, 0)``;
    positives (same label, the diagonal removed) weigh ``max(margin + d, 0)``, negatives
    ``max(1 + margin - d, 0)``; per sample ``softplus(LSE_pos(-gamma w (margin - d)) +
    LSE_neg(gamma w (1 - margin - d)))``. As in Keras the zero losses are masked out of
    the reduction (the Circle class averages over the samples with a positive loss)."""
    xp = namespace(y_pred)
    ref = y_pred if ref_embeddings is None else ref_embeddings
    if namespace(ref) is not xp or not hasattr(ref, "dtype"):
        ref = xp.asarray(ref)
    if not hasattr(y_true, "dtype") or namespace(y_true) is not xp:
        y_true = xp.asarray(y_true)
    q = xp.reshape(xp.astype(y_true, xp.int32), (-1, 1))
    k = q if ref_labels is None else xp.asarray(ref_labels)
    k = xp.reshape(xp.astype(k, xp.int32), (1, -1))
    dist = xp.maximum(1 - y_pred @ xp.astype(xp.permute_dims(ref, (1, 0)), y_pred.dtype), 0.0)
    pos = q == k
    neg = xp.logical_not(pos)
    if remove_diagonal:
        pos = xp.logical_and(pos, xp.logical_not(xp.eye(pos.shape[0], pos.shape[1],
                                                        dtype=xp.bool)))
    fpos, fneg = xp.astype(pos, dist.dtype), xp.astype(neg, dist.dtype)
    pos_w = xp.maximum((margin + dist) * fpos, 0.0)
    neg_w = xp.maximum((1 + margin - dist) * fneg, 0.0)
    p_loss = _masked_logsumexp(xp, -1 * gamma * pos_w * (margin - dist), pos, 1)
    n_loss = _masked_logsumexp(xp, gamma * neg_w * ((1 - margin) - dist), neg, 1)
    return nn_ops.softplus(p_loss + n_loss)


def categorical_generalized_cross_entropy(y_true, y_pred, q):
    """Zhang & Sabuncu 2018: ``(1 - p^q) / q`` with ``p`` the predicted probability of
    the integer label ``y_true`` (batch,)."""
    xp = namespace(y_pred)
    if not hasattr(y_true, "dtype") or namespace(y_true) is not xp:
        y_true = xp.asarray(y_true)
    labels = xp.astype(y_true, xp.int32)
    classes = xp.arange(y_pred.shape[-1], dtype=xp.int32)
    one_hot = xp.astype(labels[..., None] == classes, y_pred.dtype)
    p = xp.sum(y_pred * one_hot, axis=-1)
    return (1 - xp.pow(p, float(q))) / q


# ---------------------------------------------------------------- reductions
def reduce_weighted_values(values, sample_weight=None, reduction="sum_over_batch_size",
                           mask=None):
    """Apply ``sample_weight`` (broadcast over trailing dims) and a Keras reduction.

    ``mask`` (boolean, ``values``' shape: the entries that count) is merged into the
    weights as Keras 3's ``apply_mask``: under "sum_over_batch_size" and "mean" the kept
    entries weigh ``total / valid``, so the mean runs over the kept entries only (0 when
    none is kept)."""
    xp = namespace(values)
    if sample_weight is not None:
        if namespace(sample_weight) is not xp or not hasattr(sample_weight, "dtype"):
            sample_weight = xp.asarray(sample_weight)
        sample_weight = xp.astype(sample_weight, values.dtype)
        while len(sample_weight.shape) > len(values.shape) and sample_weight.shape[-1] == 1:
            sample_weight = xp.squeeze(sample_weight, axis=-1)
        while len(sample_weight.shape) < len(values.shape):
            sample_weight = xp.expand_dims(sample_weight, axis=-1)
    if mask is not None:
        fmask = xp.astype(mask, values.dtype)
        if reduction in ("sum_over_batch_size", "mean"):
            total = 1
            for d in fmask.shape:
                total *= d
            valid = xp.sum(fmask)
            scale = xp.where(valid > 0, total / xp.where(valid > 0, valid, 1), 0.0)
            fmask = fmask * scale
        sample_weight = fmask if sample_weight is None else sample_weight * fmask
    if sample_weight is not None:
        values = values * sample_weight
    if reduction in (None, "none"):
        return values
    total = xp.sum(values)
    if reduction == "sum":
        return total
    if reduction == "mean_with_sample_weight" and sample_weight is not None:
        return total / xp.sum(xp.broadcast_to(sample_weight, values.shape))
    if any(d is None for d in values.shape):  # dynamic shape (e.g. a tf.function signature)
        return xp.mean(values) if len(values.shape) else values
    n = 1
    for d in values.shape:
        n *= d
    return total / max(n, 1)


class Loss:
    """Keras' ``Loss(name=None, reduction="sum_over_batch_size", dtype=None)``."""

    def __init__(self, name=None, reduction="sum_over_batch_size", dtype=None):
        if reduction not in REDUCTIONS:
            raise ValueError(f"Invalid reduction: expected one of {REDUCTIONS}; received {reduction!r}")
        self.name = name or _snake(type(self).__name__)
        self.reduction = reduction
        self.dtype = dtype

    # Losses that leave entries out (SparseCategoricalCrossentropy's ignore_class) set
    # this and define _mask(y_true, values): the boolean entries that count.
    _masked = False

    def __call__(self, y_true, y_pred, sample_weight=None):
        if (self._fused_mean is not None and sample_weight is None
                and self.reduction in ("sum_over_batch_size", "mean") and self.dtype is None):
            out = self._fused(y_true, y_pred)
            if out is not None:
                return out
        values = self.call(y_true, y_pred)
        if self.dtype is not None:
            xp = namespace(values)
            values = xp.astype(values, getattr(xp, standardize_dtype(self.dtype)))
        mask = self._mask(y_true, values) if self._masked else None
        return reduce_weighted_values(values, sample_weight, self.reduction, mask)

    def call(self, y_true, y_pred):
        raise NotImplementedError

    # A loss whose unweighted batch mean has a fused kernel (nn_ops, e.g. torch's
    # mse_loss: one autograd node where the per-sample values and their reduction take
    # five) names it here; __call__ takes it for same-shape, same-dtype float arrays.
    _fused_mean = None

    def _fused(self, y_true, y_pred):
        if (self._masked or type(self).call is not LossFunctionWrapper.call
                or not (hasattr(y_pred, "shape") and hasattr(y_true, "shape"))):
            return None  # (a subclass that overrides call() computes its own values)
        shape = tuple(y_pred.shape)
        if (not shape or None in shape or tuple(y_true.shape) != shape
                or y_true.dtype != y_pred.dtype or namespace(y_true) is not namespace(y_pred)
                or standardize_dtype(y_pred.dtype) not in FLOATS):
            return None
        return self._fused_mean(y_true, y_pred)

    def get_config(self):
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class LossFunctionWrapper(Loss):
    """A Loss class around a per-sample loss function and fixed keyword arguments."""

    def __init__(self, fn, reduction="sum_over_batch_size", name=None, dtype=None, **kwargs):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.fn = fn
        self._fn_kwargs = kwargs

    def call(self, y_true, y_pred):
        if hasattr(y_pred, "shape") and hasattr(y_true, "shape"):
            xp = namespace(y_pred)
            if namespace(y_true) is xp:
                y_true, y_pred = _squeeze_or_expand(xp, y_true, y_pred)
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def get_config(self):
        config = super().get_config()
        config.update(self._fn_kwargs)
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _wrapper_class(class_name, fn, default_name, **defaults):
    def __init__(self, *args, reduction="sum_over_batch_size", name=default_name, dtype=None, **kwargs):
        opts = dict(defaults)
        keys = list(defaults)
        if len(args) > len(keys):
            raise TypeError(f"{class_name}() takes at most {len(keys)} positional arguments")
        opts.update(zip(keys, args))
        unknown = set(kwargs) - set(defaults)
        if unknown:
            raise TypeError(f"{class_name}: unexpected keyword arguments {sorted(unknown)}")
        opts.update(kwargs)
        LossFunctionWrapper.__init__(self, fn, reduction=reduction, name=name, dtype=dtype, **opts)

    cls = type(class_name, (LossFunctionWrapper,), {"__init__": __init__, "__doc__":
               f"Keras' ``{class_name}`` loss (per-sample values from ``{fn.__name__}``)."})
    cls.from_config = classmethod(lambda c, config: c(**config))
    return register(cls)


MeanSquaredError = _wrapper_class("MeanSquaredError", mean_squared_error, "mean_squared_error")
MeanSquaredError._fused_mean = staticmethod(nn_ops.mean_squared_error_mean)
MeanAbsoluteError = _wrapper_class("MeanAbsoluteError", mean_absolute_error, "mean_absolute_error")
MeanAbsolutePercentageError = _wrapper_class(
    "MeanAbsolutePercentageError", mean_absolute_percentage_error,
    "mean_absolute_percentage_error")
MeanSquaredLogarithmicError = _wrapper_class(
    "MeanSquaredLogarithmicError", mean_squared_logarithmic_error,
    "mean_squared_logarithmic_error")
CategoricalCrossentropy = _wrapper_class(
    "CategoricalCrossentropy", categorical_crossentropy, "categorical_crossentropy",
    from_logits=False, label_smoothing=0.0, axis=-1)
SparseCategoricalCrossentropy = _wrapper_class(
    "SparseCategoricalCrossentropy", sparse_categorical_crossentropy,
    "sparse_categorical_crossentropy", from_logits=False, ignore_class=None, axis=-1)


def _sparse_init(self, *args, **kwargs):
    _sparse_base_init(self, *args, **kwargs)
    self._masked = self._fn_kwargs.get("ignore_class") is not None


def _sparse_mask(self, y_true, values):
    """The labels that are not ``ignore_class``: as in Keras 3, the reduction averages
    over those only."""
    xp = namespace(values)
    if not hasattr(y_true, "dtype") or namespace(y_true) is not xp:
        y_true = xp.asarray(y_true)
    return xp.reshape(y_true != self._fn_kwargs["ignore_class"], tuple(values.shape))


def _sparse_fused(self, y_true, y_pred):
    """The unweighted batch mean in one fused kernel (torch: ``cross_entropy``) for
    (batch, classes) predictions and (batch,) or (batch, 1) integer labels known to be
    class ids (``labels_known_valid``: checked up front in ``fit``/``evaluate``, or read
    now on the host); None otherwise (the per-sample values and the reduction, which
    keep Keras' NaN for bad labels that cannot be read). Only where the framework has a
    fused kernel, so elsewhere the numbers are the unfused chain's."""
    if (self._masked or type(self).call is not LossFunctionWrapper.call
            or not (hasattr(y_pred, "shape") and hasattr(y_true, "shape"))):
        return None
    fw = framework_of(y_pred)
    if fw is None or framework_of(y_true) != fw or self._fused_mean.fast_path(fw) is None:
        return None
    shape, t_shape = tuple(y_pred.shape), tuple(y_true.shape)
    if len(shape) != 2 or None in shape or self._fn_kwargs["axis"] not in (1, -1):
        return None
    if t_shape == shape[:1] + (1,):
        y_true = namespace(y_true).reshape(y_true, shape[:1])
    elif t_shape != shape[:1]:
        return None
    dt = standardize_dtype(y_true.dtype)
    if (dt in FLOATS or dt == "bool" or dt.startswith("complex")
            or standardize_dtype(y_pred.dtype) not in FLOATS):
        return None
    if not labels_known_valid("sparse_categorical_crossentropy", y_true, shape[1]):
        return None
    return self._fused_mean(y_true, y_pred, from_logits=self._fn_kwargs["from_logits"],
                            axis=self._fn_kwargs["axis"])


_sparse_base_init = SparseCategoricalCrossentropy.__init__
SparseCategoricalCrossentropy.__init__ = _sparse_init
SparseCategoricalCrossentropy._mask = _sparse_mask
SparseCategoricalCrossentropy._fused_mean = staticmethod(
    nn_ops.sparse_categorical_crossentropy_mean)
SparseCategoricalCrossentropy._fused = _sparse_fused
BinaryCrossentropy = _wrapper_class(
    "BinaryCrossentropy", binary_crossentropy, "binary_crossentropy",
    from_logits=False, label_smoothing=0.0, axis=-1)
BinaryFocalCrossentropy = _wrapper_class(
    "BinaryFocalCrossentropy", binary_focal_crossentropy, "binary_focal_crossentropy",
    apply_class_balancing=False, alpha=0.25, gamma=2.0, from_logits=False,
    label_smoothing=0.0, axis=-1)
CategoricalFocalCrossentropy = _wrapper_class(
    "CategoricalFocalCrossentropy", categorical_focal_crossentropy,
    "categorical_focal_crossentropy", alpha=0.25, gamma=2.0, from_logits=False,
    label_smoothing=0.0, axis=-1)
Huber = _wrapper_class("Huber", huber, "huber_loss", delta=1.0)
LogCosh = _wrapper_class("LogCosh", log_cosh, "log_cosh")
Hinge = _wrapper_class("Hinge", hinge, "hinge")
SquaredHinge = _wrapper_class("SquaredHinge", squared_hinge, "squared_hinge")
CategoricalHinge = _wrapper_class("CategoricalHinge", categorical_hinge, "categorical_hinge")
KLDivergence = _wrapper_class("KLDivergence", kl_divergence, "kl_divergence")
Poisson = _wrapper_class("Poisson", poisson, "poisson")
CosineSimilarity = _wrapper_class("CosineSimilarity", cosine_similarity, "cosine_similarity",
                                  axis=-1)
CTC = _wrapper_class("CTC", ctc, "ctc")
Dice = _wrapper_class("Dice", dice, "dice", axis=None)
Tversky = _wrapper_class("Tversky", tversky, "tversky", alpha=0.5, beta=0.5, axis=None)
Circle = _wrapper_class("Circle", circle, "circle", gamma=80.0, margin=0.4,
                        remove_diagonal=True)
# the losses the reduction must leave out: Circle's zero losses (Keras' keras_mask)
Circle._masked = True
Circle._mask = lambda self, y_true, values: values > 0
CategoricalGeneralizedCrossEntropy = _wrapper_class(
    "CategoricalGeneralizedCrossEntropy", categorical_generalized_cross_entropy,
    "categorical_generalized_cross_entropy", q=0.5)
_cgce_base_init = CategoricalGeneralizedCrossEntropy.__init__


def _cgce_init(self, *args, **kwargs):
    _cgce_base_init(self, *args, **kwargs)
    if not 0 < self._fn_kwargs["q"] < 1:
        raise ValueError("q must be in the interval (0, 1)")


CategoricalGeneralizedCrossEntropy.__init__ = _cgce_init

mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
kld = KLD = kullback_leibler_divergence = kl_divergence
logcosh = log_cosh

ALL_FUNCTIONS = {
    f.__name__: f for f in (
        mean_squared_error, mean_absolute_error, mean_absolute_percentage_error,
        mean_squared_logarithmic_error, categorical_crossentropy,
        sparse_categorical_crossentropy, binary_crossentropy, binary_focal_crossentropy,
        categorical_focal_crossentropy, huber, log_cosh, hinge, squared_hinge,
        categorical_hinge, kl_divergence, poisson, cosine_similarity, ctc, dice, tversky,
        circle, categorical_generalized_cross_entropy)
}
ALL_FUNCTIONS.update({
    "mse": mean_squared_error, "MSE": mean_squared_error,
    "mae": mean_absolute_error, "MAE": mean_absolute_error,
    "mape": mean_absolute_percentage_error, "MAPE": mean_absolute_percentage_error,
    "msle": mean_squared_logarithmic_error, "MSLE": mean_squared_logarithmic_error,
    "kld": kl_divergence, "KLD": kl_divergence, "kullback_leibler_divergence": kl_divergence,
    "logcosh": log_cosh, "huber_loss": huber,
})
ALL_CLASSES = {c.__name__: c for c in (
    MeanSquaredError, MeanAbsoluteError, MeanAbsolutePercentageError,
    MeanSquaredLogarithmicError, CategoricalCrossentropy, SparseCategoricalCrossentropy,
    BinaryCrossentropy, BinaryFocalCrossentropy, CategoricalFocalCrossentropy, Huber, LogCosh,
    Hinge, SquaredHinge, CategoricalHinge, KLDivergence, Poisson, CosineSimilarity, CTC, Dice,
    Tversky, Circle, CategoricalGeneralizedCrossEntropy)}


def get(identifier):
    """A loss (instance or function) from a name, a config dict or a callable."""
    if identifier is None:
        return None
    if isinstance(identifier, str):
        if identifier in ALL_FUNCTIONS:
            return ALL_FUNCTIONS[identifier]
        if identifier in ALL_CLASSES:
            return ALL_CLASSES[identifier]()
        raise ValueError(f"Could not interpret loss identifier: {identifier!r}. Expected "
                         f"one of {sorted(ALL_FUNCTIONS)}, a Loss class name or a Loss "
                         "instance")
    if isinstance(identifier, dict):
        return deserialize_simple(identifier, ALL_CLASSES)
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret loss identifier: {identifier!r}")


def serialize(loss):
    if isinstance(loss, Loss):
        from ..utils.serialization import serialize_simple

        return serialize_simple(loss)
    return getattr(loss, "__name__", loss)


def deserialize(config):
    return get(config)
