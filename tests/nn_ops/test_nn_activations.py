"""Activations and the softmax family against hand-written float64 NumPy references."""

from __future__ import annotations

import math

import numpy as np
import pytest

from unikeras import nn_ops

X = np.array([-100.0, -30.0, -5.0, -3.0, -1.0, -0.25, 0.0, 0.25, 1.0, 3.0, 5.0, 30.0, 100.0])
_erf = np.vectorize(math.erf)


def _sigmoid(x):
    return np.where(x >= 0, 1 / (1 + np.exp(-np.abs(x))), np.exp(-np.abs(x)) / (1 + np.exp(-np.abs(x))))


def _softplus(x):
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


SELU_A, SELU_S = 1.6732632423543772, 1.0507009873554805

REFS = {
    "relu": lambda x: np.maximum(x, 0),
    "relu6": lambda x: np.clip(x, 0, 6),
    "leaky_relu": lambda x: np.where(x >= 0, x, 0.2 * x),
    "elu": lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0))),
    "selu": lambda x: SELU_S * np.where(x > 0, x, SELU_A * np.expm1(np.minimum(x, 0))),
    "gelu": lambda x: 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3))),
    "silu": lambda x: x * _sigmoid(x),
    "swish": lambda x: x * _sigmoid(x),
    "mish": lambda x: x * np.tanh(_softplus(x)),
    "softplus": _softplus,
    "softsign": lambda x: x / (1 + np.abs(x)),
    "sigmoid": _sigmoid,
    "hard_sigmoid": lambda x: np.clip(x + 3, 0, 6) / 6,
    "hard_silu": lambda x: x * np.clip(x + 3, 0, 6) / 6,
    "hard_swish": lambda x: x * np.clip(x + 3, 0, 6) / 6,
    "log_sigmoid": lambda x: -_softplus(-x),
    "tanh": np.tanh,
    "erf": _erf,
    "erfc": np.vectorize(math.erfc),
}

# float64 allows 1e-7: tf.nn.gelu(approximate=True) rounds its constants
TOL = {"float32": dict(rtol=2e-5, atol=1e-6), "float64": dict(rtol=1e-7, atol=1e-10)}


@pytest.mark.parametrize("name", sorted(REFS))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_activation_matches_reference(name, dtype, any_framework, fw_array, np_of):
    x = X.astype(dtype)
    out = getattr(nn_ops, name)(fw_array(x, any_framework))
    res = np_of(out)
    if any_framework == "jax" and dtype == "float64" and res.dtype == np.float32:
        dtype = "float32"
    assert res.shape == x.shape
    assert np.all(np.isfinite(res)), (name, res)
    np.testing.assert_allclose(res, REFS[name](X), **TOL[dtype], err_msg=f"{name} on {any_framework}")


@pytest.mark.parametrize("name", sorted(REFS))
def test_fast_path_matches_generic(name, any_framework, fw_array, np_of, generic):
    op = getattr(nn_ops, name)
    x = fw_array(X.astype("float32"), any_framework)
    np.testing.assert_allclose(np_of(op(x)), np_of(generic(op, any_framework, x)),
                               rtol=2e-5, atol=1e-6, err_msg=f"{name} on {any_framework}")


@pytest.mark.parametrize("approximate", [True, False])
def test_gelu_both_forms(approximate, any_framework, fw_array, np_of, generic):
    x = X.astype("float64")
    ref = REFS["gelu"](X) if approximate else X * 0.5 * np.vectorize(math.erfc)(-X / math.sqrt(2))
    xf = fw_array(x, any_framework)
    tol = dict(rtol=2e-5, atol=1e-6) if any_framework == "jax" else dict(rtol=1e-7, atol=1e-12)
    np.testing.assert_allclose(np_of(nn_ops.gelu(xf, approximate=approximate)), ref, **tol)
    np.testing.assert_allclose(np_of(generic(nn_ops.gelu, any_framework, xf, approximate=approximate)),
                               ref, **tol)


def test_arguments(any_framework, fw_array, np_of):
    x = fw_array(X, any_framework)
    np.testing.assert_allclose(np_of(nn_ops.leaky_relu(x, negative_slope=0.5)),
                               np.where(X >= 0, X, 0.5 * X), rtol=1e-6)
    np.testing.assert_allclose(np_of(nn_ops.elu(x, alpha=2.0)),
                               np.where(X > 0, X, 2.0 * np.expm1(np.minimum(X, 0))), rtol=1e-6)


def _softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


@pytest.mark.parametrize("axis", [-1, 0, 1])
def test_softmax_family(axis, any_framework, fw_array, np_of, generic):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 4, 5)) * 50
    x[0, 0, 0] = 1000.0  # stability
    xf = fw_array(x, any_framework)
    sm = _softmax(x, axis)
    lse = np.log(np.exp(x - x.max(axis, keepdims=True)).sum(axis, keepdims=True)) + x.max(axis, keepdims=True)
    tol = dict(rtol=2e-5, atol=1e-6) if any_framework == "jax" else dict(rtol=1e-9, atol=1e-12)
    for fn in (nn_ops.softmax, nn_ops.softmax.generic):
        out = np_of(fn(xf, axis=axis)) if fn is nn_ops.softmax else np_of(generic(nn_ops.softmax, any_framework, xf, axis=axis))
        np.testing.assert_allclose(out, sm, **tol)
    np.testing.assert_allclose(np_of(nn_ops.log_softmax(xf, axis=axis)), x - lse, **tol)
    np.testing.assert_allclose(np_of(generic(nn_ops.log_softmax, any_framework, xf, axis=axis)), x - lse, **tol)
    np.testing.assert_allclose(np_of(nn_ops.logsumexp(xf, axis=axis)), np.squeeze(lse, axis), **tol)
    np.testing.assert_allclose(np_of(nn_ops.logsumexp(xf, axis=axis, keepdims=True)), lse, **tol)
    np.testing.assert_allclose(np_of(generic(nn_ops.logsumexp, any_framework, xf, axis=axis)),
                               np.squeeze(lse, axis), **tol)


def test_logsumexp_all_axes_and_tuple(any_framework, fw_array, np_of, generic):
    x = np.random.default_rng(1).normal(size=(2, 3, 4))
    xf = fw_array(x, any_framework)
    ref = np.log(np.exp(x).sum())
    assert np.allclose(np_of(nn_ops.logsumexp(xf)), ref, rtol=1e-5)
    assert np_of(nn_ops.logsumexp(xf)).shape == ()
    ref2 = np.log(np.exp(x).sum(axis=(0, 2)))
    assert np.allclose(np_of(nn_ops.logsumexp(xf, axis=(0, 2))), ref2, rtol=1e-5)
    sm = np.exp(x) / np.exp(x).sum(axis=(1, 2), keepdims=True)
    assert np.allclose(np_of(nn_ops.softmax(xf, axis=(1, 2))), sm, rtol=1e-5)
    assert np.allclose(np_of(generic(nn_ops.logsumexp, any_framework, xf)), ref, rtol=1e-5)


def test_aliases():
    assert nn_ops.swish is nn_ops.silu
    assert nn_ops.hard_swish is nn_ops.hard_silu


def test_relu_integers(any_framework, fw_array, np_of):
    x = np.array([-3, 0, 4, 9], dtype="int32")
    assert np_of(nn_ops.relu(fw_array(x, any_framework))).tolist() == [0, 0, 4, 9]
    assert np_of(nn_ops.relu6(fw_array(x, any_framework))).tolist() == [0, 0, 4, 6]


def test_generic_on_array_api_strict(fw_array, np_of):
    x = fw_array(X, "array_api_strict")
    for name, ref in REFS.items():
        out = np.asarray(getattr(nn_ops, name)(x)._array)
        np.testing.assert_allclose(out, ref(X), rtol=1e-9, atol=1e-12, err_msg=name)
    out = nn_ops.softmax(fw_array(np.reshape(X, (13, 1)) * np.ones((1, 3)), "array_api_strict"), axis=0)
    np.testing.assert_allclose(np.asarray(out._array), _softmax(np.reshape(X, (13, 1)) * np.ones((1, 3)), 0))
