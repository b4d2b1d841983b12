"""Keras 3 weight constraints, written once on the array namespace. The optimizer
applies ``variable.constraint`` after each update."""

from __future__ import annotations

from .utils.serialization import deserialize_simple, register
from .xp import namespace


class Constraint:
    def __call__(self, w):
        return w

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _norms(xp, w, axis):
    return xp.sqrt(xp.sum(w * w, axis=axis, keepdims=True))


@register
class MaxNorm(Constraint):
    def __init__(self, max_value=2, axis=0):
        self.max_value, self.axis = max_value, axis

    def __call__(self, w):
        xp = namespace(w)
        norms = _norms(xp, w, self.axis)
        desired = xp.clip(norms, 0.0, float(self.max_value))
        return w * (desired / (1e-7 + norms))

    def get_config(self):
        return {"max_value": self.max_value, "axis": self.axis}


@register
class NonNeg(Constraint):
    def __call__(self, w):
        xp = namespace(w)
        return w * xp.astype(w >= 0, w.dtype)


@register
class UnitNorm(Constraint):
    def __init__(self, axis=0):
        self.axis = axis

    def __call__(self, w):
        xp = namespace(w)
        return w / (1e-7 + _norms(xp, w, self.axis))

    def get_config(self):
        return {"axis": self.axis}


@register
class MinMaxNorm(Constraint):
    def __init__(self, min_value=0.0, max_value=1.0, rate=1.0, axis=0):
        self.min_value, self.max_value, self.rate, self.axis = min_value, max_value, rate, axis

    def __call__(self, w):
        xp = namespace(w)
        norms = _norms(xp, w, self.axis)
        desired = self.rate * xp.clip(norms, float(self.min_value), float(self.max_value)) + (1 - self.rate) * norms
        return w * (desired / (1e-7 + norms))

    def get_config(self):
        return {"min_value": self.min_value, "max_value": self.max_value, "rate": self.rate,
                "axis": self.axis}


max_norm, non_neg, unit_norm, min_max_norm = MaxNorm, NonNeg, UnitNorm, MinMaxNorm
_ALIASES = {"max_norm": MaxNorm, "maxnorm": MaxNorm, "non_neg": NonNeg, "nonneg": NonNeg,
            "unit_norm": UnitNorm, "unitnorm": UnitNorm, "min_max_norm": MinMaxNorm}


def get(identifier):
    if identifier is None:
        return None
    if isinstance(identifier, Constraint):
        return identifier
    if isinstance(identifier, str):
        cls = _ALIASES.get(identifier.lower())
        if cls is None:
            raise ValueError(f"Could not interpret constraint identifier: {identifier!r}")
        return cls()
    if isinstance(identifier, dict):
        return deserialize_simple(identifier, _ALIASES)
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret constraint identifier: {identifier!r}")


def serialize(constraint):
    """Keras' ``keras.constraints.serialize``: ``{"module", "class_name", "config",
    "registered_name"}`` (None stays None)."""
    from .utils.serialization import serialize_simple

    return serialize_simple(constraint)


def deserialize(config, custom_objects=None):
    """Keras' ``keras.constraints.deserialize``: a constraint from a config dict (or a name)."""
    if isinstance(config, dict):
        return deserialize_simple(config, _ALIASES, custom_objects)
    return get(config)
