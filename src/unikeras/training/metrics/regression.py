"""Regression metrics and every loss as a metric (Keras 3 names and defaults), written
once: the mean of a per-sample loss function (``MeanMetricWrapper``), plus
RootMeanSquaredError, CosineSimilarity (positive similarity, Keras' metric sign),
R2Score, PearsonCorrelation and ConcordanceCorrelation."""

from __future__ import annotations

from ...utils.serialization import register
from ...xp import namespace
from ...xp.dtypes import epsilon
from .. import losses as L
from .base import Mean, Metric, _as


def cosine_similarity(y_true, y_pred, axis=-1):
    """``sum(l2_normalize(y_true) * l2_normalize(y_pred), axis)`` (the metric: +1 for
    the same direction)."""
    return -L.cosine_similarity(y_true, y_pred, axis=axis)


def _metric_class(class_name, fn, default_name, **defaults):
    from .accuracy import _metric_class as make

    return make(class_name, fn, default_name, **defaults)


MeanSquaredError = _metric_class("MeanSquaredError", L.mean_squared_error, "mean_squared_error")
MeanAbsoluteError = _metric_class("MeanAbsoluteError", L.mean_absolute_error, "mean_absolute_error")
MeanAbsolutePercentageError = _metric_class(
    "MeanAbsolutePercentageError", L.mean_absolute_percentage_error,
    "mean_absolute_percentage_error")
MeanSquaredLogarithmicError = _metric_class(
    "MeanSquaredLogarithmicError", L.mean_squared_logarithmic_error,
    "mean_squared_logarithmic_error")
CosineSimilarity = _metric_class("CosineSimilarity", cosine_similarity, "cosine_similarity", axis=-1)
LogCoshError = _metric_class("LogCoshError", L.log_cosh, "logcosh")
Hinge = _metric_class("Hinge", L.hinge, "hinge")
SquaredHinge = _metric_class("SquaredHinge", L.squared_hinge, "squared_hinge")
CategoricalHinge = _metric_class("CategoricalHinge", L.categorical_hinge, "categorical_hinge")
KLDivergence = _metric_class("KLDivergence", L.kl_divergence, "kl_divergence")
Poisson = _metric_class("Poisson", L.poisson, "poisson")
BinaryCrossentropy = _metric_class("BinaryCrossentropy", L.binary_crossentropy,
                                   "binary_crossentropy", from_logits=False, label_smoothing=0.0)
CategoricalCrossentropy = _metric_class(
    "CategoricalCrossentropy", L.categorical_crossentropy, "categorical_crossentropy",
    from_logits=False, label_smoothing=0.0, axis=-1)
SparseCategoricalCrossentropy = _metric_class(
    "SparseCategoricalCrossentropy", L.sparse_categorical_crossentropy,
    "sparse_categorical_crossentropy", from_logits=False, axis=-1)


@register
class RootMeanSquaredError(Mean):
    """Keras' ``RootMeanSquaredError``: ``sqrt`` of the (weighted) mean of the
    element-wise squared errors."""

    def __init__(self, name="root_mean_squared_error", dtype=None):
        super().__init__(name=name, dtype=dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        self._ensure_framework(y_pred)
        xp = namespace(y_pred)
        y_pred = _as(xp, y_pred, self._dtype)
        y_true = _as(xp, y_true, self._dtype)
        y_true, y_pred = L._squeeze_or_expand(xp, y_true, y_pred)
        d = y_pred - y_true
        return super().update_state(d * d, sample_weight=sample_weight)

    def result(self):
        xp = namespace(self.total.value)
        return xp.sqrt(super().result())


@register
class R2Score(Metric):
    """Keras' ``R2Score(class_aggregation="uniform_average", num_regressors=0)``:
    ``1 - SS_res / SS_tot`` per output column, then aggregated ("uniform_average",
    "variance_weighted_average" or None); ``num_regressors`` gives the adjusted R2."""

    def __init__(self, class_aggregation="uniform_average", num_regressors=0,
                 name="r2_score", dtype=None):
        super().__init__(name=name, dtype=dtype)
        if class_aggregation not in ("uniform_average", "variance_weighted_average", None):
            raise ValueError("R2Score: class_aggregation must be 'uniform_average', "
                             "'variance_weighted_average' or None; received "
                             f"{class_aggregation!r}")
        if num_regressors < 0:
            raise ValueError(f"R2Score: num_regressors must be >= 0; received {num_regressors}")
        self.class_aggregation, self.num_regressors = class_aggregation, int(num_regressors)
        self.num_samples = self.add_variable((), dtype="int32", name="num_samples")
        self._built = False

    def _build_for_shapes(self, y_true_shape, y_pred_shape):
        if self._built:
            return
        if len(y_pred_shape) > 2 or len(y_true_shape) > 2:
            raise ValueError("R2Score: y_true and y_pred must have rank 1 or 2; received "
                             f"y_true.shape={tuple(y_true_shape)}, y_pred.shape={tuple(y_pred_shape)}")
        n = int(y_pred_shape[-1]) if len(y_pred_shape) == 2 else 1
        self.squared_sum = self.add_variable((n,), name="squared_sum")
        self.sum = self.add_variable((n,), name="sum")
        self.total_mse = self.add_variable((n,), name="residual")
        self.count = self.add_variable((n,), name="count")
        self._built = True

    def update_state(self, y_true, y_pred, sample_weight=None):
        xp = namespace(y_pred)
        y_pred = _as(xp, y_pred, self._dtype)
        y_true = _as(xp, y_true, self._dtype)
        self._build_for_shapes(tuple(y_true.shape), tuple(y_pred.shape))
        self._ensure_framework(y_pred)
        if len(y_true.shape) == 1:
            y_true = xp.expand_dims(y_true, axis=1)
        if len(y_pred.shape) == 1:
            y_pred = xp.expand_dims(y_pred, axis=1)
        if tuple(y_true.shape) != tuple(y_pred.shape):
            raise ValueError("R2Score: y_true and y_pred must have the same shape; received "
                             f"y_true.shape={tuple(y_true.shape)}, y_pred.shape={tuple(y_pred.shape)}")
        if sample_weight is None:
            w = xp.ones_like(y_true)
        else:
            w = _as(xp, sample_weight, self._dtype)
            if len(w.shape) == 1:
                w = xp.expand_dims(w, axis=1)
            w = xp.broadcast_to(w, y_true.shape)
        wy = y_true * w
        d = y_true - y_pred
        self.sum.assign(self.sum.value + xp.sum(wy, axis=0))
        self.squared_sum.assign(self.squared_sum.value + xp.sum(y_true * wy, axis=0))
        self.total_mse.assign(self.total_mse.value + xp.sum(d * d * w, axis=0))
        self.count.assign(self.count.value + xp.sum(w, axis=0))
        size = 1
        for d in y_true.shape:
            size *= d
        self.num_samples.assign(self.num_samples.value + size)  # Keras: ops.size(y_true)

    def result(self):
        if not self._built:
            raise ValueError("R2Score.result() before any update_state(): no outputs are known")
        xp = namespace(self.sum.value)
        mean = self.sum.value / self.count.value
        total = self.squared_sum.value - self.sum.value * mean
        raw = 1 - self.total_mse.value / total
        raw = xp.where(xp.isinf(raw), xp.zeros_like(raw), raw)
        if self.class_aggregation == "uniform_average":
            r2 = xp.mean(raw)
        elif self.class_aggregation == "variance_weighted_average":
            r2 = xp.sum(total * raw) / xp.sum(total)
        else:
            r2 = raw
        if self.num_regressors:
            n = xp.astype(self.num_samples.value, r2.dtype)
            p = float(self.num_regressors)
            # Keras falls back to the plain score when num_regressors >= num_samples - 1
            ok = (n - p - 1) > 0
            den = xp.where(ok, n - p - 1, xp.ones_like(n))
            r2 = xp.where(ok, 1 - (1 - r2) * (n - 1) / den, r2)
        return r2

    def reset_state(self):
        if self._built:
            super().reset_state()
        else:
            self.num_samples.assign(self.num_samples.numpy() * 0)

    def get_config(self):
        return {**super().get_config(), "class_aggregation": self.class_aggregation,
                "num_regressors": self.num_regressors}



def pearson_correlation(y_true, y_pred, axis=-1):
    """Keras' ``pearson_correlation``: the mean over ``axis`` of the product of the
    standardized ``y_true`` and ``y_pred`` (population standard deviations)."""
    xp, y_true, y_pred = L._prep(y_true, y_pred)
    y_true, y_pred = L._squeeze_or_expand(xp, y_true, y_pred)
    t = y_true - xp.mean(y_true, axis=axis, keepdims=True)
    p = y_pred - xp.mean(y_pred, axis=axis, keepdims=True)
    t = t / xp.std(t, axis=axis, keepdims=True)
    p = p / xp.std(p, axis=axis, keepdims=True)
    return xp.mean(t * p, axis=axis)


def concordance_correlation(y_true, y_pred, axis=-1):
    """Keras' ``concordance_correlation`` (Lin's CCC as Keras 3.15 computes it, the
    covariance term centred on ``y_pred``'s mean for both factors):
    ``mean(2 (y_true - mean_p)(y_pred - mean_p) / (var_t + var_p + (mean_t - mean_p)^2
    + eps))`` over ``axis``."""
    xp, y_true, y_pred = L._prep(y_true, y_pred)
    y_true, y_pred = L._squeeze_or_expand(xp, y_true, y_pred)
    mt = xp.mean(y_true, axis=axis, keepdims=True)
    mp = xp.mean(y_pred, axis=axis, keepdims=True)
    vt = xp.var(y_true - mt, axis=axis, keepdims=True)
    vp = xp.var(y_pred - mp, axis=axis, keepdims=True)
    covar = (y_true - mp) * (y_pred - mp)
    norm = vt + vp + (mt - mp) ** 2
    return xp.mean(2 * covar / (norm + epsilon()), axis=axis)


PearsonCorrelation = _metric_class("PearsonCorrelation", pearson_correlation,
                                   "pearson_correlation", axis=-1)
ConcordanceCorrelation = _metric_class("ConcordanceCorrelation", concordance_correlation,
                                       "concordance_correlation", axis=-1)
