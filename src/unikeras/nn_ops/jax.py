"""JAX fast paths for unikeras.nn_ops (jax.nn / jax.lax). Same names and signatures as
the generic ops; each falls back to ``op.generic`` where JAX has no fused kernel."""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax import lax

from . import activations as _act

# ----------------------------------------------------------------- activations


def relu(x):
    return jax.nn.relu(x)


def relu6(x):
    return jax.nn.relu6(x)


def leaky_relu(x, negative_slope=0.2):
    return jax.nn.leaky_relu(x, negative_slope=negative_slope)


def elu(x, alpha=1.0):
    return jax.nn.elu(x, alpha=alpha)


def selu(x):
    return jax.nn.selu(x)


def gelu(x, approximate=True):
    return jax.nn.gelu(x, approximate=bool(approximate))


def silu(x):
    return jax.nn.silu(x)


swish = silu


def mish(x):
    return jax.nn.mish(x)


def softplus(x):
    return jax.nn.softplus(x)


def softsign(x):
    return jax.nn.soft_sign(x)


def sigmoid(x):
    return jax.nn.sigmoid(x)


def hard_sigmoid(x):
    return jax.nn.hard_sigmoid(x)


def hard_silu(x):
    return jax.nn.hard_silu(x)


hard_swish = hard_silu


def log_sigmoid(x):
    return jax.nn.log_sigmoid(x)


def tanh(x):
    return jnp.tanh(x)


def erf(x):
    return lax.erf(x)


def erfc(x):
    return lax.erfc(x)


def softmax(x, axis=-1):
    return jax.nn.softmax(x, axis=tuple(axis) if isinstance(axis, list) else axis)


def log_softmax(x, axis=-1):
    return jax.nn.log_softmax(x, axis=tuple(axis) if isinstance(axis, list) else axis)


def logsumexp(x, axis=None, keepdims=False):
    return jax.nn.logsumexp(x, axis=tuple(axis) if isinstance(axis, list) else axis,
                            keepdims=keepdims)
