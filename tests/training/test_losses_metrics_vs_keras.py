"""The Keras 3.15 losses Dice, Tversky, Circle, CategoricalGeneralizedCrossEntropy (and
their functions) and the metrics IoU, MeanIoU, BinaryIoU, OneHotIoU, OneHotMeanIoU,
PearsonCorrelation, ConcordanceCorrelation, SensitivityAtSpecificity,
SpecificityAtSensitivity, PrecisionAtRecall, RecallAtPrecision (and the correlation
functions) against Keras 3 itself on every framework: the cases of
``_keras_loss_metric_refs.py`` run here with unikeras and by Keras in a subprocess; plus
NumPy formulas for the new losses, jit, gradients and configs."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

import unikeras as keras

sys.path.insert(0, str(Path(__file__).parent))
import _keras_loss_metric_refs as cases  # noqa: E402

REFS = Path(__file__).with_name("_keras_loss_metric_refs.py")


@pytest.fixture(scope="module")
def refs(keras_script_refs):
    return keras_script_refs(REFS)


@pytest.mark.parametrize("key", sorted(cases.CASES))
def test_matches_keras(key, framework, to_fw, to_np, refs):
    out = cases.CASES[key](keras, lambda n: to_fw(cases.DATA[n], framework))
    np.testing.assert_allclose(to_np(out), refs[key], rtol=2e-5, atol=2e-6)


def test_case_values_are_not_degenerate(refs):
    # the threshold metrics land strictly inside (0, 1) on most cases, so a wrong
    # constraint or a wrong dependent rate shows
    inner = [k for k in ("sens_at_spec", "spec_at_sens", "prec_at_rec", "rec_at_prec",
                         "rec_at_prec_class") if 0 < float(refs[k]) < 1]
    assert len(inner) >= 4, {k: float(refs[k]) for k in inner}


def test_dice_tversky_circle_gce_vs_numpy(framework, to_fw, to_np):
    d = cases.DATA
    t, p = d["seg_true"].astype("float64"), d["seg_pred"].astype("float64")
    eps = 1e-7
    ax = (1, 2, 3)
    ref = 1 - 2 * (t * p).sum(ax) / (t.sum(ax) + p.sum(ax) + eps)
    got = keras.losses.dice(to_fw(t, framework), to_fw(p, framework), axis=ax)
    np.testing.assert_allclose(to_np(got), ref, rtol=1e-6)
    tp, fp, fn = (t * p).sum(ax), ((1 - p) * t).sum(ax), (p * (1 - t)).sum(ax)
    ref = 1 - tp / (tp + 0.3 * fp + 0.7 * fn + eps)
    got = keras.losses.tversky(to_fw(t, framework), to_fw(p, framework), 0.3, 0.7, axis=ax)
    np.testing.assert_allclose(to_np(got), ref, rtol=1e-6)
    # Circle: the formula of Sun et al. 2020 with Keras' weights, in float64
    e, y = d["emb"].astype("float64"), d["emb_labels"]
    dist = np.maximum(1 - e @ e.T, 0)
    pos = (y[:, None] == y[None, :]) & ~np.eye(len(y), dtype=bool)
    neg = y[:, None] != y[None, :]
    g, m = 80.0, 0.4
    pw, nw = np.maximum(m + dist, 0) * pos, np.maximum(1 + m - dist, 0) * neg

    def lse(x, mask):
        x = np.where(mask, x, -np.inf)
        mx = x.max(1, keepdims=True)
        mx = np.where(np.isfinite(mx), mx, 0)
        with np.errstate(divide="ignore"):
            return (mx[:, 0] + np.log(np.exp(x - mx).sum(1)))

    ref = np.logaddexp(0, lse(-g * pw * (m - dist), pos) + lse(g * nw * (1 - m - dist), neg))
    got = keras.losses.circle(to_fw(y, framework), to_fw(e, framework))
    np.testing.assert_allclose(to_np(got), ref, rtol=1e-5)
    assert (ref == 0).any()  # a sample without positives: masked out of Circle's mean
    got = keras.losses.Circle()(to_fw(y, framework), to_fw(e, framework))
    np.testing.assert_allclose(float(to_np(got)), ref[ref > 0].mean(), rtol=1e-5)
    probs, cls = d["probs"].astype("float64"), d["cls"]
    ref = (1 - probs[np.arange(len(cls)), cls] ** 0.4) / 0.4
    got = keras.losses.categorical_generalized_cross_entropy(
        to_fw(cls, framework), to_fw(probs, framework), q=0.4)
    np.testing.assert_allclose(to_np(got), ref, rtol=1e-6)


def test_losses_train_and_jit(framework, to_fw):
    """Dice and GCE as compiled losses: the jitted train steps run and lower the loss."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 5)).astype("float32")
    y = (x[:, :2] > 0).astype("float32")
    m = keras.Sequential([keras.Input((5,)), keras.layers.Dense(2, activation="sigmoid")])
    m.compile(keras.optimizers.Adam(0.05), loss=keras.losses.Dice(axis=-1),
              metrics=[keras.metrics.BinaryIoU(), keras.metrics.PrecisionAtRecall(0.5)])
    h = m.fit(to_fw(x, framework), to_fw(y, framework), batch_size=8, epochs=4, verbose=0)
    assert h.history["loss"][-1] < h.history["loss"][0]
    assert 0 <= h.history["binary_io_u"][-1] <= 1
    assert 0 <= h.history["precision_at_recall"][-1] <= 1


def test_configs_round_trip_and_errors():
    for obj in (keras.losses.Dice(axis=(1, 2)), keras.losses.Tversky(0.2, 0.8),
                keras.losses.Circle(gamma=20.0), keras.losses.CategoricalGeneralizedCrossEntropy(0.3),
                keras.metrics.IoU(3, [0, 2]), keras.metrics.BinaryIoU([1], 0.4),
                keras.metrics.OneHotIoU(3, [1]), keras.metrics.OneHotMeanIoU(4),
                keras.metrics.PearsonCorrelation(), keras.metrics.ConcordanceCorrelation(axis=0),
                keras.metrics.SensitivityAtSpecificity(0.4, num_thresholds=20),
                keras.metrics.RecallAtPrecision(0.7, class_id=2)):
        mod = keras.losses if isinstance(obj, keras.losses.Loss) else keras.metrics
        back = mod.deserialize(mod.serialize(obj))
        assert type(back) is type(obj) and back.get_config() == obj.get_config()
    assert keras.metrics.SensitivityAtSpecificity(0.4).specificity == 0.4
    assert keras.metrics.IoU(3, [0]).name == "io_u"
    with pytest.raises(ValueError, match="q must be in the interval"):
        keras.losses.CategoricalGeneralizedCrossEntropy(q=1.5)
    with pytest.raises(ValueError, match="Target class id 3 is out of range"):
        keras.metrics.IoU(3, [0, 3])
    with pytest.raises(ValueError, match="`recall` must be in the range"):
        keras.metrics.PrecisionAtRecall(1.5)
