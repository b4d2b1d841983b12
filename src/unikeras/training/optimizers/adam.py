"""SGD, Adam and AdamW, written once in array-API style."""

from __future__ import annotations

from ...utils.serialization import register
from ...xp import namespace
from .base import Optimizer, lr_like


@register
class SGD(Optimizer):
    """Keras' ``SGD(learning_rate=0.01, momentum=0.0, nesterov=False, ...)``."""

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, name="SGD", **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        if not 0.0 <= momentum <= 1.0:
            raise ValueError(f"SGD: momentum must be in [0, 1]; received {momentum}")
        self.momentum, self.nesterov = float(momentum), bool(nesterov)

    def build(self, variables):
        if self.momentum:
            self._momentums = [self.add_variable_from_reference(v, "momentum") for v in variables]
        super().build(variables)

    def update_step(self, gradient, variable, learning_rate):
        lr = lr_like(learning_rate, gradient)
        if not self.momentum:
            self.assign(variable, variable.value - lr * gradient)
            return
        m = self._momentums[self._index(variable)]
        new_m = self.momentum * m.value - lr * gradient
        self.assign(m, new_m)
        if self.nesterov:
            self.assign(variable, variable.value + self.momentum * new_m - lr * gradient)
        else:
            self.assign(variable, variable.value + new_m)

    def get_config(self):
        c = super().get_config()
        c.update({"momentum": self.momentum, "nesterov": self.nesterov})
        return c


@register
class Adam(Optimizer):
    """Keras' ``Adam(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
    amsgrad=False, ...)``."""

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 amsgrad=False, name="adam", **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.beta_1, self.beta_2, self.epsilon, self.amsgrad = beta_1, beta_2, epsilon, amsgrad

    def build(self, variables):
        self._momentums = [self.add_variable_from_reference(v, "momentum") for v in variables]
        self._velocities = [self.add_variable_from_reference(v, "velocity") for v in variables]
        if self.amsgrad:
            self._velocity_hats = [self.add_variable_from_reference(v, "velocity_hat") for v in variables]
        super().build(variables)

    def update_step(self, gradient, variable, learning_rate):
        xp = namespace(gradient)
        i = self._index(variable)
        lr = lr_like(learning_rate, gradient)
        step = xp.astype(self.iterations.value + 1, gradient.dtype)
        b1p = xp.pow(xp.asarray(self.beta_1, dtype=gradient.dtype), step)
        b2p = xp.pow(xp.asarray(self.beta_2, dtype=gradient.dtype), step)
        alpha = lr * xp.sqrt(1 - b2p) / (1 - b1p)
        m, v = self._momentums[i], self._velocities[i]
        new_m = m.value + (gradient - m.value) * (1 - self.beta_1)
        new_v = v.value + (gradient * gradient - v.value) * (1 - self.beta_2)
        self.assign(m, new_m)
        self.assign(v, new_v)
        if self.amsgrad:
            vh = self._velocity_hats[i]
            new_v = xp.maximum(vh.value, new_v)
            self.assign(vh, new_v)
        self.assign(variable, variable.value - (new_m * alpha) / (xp.sqrt(new_v) + self.epsilon))

    def get_config(self):
        c = super().get_config()
        c.update({"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon,
                  "amsgrad": self.amsgrad})
        return c


@register
class AdamW(Adam):
    """Keras' ``AdamW(learning_rate=0.001, weight_decay=0.004, ...)``: Adam with
    decoupled weight decay ``w -= w * weight_decay * lr`` before each update."""

    def __init__(self, learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999,
                 epsilon=1e-7, amsgrad=False, name="adamw", **kwargs):
        super().__init__(learning_rate=learning_rate, beta_1=beta_1, beta_2=beta_2,
                         epsilon=epsilon, amsgrad=amsgrad, name=name,
                         weight_decay=weight_decay, **kwargs)
        if self.weight_decay is None:
            raise ValueError("AdamW: weight_decay must be a float; received None")
