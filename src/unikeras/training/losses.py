"""Keras 3 losses, written once on the array namespace (``unikeras.losses``).

Each loss exists as a function ``fn(y_true, y_pred, ...)`` returning per-sample values
(the last axis reduced) and as a ``Loss`` class applying a reduction with optional
``sample_weight``. Reductions follow Keras 3: "sum_over_batch_size" (default) divides
the weighted sum by the number of per-sample loss values.
"""

from __future__ import annotations

from .. import nn_ops
from ..utils.serialization import deserialize_simple, register
from ..xp import namespace, standardize_dtype
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
    t, p = len(y_true.shape), len(y_pred.shape)
    if t == p + 1 and y_true.shape[-1] == 1:
        y_true = xp.squeeze(y_true, axis=-1)
    elif p == t + 1 and y_pred.shape[-1] == 1:
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


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, ignore_class=None, axis=-1):
    xp = namespace(y_pred)
    if not hasattr(y_true, "dtype") or namespace(y_true) is not xp:
        y_true = xp.asarray(y_true)
    if len(y_true.shape) == len(y_pred.shape) and y_true.shape[-1] == 1:
        y_true = xp.squeeze(y_true, axis=-1)
    if len(y_true.shape) != len(y_pred.shape) - 1:
        raise ValueError(
            "sparse_categorical_crossentropy: y_true must hold integer class ids with one "
            f"dimension less than y_pred; received y_true.shape={tuple(y_true.shape)}, "
            f"y_pred.shape={tuple(y_pred.shape)}")
    if standardize_dtype(y_true.dtype) in FLOATS:
        y_true = xp.astype(y_true, xp.int64 if hasattr(xp, "int64") else xp.int32)
    if ignore_class is not None:
        valid = y_true != ignore_class
        safe = xp.where(valid, y_true, xp.zeros_like(y_true))
        res = nn_ops.sparse_categorical_crossentropy(safe, y_pred, from_logits=from_logits, axis=axis)
        return xp.where(valid, res, xp.zeros_like(res))
    return nn_ops.sparse_categorical_crossentropy(y_true, y_pred, from_logits=from_logits, axis=axis)


def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    xp, y_true, y_pred = _prep(y_true, y_pred)
    _check_same_shape("binary_crossentropy", y_true, y_pred)
    y_true, y_pred = _squeeze_or_expand(xp, y_true, y_pred)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    return xp.mean(nn_ops.binary_crossentropy(y_true, y_pred, from_logits=from_logits), axis=axis)


# ---------------------------------------------------------------- reductions
def reduce_weighted_values(values, sample_weight=None, reduction="sum_over_batch_size"):
    """Apply ``sample_weight`` (broadcast over trailing dims) and a Keras reduction."""
    xp = namespace(values)
    if sample_weight is not None:
        if namespace(sample_weight) is not xp or not hasattr(sample_weight, "dtype"):
            sample_weight = xp.asarray(sample_weight)
        sample_weight = xp.astype(sample_weight, values.dtype)
        while len(sample_weight.shape) > len(values.shape) and sample_weight.shape[-1] == 1:
            sample_weight = xp.squeeze(sample_weight, axis=-1)
        while len(sample_weight.shape) < len(values.shape):
            sample_weight = xp.expand_dims(sample_weight, axis=-1)
        values = values * sample_weight
    if reduction in (None, "none"):
        return values
    total = xp.sum(values)
    if reduction == "sum":
        return total
    if reduction == "mean_with_sample_weight" and sample_weight is not None:
        return total / xp.sum(xp.broadcast_to(sample_weight, values.shape))
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

    def __call__(self, y_true, y_pred, sample_weight=None):
        values = self.call(y_true, y_pred)
        if self.dtype is not None:
            xp = namespace(values)
            values = xp.astype(values, getattr(xp, standardize_dtype(self.dtype)))
        return reduce_weighted_values(values, sample_weight, self.reduction)

    def call(self, y_true, y_pred):
        raise NotImplementedError

    def get_config(self):
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _snake(name):
    out = []
    for i, c in enumerate(name):
        if c.isupper() and i and not name[i - 1].isupper():
            out.append("_")
        out.append(c.lower())
    return "".join(out)


class LossFunctionWrapper(Loss):
    """A Loss class around a per-sample loss function and fixed keyword arguments."""

    def __init__(self, fn, reduction="sum_over_batch_size", name=None, dtype=None, **kwargs):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.fn = fn
        self._fn_kwargs = kwargs

    def call(self, y_true, y_pred):
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
MeanAbsoluteError = _wrapper_class("MeanAbsoluteError", mean_absolute_error, "mean_absolute_error")
CategoricalCrossentropy = _wrapper_class(
    "CategoricalCrossentropy", categorical_crossentropy, "categorical_crossentropy",
    from_logits=False, label_smoothing=0.0, axis=-1)
SparseCategoricalCrossentropy = _wrapper_class(
    "SparseCategoricalCrossentropy", sparse_categorical_crossentropy,
    "sparse_categorical_crossentropy", from_logits=False, ignore_class=None, axis=-1)
BinaryCrossentropy = _wrapper_class(
    "BinaryCrossentropy", binary_crossentropy, "binary_crossentropy",
    from_logits=False, label_smoothing=0.0, axis=-1)

mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error

ALL_FUNCTIONS = {
    "mean_squared_error": mean_squared_error, "mse": mean_squared_error,
    "mean_absolute_error": mean_absolute_error, "mae": mean_absolute_error,
    "categorical_crossentropy": categorical_crossentropy,
    "sparse_categorical_crossentropy": sparse_categorical_crossentropy,
    "binary_crossentropy": binary_crossentropy,
}
ALL_CLASSES = {
    "MeanSquaredError": MeanSquaredError, "MeanAbsoluteError": MeanAbsoluteError,
    "CategoricalCrossentropy": CategoricalCrossentropy,
    "SparseCategoricalCrossentropy": SparseCategoricalCrossentropy,
    "BinaryCrossentropy": BinaryCrossentropy,
}


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
                         f"one of {sorted(ALL_FUNCTIONS)} or a Loss instance")
    if isinstance(identifier, dict):
        return deserialize_simple(identifier, ALL_CLASSES)
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret loss identifier: {identifier!r}")


def serialize(loss):
    if isinstance(loss, Loss):
        return {"class_name": type(loss).__name__, "config": loss.get_config()}
    return getattr(loss, "__name__", loss)


def deserialize(config):
    return get(config)
