"""Keras 3 regularizers, written once on the array namespace."""

from __future__ import annotations

from .utils.serialization import deserialize_simple, register
from .xp import namespace


class Regularizer:
    def __call__(self, x):
        return 0.0

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _check(name, value):
    value = float(value)
    if value < 0:
        raise ValueError(f"{name}: the factor must be non-negative; received {value}")
    return value


@register
class L1L2(Regularizer):
    def __init__(self, l1=0.0, l2=0.0):
        self.l1 = _check("L1L2 l1", l1)
        self.l2 = _check("L1L2 l2", l2)

    def __call__(self, x):
        xp = namespace(x)
        out = 0.0
        if self.l1:
            out = out + self.l1 * xp.sum(xp.abs(x))
        if self.l2:
            out = out + self.l2 * xp.sum(x * x)
        return out

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}


@register
class L1(Regularizer):
    def __init__(self, l1=0.01):
        self.l1 = _check("L1", l1)

    def __call__(self, x):
        xp = namespace(x)
        return self.l1 * xp.sum(xp.abs(x))

    def get_config(self):
        return {"l1": self.l1}


@register
class L2(Regularizer):
    def __init__(self, l2=0.01):
        self.l2 = _check("L2", l2)

    def __call__(self, x):
        xp = namespace(x)
        return self.l2 * xp.sum(x * x)

    def get_config(self):
        return {"l2": self.l2}


@register
class OrthogonalRegularizer(Regularizer):
    """Keras' OrthogonalRegularizer(factor=0.01, mode="rows")."""

    def __init__(self, factor=0.01, mode="rows"):
        if mode not in ("rows", "columns"):
            raise ValueError(f"OrthogonalRegularizer: mode must be 'rows' or 'columns'; received {mode!r}")
        self.factor = _check("OrthogonalRegularizer factor", factor)
        self.mode = mode

    def __call__(self, x):
        xp = namespace(x)
        if len(x.shape) != 2:
            raise ValueError(f"OrthogonalRegularizer: inputs must be 2D; received shape {tuple(x.shape)}")
        if self.mode == "columns":
            x = xp.matrix_transpose(x)
        x = x / xp.sqrt(xp.sum(x * x, axis=1, keepdims=True) + 1e-12)
        prod = x @ xp.matrix_transpose(x)
        n = x.shape[0]
        off = prod - xp.eye(n, dtype=x.dtype)
        return self.factor * xp.sum(xp.abs(off)) / (n * (n - 1) if n > 1 else 1)

    def get_config(self):
        return {"factor": self.factor, "mode": self.mode}


l1, l2, l1_l2, orthogonal_regularizer = L1, L2, L1L2, OrthogonalRegularizer
_ALIASES = {"l1": L1, "l2": L2, "l1_l2": L1L2, "l1l2": L1L2,
            "orthogonal_regularizer": OrthogonalRegularizer}


def get(identifier):
    if identifier is None:
        return None
    if isinstance(identifier, Regularizer):
        return identifier
    if isinstance(identifier, str):
        cls = _ALIASES.get(identifier.lower())
        if cls is None:
            raise ValueError(f"Could not interpret regularizer identifier: {identifier!r}")
        return cls()
    if isinstance(identifier, dict):
        return deserialize_simple(identifier, _ALIASES)
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret regularizer identifier: {identifier!r}")


def serialize(regularizer):
    """Keras' ``keras.regularizers.serialize``: ``{"module", "class_name", "config",
    "registered_name"}`` (None stays None)."""
    from .utils.serialization import serialize_simple

    return serialize_simple(regularizer)


def deserialize(config, custom_objects=None):
    """Keras' ``keras.regularizers.deserialize``: a regularizer from a config dict (or a name)."""
    if isinstance(config, dict):
        return deserialize_simple(config, _ALIASES, custom_objects)
    return get(config)
