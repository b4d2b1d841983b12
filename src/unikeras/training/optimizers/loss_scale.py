"""Keras 3's dynamic loss scaling (``keras.optimizers.LossScaleOptimizer``, also
``keras.mixed_precision.LossScaleOptimizer``), written once.

The train steps multiply the loss by ``optimizer.scale_loss`` before differentiating;
``apply`` divides the gradients by the current scale and then:

* all gradients finite: the inner optimizer updates; after ``dynamic_growth_steps``
  finite steps in a row the scale doubles (the counter restarts);
* any inf/NaN: the step is skipped (variables and the inner optimizer's state,
  ``iterations`` included, are unchanged), the scale halves and the counter restarts.

Eagerly (torch, TensorFlow eager, NumPy-valued JAX) the finiteness is read once and a
Python branch picks the path, as Keras' ``ops.cond`` does there. Traced (the jitted JAX
step, ``tf.function``) it cannot be read: the inner update is computed on every step and
each variable the update writes keeps its new value only where the gradients were finite
(``where(finite, new, old)``, one select per variable and slot). The scale and the
counter are two optimizer variables, so they travel with the optimizer state through the
JAX step like every slot.
"""

from __future__ import annotations

import numpy as np

from ...utils.serialization import register
from ...xp import namespace, standardize_dtype
from .base import Optimizer, _cast

_BASE_DEFAULTS = {"weight_decay": None, "clipnorm": None, "global_clipnorm": None,
                  "clipvalue": None, "use_ema": False, "ema_momentum": 0.99,
                  "ema_overwrite_frequency": None, "loss_scale_factor": None,
                  "gradient_accumulation_steps": None}


def concrete_bool(flag):
    """``bool(flag)`` when the value can be read now, None when it is traced (a JAX
    tracer or a tensor of a ``tf.function`` graph refuse ``bool`` with a TypeError)."""
    try:
        return bool(flag)
    except TypeError:
        return None


@register
class LossScaleOptimizer(Optimizer):
    """Keras' ``LossScaleOptimizer(inner_optimizer, initial_scale=2**15,
    dynamic_growth_steps=2000, name=None)``: dynamic loss scaling around another
    optimizer (see the module docstring). ``compile`` wraps the optimizer in one when
    the model's dtype policy is ``mixed_float16`` (``auto_scale_loss=True``)."""

    def __init__(self, inner_optimizer, initial_scale=2.0 ** 15, dynamic_growth_steps=2000,
                 name=None, **kwargs):
        if not kwargs.pop("dynamic", True):
            raise ValueError("LossScaleOptimizer no longer supports `dynamic=False`. Instead, "
                             "simply set `loss_scale_factor` directly on the `inner_optimizer`.")
        for arg, default in _BASE_DEFAULTS.items():
            if arg in kwargs and kwargs.pop(arg) != default:
                raise ValueError(f"LossScaleOptimizer does not support `{arg}`. Instead, set "
                                 f"`{arg}` on the `inner_optimizer`.")
        if kwargs:
            raise ValueError("LossScaleOptimizer does not support arguments: "
                             f"`{'`, `'.join(kwargs)}`.")
        if not isinstance(inner_optimizer, Optimizer):
            raise ValueError("LossScaleOptimizer: inner_optimizer must be a "
                             "keras.optimizers.Optimizer instance; received "
                             f"{inner_optimizer!r:.100}")
        if int(dynamic_growth_steps) < 1:
            raise ValueError("LossScaleOptimizer: dynamic_growth_steps must be a positive int; "
                             f"received {dynamic_growth_steps!r}")
        super().__init__(learning_rate=0.0, name=name or "loss_scale_optimizer")
        self.inner_optimizer = inner_optimizer
        self.initial_scale = float(initial_scale)
        self.dynamic_growth_steps = int(dynamic_growth_steps)
        # the inner optimizer must not scale a second time
        self.inner_optimizer.loss_scale_factor = None

    # Keras' LossScaleOptimizer keeps its own (unused) iteration counter among its
    # variables; ``iterations`` is the inner optimizer's.
    @property
    def iterations(self):
        inner = self.__dict__.get("inner_optimizer")
        return inner.iterations if inner is not None else self.__dict__["_own_iterations"]

    @iterations.setter
    def iterations(self, value):
        self.__dict__["_own_iterations"] = value

    @property
    def learning_rate(self):
        return self.inner_optimizer.learning_rate

    @learning_rate.setter
    def learning_rate(self, value):
        self.inner_optimizer.learning_rate = value

    def _get_current_learning_rate(self):
        return self.inner_optimizer._get_current_learning_rate()

    def build(self, variables):
        # Keras' order: own iteration and learning rate, step_counter, dynamic_scale, then
        # the inner optimizer's variables (what a .keras file lists)
        self.step_counter = self._make_var(np.zeros((), "int64"), "step_counter", "int64")
        self.dynamic_scale = self._make_var(np.asarray(self.initial_scale, "float32"),
                                            "dynamic_scale", "float32")
        self.inner_optimizer.build(variables)
        super().build(variables)

    @property
    def variables(self):
        return list(self._variables) + list(self.inner_optimizer.variables)

    def _children(self):
        return [self.inner_optimizer]

    def _move_to(self, framework):
        super()._move_to(framework)
        self.inner_optimizer._move_to(framework)

    def scale_loss(self, loss):
        """``loss * scale`` (the current dynamic scale once built, else
        ``initial_scale``), in float32 at least, as Keras' ``ops.multiply`` promotes."""
        xp = namespace(loss)
        if standardize_dtype(loss.dtype) in ("float16", "bfloat16"):
            loss = xp.astype(loss, xp.float32)
        if not self.built:
            return loss * self.initial_scale
        return loss * _cast(self.dynamic_scale.value, loss)

    def check_finite(self, grads):
        """One boolean: every element of every gradient is finite."""
        grads = [g for g in grads if g is not None]
        xp = namespace(grads[0])
        flags = [xp.all(xp.isfinite(g)) for g in grads]
        out = flags[0]
        for f in flags[1:]:
            out = xp.logical_and(out, f)
        return out

    def _apply(self, pairs, fw):
        grads = [g for g, _ in pairs]
        variables = [v for _, v in pairs]
        xp = namespace(grads[0])
        finite = self.check_finite(grads)
        scale = self.dynamic_scale.value
        unscaled = [g / _cast(scale, g) for g in grads]
        inner = self.inner_optimizer
        known = concrete_bool(finite)
        if known is None:
            # traced: update, then keep the new values only where the step was finite
            kept = list(variables) + list(inner.variables)
            before = [k.value * 1 for k in kept]  # copies: torch/tf assign in place
            inner._apply(list(zip(unscaled, variables)), fw)
            for k, b in zip(kept, before):
                k.assign(xp.where(finite, k.value, b))
        elif known:
            inner._apply(list(zip(unscaled, variables)), fw)
        counter = self.step_counter.value
        grow = counter == (self.dynamic_growth_steps - 1)
        if known is None:
            one = xp.ones_like(scale)
            factor = xp.where(finite, xp.where(grow, one * 2, one), one * 0.5)
            restart = xp.logical_or(grow, xp.logical_not(finite))
            self.dynamic_scale.assign(scale * factor)
            self.step_counter.assign(xp.where(restart, xp.zeros_like(counter), counter + 1))
        elif known and not concrete_bool(grow):
            self.step_counter.assign(counter + 1)
        else:  # halve on a non-finite step, double after dynamic_growth_steps finite ones
            self.dynamic_scale.assign(scale * (2.0 if known else 0.5))
            self.step_counter.assign(xp.zeros_like(counter))

    def stateless_apply(self, optimizer_variables, grads, trainable_variables):
        if not self.built:
            raise ValueError("To call `stateless_apply`, LossScaleOptimizer must be built "
                             "(i.e. its variables must have been created). You can build it "
                             "via `optimizer.build(trainable_variables)`.")
        return super().stateless_apply(optimizer_variables, grads, trainable_variables)

    def finalize_variable_values(self, var_list):
        self.inner_optimizer.finalize_variable_values(var_list)

    def get_config(self):
        from ...utils.serialization import serialize_simple

        return {"name": self.name, "inner_optimizer": serialize_simple(self.inner_optimizer),
                "initial_scale": self.initial_scale,
                "dynamic_growth_steps": self.dynamic_growth_steps}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from ...utils.serialization import deserialize_simple

        config = dict(config)
        inner = config.pop("inner_optimizer")
        inner = deserialize_simple(inner) if not isinstance(inner, Optimizer) else inner
        return cls(inner, **config)
