"""TensorFlow's fused recurrent kernels on CPU (``layers/rnn/tensorflow.py``): LSTM as
``BlockLSTMV2`` with the V2 gradient, used where TF's intra-op pool has one thread
(``CPU_BLOCK_LSTM`` "auto"; forced on here with the module attribute), and the
``reset_after=False`` GRU as one ``GRUBlockCell`` per step with ``GRUBlockCellGrad``.
Every configuration branch the layers let through (return_sequences / return_state,
go_backwards, initial states, no bias, input dropout) against the generic loop
(``use_cudnn=False``) and against Keras 3 (TF backend, in one subprocess for the
module): outputs, states and gradients under ``tf.GradientTape`` (weights, inputs and
initial states), and ``fit``. Configurations outside Keras'
cuDNN conditions never reach the kernel. The GPU path (``CudnnRNNV3``) cannot run on
these CPU-only machines."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")

import unikeras as keras  # noqa: E402
from unikeras.layers.rnn import GRU, LSTM  # noqa: E402
from unikeras.layers.rnn import tensorflow as fused  # noqa: E402

RNG = np.random.default_rng(7)
B, T, F, U = 4, 6, 3, 6  # BlockLSTM warns when batch and units are both odd
X = RNG.standard_normal((B, T, F)).astype("float32")
INIT = [RNG.standard_normal((B, U)).astype("float32") for _ in range(2)]
MASK = np.array([[1] * T, [1] * (T - 2) + [0] * 2, [1] * T, [1] * 3 + [0] * (T - 3)], bool)

# case -> (layer, layer kwargs, pass INIT as initial_state)
_GRU = dict(reset_after=False)
CASES = {
    "lstm_last": ("LSTM", dict(), False),
    "lstm_seq_state": ("LSTM", dict(return_sequences=True, return_state=True), False),
    "lstm_backwards_seq": ("LSTM", dict(go_backwards=True, return_sequences=True), False),
    "lstm_backwards_state": ("LSTM", dict(go_backwards=True, return_state=True), False),
    "lstm_no_bias_state": ("LSTM", dict(use_bias=False, return_state=True,
                                        return_sequences=True), False),
    "lstm_initial_state": ("LSTM", dict(return_sequences=True, return_state=True), True),
    "lstm_no_forget_bias": ("LSTM", dict(unit_forget_bias=False, return_sequences=True),
                            False),
    "gru_last": ("GRU", _GRU, False),
    "gru_seq_state": ("GRU", dict(_GRU, return_sequences=True, return_state=True), False),
    "gru_backwards_seq": ("GRU", dict(_GRU, go_backwards=True, return_sequences=True), False),
    "gru_no_bias_state": ("GRU", dict(_GRU, use_bias=False, return_state=True), False),
    "gru_initial_state": ("GRU", dict(_GRU, return_sequences=True, return_state=True), True),
}
LAYERS = {"LSTM": LSTM, "GRU": GRU}
KERNEL = {"LSTM": "fused_lstm", "GRU": "fused_gru_reset_before"}


def _weights(name, kwargs):
    g = 4 if name == "LSTM" else 3
    shapes = [(F, g * U), (U, g * U)] + ([] if kwargs.get("use_bias") is False else [(g * U,)])
    return [RNG.uniform(-0.8, 0.8, s).astype("float32") for s in shapes]


WEIGHTS = {case: _weights(name, kw) for case, (name, kw, _) in CASES.items()}


def _cotangents(case):
    """Fixed random weights for the scalar loss sum(out_i * ct_i) of each output."""
    name, kw, _ = CASES[case]
    rng = np.random.default_rng(sum(map(ord, case)))
    seq = (B, T, U) if kw.get("return_sequences") else (B, U)
    states = 2 if name == "LSTM" else 1
    shapes = [seq] + ([(B, U)] * states if kw.get("return_state") else [])
    return [rng.standard_normal(s).astype("float32") for s in shapes]


COTANGENTS = {case: _cotangents(case) for case in CASES}

_KERAS_SIDE = r"""
import pickle, sys
import numpy as np, keras, tensorflow as tf
cases, x, init = pickle.load(open(sys.argv[1], "rb"))
out = {}
for case, (name, kw, use_init, weights, cts) in cases.items():
    layer = getattr(keras.layers, name)(6, **kw)
    xt = tf.constant(x)
    n = 2 if name == "LSTM" else 1
    call = {"initial_state": [tf.constant(s) for s in init[:n]]} if use_init else {}
    layer(xt, **call)
    layer.set_weights(weights)
    watched = [xt] + list(call.get("initial_state", []))
    with tf.GradientTape() as tape:
        tape.watch(watched)
        res = layer(xt, **call)
        res = list(res) if isinstance(res, (list, tuple)) else [res]
        loss = tf.add_n([tf.reduce_sum(r * c) for r, c in zip(res, cts)])
    grads = tape.gradient(loss, layer.trainable_variables + watched)
    out[case] = ([np.asarray(r) for r in res], [np.asarray(g) for g in grads])
pickle.dump(out, open(sys.argv[2], "wb"))
"""


@pytest.fixture(scope="module")
def keras_reference(tmp_path_factory):
    """Keras 3's LSTM / GRU (TF backend, CPU: its generic loop) on every case: outputs
    and gradients, in one subprocess."""
    import pickle

    d = tmp_path_factory.mktemp("keras_lstm")
    cases = {c: (name, kw, use_init, WEIGHTS[c], COTANGENTS[c])
             for c, (name, kw, use_init) in CASES.items()}
    with open(d / "in.pkl", "wb") as f:
        pickle.dump((cases, X, INIT), f)
    env = dict(os.environ, KERAS_BACKEND="tensorflow", CUDA_VISIBLE_DEVICES="",
               TF_CPP_MIN_LOG_LEVEL="3")
    env.pop("PYTHONPATH", None)
    proc = subprocess.run([sys.executable, "-c", _KERAS_SIDE, str(d / "in.pkl"),
                           str(d / "out.pkl")], env=env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    with open(d / "out.pkl", "rb") as f:
        return pickle.load(f)


@pytest.fixture
def spy(monkeypatch):
    """Force the CPU kernel on and count the calls of the shim's fused kernels."""
    calls = []
    monkeypatch.setattr(fused, "CPU_BLOCK_LSTM", True)
    for name in ("fused_lstm", "fused_gru", "fused_gru_reset_before"):
        real = getattr(fused, name)
        monkeypatch.setattr(fused, name,
                            lambda *a, real=real, name=name: calls.append(name) or real(*a))
    return calls


def _run(layer, case):
    """Outputs and gradients (weights, then inputs and initial states) of ``layer`` on
    ``case``'s inputs under tf.GradientTape."""
    name, kw, use_init = CASES[case]
    xt = tf.constant(X)
    n = 2 if name == "LSTM" else 1
    call = {"initial_state": [tf.constant(s) for s in INIT[:n]]} if use_init else {}
    layer(xt, **call)
    layer.set_weights(WEIGHTS[case])
    watched = [xt] + list(call.get("initial_state", []))
    with tf.GradientTape() as tape:
        tape.watch(watched)
        res = layer(xt, **call)
        res = list(res) if isinstance(res, (list, tuple)) else [res]
        loss = tf.add_n([tf.reduce_sum(r * c) for r, c in zip(res, COTANGENTS[case])])
    grads = tape.gradient(loss, layer.trainable_variables + watched)
    return [r.numpy() for r in res], [g.numpy() for g in grads]


@pytest.mark.parametrize("case", sorted(CASES))
def test_fused_kernel_matches_generic_loop_and_keras(case, spy, keras_reference):
    name, kw, _ = CASES[case]
    got_out, got_grads = _run(LAYERS[name](U, **kw), case)
    assert spy == [KERNEL[name]] * 2  # the build call and the taped call
    loop_out, loop_grads = _run(LAYERS[name](U, use_cudnn=False, **kw), case)
    assert spy == [KERNEL[name]] * 2
    want_out, want_grads = keras_reference[case]
    assert len(got_out) == len(loop_out) == len(want_out)
    assert len(got_grads) == len(loop_grads) == len(want_grads)
    for g, lo, w in zip(got_out, loop_out, want_out):
        np.testing.assert_allclose(g, lo, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)
    for g, lo, w in zip(got_grads, loop_grads, want_grads):
        np.testing.assert_allclose(g, lo, rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(g, w, rtol=1e-4, atol=1e-5)


def test_tf_registered_block_lstm_v2_gradient_is_not_used(spy):
    """TF registers BlockLSTM's (V1, gates i, c, f, o) gradient for BlockLSTMV2 (gates
    i, f, c, o); the kernel's own gradient must be the V2 one: check it against the
    generic loop on the recurrent kernel, where the two layouts differ."""
    a, b = LSTM(U), LSTM(U, use_cudnn=False)
    xt = tf.constant(X)
    a(xt), b(xt)
    w = WEIGHTS["lstm_last"]
    a.set_weights(w), b.set_weights(w)
    grads = []
    for layer in (a, b):
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(tf.sin(layer(xt)))
        grads.append(tape.gradient(loss, layer.cell.recurrent_kernel).numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-4, atol=1e-5)
    # and the registered gradient really is wrong for the V2 op (why the custom one)
    x_tm = tf.transpose(xt, [1, 0, 2])
    wt = tf.constant(np.concatenate(w[:2]))
    z = tf.zeros([U])
    with tf.GradientTape() as tape:
        tape.watch(wt)
        h = tf.raw_ops.BlockLSTMV2(seq_len_max=tf.constant(T, tf.int64), x=x_tm,
                                   cs_prev=tf.zeros([B, U]), h_prev=tf.zeros([B, U]), w=wt,
                                   wci=z, wcf=z, wco=z, b=tf.constant(w[2]),
                                   cell_clip=0.0, use_peephole=False)[6]
        loss = tf.reduce_sum(tf.sin(h[-1]))
    registered = tape.gradient(loss, wt).numpy()[F:]
    assert not np.allclose(registered, grads[1], rtol=1e-3, atol=1e-4)


def test_fused_lstm_input_dropout_matches_generic_loop(spy):
    """Input dropout (one mask for every step) runs in the fused path and draws the same
    mask as the generic loop from the same seed; training differs from inference."""
    xt = tf.constant(X)
    a = LSTM(U, dropout=0.5, seed=11, return_sequences=True)
    b = LSTM(U, dropout=0.5, seed=11, return_sequences=True, use_cudnn=False)
    a(xt), b(xt)
    w = WEIGHTS["lstm_last"]
    a.set_weights(w), b.set_weights(w)
    spy.clear()
    with tf.GradientTape(persistent=True) as tape:
        ya, yb = a(xt, training=True), b(xt, training=True)
    assert spy == ["fused_lstm"]
    np.testing.assert_allclose(ya.numpy(), yb.numpy(), rtol=1e-5, atol=1e-6)
    assert not np.allclose(ya.numpy(), a(xt).numpy())
    for p, q in zip(tape.gradient(ya, a.trainable_variables),
                    tape.gradient(yb, b.trainable_variables)):
        np.testing.assert_allclose(p.numpy(), q.numpy(), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name", ["LSTM", "GRU"])
def test_fit_through_the_fused_kernel_matches_generic_loop(name, spy):
    """``fit`` (a tf.function train step) through the fused kernel gives the generic
    loop's losses and weights after a few steps of Adam."""
    kw = _GRU if name == "GRU" else {}
    x, y = tf.constant(X), tf.constant(X.sum(axis=(1, 2))[:, None])
    models = []
    for use_cudnn in ("auto", False):
        keras.utils.set_random_seed(0)
        m = keras.Sequential([keras.Input((T, F)), LAYERS[name](U, use_cudnn=use_cudnn, **kw),
                              keras.layers.Dense(1)])
        m.compile(optimizer=keras.optimizers.Adam(0.05), loss="mse")
        models.append(m)
    models[1].set_weights(models[0].get_weights())
    hist = [m.fit(x, y, epochs=5, batch_size=2, shuffle=False, verbose=0).history["loss"] for m in models]
    assert KERNEL[name] in spy
    np.testing.assert_allclose(hist[0], hist[1], rtol=1e-4)
    assert hist[0][-1] < hist[0][0]
    for p, q in zip(models[0].get_weights(), models[1].get_weights()):
        np.testing.assert_allclose(p, q, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("make, call", [
    (lambda: LSTM(U, recurrent_dropout=0.3), dict(training=True)),
    (lambda: LSTM(U, activation="relu"), {}),
    (lambda: LSTM(U, recurrent_activation="hard_sigmoid"), {}),
    (lambda: LSTM(U, unroll=True), {}),
    (lambda: LSTM(U, use_cudnn=False), {}),
    (lambda: LSTM(U), dict(mask=MASK)),
    (lambda: LSTM(U, dtype="float64"), {}),
    (lambda: GRU(U), {}),  # reset_after=True: no CPU kernel in TF
    (lambda: GRU(U, reset_after=False, recurrent_dropout=0.2), dict(training=True)),
    (lambda: GRU(U, reset_after=False), dict(mask=MASK)),
    (lambda: GRU(U, reset_after=False, dtype="float64"), {}),
])
def test_fused_kernel_only_where_the_configuration_allows(make, call, spy):
    layer = make()
    x = tf.constant(X, tf.float64) if layer.dtype == "float64" else tf.constant(X)
    if "mask" in call:
        call = dict(mask=tf.constant(call["mask"]))
    out = layer(x, **call)
    assert spy == []
    assert out.shape == (B, U)


def test_cpu_kernel_rule_follows_tf_intra_op_threads(monkeypatch):
    """"auto": the CPU LSTM kernel only with a one-thread intra-op pool (measured faster
    there, slower with more threads); True / False force it."""
    threading = tf.config.threading
    x = tf.constant(X)
    w = (None, None, None)
    monkeypatch.setattr(fused, "CPU_BLOCK_LSTM", "auto")
    monkeypatch.setattr(threading, "get_intra_op_parallelism_threads", lambda: 1)
    assert fused.fused_supported("fused_lstm", x, *w)
    assert not fused.fused_supported("fused_gru", x, *w)
    assert not fused.fused_supported("fused_lstm", tf.cast(x, tf.float64), *w)
    monkeypatch.setattr(threading, "get_intra_op_parallelism_threads", lambda: 4)
    assert not fused.fused_supported("fused_lstm", x, *w)
    # the reset_after=False GRU step kernel: faster with any thread count; float32
    assert fused.fused_supported("fused_gru_reset_before", x, *w)
    assert not fused.fused_supported("fused_gru_reset_before", tf.cast(x, tf.float64), *w)
    # not configured (0): TF_NUM_INTRAOP_THREADS, else the core count
    monkeypatch.setattr(threading, "get_intra_op_parallelism_threads", lambda: 0)
    monkeypatch.setenv("TF_NUM_INTRAOP_THREADS", "1")
    assert fused.fused_supported("fused_lstm", x, *w)
    monkeypatch.delenv("TF_NUM_INTRAOP_THREADS")
    monkeypatch.setattr(fused.os, "cpu_count", lambda: 1)
    assert fused.fused_supported("fused_lstm", x, *w)
    monkeypatch.setattr(fused.os, "cpu_count", lambda: 8)
    assert not fused.fused_supported("fused_lstm", x, *w)
    monkeypatch.setattr(fused, "CPU_BLOCK_LSTM", True)
    assert fused.fused_supported("fused_lstm", x, *w)
    monkeypatch.setattr(fused, "CPU_BLOCK_LSTM", False)
    monkeypatch.setattr(threading, "get_intra_op_parallelism_threads", lambda: 1)
    assert not fused.fused_supported("fused_lstm", x, *w)


@pytest.mark.parametrize("name", ["LSTM", "GRU"])
def test_xla_compiled_steps_take_the_loop(name, spy):
    """The CPU kernels have no XLA lowering: under ``jit_compile=True`` (a user's
    tf.function or ``compile(jit_compile=True)``) the layer runs the generic loop."""
    kw = _GRU if name == "GRU" else {}
    x, y = tf.constant(X), tf.constant(X.sum(axis=(1, 2))[:, None])
    layer = LAYERS[name](U, **kw)
    want = layer(x).numpy()
    assert spy == [KERNEL[name]]
    spy.clear()
    got = tf.function(layer, jit_compile=True)(x).numpy()
    assert spy == []
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    if name == "LSTM":
        return  # the trainer's XLA step: once is enough (XLA compiles take seconds)
    # the XLA train step compiles (a fused op in it would fail to) and trains
    m = keras.Sequential([keras.Input((T, F)), LAYERS[name](U, **kw), keras.layers.Dense(1)])
    m.compile(optimizer="adam", loss="mse", jit_compile=True)
    hist = m.fit(x, y, epochs=2, verbose=0).history["loss"]
    assert np.isfinite(hist).all() and hist[1] < hist[0]


@pytest.mark.parametrize("layer", ["LSTM", "GRU"])
def test_exported_graphs_hold_no_fused_kernel(layer, spy, tmp_path):
    """A SavedModel leaves TensorFlow's process (TFLite, tf2onnx, TF Serving lack
    BlockLSTMV2 and GRUBlockCell): export traces the loop, even where eager calls fuse;
    the reloaded model gives the eager outputs."""
    kw = dict(reset_after=False) if layer == "GRU" else {}
    model = keras.Sequential([keras.Input((T, F)), getattr(keras.layers, layer)(U, **kw)])
    want = model(tf.constant(X)).numpy()
    assert spy, "the eager call did not take the fused kernel"
    model.export(str(tmp_path / "m"), format="tf_saved_model", verbose=False)
    loaded = tf.saved_model.load(str(tmp_path / "m"))
    fn = loaded.signatures["serving_default"]
    graph = fn.graph.as_graph_def()
    ops = {n.op for n in graph.node} | {n.op for f in graph.library.function for n in f.node_def}
    assert not ops & {"BlockLSTMV2", "BlockLSTM", "GRUBlockCell", "CudnnRNNV3"}, ops
    got = next(iter(fn(tf.constant(X)).values())).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
