"""Intersection-over-union metrics (Keras 3: IoU, MeanIoU, BinaryIoU, OneHotIoU,
OneHotMeanIoU), written once: a weighted confusion matrix accumulated over batches
(one matmul of one-hot rows per update, traceable), then per class
``tp / (tp + fp + fn)`` averaged over the requested classes that occur."""

from __future__ import annotations

from ...utils.serialization import register
from ...xp import namespace
from ...xp.dtypes import epsilon
from .. import losses as L
from .base import Metric, _as


def _dev(x):
    dev = getattr(x, "device", None)
    return {} if dev is None or isinstance(dev, str) else {"device": dev}


@register
class IoU(Metric):
    """Keras' ``IoU(num_classes, target_class_ids, ignore_class=None, sparse_y_true=True,
    sparse_y_pred=True, axis=-1)``: the mean IoU of the classes ``target_class_ids``
    (those with a non-empty union), from a confusion matrix weighted by
    ``sample_weight``. Labels outside ``[0, num_classes)`` follow the loss/metric rule
    (a ValueError naming them where reading them is free, a NaN matrix when traced)."""

    def __init__(self, num_classes, target_class_ids, name=None, dtype=None,
                 ignore_class=None, sparse_y_true=True, sparse_y_pred=True, axis=-1):
        super().__init__(name=name, dtype=dtype)
        if int(num_classes) < 1:
            raise ValueError(f"{type(self).__name__}: num_classes must be >= 1; received "
                             f"{num_classes}")
        target_class_ids = list(target_class_ids)
        if max(target_class_ids) >= num_classes:
            raise ValueError(f"Target class id {max(target_class_ids)} is out of range, which "
                             f"is [0, {num_classes}).")
        self.num_classes, self.ignore_class = int(num_classes), ignore_class
        self.target_class_ids = target_class_ids
        self.sparse_y_true, self.sparse_y_pred, self.axis = sparse_y_true, sparse_y_pred, axis
        self.total_cm = self.add_variable((self.num_classes, self.num_classes),
                                          name="total_confusion_matrix")

    def update_state(self, y_true, y_pred, sample_weight=None):
        self._ensure_framework(y_pred)
        xp = namespace(y_pred)
        y_true = y_true if hasattr(y_true, "dtype") and namespace(y_true) is xp else xp.asarray(y_true)
        if not self.sparse_y_true:
            y_true = xp.argmax(y_true, axis=self.axis)
        if not self.sparse_y_pred:
            y_pred = xp.argmax(y_pred, axis=self.axis)
        it = xp.int32
        y_true = xp.reshape(xp.astype(y_true, it), (-1,))
        y_pred = xp.reshape(xp.astype(y_pred, it), (-1,))
        invalid = L.sparse_label_check(type(self).__name__, xp, y_true, self.num_classes,
                                       self.ignore_class)
        dt = getattr(xp, self._dtype)
        if sample_weight is None:
            w = xp.ones(y_true.shape, dtype=dt, **_dev(y_pred))
        else:
            w = _as(xp, sample_weight, self._dtype)
            w = xp.reshape(w, (-1,)) if len(w.shape) > 1 else xp.broadcast_to(w, y_true.shape)
        if self.ignore_class is not None:
            w = xp.where(y_true == self.ignore_class, xp.zeros_like(w), w)
        classes = xp.arange(self.num_classes, dtype=it, **_dev(y_pred))
        t1 = xp.astype(xp.expand_dims(y_true, 1) == classes, dt)
        p1 = xp.astype(xp.expand_dims(y_pred, 1) == classes, dt)
        cm = xp.matmul(xp.permute_dims(t1 * xp.expand_dims(w, 1), (1, 0)), p1)
        if invalid is not None:
            cm = xp.where(xp.any(invalid), xp.full_like(cm, float("nan")), cm)
        self.total_cm.assign(self.total_cm.value + cm)

    def result(self):
        cm = self.total_cm.value
        xp = namespace(cm)
        tp = xp.linalg.diagonal(cm) if hasattr(xp, "linalg") else xp.diagonal(cm)
        denom = xp.sum(cm, axis=0) + xp.sum(cm, axis=1) - tp
        if self.target_class_ids != list(range(self.num_classes)):
            ids = xp.asarray(self.target_class_ids, dtype=xp.int32, **_dev(cm))
            tp, denom = xp.take(tp, ids), xp.take(denom, ids)
        # Keras keeps the classes with denom > 1e-9; written as not(<=) so that a NaN
        # matrix (out-of-range labels under tracing) gives NaN, not 0
        valid = xp.logical_not(denom <= 1e-9)
        iou = xp.where(valid, tp / (denom + epsilon()), xp.zeros_like(tp))
        return xp.sum(iou) / (xp.sum(xp.astype(valid, cm.dtype)) + epsilon())

    def get_config(self):
        return {**super().get_config(), "num_classes": self.num_classes,
                "target_class_ids": self.target_class_ids, "ignore_class": self.ignore_class,
                "sparse_y_true": self.sparse_y_true, "sparse_y_pred": self.sparse_y_pred,
                "axis": self.axis}


@register
class MeanIoU(IoU):
    """Keras' ``MeanIoU(num_classes, ignore_class=None, sparse_y_true=True,
    sparse_y_pred=True, axis=-1)``: IoU over every class."""

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None,
                 sparse_y_true=True, sparse_y_pred=True, axis=-1):
        super().__init__(num_classes, list(range(int(num_classes))) if int(num_classes) >= 1
                         else [0], name=name, dtype=dtype,
                         ignore_class=ignore_class, sparse_y_true=sparse_y_true,
                         sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self):
        c = super().get_config()
        del c["target_class_ids"]
        return c


@register
class BinaryIoU(IoU):
    """Keras' ``BinaryIoU(target_class_ids=(0, 1), threshold=0.5)``: predictions
    ``>= threshold`` are class 1, the others class 0; IoU of the target classes."""

    def __init__(self, target_class_ids=(0, 1), threshold=0.5, name=None, dtype=None):
        super().__init__(2, target_class_ids, name=name, dtype=dtype)
        self.threshold = threshold

    def update_state(self, y_true, y_pred, sample_weight=None):
        xp = namespace(y_pred)
        y_pred = xp.astype(_as(xp, y_pred, "float32") >= self.threshold, xp.int32)
        return super().update_state(y_true, y_pred, sample_weight)

    def get_config(self):
        return {"target_class_ids": self.target_class_ids, "threshold": self.threshold,
                "name": self.name, "dtype": self._dtype}


@register
class OneHotIoU(IoU):
    """Keras' ``OneHotIoU(num_classes, target_class_ids, ignore_class=None,
    sparse_y_pred=False, axis=-1)``: IoU with one-hot labels (argmax over ``axis``)."""

    def __init__(self, num_classes, target_class_ids, name=None, dtype=None,
                 ignore_class=None, sparse_y_pred=False, axis=-1):
        super().__init__(num_classes, target_class_ids, name=name,
                         dtype=dtype, ignore_class=ignore_class, sparse_y_true=False,
                         sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self):
        c = super().get_config()
        del c["sparse_y_true"]
        return c


@register
class OneHotMeanIoU(MeanIoU):
    """Keras' ``OneHotMeanIoU(num_classes, ignore_class=None, sparse_y_pred=False,
    axis=-1)``: MeanIoU with one-hot labels."""

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None,
                 sparse_y_pred=False, axis=-1):
        super().__init__(num_classes, name=name, dtype=dtype,
                         ignore_class=ignore_class, sparse_y_true=False,
                         sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self):
        c = super().get_config()
        del c["sparse_y_true"]
        return c
