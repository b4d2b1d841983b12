"""Cases for test_losses_metrics_vs_keras.py, run by both sides: Keras 3 itself runs
``python _keras_loss_metric_refs.py OUT_DIR`` (KERAS_BACKEND=jax, in a subprocess) and
writes every case's result to ``refs.npz``; the test runs the same case functions with
``unikeras`` and each framework's arrays. A case is ``fn(K, A)``: ``K`` the keras-like
module, ``A(name)`` the named NumPy input as the side's array."""

import os
import sys

import numpy as np

rng = np.random.default_rng(14)
_emb = rng.normal(size=(8, 4))
DATA = {
    "seg_true": (rng.random((2, 3, 3, 1)) > 0.5).astype("float32"),
    "seg_pred": rng.random((2, 3, 3, 1)).astype("float32"),
    "sw2": np.array([0.5, 2.0], "float32"),
    "emb": (_emb / np.linalg.norm(_emb, axis=1, keepdims=True)).astype("float32"),
    "emb_labels": np.array([0, 1, 0, 2, 1, 0, 3, 2], "int32"),
    "ref_emb": (_emb[:5] / np.linalg.norm(_emb[:5], axis=1, keepdims=True))[::-1].astype("float32"),
    "ref_labels": np.array([2, 0, 1, 1, 0], "int32"),
    "sw8": np.array([1.0, 0.5, 2.0, 1.0, 0.0, 1.5, 1.0, 3.0], "float32"),
    "cls": np.array([0, 3, 1, 1, 2, 0], "int32"),
    "probs": (lambda z: (np.exp(z) / np.exp(z).sum(-1, keepdims=True)).astype("float32"))(
        rng.normal(size=(6, 4))),
    "sw6": np.array([1.0, 2.0, 0.5, 1.0, 3.0, 1.0], "float32"),
    "lab_a": np.array([0, 1, 2, 3, 3, 2, 1, 0, 2, 1], "int32"),
    "pred_a": np.array([0, 2, 2, 3, 1, 2, 1, 3, 2, 0], "int32"),
    "lab_b": np.array([3, 3, 0, 1, 2, 2], "int32"),
    "pred_b": np.array([3, 0, 0, 1, 2, 1], "int32"),
    "isw_a": np.array([1, 2, 1, 1, 3, 1, 2, 1, 1, 1], "float32"),
    "bin_true": np.array([0, 1, 0, 1, 1, 0, 1, 0], "int32"),
    "bin_pred": rng.random(8).astype("float32"),
    "onehot": np.eye(3, dtype="float32")[[2, 0, 1, 0, 2, 2, 1]],
    "onehot_pred": rng.random((7, 3)).astype("float32"),
    "y_reg": rng.normal(size=(5, 6)).astype("float32"),
    "p_reg": rng.normal(size=(5, 6)).astype("float32"),
    "y_reg2": rng.normal(size=(4, 6)).astype("float32"),
    "p_reg2": rng.normal(size=(4, 6)).astype("float32"),
    "sw5": np.array([1.0, 2.0, 0.5, 1.0, 3.0], "float32"),
    "score_true": (_lab := (rng.random(40) > 0.45).astype("float32")),
    "score": (0.15 * _lab + 0.85 * rng.random(40)).astype("float32"),
    "score_sw": rng.random(40).astype("float32") * 2,
    "mc_true": (_mc := np.eye(3, dtype="float32")[rng.integers(0, 3, 30)]),
    "mc_pred": (0.15 * _mc + 0.85 * rng.random((30, 3))).astype("float32"),
}


def _metric(m, *updates):
    for args in updates:
        m.update_state(*args)
    return m.result()


CASES = {
    # losses: functions and classes
    "dice_fn": lambda K, A: K.losses.dice(A("seg_true"), A("seg_pred")),
    "dice_fn_axis": lambda K, A: K.losses.dice(A("seg_true"), A("seg_pred"), axis=(1, 2, 3)),
    "dice_cls_sw": lambda K, A: K.losses.Dice(axis=(1, 2, 3))(
        A("seg_true"), A("seg_pred"), sample_weight=A("sw2")),
    "dice_cls_none": lambda K, A: K.losses.Dice(axis=(1, 2, 3), reduction=None)(
        A("seg_true"), A("seg_pred")),
    "tversky_fn": lambda K, A: K.losses.tversky(A("seg_true"), A("seg_pred"), alpha=0.3,
                                                beta=0.7, axis=(1, 2, 3)),
    "tversky_cls": lambda K, A: K.losses.Tversky()(A("seg_true"), A("seg_pred")),
    "tversky_cls_sum": lambda K, A: K.losses.Tversky(alpha=0.2, beta=0.8, axis=(1, 2, 3),
                                                     reduction="sum")(A("seg_true"), A("seg_pred")),
    "circle_fn": lambda K, A: K.losses.circle(A("emb_labels"), A("emb")),
    "circle_fn_ref": lambda K, A: K.losses.circle(
        A("emb_labels"), A("emb"), ref_labels=A("ref_labels"), ref_embeddings=A("ref_emb"),
        remove_diagonal=False, gamma=10, margin=0.25),
    "circle_cls": lambda K, A: K.losses.Circle()(A("emb_labels"), A("emb")),
    "circle_cls_sw": lambda K, A: K.losses.Circle(gamma=20.0, margin=0.3)(
        A("emb_labels"), A("emb"), sample_weight=A("sw8")),
    "circle_cls_none": lambda K, A: K.losses.Circle(reduction="none")(A("emb_labels"), A("emb")),
    "gce_fn": lambda K, A: K.losses.categorical_generalized_cross_entropy(
        A("cls"), A("probs"), q=0.7),
    "gce_cls": lambda K, A: K.losses.CategoricalGeneralizedCrossEntropy()(A("cls"), A("probs")),
    "gce_cls_sw": lambda K, A: K.losses.CategoricalGeneralizedCrossEntropy(q=0.3)(
        A("cls"), A("probs"), sample_weight=A("sw6")),
    # IoU family (integer weights: Keras accumulates in int by default)
    "iou": lambda K, A: _metric(K.metrics.IoU(4, [0, 2]), (A("lab_a"), A("pred_a"), A("isw_a")),
                                (A("lab_b"), A("pred_b"))),
    "iou_ignore": lambda K, A: _metric(K.metrics.IoU(4, [1, 3], ignore_class=2),
                                       (A("lab_a"), A("pred_a"))),
    "mean_iou": lambda K, A: _metric(K.metrics.MeanIoU(4), (A("lab_a"), A("pred_a")),
                                     (A("lab_b"), A("pred_b"))),
    "binary_iou": lambda K, A: _metric(K.metrics.BinaryIoU(threshold=0.3),
                                       (A("bin_true"), A("bin_pred"))),
    "binary_iou_1": lambda K, A: _metric(K.metrics.BinaryIoU([1]),
                                         (A("bin_true"), A("bin_pred"))),
    "onehot_iou": lambda K, A: _metric(K.metrics.OneHotIoU(3, [0, 2]),
                                       (A("onehot"), A("onehot_pred"))),
    "onehot_mean_iou": lambda K, A: _metric(K.metrics.OneHotMeanIoU(3),
                                            (A("onehot"), A("onehot_pred"))),
    # correlations
    "pearson_fn": lambda K, A: K.metrics.pearson_correlation(A("y_reg"), A("p_reg")),
    "concordance_fn": lambda K, A: K.metrics.concordance_correlation(A("y_reg"), A("p_reg")),
    "pearson": lambda K, A: _metric(K.metrics.PearsonCorrelation(),
                                    (A("y_reg"), A("p_reg"), A("sw5")),
                                    (A("y_reg2"), A("p_reg2"))),
    "concordance": lambda K, A: _metric(K.metrics.ConcordanceCorrelation(),
                                        (A("y_reg"), A("p_reg"), A("sw5")),
                                        (A("y_reg2"), A("p_reg2"))),
    "pearson_axis0": lambda K, A: _metric(K.metrics.PearsonCorrelation(axis=0),
                                          (A("y_reg"), A("p_reg"))),
    # "X at Y"
    "sens_at_spec": lambda K, A: _metric(K.metrics.SensitivityAtSpecificity(0.6),
                                         (A("score_true"), A("score"), A("score_sw"))),
    "spec_at_sens": lambda K, A: _metric(K.metrics.SpecificityAtSensitivity(0.7,
                                                                            num_thresholds=50),
                                         (A("score_true"), A("score"))),
    "prec_at_rec": lambda K, A: _metric(K.metrics.PrecisionAtRecall(0.5),
                                        (A("score_true"), A("score"), A("score_sw"))),
    "rec_at_prec": lambda K, A: _metric(K.metrics.RecallAtPrecision(0.8, num_thresholds=100),
                                        (A("score_true"), A("score"))),
    "rec_at_prec_class": lambda K, A: _metric(K.metrics.RecallAtPrecision(0.75, class_id=1),
                                              (A("mc_true"), A("mc_pred"))),
    "sens_at_spec_one": lambda K, A: _metric(K.metrics.SensitivityAtSpecificity(
        0.3, num_thresholds=1), (A("score_true"), A("score"))),
}

if __name__ == "__main__":
    import keras

    out = {}
    for key, case in CASES.items():
        out[key] = np.asarray(keras.ops.convert_to_numpy(case(keras, lambda n: DATA[n])))
    np.savez(os.path.join(sys.argv[1], "refs.npz"), **out)
