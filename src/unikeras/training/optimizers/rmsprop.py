"""RMSprop, Adagrad and Adadelta, written once in array-API style (update formulas as
in Keras 3's ``keras/src/optimizers``: Hinton's lecture 6e for RMSprop, Duchi et al.
2011 for Adagrad, Zeiler 2012 for Adadelta)."""

from __future__ import annotations

from ...utils.serialization import register
from .base import Optimizer


@register
class RMSprop(Optimizer):
    """Keras' ``RMSprop(learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7,
    centered=False, ...)``: ``v = rho v + (1 - rho) g^2``; centered also keeps
    ``a = rho a + (1 - rho) g`` and uses ``v - a^2``; ``step = lr g / sqrt(denom + eps)``;
    with momentum ``m = momentum m + step``, ``w -= m``, else ``w -= step``."""

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7,
                 centered=False, name="rmsprop", **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"RMSprop: rho must be in [0, 1]; received {rho!r}")
        if momentum < 0:
            raise ValueError(f"RMSprop: momentum must be >= 0; received {momentum!r}")
        self.rho, self.momentum, self.epsilon, self.centered = rho, momentum, epsilon, centered

    def build(self, variables):
        self._velocities = self.add_optimizer_variables(variables, "velocity")
        self._momentums = (self.add_optimizer_variables(variables, "momentum")
                           if self.momentum > 0 else [])
        self._average_gradients = (self.add_optimizer_variables(variables, "average_gradient")
                                   if self.centered else [])
        super().build(variables)

    def update_step(self, gradient, variable, learning_rate):
        xp, g, lr = self._prep(gradient, variable, learning_rate)
        i = self._index(variable)
        rho = self.rho
        vel = self._velocities[i]
        new_vel = vel.value * rho + (g * g) * (1 - rho)
        self.assign(vel, new_vel)
        if self.centered:
            avg = self._average_gradients[i]
            new_avg = avg.value * rho + g * (1 - rho)
            self.assign(avg, new_avg)
            denom = new_vel - new_avg * new_avg + self.epsilon
        else:
            denom = new_vel + self.epsilon
        increment = (lr * g) / xp.sqrt(denom)
        if self.momentum > 0:
            mom = self._momentums[i]
            new_mom = mom.value * self.momentum + increment
            self.assign(mom, new_mom)
            self.assign(variable, variable.value - new_mom)
        else:
            self.assign(variable, variable.value - increment)

    def get_config(self):
        c = super().get_config()
        c.update({"rho": self.rho, "momentum": self.momentum, "epsilon": self.epsilon,
                  "centered": self.centered})
        return c


@register
class Adagrad(Optimizer):
    """Keras' ``Adagrad(learning_rate=0.001, initial_accumulator_value=0.1,
    epsilon=1e-7, ...)``: ``a += g^2``; ``w -= lr g / sqrt(a + eps)``."""

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7,
                 name="adagrad", **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        if initial_accumulator_value < 0:
            raise ValueError("Adagrad: initial_accumulator_value must be >= 0; received "
                             f"{initial_accumulator_value!r}")
        self.initial_accumulator_value, self.epsilon = initial_accumulator_value, epsilon

    def build(self, variables):
        from ...initializers import Constant

        self._accumulators_ada = self.add_optimizer_variables(
            variables, "accumulator", initializer=Constant(self.initial_accumulator_value))
        super().build(variables)

    def update_step(self, gradient, variable, learning_rate):
        xp, g, lr = self._prep(gradient, variable, learning_rate)
        acc = self._accumulators_ada[self._index(variable)]
        new_acc = acc.value + g * g
        self.assign(acc, new_acc)
        self.assign(variable, variable.value - (lr * g) / xp.sqrt(new_acc + self.epsilon))

    def get_config(self):
        c = super().get_config()
        c.update({"initial_accumulator_value": self.initial_accumulator_value,
                  "epsilon": self.epsilon})
        return c


@register
class Adadelta(Optimizer):
    """Keras' ``Adadelta(learning_rate=0.001, rho=0.95, epsilon=1e-7, ...)``:
    ``E[g^2] = rho E[g^2] + (1 - rho) g^2``,
    ``d = -sqrt(E[dx^2] + eps) / sqrt(E[g^2] + eps) * g``,
    ``E[dx^2] = rho E[dx^2] + (1 - rho) d^2``, ``w += lr d``."""

    def __init__(self, learning_rate=0.001, rho=0.95, epsilon=1e-7, name="adadelta", **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.rho, self.epsilon = rho, epsilon

    def build(self, variables):
        self._accumulated_grads, self._accumulated_delta_vars = self.add_optimizer_variables(
            variables, ["accumulated_grad", "accumulated_delta_var"])
        super().build(variables)

    def update_step(self, gradient, variable, learning_rate):
        xp, g, lr = self._prep(gradient, variable, learning_rate)
        i = self._index(variable)
        rho, eps = self.rho, self.epsilon
        ag, ad = self._accumulated_grads[i], self._accumulated_delta_vars[i]
        new_ag = ag.value * rho + (g * g) * (1 - rho)
        self.assign(ag, new_ag)
        delta = -(xp.sqrt(ad.value + eps) * g) / xp.sqrt(new_ag + eps)
        self.assign(ad, ad.value * rho + (delta * delta) * (1 - rho))
        self.assign(variable, variable.value + lr * delta)

    def get_config(self):
        c = super().get_config()
        c.update({"rho": self.rho, "epsilon": self.epsilon})
        return c
