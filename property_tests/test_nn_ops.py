"""Hypothesis: every nn op agrees across the installed frameworks, array_api_strict (the
generic path) and a NumPy float64 reference; gradients of differentiable ops agree
between jax, torch, tensorflow and float64 finite differences."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, strategies as st

from harness import (arrays, assert_all_close, finite_difference_grad, float_arrays, frameworks,
                     grad_everywhere, run_everywhere, shapes)
from unikeras import nn_ops

ELEMENTWISE = ["relu", "relu6", "leaky_relu", "elu", "selu", "gelu", "silu", "mish", "softplus",
               "softsign", "sigmoid", "hard_sigmoid", "hard_silu", "log_sigmoid", "tanh",
               "celu", "hard_tanh", "hard_shrink", "soft_shrink", "tanh_shrink", "sparse_plus",
               "sparse_sigmoid", "squareplus"]
SMOOTH = ["elu", "selu", "gelu", "silu", "mish", "softplus", "softsign", "sigmoid",
          "log_sigmoid", "tanh", "celu", "tanh_shrink", "sparse_plus", "squareplus"]


def _reference(name, x):
    """float64 reference: the generic path on NumPy float64 (checked against hand-written
    formulas in tests/nn_ops)."""
    return np.asarray(getattr(nn_ops, name).generic(np.asarray(x, np.float64)))


def _fws():
    # array_api_strict runs the generic path; TF joins once its namespace imports
    return [f for f in frameworks()]


@pytest.mark.parametrize("name", ELEMENTWISE)
@given(x=float_arrays(shapes=shapes(1, 3, 1, 4), max_magnitude=50.0))
def test_activation_agrees_everywhere(name, x):
    res = run_everywhere(getattr(nn_ops, name), x, frameworks=_fws())
    assert_all_close(res, _reference(name, x), x.dtype)


@pytest.mark.parametrize("name", ["softmax", "log_softmax", "logsumexp", "sparsemax"])
@given(x=float_arrays(shapes=shapes(1, 3, 1, 5), max_magnitude=100.0), data=st.data())
def test_softmax_family_agrees(name, x, data):
    axis = data.draw(st.integers(-x.ndim, x.ndim - 1))
    res = run_everywhere(getattr(nn_ops, name), x, frameworks=_fws(), axis=axis)
    assert_all_close(res, _reference_axis(name, x, axis), x.dtype)


def _reference_axis(name, x, axis):
    return np.asarray(getattr(nn_ops, name).generic(np.asarray(x, np.float64), axis=axis))


@pytest.mark.parametrize("name", SMOOTH)
@given(x=arrays("float64", shapes(1, 2, 1, 4), max_magnitude=5.0))
def test_activation_gradients(name, x):
    fn = getattr(nn_ops, name)
    if name == "selu":  # kink at 0: finite differences straddle it
        x = np.where(np.abs(x) < 1e-3, 0.5, x)
    grads = grad_everywhere(fn, x)
    # float32 derivatives lose ~1e-6 absolute in saturating tails (gelu at -5 is -1.5e-6
    # in float64 and rounds to 0 in float32): compare at gradient tolerances.
    assert_all_close(grads, finite_difference_grad(fn, x), "float32", rtol=1e-4, atol=1e-5)


@given(data=st.data())
def test_conv_agrees(data):
    n = data.draw(st.integers(1, 2))
    sp = data.draw(st.lists(st.integers(3, 6), min_size=n, max_size=n))
    k = data.draw(st.lists(st.integers(1, 3), min_size=n, max_size=n))
    groups = data.draw(st.sampled_from([1, 2]))
    c = 2 * groups
    x = data.draw(arrays("float32", (2, *sp, c), max_magnitude=3.0))
    w = data.draw(arrays("float32", (*k, c // groups, 2 * groups), max_magnitude=3.0))
    strides = data.draw(st.integers(1, 2))
    padding = data.draw(st.sampled_from(["valid", "same"]))
    dil = data.draw(st.integers(1, 2)) if strides == 1 else 1
    if padding == "valid" and any((kk - 1) * dil + 1 > s for kk, s in zip(k, sp)):
        dil = 1  # a dilated kernel wider than the input is an error (tests/nn_ops checks it)
    ref = np.asarray(nn_ops.conv.generic(x.astype(np.float64), w.astype(np.float64), strides,
                                         padding, None, dil))
    res = run_everywhere(nn_ops.conv, x, w, strides, padding, None, dil, frameworks=_fws())
    assert_all_close(res, ref, "float32", rtol=1e-4, atol=1e-5)


@given(data=st.data())
def test_pooling_agrees(data):
    sp = data.draw(st.lists(st.integers(2, 6), min_size=2, max_size=2))
    x = data.draw(arrays("float32", (2, *sp, 3), max_magnitude=10.0))
    pool = data.draw(st.integers(1, 2))
    strides = data.draw(st.sampled_from([None, 1, 2]))
    padding = data.draw(st.sampled_from(["valid", "same"]))
    for op in (nn_ops.max_pool, nn_ops.average_pool):
        ref = np.asarray(op.generic(x.astype(np.float64), pool, strides, padding))
        res = run_everywhere(op, x, pool, strides, padding, frameworks=_fws())
        assert_all_close(res, ref, "float32")


@given(logits=float_arrays(shapes=shapes(2, 2, 1, 5), max_magnitude=20.0), data=st.data())
def test_crossentropies_agree(logits, data):
    labels = data.draw(arrays("int32", logits.shape[:-1], min_value=0,
                              max_value=logits.shape[-1] - 1))
    onehot = np.eye(logits.shape[-1], dtype=logits.dtype)[labels]
    ref = np.asarray(nn_ops.categorical_crossentropy.generic(
        onehot.astype(np.float64), logits.astype(np.float64), from_logits=True))
    res = run_everywhere(nn_ops.categorical_crossentropy, onehot, logits, frameworks=_fws(),
                         from_logits=True)
    assert_all_close(res, ref, logits.dtype)
    res = run_everywhere(nn_ops.sparse_categorical_crossentropy, labels, logits,
                         frameworks=_fws(), from_logits=True)
    assert_all_close(res, ref, logits.dtype)


@given(x=arrays("float64", (2, 4), max_magnitude=3.0), data=st.data())
def test_crossentropy_gradients(x, data):
    t = np.eye(4)[data.draw(arrays("int32", (2,), min_value=0, max_value=3))]

    def f(logits, target):
        return nn_ops.categorical_crossentropy(target, logits, from_logits=True)

    assert_all_close(grad_everywhere(f, x, t), finite_difference_grad(f, x, t), "float32")


@given(data=st.data())
def test_attention_agrees(data):
    b, t, s, n, h = (data.draw(st.integers(1, 3)) for _ in range(5))
    q = data.draw(arrays("float32", (b, t, n, h), max_magnitude=2.0))
    k = data.draw(arrays("float32", (b, s, n, h), max_magnitude=2.0))
    v = data.draw(arrays("float32", (b, s, n, h), max_magnitude=2.0))
    causal = data.draw(st.booleans())
    ref = np.asarray(nn_ops.dot_product_attention.generic(
        q.astype(np.float64), k.astype(np.float64), v.astype(np.float64), is_causal=causal))
    res = run_everywhere(nn_ops.dot_product_attention, q, k, v, frameworks=_fws(),
                         is_causal=causal)
    assert_all_close(res, ref, "float32", rtol=1e-4, atol=1e-5)


@given(x=float_arrays(shapes=shapes(2, 3, 1, 5), max_magnitude=10.0))
def test_normalization_agrees(x):
    ref = np.asarray(nn_ops.layer_normalization.generic(x.astype(np.float64), epsilon=1e-3))
    res = run_everywhere(nn_ops.layer_normalization, x, frameworks=_fws(), epsilon=1e-3)
    assert_all_close(res, ref, x.dtype, rtol=1e-4, atol=1e-4)
    ref = tuple(np.asarray(a) for a in nn_ops.moments.generic(x.astype(np.float64), (0,)))
    assert_all_close(run_everywhere(nn_ops.moments, x, (0,), frameworks=_fws()), ref, x.dtype,
                     rtol=1e-4, atol=1e-4)


@given(x=arrays("float32", shapes(1, 2, 1, 6), max_magnitude=100.0, unique=True), data=st.data())
def test_top_k_agrees(x, data):
    k = data.draw(st.integers(0, x.shape[-1]))
    vals = np.sort(x, axis=-1)[..., ::-1][..., :k]
    idx = np.argsort(-x, axis=-1, kind="stable")[..., :k]
    assert_all_close(run_everywhere(nn_ops.top_k, x, k, frameworks=_fws()),
                     (vals, idx.astype(np.int64)), "float32")


@st.composite
def ctc_problems(draw, max_batch=3, max_time=6, max_classes=4, max_labels=3):
    """(logits float64, target, target_length, output_length, mask_index) with every
    sample alignable (output_length >= labels + adjacent repeats): labels avoid the blank,
    padding past target_length is arbitrary."""
    b = draw(st.integers(1, max_batch))
    t = draw(st.integers(1, max_time))
    c = draw(st.integers(2, max_classes))
    lmax = draw(st.integers(1, max_labels))
    blank = draw(st.integers(0, c - 1))
    labels = [x for x in range(c) if x != blank]
    logits = draw(arrays("float64", (b, t, c), max_magnitude=4.0))
    target = np.zeros((b, lmax), np.int32)
    tl, ol = np.zeros(b, np.int32), np.zeros(b, np.int32)
    for i in range(b):
        n = draw(st.integers(0, lmax))
        seq = draw(st.lists(st.sampled_from(labels), min_size=n, max_size=n))
        while len(seq) + sum(a == b_ for a, b_ in zip(seq, seq[1:])) > t:
            seq = seq[:-1]
        target[i, :len(seq)] = seq
        target[i, len(seq):] = draw(st.integers(0, c - 1))
        tl[i] = len(seq)
        need = len(seq) + sum(a == b_ for a, b_ in zip(seq, seq[1:]))
        ol[i] = draw(st.integers(need, t))
    return logits, target, tl, ol, blank


@given(problem=ctc_problems())
def test_ctc_loss_agrees(problem):
    logits, target, tl, ol, blank = problem
    ref = np.asarray(nn_ops.ctc_loss.generic(target, logits, tl, ol, mask_index=blank))
    res = run_everywhere(nn_ops.ctc_loss, target, logits.astype(np.float32), tl, ol,
                         frameworks=_fws(), mask_index=blank)
    assert_all_close(res, ref, "float32", rtol=1e-5, atol=1e-5)


@given(problem=ctc_problems())
def test_ctc_loss_gradients(problem):
    """jax (lax.scan), torch (F.ctc_loss), tensorflow (tf.nn.ctc_loss) against float64
    finite differences of the generic recursion on NumPy."""
    logits, target, tl, ol, blank = problem

    def f(x, target, tl, ol):
        return nn_ops.ctc_loss(target, x, tl, ol, mask_index=blank)

    grads = grad_everywhere(f, logits.astype(np.float32), target, tl, ol)
    assert_all_close(grads, finite_difference_grad(f, logits, target, tl, ol), "float32",
                     rtol=1e-4, atol=1e-5)
