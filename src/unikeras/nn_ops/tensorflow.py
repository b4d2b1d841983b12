"""TensorFlow fast paths for unikeras.nn_ops (tf.nn). Same names and signatures as the
generic ops; each falls back to ``op.generic`` where TensorFlow has no kernel for the
arguments."""

from __future__ import annotations

import tensorflow as tf

from . import activations as _act

# ----------------------------------------------------------------- activations


def relu(x):
    return tf.nn.relu(x)


def relu6(x):
    return tf.nn.relu6(x)


def leaky_relu(x, negative_slope=0.2):
    return tf.nn.leaky_relu(x, alpha=negative_slope)


def elu(x, alpha=1.0):
    if alpha == 1.0:
        return tf.nn.elu(x)
    return tf.where(x > 0, x, alpha * tf.math.expm1(tf.minimum(x, tf.zeros_like(x))))


def selu(x):
    return tf.nn.selu(x)


def gelu(x, approximate=True):
    if approximate:
        return tf.nn.gelu(x, approximate=True)
    # tf.nn.gelu's exact form, 0.5x(1 + erf(x/sqrt2)), cancels for x << 0; erfc does not
    return 0.5 * x * tf.math.erfc(x * -0.7071067811865476)


def silu(x):
    return tf.nn.silu(x)


swish = silu


def mish(x):
    return x * tf.math.tanh(tf.math.softplus(x))


def softplus(x):
    return tf.math.softplus(x)


def softsign(x):
    return tf.nn.softsign(x)


def sigmoid(x):
    return tf.math.sigmoid(x)


def hard_sigmoid(x):
    return tf.nn.relu6(x + 3.0) / 6.0


def hard_silu(x):
    return x * (tf.nn.relu6(x + 3.0) / 6.0)


hard_swish = hard_silu


def log_sigmoid(x):
    return tf.math.log_sigmoid(x)


def tanh(x):
    return tf.math.tanh(x)


def erf(x):
    return tf.math.erf(x)


def erfc(x):
    return tf.math.erfc(x)


def softmax(x, axis=-1):
    if not isinstance(axis, int):
        return _act.softmax.generic(x, axis)
    return tf.nn.softmax(x, axis=axis)


def log_softmax(x, axis=-1):
    if not isinstance(axis, int):
        return _act.log_softmax.generic(x, axis)
    return tf.nn.log_softmax(x, axis=axis)


def logsumexp(x, axis=None, keepdims=False):
    return tf.reduce_logsumexp(x, axis=axis, keepdims=keepdims)


# ----------------------------------------------------------------- losses
def _eps():
    from ..xp import epsilon

    return epsilon()


def _target_like(target, output):
    target = tf.convert_to_tensor(target)
    return target if target.dtype == output.dtype else tf.cast(target, output.dtype)


def _check_same(op, target, output):
    if tuple(target.shape) != tuple(output.shape):
        raise ValueError(f"{op}: arguments `target` and `output` must have the same shape; "
                         f"received target.shape={tuple(target.shape)}, "
                         f"output.shape={tuple(output.shape)}")


def _check_float(op, output):
    if not output.dtype.is_floating:
        raise ValueError(f"{op}: output must be a float array; received dtype "
                         f"{output.dtype.name!r}")


def _log_probs(output, from_logits, axis):
    if from_logits:
        return tf.nn.log_softmax(output, axis=axis)
    eps = _eps()
    output = output / tf.reduce_sum(output, axis=axis, keepdims=True)
    return tf.math.log(tf.clip_by_value(output, eps, 1.0 - eps))


def binary_crossentropy(target, output, from_logits=False):
    output = tf.convert_to_tensor(output)
    _check_float("binary_crossentropy", output)
    target = _target_like(target, output)
    _check_same("binary_crossentropy", target, output)
    if from_logits:
        return -(target * tf.math.log_sigmoid(output)
                 + (1.0 - target) * tf.math.log_sigmoid(-output))
    eps = _eps()
    output = tf.clip_by_value(output, eps, 1.0 - eps)
    return -(target * tf.math.log(output) + (1.0 - target) * tf.math.log(1.0 - output))


def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    output = tf.convert_to_tensor(output)
    _check_float("categorical_crossentropy", output)
    target = _target_like(target, output)
    _check_same("categorical_crossentropy", target, output)
    if len(output.shape) < 1:
        raise ValueError("categorical_crossentropy: arguments must have rank >= 1; received "
                         f"output.shape={tuple(output.shape)}")
    return -tf.reduce_sum(target * _log_probs(output, from_logits, axis), axis=axis)


def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    op = "sparse_categorical_crossentropy"
    output = tf.convert_to_tensor(output)
    _check_float(op, output)
    target = tf.convert_to_tensor(target)
    if len(target.shape) == len(output.shape) and len(target.shape) > 0 and target.shape[-1] == 1:
        target = tf.squeeze(target, axis=-1)
    if len(output.shape) < 1:
        raise ValueError(f"{op}: output must have rank >= 1; received "
                         f"output.shape={tuple(output.shape)}")
    ax = axis % len(output.shape)
    expected = tuple(output.shape[:ax]) + tuple(output.shape[ax + 1:])
    if tuple(target.shape) != expected:
        raise ValueError(f"{op}: target must have the shape of output without the class axis "
                         f"{axis}; expected target.shape={expected}, received "
                         f"target.shape={tuple(target.shape)} (output.shape="
                         f"{tuple(output.shape)})")
    if not target.dtype.is_integer:
        target = tf.cast(target, tf.int32)
    # one_hot gives all-zero rows for out-of-range ids (Keras semantics)
    onehot = tf.one_hot(target, output.shape[ax], axis=ax, dtype=output.dtype)
    return -tf.reduce_sum(onehot * _log_probs(output, from_logits, ax), axis=ax)
