"""Accuracy metrics (Keras 3 semantics), written once."""

from __future__ import annotations

from ...utils.serialization import register
from ..losses import nan_where, sparse_label_check
from ...xp import namespace, standardize_dtype
from ...xp.dtypes import floatx
from .base import MeanMetricWrapper


def _float(xp, b):
    return xp.astype(b, getattr(xp, floatx()))


def _same_framework(xp, y):
    return y if hasattr(y, "dtype") and namespace(y) is xp else xp.asarray(y)


def accuracy(y_true, y_pred):
    xp = namespace(y_pred)
    y_true = _same_framework(xp, y_true)
    if len(y_true.shape) == len(y_pred.shape) + 1 and y_true.shape[-1] == 1:
        y_true = xp.squeeze(y_true, axis=-1)
    return _float(xp, y_true == xp.astype(y_pred, y_true.dtype))


def binary_accuracy(y_true, y_pred, threshold=0.5):
    """Element-wise ``(y_pred > threshold) == y_true`` as floats (Keras 3: no mean over
    the last axis; Mean averages)."""
    from ..losses import _squeeze_or_expand

    xp = namespace(y_pred)
    y_true = _same_framework(xp, y_true)
    y_true, y_pred = _squeeze_or_expand(xp, y_true, y_pred)
    pred = y_pred > threshold
    truth = xp.astype(y_true, y_pred.dtype) > 0.5
    return _float(xp, pred == truth)


def categorical_accuracy(y_true, y_pred):
    xp = namespace(y_pred)
    y_true = _same_framework(xp, y_true)
    return _float(xp, xp.argmax(y_true, axis=-1) == xp.argmax(y_pred, axis=-1))


def sparse_categorical_accuracy(y_true, y_pred):
    xp = namespace(y_pred)
    y_true = _same_framework(xp, y_true)
    if len(y_true.shape) == len(y_pred.shape) and y_true.shape[-1] == 1:
        y_true = xp.squeeze(y_true, axis=-1)
    pred = xp.argmax(y_pred, axis=-1)
    if standardize_dtype(y_true.dtype) != standardize_dtype(pred.dtype):
        y_true = xp.astype(y_true, pred.dtype)
    invalid = sparse_label_check("sparse_categorical_accuracy", xp, y_true, y_pred.shape[-1])
    return nan_where(xp, invalid, _float(xp, y_true == pred))


def _metric_class(class_name, fn, default_name, **defaults):
    def __init__(self, name=default_name, dtype=None, **kwargs):
        opts = dict(defaults)
        opts.update(kwargs)
        MeanMetricWrapper.__init__(self, fn, name=name, dtype=dtype, **opts)

    cls = type(class_name, (MeanMetricWrapper,), {
        "__init__": __init__, "__doc__": f"Keras' ``{class_name}`` metric."})
    cls.from_config = classmethod(lambda c, config: c(**config))
    return register(cls)


Accuracy = _metric_class("Accuracy", accuracy, "accuracy")
BinaryAccuracy = _metric_class("BinaryAccuracy", binary_accuracy, "binary_accuracy", threshold=0.5)
CategoricalAccuracy = _metric_class("CategoricalAccuracy", categorical_accuracy, "categorical_accuracy")
SparseCategoricalAccuracy = _metric_class("SparseCategoricalAccuracy", sparse_categorical_accuracy,
                                          "sparse_categorical_accuracy")


def _in_top_k(xp, targets, predictions, k):
    """Whether each target's score is among the ``k`` largest of its row: fewer than
    ``k`` scores are strictly greater (ties count as in, like ``tf.math.in_top_k``)."""
    targets = xp.astype(targets, xp.int32)
    n = predictions.shape[-1]
    classes = xp.arange(n, dtype=targets.dtype, **_dev(predictions))
    onehot = xp.expand_dims(targets, axis=-1) == classes
    zero = xp.zeros_like(predictions)
    target_score = xp.sum(xp.where(onehot, predictions, zero), axis=-1, keepdims=True)
    greater = xp.sum(xp.astype(predictions > target_score, xp.int32), axis=-1)
    valid = (targets >= 0) & (targets < n)
    return valid & (greater < k)


def _dev(x):
    dev = getattr(x, "device", None)
    return {} if dev is None or isinstance(dev, str) else {"device": dev}


def top_k_categorical_accuracy(y_true, y_pred, k=5):
    """1.0 where ``argmax(y_true)`` is among the top ``k`` predictions."""
    xp = namespace(y_pred)
    y_true = _same_framework(xp, y_true)
    return _float(xp, _in_top_k(xp, xp.argmax(y_true, axis=-1), y_pred, k))


def sparse_top_k_categorical_accuracy(y_true, y_pred, k=5, from_sorted_ids=False):
    """1.0 where the integer ``y_true`` is among the top ``k`` predictions (or, with
    ``from_sorted_ids``, among the first ``k`` ids of ``y_pred``)."""
    xp = namespace(y_pred)
    y_true = _same_framework(xp, y_true)
    if len(y_true.shape) == len(y_pred.shape) and y_true.shape[-1] == 1:
        y_true = xp.squeeze(y_true, axis=-1)
    if from_sorted_ids:
        ids = y_pred[..., :k]
        t = xp.astype(y_true, ids.dtype)
        return _float(xp, xp.any(ids == xp.expand_dims(t, axis=-1), axis=-1))
    invalid = sparse_label_check("sparse_top_k_categorical_accuracy", xp, y_true,
                                 y_pred.shape[-1])
    return nan_where(xp, invalid, _float(xp, _in_top_k(xp, y_true, y_pred, k)))


TopKCategoricalAccuracy = _metric_class("TopKCategoricalAccuracy", top_k_categorical_accuracy,
                                        "top_k_categorical_accuracy", k=5)
SparseTopKCategoricalAccuracy = _metric_class(
    "SparseTopKCategoricalAccuracy", sparse_top_k_categorical_accuracy,
    "sparse_top_k_categorical_accuracy", k=5, from_sorted_ids=False)
