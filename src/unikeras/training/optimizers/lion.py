"""Lion (Chen et al. 2023, "Symbolic Discovery of Optimization Algorithms") and
Adafactor (Shazeer & Stern 2018), written once in array-API style with Keras 3's
arguments and update formulas."""

from __future__ import annotations

import numpy as np

from ...utils.serialization import register
from .base import Optimizer


@register
class Lion(Optimizer):
    """Keras' ``Lion(learning_rate=0.001, beta_1=0.9, beta_2=0.99, ...)``:
    ``w -= lr sign(b1 m + (1 - b1) g)``; ``m = b2 m + (1 - b2) g``."""

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.99, name="lion", **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        if not 0.0 < beta_1 <= 1.0:
            raise ValueError(f"Lion: beta_1 must be in (0, 1]; received {beta_1!r}")
        self.beta_1, self.beta_2 = beta_1, beta_2

    def build(self, variables):
        self._momentums = self.add_optimizer_variables(variables, "momentum")
        super().build(variables)

    def update_step(self, gradient, variable, learning_rate):
        xp, g, lr = self._prep(gradient, variable, learning_rate)
        m = self._momentums[self._index(variable)]
        mv = m.value
        self.assign(variable, variable.value - lr * xp.sign(mv * self.beta_1 + g * (1.0 - self.beta_1)))
        self.assign(m, mv * self.beta_2 + g * (1.0 - self.beta_2))

    def get_config(self):
        c = super().get_config()
        c.update({"beta_1": self.beta_1, "beta_2": self.beta_2})
        return c


@register
class Adafactor(Optimizer):
    """Keras' ``Adafactor(learning_rate=0.001, beta_2_decay=-0.8, epsilon_1=1e-30,
    epsilon_2=1e-3, clip_threshold=1.0, relative_step=True, ...)``. For variables of
    rank >= 2 the second moment is factored over the last two axes (row ``r`` and
    column ``c`` statistics); ``rho_t = min(lr, 1/sqrt(t))``,
    ``alpha_t = max(eps_2, rms(w)) rho_t``, ``b2_t = 1 - t^beta_2_decay``,
    ``u = g / sqrt(v)``, ``w -= alpha_t u / max(1, rms(u) / clip_threshold)``."""

    def __init__(self, learning_rate=0.001, beta_2_decay=-0.8, epsilon_1=1e-30,
                 epsilon_2=1e-3, clip_threshold=1.0, relative_step=True, name="adafactor",
                 **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.beta_2_decay, self.epsilon_1, self.epsilon_2 = beta_2_decay, epsilon_1, epsilon_2
        self.clip_threshold, self.relative_step = clip_threshold, relative_step

    def build(self, variables):
        self._r, self._c, self._v = [], [], []
        for var in variables:
            if len(var.shape) >= 2:
                self._r.append(self._make_var(np.zeros(var.shape[:-1], var.dtype),
                                              f"{var.path.replace('/', '_')}_r", var.dtype))
                self._c.append(self._make_var(np.zeros(var.shape[:-2] + var.shape[-1:], var.dtype),
                                              f"{var.path.replace('/', '_')}_c", var.dtype))
            else:
                self._r.append(None)
                self._c.append(None)
            self._v.append(self.add_variable_from_reference(var, "velocity"))
        super().build(variables)

    def update_step(self, gradient, variable, learning_rate):
        xp, g, lr = self._prep(gradient, variable, learning_rate)
        i = self._index(variable)
        w = variable.value
        t = self._local_step(g)
        one = xp.asarray(1.0, dtype=g.dtype)
        rho_t = xp.minimum(lr, one / xp.sqrt(t))
        rms_w = xp.sqrt(xp.mean(w * w))
        alpha_t = xp.maximum(xp.asarray(self.epsilon_2, dtype=g.dtype), rms_w) * rho_t
        g2 = g * g + self.epsilon_1
        b2_t = 1 - xp.pow(t, xp.asarray(self.beta_2_decay, dtype=g.dtype))
        v = self._v[i]
        if len(variable.shape) >= 2:
            r, c = self._r[i], self._c[i]
            new_r = b2_t * r.value + (1 - b2_t) * xp.mean(g2, axis=-1)
            new_c = b2_t * c.value + (1 - b2_t) * xp.mean(g2, axis=-2)
            self.assign(r, new_r)
            self.assign(c, new_c)
            new_v = (xp.expand_dims(new_r / xp.mean(new_r, axis=-1, keepdims=True), axis=-1)
                     * xp.expand_dims(new_c, axis=-2))
        else:
            new_v = b2_t * v.value + (1 - b2_t) * g2
        self.assign(v, new_v)
        u = g / xp.sqrt(new_v)
        rms_u = xp.sqrt(xp.mean(u * u))
        u_hat = u / xp.maximum(one, rms_u / self.clip_threshold)
        self.assign(variable, w - alpha_t * u_hat)

    def get_config(self):
        c = super().get_config()
        c.update({"beta_2_decay": self.beta_2_decay, "epsilon_1": self.epsilon_1,
                  "epsilon_2": self.epsilon_2, "clip_threshold": self.clip_threshold,
                  "relative_step": self.relative_step})
        return c
