"""Metric base classes with Keras 3's stateful API (``update_state``, ``result``,
``reset_state``) and its stateless one (``stateless_update_state``,
``stateless_result``, ``stateless_reset_state``), written once.

Metric variables are ordinary Variables: host NumPy at creation, moved to the
framework of the data by ``Model.fit`` / ``evaluate`` (or on first update). The
stateless methods run the stateful code inside ``swap_values`` (see
``unikeras.state``), so there is one implementation of every metric.
"""

from __future__ import annotations

import numpy as np

from ...state import Variable, swap_values
from ...state.tree import Trackable, bump_structure_version
from ...utils.naming import to_snake_case as _snake
from ...utils.serialization import register
from ...xp import framework_of, namespace, standardize_dtype
from ...xp.dtypes import floatx


def result_value(result):
    """A metric result as arrays: a ``Variable`` returned by ``result()`` (the Keras
    guide's ``return self.true_positives``) becomes a snapshot of its value (a copy on
    torch, a tensor read on TensorFlow), so logs do not change under later updates."""
    if isinstance(result, Variable):
        return result._snapshot()
    if isinstance(result, dict):
        return {k: result_value(v) for k, v in result.items()}
    if isinstance(result, (list, tuple)):
        return type(result)(result_value(v) for v in result)
    return result


class Metric(Trackable):
    """Keras' ``Metric(dtype=None, name=None)``."""

    def __init__(self, dtype=None, name=None):
        self.name = name or _snake(type(self).__name__)
        self._dtype = standardize_dtype(dtype or floatx())
        self._metric_variables = []

    @property
    def dtype(self):
        return self._dtype

    def add_variable(self, shape=(), initializer="zeros", dtype=None, aggregation="sum", name=None):
        from ... import initializers

        init = initializers.get(initializer)
        v = Variable(init, shape=tuple(shape), dtype=dtype or self._dtype, trainable=False,
                     aggregation=aggregation, name=f"{self.name}_{name or 'var'}")
        v.path = f"{self.name}/{name or 'var'}"
        if self._metric_variables:
            fw = self._metric_variables[0].framework
            if fw != v.framework:
                v._move_to(fw)
        self._metric_variables.append(v)
        bump_structure_version()
        return v

    add_weight = add_variable

    def _own_variables(self):
        return self._metric_variables

    @property
    def variables(self):
        return list(self._tree_variables())

    def _ensure_framework(self, *arrays):
        for a in arrays:
            fw = framework_of(a)
            if fw is not None:
                if self._metric_variables and self._metric_variables[0].framework != fw:
                    self._move_to(fw)
                return fw
        return None

    def update_state(self, *args, **kwargs):
        raise NotImplementedError

    def result(self):
        raise NotImplementedError

    def reset_state(self):
        for v in self._metric_variables:
            v.assign(np.zeros(v.shape, dtype=v.dtype) if v.framework == "numpy" else
                     namespace(v._raw_array()).zeros_like(v._raw_array()))

    def reset_states(self):
        self.reset_state()

    def __call__(self, *args, **kwargs):
        self.update_state(*args, **kwargs)
        return result_value(self.result())

    # stateless API
    def stateless_update_state(self, metric_variables, *args, **kwargs):
        vs = self.variables
        with swap_values(vs, metric_variables):
            self.update_state(*args, **kwargs)
            return [v._value for v in vs]

    def stateless_result(self, metric_variables):
        with swap_values(self.variables, metric_variables):
            return result_value(self.result())

    def stateless_reset_state(self):
        vs = self.variables
        with swap_values(vs, [v._value for v in vs]):
            self.reset_state()
            return [v._value for v in vs]

    def get_config(self):
        return {"name": self.name, "dtype": self._dtype}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}>"


def _as(xp, value, dtype):
    if not hasattr(value, "dtype") or namespace(value) is not xp:
        value = xp.asarray(value)
    if standardize_dtype(value.dtype) != dtype:
        value = xp.astype(value, getattr(xp, dtype))
    return value


def _weights_for(xp, values, sample_weight):
    """Broadcast ``sample_weight`` to ``values``' shape (Keras semantics)."""
    if sample_weight is None:
        return None
    sw = _as(xp, sample_weight, standardize_dtype(values.dtype))
    while len(sw.shape) > len(values.shape) and sw.shape[-1] == 1:
        sw = xp.squeeze(sw, axis=-1)
    while len(sw.shape) < len(values.shape):
        sw = xp.expand_dims(sw, axis=-1)
    return xp.broadcast_to(sw, values.shape)


@register
class Sum(Metric):
    """Keras' ``Sum``: the (weighted) sum of the values."""

    def __init__(self, name="sum", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable((), name="total")

    def update_state(self, values, sample_weight=None):
        self._ensure_framework(values)
        xp = namespace(values)
        values = _as(xp, values, self._dtype)
        sw = _weights_for(xp, values, sample_weight)
        if sw is not None:
            values = values * sw
        self.total.assign(self.total.value + xp.sum(values))

    def result(self):
        # a new array, not the variable itself (a torch Parameter / tf.Variable would
        # change under the caller on the next update or reset)
        return self.total.value * 1


@register
class Mean(Metric):
    """Keras' ``Mean``: the (weighted) mean of the values."""

    def __init__(self, name="mean", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable((), name="total")
        self.count = self.add_variable((), name="count")

    # (value, weight) pairs given to defer_update, not yet added to total and count
    _pending = ()

    def defer_update(self, value, weight):
        """``update_state(value, sample_weight=weight)`` for a 0-d array and a Python
        number, added at the next read (``result``, ``variables``) instead of now: a
        list append instead of two in-place adds and their dispatch (~35 us per step of
        an eager torch ``fit``, where the loss tracker is read once per epoch). Folded
        in every 256 values, so the list stays short."""
        pending = self.__dict__.get("_pending")
        if pending is None:
            pending = self._pending = []
        pending.append((value, weight))
        if len(pending) >= 256:
            self._flush()

    def _flush(self):
        pending, self._pending = self._pending, []
        values = [v for v, _ in pending]
        weights = [w for _, w in pending]
        self._ensure_framework(values[0])
        xp = namespace(values[0])
        stacked = _as(xp, xp.stack(values), self._dtype)
        if all(w == weights[0] for w in weights):  # equal batches: one kernel
            total = xp.sum(stacked) * float(weights[0])
        else:
            total = xp.sum(xp.stack([v * float(w) for v, w in zip(stacked, weights)]))
        self.total.assign_add(total)
        self.count.assign_add(float(sum(weights)))

    def _own_variables(self):
        if self._pending:
            self._flush()
        return self._metric_variables

    @property
    def variables(self):
        if self._pending:
            self._flush()
        return super().variables

    def reset_state(self):
        if self._pending:
            self._pending = []
        super().reset_state()

    def update_state(self, values, sample_weight=None):
        self._ensure_framework(values)
        xp = namespace(values)
        values = _as(xp, values, self._dtype)
        if type(sample_weight) in (int, float) and not values.shape:
            # A scalar weighted by a Python number (the loss tracker, every step): the
            # same numbers as the general path below (sum(v * w) over one element is
            # v * w, the count is w), without materialising and broadcasting the weight.
            self.total.assign_add(values * float(sample_weight))
            self.count.assign_add(float(sample_weight))
            return
        sw = _weights_for(xp, values, sample_weight)
        if sw is None:
            total = xp.sum(values)
            if any(d is None for d in values.shape):  # dynamic shape under a tracer
                count = xp.astype(xp.sum(xp.ones_like(values)), values.dtype)
            else:
                n = 1
                for d in values.shape:
                    n *= d
                count = float(n)
        else:
            total, count = xp.sum(values * sw), xp.sum(sw)
        self.total.assign(self.total.value + total)
        self.count.assign(self.count.value + count)

    def result(self):
        if self._pending:
            self._flush()
        xp = namespace(self.total.value)
        c = self.count.value
        return xp.where(c > 0, self.total.value / xp.where(c > 0, c, xp.ones_like(c)),
                        xp.zeros_like(c))


@register
class MeanMetricWrapper(Mean):
    """Keras' ``MeanMetricWrapper(fn, name=None, dtype=None, **kwargs)``: the mean of
    ``fn(y_true, y_pred, **kwargs)``."""

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        super().__init__(name=name or getattr(fn, "__name__", "mean_metric"), dtype=dtype)
        self._fn = fn
        self._fn_kwargs = kwargs

    def update_state(self, y_true, y_pred, sample_weight=None):
        self._ensure_framework(y_pred)
        values = self._fn(y_true, y_pred, **self._fn_kwargs)
        return super().update_state(values, sample_weight=sample_weight)

    def get_config(self):
        config = {"name": self.name, "dtype": self._dtype}
        config.update(self._fn_kwargs)
        return config
