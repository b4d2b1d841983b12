"""Hypothesis: every loss agrees across the installed frameworks (array_api_strict
included: the written-once path) and a NumPy float64 run of the same formula (itself
checked against hand-written references in tests/training); confusion/score metrics
agree across frameworks and with sklearn."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, strategies as st

from harness import arrays, assert_all_close, frameworks, run_everywhere
from unikeras import losses, metrics

PAIRWISE = ["mean_squared_error", "mean_absolute_error", "mean_absolute_percentage_error",
            "huber", "log_cosh", "hinge", "squared_hinge", "categorical_hinge",
            "cosine_similarity"]
POSITIVE = ["mean_squared_logarithmic_error", "poisson", "kl_divergence"]
PROBABILISTIC = ["binary_crossentropy", "categorical_crossentropy", "binary_focal_crossentropy",
                 "categorical_focal_crossentropy"]


def _shape():
    return st.sampled_from([(2, 3), (4, 5)])  # few shapes: eager jax compiles per shape


def _ref(name, t, p, **kw):
    return np.asarray(getattr(losses, name)(t.astype(np.float64), p.astype(np.float64), **kw))


@given(data=st.data())
def test_pairwise_losses_agree_everywhere(data):
    shape = data.draw(_shape())
    t = data.draw(arrays("float32", shape, max_magnitude=5.0))
    p = data.draw(arrays("float32", shape, max_magnitude=5.0))
    # cosine similarity: no direction for ~zero vectors
    t = t + np.where(np.abs(t).sum(-1, keepdims=True) < 1e-2, 1.0, 0.0).astype("float32")
    p = p + np.where(np.abs(p).sum(-1, keepdims=True) < 1e-2, 1.0, 0.0).astype("float32")
    res = run_everywhere(lambda a, b: [getattr(losses, n)(a, b) for n in PAIRWISE], t, p,
                         frameworks=frameworks())
    assert_all_close(res, [_ref(n, t, p) for n in PAIRWISE], "float32", rtol=1e-4, atol=1e-4)


@given(data=st.data())
def test_positive_losses_agree_everywhere(data):
    shape = data.draw(_shape())
    t = data.draw(arrays("float32", shape, min_value=0.015625, max_value=3.0))
    p = data.draw(arrays("float32", shape, min_value=0.015625, max_value=3.0))
    res = run_everywhere(lambda a, b: [getattr(losses, n)(a, b) for n in POSITIVE], t, p,
                         frameworks=frameworks())
    assert_all_close(res, [_ref(n, t, p) for n in POSITIVE], "float32", rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("name", PROBABILISTIC)
@given(data=st.data(), from_logits=st.booleans(), smoothing=st.sampled_from([0.0, 0.1]))
def test_probabilistic_loss_agrees_everywhere(name, data, from_logits, smoothing):
    shape = data.draw(_shape())
    n, c = shape
    if name.startswith("categorical"):
        t = np.eye(c, dtype="float32")[data.draw(arrays("int32", (n,), min_value=0, max_value=c - 1))]
    else:
        t = data.draw(arrays("float32", shape, min_value=0.0, max_value=1.0))
    if from_logits:
        p = data.draw(arrays("float32", shape, max_magnitude=8.0))
    else:
        p = data.draw(arrays("float32", shape, min_value=0.015625, max_value=0.984375))
    kw = {"from_logits": from_logits, "label_smoothing": smoothing}
    res = run_everywhere(lambda a, b: getattr(losses, name)(a, b, **kw), t, p,
                         frameworks=frameworks())
    assert_all_close(res, _ref(name, t, p, **kw), "float32", rtol=1e-4, atol=1e-4)


@given(data=st.data())
def test_confusion_metrics_agree_with_sklearn(data):
    from sklearn import metrics as skm

    n = data.draw(st.sampled_from([8, 24]))
    t = data.draw(arrays("int32", (n,), min_value=0, max_value=1)).astype("float32")
    p = data.draw(arrays("float32", (n,), min_value=0.0, max_value=1.0))
    w = data.draw(arrays("float32", (n,), min_value=0.125, max_value=2.0))

    def run(t, p, w):
        out = []
        for m in (metrics.Precision(), metrics.Recall(), metrics.BinaryAccuracy()):
            m.update_state(t, p, sample_weight=w)
            out.append(m.result())
        return out

    res = run_everywhere(run, t, p, w, frameworks=[f for f in frameworks() if f != "array_api_strict"])
    pred = p > 0.5
    ref = [skm.precision_score(t, pred, sample_weight=w, zero_division=0),
           skm.recall_score(t, pred, sample_weight=w, zero_division=0),
           skm.accuracy_score(t, pred, sample_weight=w)]
    assert_all_close(res, [np.float32(r) for r in ref], "float32", rtol=1e-5, atol=1e-5)
