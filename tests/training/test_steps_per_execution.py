"""``compile(steps_per_execution=k)``: k batches per compiled call, one callback call per
group (with the index of its last step), the same results as k=1."""

from __future__ import annotations

import math

import numpy as np
import pytest

import unikeras as keras
from unikeras import callbacks as cb
from unikeras import layers
from unikeras.xp import asarray, to_numpy

# 76 samples in batches of 8: 9 full batches and a last one of 4, so every k below
# leaves a partial group, and for k=4 the last group mixes a full and a partial batch.
N, B = 76, 8
BATCHES = math.ceil(N / B)
rng = np.random.default_rng(3)
X = rng.normal(size=(N, 5)).astype("float32")
Y = (X @ rng.normal(size=(5, 1)) + 0.1 * rng.normal(size=(N, 1))).astype("float32")


def _model(k, seed=7, **compile_kwargs):
    keras.utils.set_random_seed(seed)
    m = keras.Sequential([
        layers.Input((5,)),
        layers.Dense(8, activation="relu"),
        layers.BatchNormalization(),  # non-trainable state updated in every step
        layers.Dropout(0.2, seed=1),  # a seed state advanced in every step
        layers.Dense(1),
    ])
    m.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="mse",
              metrics=["mae"], steps_per_execution=k, **compile_kwargs)
    return m


def _data(framework):
    return asarray(X, framework=framework), asarray(Y, framework=framework)


class _BatchLog(cb.Callback):
    def __init__(self):
        super().__init__()
        self.begin, self.end, self.test_begin, self.test_end = [], [], [], []
        self.end_logs = []

    def on_train_batch_begin(self, batch, logs=None):
        self.begin.append(batch)

    def on_train_batch_end(self, batch, logs=None):
        self.end.append(batch)
        self.end_logs.append({k: float(np.asarray(v)) for k, v in logs.items()})

    def on_test_batch_begin(self, batch, logs=None):
        self.test_begin.append(batch)

    def on_test_batch_end(self, batch, logs=None):
        self.test_end.append(batch)


def _fit(framework, k, epochs=2, **compile_kwargs):
    m = _model(k, **compile_kwargs)
    x, y = _data(framework)
    log = _BatchLog()
    hist = m.fit(x, y, batch_size=B, epochs=epochs, shuffle=False, verbose=0, callbacks=[log])
    return m, hist, log


@pytest.mark.parametrize("k", [3, 4])
def test_same_results_as_one_step_per_execution(framework, k):
    m1, h1, _ = _fit(framework, 1)
    mk, hk, _ = _fit(framework, k)
    for a, b in zip(m1.get_weights(), mk.get_weights()):
        np.testing.assert_allclose(np.asarray(b), np.asarray(a), rtol=1e-5, atol=1e-6)
    assert h1.history.keys() == hk.history.keys()
    for key in h1.history:
        np.testing.assert_allclose(hk.history[key], h1.history[key], rtol=1e-5)
    x, y = _data(framework)
    e1 = m1.evaluate(x, y, batch_size=B, verbose=0, return_dict=True)
    ek = mk.evaluate(x, y, batch_size=B, verbose=0, return_dict=True)
    assert e1.keys() == ek.keys()
    for key in e1:
        np.testing.assert_allclose(ek[key], e1[key], rtol=1e-5)


def test_callbacks_once_per_execution(framework):
    k, epochs = 3, 2
    _, hist, log = _fit(framework, k, epochs=epochs)
    groups = math.ceil(BATCHES / k)  # 4: [0-2], [3-5], [6-8], [9]
    assert log.end == [2, 5, 8, 9] * epochs
    assert log.begin == [0, 3, 6, 9] * epochs
    assert len(log.end) == groups * epochs
    # the logs at a group's end are those after its last step: the epoch's last ones
    # equal the epoch logs
    for e in range(epochs):
        last = log.end_logs[(e + 1) * groups - 1]
        np.testing.assert_allclose(last["loss"], hist.history["loss"][e], rtol=1e-5)


def test_evaluate_and_validation(framework):
    k = 4
    m1 = _model(1)
    mk = _model(k)
    x, y = _data(framework)
    log = _BatchLog()
    mk.evaluate(x, y, batch_size=B, verbose=0, callbacks=[log])
    assert log.test_end == [3, 7, 9]
    assert log.test_begin == [0, 4, 8]
    assert np.allclose(mk.evaluate(x, y, batch_size=B, verbose=0),
                       m1.evaluate(x, y, batch_size=B, verbose=0), rtol=1e-5)
    h1 = m1.fit(x, y, batch_size=B, epochs=1, shuffle=False, verbose=0,
                validation_data=(x, y))
    hk = mk.fit(x, y, batch_size=B, epochs=1, shuffle=False, verbose=0,
                validation_data=(x, y))
    np.testing.assert_allclose(hk.history["val_loss"], h1.history["val_loss"], rtol=1e-5)


def test_k_larger_than_epoch(framework):
    # one (partial) group per epoch
    m1, h1, _ = _fit(framework, 1, epochs=1)
    mk, hk, log = _fit(framework, 25, epochs=1)
    assert log.end == [BATCHES - 1] and log.begin == [0]
    np.testing.assert_allclose(hk.history["loss"], h1.history["loss"], rtol=1e-5)
    for a, b in zip(m1.get_weights(), mk.get_weights()):
        np.testing.assert_allclose(np.asarray(b), np.asarray(a), rtol=1e-5, atol=1e-6)


def test_run_eagerly(framework):
    m1, h1, _ = _fit(framework, 1, epochs=1, run_eagerly=True)
    mk, hk, log = _fit(framework, 3, epochs=1, run_eagerly=True)
    assert log.end == [2, 5, 8, 9]
    np.testing.assert_allclose(hk.history["loss"], h1.history["loss"], rtol=1e-5)


def test_stop_training_checked_per_execution(framework):
    class Stop(cb.Callback):
        def on_train_batch_end(self, batch, logs=None):
            self.model.stop_training = True

    m = _model(3)
    x, y = _data(framework)
    log = _BatchLog()
    m.fit(x, y, batch_size=B, epochs=3, shuffle=False, verbose=0, callbacks=[log, Stop()])
    assert log.end == [2]
    assert int(to_numpy(m.optimizer.iterations.value)) == 3


def test_invalid_value():
    m = keras.Sequential([layers.Input((5,)), layers.Dense(1)])
    with pytest.raises(ValueError, match="steps_per_execution"):
        m.compile(loss="mse", steps_per_execution=0)


def test_compile_config_round_trip(tmp_path):
    m = _model(5)
    m.fit(X, Y, batch_size=B, epochs=1, shuffle=False, verbose=0)
    path = str(tmp_path / "m.keras")
    m.save(path)
    loaded = keras.models.load_model(path)
    assert loaded.steps_per_execution == 5
    loaded.fit(X, Y, batch_size=B, epochs=1, shuffle=False, verbose=0)


def test_checkpoint_and_progbar_count_batches(framework, tmp_path, capsys):
    # groups end at batches 2, 5, 8, 9: with save_freq=4 the count reaches 6 at batch 5
    # and 4 again at batch 9 (Keras 3's counting)
    m = _model(3)
    x, y = _data(framework)
    ck = cb.ModelCheckpoint(str(tmp_path / "ck-{epoch}-{batch}.weights.h5"),
                            save_weights_only=True, save_freq=4)
    m.fit(x, y, batch_size=B, epochs=1, shuffle=False, verbose=1, callbacks=[ck])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ck-1-5.weights.h5",
                                                          "ck-1-9.weights.h5"]
    assert f"{BATCHES}/{BATCHES}" in capsys.readouterr().out


def _pure_jax_model_cls():
    import jax

    class PureModel(keras.Sequential):
        def train_step(self, state, data):
            tv, ntv, ov, mv = state
            x, y = data

            def f(tv, ntv):
                y_pred, ntv = self.stateless_call(tv, ntv, x, training=True)
                return self.compute_loss(x, y, y_pred), (y_pred, ntv)

            (loss, (y_pred, ntv)), grads = jax.value_and_grad(f, has_aux=True)(tv, ntv)
            tv, ov = self.optimizer.stateless_apply(ov, grads, tv)
            new_mv, logs = [], {}
            for metric in self.metrics:
                these = mv[len(new_mv):len(new_mv) + len(metric.variables)]
                if metric.name == "loss":
                    these = metric.stateless_update_state(these, loss)
                else:
                    these = metric.stateless_update_state(these, y, y_pred)
                logs[metric.name] = metric.stateless_result(these)
                new_mv += these
            # tuples where the input held lists: the scan carry is normalised
            return logs, (tuple(tv), tuple(ntv), tuple(ov), tuple(new_mv))

    return PureModel


def _tape_tf_model_cls():
    import tensorflow as tf

    class TapeModel(keras.Sequential):
        def train_step(self, data):
            x, y = data
            with tf.GradientTape() as tape:
                y_pred = self(x, training=True)
                loss = self.compute_loss(y=y, y_pred=y_pred)
            grads = tape.gradient(loss, self.trainable_weights)
            self.optimizer.apply(grads, self.trainable_weights)
            for metric in self.metrics:
                if metric.name == "loss":
                    metric.update_state(loss)
                else:
                    metric.update_state(y, y_pred)
            return {m.name: m.result() for m in self.metrics}

    return TapeModel


@pytest.mark.parametrize("framework, make_cls", [("jax", _pure_jax_model_cls),
                                                 ("tensorflow", _tape_tf_model_cls)])
def test_custom_train_step(framework, make_cls):
    pytest.importorskip(framework)
    cls = make_cls()
    x, y = _data(framework)
    out = []
    for k in (1, 4):
        keras.utils.set_random_seed(0)
        m = cls([layers.Input((5,)), layers.Dense(8, activation="relu"), layers.Dense(1)])
        m.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="mse",
                  metrics=["mae"], steps_per_execution=k)
        h = m.fit(x, y, batch_size=B, epochs=2, shuffle=False, verbose=0)
        out.append((h.history, m.get_weights()))
    (h1, w1), (hk, wk) = out
    for key in h1:
        np.testing.assert_allclose(hk[key], h1[key], rtol=1e-5)
    for a, b in zip(w1, wk):
        np.testing.assert_allclose(np.asarray(b), np.asarray(a), rtol=1e-5, atol=1e-6)


class _PredictLog(cb.Callback):
    def __init__(self):
        super().__init__()
        self.begin, self.end, self.sizes = [], [], []

    def on_predict_batch_begin(self, batch, logs=None):
        self.begin.append(batch)

    def on_predict_batch_end(self, batch, logs=None):
        self.end.append(batch)
        self.sizes.append(int(np.asarray(to_numpy(logs["outputs"])).shape[0]))


@pytest.mark.parametrize("k", [3, 4])
def test_predict(framework, k):
    """predict runs k batches per call: the same outputs, in order, and one callback call
    per group holding the group's outputs (Keras 3)."""
    m1, mk = _model(1), _model(k)
    mk.set_weights(m1.get_weights())
    x, _ = _data(framework)
    log = _PredictLog()
    want = np.asarray(to_numpy(m1.predict(x, batch_size=B, verbose=0)))
    got = mk.predict(x, batch_size=B, verbose=0, callbacks=[log])
    assert type(got) is type(m1.predict(x, batch_size=B, verbose=0))
    np.testing.assert_allclose(np.asarray(to_numpy(got)), want, rtol=1e-6, atol=1e-6)
    starts = list(range(0, BATCHES, k))
    assert log.begin == starts
    assert log.end == [min(s + k, BATCHES) - 1 for s in starts]
    assert sum(log.sizes) == N and log.sizes[0] == k * B
    # NumPy input gives NumPy output, as with k=1
    np.testing.assert_allclose(mk.predict(X, batch_size=B, verbose=0), want, rtol=1e-6, atol=1e-6)


def test_predict_dict_outputs(framework):
    inp = layers.Input((5,))
    h = layers.Dense(4)(inp)
    m1 = keras.Model(inp, {"a": layers.Dense(2, name="a")(h), "b": layers.Dense(1, name="b")(h)})
    m1.compile(loss="mse", steps_per_execution=1)
    x, _ = _data(framework)
    want = m1.predict(x, batch_size=B, verbose=0)
    m1.compile(loss="mse", steps_per_execution=4)
    got = m1.predict(x, batch_size=B, verbose=0)
    assert set(got) == {"a", "b"}
    for key in want:
        np.testing.assert_allclose(np.asarray(to_numpy(got[key])), np.asarray(to_numpy(want[key])),
                                   rtol=1e-6, atol=1e-6)


def test_tf_custom_train_step_with_python_number_logs():
    """A TF train_step may return Python numbers in its logs; the k-step loop carries
    tensors, so k > 1 works as k = 1 does."""
    pytest.importorskip("tensorflow")

    class Model(keras.Sequential):
        def train_step(self, data):
            logs = super().train_step(data)
            return {**logs, "constant": 1.5}

    x, y = _data("tensorflow")
    hists = []
    for k in (1, 3):
        keras.utils.set_random_seed(0)
        m = Model([layers.Input((5,)), layers.Dense(1)])
        m.compile(optimizer="sgd", loss="mse", steps_per_execution=k)
        hists.append(m.fit(x, y, batch_size=B, epochs=2, shuffle=False, verbose=0).history)
    assert hists[1]["constant"] == [1.5, 1.5]
    np.testing.assert_allclose(hists[1]["loss"], hists[0]["loss"], rtol=1e-5)
