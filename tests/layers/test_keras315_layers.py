"""Layers new in Keras 3.1x: adaptive pooling, ReversibleEmbedding, SpectralNormalization,
GroupQueryAttention, ConvLSTM1D/2D/3D. Their numerics against Keras 3 itself on every
framework are in property_tests/test_every_layer.py (cases in layer_cases.py); here: a
NumPy reference where it is short, graph use, configs and errors, on every framework."""

from __future__ import annotations

import numpy as np
import pytest

import unikeras as keras
from unikeras import layers

rng = np.random.default_rng(3)


def _np_adaptive(x, out, reduce):
    """Loops over the windows [floor(i*L/o), ceil((i+1)*L/o)) of a channels-last array."""
    spatial = x.shape[1:-1]
    y = np.zeros((x.shape[0], *out, x.shape[-1]))
    for idx in np.ndindex(*out):
        sl = tuple(slice((i * n) // o, -((-(i + 1) * n) // o))
                   for i, n, o in zip(idx, spatial, out))
        y[(slice(None), *idx)] = reduce(x[(slice(None), *sl)], axis=tuple(range(1, 1 + len(out))))
    return y


@pytest.mark.parametrize("rank, size, out", [(1, (7,), 3), (2, (5, 7), (2, 4)),
                                             (3, (3, 5, 4), (2, 2, 3))])
@pytest.mark.parametrize("kind, reduce", [("Average", np.mean), ("Max", np.max)])
def test_adaptive_pooling(any_framework, to_fw, to_np, rank, size, out, kind, reduce):
    cls = getattr(layers, f"Adaptive{kind}Pooling{rank}D")
    x = rng.standard_normal((2, *size, 3)).astype("float32")
    outs = (out,) * rank if isinstance(out, int) else out
    want = _np_adaptive(x, outs, reduce)
    layer = cls(out)
    np.testing.assert_allclose(to_np(layer(to_fw(x, any_framework))), want, rtol=1e-5,
                               atol=1e-6)
    first = cls(out, data_format="channels_first")
    got = to_np(first(to_fw(np.moveaxis(x, -1, 1), any_framework)))
    np.testing.assert_allclose(got, np.moveaxis(want, -1, 1), rtol=1e-5, atol=1e-6)
    # symbolic use and config round trip
    inp = keras.Input((None,) * rank + (3,))
    assert layer(inp).shape == (None, *outs, 3)
    again = cls.from_config(layer.get_config())
    assert again.output_size == outs and again.data_format == "channels_last"


def test_adaptive_pooling_errors():
    with pytest.raises(TypeError, match=r"\(height, width\) tuple"):
        layers.AdaptiveMaxPooling2D((2, 2, 2))
    with pytest.raises(ValueError, match="AdaptiveAveragePooling1D.*ndim=3"):
        layers.AdaptiveAveragePooling1D(2)(np.ones((2, 3), "float32"))


@pytest.mark.parametrize("tie", [True, False])
def test_reversible_embedding(framework, to_fw, to_np, tie, tmp_path):
    layer = layers.ReversibleEmbedding(6, 4, tie_weights=tie, mask_zero=True,
                                       logit_soft_cap=3.0)
    ids = np.array([[1, 0, 5], [2, 3, 0]], "int32")
    emb = layer(to_fw(ids, framework))
    table = to_np(layer.embeddings)
    np.testing.assert_allclose(to_np(emb), table[ids], rtol=1e-6)
    assert [w.name for w in layer.weights] == (
        ["embeddings"] if tie else ["embeddings", "reverse_embeddings"])
    h = rng.standard_normal((2, 3, 4)).astype("float32")
    kernel = table.T if tie else to_np(layer.reverse_embeddings)
    logits = to_np(layer(to_fw(h, framework), reverse=True))
    np.testing.assert_allclose(logits, np.tanh(h @ kernel / 3.0) * 3.0, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(to_np(layer.compute_mask(to_fw(ids, framework))), ids != 0)
    assert layer.compute_mask(to_fw(h, framework)) is None
    # symbolic use in both directions, and a .keras round trip
    tokens = keras.Input((3,), dtype="int32")
    hidden = layer(tokens)
    assert hidden.shape == (None, 3, 4)
    out = layer(hidden, reverse=True)
    assert out.shape == (None, 3, 6)
    model = keras.Model(tokens, out)
    path = str(tmp_path / "rev.keras")
    model.save(path)
    again = keras.saving.load_model(path)
    np.testing.assert_allclose(to_np(again(to_fw(ids, framework))),
                               to_np(model(to_fw(ids, framework))), rtol=1e-6)
    cfg = again.layers[1].get_config()
    assert (cfg["tie_weights"], cfg["logit_soft_cap"], cfg["reverse_dtype"]) == (tie, 3.0, None)


def _np_spectral(kernel, u, iters, eps=1e-7):
    w = kernel.reshape(-1, kernel.shape[-1]).astype(np.float64)
    u = u.astype(np.float64)

    def norm(x):
        return x * min(1 / np.sqrt((x * x).sum()), 1 / eps)

    for _ in range(iters):
        v = norm(u @ w.T)
        u = norm(v @ w)
    sigma = (v @ w @ u.T)[0, 0]
    return u, kernel / sigma


@pytest.mark.parametrize("iters", [1, 3])
def test_spectral_normalization_training_call(framework, to_fw, to_np, iters):
    layer = layers.SpectralNormalization(layers.Dense(3), power_iterations=iters)
    x = rng.standard_normal((4, 5)).astype("float32")
    layer(to_fw(x, framework))  # build; inference leaves the kernel alone
    kernel0, u0 = to_np(layer.layer.kernel).copy(), to_np(layer.vector_u).copy()
    assert [w.name for w in layer.weights] == ["kernel", "vector_u", "bias"]
    assert u0.shape == (1, 3) and not layer.vector_u.trainable
    y = layer(to_fw(x, framework), training=True)
    want_u, want_kernel = _np_spectral(kernel0, u0, iters)
    np.testing.assert_allclose(to_np(layer.vector_u), want_u, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(to_np(layer.layer.kernel), want_kernel, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(to_np(y), x @ want_kernel + to_np(layer.layer.bias),
                               rtol=1e-4, atol=1e-5)
    for _ in range(20):  # power iteration converges: largest singular value -> 1
        layer(to_fw(x, framework), training=True)
    assert abs(np.linalg.svd(to_np(layer.layer.kernel), compute_uv=False)[0] - 1) < 1e-3


def test_spectral_normalization_in_fit_and_config(framework, to_fw, to_np):
    model = keras.Sequential([keras.Input((4,)),
                              layers.SpectralNormalization(layers.Dense(2)),
                              layers.Dense(1)])
    model.compile("sgd", "mse")
    sn = model.layers[0]
    u0 = to_np(sn.vector_u).copy()
    x = to_fw(rng.standard_normal((8, 4)).astype("float32"), framework)
    model.fit(x, to_fw(np.zeros((8, 1), "float32"), framework), batch_size=4, epochs=1,
              verbose=0)
    assert not np.allclose(to_np(sn.vector_u), u0)  # the non-trainable state moved
    cfg = sn.get_config()
    again = layers.SpectralNormalization.from_config(cfg)
    assert again.power_iterations == 1 and isinstance(again.layer, layers.Dense)
    with pytest.raises(ValueError, match="greater than zero"):
        layers.SpectralNormalization(layers.Dense(2), power_iterations=0)
    with pytest.raises(ValueError, match="nor 'embeddings'"):
        layers.SpectralNormalization(layers.ReLU())(to_fw(np.ones((1, 2), "float32"),
                                                          framework))


def _np_conv1d_same_or_valid(x, k, padding):
    """(B, L, Cin) * (K, Cin, Cout), stride 1; "same" pads the end more (Keras)."""
    ksz = k.shape[0]
    if padding == "same":
        total = ksz - 1
        x = np.pad(x, ((0, 0), (total // 2, total - total // 2), (0, 0)))
    n = x.shape[1] - ksz + 1
    return np.stack([np.einsum("bkc,kco->bo", x[:, i:i + ksz], k) for i in range(n)], 1)


def _np_conv_lstm1d(x, kernel, rkernel, bias, padding):
    f = rkernel.shape[-1] // 4
    sig = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    out_len = x.shape[2] if padding == "same" else x.shape[2] - kernel.shape[0] + 1
    h = np.zeros((x.shape[0], out_len, f))
    c = np.zeros_like(h)
    seq = []
    for t in range(x.shape[1]):
        z = (_np_conv1d_same_or_valid(x[:, t], kernel, padding)
             + _np_conv1d_same_or_valid(h, rkernel, "same") + bias)
        i, fg, g, o = (z[..., j * f:(j + 1) * f] for j in range(4))
        c = sig(fg) * c + sig(i) * np.tanh(g)
        h = sig(o) * np.tanh(c)
        seq.append(h)
    return np.stack(seq, 1), h, c


@pytest.mark.parametrize("padding", ["valid", "same"])
def test_conv_lstm1d_against_numpy(framework, to_fw, to_np, padding):
    layer = layers.ConvLSTM1D(3, 2, padding=padding, return_sequences=True,
                              return_state=True)
    x = rng.standard_normal((2, 4, 5, 2)).astype("float32")
    seq, h, c = layer(to_fw(x, framework))
    kernel, rkernel, bias = (to_np(w) for w in layer.weights)
    assert kernel.shape == (2, 2, 12) and rkernel.shape == (2, 3, 12) and bias.shape == (12,)
    np.testing.assert_array_equal(bias, np.r_[np.zeros(3), np.ones(3), np.zeros(6)])
    bias = rng.standard_normal(12).astype("float32")
    layer.set_weights([kernel, rkernel, bias])
    seq, h, c = layer(to_fw(x, framework))
    want_seq, want_h, want_c = _np_conv_lstm1d(x.astype(np.float64), kernel, rkernel, bias,
                                               padding)
    np.testing.assert_allclose(to_np(seq), want_seq, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(to_np(h), want_h, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(to_np(c), want_c, rtol=1e-4, atol=1e-5)


def test_conv_lstm2d_graph_config_fit_and_dropout(framework, to_fw, to_np):
    inp = keras.Input((3, 5, 5, 2))
    out = layers.ConvLSTM2D(2, 3, padding="same", return_sequences=False, dropout=0.2,
                            recurrent_dropout=0.2, seed=1)(inp)
    assert out.shape == (None, 5, 5, 2)
    model = keras.Model(inp, layers.Dense(1)(layers.Flatten()(out)))
    model.compile("sgd", "mse")
    x = to_fw(rng.standard_normal((4, 3, 5, 5, 2)).astype("float32"), framework)
    before = [to_np(w).copy() for w in model.weights]
    model.fit(x, to_fw(np.zeros((4, 1), "float32"), framework), epochs=1, verbose=0)
    assert any(not np.allclose(a, to_np(w)) for a, w in zip(before, model.weights))
    y1, y2 = model(x), model(x)  # inference: no dropout, deterministic
    np.testing.assert_array_equal(to_np(y1), to_np(y2))
    conv = model.layers[1]
    cfg = conv.get_config()
    assert (cfg["filters"], cfg["kernel_size"], cfg["padding"], cfg["dropout"]) == (
        2, (3, 3), "same", 0.2)
    again = layers.ConvLSTM2D.from_config(cfg)
    assert again.filters == 2 and again.return_sequences is False
    s3 = layers.ConvLSTM3D(1, 2, return_state=True)(keras.Input((2, 3, 4, 4, 1)))
    assert [t.shape for t in s3] == [(None, 2, 3, 3, 1)] * 3
    with pytest.raises(ValueError, match="static input shapes"):
        layers.ConvLSTM1D(1, 2)(keras.Input((3, None, 2)))


@pytest.mark.parametrize("kv_heads", [1, 2])
def test_group_query_attention_against_numpy(framework, to_fw, to_np, kv_heads):
    layer = layers.GroupQueryAttention(head_dim=2, num_query_heads=4,
                                       num_key_value_heads=kv_heads, use_gate=True,
                                       sliding_window=2)
    q = rng.standard_normal((2, 3, 5)).astype("float32")
    v = rng.standard_normal((2, 4, 5)).astype("float32")
    fused = layer(to_fw(q, framework), to_fw(v, framework), use_causal_mask=True)
    out, scores = layer(to_fw(q, framework), to_fw(v, framework), use_causal_mask=True,
                        return_attention_scores=True)
    names = [w.path for w in layer.weights]
    assert names == ["query/kernel", "query/bias", "key/kernel", "key/bias", "gate/kernel",
                     "gate/bias", "value/kernel", "value/bias", "attention_output/kernel",
                     "attention_output/bias"]
    wq, bq, wk, bk, wg, bg, wv, bv, wo, bo = (to_np(w).astype(np.float64)
                                              for w in layer.weights)
    qh = np.einsum("btd,dnh->btnh", q, wq) + bq
    kh = np.repeat(np.einsum("bsd,dnh->bsnh", v, wk) + bk, 4 // kv_heads, axis=2)
    vh = np.repeat(np.einsum("bsd,dnh->bsnh", v, wv) + bv, 4 // kv_heads, axis=2)
    logits = np.einsum("btnh,bsnh->bnts", qh, kh) / np.sqrt(2.0)
    t, s = np.arange(3)[:, None], np.arange(4)[None, :]
    allowed = (t >= s) & (np.abs(t - s) < 2)
    logits = np.where(allowed, logits, -1e9)
    probs = np.exp(logits - logits.max(-1, keepdims=True))
    probs /= probs.sum(-1, keepdims=True)
    att = np.einsum("bnts,bsnh->btnh", probs, vh)
    gate = 1 / (1 + np.exp(-(np.einsum("btd,dnh->btnh", q, wg) + bg)))
    want = np.einsum("btnh,nhd->btd", att * gate, wo) + bo
    np.testing.assert_allclose(to_np(out), want, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(to_np(fused), want, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(to_np(scores), probs, rtol=1e-4, atol=1e-6)
    sym = layer(keras.Input((3, 5)), keras.Input((4, 5)), return_attention_scores=True)
    assert sym[0].shape == (None, 3, 5) and sym[1].shape == (None, 4, 3, 4)
    again = layers.GroupQueryAttention.from_config(layer.get_config())
    assert (again.num_key_value_heads, again.use_gate, again.sliding_window) == (
        kv_heads, True, 2)
    assert type(layer).__name__ == "GroupedQueryAttention"  # Keras' class name in files
    with pytest.raises(ValueError, match="divisible"):
        layers.GroupQueryAttention(2, 4, 3)
