"""keras.losses.CTC / keras.losses.ctc: per-sample values against ops.ctc_loss with Keras'
lengths, reductions, serialization, Keras 3 itself on the same data, errors, and a tiny
sequence model that learns with fit on every framework."""

from __future__ import annotations

import numpy as np
import pytest

import unikeras as keras
from unikeras import layers, losses, nn_ops, xp

RNG = np.random.default_rng(3)
Y_TRUE = np.array([[1, 2, 2, 0], [3, 0, 0, 0], [4, 1, 3, 2], [0, 0, 0, 0]], "int32")
Y_PRED = (RNG.standard_normal((4, 9, 5)) * 2).astype("float32")


def test_ctc_function_uses_keras_lengths(any_framework, to_fw, to_np):
    """Label length = non-zero labels, input length = every time step, blank 0."""
    got = losses.ctc(to_fw(Y_TRUE, any_framework), to_fw(Y_PRED, any_framework))
    assert xp.framework_of(got) == any_framework
    want = nn_ops.ctc_loss.generic(Y_TRUE, Y_PRED, np.array([3, 1, 4, 0]), np.full(4, 9))
    np.testing.assert_allclose(to_np(got), want, rtol=1e-5, atol=1e-5)


def test_ctc_class_reductions_and_weights(any_framework, to_fw, to_np):
    per = nn_ops.ctc_loss.generic(Y_TRUE, Y_PRED, np.array([3, 1, 4, 0]), np.full(4, 9))
    yt, yp = to_fw(Y_TRUE, any_framework), to_fw(Y_PRED, any_framework)
    np.testing.assert_allclose(to_np(losses.CTC()(yt, yp)), per.mean(), rtol=1e-5)
    np.testing.assert_allclose(to_np(losses.CTC(reduction="sum")(yt, yp)), per.sum(), rtol=1e-5)
    np.testing.assert_allclose(to_np(losses.CTC(reduction=None)(yt, yp)), per, rtol=1e-5)
    sw = np.array([1.0, 0.5, 0.0, 2.0], "float32")
    np.testing.assert_allclose(to_np(losses.CTC()(yt, yp, sample_weight=to_fw(sw, any_framework))),
                               (per * sw).mean(), rtol=1e-5)


def test_ctc_serialization():
    assert losses.get("ctc") is losses.ctc
    obj = losses.get("CTC")
    assert isinstance(obj, losses.CTC) and obj.name == "ctc"
    cfg = losses.CTC(reduction="sum", name="c").get_config()
    assert cfg == {"name": "c", "reduction": "sum"}
    again = losses.deserialize(losses.serialize(losses.CTC(reduction="sum", name="c")))
    assert type(again) is losses.CTC and again.get_config() == cfg


def test_ctc_matches_keras3():
    import os

    os.environ.setdefault("KERAS_BACKEND", "jax")
    k = pytest.importorskip("keras")
    sw = np.linspace(0.5, 1.5, 4).astype("float32")
    for red in ("sum_over_batch_size", "sum", None):
        ours = losses.CTC(reduction=red)(Y_TRUE, Y_PRED, sample_weight=sw)
        theirs = k.losses.CTC(reduction=red)(Y_TRUE, Y_PRED, sample_weight=sw)
        np.testing.assert_allclose(np.asarray(xp.to_numpy(ours)), k.ops.convert_to_numpy(theirs),
                                   rtol=1e-5, atol=1e-5, err_msg=str(red))
    np.testing.assert_allclose(np.asarray(xp.to_numpy(losses.ctc(Y_TRUE, Y_PRED))),
                               k.ops.convert_to_numpy(k.losses.ctc(Y_TRUE, Y_PRED)), rtol=1e-5)


def test_ctc_errors():
    with pytest.raises(ValueError, match=r"ctc: y_true must have rank 2, shape \(batch, "
                                         r"max_label_length\) of integer labels; received "
                                         r"y_true.shape=\(4, 4, 1\)"):
        losses.ctc(Y_TRUE[..., None], Y_PRED)
    with pytest.raises(ValueError, match=r"ctc: y_pred must have rank 3, shape \(batch, "
                                         r"max_time, num_classes\) of logits; received "
                                         r"y_pred.shape=\(4, 9\)"):
        losses.ctc(Y_TRUE, Y_PRED[..., 0])


def _sequences(n=96, t=12, classes=5, seed=0):
    """Features announce a label at odd time steps (blank features elsewhere); the targets
    are those labels, 0-padded."""
    rng = np.random.default_rng(seed)
    x = np.zeros((n, t, classes), "float32")
    x[:, :, 0] = 1.0
    y = np.zeros((n, 4), "int32")
    for i in range(n):
        labels = rng.integers(1, classes, rng.integers(1, 5))
        y[i, :len(labels)] = labels
        for j, c in enumerate(labels):
            x[i, 2 * j + 1] = 0.0
            x[i, 2 * j + 1, c] = 1.0
    x += rng.normal(scale=0.1, size=x.shape).astype("float32")
    return x, y


def test_ctc_trains_a_sequence_model(framework, to_fw):
    x, y = _sequences()
    keras.utils.set_random_seed(0)
    model = keras.Sequential([layers.Input((12, 5)), layers.Dense(16, activation="relu"),
                              layers.Dense(5)])  # logits per time step
    model.compile(optimizer=keras.optimizers.Adam(3e-2), loss=losses.CTC())
    hist = model.fit(to_fw(x, framework), to_fw(y, framework), batch_size=32, epochs=25,
                     verbose=0)
    loss = hist.history["loss"]
    assert all(np.isfinite(loss)) and loss[-1] < 0.1 * loss[0], loss
    assert model.framework == framework
    # the trained model's greedy decoding reads the labels back
    logits = model.predict(to_fw(x[:16], framework), verbose=0)
    dec, _ = keras.ops.ctc_decode(logits, to_fw(np.full(16, 12, "int32"), framework))
    dec = np.asarray(xp.to_numpy(dec))[0, :, :4]
    assert np.mean(np.all(np.where(dec < 0, 0, dec) == y[:16], axis=1)) >= 0.9
