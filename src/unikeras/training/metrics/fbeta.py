"""FBetaScore and F1Score (Keras 3 semantics), written once."""

from __future__ import annotations

from ...utils.serialization import register
from ...xp import namespace
from ...xp.dtypes import epsilon
from .base import Metric, _as


@register
class FBetaScore(Metric):
    """Keras' ``FBetaScore(average=None, beta=1.0, threshold=None)``: per-class
    ``(1 + b^2) P R / (b^2 P + R)`` from accumulated tp/fp/fn. With ``threshold=None``
    the row maxima count as positive (one-hot argmax); else ``y_pred > threshold``.
    ``average``: None (per class), "micro" (global counts), "macro" (plain mean) or
    "weighted" (by support)."""

    def __init__(self, average=None, beta=1.0, threshold=None, name="fbeta_score", dtype=None):
        super().__init__(name=name, dtype=dtype)
        if average not in (None, "micro", "macro", "weighted"):
            raise ValueError(f"{type(self).__name__}: average must be None, 'micro', 'macro' or "
                             f"'weighted'; received {average!r}")
        if not isinstance(beta, float) or beta <= 0.0:
            raise ValueError(f"{type(self).__name__}: beta must be a float > 0; received {beta!r}")
        if threshold is not None and (not isinstance(threshold, float) or not 0.0 < threshold <= 1.0):
            raise ValueError(f"{type(self).__name__}: threshold must be a float in (0, 1]; "
                             f"received {threshold!r}")
        self.average, self.beta, self.threshold = average, beta, threshold
        self.axis = None if average == "micro" else 0
        self._built = False

    def _build_for_shapes(self, y_true_shape, y_pred_shape):
        if self._built:
            return
        if len(y_pred_shape) != 2 or len(y_true_shape) != 2:
            raise ValueError(f"{type(self).__name__}: y_true and y_pred must be 2D "
                             "(num_samples, num_classes); received "
                             f"y_true.shape={tuple(y_true_shape)}, y_pred.shape={tuple(y_pred_shape)}")
        shape = () if self.average == "micro" else (int(y_pred_shape[-1]),)
        self.true_positives = self.add_variable(shape, name="true_positives")
        self.false_positives = self.add_variable(shape, name="false_positives")
        self.false_negatives = self.add_variable(shape, name="false_negatives")
        self.intermediate_weights = self.add_variable(shape, name="intermediate_weights")
        self._built = True

    def update_state(self, y_true, y_pred, sample_weight=None):
        xp = namespace(y_pred)
        y_pred = _as(xp, y_pred, self._dtype)
        y_true = _as(xp, y_true, self._dtype)
        self._build_for_shapes(tuple(y_true.shape), tuple(y_pred.shape))
        self._ensure_framework(y_pred)
        if self.threshold is None:
            top = xp.max(y_pred, axis=-1, keepdims=True)
            pos = (y_pred >= top) & (xp.abs(y_pred) > 1e-9)
        else:
            pos = y_pred > self.threshold
        p = xp.astype(pos, y_true.dtype)
        w = None if sample_weight is None else xp.expand_dims(_as(xp, sample_weight, self._dtype), axis=1)

        def wsum(v):
            if w is not None:
                v = v * w
            return xp.sum(v, axis=self.axis)

        self.true_positives.assign(self.true_positives.value + wsum(p * y_true))
        self.false_positives.assign(self.false_positives.value + wsum(p * (1 - y_true)))
        self.false_negatives.assign(self.false_negatives.value + wsum((1 - p) * y_true))
        self.intermediate_weights.assign(self.intermediate_weights.value + wsum(y_true))

    def result(self):
        if not self._built:
            raise ValueError(f"{type(self).__name__}.result() before any update_state()")
        tp, fp, fn = self.true_positives.value, self.false_positives.value, self.false_negatives.value
        xp = namespace(tp)
        eps = epsilon()
        precision = tp / (tp + fp + eps)
        recall = tp / (tp + fn + eps)
        b2 = self.beta ** 2
        f = precision * recall / (b2 * precision + recall + eps) * (1 + b2)
        if self.average == "weighted":
            iw = self.intermediate_weights.value
            f = xp.sum(f * (iw / (xp.sum(iw) + eps)))
        elif self.average is not None:
            f = xp.mean(f)
        return f

    def reset_state(self):
        if self._built:
            super().reset_state()

    def get_config(self):
        return {**super().get_config(), "average": self.average, "beta": self.beta,
                "threshold": self.threshold}


@register
class F1Score(FBetaScore):
    """Keras' ``F1Score(average=None, threshold=None)``: FBetaScore with beta = 1."""

    def __init__(self, average=None, threshold=None, name="f1_score", dtype=None):
        super().__init__(average=average, beta=1.0, threshold=threshold, name=name, dtype=dtype)

    def get_config(self):
        c = super().get_config()
        c.pop("beta")
        return c
