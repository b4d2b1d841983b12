"""Cases for test_more_optimizers.py, run by both sides: Keras 3 itself runs
``python _keras_optimizer_refs.py OUT_DIR`` (KERAS_BACKEND=jax, in a subprocess) and
writes, per case, the variables after ``STEPS`` updates with the gradients below and the
optimizer's ``iterations``; the test builds the same variables and optimizer with
unikeras on each framework. A case is ``fn(K) -> optimizer``."""

import os
import sys

import numpy as np

STEPS = 4
rng = np.random.default_rng(7)
SHAPES = {"proj/kernel": (3, 4), "proj/bias": (4,), "head/kernel": (4, 2),
          "head/bias": (2,), "tok_embedding/embeddings": (6, 4)}
INIT = [rng.normal(size=s).astype("float32") * 0.5 for s in SHAPES.values()]
GRADS = [[rng.normal(size=s).astype("float32") for s in SHAPES.values()]
         for _ in range(STEPS)]


def variables(K):
    """The model's variables (paths proj/..., head/..., tok_embedding/embeddings) with
    the INIT values."""
    model = K.Sequential([K.Input((3,)), K.layers.Dense(4, name="proj"),
                          K.layers.Dense(2, name="head")])
    emb = K.layers.Embedding(6, 4, name="tok_embedding")
    emb.build((None,))
    vs = list(model.trainable_variables) + list(emb.trainable_variables)
    for v, w in zip(vs, INIT):
        v.assign(w)
    return vs


def _multi_fn(K):
    adam, sgd = K.optimizers.Adam(0.01), K.optimizers.SGD(0.1, momentum=0.9)
    return K.optimizers.MultiOptimizer(lambda v: sgd if "kernel" in v.path else adam)


CASES = {
    "ftrl": lambda K: K.optimizers.Ftrl(0.05),
    "ftrl_reg": lambda K: K.optimizers.Ftrl(
        0.1, learning_rate_power=-0.7, initial_accumulator_value=0.2,
        l1_regularization_strength=0.01, l2_regularization_strength=0.02,
        l2_shrinkage_regularization_strength=0.01, beta=0.1),
    "lamb": lambda K: K.optimizers.Lamb(0.01),
    "lamb_wd": lambda K: K.optimizers.Lamb(0.02, beta_1=0.8, weight_decay=0.05),
    "muon": lambda K: K.optimizers.Muon(0.02),
    "muon_opts": lambda K: K.optimizers.Muon(
        0.02, nesterov=False, rms_rate=None, exclude_layers=["head"], adam_lr_ratio=0.5,
        weight_decay=0.01, adam_weight_decay=0.02, ns_steps=3, momentum=0.9),
    "muon_embeddings": lambda K: K.optimizers.Muon(0.01, exclude_embeddings=False),
    "schedule_free": lambda K: K.optimizers.ScheduleFreeAdamW(0.01),
    "schedule_free_opts": lambda K: K.optimizers.ScheduleFreeAdamW(
        0.02, beta_1=0.8, warmup_steps=3, weight_decay=0.01),
    "multi_map": lambda K: K.optimizers.MultiOptimizer(K.optimizers.OptimizerMap(
        K.optimizers.Adam(0.01), {".*proj/.*": K.optimizers.SGD(0.1, momentum=0.9),
                                  ".*embeddings": K.optimizers.Lamb(0.05)})),
    "multi_fn": _multi_fn,
}

if __name__ == "__main__":
    import keras

    out = {}
    for key, case in CASES.items():
        vs = variables(keras)
        opt = case(keras)
        for grads in GRADS:
            opt.apply([keras.ops.convert_to_tensor(g) for g in grads], vs)
        for i, v in enumerate(vs):
            out[f"{key}/{i}"] = keras.ops.convert_to_numpy(v.value)
        out[f"{key}/iterations"] = np.asarray(keras.ops.convert_to_numpy(opt.iterations))
        out[f"{key}/n_variables"] = np.asarray(len(opt.variables))
    np.savez(os.path.join(sys.argv[1], "refs.npz"), **out)
