"""Callbacks: each one's behaviour on a real fit, on every framework."""

from __future__ import annotations

import csv
import glob
import math
import os

import numpy as np
import pytest

import unikeras as keras
from unikeras import callbacks as cb
from unikeras import layers
from unikeras.xp import asarray

N, B = 32, 8
rng = np.random.default_rng(1)
X = rng.normal(size=(N, 3)).astype("float32")
Y = (X @ np.array([[1.0], [-1.0], [2.0]], "float32")).astype("float32")
W0 = [rng.normal(size=(3, 1)).astype("float32"), np.zeros((1,), "float32")]


@pytest.fixture
def fw(framework):
    if framework == "tensorflow":
        try:
            from unikeras.xp import namespace_of_framework

            ns = namespace_of_framework("tensorflow")
        except ImportError as e:
            pytest.skip(f"TensorFlow Array API namespace not available yet: {e}")
        missing = [f for f in ("mean", "sum", "take", "matmul", "astype") if not hasattr(ns, f)]
        if missing:
            pytest.skip(f"TensorFlow Array API namespace incomplete (lacks {missing})")
    return framework


def _model(optimizer=None):
    m = keras.Sequential([layers.Input((3,)), layers.Dense(1)])
    m.set_weights(W0)
    m.compile(optimizer=optimizer or keras.optimizers.SGD(learning_rate=0.01), loss="mse")
    return m


def _data(fw):
    return asarray(X, framework=fw), asarray(Y, framework=fw)


def _score(seq):
    """A callback that reports seq[epoch] as logs['score'] (placed before the callback
    under test, which sees the same logs dict) and records the weights of each epoch."""
    weights = []

    def on_epoch_end(epoch, logs):
        logs["score"] = seq[epoch]
        weights.append([np.array(w) for w in recorder.model.get_weights()])

    recorder = cb.LambdaCallback(on_epoch_end=on_epoch_end)
    recorder.weights = weights
    return recorder


def test_early_stopping_stops_and_restores_best(fw):
    x, y = _data(fw)
    m = _model()
    score = _score([3.0, 1.0, 2.0, 2.0, 2.0, 0.0])
    es = cb.EarlyStopping(monitor="score", patience=2, restore_best_weights=True)
    hist = m.fit(x, y, batch_size=B, epochs=6, shuffle=False, verbose=0, callbacks=[score, es])
    assert len(hist.history["loss"]) == 4  # best at epoch 1, no improvement for 2 more
    assert es.stopped_epoch == 3 and es.best == 1.0 and es.best_epoch == 1
    for got, want in zip(m.get_weights(), score.weights[1]):
        np.testing.assert_array_equal(got, want)
    assert not np.allclose(score.weights[1][0], score.weights[3][0])


class _Stub:
    def __init__(self):
        self.stop_training = False
        self.w = [np.zeros(1)]

    def get_weights(self):
        return self.w

    def set_weights(self, w):
        self.w = w


def _run_es(es, values):
    model = _Stub()
    es.set_model(model)
    es.on_train_begin()
    for epoch, v in enumerate(values):
        es.on_epoch_end(epoch, {"val_acc": v})
        if model.stop_training:
            return epoch
    return None


def test_early_stopping_mode_min_delta_baseline_start_from_epoch():
    # "acc" in the name: mode auto is max; improvements under min_delta do not count.
    assert _run_es(cb.EarlyStopping("val_acc", min_delta=0.1, patience=1), [0.5, 0.55, 0.58]) == 1
    assert _run_es(cb.EarlyStopping("val_acc", patience=1), [0.5, 0.55, 0.58]) is None
    # baseline: epochs that improve but stay under the baseline still count toward
    # patience (Keras 3), so the first stall stops at once
    values = [0.5, 0.6, 0.6, 0.6, 0.6]
    assert _run_es(cb.EarlyStopping("val_acc", patience=2, baseline=0.9), values) == 2
    assert _run_es(cb.EarlyStopping("val_acc", patience=2), values) == 3
    # start_from_epoch: the first epochs are not counted
    assert _run_es(cb.EarlyStopping("val_acc", patience=1, start_from_epoch=3),
                   [0.9, 0.1, 0.1, 0.5, 0.4]) == 4


def test_model_checkpoint_best_only_and_formatting(fw, tmp_path):
    x, y = _data(fw)
    m = _model()
    score = _score([3.0, 1.0, 2.0, 0.5])
    path = str(tmp_path / "w-{epoch:02d}-{score:.1f}.weights.h5")
    ck = cb.ModelCheckpoint(path, monitor="score", save_best_only=True, save_weights_only=True)
    m.fit(x, y, batch_size=B, epochs=4, shuffle=False, verbose=0, callbacks=[score, ck])
    names = sorted(os.path.basename(p) for p in glob.glob(str(tmp_path / "*.weights.h5")))
    assert names == ["w-01-3.0.weights.h5", "w-02-1.0.weights.h5", "w-04-0.5.weights.h5"]
    fresh = _model()
    fresh.load_weights(str(tmp_path / "w-02-1.0.weights.h5"))
    for got, want in zip(fresh.get_weights(), score.weights[1]):
        np.testing.assert_array_equal(got, want)
    # whole-model checkpoints every epoch
    ck2 = cb.ModelCheckpoint(str(tmp_path / "m{epoch}.keras"), save_best_only=False)
    m.fit(x, y, batch_size=B, epochs=2, verbose=0, callbacks=[ck2])
    assert sorted(glob.glob1(str(tmp_path), "*.keras")) == ["m1.keras", "m2.keras"]
    loaded = keras.saving.load_model(str(tmp_path / "m2.keras"))
    np.testing.assert_allclose(loaded.predict(X, verbose=0), m.predict(X, verbose=0), rtol=1e-6)
    with pytest.raises(ValueError, match="must end in .weights.h5"):
        cb.ModelCheckpoint(str(tmp_path / "x.keras"), save_weights_only=True)


class _Crash(cb.Callback):
    def __init__(self, at_epoch):
        super().__init__()
        self.at_epoch = at_epoch

    def on_epoch_end(self, epoch, logs=None):
        if epoch == self.at_epoch:
            raise KeyboardInterrupt("simulated interruption")


def test_backup_and_restore_resumes_exactly(fw, tmp_path):
    x, y = _data(fw)
    ref = _model(keras.optimizers.Adam(learning_rate=0.05))
    ref.fit(x, y, batch_size=B, epochs=4, shuffle=False, verbose=0)

    backup = cb.BackupAndRestore(str(tmp_path / "backup"))
    m = _model(keras.optimizers.Adam(learning_rate=0.05))
    with pytest.raises(KeyboardInterrupt):
        m.fit(x, y, batch_size=B, epochs=4, shuffle=False, verbose=0,
              callbacks=[backup, _Crash(at_epoch=1)])
    assert os.path.exists(tmp_path / "backup" / "latest.weights.h5")

    # A new process would build a new model: its weights and Adam state come from the backup.
    begun = []
    m2 = _model(keras.optimizers.Adam(learning_rate=0.05))
    hist = m2.fit(x, y, batch_size=B, epochs=4, shuffle=False, verbose=0,
                  callbacks=[backup, cb.LambdaCallback(on_epoch_begin=lambda e, l: begun.append(e))])
    assert begun == [2, 3]
    assert len(hist.history["loss"]) == 2
    for got, want in zip(m2.get_weights(), ref.get_weights()):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    assert not os.path.exists(tmp_path / "backup" / "latest.weights.h5")  # completed: deleted


def test_csv_logger(fw, tmp_path):
    x, y = _data(fw)
    m = _model()
    path = tmp_path / "log.csv"
    hist = m.fit(x, y, batch_size=B, epochs=3, verbose=0, validation_data=(x, y),
                 callbacks=[cb.CSVLogger(str(path))])
    with open(path) as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["epoch", "loss", "val_loss"]
    assert [int(r["epoch"]) for r in rows] == [0, 1, 2]
    np.testing.assert_allclose([float(r["loss"]) for r in rows], hist.history["loss"], rtol=1e-6)
    np.testing.assert_allclose([float(r["val_loss"]) for r in rows], hist.history["val_loss"], rtol=1e-6)
    m.fit(x, y, batch_size=B, epochs=1, verbose=0, validation_data=(x, y),
          callbacks=[cb.CSVLogger(str(path), append=True, separator=",")])
    with open(path) as f:
        assert len(list(csv.DictReader(f))) == 4


def test_learning_rate_scheduler_reaches_the_compiled_step(fw):
    x, y = _data(fw)
    m = _model()
    seen = []
    sched = cb.LearningRateScheduler(lambda epoch, lr: 0.0 if epoch == 1 else 0.01 * (epoch + 1))
    rec = cb.LambdaCallback(on_epoch_end=lambda e, logs: seen.append(m.get_weights()[0].copy()))
    hist = m.fit(x, y, batch_size=B, epochs=3, shuffle=False, verbose=0, callbacks=[sched, rec])
    np.testing.assert_allclose(hist.history["learning_rate"], [0.01, 0.0, 0.03], rtol=1e-6)
    np.testing.assert_allclose(float(np.asarray(keras.xp.to_numpy(m.optimizer.learning_rate))), 0.03, rtol=1e-6)
    np.testing.assert_array_equal(seen[0], seen[1])  # lr 0 in epoch 1: no change at all
    assert not np.allclose(seen[1], seen[2])
    # schedule(epoch) with one argument is accepted too
    m.fit(x, y, batch_size=B, epochs=1, verbose=0,
          callbacks=[cb.LearningRateScheduler(lambda epoch: 0.005)])
    np.testing.assert_allclose(float(keras.xp.to_numpy(m.optimizer.learning_rate)), 0.005, rtol=1e-6)


def test_reduce_lr_on_plateau(fw):
    x, y = _data(fw)
    m = _model(keras.optimizers.SGD(learning_rate=0.04))
    score = _score([1.0, 1.0, 1.0, 1.0, 1.0])
    r = cb.ReduceLROnPlateau(monitor="score", factor=0.5, patience=1, cooldown=2, min_lr=0.015)
    hist = m.fit(x, y, batch_size=B, epochs=5, verbose=0, callbacks=[score, r])
    # epoch0 best; epoch1 reduce to 0.02 (cooldown 2); epoch2 in cooldown; epoch3 the
    # cooldown ends, reduce to max(0.01, min_lr)=0.015; epoch4 at min_lr. (Keras 3 counts
    # the cooldown down before checking, as here.) The logs hold the rate of the epoch.
    np.testing.assert_allclose(hist.history["learning_rate"], [0.04, 0.04, 0.02, 0.02, 0.015],
                               rtol=1e-6)


def test_terminate_on_nan(fw):
    x, y = _data(fw)
    m = _model()
    m.set_weights([np.full((3, 1), np.nan, "float32"), np.zeros((1,), "float32")])
    batches = []
    hist = m.fit(x, y, batch_size=B, epochs=3, verbose=0,
                 callbacks=[cb.TerminateOnNaN(),
                            cb.LambdaCallback(on_train_batch_end=lambda b, l: batches.append(b))])
    assert batches == [0]
    assert len(hist.history["loss"]) == 1 and math.isnan(hist.history["loss"][0])


def test_lambda_callback_batch_logs_hold_the_running_loss(fw):
    """A LambdaCallback's per-batch hook gets Keras' logs (the running mean loss), as a
    class overriding on_train_batch_end does: its function set on the instance counts
    as reading the logs."""
    x, y = _data(fw)
    m = _model()
    seen = []
    m.fit(x, y, batch_size=B, epochs=1, verbose=0, shuffle=False, callbacks=[
        cb.LambdaCallback(on_train_batch_end=lambda b, logs: seen.append(float(logs["loss"])))])
    w, b = (np.asarray(a, "float64") for a in W0)
    losses = []
    for i in range(0, len(X), B):
        xb, yb = X[i:i + B].astype("float64"), Y[i:i + B].astype("float64")
        err = xb @ w + b - yb
        losses.append(float(np.mean(err ** 2)))
        w -= 0.01 * 2 * xb.T @ err / err.size
        b -= 0.01 * 2 * err.sum(0) / err.size
    np.testing.assert_allclose(seen, np.cumsum(losses) / np.arange(1, len(losses) + 1),
                               rtol=1e-5)


def test_lambda_callback_hooks_and_errors():
    calls = []
    lc = cb.LambdaCallback(on_train_begin=lambda logs: calls.append("begin"),
                           on_batch_end=lambda b, logs: calls.append(("batch", b)),
                           on_test_end=lambda logs: calls.append("test_end"))
    lc.on_train_begin()
    lc.on_train_batch_end(3, {})
    lc.on_test_end()
    lc.on_epoch_end(0, {})  # not given: no-op
    assert calls == ["begin", ("batch", 3), "test_end"]
    with pytest.raises(TypeError, match="unknown hooks"):
        cb.LambdaCallback(on_epoch_middle=print)


def test_tensorboard_event_files(fw, tmp_path):
    from unikeras.training.callbacks._tfevents import crc32c, read_scalars

    assert crc32c(b"123456789") == 0xE3069283  # the CRC-32C check value
    x, y = _data(fw)
    m = _model()
    logdir = tmp_path / "tb"
    hist = m.fit(x, y, batch_size=B, epochs=2, verbose=0, validation_data=(x, y),
                 callbacks=[cb.TensorBoard(str(logdir), update_freq=2)])
    (train_file,) = glob.glob(str(logdir / "train" / "events.out.tfevents.*"))
    (val_file,) = glob.glob(str(logdir / "validation" / "events.out.tfevents.*"))
    train = read_scalars(train_file)
    epoch_loss = [(s, v) for s, t, v in train if t == "epoch_loss"]
    assert [s for s, _ in epoch_loss] == [0, 1]
    np.testing.assert_allclose([v for _, v in epoch_loss], hist.history["loss"], rtol=1e-6)
    assert [s for s, t, _ in train if t == "batch_loss"] == [2, 4, 6, 8]
    val = [(s, v) for s, t, v in read_scalars(val_file) if t == "epoch_loss"]
    np.testing.assert_allclose([v for _, v in val], hist.history["val_loss"], rtol=1e-6)
    # TensorFlow's own reader agrees (independent reference for the record format)
    tf = pytest.importorskip("tensorflow")
    seen = []
    for event in tf.compat.v1.train.summary_iterator(train_file):
        for value in event.summary.value:
            if value.tag == "epoch_loss":
                seen.append((event.step, value.simple_value))
    assert seen == [(s, pytest.approx(v, rel=1e-6)) for s, v in epoch_loss]


def test_batch_logs_built_only_when_a_callback_reads_them(fw, monkeypatch):
    """Eager steps (torch) skip get_metrics_result per batch when no callback reads
    per-batch logs; the epoch logs (History) are the same numbers either way, and a
    callback overriding on_train_batch_end gets every batch's logs as Keras gives them."""
    x, y = _data(fw)
    seen = []

    class Batches(cb.Callback):
        def on_train_batch_end(self, batch, logs=None):
            seen.append(dict(logs))

    histories, calls = [], []
    for callbacks in ([], [Batches()]):
        model = _model()
        model.compile(optimizer=keras.optimizers.SGD(0.01), loss="mse", metrics=["mae"])
        real = model.get_metrics_result
        count = [0]

        def counted():
            count[0] += 1
            return real()

        monkeypatch.setattr(model, "get_metrics_result", counted)
        histories.append(model.fit(x, y, batch_size=B, epochs=2, shuffle=False, verbose=0,
                                   callbacks=callbacks).history)
        calls.append(count[0])
    for key in ("loss", "mae"):
        np.testing.assert_allclose(histories[0][key], histories[1][key], rtol=1e-6)
    steps = 2 * (N // B)
    assert len(seen) == steps and set(seen[-1]) == {"loss", "mae"}
    np.testing.assert_allclose(seen[-1]["loss"], histories[1]["loss"][-1], rtol=1e-6)
    if fw == "torch":  # (traced steps call it once, at trace time)
        assert calls[1] >= steps
        assert calls[0] <= 2  # once per epoch, at its end
