"""Every loss (function and class) vs NumPy references written here from the published
formulas, on every installed framework (numpy included: losses are inference math),
reductions and sample weights, and Keras 3's own losses on the same data."""

from __future__ import annotations

import math

import numpy as np
import pytest

from unikeras import losses

EPS = 1e-7
RNG = np.random.default_rng(0)
N, C = 6, 4
PROBS = RNG.dirichlet(np.ones(C), size=N).astype("float32")
ONEHOT = np.eye(C, dtype="float32")[RNG.integers(0, C, size=N)]
BIN_T = RNG.integers(0, 2, size=(N, C)).astype("float32")
BIN_P = RNG.uniform(0.05, 0.95, size=(N, C)).astype("float32")
REG_T = RNG.normal(size=(N, C)).astype("float32")
REG_P = RNG.normal(size=(N, C)).astype("float32")
POS_T = RNG.uniform(0.1, 3, size=(N, C)).astype("float32")
POS_P = RNG.uniform(0.1, 3, size=(N, C)).astype("float32")
LOGITS = RNG.normal(size=(N, C)).astype("float32") * 2


def _softmax(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _bce(t, p):
    p = np.clip(p, EPS, 1 - EPS)
    return -(t * np.log(p) + (1 - t) * np.log(1 - p))


def ref_bfce(t, p, balance=False, alpha=0.25, gamma=2.0, from_logits=False, ls=0.0):
    t = t * (1 - ls) + 0.5 * ls
    if from_logits:
        p = _sigmoid(p)
    pt = t * p + (1 - t) * (1 - p)
    f = (1 - pt) ** gamma * _bce(t, p)
    if balance:
        f = (t * alpha + (1 - t) * (1 - alpha)) * f
    return f.mean(-1)


def ref_cfce(t, p, alpha=0.25, gamma=2.0, from_logits=False):
    if from_logits:
        p = _softmax(p)
    p = np.clip(p / p.sum(-1, keepdims=True), EPS, 1 - EPS)
    return (alpha * (1 - p) ** gamma * -t * np.log(p)).sum(-1)


def _hinge_t(t):
    return 2 * t - 1 if np.all((t == 0) | (t == 1)) else t


def _cos(t, p):
    tn = t / np.sqrt((t * t).sum(-1, keepdims=True))
    pn = p / np.sqrt((p * p).sum(-1, keepdims=True))
    return -(tn * pn).sum(-1)


# (function name, class name, class kwargs, y_true, y_pred, reference(y_true, y_pred))
CASES = [
    ("mean_squared_error", "MeanSquaredError", {}, REG_T, REG_P, lambda t, p: ((p - t) ** 2).mean(-1)),
    ("mean_absolute_error", "MeanAbsoluteError", {}, REG_T, REG_P, lambda t, p: np.abs(p - t).mean(-1)),
    ("mean_absolute_percentage_error", "MeanAbsolutePercentageError", {}, REG_T, REG_P,
     lambda t, p: 100 * np.abs((t - p) / np.maximum(np.abs(t), EPS)).mean(-1)),
    ("mean_squared_logarithmic_error", "MeanSquaredLogarithmicError", {}, POS_T, POS_P,
     lambda t, p: ((np.log1p(p) - np.log1p(t)) ** 2).mean(-1)),
    ("huber", "Huber", {"delta": 0.7}, REG_T, REG_P,
     lambda t, p: np.where(np.abs(p - t) <= 0.7, 0.5 * (p - t) ** 2,
                           0.7 * np.abs(p - t) - 0.5 * 0.49).mean(-1)),
    ("log_cosh", "LogCosh", {}, REG_T, REG_P, lambda t, p: np.log(np.cosh(p - t)).mean(-1)),
    ("hinge", "Hinge", {}, BIN_T, REG_P,
     lambda t, p: np.maximum(1 - _hinge_t(t) * p, 0).mean(-1)),
    ("squared_hinge", "SquaredHinge", {}, BIN_T, REG_P,
     lambda t, p: (np.maximum(1 - _hinge_t(t) * p, 0) ** 2).mean(-1)),
    ("categorical_hinge", "CategoricalHinge", {}, ONEHOT, REG_P,
     lambda t, p: np.maximum(((1 - t) * p).max(-1) - (t * p).sum(-1) + 1, 0)),
    ("kl_divergence", "KLDivergence", {}, PROBS, PROBS[::-1].copy(),
     lambda t, p: (t * np.log(t / p)).sum(-1)),
    ("poisson", "Poisson", {}, POS_T, POS_P, lambda t, p: (p - t * np.log(p + EPS)).mean(-1)),
    ("cosine_similarity", "CosineSimilarity", {"axis": -1}, REG_T, REG_P, _cos),
    ("binary_crossentropy", "BinaryCrossentropy", {}, BIN_T, BIN_P, lambda t, p: _bce(t, p).mean(-1)),
    ("binary_crossentropy", "BinaryCrossentropy", {"from_logits": True, "label_smoothing": 0.2},
     BIN_T, LOGITS, lambda t, p: _bce(t * 0.8 + 0.1, _sigmoid(p)).mean(-1)),
    ("categorical_crossentropy", "CategoricalCrossentropy", {}, ONEHOT, PROBS,
     lambda t, p: -(t * np.log(p)).sum(-1)),
    ("categorical_crossentropy", "CategoricalCrossentropy",
     {"from_logits": True, "label_smoothing": 0.1}, ONEHOT, LOGITS,
     lambda t, p: -((t * 0.9 + 0.1 / C) * np.log(_softmax(p))).sum(-1)),
    ("sparse_categorical_crossentropy", "SparseCategoricalCrossentropy", {"from_logits": True},
     ONEHOT.argmax(-1), LOGITS,
     lambda t, p: -np.log(_softmax(p))[np.arange(N), t]),
    ("binary_focal_crossentropy", "BinaryFocalCrossentropy", {}, BIN_T, BIN_P, ref_bfce),
    ("binary_focal_crossentropy", "BinaryFocalCrossentropy",
     {"apply_class_balancing": True, "alpha": 0.3, "gamma": 1.5, "from_logits": True,
      "label_smoothing": 0.1}, BIN_T, LOGITS,
     lambda t, p: ref_bfce(t, p, True, 0.3, 1.5, True, 0.1)),
    ("categorical_focal_crossentropy", "CategoricalFocalCrossentropy", {}, ONEHOT, PROBS, ref_cfce),
    ("categorical_focal_crossentropy", "CategoricalFocalCrossentropy",
     {"alpha": 0.5, "gamma": 3.0, "from_logits": True}, ONEHOT, LOGITS,
     lambda t, p: ref_cfce(t, p, 0.5, 3.0, True)),
]
IDS = [f"{c[1]}{'-' + '-'.join(c[2]) if c[2] else ''}" for c in CASES]


@pytest.mark.parametrize("fn_name,cls_name,kwargs,y_true,y_pred,ref", CASES, ids=IDS)
def test_loss_matches_reference(any_framework, to_fw, to_np, fn_name, cls_name, kwargs,
                                y_true, y_pred, ref):
    fw = any_framework
    t, p = to_fw(y_true, fw), to_fw(y_pred, fw)
    expected = ref(y_true.astype("float64") if y_true.dtype.kind == "f" else y_true,
                   y_pred.astype("float64"))
    per_sample = getattr(losses, fn_name)(t, p, **kwargs)
    np.testing.assert_allclose(to_np(per_sample), expected, rtol=1e-4, atol=1e-5)
    sw = np.linspace(0.0, 2.0, N).astype("float32")
    loss = getattr(losses, cls_name)(**kwargs)
    np.testing.assert_allclose(to_np(loss(t, p)), expected.mean(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(to_np(loss(t, p, sample_weight=to_fw(sw, fw))),
                               (expected * sw).sum() / N, rtol=1e-4, atol=1e-5)


def test_reductions(any_framework, to_fw, to_np):
    t, p = to_fw(REG_T, any_framework), to_fw(REG_P, any_framework)
    per = ((REG_P.astype("float64") - REG_T) ** 2).mean(-1)
    sw = np.arange(N, dtype="float32")
    got = {r: to_np(losses.MeanSquaredError(reduction=r)(t, p, sample_weight=to_fw(sw, any_framework)))
           for r in ("sum", "sum_over_batch_size", "mean", "mean_with_sample_weight", "none")}
    np.testing.assert_allclose(got["sum"], (per * sw).sum(), rtol=1e-5)
    np.testing.assert_allclose(got["sum_over_batch_size"], (per * sw).sum() / N, rtol=1e-5)
    np.testing.assert_allclose(got["mean"], (per * sw).sum() / N, rtol=1e-5)
    np.testing.assert_allclose(got["mean_with_sample_weight"], (per * sw).sum() / sw.sum(), rtol=1e-5)
    np.testing.assert_allclose(got["none"], per * sw, rtol=1e-5)
    with pytest.raises(ValueError, match="reduction"):
        losses.MeanSquaredError(reduction="avg")


def test_rank_alignment_like_keras():
    # y_true (N, 1) with y_pred (N,): Keras expands y_pred, giving per-sample values
    t = REG_T[:, :1]
    p = REG_P[:, 0]
    np.testing.assert_allclose(losses.mean_squared_error(t, p), (p - t[:, 0]) ** 2, rtol=1e-6)
    with pytest.raises(ValueError, match="mean_squared_error.*y_true.shape=.*y_pred.shape"):
        losses.mean_squared_error(REG_T, REG_P[:, :3])


def test_hinge_keeps_signed_labels():
    t = np.where(BIN_T > 0, 1.0, -1.0).astype("float32")
    np.testing.assert_allclose(losses.hinge(t, REG_P), np.maximum(1 - t * REG_P, 0).mean(-1), rtol=1e-6)


def test_get_config_roundtrip():
    for name in ("mse", "MAE", "mape", "msle", "kld", "logcosh", "huber", "hinge", "poisson",
                 "cosine_similarity", "binary_focal_crossentropy", "categorical_hinge"):
        assert callable(losses.get(name))
    for name, cls in losses.ALL_CLASSES.items():
        obj = losses.get(name)
        assert isinstance(obj, cls)
        again = losses.deserialize(losses.serialize(obj))
        assert type(again) is cls and again.get_config() == obj.get_config()
    h = losses.Huber(delta=2.0, reduction="sum", name="h")
    assert losses.Huber.from_config(h.get_config()).get_config() == {"name": "h", "reduction": "sum", "delta": 2.0}
    assert losses.Huber().name == "huber_loss"
    with pytest.raises(ValueError, match="loss identifier"):
        losses.get("nope")


def test_matches_keras3_losses():
    import os

    os.environ.setdefault("KERAS_BACKEND", "jax")
    keras = pytest.importorskip("keras")
    for fn_name, cls_name, kwargs, y_true, y_pred, _ in CASES:
        sw = np.linspace(0.5, 1.5, N).astype("float32")
        ours = getattr(losses, cls_name)(**kwargs)(y_true, y_pred, sample_weight=sw)
        theirs = getattr(keras.losses, cls_name)(**kwargs)(y_true, y_pred, sample_weight=sw)
        np.testing.assert_allclose(np.asarray(ours), keras.ops.convert_to_numpy(theirs),
                                   rtol=1e-5, atol=1e-6, err_msg=cls_name)


def test_sparse_ce_target_shape_rules(any_framework, to_fw, to_np):
    """One set of shape rules (nn_ops.losses.check_sparse_target) for the loss, the op
    and every fast path: a trailing 1 is squeezed, anything else off the expected shape
    is refused with the shapes named."""
    rng = np.random.default_rng(3)
    logits = rng.normal(size=(4, 5)).astype("float32")
    labels = np.array([0, 4, 2, 1])
    ref = -(logits - np.log(np.exp(logits).sum(-1, keepdims=True)))[np.arange(4), labels]
    for y in (labels, labels[:, None]):
        out = losses.sparse_categorical_crossentropy(to_fw(y, any_framework),
                                                     to_fw(logits, any_framework),
                                                     from_logits=True)
        np.testing.assert_allclose(to_np(out), ref, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match=r"sparse_categorical_crossentropy.*expected "
                                         r"target.shape=\(4,\), received target.shape=\(3,\)"):
        losses.sparse_categorical_crossentropy(to_fw(labels[:3], any_framework),
                                               to_fw(logits, any_framework), from_logits=True)


def test_mse_unweighted_mean_is_fused_with_the_same_value_and_gradient(framework, to_fw, to_np):
    """MeanSquaredError without weights takes the fused batch mean (torch: one mse_loss
    node); its value and its gradient equal the per-sample path's (a subclass that
    overrides call(), a weight of ones, or a broadcast shape keep that path)."""
    t = to_fw(REG_T, framework)
    ref = ((REG_P.astype("float64") - REG_T) ** 2).mean()

    class Unfused(losses.MeanSquaredError):
        def call(self, y_true, y_pred):
            return losses.mean_squared_error(y_true, y_pred)

    def grad_of(loss):  # each framework's own autodiff, as its users write it
        p = to_fw(REG_P, framework)
        if framework == "jax":
            import jax

            return to_np(jax.grad(lambda q: loss(t, q))(p))
        if framework == "torch":
            p.requires_grad_(True)
            loss(t, p).backward()
            return to_np(p.grad)
        import tensorflow as tf

        with tf.GradientTape() as tape:
            tape.watch(p)
            value = loss(t, p)
        return to_np(tape.gradient(value, p))

    fused, unfused = losses.MeanSquaredError(), Unfused()
    for loss in (fused, unfused):
        np.testing.assert_allclose(to_np(loss(t, to_fw(REG_P, framework))), ref, rtol=1e-6)
    np.testing.assert_allclose(grad_of(fused), 2 * (REG_P - REG_T) / REG_P.size, rtol=1e-5,
                               atol=1e-7)
    np.testing.assert_allclose(grad_of(fused), grad_of(unfused), rtol=1e-6, atol=1e-8)
    ones = to_fw(np.ones(N, "float32"), framework)
    np.testing.assert_allclose(to_np(fused(t, to_fw(REG_P, framework), sample_weight=ones)),
                               ref, rtol=1e-6)
    # (N, 1) targets against (N,) predictions: Keras' rank alignment, not the fused path
    col = REG_T[:, :1]
    np.testing.assert_allclose(to_np(fused(to_fw(col, framework), to_fw(REG_P[:, 0], framework))),
                               ((REG_P[:, 0] - col[:, 0]) ** 2).mean(), rtol=1e-6)
    if framework == "torch":
        out = fused(t, to_fw(REG_P, framework).requires_grad_())
        assert type(out.grad_fn).__name__ == "MseLossBackward0"


def test_sparse_ce_unweighted_mean_is_fused_with_the_same_value_and_gradient(framework, to_fw,
                                                                            to_np):
    """SparseCategoricalCrossentropy(from_logits=True) without weights on (batch,
    classes) logits takes the fused batch mean where a framework has one (torch: one
    cross_entropy node) once the labels are known to be class ids: its gradient is the
    per-sample path's bit for bit, its value within one rounding; (batch, 1) labels too.
    Bad labels are still the eager ValueError; ignore_class keeps the masked path."""
    rng = np.random.default_rng(5)
    logits = (3 * rng.normal(size=(7, 4))).astype("float32")
    labels = np.array([0, 3, 1, 2, 2, 0, 3], "int32")
    z = logits.astype("float64")
    logp = z - np.log(np.exp(z - z.max(-1, keepdims=True)).sum(-1, keepdims=True)) - z.max(-1, keepdims=True)
    ref = -logp[np.arange(7), labels].mean()
    ref_grad = (np.exp(logp) - np.eye(4)[labels]) / 7

    class Unfused(losses.SparseCategoricalCrossentropy):
        def call(self, y_true, y_pred):
            return losses.sparse_categorical_crossentropy(y_true, y_pred, from_logits=True)

    def value_and_grad(loss, y):
        p = to_fw(logits, framework)
        if framework == "jax":
            import jax

            v, g = jax.value_and_grad(lambda q: loss(y, q))(p)
            return to_np(v), to_np(g)
        if framework == "torch":
            p.requires_grad_(True)
            v = loss(y, p)
            v.backward()
            return to_np(v.detach()), to_np(p.grad)
        import tensorflow as tf

        with tf.GradientTape() as tape:
            tape.watch(p)
            v = loss(y, p)
        return to_np(v), to_np(tape.gradient(v, p))

    fused = losses.SparseCategoricalCrossentropy(from_logits=True)
    for y in (labels, labels[:, None]):
        y = to_fw(y, framework)
        v, g = value_and_grad(fused, y)
        uv, ug = value_and_grad(Unfused(), y)
        np.testing.assert_allclose(v, ref, rtol=1e-6)
        np.testing.assert_allclose(g, ref_grad, rtol=1e-5, atol=1e-7)
        np.testing.assert_array_equal(g, ug)
        np.testing.assert_allclose(v, uv, rtol=2e-7, atol=0)
    if framework == "torch":
        out = fused(to_fw(labels, framework), to_fw(logits, framework).requires_grad_())
        assert type(out.grad_fn).__name__ == "NllLossBackward0"
    bad = to_fw(np.array([0, 3, 4, 2, 2, 0, -1], "int32"), framework)
    with pytest.raises(ValueError, match=r"out-of-range label\(s\): -1, 4"):
        fused(bad, to_fw(logits, framework))
    masked = losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=3)
    keep = labels != 3
    np.testing.assert_allclose(to_np(masked(to_fw(labels, framework), to_fw(logits, framework))),
                               -logp[np.arange(7), labels][keep].mean(), rtol=1e-6)
