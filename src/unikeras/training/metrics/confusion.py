"""Confusion-matrix metrics (Keras 3 semantics), written once: TruePositives,
FalsePositives, TrueNegatives, FalseNegatives, Precision, Recall, AUC and the "X at Y"
metrics (SensitivityAtSpecificity, SpecificityAtSensitivity, PrecisionAtRecall,
RecallAtPrecision).

Updates are traceable: every threshold is compared at once (``pred > threshold``
broadcast to ``(thresholds, values)``) and the counts are summed, with no Python
branching on array values and no host syncs, so the JAX train step can jit them.
"""

from __future__ import annotations

import numpy as np

from ... import nn_ops
from ...utils.serialization import register
from ...xp import namespace, standardize_dtype
from ...xp.dtypes import epsilon
from .base import Metric, _as

NEG_INF = -1e10


def divide_no_nan(xp, a, b):
    safe = xp.where(b != 0, b, xp.ones_like(b))
    return xp.where(b != 0, a / safe, xp.zeros_like(a))


def _device_kw(x):
    dev = getattr(x, "device", None)
    return {} if dev is None or isinstance(dev, str) else {"device": dev}


def top_k_mask(xp, x, k):
    """A bool mask of the ``k`` largest entries along the last axis (ties: first)."""
    order = xp.argsort(x, axis=-1, descending=True, stable=True)
    ranks = xp.argsort(order, axis=-1, stable=True)
    return ranks < k


def _squeeze_or_expand(xp, a, b):
    ra, rb = len(a.shape), len(b.shape)
    if ra == rb + 1 and a.shape[-1] == 1:
        a = xp.squeeze(a, axis=-1)
    elif rb == ra + 1 and b.shape[-1] == 1:
        b = xp.squeeze(b, axis=-1)
    return a, b


def confusion_counts(y_true, y_pred, thresholds, *, which, top_k=None, class_id=None,
                     sample_weight=None, multi_label=False, label_weights=None, dtype="float32"):
    """Weighted counts of (tp, fp, tn, fn) (those named in ``which``) at each threshold,
    as Keras' ``update_confusion_matrix_variables`` computes them: a value is positive
    when ``pred > threshold``. Returns a dict of arrays shaped ``(num_thresholds,)``
    (``(num_thresholds, num_labels)`` with ``multi_label``)."""
    xp = namespace(y_pred)
    y_pred = _as(xp, y_pred, dtype)
    y_true = _as(xp, y_true, dtype)
    y_pred, y_true = _squeeze_or_expand(xp, y_pred, y_true)
    if tuple(y_true.shape) != tuple(y_pred.shape):
        raise ValueError("confusion metrics: y_true and y_pred must have the same shape; "
                         f"received y_true.shape={tuple(y_true.shape)}, "
                         f"y_pred.shape={tuple(y_pred.shape)}")
    w = None
    if sample_weight is not None:
        w = _as(xp, sample_weight, dtype)
        while len(w.shape) > len(y_pred.shape) and w.shape[-1] == 1:
            w = xp.squeeze(w, axis=-1)
        while len(w.shape) < len(y_pred.shape):
            w = xp.expand_dims(w, axis=-1)
        w = xp.broadcast_to(w, y_pred.shape)
    if top_k is not None:
        y_pred = xp.where(top_k_mask(xp, y_pred, top_k), y_pred, xp.full_like(y_pred, NEG_INF))
    if class_id is not None:
        if len(y_pred.shape) < 2:
            raise ValueError("confusion metrics: class_id needs y_pred of shape (num_samples, "
                             f"num_classes); received {tuple(y_pred.shape)}")
        y_true, y_pred = y_true[..., class_id], y_pred[..., class_id]
        if w is not None:
            w = w[..., class_id]
    if label_weights is not None and not multi_label:
        lw = xp.broadcast_to(_as(xp, label_weights, dtype), y_pred.shape)
        w = lw if w is None else w * lw
    thr = xp.asarray(np.asarray(thresholds, dtype=dtype), **_device_kw(y_pred))
    if multi_label:
        if len(y_pred.shape) != 2:
            raise ValueError("AUC(multi_label=True): y_pred must have rank 2; received shape "
                             f"{tuple(y_pred.shape)}")
        preds, labels = y_pred[None, ...], y_true[None, ...] > 0.5
        thr = xp.reshape(thr, (-1, 1, 1))
        axis = 1
    else:
        preds = xp.reshape(y_pred, (1, -1))
        labels = xp.reshape(y_true, (1, -1)) > 0.5
        thr = xp.reshape(thr, (-1, 1))
        axis = 1
        if w is not None:
            w = xp.reshape(w, (1, -1))
    pred_pos = preds > thr
    if w is not None and multi_label:
        w = w[None, ...]
    out = {}
    zero = xp.zeros((), dtype=getattr(xp, dtype), **_device_kw(y_pred))
    for name in which:
        lab = labels if name in ("tp", "fn") else ~labels
        prd = pred_pos if name in ("tp", "fp") else ~pred_pos
        hit = lab & prd
        if w is None:
            out[name] = xp.sum(xp.astype(hit, getattr(xp, dtype)), axis=axis)
        else:
            out[name] = xp.sum(xp.where(hit, w, zero), axis=axis)
    return out


def _parse_thresholds(thresholds, default):
    if thresholds is None:
        return [default]
    if isinstance(thresholds, (int, float)):
        thresholds = [thresholds]
    thresholds = [float(t) for t in thresholds]
    for t in thresholds:
        if not 0.0 <= t <= 1.0:
            raise ValueError(f"Threshold values must be in [0, 1]; received {thresholds}")
    return thresholds


class _ConfusionBase(Metric):
    _which = ("tp",)

    def __init__(self, thresholds=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = thresholds
        self.thresholds = _parse_thresholds(thresholds, 0.5)
        self.accumulator = self.add_variable((len(self.thresholds),), name="accumulator")

    def update_state(self, y_true, y_pred, sample_weight=None):
        self._ensure_framework(y_pred)
        c = confusion_counts(y_true, y_pred, self.thresholds, which=self._which,
                             sample_weight=sample_weight, dtype=self._dtype)
        self.accumulator.assign(self.accumulator.value + c[self._which[0]])

    def result(self):
        v = self.accumulator.value * 1  # a copy, not the live variable
        return v[0] if len(self.thresholds) == 1 else v

    def get_config(self):
        return {**super().get_config(), "thresholds": self.init_thresholds}


@register
class TruePositives(_ConfusionBase):
    """Keras' ``TruePositives(thresholds=None)``."""
    _which = ("tp",)


@register
class FalsePositives(_ConfusionBase):
    """Keras' ``FalsePositives(thresholds=None)``."""
    _which = ("fp",)


@register
class TrueNegatives(_ConfusionBase):
    """Keras' ``TrueNegatives(thresholds=None)``."""
    _which = ("tn",)


@register
class FalseNegatives(_ConfusionBase):
    """Keras' ``FalseNegatives(thresholds=None)``."""
    _which = ("fn",)


class _PrecisionRecall(Metric):
    _other = "fp"

    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds, self.top_k, self.class_id = thresholds, top_k, class_id
        self.thresholds = _parse_thresholds(thresholds, 0.5 if top_k is None else NEG_INF)
        n = len(self.thresholds)
        self.true_positives = self.add_variable((n,), name="true_positives")
        other = "false_positives" if self._other == "fp" else "false_negatives"
        setattr(self, other, self.add_variable((n,), name=other))
        self._other_var = getattr(self, other)

    def update_state(self, y_true, y_pred, sample_weight=None):
        self._ensure_framework(y_pred)
        c = confusion_counts(y_true, y_pred, self.thresholds, which=("tp", self._other),
                             top_k=self.top_k, class_id=self.class_id,
                             sample_weight=sample_weight, dtype=self._dtype)
        self.true_positives.assign(self.true_positives.value + c["tp"])
        self._other_var.assign(self._other_var.value + c[self._other])

    def result(self):
        tp = self.true_positives.value
        xp = namespace(tp)
        r = divide_no_nan(xp, tp, tp + self._other_var.value)
        return r[0] if len(self.thresholds) == 1 else r

    def get_config(self):
        return {**super().get_config(), "thresholds": self.init_thresholds,
                "top_k": self.top_k, "class_id": self.class_id}


@register
class Precision(_PrecisionRecall):
    """Keras' ``Precision(thresholds=None, top_k=None, class_id=None)``:
    ``tp / (tp + fp)`` at each threshold (0.5 by default)."""
    _other = "fp"


@register
class Recall(_PrecisionRecall):
    """Keras' ``Recall(thresholds=None, top_k=None, class_id=None)``:
    ``tp / (tp + fn)`` at each threshold (0.5 by default)."""
    _other = "fn"


@register
class AUC(Metric):
    """Keras' ``AUC(num_thresholds=200, curve="ROC", summation_method="interpolation",
    thresholds=None, multi_label=False, num_labels=None, label_weights=None,
    from_logits=False)``: confusion counts at fixed thresholds, then a Riemann sum of the
    ROC or PR curve (PR with interpolation: Davis & Goadrich 2006, as Keras)."""

    def __init__(self, num_thresholds=200, curve="ROC", summation_method="interpolation",
                 name=None, dtype=None, thresholds=None, multi_label=False, num_labels=None,
                 label_weights=None, from_logits=False):
        super().__init__(name=name, dtype=dtype)
        curve = str(curve).upper()
        if curve not in ("ROC", "PR"):
            raise ValueError(f"AUC: curve must be 'ROC' or 'PR'; received {curve!r}")
        summation_method = str(summation_method).lower()
        if summation_method not in ("interpolation", "minoring", "majoring"):
            raise ValueError("AUC: summation_method must be 'interpolation', 'minoring' or "
                             f"'majoring'; received {summation_method!r}")
        self._init_thresholds = thresholds
        if thresholds is not None:
            inner = sorted(float(t) for t in thresholds)
            self.num_thresholds = len(inner) + 2
        else:
            if num_thresholds <= 1:
                raise ValueError("AUC: num_thresholds must be an integer > 1; received "
                                 f"{num_thresholds}")
            self.num_thresholds = int(num_thresholds)
            inner = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
        eps = epsilon()
        self._thresholds = [0.0 - eps] + inner + [1.0 + eps]
        self.curve, self.summation_method = curve, summation_method
        self.multi_label, self.num_labels = bool(multi_label), num_labels
        self.label_weights = None if label_weights is None else np.asarray(label_weights, "float32")
        self._from_logits = from_logits
        self._built = False
        if self.multi_label:
            if num_labels:
                self._build((None, num_labels))
        else:
            if num_labels:
                raise ValueError("AUC: num_labels is needed only when multi_label=True")
            self._build(None)

    @property
    def thresholds(self):
        return list(self._thresholds)

    def _build(self, shape):
        if self.multi_label:
            if len(shape) != 2:
                raise ValueError("AUC(multi_label=True): y_pred must have rank 2; received "
                                 f"shape {tuple(shape)}")
            vshape = (self.num_thresholds, int(shape[1]))
        else:
            vshape = (self.num_thresholds,)
        self.true_positives = self.add_variable(vshape, name="true_positives")
        self.false_positives = self.add_variable(vshape, name="false_positives")
        self.true_negatives = self.add_variable(vshape, name="true_negatives")
        self.false_negatives = self.add_variable(vshape, name="false_negatives")
        self._built = True

    def _build_for_shapes(self, y_true_shape, y_pred_shape):
        if not self._built:
            self._build(tuple(y_pred_shape))

    def update_state(self, y_true, y_pred, sample_weight=None):
        if not self._built:
            self._build(tuple(y_pred.shape))
        self._ensure_framework(y_pred)
        if self._from_logits:
            y_pred = nn_ops.sigmoid(y_pred)
        c = confusion_counts(y_true, y_pred, self._thresholds, which=("tp", "fp", "tn", "fn"),
                             sample_weight=sample_weight, multi_label=self.multi_label,
                             label_weights=None if self.multi_label else self.label_weights,
                             dtype=self._dtype)
        for name, var in (("tp", self.true_positives), ("fp", self.false_positives),
                          ("tn", self.true_negatives), ("fn", self.false_negatives)):
            var.assign(var.value + c[name])

    def _aggregate(self, xp, terms):
        if not self.multi_label:
            return xp.sum(terms)
        by_label = xp.sum(terms, axis=0)
        if self.label_weights is None:
            return xp.mean(by_label)
        lw = _as(xp, self.label_weights, standardize_dtype(by_label.dtype))
        return divide_no_nan(xp, xp.sum(by_label * lw), xp.sum(lw))

    def _interpolate_pr_auc(self, xp):
        n = self.num_thresholds
        tp, fp, fn = self.true_positives.value, self.false_positives.value, self.false_negatives.value
        dtp = tp[: n - 1] - tp[1:]
        p = tp + fp
        dp = p[: n - 1] - p[1:]
        zero = xp.zeros_like(dp)
        prec_slope = divide_no_nan(xp, dtp, xp.maximum(dp, zero))
        intercept = tp[1:] - prec_slope * p[1:]
        safe_p_ratio = xp.where((p[: n - 1] > 0) & (p[1:] > 0),
                                divide_no_nan(xp, p[: n - 1], xp.maximum(p[1:], zero)),
                                xp.ones_like(p[1:]))
        inc = divide_no_nan(xp, prec_slope * (dtp + intercept * xp.log(safe_p_ratio)),
                            xp.maximum(tp[1:] + fn[1:], zero))
        return self._aggregate(xp, inc)

    def result(self):
        xp = namespace(self.true_positives.value)
        n = self.num_thresholds
        if self.curve == "PR" and self.summation_method == "interpolation":
            return self._interpolate_pr_auc(xp)
        tp, fp = self.true_positives.value, self.false_positives.value
        tn, fn = self.true_negatives.value, self.false_negatives.value
        recall = divide_no_nan(xp, tp, tp + fn)
        if self.curve == "ROC":
            x, y = divide_no_nan(xp, fp, fp + tn), recall
        else:
            x, y = recall, divide_no_nan(xp, tp, tp + fp)
        if self.summation_method == "interpolation":
            heights = (y[: n - 1] + y[1:]) / 2.0
        elif self.summation_method == "minoring":
            heights = xp.minimum(y[: n - 1], y[1:])
        else:
            heights = xp.maximum(y[: n - 1], y[1:])
        return self._aggregate(xp, (x[: n - 1] - x[1:]) * heights)

    def reset_state(self):
        if self._built:
            super().reset_state()

    def get_config(self):
        cfg = {**super().get_config(), "num_thresholds": self.num_thresholds,
               "curve": self.curve, "summation_method": self.summation_method,
               "multi_label": self.multi_label, "num_labels": self.num_labels,
               "label_weights": None if self.label_weights is None else self.label_weights.tolist(),
               "from_logits": self._from_logits}
        if self._init_thresholds is not None:
            cfg["thresholds"] = self.thresholds[1:-1]
        return cfg


class _SensitivitySpecificityBase(Metric):
    """Keras' base of the "X at Y" metrics: tp/fp/tn/fn at ``num_thresholds`` evenly
    spaced thresholds in [0, 1] (predictions clipped to [0, 1], positive when
    ``> threshold``); ``result`` is the largest ``dependent`` among the thresholds whose
    ``constrained`` rate reaches ``value`` (0 when none does)."""

    _value_name = "value"

    def __init__(self, value, num_thresholds=200, class_id=None, name=None, dtype=None):
        if value < 0 or value > 1:
            raise ValueError(f"Argument `{self._value_name}` must be in the range [0, 1]. "
                             f"Received: {self._value_name}={value}")
        if num_thresholds <= 0:
            raise ValueError("Argument `num_thresholds` must be an integer > 0. Received: "
                             f"num_thresholds={num_thresholds}")
        super().__init__(name=name, dtype=dtype)
        self.value, self.num_thresholds, self.class_id = value, num_thresholds, class_id
        setattr(self, self._value_name, value)  # .specificity, .recall, ... as Keras
        if num_thresholds == 1:
            self.thresholds = [0.5]
        else:
            self.thresholds = ([0.0] + [(i + 1) * 1.0 / (num_thresholds - 1)
                                        for i in range(num_thresholds - 2)] + [1.0])
        n = len(self.thresholds)
        self.true_positives = self.add_variable((n,), name="true_positives")
        self.false_positives = self.add_variable((n,), name="false_positives")
        self.true_negatives = self.add_variable((n,), name="true_negatives")
        self.false_negatives = self.add_variable((n,), name="false_negatives")

    def update_state(self, y_true, y_pred, sample_weight=None):
        self._ensure_framework(y_pred)
        xp = namespace(y_pred)
        y_pred = xp.clip(_as(xp, y_pred, self._dtype), 0.0, 1.0)
        c = confusion_counts(y_true, y_pred, self.thresholds, which=("tp", "fp", "tn", "fn"),
                             class_id=self.class_id, sample_weight=sample_weight,
                             dtype=self._dtype)
        for name, var in (("tp", self.true_positives), ("fp", self.false_positives),
                          ("tn", self.true_negatives), ("fn", self.false_negatives)):
            var.assign(var.value + c[name])

    def _rates(self):
        tp, fp = self.true_positives.value, self.false_positives.value
        tn, fn = self.true_negatives.value, self.false_negatives.value
        xp = namespace(tp)
        return xp, {"sensitivity": divide_no_nan(xp, tp, tp + fn),
                    "specificity": divide_no_nan(xp, tn, tn + fp),
                    "precision": divide_no_nan(xp, tp, tp + fp)}

    def result(self):
        xp, rates = self._rates()
        constrained, dependent = rates[self._constrained], rates[self._dependent]
        best = xp.where(constrained >= self.value, dependent, xp.zeros_like(dependent))
        return xp.maximum(xp.max(best), xp.zeros((), dtype=best.dtype))

    def get_config(self):
        return {**super().get_config(), "class_id": self.class_id,
                "num_thresholds": self.num_thresholds, self._value_name: self.value}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


@register
class SensitivityAtSpecificity(_SensitivitySpecificityBase):
    """Keras' ``SensitivityAtSpecificity(specificity, num_thresholds=200, class_id=None)``:
    the best sensitivity over the thresholds whose specificity is >= ``specificity``."""

    _value_name, _constrained, _dependent = "specificity", "specificity", "sensitivity"

    def __init__(self, specificity, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(specificity, num_thresholds, class_id, name, dtype)


@register
class SpecificityAtSensitivity(_SensitivitySpecificityBase):
    """Keras' ``SpecificityAtSensitivity(sensitivity, num_thresholds=200, class_id=None)``:
    the best specificity over the thresholds whose sensitivity is >= ``sensitivity``."""

    _value_name, _constrained, _dependent = "sensitivity", "sensitivity", "specificity"

    def __init__(self, sensitivity, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(sensitivity, num_thresholds, class_id, name, dtype)


@register
class PrecisionAtRecall(_SensitivitySpecificityBase):
    """Keras' ``PrecisionAtRecall(recall, num_thresholds=200, class_id=None)``: the best
    precision over the thresholds whose recall is >= ``recall``."""

    _value_name, _constrained, _dependent = "recall", "sensitivity", "precision"

    def __init__(self, recall, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(recall, num_thresholds, class_id, name, dtype)


@register
class RecallAtPrecision(_SensitivitySpecificityBase):
    """Keras' ``RecallAtPrecision(precision, num_thresholds=200, class_id=None)``: the best
    recall over the thresholds whose precision is >= ``precision``."""

    _value_name, _constrained, _dependent = "precision", "precision", "sensitivity"

    def __init__(self, precision, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(precision, num_thresholds, class_id, name, dtype)
