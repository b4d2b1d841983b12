"""Ftrl, Lamb and ScheduleFreeAdamW, written once in array-API style. Update formulas
follow Keras 3 (``keras/src/optimizers/{ftrl,lamb,schedule_free_adamw}.py``) and the
papers they cite: McMahan et al. 2013 (FTRL-Proximal), You et al. 2019 (LAMB),
Defazio et al. 2024 (schedule-free AdamW)."""

from __future__ import annotations

import numpy as np

from ... import initializers
from ...utils.serialization import register
from .base import Optimizer


@register
class Ftrl(Optimizer):
    """Keras' ``Ftrl(learning_rate=0.001, learning_rate_power=-0.5,
    initial_accumulator_value=0.1, l1_regularization_strength=0.0,
    l2_regularization_strength=0.0, l2_shrinkage_regularization_strength=0.0, beta=0.0)``:
    ``n' = n + g^2``; ``z += g + 2 l2s w - (n'^-p - n^-p) / lr * w``;
    ``w = (clip(z, -l1, l1) - z) / (n'^-p / lr + 2 (l2 + beta / (2 lr)))``."""

    def __init__(self, learning_rate=0.001, learning_rate_power=-0.5,
                 initial_accumulator_value=0.1, l1_regularization_strength=0.0,
                 l2_regularization_strength=0.0, l2_shrinkage_regularization_strength=0.0,
                 beta=0.0, name="ftrl", **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        for arg, value, sign in (
                ("initial_accumulator_value", initial_accumulator_value, "positive"),
                ("learning_rate_power", learning_rate_power, "negative"),
                ("l1_regularization_strength", l1_regularization_strength, "positive"),
                ("l2_regularization_strength", l2_regularization_strength, "positive"),
                ("l2_shrinkage_regularization_strength", l2_shrinkage_regularization_strength,
                 "positive")):
            if (value < 0.0) if sign == "positive" else (value > 0.0):
                raise ValueError(f"`{arg}` needs to be {sign} or zero. Received: {arg}={value}.")
        self.learning_rate_power = learning_rate_power
        self.initial_accumulator_value = initial_accumulator_value
        self.l1_regularization_strength = l1_regularization_strength
        self.l2_regularization_strength = l2_regularization_strength
        self.l2_shrinkage_regularization_strength = l2_shrinkage_regularization_strength
        self.beta = beta

    def build(self, variables):
        self._accumulators, self._linears = self.add_optimizer_variables(
            variables, ["accumulator", "linear"],
            initializer=[initializers.Constant(self.initial_accumulator_value), "zeros"])
        super().build(variables)

    def update_step(self, gradient, variable, learning_rate):
        xp, g, lr = self._prep(gradient, variable, learning_rate)
        i = self._index(variable)
        accum, linear = self._accumulators[i], self._linears[i]
        p = -self.learning_rate_power
        l2 = self.l2_regularization_strength + self.beta / (2.0 * lr)
        w = variable.value
        n = accum.value
        new_n = n + g * g
        new_z = linear.value + (g + 2 * self.l2_shrinkage_regularization_strength * w) \
            - (xp.pow(new_n, p) - xp.pow(n, p)) / lr * w
        quadratic = xp.pow(new_n, p) / lr + 2 * l2
        l1 = self.l1_regularization_strength
        self.assign(linear, new_z)
        self.assign(variable, (xp.clip(new_z, -l1, l1) - new_z) / quadratic)
        self.assign(accum, new_n)

    def get_config(self):
        c = super().get_config()
        c.update({"learning_rate_power": self.learning_rate_power,
                  "initial_accumulator_value": self.initial_accumulator_value,
                  "l1_regularization_strength": self.l1_regularization_strength,
                  "l2_regularization_strength": self.l2_regularization_strength,
                  "l2_shrinkage_regularization_strength":
                      self.l2_shrinkage_regularization_strength,
                  "beta": self.beta})
        return c


@register
class Lamb(Optimizer):
    """Keras' ``Lamb(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7)``: the
    bias-corrected Adam direction ``u = m_hat / (sqrt(v_hat) + eps)`` scaled by the trust
    ratio ``||w|| / ||u||`` (1 where either norm is 0): ``w -= ratio * lr * u``."""

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 name="lamb", **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon

    def build(self, variables):
        self._momentums, self._velocities = self.add_optimizer_variables(
            variables, ["momentum", "velocity"])
        super().build(variables)

    def update_step(self, gradient, variable, learning_rate):
        xp, g, lr = self._prep(gradient, variable, learning_rate)
        i = self._index(variable)
        step = self._local_step(g)
        b1p = xp.pow(xp.asarray(self.beta_1, dtype=g.dtype), step)
        b2p = xp.pow(xp.asarray(self.beta_2, dtype=g.dtype), step)
        m, v = self._momentums[i], self._velocities[i]
        new_m = m.value + (g - m.value) * (1 - self.beta_1)
        new_v = v.value + (g * g - v.value) * (1 - self.beta_2)
        self.assign(m, new_m)
        self.assign(v, new_v)
        update = (new_m / (1.0 - b1p)) / (xp.sqrt(new_v / (1.0 - b2p)) + self.epsilon)
        w = variable.value
        w_norm = xp.sqrt(xp.sum(w * w))
        u_norm = xp.sqrt(xp.sum(update * update))
        one = xp.ones_like(w_norm)
        safe = xp.where(u_norm > 0, u_norm, one)
        ratio = xp.where(w_norm > 0, xp.where(u_norm > 0, w_norm / safe, one), one)
        self.assign(variable, w - ratio * lr * update)

    def get_config(self):
        c = super().get_config()
        c.update({"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon})
        return c


@register
class ScheduleFreeAdamW(Optimizer):
    """Keras' ``ScheduleFreeAdamW(learning_rate=0.0025, beta_1=0.9, beta_2=0.999,
    epsilon=1e-8, warmup_steps=0)``: the variable holds the interpolation
    ``y = (1 - b1) z + b1 x``; the "momentum" slot holds ``z`` (starting at the
    variable), the AdamW step ``z -= lr g / (sqrt(v / (1 - b2^t)) + eps)`` and the
    average ``x_t = (1 - 1/t) x_{t-1} + z / t`` (``x`` recovered from ``y`` and ``z``).
    ``lr`` ramps linearly over ``warmup_steps``."""

    def __init__(self, learning_rate=0.0025, beta_1=0.9, beta_2=0.999, epsilon=1e-8,
                 warmup_steps=0, name="schedule_free_adam_w", **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon
        self.warmup_steps = warmup_steps

    def build(self, variables):
        self._momentums, self._velocities = self.add_optimizer_variables(
            variables, ["momentum", "velocity"])
        super().build(variables)
        for z, v in zip(self._momentums, variables):
            # a copy: a host array shared with the variable would alias it on torch
            z.assign(np.array(v.numpy(), copy=True))

    def update_step(self, gradient, variable, learning_rate):
        xp, g, lr = self._prep(gradient, variable, learning_rate)
        i = self._index(variable)
        step = self._local_step(g)
        if self.warmup_steps > 0:
            lr = lr * xp.minimum(step / float(self.warmup_steps), xp.ones_like(step))
        z, v = self._momentums[i], self._velocities[i]
        b1 = self.beta_1
        z_old, y_old = z.value * 1, variable.value * 1  # snapshots: torch assigns in place
        bc2 = 1 - xp.pow(xp.asarray(self.beta_2, dtype=g.dtype), step)
        new_v = v.value + (g * g - v.value) * (1 - self.beta_2)
        self.assign(v, new_v)
        new_z = z_old - lr * g / (xp.sqrt(new_v / bc2) + self.epsilon)
        self.assign(z, new_z)
        weight = 1.0 / step
        x_old = (y_old - (1 - b1) * z_old) / b1
        x_new = (1 - weight) * x_old + weight * new_z
        self.assign(variable, (1 - b1) * new_z + b1 * x_new)

    def get_config(self):
        c = super().get_config()
        c.update({"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon,
                  "warmup_steps": self.warmup_steps})
        return c
