"""Cross-entropy math with Keras 3's ``keras.ops`` semantics (no reduction over the
batch): probabilities are renormalized and clipped to [epsilon, 1 - epsilon]; logits go
through a stable log-softmax / log-sigmoid."""

from __future__ import annotations

from ..xp import epsilon, namespace, standardize_dtype
from ..xp.dtypes import FLOATS
from ._dispatch import fused
from .activations import log_sigmoid, log_softmax

__all__ = [
    "binary_crossentropy",
    "categorical_crossentropy",
    "sparse_categorical_crossentropy",
    "label_smoothing",
    "mean_squared_error_mean",
    "sparse_categorical_crossentropy_mean",
]


def _as_output_dtype(xp, target, output):
    """``target`` in ``output``'s namespace and float dtype."""
    if not hasattr(target, "dtype") or namespace(target) is not xp:
        target = xp.asarray(target)
    if target.dtype != output.dtype:
        target = xp.astype(target, output.dtype)
    return target


def _check_output(op, output):
    if standardize_dtype(output.dtype) not in FLOATS:
        raise ValueError(f"{op}: output must be a float array; received dtype "
                         f"{standardize_dtype(output.dtype)!r}")


def _same_shape(op, target, output):
    if tuple(target.shape) != tuple(output.shape):
        raise ValueError(f"{op}: arguments `target` and `output` must have the same shape; "
                         f"received target.shape={tuple(target.shape)}, "
                         f"output.shape={tuple(output.shape)}")


def _log_probs(xp, output, from_logits, axis):
    if from_logits:
        return log_softmax(output, axis=axis)
    eps = epsilon()
    output = output / xp.sum(output, axis=axis, keepdims=True)
    return xp.log(xp.clip(output, eps, 1.0 - eps))


@fused
def binary_crossentropy(target, output, from_logits=False):
    """Elementwise binary cross-entropy between ``target`` (probabilities in [0, 1]) and
    ``output`` (probabilities, or logits with ``from_logits=True``)."""
    xp = namespace(output)
    _check_output("binary_crossentropy", output)
    target = _as_output_dtype(xp, target, output)
    _same_shape("binary_crossentropy", target, output)
    if from_logits:
        return -(target * log_sigmoid(output) + (1.0 - target) * log_sigmoid(-output))
    eps = epsilon()
    output = xp.clip(output, eps, 1.0 - eps)
    return -(target * xp.log(output) + (1.0 - target) * xp.log(1.0 - output))


@fused
def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """-sum(target * log(p), axis) for one-hot / soft ``target``; ``output`` holds
    probabilities (renormalized along ``axis``) or logits."""
    xp = namespace(output)
    _check_output("categorical_crossentropy", output)
    target = _as_output_dtype(xp, target, output)
    _same_shape("categorical_crossentropy", target, output)
    if len(output.shape) < 1:
        raise ValueError("categorical_crossentropy: arguments must have rank >= 1; received "
                         f"output.shape={tuple(output.shape)}")
    return -xp.sum(target * _log_probs(xp, output, from_logits, axis), axis=axis)


def _one_hot_like(xp, target, n, axis, dtype):
    """One-hot of integer ``target`` with ``n`` classes inserted at ``axis`` (of the
    result); out-of-range ids give all-zero rows (Keras/JAX semantics)."""
    nd = len(target.shape) + 1
    ax = axis % nd
    t = xp.expand_dims(target, axis=ax)
    shape = [1] * nd
    shape[ax] = n
    classes = xp.reshape(xp.arange(n, dtype=target.dtype), tuple(shape))
    return xp.astype(t == classes, dtype)


def check_sparse_target(op, target_shape, output_shape, axis):
    """Keras' shape rules for sparse cross-entropy (every implementation uses them):
    ``target`` has ``output``'s shape without the class ``axis``, or that with a trailing
    1. Returns ``(squeeze_last, ax)``: whether to squeeze that trailing 1, and the class
    axis as a non-negative index; raises a ValueError naming ``op`` otherwise."""
    t, o = tuple(target_shape), tuple(output_shape)
    squeeze = len(t) == len(o) and len(t) > 0 and t[-1] == 1
    if squeeze:
        t = t[:-1]
    if len(o) < 1:
        raise ValueError(f"{op}: output must have rank >= 1; received output.shape={o}")
    ax = axis % len(o)
    expected = o[:ax] + o[ax + 1:]
    if t != expected:
        raise ValueError(f"{op}: target must have the shape of output without the class axis "
                         f"{axis}; expected target.shape={expected}, received "
                         f"target.shape={t} (output.shape={o})")
    return squeeze, ax


@fused
def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """Categorical cross-entropy with integer class ids ``target`` of shape
    ``output.shape`` without ``axis`` (a trailing 1 is squeezed)."""
    xp = namespace(output)
    op = "sparse_categorical_crossentropy"
    _check_output(op, output)
    if not hasattr(target, "dtype") or namespace(target) is not xp:
        target = xp.asarray(target)
    squeeze, ax = check_sparse_target(op, target.shape, output.shape, axis)
    if squeeze:
        target = xp.squeeze(target, axis=-1)
    if standardize_dtype(target.dtype) in FLOATS or standardize_dtype(target.dtype) == "bool":
        target = xp.astype(target, xp.int64 if standardize_dtype(output.dtype) == "float64"
                           else xp.int32)
    onehot = _one_hot_like(xp, target, output.shape[ax], ax, output.dtype)
    return -xp.sum(onehot * _log_probs(xp, output, from_logits, ax), axis=ax)


@fused
def mean_squared_error_mean(target, output):
    """The mean of ``(output - target) ** 2`` over every entry: Keras's
    ``MeanSquaredError()`` reduced over the batch ("sum_over_batch_size") without
    weights or masks, for ``target`` and ``output`` of one shape and float dtype. Fused
    on torch into one ``mse_loss`` (one autograd node instead of five)."""
    d = output - target
    return namespace(output).mean(d * d)


def label_smoothing(target, smoothing, num_classes=None, axis=-1, binary=False):
    """Keras' label smoothing of float targets: ``target * (1 - s) + s / num_classes``
    (``num_classes`` defaults to ``target.shape[axis]``), or ``target * (1 - s) + s / 2``
    with ``binary=True``. ``smoothing`` == 0 returns ``target`` unchanged."""
    if not smoothing:
        return target
    if not 0.0 <= float(smoothing) <= 1.0:
        raise ValueError(f"label_smoothing: smoothing must be in [0, 1]; received {smoothing!r}")
    if binary:
        return target * (1.0 - smoothing) + 0.5 * smoothing
    n = target.shape[axis] if num_classes is None else num_classes
    return target * (1.0 - smoothing) + smoothing / n


@fused
def sparse_categorical_crossentropy_mean(target, output, from_logits=False, axis=-1):
    """The mean over every entry of ``sparse_categorical_crossentropy(target, output,
    from_logits, axis)``: Keras's ``SparseCategoricalCrossentropy()`` reduced over the
    batch ("sum_over_batch_size") without weights, masks or ``ignore_class``, for integer
    ``target`` whose ids the caller has checked to lie in ``[0, classes)``
    (``training.losses.sparse_label_check``). Fused on torch for (batch, classes) logits
    into one ``cross_entropy`` (one autograd node instead of five); elsewhere the
    per-entry values and their sum over the count, as the unfused reduction."""
    values = sparse_categorical_crossentropy(target, output, from_logits=from_logits, axis=axis)
    n = 1
    for d in values.shape:
        n *= d
    return namespace(values).sum(values) / max(n, 1)
