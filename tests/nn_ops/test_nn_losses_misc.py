"""Cross-entropies, normalization, one_hot, attention, top_k against NumPy references."""

from __future__ import annotations

import numpy as np
import pytest

from unikeras import nn_ops

RNG = np.random.default_rng(1)
EPS = 1e-7


def _log_softmax(x, axis=-1):
    m = x.max(axis, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis, keepdims=True))


@pytest.mark.parametrize("axis", [-1, 1])
def test_crossentropies(axis, any_framework, fw_array, np_of, generic):
    logits = RNG.normal(size=(4, 5, 3)) * 2  # no probability near the clip
    labels = RNG.integers(0, logits.shape[axis], size=(4, 3) if axis == 1 else (4, 5))
    onehot = np.moveaxis(np.eye(logits.shape[axis])[labels], -1, axis)
    ref = -(onehot * _log_softmax(logits, axis)).sum(axis)
    probs = np.exp(_log_softmax(logits, axis))
    ref_p = -(onehot * np.log(np.clip(probs, EPS, 1 - EPS))).sum(axis)
    L, P, T, I = (fw_array(a, any_framework) for a in (logits, probs, onehot, labels))
    for op, tgt in ((nn_ops.categorical_crossentropy, T), (nn_ops.sparse_categorical_crossentropy, I)):
        np.testing.assert_allclose(np_of(op(tgt, L, from_logits=True, axis=axis)), ref, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(np_of(op(tgt, P, axis=axis)), ref_p, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(np_of(generic(op, any_framework, tgt, L, True, axis)), ref, rtol=1e-5, atol=1e-6)
    t = RNG.random((4, 5))
    z = RNG.normal(size=(4, 5)) * 30
    ref_b = np.maximum(z, 0) - z * t + np.log1p(np.exp(-np.abs(z)))
    np.testing.assert_allclose(np_of(nn_ops.binary_crossentropy(fw_array(t, any_framework), fw_array(z, any_framework), from_logits=True)), ref_b, rtol=1e-5, atol=1e-6)
    z = z / 10  # probabilities away from the clip (1 - 1e-7 rounds in float32)
    p = np.clip(1 / (1 + np.exp(-z)), EPS, 1 - EPS)
    np.testing.assert_allclose(np_of(nn_ops.binary_crossentropy(fw_array(t, any_framework), fw_array(1 / (1 + np.exp(-z)), any_framework))),
                               -(t * np.log(p) + (1 - t) * np.log(1 - p)), rtol=1e-5, atol=1e-6)


def test_sparse_out_of_range_ids_give_zero(any_framework, fw_array, np_of):
    logits = fw_array(RNG.normal(size=(3, 4)), any_framework)
    ids = fw_array(np.array([0, 7, -1]), any_framework)
    out = np_of(nn_ops.sparse_categorical_crossentropy(ids, logits, from_logits=True))
    assert out[1] == 0 and out[2] == 0 and out[0] > 0


def test_loss_errors(any_framework, fw_array):
    a = lambda v: fw_array(v, any_framework)  # noqa: E731
    with pytest.raises(ValueError, match=r"categorical_crossentropy: .*same shape.*target.shape=\(2, 3\).*output.shape=\(2, 4\)"):
        nn_ops.categorical_crossentropy(a(np.ones((2, 3))), a(np.ones((2, 4))))
    with pytest.raises(ValueError, match=r"sparse_categorical_crossentropy: .*expected target.shape=\(2,\).*received target.shape=\(3,\)"):
        nn_ops.sparse_categorical_crossentropy(a(np.zeros(3, dtype="int64")), a(np.ones((2, 4))))


def test_label_smoothing():
    y = np.eye(4)[[0, 3]]
    np.testing.assert_allclose(nn_ops.label_smoothing(y, 0.2), y * 0.8 + 0.05)
    np.testing.assert_allclose(nn_ops.label_smoothing(y, 0.2, binary=True), y * 0.8 + 0.1)
    assert nn_ops.label_smoothing(y, 0.0) is y


def test_normalizations(any_framework, fw_array, np_of, generic):
    x = RNG.normal(size=(4, 3, 5)) * 3 + 1
    xf = fw_array(x, any_framework)
    mean, var = (np_of(v) for v in nn_ops.moments(xf, axes=(0, 1)))
    np.testing.assert_allclose(mean, x.mean((0, 1)), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(var, x.var((0, 1)), rtol=1e-5, atol=1e-6)
    m2, _ = nn_ops.moments(xf, axes=[0, 1], keepdims=True)
    assert np_of(m2).shape == (1, 1, 5)
    g, b = RNG.normal(size=5), RNG.normal(size=5)
    bn = np_of(nn_ops.batch_normalization(xf, fw_array(x.mean((0, 1)), any_framework), fw_array(x.var((0, 1)), any_framework), -1, fw_array(b, any_framework), fw_array(g, any_framework), 1e-3))
    np.testing.assert_allclose(bn, (x - x.mean((0, 1))) / np.sqrt(x.var((0, 1)) + 1e-3) * g + b, rtol=1e-5, atol=1e-5)
    ln = np_of(nn_ops.layer_normalization(xf, fw_array(g, any_framework), fw_array(b, any_framework), epsilon=1e-5))
    ref = (x - x.mean(-1, keepdims=True)) / np.sqrt(x.var(-1, keepdims=True) + 1e-5) * g + b
    np.testing.assert_allclose(ln, ref, rtol=1e-5, atol=1e-5)
    rms = np_of(nn_ops.rms_normalization(xf, fw_array(g, any_framework), epsilon=1e-6))
    np.testing.assert_allclose(rms, x / np.sqrt((x * x).mean(-1, keepdims=True) + 1e-6) * g, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(np_of(generic(nn_ops.rms_normalization, any_framework, xf, fw_array(g, any_framework), -1, 1e-6)), rms, rtol=1e-5, atol=1e-5)


def test_one_hot_multi_hot(any_framework, fw_array, np_of):
    ids = np.array([[0, 2], [3, -1]])
    oh = np_of(nn_ops.one_hot(fw_array(ids, any_framework), 3))
    assert oh.dtype == np.float32 and oh.shape == (2, 2, 3)
    np.testing.assert_array_equal(oh[1], [[0, 0, 0], [0, 0, 0]])
    np.testing.assert_array_equal(oh[0], [[1, 0, 0], [0, 0, 1]])
    oh0 = np_of(nn_ops.one_hot(fw_array(ids, any_framework), 3, axis=0))
    assert oh0.shape == (3, 2, 2)
    mh = np_of(nn_ops.multi_hot(fw_array(ids, any_framework), 4))
    np.testing.assert_array_equal(mh, [[1, 0, 1, 0], [0, 0, 0, 1]])


def _attention_ref(q, k, v, bias, mask, causal, scale=None):
    n, nk = q.shape[2], k.shape[2]
    k = np.repeat(k, n // nk, axis=2)
    v = np.repeat(v, n // nk, axis=2)
    logits = np.einsum("btnh,bsnh->bnts", q, k) * (scale or 1 / np.sqrt(q.shape[-1]))
    if bias is not None:
        logits = logits + bias
    keep = np.ones(logits.shape, bool)
    if mask is not None:
        keep &= mask
    if causal:
        keep &= np.tril(np.ones(logits.shape[-2:], bool))
    logits = np.where(keep, logits, -0.7 * np.finfo(logits.dtype).max)
    p = np.exp(_log_softmax(logits))
    return np.einsum("bnts,bsnh->btnh", p, v)


@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("heads_kv", [4, 2])
def test_dot_product_attention(causal, heads_kv, any_framework, fw_array, np_of, generic):
    q = RNG.normal(size=(2, 5, 4, 3)).astype("float32")
    k = RNG.normal(size=(2, 6, heads_kv, 3)).astype("float32")
    v = RNG.normal(size=(2, 6, heads_kv, 3)).astype("float32")
    bias = RNG.normal(size=(1, 4, 5, 6)).astype("float32")
    mask = RNG.random((2, 1, 5, 6)) > 0.3
    ref = _attention_ref(q, k, v, bias, mask, causal)
    args = [fw_array(a, any_framework) for a in (q, k, v, bias, mask)]
    np.testing.assert_allclose(np_of(nn_ops.dot_product_attention(*args, is_causal=causal)), ref, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(np_of(generic(nn_ops.dot_product_attention, any_framework, *args, is_causal=causal)), ref, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("t,s", [(5, 5), (5, 7), (6, 4)])
def test_dot_product_attention_unmasked_and_causal_only(t, s, any_framework, fw_array, np_of,
                                                        generic):
    """No mask, no bias: torch passes is_causal to SDPA itself (no [T, S] mask built),
    jax to jax.nn's kernel; both agree with the generic path and NumPy, non-square causal
    masks included (top-left aligned, as Keras), with a custom scale."""
    q = RNG.normal(size=(2, t, 2, 4)).astype("float32")
    k = RNG.normal(size=(2, s, 2, 4)).astype("float32")
    v = RNG.normal(size=(2, s, 2, 4)).astype("float32")
    args = [fw_array(a, any_framework) for a in (q, k, v)]
    for causal in (False, True):
        ref = _attention_ref(q, k, v, None, None, causal, scale=0.3)
        got = nn_ops.dot_product_attention(*args, scale=0.3, is_causal=causal)
        np.testing.assert_allclose(np_of(got), ref, rtol=1e-4, atol=1e-5)
        gen = generic(nn_ops.dot_product_attention, any_framework, *args, scale=0.3,
                      is_causal=causal)
        np.testing.assert_allclose(np_of(gen), ref, rtol=1e-4, atol=1e-5)


def test_top_k_in_top_k(any_framework, fw_array, np_of, generic):
    x = RNG.permutation(24).reshape(4, 6).astype("float32")
    vals, idx = nn_ops.top_k(fw_array(x, any_framework), 3)
    np.testing.assert_array_equal(np_of(vals), -np.sort(-x)[:, :3])
    np.testing.assert_array_equal(np_of(idx), np.argsort(-x)[:, :3])
    targets = np.array([np.argmax(x[0]), np.argmin(x[1]), np.argsort(-x[2])[2], 9])
    got = np_of(nn_ops.in_top_k(fw_array(targets, any_framework), fw_array(x, any_framework), 3))
    np.testing.assert_array_equal(got, [True, False, True, False])
    with pytest.raises(ValueError, match=r"top_k: k must be in \[0, 6\].*received k=7"):
        nn_ops.top_k(fw_array(x, any_framework), 7)


@pytest.mark.parametrize("shape", [(5, 3), (4,), (2, 3, 4)])
def test_dense_and_mse_mean(shape, any_framework, fw_array, np_of, generic):
    """The fused Dense product and the unweighted MSE batch mean against NumPy, fast
    path and generic version (torch: addmm / mse_loss)."""
    x = RNG.normal(size=(shape[0], 6) if len(shape) == 1 else shape[:-1] + (6,))
    x, k, b = x.astype("float32"), RNG.normal(size=(6, 3)).astype("float32"), \
        RNG.normal(size=(3,)).astype("float32")
    X, K, B = (fw_array(a, any_framework) for a in (x, k, b))
    for args, ref in (((X, K, B), x @ k + b), ((X, K), x @ k)):
        np.testing.assert_allclose(np_of(nn_ops.dense(*args)), ref, rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(np_of(generic(nn_ops.dense, any_framework, *args)), ref,
                                   rtol=1e-5, atol=1e-5)
    t, p = RNG.normal(size=shape).astype("float32"), RNG.normal(size=shape).astype("float32")
    T, P = fw_array(t, any_framework), fw_array(p, any_framework)
    ref = np.mean((p - t) ** 2)
    np.testing.assert_allclose(np_of(nn_ops.mean_squared_error_mean(T, P)), ref, rtol=1e-6)
    np.testing.assert_allclose(np_of(generic(nn_ops.mean_squared_error_mean, any_framework, T, P)),
                               ref, rtol=1e-6)


@pytest.mark.parametrize("from_logits", [True, False])
def test_sparse_crossentropy_mean(from_logits, any_framework, fw_array, np_of, generic):
    """The batch mean of sparse cross-entropy against NumPy, fast path (torch, logits:
    one cross_entropy) and generic version, for int32 and int64 ids."""
    logits = RNG.normal(size=(6, 4)) * 2
    labels = RNG.integers(0, 4, size=6)
    logp = _log_softmax(logits)
    probs = np.exp(logp)
    out = logits if from_logits else probs
    ref = -logp[np.arange(6), labels].mean()
    O = fw_array(out.astype("float32"), any_framework)
    for dt in ("int32", "int64"):
        I = fw_array(labels.astype(dt), any_framework)
        for got in (nn_ops.sparse_categorical_crossentropy_mean(I, O, from_logits=from_logits),
                    generic(nn_ops.sparse_categorical_crossentropy_mean, any_framework, I, O,
                            from_logits=from_logits)):
            np.testing.assert_allclose(np_of(got), ref, rtol=1e-5)


def test_embedding_lookup(any_framework, fw_array, np_of, generic):
    """Rows at integer ids of any shape, negative ids from the end (Keras' take): fast
    path (torch: F.embedding) and generic version against NumPy; on torch the table's
    gradient (repeated ids summed) is the generic gather's bit for bit."""
    table = RNG.normal(size=(9, 4)).astype("float32")
    ids = np.array([[0, 8, -1, 3], [3, 3, -9, 2]])
    ref = table[ids]
    T = fw_array(table, any_framework)
    for dt in ("int32", "int64"):
        I = fw_array(ids.astype(dt), any_framework)
        np.testing.assert_array_equal(np_of(nn_ops.embedding_lookup(T, I)), ref)
        np.testing.assert_array_equal(np_of(generic(nn_ops.embedding_lookup, any_framework, T, I)), ref)
    if any_framework == "torch":
        import torch

        g = torch.tensor(RNG.normal(size=ids.shape + (4,)).astype("float32"))
        grads = []
        for fn in (nn_ops.embedding_lookup, nn_ops.embedding_lookup.generic):
            t = torch.tensor(table, requires_grad=True)
            fn(t, torch.tensor(ids)).backward(g)
            grads.append(t.grad)
        torch.testing.assert_close(grads[0], grads[1], rtol=0, atol=0)
        assert grads[0][3].abs().sum() > 0  # (id 3 three times, -9 is id 0)


@pytest.mark.parametrize("shape,axis", [((6, 4, 4, 3), -1), ((6, 3, 4, 4), 1), ((5, 3), -1),
                                        ((1, 3), -1)])
def test_batch_norm_training(shape, axis, any_framework, fw_array, np_of, generic):
    """Output and batch statistics (biased variance) against NumPy, fast path (torch:
    F.batch_norm, its statistics from the kernel's running buffers) and generic version;
    one value per channel ((1, 3): torch's unbiased variance is undefined there) keeps the
    generic path. On torch the input, scale and offset gradients equal the generic
    version's."""
    x = (RNG.normal(size=shape) * 2 + 1).astype("float32")
    c = shape[axis]
    scale, offset = (RNG.normal(size=(c,)).astype("float32") for _ in range(2))
    red = tuple(i for i in range(len(shape)) if i != axis % len(shape))
    bshape = [1] * len(shape)
    bshape[axis] = c
    mean, var = x.mean(red), x.var(red)
    ref = ((x - mean.reshape(bshape)) / np.sqrt(var.reshape(bshape) + 1e-3) * scale.reshape(bshape)
           + offset.reshape(bshape))
    args = [fw_array(a, any_framework) for a in (x, scale, offset)]
    for out in (nn_ops.batch_norm_training(args[0], axis, args[1], args[2], 1e-3),
                generic(nn_ops.batch_norm_training, any_framework, args[0], axis, args[1],
                        args[2], 1e-3)):
        for got, want in zip(out, (ref, mean, var)):
            np.testing.assert_allclose(np_of(got), want, rtol=2e-5, atol=2e-5)
    if any_framework == "torch":
        import torch

        g = torch.tensor(RNG.normal(size=shape).astype("float32"))
        grads = []
        for fn in (nn_ops.batch_norm_training, nn_ops.batch_norm_training.generic):
            ts = [torch.tensor(a, requires_grad=True) for a in (x, scale, offset)]
            fn(ts[0], axis, ts[1], ts[2], 1e-3)[0].backward(g)
            grads.append([t.grad for t in ts])
        for a, b in zip(*grads):
            torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)
