"""Recurrent layers: numerics vs torch.nn.LSTM/GRU/RNN (copied weights) and vs Keras 3
(set_weights(keras_layer.get_weights())), masking, go_backwards, return_state,
initial_state, dropout, configs, errors, array_api_strict, and a small fit."""

from __future__ import annotations

import numpy as np
import pytest

from unikeras.layers.rnn import (GRU, LSTM, RNN, GRUCell, LSTMCell, SimpleRNN,
                                 SimpleRNNCell, StackedRNNCells)
from unikeras.xp import asarray, framework_of, set_default_framework

RNG = np.random.default_rng(1234)
X = RNG.standard_normal((3, 6, 4)).astype("float32")
# Right-padded, left-padded and a hole in the middle.
MASK = np.array([[1, 1, 1, 1, 0, 0], [0, 0, 1, 1, 1, 1], [1, 1, 0, 1, 1, 1]], dtype=bool)


def _random_weights(layer):
    """Non-trivial values for every weight (biases included)."""
    ws = [RNG.uniform(-0.6, 0.6, w.shape).astype("float32") for w in layer.get_weights()]
    layer.set_weights(ws)
    return ws


# --------------------------------------------------------------------------- torch refs
def _torch_ref(kind, x, ws, units):
    import torch

    x_t = torch.from_numpy(x)
    feat = x.shape[-1]
    kernel, rk, bias = ws
    if kind == "lstm":
        # Keras gates i, f, c, o == torch gates i, f, g, o.
        m = torch.nn.LSTM(feat, units, batch_first=True)
        ih, hh, b_ih, b_hh = kernel.T, rk.T, bias, np.zeros_like(bias)
    elif kind == "gru":
        # Keras gates z, r, h; torch r, z, n (reset_after == torch's GRU).
        perm = np.concatenate([np.arange(units, 2 * units), np.arange(units),
                               np.arange(2 * units, 3 * units)])
        m = torch.nn.GRU(feat, units, batch_first=True)
        ih, hh, b_ih, b_hh = kernel[:, perm].T, rk[:, perm].T, bias[0][perm], bias[1][perm]
    else:
        m = torch.nn.RNN(feat, units, batch_first=True, nonlinearity="tanh")
        ih, hh, b_ih, b_hh = kernel.T, rk.T, bias, np.zeros_like(bias)
    with torch.no_grad():
        for p, v in ((m.weight_ih_l0, ih), (m.weight_hh_l0, hh), (m.bias_ih_l0, b_ih),
                     (m.bias_hh_l0, b_hh)):
            p.copy_(torch.from_numpy(np.ascontiguousarray(v)))
        out, st = m(x_t)
    if kind == "lstm":
        return out.numpy(), [st[0][0].numpy(), st[1][0].numpy()]
    return out.numpy(), [st[0].numpy()]


@pytest.mark.parametrize("kind", ["lstm", "gru", "simple"])
def test_matches_torch(any_framework, kind, fw_arr, np_out):
    cls = {"lstm": LSTM, "gru": GRU, "simple": SimpleRNN}[kind]
    layer = cls(5, return_sequences=True, return_state=True)
    out = layer(fw_arr(X, any_framework))
    assert framework_of(out[0]) == any_framework
    ws = _random_weights(layer)
    out = np_out(layer(fw_arr(X, any_framework)))
    ref_seq, ref_states = _torch_ref(kind, X, ws, 5)
    np.testing.assert_allclose(out[0], ref_seq, rtol=1e-5, atol=1e-5)
    for got, want in zip(out[1:], ref_states):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_weight_shapes_and_order():
    lstm, gru, gru0, simple = LSTM(5), GRU(5), GRU(5, reset_after=False), SimpleRNN(5)
    for layer in (lstm, gru, gru0, simple):
        layer.build((None, 6, 4))
    assert [w.shape for w in lstm.weights] == [(4, 20), (5, 20), (20,)]
    assert [w.shape for w in gru.weights] == [(4, 15), (5, 15), (2, 15)]
    assert [w.shape for w in gru0.weights] == [(4, 15), (5, 15), (15,)]
    assert [w.shape for w in simple.weights] == [(4, 5), (5, 5), (5,)]
    # unit_forget_bias: the forget block of the bias starts at one.
    b = lstm.get_weights()[2]
    np.testing.assert_array_equal(b[5:10], 1.0)
    np.testing.assert_array_equal(np.concatenate([b[:5], b[10:]]), 0.0)
    # Orthogonal recurrent initializer.
    rk = simple.get_weights()[1]
    np.testing.assert_allclose(rk @ rk.T, np.eye(5), atol=1e-5)


# --------------------------------------------------------------------------- vs Keras
_KERAS_CASES = {
    "lstm_mask_state": ("LSTM", dict(return_sequences=True, return_state=True), True, False),
    "lstm_backwards_mask": ("LSTM", dict(go_backwards=True, return_state=True), True, False),
    "gru_no_reset_after_mask": ("GRU", dict(reset_after=False, return_sequences=True), True,
                                False),
    "gru_backwards_seq": ("GRU", dict(go_backwards=True, return_sequences=True), False,
                          False),
    "simple_relu_mask": ("SimpleRNN", dict(activation="relu", return_sequences=True), True,
                         False),
    "lstm_initial_state": ("LSTM", dict(return_sequences=True), False, True),
    "gru_zero_output_mask": ("GRU", dict(return_sequences=True, zero_output_for_mask=True),
                             True, False),
}


@pytest.mark.parametrize("case", sorted(_KERAS_CASES))
def test_matches_keras(keras, any_framework, case, keras_np, fw_arr, np_out):
    name, kw, use_mask, use_init = _KERAS_CASES[case]
    kl = getattr(keras.layers, name)(5, **kw)
    ul = {"LSTM": LSTM, "GRU": GRU, "SimpleRNN": SimpleRNN}[name](5, **kw)
    call_kw, ucall_kw = {}, {}
    if use_mask:
        call_kw["mask"] = MASK
        ucall_kw["mask"] = fw_arr(MASK, any_framework)
    if use_init:
        init = [RNG.standard_normal((3, 5)).astype("float32") for _ in range(2)]
        call_kw["initial_state"] = init
        ucall_kw["initial_state"] = fw_arr(init, any_framework)
    kl(X, **call_kw)
    ul(fw_arr(X, any_framework), **ucall_kw)
    ws = [RNG.uniform(-0.6, 0.6, w.shape).astype("float32") for w in kl.get_weights()]
    kl.set_weights(ws)
    ul.set_weights(ws)
    want = keras_np(kl(X, **call_kw))
    got = np_out(ul(fw_arr(X, any_framework), **ucall_kw))
    if not isinstance(want, list):
        want, got = [want], [got]
    assert len(got) == len(want)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-5)


def test_stacked_cells_match_keras(keras, keras_np, np_out):
    kl = keras.layers.RNN([keras.layers.LSTMCell(4), keras.layers.GRUCell(3)],
                          return_sequences=True, return_state=True)
    ul = RNN([LSTMCell(4), GRUCell(3)], return_sequences=True, return_state=True)
    kl(X)
    ul(asarray(X, framework="torch"))
    assert [w.shape for w in ul.get_weights()] == [w.shape for w in kl.get_weights()]
    ws = [RNG.uniform(-0.5, 0.5, w.shape).astype("float32") for w in kl.get_weights()]
    kl.set_weights(ws)
    ul.set_weights(ws)
    want = keras_np(kl(X, mask=MASK))
    got = np_out(ul(asarray(X, framework="torch"), mask=asarray(MASK, framework="torch")))
    flat = lambda s: [a for o in s for a in (o if isinstance(o, list) else [o])]  # noqa: E731
    for g, w in zip(flat(got), flat(want)):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-5)


def test_masked_steps_carry_state(framework, fw_arr, np_out):
    layer = GRU(4, return_sequences=True, return_state=True)
    x = fw_arr(X, framework)
    seq, h = np_out(layer(x, mask=fw_arr(MASK, framework)))
    # Masked steps repeat the previous output; leading masked steps output the zero state.
    np.testing.assert_array_equal(seq[0, 4], seq[0, 3])
    np.testing.assert_array_equal(seq[0, 5], seq[0, 3])
    np.testing.assert_array_equal(seq[1, :2], 0.0)
    np.testing.assert_array_equal(seq[2, 2], seq[2, 1])
    np.testing.assert_array_equal(h[0], seq[0, 3])
    # A right-padded row gives the state of its unpadded prefix.
    short = np_out(layer(fw_arr(X[:1, :4], framework), mask=None))
    np.testing.assert_allclose(short[1][0], h[0], rtol=1e-6, atol=1e-6)


def test_mask_from_embedding(framework, fw_arr, np_out):
    from unikeras.layers import Embedding
    from unikeras.models import Sequential

    tokens = np.array([[3, 5, 2, 0, 0], [1, 4, 4, 2, 7]], dtype="int32")
    emb = Embedding(8, 4, mask_zero=True)
    lstm = LSTM(3)
    model = Sequential([emb, lstm])
    out = np_out(model(fw_arr(tokens, framework)))
    vectors = emb(fw_arr(tokens, framework))
    direct = np_out(lstm(vectors, mask=fw_arr(tokens != 0, framework)))
    np.testing.assert_allclose(out, direct, rtol=1e-6, atol=1e-6)
    prefix = np_out(lstm(vectors[:1, :3]))
    np.testing.assert_allclose(out[:1], prefix, rtol=1e-6, atol=1e-6)


def test_jax_scan_matches_eager(np_out):
    """Under jit, sequences of >= SCAN_MIN_STEPS steps run through lax.scan."""
    import jax

    from unikeras.layers.rnn import jax as jax_loop

    steps = jax_loop.SCAN_MIN_STEPS + 2
    x = asarray(RNG.standard_normal((2, steps, 3)).astype("float32"), framework="jax")
    mask = np.ones((2, steps), dtype=bool)
    mask[0, -5:] = False
    mask[1, :3] = False
    m = asarray(mask, framework="jax")
    for kw in (dict(return_sequences=True, return_state=True),
               dict(go_backwards=True, return_state=True)):
        layer = LSTM(4, **kw)
        eager = np_out(layer(x, mask=m))
        jitted = np_out(jax.jit(lambda mod, a, b: mod(a, mask=b))(layer, x, m))
        for e, j in zip(eager, jitted):
            np.testing.assert_allclose(j, e, rtol=1e-5, atol=1e-6)


# --------------------------------------------------------------------------- dropout
@pytest.mark.parametrize("cls", [LSTM, GRU, SimpleRNN])
def test_dropout(framework, cls, fw_arr, np_out):
    x = fw_arr(X, framework)
    layer = cls(4, dropout=0.5, recurrent_dropout=0.3, seed=7, return_sequences=True)
    twin = cls(4, dropout=0.5, recurrent_dropout=0.3, seed=7, return_sequences=True)
    plain = cls(4, return_sequences=True)
    for lay in (layer, twin, plain):
        lay.build((None, 6, 4))
    twin.set_weights(layer.get_weights())
    plain.set_weights(layer.get_weights())
    ref = np_out(plain(x))
    # plain may run a fused kernel (torch) and layer the generic loop: float32 rounding
    np.testing.assert_allclose(np_out(layer(x, training=False)), ref, rtol=1e-5, atol=1e-6)
    a = np_out(layer(x, training=True))
    assert np.all(np.isfinite(a))
    assert not np.allclose(a, ref)
    # Same seed, same weights: same masks; the seed generator advances between calls.
    np.testing.assert_allclose(np_out(twin(x, training=True)), a, rtol=1e-6)
    assert not np.allclose(np_out(layer(x, training=True)), a)


# --------------------------------------------------------------------------- config
def _same_output(a, b, np_out):
    set_default_framework("numpy")
    a(X)
    b(X)
    b.set_weights(a.get_weights())
    for x, y in zip(np_out(a(X)), np_out(b(X))):
        np.testing.assert_allclose(x, y, rtol=1e-6)


@pytest.mark.parametrize("make", [
    lambda: LSTM(3, return_sequences=True, go_backwards=True, unit_forget_bias=False,
                 kernel_regularizer="l2", dropout=0.1, seed=3),
    lambda: GRU(3, reset_after=False, activation="relu", return_state=True),
    lambda: SimpleRNN(3, use_bias=False, recurrent_initializer="glorot_uniform"),
    lambda: RNN(LSTMCell(3), return_sequences=True),
    lambda: RNN([SimpleRNNCell(2), GRUCell(3)], return_state=True),
])
def test_config_roundtrip(make, np_out):
    from unikeras.layers import deserialize, serialize

    layer = make()
    config = layer.get_config()
    clone = type(layer).from_config(config)
    assert clone.get_config() == config
    _same_output(layer, clone, np_out)
    again = deserialize(serialize(layer))
    assert type(again) is type(layer)


def test_keras_config_keys(keras):
    for name in ("LSTM", "GRU", "SimpleRNN"):
        k = set(getattr(keras.layers, name)(3).get_config())
        u = set({"LSTM": LSTM, "GRU": GRU, "SimpleRNN": SimpleRNN}[name](3).get_config())
        missing = k - u - {"use_cudnn", "module", "registered_name"}
        assert not missing, f"{name} config lacks {missing}"


# --------------------------------------------------------------------------- errors
def test_errors():
    with pytest.raises(ValueError, match="stateful=True is not supported"):
        LSTM(3, stateful=True)
    with pytest.raises(ValueError, match="units"):
        GRU(0)
    set_default_framework("numpy")
    layer = LSTM(3, name="my_lstm")
    with pytest.raises(ValueError, match=r"my_lstm.*rank >= 3.*\(3, 4\)"):
        layer(np.zeros((3, 4), "float32"))
    with pytest.raises(ValueError, match=r"my_lstm.*expects 2 initial state.*received 1"):
        layer(X, initial_state=[np.zeros((3, 3), "float32")])
    with pytest.raises(ValueError, match="call"):
        RNN(object())


def test_regularizer_losses_and_symbolic(np_out):
    from unikeras.layers import Input
    from unikeras.models import Model

    layer = LSTM(3, kernel_regularizer="l2", recurrent_regularizer="l1",
                 return_state=True, return_sequences=True)
    inp = Input((6, 4))
    seq, h, c = layer(inp)
    assert seq.shape == (None, 6, 3) and h.shape == (None, 3) and c.shape == (None, 3)
    assert len(layer.losses) == 2
    model = Model(inp, [seq, h])
    set_default_framework("numpy")
    out = np_out(model(X))
    assert out[0].shape == (3, 6, 3) and out[1].shape == (3, 3)
    np.testing.assert_allclose(out[0][:, -1], out[1], rtol=1e-6)


def test_array_api_strict(np_out):
    import array_api_strict as xps

    for cls in (LSTM, GRU, SimpleRNN):
        layer = cls(4, return_sequences=True, go_backwards=True)
        set_default_framework("numpy")
        ref = np_out(layer(X, mask=MASK))
        got = layer(xps.asarray(X), mask=xps.asarray(MASK))
        assert type(got).__module__.startswith("array_api_strict")
        np.testing.assert_allclose(np.asarray(got._array), ref, rtol=1e-5, atol=1e-6)


# --------------------------------------------------------------------------- training
def test_fit_embedding_lstm_dense(framework, fw_arr):
    import unikeras as uk
    from unikeras.layers import Dense, Embedding

    rng = np.random.default_rng(0)
    tokens = rng.integers(1, 10, size=(64, 7)).astype("int32")
    tokens[::3, 5:] = 0  # padding, masked by the embedding
    y = (tokens[:, 0] > 5).astype("float32")[:, None]
    init = uk.initializers
    model = uk.Sequential([
        Embedding(10, 8, mask_zero=True, embeddings_initializer=init.RandomUniform(seed=1)),
        LSTM(8, kernel_initializer=init.GlorotUniform(seed=2),
             recurrent_initializer=init.Orthogonal(seed=3)),
        Dense(1, kernel_initializer=init.GlorotUniform(seed=4))])
    model.compile(optimizer=uk.optimizers.Adam(learning_rate=0.02), loss="mse")
    hist = model.fit(fw_arr(tokens, framework), fw_arr(y, framework), epochs=2, batch_size=16,
                     shuffle=False, verbose=0)
    losses = hist.history["loss"]
    assert all(np.isfinite(losses)), losses
    assert losses[1] < losses[0], losses


# --------------------------------------------------------------------------- fused kernels
@pytest.mark.parametrize("cls,kwargs", [
    (LSTM, {}),
    (LSTM, dict(return_sequences=True, return_state=True, go_backwards=True)),
    (LSTM, dict(use_bias=False, return_sequences=True)),
    (LSTM, dict(return_state=True, go_backwards=True)),
    (GRU, {}),
    (GRU, dict(return_sequences=True, return_state=True, go_backwards=True)),
    (GRU, dict(use_bias=False, return_state=True)),
])
def test_torch_fused_kernel_matches_the_generic_loop(cls, kwargs, monkeypatch):
    """LSTM/GRU on torch run as one torch.lstm/torch.gru call when the configuration
    allows (the kernel is called, once per layer call), with the generic loop's outputs,
    states and gradients (use_cudnn=False forces the loop), weights in Keras' layout."""
    torch = pytest.importorskip("torch")
    import unikeras.layers.rnn.torch as fused

    calls = []
    name = "fused_lstm" if cls is LSTM else "fused_gru"
    real = getattr(fused, name)
    monkeypatch.setattr(fused, name, lambda *a: calls.append(1) or real(*a))
    x = torch.from_numpy(X)
    a, b = cls(5, **kwargs), cls(5, use_cudnn=False, **kwargs)
    a(x), b(x)
    b.set_weights(_random_weights(a))
    calls.clear()
    out_a, out_b = a(x), b(x)
    assert len(calls) == 1
    out_a = out_a if isinstance(out_a, (list, tuple)) else [out_a]
    out_b = out_b if isinstance(out_b, (list, tuple)) else [out_b]
    for p, q in zip(out_a, out_b):
        np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), rtol=1e-5,
                                   atol=1e-6)
    grads = [torch.autograd.grad(sum(o.square().sum() for o in out),
                                 [w.value for w in layer.trainable_weights])
             for out, layer in ((out_a, a), (out_b, b))]
    for p, q in zip(*grads):
        np.testing.assert_allclose(p.numpy(), q.numpy(), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("layer", [
    lambda: LSTM(5, recurrent_dropout=0.3),
    lambda: LSTM(5, activation="relu"),
    lambda: LSTM(5, unroll=True),
    lambda: GRU(5, reset_after=False),
    lambda: GRU(5, recurrent_activation="hard_sigmoid"),
])
def test_torch_fused_kernel_only_where_keras_would_use_cudnn(layer, monkeypatch):
    """Configurations outside Keras' cuDNN conditions (and masked inputs) run the
    generic loop."""
    torch = pytest.importorskip("torch")
    import unikeras.layers.rnn.torch as fused

    calls = []
    for name in ("fused_lstm", "fused_gru"):
        real = getattr(fused, name)
        monkeypatch.setattr(fused, name, lambda *a, real=real: calls.append(1) or real(*a))
    layer = layer()
    layer(torch.from_numpy(X), training=True)
    assert calls == []
    masked = LSTM(5)
    masked(torch.from_numpy(X), mask=torch.from_numpy(MASK))
    assert calls == []


def test_torch_fused_kernel_with_input_dropout_and_fit():
    """Input dropout (one mask for all steps) with the fused kernel: training outputs
    differ from inference, inference equals the generic loop, and a small fit lowers the
    loss."""
    torch = pytest.importorskip("torch")
    import unikeras as keras

    x = torch.from_numpy(X)
    layer = LSTM(5, dropout=0.5, seed=3)
    ref = LSTM(5, use_cudnn=False)
    layer(x), ref(x)
    ref.set_weights(_random_weights(layer))
    assert not np.allclose(layer(x, training=True).detach().numpy(),
                           layer(x).detach().numpy())
    np.testing.assert_allclose(layer(x).detach().numpy(), ref(x).detach().numpy(),
                               rtol=1e-5, atol=1e-6)
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((6, 4)), GRU(8), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.Adam(0.02), loss="mse")
    y = torch.from_numpy(X.sum(axis=(1, 2))[:, None])
    hist = model.fit(x, y, epochs=30, verbose=0).history["loss"]
    assert hist[-1] < 0.5 * hist[0]
