"""Accuracy metrics (Keras 3 semantics), written once."""

from __future__ import annotations

from ...utils.serialization import register
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
    xp = namespace(y_pred)
    y_true = _same_framework(xp, y_true)
    if len(y_true.shape) == len(y_pred.shape) + 1 and y_true.shape[-1] == 1:
        y_true = xp.squeeze(y_true, axis=-1)
    elif len(y_pred.shape) == len(y_true.shape) + 1 and y_pred.shape[-1] == 1:
        y_pred = xp.squeeze(y_pred, axis=-1)
    pred = y_pred > threshold
    truth = xp.astype(y_true, y_pred.dtype) > 0.5
    return xp.mean(_float(xp, pred == truth), axis=-1)


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
    return _float(xp, y_true == pred)


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
