"""Bidirectional and TimeDistributed vs Keras 3 with copied weights, masks, states,
configs and errors."""

from __future__ import annotations

import numpy as np
import pytest

from unikeras.layers.core import Dense
from unikeras.layers.rnn import GRU, LSTM, SimpleRNN
from unikeras.layers.wrappers import Bidirectional, TimeDistributed
from unikeras.xp import framework_of, set_default_framework

RNG = np.random.default_rng(11)
X = RNG.standard_normal((3, 5, 4)).astype("float32")
MASK = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1], [0, 1, 1, 1, 1]], dtype=bool)


_BIDI_CASES = {
    "lstm_concat_seq_state_mask": ("LSTM", dict(return_sequences=True, return_state=True),
                                   "concat", True),
    "gru_sum_last_mask": ("GRU", {}, "sum", True),
    "simple_none_seq": ("SimpleRNN", dict(return_sequences=True), None, False),
    "lstm_ave_last_state": ("LSTM", dict(return_state=True), "ave", False),
    "gru_mul_seq_mask": ("GRU", dict(return_sequences=True), "mul", True),
}


@pytest.mark.parametrize("case", sorted(_BIDI_CASES))
def test_bidirectional_matches_keras(keras, any_framework, case, keras_np, fw_arr, np_out):
    name, kw, mode, use_mask = _BIDI_CASES[case]
    cls = {"LSTM": LSTM, "GRU": GRU, "SimpleRNN": SimpleRNN}[name]
    kl = keras.layers.Bidirectional(getattr(keras.layers, name)(3, **kw), merge_mode=mode)
    ul = Bidirectional(cls(3, **kw), merge_mode=mode)
    kl(X)
    out = ul(fw_arr(X, any_framework))
    first = out[0] if isinstance(out, (list, tuple)) else out
    assert framework_of(first) == any_framework
    assert [w.shape for w in ul.get_weights()] == [w.shape for w in kl.get_weights()]
    ws = [RNG.uniform(-0.6, 0.6, w.shape).astype("float32") for w in kl.get_weights()]
    kl.set_weights(ws)
    ul.set_weights(ws)
    kcall = {"mask": MASK} if use_mask else {}
    ucall = {"mask": fw_arr(MASK, any_framework)} if use_mask else {}
    want = keras_np(kl(X, **kcall))
    got = np_out(ul(fw_arr(X, any_framework), **ucall))
    if not isinstance(want, list):
        want, got = [want], [got]
    assert len(got) == len(want)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-5)


def test_bidirectional_initial_state_backward_layer_and_config(framework, fw_arr, np_out):
    fwd = LSTM(3, return_sequences=True, return_state=True)
    bwd = GRU(3, return_sequences=True, return_state=True, go_backwards=True)
    layer = Bidirectional(fwd, backward_layer=bwd)
    x = fw_arr(X, framework)
    init = fw_arr([RNG.standard_normal((3, 3)).astype("float32") for _ in range(3)], framework)
    out = layer(x, initial_state=init)
    assert len(out) == 4 and tuple(out[0].shape) == (3, 5, 6)
    # The backward half is the backward layer run on its own, flipped back in time.
    b_seq = np_out(layer.backward_layer(x, initial_state=init[2:])[0])
    np.testing.assert_allclose(np_out(out[0])[..., 3:], b_seq[:, ::-1], rtol=1e-6)
    clone = Bidirectional.from_config(layer.get_config())
    assert type(clone.backward_layer) is GRU and clone.backward_layer.go_backwards
    with pytest.raises(ValueError, match="merge mode"):
        Bidirectional(LSTM(2), merge_mode="max")
    with pytest.raises(ValueError, match="go_backwards"):
        Bidirectional(LSTM(2), backward_layer=LSTM(2))


def test_bidirectional_symbolic():
    from unikeras.layers import Input

    out = Bidirectional(LSTM(3, return_sequences=True))(Input((5, 4)))
    assert out.shape == (None, 5, 6)
    outs = Bidirectional(GRU(2, return_state=True), merge_mode=None)(Input((5, 4)))
    assert [o.shape for o in outs] == [(None, 2), (None, 2), (None, 2), (None, 2)]


def test_time_distributed_matches_keras(keras, any_framework, keras_np, fw_arr, np_out):
    x = RNG.standard_normal((2, 3, 4, 5)).astype("float32")
    kl = keras.layers.TimeDistributed(keras.layers.Dense(2, activation="tanh"))
    ul = TimeDistributed(Dense(2, activation="tanh"))
    kl(x)
    out = ul(fw_arr(x, any_framework))
    assert framework_of(out) == any_framework and tuple(out.shape) == (2, 3, 4, 2)
    ul.set_weights(kl.get_weights())
    np.testing.assert_allclose(np_out(ul(fw_arr(x, any_framework))), keras_np(kl(x)),
                               rtol=1e-5, atol=1e-6)


def test_time_distributed_symbolic_config_errors():
    from unikeras.layers import Input

    layer = TimeDistributed(Dense(3))
    assert layer(Input((5, 4))).shape == (None, 5, 3)
    clone = TimeDistributed.from_config(layer.get_config())
    assert isinstance(clone.layer, Dense) and clone.layer.units == 3
    set_default_framework("numpy")
    with pytest.raises(ValueError, match="at least 3 dimensions"):
        TimeDistributed(Dense(3), name="td")(np.zeros((2, 4), "float32"))
    with pytest.raises(ValueError, match="Layer instance"):
        TimeDistributed(lambda x: x)
