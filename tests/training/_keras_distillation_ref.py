"""Keras 3 reference for tests/training/test_distillation.py (run in a subprocess by the
keras_script_refs fixture): a Distiller with logits and feature distillation, fitted
for two epochs with SGD from fixed weights; writes the history and the student's final
weights."""

import sys

import numpy as np

import keras

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from _distillation_case import build, data  # noqa: E402

out = sys.argv[1]
x, y = data()
distiller = build(keras)
hist = distiller.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0).history
refs = {f"hist_{k}": np.asarray(v) for k, v in hist.items()}
refs.update({f"w{i}": np.asarray(w) for i, w in enumerate(distiller.student.get_weights())})
np.savez(f"{out}/refs.npz", **refs)
