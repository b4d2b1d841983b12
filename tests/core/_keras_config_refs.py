"""Reference configs from Keras 3 itself for test_config_names.py (run in a subprocess):
``python _keras_config_refs.py OUT_DIR`` writes ``refs.npz`` (JSON strings)."""

import json
import os
import sys

import numpy as np

import keras

out = sys.argv[1]
r = {}
objs = {
    "max_norm": keras.constraints.MaxNorm(2.0, axis=1),
    "min_max_norm": keras.constraints.MinMaxNorm(0.5, 2.0, rate=0.5, axis=0),
    "non_neg": keras.constraints.NonNeg(),
    "l1_l2": keras.regularizers.L1L2(l1=0.01, l2=0.02),
    "l2": keras.regularizers.L2(0.3),
    "orthogonal_regularizer": keras.regularizers.OrthogonalRegularizer(0.1, mode="columns"),
}
for k, v in objs.items():
    mod = keras.constraints if "norm" in k or k == "non_neg" else keras.regularizers
    r[k] = np.asarray(json.dumps(mod.serialize(v)))
names = [n for n in dir(keras.initializers) if n[:1].islower() and n not in
         ("get", "serialize", "deserialize")]
r["initializer_aliases"] = np.asarray(json.dumps(
    {n: getattr(keras.initializers, n).__name__ for n in names}))
np.savez(os.path.join(out, "refs.npz"), **r)
