"""PyTorch fast paths for unikeras.nn_ops (torch.nn.functional). Same names and
signatures as the generic ops; each falls back to ``op.generic`` where torch has no
kernel for the arguments."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from . import activations as _act

# ----------------------------------------------------------------- activations


def relu(x):
    return torch.relu(x)


def relu6(x):
    if not x.is_floating_point():
        return _act.relu6.generic(x)
    return F.relu6(x)


def leaky_relu(x, negative_slope=0.2):
    return F.leaky_relu(x, negative_slope=negative_slope)


def elu(x, alpha=1.0):
    return F.elu(x, alpha=alpha)


def selu(x):
    return F.selu(x)


def gelu(x, approximate=True):
    return F.gelu(x, approximate="tanh" if approximate else "none")


def silu(x):
    return F.silu(x)


swish = silu


def mish(x):
    return F.mish(x)


def softplus(x):
    return F.softplus(x)


def softsign(x):
    return F.softsign(x)


def sigmoid(x):
    return torch.sigmoid(x)


def hard_sigmoid(x):
    return F.hardsigmoid(x)


def hard_silu(x):
    return F.hardswish(x)


hard_swish = hard_silu


def log_sigmoid(x):
    return F.logsigmoid(x)


def tanh(x):
    return torch.tanh(x)


def erf(x):
    return torch.erf(x)


def erfc(x):
    return torch.erfc(x)


def softmax(x, axis=-1):
    if not isinstance(axis, int):
        return _act.softmax.generic(x, axis)
    return torch.softmax(x, dim=axis)


def log_softmax(x, axis=-1):
    if not isinstance(axis, int):
        return _act.log_softmax.generic(x, axis)
    return torch.log_softmax(x, dim=axis)


def logsumexp(x, axis=None, keepdims=False):
    if axis is None:
        axis = tuple(range(x.ndim))
        if x.ndim == 0:
            return x.clone()
    return torch.logsumexp(x, dim=axis, keepdim=keepdims)


# ----------------------------------------------------------------- losses
def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """Gathers the target's log-probability instead of building a one-hot array;
    out-of-range ids give 0 (Keras' one-hot semantics)."""
    from .losses import sparse_categorical_crossentropy as _generic_op

    if (not isinstance(target, torch.Tensor) or not isinstance(output, torch.Tensor)
            or not output.is_floating_point() or output.ndim < 1):
        return _generic_op.generic(target, output, from_logits, axis)
    t = target
    if t.ndim == output.ndim and t.ndim > 0 and t.shape[-1] == 1:
        t = t.squeeze(-1)
    ax = axis % output.ndim
    if tuple(t.shape) != tuple(output.shape[:ax]) + tuple(output.shape[ax + 1:]):
        return _generic_op.generic(target, output, from_logits, axis)  # raises the error
    if t.is_floating_point() or t.dtype == torch.bool:
        t = t.to(torch.int64)
    n = output.shape[ax]
    if from_logits:
        logp = torch.log_softmax(output, dim=ax)
    else:
        from ..xp import epsilon

        eps = epsilon()
        logp = torch.log(torch.clamp(output / output.sum(dim=ax, keepdim=True), eps, 1.0 - eps))
    valid = (t >= 0) & (t < n)
    safe = torch.where(valid, t, torch.zeros_like(t)).to(torch.int64)
    picked = torch.gather(logp, ax, safe.unsqueeze(ax)).squeeze(ax)
    return torch.where(valid, -picked, torch.zeros_like(picked))
