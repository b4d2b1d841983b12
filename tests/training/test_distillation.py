"""keras.distillation against Keras 3 itself: the same teacher, student, weights and
data give Keras' per-epoch losses (student, distillation, total) and the student's
final weights on every framework; the teacher stays frozen; configs round trip;
bad arguments get Keras' errors."""

from __future__ import annotations

import os
import sys

import numpy as np
import pytest

import unikeras as keras
from unikeras.xp import asarray

sys.path.insert(0, os.path.dirname(__file__))
from _distillation_case import build, data  # noqa: E402

REF = os.path.join(os.path.dirname(__file__), "_keras_distillation_ref.py")


def test_distiller_fit_matches_keras(framework, keras_script_refs):
    if framework == "numpy":
        pytest.skip("training needs an autodiff framework")
    refs = keras_script_refs(REF)
    x, y = data()
    distiller = build(keras)
    teacher_before = [np.array(w) for w in distiller.teacher.get_weights()]
    hist = distiller.fit(asarray(x, framework=framework), asarray(y, framework=framework),
                         batch_size=8, epochs=2, shuffle=False, verbose=0).history
    assert set(hist) == {k[5:] for k in refs if k.startswith("hist_")}
    for key, values in hist.items():
        np.testing.assert_allclose(values, refs[f"hist_{key}"], rtol=2e-5, atol=1e-6,
                                   err_msg=key)
    for i, w in enumerate(distiller.student.get_weights()):
        np.testing.assert_allclose(w, refs[f"w{i}"], rtol=1e-4, atol=1e-6)
    for a, b in zip(distiller.teacher.get_weights(), teacher_before):
        np.testing.assert_array_equal(a, b)
    assert not distiller.teacher.trainable
    assert {id(v) for v in distiller.trainable_variables} == {
        id(v) for v in distiller.student.trainable_variables}


def test_config_round_trip_and_errors():
    d = keras.distillation
    logits = d.LogitsDistillation(temperature=4.0, loss=["kl_divergence", None])
    again = d.LogitsDistillation.from_config(logits.get_config())
    assert again.temperature == 4.0 and again.loss[1] is None
    feat = d.FeatureDistillation(loss="mae", teacher_layer_name="a", student_layer_name="b")
    assert d.FeatureDistillation.from_config(feat.get_config()).get_config() == \
        feat.get_config()
    with pytest.raises(ValueError, match="temperature must be positive"):
        d.LogitsDistillation(temperature=0)
    with pytest.raises(ValueError, match="at least one"):
        d.FeatureDistillation(loss=[None])
    distiller = build(keras)
    with pytest.raises(ValueError, match="student_loss_weight must be between"):
        d.Distiller(distiller.teacher, distiller.student, d.LogitsDistillation(),
                    student_loss_weight=1.5)
    with pytest.raises(ValueError, match="must match number of distillation_losses"):
        d.Distiller(distiller.teacher, distiller.student, [d.LogitsDistillation()], [1, 2])
    with pytest.raises(ValueError, match="In teacher model"):
        d.Distiller(distiller.teacher, distiller.student,
                    d.FeatureDistillation(teacher_layer_name="nope"))
    with pytest.raises(ValueError, match="'loss'"):
        distiller.compile(optimizer="sgd")
