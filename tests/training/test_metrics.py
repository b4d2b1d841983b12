"""Metrics vs independent references (sklearn.metrics, NumPy), on every installed
framework (numpy included), accumulated over two batches with sample weights; the
stateless API equals the stateful one (and traces under jax.jit); Keras 3's own metrics
on the same data."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as skm

from unikeras import losses, metrics

RNG = np.random.default_rng(0)
N, C = 40, 4
LAB = RNG.integers(0, C, size=N)
ONEHOT = np.eye(C, dtype="float32")[LAB]
PROBS = RNG.dirichlet(np.ones(C), size=N).astype("float32")
PROBS = (0.6 * PROBS + 0.4 * ONEHOT).astype("float32")  # informative predictions
BIN_T = RNG.integers(0, 2, size=N).astype("float32")
BIN_P = np.clip(0.35 * BIN_T + 0.65 * RNG.uniform(size=N), 0, 1).astype("float32")
ML_T = RNG.integers(0, 2, size=(N, C)).astype("float32")
ML_P = np.clip(0.3 * ML_T + 0.7 * RNG.uniform(size=(N, C)), 0, 1).astype("float32")
REG_T = RNG.normal(size=(N, 3)).astype("float32")
REG_P = (REG_T + 0.6 * RNG.normal(size=(N, 3))).astype("float32")
POS_T = RNG.uniform(0.1, 3, size=(N, 3)).astype("float32")
POS_P = RNG.uniform(0.1, 3, size=(N, 3)).astype("float32")
SW = RNG.uniform(0.2, 2.0, size=N).astype("float32")


def _wmean(v, w):
    return float((v * w).sum() / (w * np.ones_like(v)).sum()) if v.ndim == 1 else \
        float((v * w[:, None]).sum() / (w[:, None] * np.ones_like(v)).sum())


def _topk(t, p, k):
    score = p[np.arange(len(t)), t]
    return ((p > score[:, None]).sum(-1) < k).astype("float64")


def _cos(t, p):
    tn = t / np.linalg.norm(t, axis=-1, keepdims=True)
    pn = p / np.linalg.norm(p, axis=-1, keepdims=True)
    return (tn * pn).sum(-1)


def _miou(t, p, w):
    cm = skm.confusion_matrix(t, p, labels=range(C), sample_weight=w)
    tp = np.diag(cm)
    den = cm.sum(0) + cm.sum(1) - tp
    return float((tp[den > 0] / den[den > 0]).sum() / (den > 0).sum())


# (id, factory, y_true, y_pred, weighted, reference value)
CASES = [
    ("Mean", metrics.Mean, None, REG_T[:, 0], True, _wmean(REG_T[:, 0], SW)),
    ("Sum", metrics.Sum, None, REG_T[:, 0], True, float((REG_T[:, 0] * SW).sum())),
    ("Accuracy", metrics.Accuracy, LAB, PROBS.argmax(-1), True,
     skm.accuracy_score(LAB, PROBS.argmax(-1), sample_weight=SW)),
    ("BinaryAccuracy", metrics.BinaryAccuracy, BIN_T, BIN_P, True,
     skm.accuracy_score(BIN_T, BIN_P > 0.5, sample_weight=SW)),
    ("CategoricalAccuracy", metrics.CategoricalAccuracy, ONEHOT, PROBS, True,
     skm.accuracy_score(LAB, PROBS.argmax(-1), sample_weight=SW)),
    ("SparseCategoricalAccuracy", metrics.SparseCategoricalAccuracy, LAB, PROBS, False,
     skm.accuracy_score(LAB, PROBS.argmax(-1))),
    ("TopK2", lambda: metrics.TopKCategoricalAccuracy(k=2), ONEHOT, PROBS, True,
     _wmean(_topk(LAB, PROBS, 2), SW)),
    ("SparseTopK2", lambda: metrics.SparseTopKCategoricalAccuracy(k=2), LAB, PROBS, False,
     float(_topk(LAB, PROBS, 2).mean())),
    ("AUC-ROC", metrics.AUC, BIN_T, BIN_P, True,
     skm.roc_auc_score(BIN_T, BIN_P, sample_weight=SW)),
    ("AUC-ROC-logits", lambda: metrics.AUC(from_logits=True), BIN_T,
     np.log(BIN_P + 1e-3) - np.log(1 - BIN_P + 1e-3), False, skm.roc_auc_score(BIN_T, BIN_P)),
    ("AUC-PR", lambda: metrics.AUC(curve="PR", num_thresholds=500), BIN_T, BIN_P, False,
     skm.average_precision_score(BIN_T, BIN_P)),
    ("Precision", metrics.Precision, BIN_T, BIN_P, True,
     skm.precision_score(BIN_T, BIN_P > 0.5, sample_weight=SW)),
    ("Recall", metrics.Recall, BIN_T, BIN_P, True,
     skm.recall_score(BIN_T, BIN_P > 0.5, sample_weight=SW)),
    ("Precision-thresholds", lambda: metrics.Precision(thresholds=[0.3, 0.7]), BIN_T, BIN_P, False,
     [skm.precision_score(BIN_T, BIN_P > t) for t in (0.3, 0.7)]),
    ("Recall-class_id", lambda: metrics.Recall(class_id=2), ML_T, ML_P, False,
     skm.recall_score(ML_T[:, 2], ML_P[:, 2] > 0.5)),
    ("Precision-top_k", lambda: metrics.Precision(top_k=1), ONEHOT, PROBS, False,
     skm.accuracy_score(LAB, PROBS.argmax(-1))),
    ("F1-None", metrics.F1Score, ONEHOT, PROBS, False,
     skm.f1_score(LAB, PROBS.argmax(-1), average=None)),
    ("F1-micro", lambda: metrics.F1Score(average="micro"), ONEHOT, PROBS, True,
     skm.f1_score(LAB, PROBS.argmax(-1), average="micro", sample_weight=SW)),
    ("F1-macro-threshold", lambda: metrics.F1Score(average="macro", threshold=0.5), ML_T, ML_P, False,
     skm.f1_score(ML_T, ML_P > 0.5, average="macro")),
    ("F1-weighted", lambda: metrics.F1Score(average="weighted"), ONEHOT, PROBS, False,
     skm.f1_score(LAB, PROBS.argmax(-1), average="weighted")),
    ("MeanSquaredError", metrics.MeanSquaredError, REG_T, REG_P, True,
     _wmean(((REG_P - REG_T) ** 2).mean(-1), SW)),
    ("MeanAbsoluteError", metrics.MeanAbsoluteError, REG_T, REG_P, False,
     skm.mean_absolute_error(REG_T, REG_P)),
    ("RootMeanSquaredError", metrics.RootMeanSquaredError, REG_T, REG_P, True,
     np.sqrt(skm.mean_squared_error(REG_T, REG_P, sample_weight=SW))),
    ("MAPE", metrics.MeanAbsolutePercentageError, POS_T, POS_P, False,
     100 * skm.mean_absolute_percentage_error(POS_T, POS_P)),
    ("MSLE", metrics.MeanSquaredLogarithmicError, POS_T, POS_P, False,
     skm.mean_squared_log_error(POS_T, POS_P)),
    ("CosineSimilarity", metrics.CosineSimilarity, REG_T, REG_P, True, _wmean(_cos(REG_T, REG_P), SW)),
    ("R2", metrics.R2Score, REG_T, REG_P, True, skm.r2_score(REG_T, REG_P, sample_weight=SW)),
    ("R2-variance", lambda: metrics.R2Score(class_aggregation="variance_weighted_average"),
     REG_T, REG_P, False, skm.r2_score(REG_T, REG_P, multioutput="variance_weighted")),
    ("R2-none", lambda: metrics.R2Score(class_aggregation=None), REG_T, REG_P, False,
     skm.r2_score(REG_T, REG_P, multioutput="raw_values")),
    ("MeanIoU", lambda: metrics.MeanIoU(num_classes=C), LAB, PROBS.argmax(-1), True,
     _miou(LAB, PROBS.argmax(-1), SW)),
    ("Hinge", metrics.Hinge, ML_T, ML_P, True,
     _wmean(np.maximum(1 - (2 * ML_T - 1) * ML_P, 0).mean(-1), SW)),
    ("KLDivergence", metrics.KLDivergence, PROBS[::-1].copy(), PROBS, False,
     float((PROBS[::-1] * np.log(PROBS[::-1] / PROBS)).sum(-1).mean())),
    ("Poisson", metrics.Poisson, POS_T, POS_P, False,
     float((POS_P - POS_T * np.log(POS_P + 1e-7)).mean())),
    ("CategoricalCrossentropy", metrics.CategoricalCrossentropy, ONEHOT, PROBS, True,
     _wmean(-np.log(PROBS[np.arange(N), LAB]), SW)),
    ("SparseCategoricalCrossentropy", metrics.SparseCategoricalCrossentropy, LAB, PROBS, False,
     skm.log_loss(LAB, PROBS)),
    ("BinaryCrossentropy", metrics.BinaryCrossentropy, BIN_T, BIN_P, False,
     skm.log_loss(BIN_T, BIN_P)),
]
TOL = {"AUC-ROC": 5e-3, "AUC-ROC-logits": 5e-3, "AUC-PR": 2e-2}


def _fw(a, fw, to_fw):
    return None if a is None else to_fw(a, fw)


def _update(m, fw, to_fw, y_true, y_pred, weighted, sl):
    sw = _fw(SW[sl], fw, to_fw) if weighted else None
    if y_true is None:
        m.update_state(_fw(y_pred[sl], fw, to_fw), sample_weight=sw)
    else:
        m.update_state(_fw(y_true[sl], fw, to_fw), _fw(y_pred[sl], fw, to_fw), sample_weight=sw)


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_metric_matches_reference(any_framework, to_fw, to_np, case):
    _, factory, y_true, y_pred, weighted, expected = case
    fw = any_framework
    m = factory()
    for sl in (slice(0, 20), slice(20, N)):  # two batches
        _update(m, fw, to_fw, y_true, y_pred, weighted, sl)
    got = to_np(m.result())
    tol = TOL.get(case[0], 1e-4)
    np.testing.assert_allclose(got, np.asarray(expected, dtype="float64"), rtol=tol, atol=tol)
    # stateless API from fresh state gives the same
    state = [v.value for v in m.variables]
    m.reset_state()
    zeros = m.stateless_reset_state()
    for sl in (slice(0, 20), slice(20, N)):
        sw = _fw(SW[sl], fw, to_fw) if weighted else None
        args = ((_fw(y_pred[sl], fw, to_fw),) if y_true is None
                else (_fw(y_true[sl], fw, to_fw), _fw(y_pred[sl], fw, to_fw)))
        zeros = m.stateless_update_state(zeros, *args, sample_weight=sw)
    np.testing.assert_allclose(to_np(m.stateless_result(zeros)), got, rtol=1e-6, atol=1e-6)
    # the stateless calls left the (reset) stateful variables alone
    for v, s in zip(m.variables, state):
        assert np.all(v.numpy() == 0)
        del s


JIT_CASES = ["AUC-ROC", "Precision-top_k", "F1-micro", "R2", "MeanIoU", "TopK2", "Recall-class_id"]


@pytest.mark.parametrize("name", JIT_CASES)
def test_stateless_update_traces_under_jax_jit(name, to_fw):
    jax = pytest.importorskip("jax")
    _, factory, y_true, y_pred, weighted, expected = next(c for c in CASES if c[0] == name)
    m = factory()
    _update(m, "jax", to_fw, y_true, y_pred, weighted, slice(0, 1))  # place + build
    m.reset_state()
    step = jax.jit(lambda s, t, p, w: m.stateless_update_state(s, t, p, sample_weight=w))
    state = [v.value for v in m.variables]
    for sl in (slice(0, 20), slice(20, N)):
        state = step(state, to_fw(y_true[sl], "jax"), to_fw(y_pred[sl], "jax"),
                     to_fw(SW[sl], "jax") if weighted else None)
    tol = TOL.get(name, 1e-4)
    np.testing.assert_allclose(np.asarray(m.stateless_result(state)), np.asarray(expected),
                               rtol=tol, atol=tol)


def test_loss_metrics_are_means_of_losses(framework, to_fw, to_np):
    pairs = [(metrics.SquaredHinge, losses.squared_hinge, ML_T, ML_P),
             (metrics.CategoricalHinge, losses.categorical_hinge, ONEHOT, PROBS),
             (metrics.LogCoshError, losses.log_cosh, REG_T, REG_P)]
    for cls, fn, t, p in pairs:
        m = cls()
        m.update_state(to_fw(t, framework), to_fw(p, framework), sample_weight=to_fw(SW, framework))
        np.testing.assert_allclose(to_np(m.result()), _wmean(np.asarray(fn(t, p), "float64"), SW),
                                   rtol=1e-5)


def test_get_aliases_and_config():
    for name, cls in [("auc", "AUC"), ("precision", "Precision"), ("recall", "Recall"),
                      ("mse", "MeanSquaredError"), ("mae", "MeanAbsoluteError"),
                      ("rmse", "RootMeanSquaredError"), ("f1_score", "F1Score"),
                      ("r2_score", "R2Score"), ("top_k_categorical_accuracy", "TopKCategoricalAccuracy"),
                      ("binary_crossentropy", "BinaryCrossentropy"), ("hinge", "Hinge"),
                      ("kld", "KLDivergence"), ("logcosh", "LogCoshError"), ("AUC", "AUC")]:
        assert type(metrics.get(name)).__name__ == cls, name
    assert metrics.get("mse").name == "mse"
    for m in (metrics.AUC(curve="PR", num_thresholds=50), metrics.Precision(thresholds=[0.2], top_k=2),
              metrics.F1Score(average="macro", threshold=0.4), metrics.MeanIoU(3),
              metrics.R2Score(num_regressors=1), metrics.TopKCategoricalAccuracy(k=3)):
        again = metrics.deserialize(metrics.serialize(m))
        assert type(again) is type(m) and again.get_config() == m.get_config()
    with pytest.raises(ValueError, match="metric identifier"):
        metrics.get("nope")
    with pytest.raises(ValueError, match="F1Score: average"):
        metrics.F1Score(average="samples")
    with pytest.raises(ValueError, match="AUC: curve"):
        metrics.AUC(curve="XY")


def test_matches_keras3_metrics():
    import os

    os.environ.setdefault("KERAS_BACKEND", "jax")
    keras = pytest.importorskip("keras")
    km = keras.metrics
    pairs = [
        (metrics.AUC(), km.AUC(), BIN_T, BIN_P, SW),
        (metrics.AUC(curve="PR"), km.AUC(curve="PR"), BIN_T, BIN_P, SW),
        (metrics.AUC(multi_label=True), km.AUC(multi_label=True), ML_T, ML_P, None),
        (metrics.AUC(summation_method="minoring", num_thresholds=37),
         km.AUC(summation_method="minoring", num_thresholds=37), BIN_T, BIN_P, None),
        (metrics.Precision(top_k=2), km.Precision(top_k=2), ML_T, ML_P, SW),
        (metrics.Recall(thresholds=[0.2, 0.6], class_id=1), km.Recall(thresholds=[0.2, 0.6], class_id=1),
         ML_T, ML_P, SW),
        (metrics.F1Score(average="weighted"), km.F1Score(average="weighted"), ONEHOT, PROBS, SW),
        (metrics.F1Score(threshold=0.5), km.F1Score(threshold=0.5), ML_T, ML_P, None),
        (metrics.R2Score(num_regressors=2), km.R2Score(num_regressors=2), REG_T, REG_P, SW),
        (metrics.MeanIoU(C), km.MeanIoU(C), LAB, PROBS.argmax(-1), None),
        (metrics.TopKCategoricalAccuracy(k=2), km.TopKCategoricalAccuracy(k=2), ONEHOT, PROBS, SW),
        (metrics.RootMeanSquaredError(), km.RootMeanSquaredError(), REG_T, REG_P, SW),
        (metrics.CosineSimilarity(), km.CosineSimilarity(), REG_T, REG_P, SW),
    ]
    for ours, theirs, t, p, w in pairs:
        ours.update_state(t, p, sample_weight=w)
        theirs.update_state(t, p, sample_weight=w)
        np.testing.assert_allclose(np.asarray(ours.result()),
                                   keras.ops.convert_to_numpy(theirs.result()),
                                   rtol=1e-5, atol=1e-6, err_msg=type(ours).__name__)


def test_mean_deferred_updates_equal_immediate_ones(framework, to_fw, to_np):
    """Mean.defer_update (the eager torch fit's loss tracker) gives the result, the
    variables and the reset of update_state: unequal weights, more values than one
    fold (256), reads in between."""
    vals = RNG.normal(size=600).astype("float32")
    weights = [32] * 599 + [7]  # a last, smaller batch
    eager, deferred = metrics.Mean(), metrics.Mean()
    for v, w in zip(vals, weights):
        eager.update_state(to_fw(np.asarray(v), framework), sample_weight=w)
        deferred.defer_update(to_fw(np.asarray(v), framework), w)
    assert len(deferred._pending) == 600 % 256  # folded in every 256 values
    ref = float(np.dot(vals.astype("float64"), weights) / sum(weights))
    np.testing.assert_allclose(to_np(deferred.result()), ref, rtol=1e-5)
    np.testing.assert_allclose(to_np(deferred.result()), to_np(eager.result()), rtol=1e-5)
    deferred.defer_update(to_fw(vals[0:1].reshape(()), framework), 3)
    total, count = (to_np(v.numpy()) for v in deferred.variables)  # reading folds in
    np.testing.assert_allclose(count, sum(weights) + 3)
    np.testing.assert_allclose(total, np.dot(vals.astype("float64"), weights) + 3 * vals[0],
                               rtol=1e-5)
    deferred.defer_update(to_fw(vals[1:2].reshape(()), framework), 3)
    deferred.reset_state()  # pending values are dropped with the rest
    assert float(to_np(deferred.result())) == 0.0
