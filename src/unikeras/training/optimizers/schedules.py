"""Learning-rate schedules (Keras 3 ``optimizers.schedules``), written once: each maps
the step (an int array of any framework, possibly traced) to a float32 learning rate."""

from __future__ import annotations

import math

from ...utils.serialization import deserialize_simple, register, serialize_simple
from ...xp import namespace


class LearningRateSchedule:
    def __call__(self, step):
        raise NotImplementedError

    def get_config(self):
        raise NotImplementedError

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _f(step):
    xp = namespace(step)
    return xp, xp.astype(step, xp.float32)


@register
class ExponentialDecay(LearningRateSchedule):
    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False, name=None):
        if decay_steps <= 0:
            raise ValueError(f"ExponentialDecay: decay_steps must be > 0; received {decay_steps}")
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps, self.decay_rate, self.staircase, self.name = decay_steps, decay_rate, staircase, name

    def __call__(self, step):
        xp, s = _f(step)
        p = s / self.decay_steps
        if self.staircase:
            p = xp.floor(p)
        return self.initial_learning_rate * xp.pow(xp.asarray(self.decay_rate, dtype=s.dtype), p)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "decay_rate": self.decay_rate, "staircase": self.staircase, "name": self.name}


@register
class PiecewiseConstantDecay(LearningRateSchedule):
    def __init__(self, boundaries, values, name=None):
        if len(values) != len(boundaries) + 1:
            raise ValueError("PiecewiseConstantDecay: len(values) must be len(boundaries) + 1; "
                             f"received {len(boundaries)} boundaries and {len(values)} values")
        self.boundaries, self.values, self.name = list(boundaries), list(values), name

    def __call__(self, step):
        xp, s = _f(step)
        out = xp.full_like(s, float(self.values[0]))
        for b, v in zip(self.boundaries, self.values[1:]):
            out = xp.where(s > b, xp.full_like(s, float(v)), out)
        return out

    def get_config(self):
        return {"boundaries": self.boundaries, "values": self.values, "name": self.name}


@register
class PolynomialDecay(LearningRateSchedule):
    def __init__(self, initial_learning_rate, decay_steps, end_learning_rate=0.0001, power=1.0,
                 cycle=False, name=None):
        self.initial_learning_rate, self.decay_steps = initial_learning_rate, decay_steps
        self.end_learning_rate, self.power, self.cycle, self.name = end_learning_rate, power, cycle, name

    def __call__(self, step):
        xp, s = _f(step)
        if self.cycle:
            mult = xp.where(s == 0, xp.ones_like(s), xp.ceil(s / self.decay_steps))
            steps = self.decay_steps * mult
        else:
            steps = xp.full_like(s, float(self.decay_steps))
            s = xp.minimum(s, steps)
        frac = 1 - s / steps
        return (self.initial_learning_rate - self.end_learning_rate) * xp.pow(frac, float(self.power)) + self.end_learning_rate

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "end_learning_rate": self.end_learning_rate, "power": self.power,
                "cycle": self.cycle, "name": self.name}


@register
class InverseTimeDecay(LearningRateSchedule):
    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False, name=None):
        self.initial_learning_rate, self.decay_steps = initial_learning_rate, decay_steps
        self.decay_rate, self.staircase, self.name = decay_rate, staircase, name

    def __call__(self, step):
        xp, s = _f(step)
        p = s / self.decay_steps
        if self.staircase:
            p = xp.floor(p)
        return self.initial_learning_rate / (1 + self.decay_rate * p)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "decay_rate": self.decay_rate, "staircase": self.staircase, "name": self.name}


@register
class CosineDecay(LearningRateSchedule):
    """Keras' CosineDecay(initial_learning_rate, decay_steps, alpha=0.0, name=None,
    warmup_target=None, warmup_steps=0): linear warmup to warmup_target, then cosine."""

    def __init__(self, initial_learning_rate, decay_steps, alpha=0.0, name=None,
                 warmup_target=None, warmup_steps=0):
        self.initial_learning_rate, self.decay_steps, self.alpha = initial_learning_rate, decay_steps, alpha
        self.name, self.warmup_target, self.warmup_steps = name, warmup_target, warmup_steps

    def __call__(self, step):
        xp, s = _f(step)
        if self.warmup_target is None:
            start, target = self.initial_learning_rate, self.initial_learning_rate
        else:
            start, target = self.initial_learning_rate, self.warmup_target
        ds = xp.minimum(xp.maximum(s - self.warmup_steps, xp.zeros_like(s)), xp.full_like(s, float(self.decay_steps)))
        cos = 0.5 * (1 + xp.cos(math.pi * ds / self.decay_steps))
        decayed = ((1 - self.alpha) * cos + self.alpha) * target
        if self.warmup_steps:
            warm = start + (target - start) * (s / self.warmup_steps)
            return xp.where(s < self.warmup_steps, warm, decayed)
        return decayed

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "alpha": self.alpha, "name": self.name, "warmup_target": self.warmup_target,
                "warmup_steps": self.warmup_steps}


@register
class CosineDecayRestarts(LearningRateSchedule):
    def __init__(self, initial_learning_rate, first_decay_steps, t_mul=2.0, m_mul=1.0, alpha=0.0, name=None):
        self.initial_learning_rate, self.first_decay_steps = initial_learning_rate, first_decay_steps
        self.t_mul, self.m_mul, self.alpha, self.name = t_mul, m_mul, alpha, name

    def __call__(self, step):
        xp, s = _f(step)
        frac = s / self.first_decay_steps
        if self.t_mul == 1.0:
            i = xp.floor(frac)
            frac = frac - i
        else:
            i = xp.floor(xp.log(1 - frac * (1 - self.t_mul)) / math.log(self.t_mul))
            sum_r = (1 - xp.pow(xp.full_like(s, float(self.t_mul)), i)) / (1 - self.t_mul)
            frac = (frac - sum_r) / xp.pow(xp.full_like(s, float(self.t_mul)), i)
        m = xp.pow(xp.full_like(s, float(self.m_mul)), i)
        cos = 0.5 * m * (1 + xp.cos(math.pi * frac))
        return self.initial_learning_rate * ((1 - self.alpha) * cos + self.alpha)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "first_decay_steps": self.first_decay_steps, "t_mul": self.t_mul,
                "m_mul": self.m_mul, "alpha": self.alpha, "name": self.name}


def serialize(schedule):
    return serialize_simple(schedule)


def deserialize(config):
    return deserialize_simple(config)
