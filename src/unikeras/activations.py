"""Keras 3 activations (``keras.activations``), forwarding to ``unikeras.nn_ops``."""

from __future__ import annotations

from . import nn_ops
from .xp import namespace


def relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    if negative_slope == 0.0 and max_value is None and threshold == 0.0:
        return nn_ops.relu(x)
    xp = namespace(x)
    neg = (x - threshold) * negative_slope if negative_slope else None
    out = xp.where(x > threshold, x, xp.zeros_like(x) if neg is None else neg)
    if max_value is not None:
        out = xp.minimum(out, xp.asarray(max_value, dtype=x.dtype))
    return out


def linear(x):
    return x


def _fwd(name):
    def act(x, *args, **kwargs):
        return getattr(nn_ops, name)(x, *args, **kwargs)
    act.__name__ = act.__qualname__ = name
    act.__doc__ = f"Keras' ``activations.{name}`` (see ``unikeras.nn_ops.{name}``)."
    return act


relu6 = _fwd("relu6")
leaky_relu = _fwd("leaky_relu")
elu = _fwd("elu")
selu = _fwd("selu")


def gelu(x, approximate=False):
    """Keras' ``activations.gelu``: the exact erf form by default, as Keras 3 (only
    ``ops.gelu`` defaults to the tanh approximation)."""
    return nn_ops.gelu(x, approximate=approximate)


silu = _fwd("silu")
swish = silu
mish = _fwd("mish")
softplus = _fwd("softplus")
softsign = _fwd("softsign")
sigmoid = _fwd("sigmoid")
hard_sigmoid = _fwd("hard_sigmoid")
hard_silu = _fwd("hard_silu")
hard_swish = hard_silu
log_sigmoid = _fwd("log_sigmoid")
tanh = _fwd("tanh")
softmax = _fwd("softmax")
log_softmax = _fwd("log_softmax")
celu = _fwd("celu")
glu = _fwd("glu")
hard_tanh = _fwd("hard_tanh")
hard_shrink = _fwd("hard_shrink")
soft_shrink = _fwd("soft_shrink")
tanh_shrink = _fwd("tanh_shrink")
threshold = _fwd("threshold")
sparse_plus = _fwd("sparse_plus")
sparse_sigmoid = _fwd("sparse_sigmoid")
squareplus = _fwd("squareplus")
sparsemax = _fwd("sparsemax")
exponential = lambda x: namespace(x).exp(x)  # noqa: E731
exponential.__name__ = "exponential"

_NAMES = {f.__name__: f for f in (
    relu, linear, relu6, leaky_relu, elu, selu, gelu, silu, mish, softplus, softsign,
    sigmoid, hard_sigmoid, hard_silu, log_sigmoid, tanh, softmax, log_softmax, exponential,
    celu, glu, hard_tanh, hard_shrink, soft_shrink, tanh_shrink, threshold, sparse_plus,
    sparse_sigmoid, squareplus, sparsemax)}
_NAMES.update({"swish": silu, "hard_swish": hard_silu})


def get(identifier):
    """An activation function from a name, None (linear) or a callable."""
    if identifier is None:
        return linear
    if isinstance(identifier, str):
        fn = _NAMES.get(identifier)
        if fn is None:
            raise ValueError(f"Unknown activation function: {identifier!r}. Expected one of "
                             f"{sorted(_NAMES)}")
        return fn
    if isinstance(identifier, dict):
        # Keras writes {"class_name": "function", "config": "relu", ...}; a function that
        # is not built in must be registered (never imported from the file's "module")
        cfg = identifier.get("config")
        name = cfg if isinstance(cfg, str) else (cfg or {}).get("name") \
            if isinstance(cfg, (dict, type(None))) else None
        name = name or identifier.get("class_name")
        if isinstance(name, str) and name in _NAMES:
            return _NAMES[name]
        from .utils.serialization import deserialize_function

        return deserialize_function(identifier if identifier.get("class_name") == "function"
                                    else name, what="activation")
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret activation function identifier: {identifier!r}")


def serialize(fn):
    """A built-in activation by name; a registered function in Keras' function form."""
    if fn in _NAMES.values():
        return fn.__name__
    from .utils.serialization import serialize_function

    return serialize_function(fn) if callable(fn) else fn


def deserialize(config):
    return get(config)
