"""Muon (Keras 3's ``keras.optimizers.Muon``), written once: momentum orthogonalized by
the Newton-Schulz iteration for 2-D variables (Jordan et al. 2024), AdamW for the rest
(vectors, embeddings, excluded layers)."""

from __future__ import annotations

import re

from ...utils.serialization import register
from ...xp import namespace
from .base import Optimizer, _cast


@register
class Muon(Optimizer):
    """Keras' ``Muon(learning_rate=0.001, adam_beta_1=0.9, adam_beta_2=0.999,
    adam_weight_decay=0.004, epsilon=1e-7, weight_decay=0.004, exclude_layers=None,
    exclude_embeddings=True, muon_a=3.4445, muon_b=-4.775, muon_c=2.0315,
    adam_lr_ratio=1, momentum=0.95, ns_steps=5, nesterov=True, rms_rate=0.2)``.

    A 2-D variable (not an embedding when ``exclude_embeddings``, not matching a regex of
    ``exclude_layers``) takes ``m = momentum m + g``, ``d = g + momentum m`` (nesterov)
    or ``m``, ``w -= lr * NS5(d) * sqrt(max(rows, cols)) * rms_rate`` (``rms_rate=None``:
    no rescaling). ``NS5``: normalize by the Frobenius norm, then ``ns_steps`` rounds of
    ``X = a X + (b A + c A A) X`` with ``A = X X^T`` (on the wide orientation). Every
    other variable takes an AdamW step at ``lr * adam_lr_ratio`` with decay
    ``adam_weight_decay``."""

    def __init__(self, learning_rate=0.001, adam_beta_1=0.9, adam_beta_2=0.999,
                 adam_weight_decay=0.004, epsilon=1e-7, weight_decay=0.004,
                 exclude_layers=None, exclude_embeddings=True, muon_a=3.4445, muon_b=-4.775,
                 muon_c=2.0315, adam_lr_ratio=1, momentum=0.95, ns_steps=5, nesterov=True,
                 rms_rate=0.2, name="muon", **kwargs):
        super().__init__(learning_rate=learning_rate, weight_decay=weight_decay, name=name,
                         **kwargs)
        self.adam_beta_1, self.adam_beta_2, self.epsilon = adam_beta_1, adam_beta_2, epsilon
        self.muon_a, self.muon_b, self.muon_c = muon_a, muon_b, muon_c
        self.adam_lr_ratio, self.momentum, self.ns_steps = adam_lr_ratio, momentum, ns_steps
        self.nesterov, self.exclude_embeddings = nesterov, exclude_embeddings
        self.exclude_layers = list(exclude_layers or [])
        self.adam_weight_decay, self.rms_rate = adam_weight_decay, rms_rate

    def _should_use_adamw(self, variable):
        if len(variable.shape) != 2:
            return True
        if self.exclude_embeddings and "embedding" in variable.path.lower():
            return True
        return any(re.search(k, variable.path) for k in self.exclude_layers)

    def build(self, variables):
        # Keras' order: each variable's momentum, then its velocity if it takes AdamW
        self.momentums, self.adam_velocities = [], []
        for v in variables:
            self.momentums.append(self.add_variable_from_reference(v, "momentum"))
            self.adam_velocities.append(self.add_variable_from_reference(v, "velocity")
                                        if self._should_use_adamw(v) else None)
        super().build(variables)

    def _apply_weight_decay(self, variables, lr):
        for v in variables:
            if not self._use_weight_decay(v):
                continue
            wd = self.adam_weight_decay if self._should_use_adamw(v) else self.weight_decay
            if wd is None:
                continue
            val = v.value
            self.assign(v, val - val * float(wd) * _cast(lr, val))

    def update_step(self, gradient, variable, learning_rate):
        i = self._index(variable)
        if self.adam_velocities[i] is not None:
            self._adamw_step(gradient, variable, learning_rate, i)
        else:
            self._muon_step(gradient, variable, learning_rate, i)

    def _adamw_step(self, gradient, variable, learning_rate, i):
        xp, g, lr = self._prep(gradient, variable, learning_rate)
        lr = lr * self.adam_lr_ratio
        step = self._local_step(g)
        b1p = xp.pow(xp.asarray(self.adam_beta_1, dtype=g.dtype), step)
        b2p = xp.pow(xp.asarray(self.adam_beta_2, dtype=g.dtype), step)
        alpha = lr * xp.sqrt(1 - b2p) / (1 - b1p)
        m, v = self.momentums[i], self.adam_velocities[i]
        new_m = m.value + (g - m.value) * (1 - self.adam_beta_1)
        new_v = v.value + (g * g - v.value) * (1 - self.adam_beta_2)
        self.assign(m, new_m)
        self.assign(v, new_v)
        self.assign(variable, variable.value - new_m * alpha / (xp.sqrt(new_v) + self.epsilon))

    def _muon_step(self, gradient, variable, learning_rate, i):
        xp, g, lr = self._prep(gradient, variable, learning_rate)
        m = self.momentums[i]
        new_m = m.value * self.momentum + g
        self.assign(m, new_m)
        d = g + self.momentum * new_m if self.nesterov else new_m
        update = lr * self.zeropower_via_newtonschulz5(d, self.ns_steps)
        if self.rms_rate is not None:
            update = update * (max(update.shape[0], update.shape[1]) ** 0.5 * self.rms_rate)
        self.assign(variable, variable.value - update)

    def zeropower_via_newtonschulz5(self, x, steps):
        """The quintic Newton-Schulz iteration that maps ``x`` towards the nearest
        semi-orthogonal matrix (Keras' coefficients ``muon_a/b/c``)."""
        if len(x.shape) < 2:
            raise ValueError("Expected gradient or momentum to have at least 2 dimensions. "
                             f"Received: shape={tuple(x.shape)}")
        xp = namespace(x)
        tall = x.shape[-2] > x.shape[-1]
        t = lambda a: xp.matrix_transpose(a)  # noqa: E731
        if tall:
            x = t(x)
        x = x / (xp.sqrt(xp.sum(x * x, axis=(-2, -1), keepdims=True)) + 1e-7)
        a, b, c = self.muon_a, self.muon_b, self.muon_c
        for _ in range(steps):
            s = x @ t(x)
            x = a * x + (b * s + c * (s @ s)) @ x
        return t(x) if tall else x

    def get_config(self):
        c = super().get_config()
        c.update({"adam_beta_1": self.adam_beta_1, "adam_beta_2": self.adam_beta_2,
                  "epsilon": self.epsilon, "exclude_layers": self.exclude_layers,
                  "muon_a": self.muon_a, "muon_b": self.muon_b, "muon_c": self.muon_c,
                  "adam_lr_ratio": self.adam_lr_ratio, "momentum": self.momentum,
                  "ns_steps": self.ns_steps, "nesterov": self.nesterov,
                  "exclude_embeddings": self.exclude_embeddings,
                  "adam_weight_decay": self.adam_weight_decay, "rms_rate": self.rms_rate})
        return c
