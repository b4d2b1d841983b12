"""Cross-backend property tests for the recurrent and attention layers.

Hypothesis draws the layer (SimpleRNN / LSTM / GRU with their options, MultiHeadAttention,
Attention), the shapes, the weights, the inputs and a mask; the same layer with the same
weights runs through ``stateless_call`` on every usable framework (numpy, jax, torch,
tensorflow, array_api_strict) and all must agree with NumPy. Gradients with respect to
the inputs and the weights agree between jax, torch and tensorflow, and the input
gradient agrees with float64 central differences on the NumPy path.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness import (assert_all_close, differentiable_frameworks, finite_difference_grad,
                     frameworks, grad_everywhere, run_everywhere)

from unikeras import layers
from unikeras.xp import framework_of, set_default_framework

TOL = {"rtol": 1e-4, "atol": 1e-4}
# Each example runs a time loop / attention on five frameworks (and jax compiles each new
# shape): a third of the profile's examples keeps the "ci" run near a minute.
FEWER = settings(settings.default, max_examples=max(3, settings.default.max_examples // 3))


@st.composite
def rnn_cases(draw):
    kind = draw(st.sampled_from(["SimpleRNN", "LSTM", "GRU"]))
    kw = {"units": draw(st.integers(1, 3)),
          "return_sequences": draw(st.booleans()),
          "go_backwards": draw(st.booleans())}
    if kind == "GRU":
        kw["reset_after"] = draw(st.booleans())
    if kind != "SimpleRNN" and draw(st.booleans()):
        kw["recurrent_activation"] = "hard_sigmoid"
    shape = (draw(st.integers(1, 2)), draw(st.integers(1, 4)), draw(st.integers(1, 3)))
    masked = draw(st.booleans())
    return kind, kw, shape, masked, draw(st.integers(0, 2**16))


@st.composite
def attention_cases(draw):
    kind = draw(st.sampled_from(["MultiHeadAttention", "Attention"]))
    b, tq, tv = draw(st.integers(1, 2)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    if kind == "MultiHeadAttention":
        kw = {"num_heads": draw(st.integers(1, 2)), "key_dim": draw(st.integers(1, 3)),
              "use_bias": draw(st.booleans())}
        q_shape, v_shape = (b, tq, draw(st.integers(1, 3))), (b, tv, draw(st.integers(1, 3)))
    else:
        kw = {"use_scale": draw(st.booleans()),
              "score_mode": draw(st.sampled_from(["dot", "concat"]))}
        d = draw(st.integers(1, 3))
        q_shape, v_shape = (b, tq, d), (b, tv, d)
    causal = draw(st.booleans()) and tq == tv
    return kind, kw, q_shape, v_shape, causal, draw(st.integers(0, 2**16))


def _numpy_default(x):
    if framework_of(x) == "numpy":
        set_default_framework("numpy")
        return True
    return False


def _setup_rnn(kind, kw, shape, masked, seed, dtype="float32"):
    layer = getattr(layers, kind)(**kw, dtype=dtype)
    layer.build(shape)
    rng = np.random.default_rng(seed)
    weights = [rng.uniform(-0.8, 0.8, w.shape).astype(dtype) for w in layer.get_weights()]
    x = rng.normal(size=shape).astype(dtype)
    mask = rng.random(shape[:2]) > 0.3 if masked else None
    nt = [v.numpy() for v in layer.non_trainable_variables]
    return layer, x, weights, mask, nt


def _rnn_fn(layer, n_weights):
    def fn(x, *rest):
        weights, nt = list(rest[:n_weights]), list(rest[n_weights:-1])
        mask = rest[-1]
        reset = _numpy_default(x)
        try:
            out, _ = layer.stateless_call(weights, nt, x, mask=mask)
        finally:
            if reset:
                set_default_framework(None)
        return out
    return fn


@pytest.mark.skipif(len(frameworks()) < 2, reason="needs two usable frameworks")
@FEWER
@given(case=rnn_cases())
def test_rnn_layers_agree_across_frameworks(case):
    layer, x, weights, mask, nt = _setup_rnn(*case)
    results = run_everywhere(_rnn_fn(layer, len(weights)), x, *weights, *nt, mask)
    assert_all_close(results, results["numpy"], "float32", **TOL)


@pytest.mark.skipif(not differentiable_frameworks(), reason="no differentiable framework")
@FEWER
@given(case=rnn_cases())
def test_rnn_gradients_agree_and_match_finite_differences(case):
    kind, kw, shape, masked, seed = case
    layer, x, weights, mask, nt = _setup_rnn(*case)
    argnums = tuple(range(1 + len(weights)))
    grads = grad_everywhere(_rnn_fn(layer, len(weights)), x, *weights, *nt, mask,
                            argnums=argnums)
    ref_fw = next(iter(grads))
    assert_all_close(grads, grads[ref_fw], "float32", **TOL)
    if kw.get("recurrent_activation") == "hard_sigmoid":
        return  # kinks: finite differences are unreliable there
    layer64, x64, w64, _, nt64 = _setup_rnn(kind, kw, shape, masked, seed, dtype="float64")
    fd = finite_difference_grad(_rnn_fn(layer64, len(w64)), x.astype("float64"),
                                *[w.astype("float64") for w in weights], *nt64, mask,
                                argnums=0)
    assert_all_close({fw: g[0] for fw, g in grads.items()}, fd, "float32",
                     rtol=2e-3, atol=2e-3)


def _setup_attention(kind, kw, q_shape, v_shape, causal, seed, dtype="float32"):
    rng = np.random.default_rng(seed)
    layer = getattr(layers, kind)(**kw, dtype=dtype)
    q = rng.normal(size=q_shape).astype(dtype)
    v = rng.normal(size=v_shape).astype(dtype)
    if kind == "MultiHeadAttention":
        layer.build(q_shape, v_shape)
    else:
        layer.build([q_shape, v_shape])
    weights = [rng.uniform(-0.8, 0.8, w.shape).astype(dtype) for w in layer.get_weights()]
    v_mask = rng.random(v_shape[:2]) > 0.3
    v_mask[:, 0] = True  # no fully masked row (Keras and its fused kernels differ there)
    return layer, q, v, weights, v_mask


def _attention_fn(layer, kind, causal):
    def fn(q, v, *rest):
        weights, v_mask = list(rest[:-1]), rest[-1]
        reset = _numpy_default(q)
        try:
            if kind == "MultiHeadAttention":
                out, _ = layer.stateless_call(weights, [], q, v, value_mask=v_mask,
                                              use_causal_mask=causal,
                                              return_attention_scores=True)
            else:
                out, _ = layer.stateless_call(weights, [], [q, v], mask=[None, v_mask],
                                              use_causal_mask=causal,
                                              return_attention_scores=True)
        finally:
            if reset:
                set_default_framework(None)
        return out
    return fn


@pytest.mark.skipif(len(frameworks()) < 2, reason="needs two usable frameworks")
@FEWER
@given(case=attention_cases())
def test_attention_layers_agree_across_frameworks(case):
    kind, kw, q_shape, v_shape, causal, seed = case
    layer, q, v, weights, v_mask = _setup_attention(*case)
    results = run_everywhere(_attention_fn(layer, kind, causal), q, v, *weights, v_mask)
    assert_all_close(results, results["numpy"], "float32", **TOL)


@pytest.mark.skipif(not differentiable_frameworks(), reason="no differentiable framework")
@FEWER
@given(case=attention_cases())
def test_attention_gradients_agree_and_match_finite_differences(case):
    kind, kw, q_shape, v_shape, causal, seed = case
    layer, q, v, weights, v_mask = _setup_attention(*case)
    fn = _attention_fn(layer, kind, causal)
    argnums = tuple(range(2 + len(weights)))
    grads = grad_everywhere(fn, q, v, *weights, v_mask, argnums=argnums)
    ref_fw = next(iter(grads))
    assert_all_close(grads, grads[ref_fw], "float32", **TOL)
    layer64, _, _, w64, _ = _setup_attention(*case, dtype="float64")
    fd = finite_difference_grad(_attention_fn(layer64, kind, causal), q.astype("float64"),
                                v.astype("float64"), *[w.astype("float64") for w in weights],
                                v_mask, argnums=(0, 1))
    assert_all_close({fw: g[:2] for fw, g in grads.items()}, fd, "float32",
                     rtol=2e-3, atol=2e-3)
