"""SGD and the Adam family (Adam, AdamW, Adamax, Nadam), written once in array-API
style. Update formulas follow Keras 3 (``keras/src/optimizers/*.py``) and the papers
they cite: Kingma & Ba 2014 (Adam, Adamax), Reddi et al. 2018 (AMSGrad), Loshchilov &
Hutter 2019 (AdamW), Dozat 2016 (Nadam)."""

from __future__ import annotations

from ...utils.serialization import register
from .base import Optimizer


@register
class SGD(Optimizer):
    """Keras' ``SGD(learning_rate=0.01, momentum=0.0, nesterov=False, ...)``:
    ``m = momentum * m - lr * g``; ``w += m`` (nesterov: ``w += momentum * m - lr * g``);
    without momentum ``w -= lr * g``."""

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, name="SGD", **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        if not isinstance(momentum, (int, float)) or not 0.0 <= momentum <= 1.0:
            raise ValueError(f"SGD: momentum must be a float in [0, 1]; received {momentum!r}")
        self.momentum, self.nesterov = float(momentum), bool(nesterov)

    def build(self, variables):
        if self.momentum:
            self._momentums = self.add_optimizer_variables(variables, "momentum")
        super().build(variables)

    def update_step(self, gradient, variable, learning_rate):
        xp, g, lr = self._prep(gradient, variable, learning_rate)
        if not self.momentum:
            self.assign(variable, variable.value - lr * g)
            return
        m = self._momentums[self._index(variable)]
        new_m = m.value * self.momentum - g * lr
        self.assign(m, new_m)
        if self.nesterov:
            self.assign(variable, variable.value + (new_m * self.momentum - g * lr))
        else:
            self.assign(variable, variable.value + new_m)

    def get_config(self):
        c = super().get_config()
        c.update({"momentum": self.momentum, "nesterov": self.nesterov})
        return c


def _check_beta(cls_name, **betas):
    for k, b in betas.items():
        if not isinstance(b, (int, float)) or not 0.0 <= b < 1.0:
            raise ValueError(f"{cls_name}: {k} must be a float in [0, 1); received {b!r}")


@register
class Adam(Optimizer):
    """Keras' ``Adam(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
    amsgrad=False, ...)``:
    ``m += (g - m)(1 - b1)``, ``v += (g^2 - v)(1 - b2)`` (AMSGrad: ``v = max(v_hat, v)``),
    ``w -= lr sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + eps)``."""

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 amsgrad=False, name="adam", **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        _check_beta(type(self).__name__, beta_1=beta_1, beta_2=beta_2)
        self.beta_1, self.beta_2, self.epsilon, self.amsgrad = beta_1, beta_2, epsilon, amsgrad

    def build(self, variables):
        self._momentums, self._velocities = self.add_optimizer_variables(
            variables, ["momentum", "velocity"])
        if self.amsgrad:
            self._velocity_hats = self.add_optimizer_variables(variables, "velocity_hat")
        super().build(variables)

    def update_step(self, gradient, variable, learning_rate):
        xp, g, lr = self._prep(gradient, variable, learning_rate)
        i = self._index(variable)
        step = self._local_step(g)
        b1p = xp.pow(xp.asarray(self.beta_1, dtype=g.dtype), step)
        b2p = xp.pow(xp.asarray(self.beta_2, dtype=g.dtype), step)
        alpha = lr * xp.sqrt(1 - b2p) / (1 - b1p)
        m, v = self._momentums[i], self._velocities[i]
        new_m = m.value + (g - m.value) * (1 - self.beta_1)
        new_v = v.value + (g * g - v.value) * (1 - self.beta_2)
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


@register
class Adamax(Optimizer):
    """Keras' ``Adamax(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7)``:
    ``m += (g - m)(1 - b1)``, ``u = max(b2 u, |g|)``,
    ``w -= lr m / ((1 - b1^t)(u + eps))``."""

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 name="adamax", **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        _check_beta("Adamax", beta_1=beta_1, beta_2=beta_2)
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon

    def build(self, variables):
        self._m, self._u = self.add_optimizer_variables(variables, ["momentum", "norm"])
        super().build(variables)

    def update_step(self, gradient, variable, learning_rate):
        xp, g, lr = self._prep(gradient, variable, learning_rate)
        i = self._index(variable)
        b1p = xp.pow(xp.asarray(self.beta_1, dtype=g.dtype), self._local_step(g))
        m, u = self._m[i], self._u[i]
        new_m = m.value + (g - m.value) * (1 - self.beta_1)
        new_u = xp.maximum(u.value * self.beta_2, xp.abs(g))
        self.assign(m, new_m)
        self.assign(u, new_u)
        self.assign(variable, variable.value - (lr * new_m) / ((1 - b1p) * (new_u + self.epsilon)))

    def get_config(self):
        c = super().get_config()
        c.update({"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon})
        return c


@register
class Nadam(Optimizer):
    """Keras' ``Nadam(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7)``:
    Adam with Nesterov momentum and Dozat's momentum schedule
    ``u_t = b1 (1 - 0.5 * 0.96^t)``, ``U_t = prod u_1..u_t``:
    ``m_hat = u_{t+1} m / (1 - U_t u_{t+1}) + (1 - u_t) g / (1 - U_t)``,
    ``w -= lr m_hat / (sqrt(v / (1 - b2^t)) + eps)``."""

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 name="nadam", **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        _check_beta("Nadam", beta_1=beta_1, beta_2=beta_2)
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon

    def build(self, variables):
        import numpy as np

        dtype = variables[0].dtype if variables else "float32"
        self._momentums, self._velocities = self.add_optimizer_variables(
            variables, ["momentum", "velocity"])
        self._u_product = self._make_var(np.ones((), dtype=dtype), "u_product", dtype)
        super().build(variables)

    def _prepare_update_step(self):
        u = self._u_product.value
        from ...xp import namespace

        xp = namespace(u)
        step = self._local_step(u)
        self.assign(self._u_product,
                    u * self.beta_1 * (1.0 - 0.5 * xp.pow(xp.asarray(0.96, dtype=u.dtype), step)))

    def update_step(self, gradient, variable, learning_rate):
        xp, g, lr = self._prep(gradient, variable, learning_rate)
        i = self._index(variable)
        t = self._local_step(g)
        decay = xp.asarray(0.96, dtype=g.dtype)
        u_t = self.beta_1 * (1.0 - 0.5 * xp.pow(decay, t))
        u_t1 = self.beta_1 * (1.0 - 0.5 * xp.pow(decay, t + 1))
        u_prod = self._u_product.value
        if u_prod.dtype != g.dtype:
            u_prod = xp.astype(u_prod, g.dtype)
        u_prod_t1 = u_prod * u_t1
        b2p = xp.pow(xp.asarray(self.beta_2, dtype=g.dtype), t)
        m, v = self._momentums[i], self._velocities[i]
        new_m = m.value + (g - m.value) * (1 - self.beta_1)
        new_v = v.value + (g * g - v.value) * (1 - self.beta_2)
        self.assign(m, new_m)
        self.assign(v, new_v)
        m_hat = u_t1 * new_m / (1 - u_prod_t1) + (1 - u_t) * g / (1 - u_prod)
        v_hat = new_v / (1 - b2p)
        self.assign(variable, variable.value - (m_hat * lr) / (xp.sqrt(v_hat) + self.epsilon))

    def get_config(self):
        c = super().get_config()
        c.update({"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon})
        return c
