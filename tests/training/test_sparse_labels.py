"""Sparse labels out of range (< 0 or >= num_classes): a ValueError naming the bad
labels where reading them costs no device sync (host data, eager CPU arrays), NaN
otherwise (traced steps), never a finite made-up loss; the same rule on every
framework, for the sparse losses and metrics."""

from __future__ import annotations

import math

import numpy as np
import pytest

import unikeras as keras
from unikeras import layers
from unikeras.xp import installed_frameworks, to_numpy

Y_BAD = np.array([0, 3, 5, -1, 2])
P = np.full((5, 3), 1 / 3, "float32")

FNS = {
    "loss": keras.losses.sparse_categorical_crossentropy,
    "loss_class": lambda t, p: keras.losses.SparseCategoricalCrossentropy(reduction=None)(t, p),
    "accuracy": keras.metrics.sparse_categorical_accuracy,
    "top_k": lambda t, p: keras.metrics.sparse_top_k_categorical_accuracy(t, p, k=2),
}


@pytest.mark.parametrize("fn", sorted(FNS))
def test_eager_bad_labels_raise_naming_them(any_framework, to_fw, fn):
    with pytest.raises(ValueError, match=r"\[0, 3\).*3 out-of-range label\(s\): -1, 3, 5"):
        FNS[fn](to_fw(Y_BAD, any_framework), to_fw(P, any_framework))
    good = to_numpy(FNS[fn](to_fw(np.array([0, 1, 2, 2, 1]), any_framework),
                            to_fw(P, any_framework)))
    assert np.all(np.isfinite(good))


def test_ignore_class_is_not_out_of_range(any_framework, to_fw):
    y = to_fw(np.array([0, -1, 2]), any_framework)
    out = to_numpy(keras.losses.sparse_categorical_crossentropy(
        y, to_fw(P[:3], any_framework), ignore_class=-1))
    np.testing.assert_allclose(out, [math.log(3), 0.0, math.log(3)], rtol=1e-6)


def _traced(framework):
    if framework == "jax":
        import jax

        return jax.jit
    if framework == "tensorflow":
        import tensorflow as tf

        return tf.function
    return None


TRACING = [f for f in installed_frameworks() if f in ("jax", "tensorflow")]


@pytest.mark.parametrize("framework", TRACING)
@pytest.mark.parametrize("fn", sorted(FNS))
def test_traced_bad_labels_give_nan_not_a_finite_value(framework, to_fw, fn):
    wrap = _traced(framework)
    out = to_numpy(wrap(FNS[fn])(to_fw(Y_BAD, framework), to_fw(P, framework)))
    bad = np.array([False, True, True, True, False])
    assert np.all(np.isnan(out[bad])), out
    assert np.all(np.isfinite(out[~bad])), out


@pytest.mark.parametrize("functional", [False, True])
def test_fit_and_evaluate_with_bad_host_labels_raise_on_every_framework(framework, to_fw,
                                                                        functional):
    """fit/evaluate check array labels once, before the (traced) steps."""
    if functional:
        i = layers.Input((4,))
        m = keras.Model(i, layers.Dense(3)(i))
    else:
        m = keras.Sequential([layers.Input((4,)), layers.Dense(3)])
    m.compile("sgd", keras.losses.SparseCategoricalCrossentropy(from_logits=True),
              metrics=["sparse_categorical_accuracy"])
    x = to_fw(np.ones((8, 4), "float32"), framework)
    y = to_fw(np.array([0, 1, 2, 7, 0, 1, 2, -3]), framework)
    before = [np.array(w) for w in m.get_weights()]
    with pytest.raises(ValueError, match=r"2 out-of-range label\(s\): -3, 7"):
        m.fit(x, y, epochs=1, batch_size=8, verbose=0)
    with pytest.raises(ValueError, match=r"out-of-range label\(s\): -3, 7"):
        m.evaluate(x, y, verbose=0)
    for a, b in zip(m.get_weights(), before):  # refused before any step
        np.testing.assert_array_equal(np.asarray(a), b)


def test_traced_fit_on_bad_labels_gives_nan(framework, to_fw):
    """Labels the pre-check cannot see (a generator's batches) reach the step: where the
    step is traced (jax, TensorFlow, torch's functional transforms) the loss and the
    metric are NaN; an eager step that can read them raises. Never a finite value."""
    m = keras.Sequential([layers.Input((4,)), layers.Dense(3)])
    m.compile("sgd", keras.losses.SparseCategoricalCrossentropy(from_logits=True),
              metrics=["sparse_categorical_accuracy"])
    x = to_fw(np.ones((8, 4), "float32"), framework)
    y = to_fw(np.array([0, 1, 2, 7, 0, 1, 2, 0]), framework)

    def batches():
        while True:
            yield x, y

    try:
        h = m.fit(batches(), steps_per_epoch=1, epochs=1, verbose=0)
    except ValueError as e:
        assert "out-of-range label(s): 7" in str(e)
        return
    assert math.isnan(h.history["loss"][0])
    assert math.isnan(h.history["sparse_categorical_accuracy"][0])


def _np_mean_iou(y, p, n):
    cm = np.zeros((n, n))
    for t, q in zip(y, p):
        cm[t, q] += 1
    tp = np.diag(cm)
    denom = cm.sum(0) + cm.sum(1) - tp
    return np.mean(tp[denom > 0] / denom[denom > 0])


def test_mean_iou_bad_labels(any_framework, to_fw):
    """MeanIoU: an out-of-range y_true is a ValueError eagerly; in-range labels give the
    NumPy confusion-matrix IoU."""
    m = keras.metrics.MeanIoU(num_classes=3)
    with pytest.raises(ValueError, match=r"MeanIoU.*out-of-range label\(s\): 4"):
        m.update_state(to_fw(np.array([0, 4, 1]), any_framework),
                       to_fw(np.array([0, 1, 1]), any_framework))
    y, p = np.array([0, 1, 2, 2, 1]), np.array([0, 2, 2, 1, 1])
    m.update_state(to_fw(y, any_framework), to_fw(p, any_framework))
    np.testing.assert_allclose(float(to_numpy(m.result())), _np_mean_iou(y, p, 3), rtol=1e-6)


@pytest.mark.parametrize("framework", TRACING)
def test_mean_iou_traced_bad_labels_give_nan(framework, to_fw):
    m = keras.metrics.MeanIoU(num_classes=3)
    y, p = to_fw(np.array([0, 4, 1]), framework), to_fw(np.array([0, 1, 1]), framework)
    if framework == "jax":
        import jax

        new = jax.jit(lambda s, a, b: m.stateless_update_state(s, a, b))(
            [v.value for v in m.variables], y, p)
        assert np.all(np.isnan(to_numpy(new[0])))
    else:
        import tensorflow as tf

        tf.function(lambda a, b: m.update_state(a, b))(y, p)
        assert np.isnan(float(to_numpy(m.result())))
