"""Reference numbers from Keras 3 itself for test_loss_scale.py (run in a subprocess with
KERAS_BACKEND=jax): ``python _keras_loss_scale_refs.py OUT_DIR`` writes ``refs.npz``."""

import os
import sys

import numpy as np

import keras
from keras import layers

out = sys.argv[1]
r = {}
rng = np.random.default_rng(0)
x = rng.normal(size=(32, 4)).astype("float32")
y = rng.normal(size=(32, 1)).astype("float32")
r["x"], r["y"] = x, y

keras.mixed_precision.set_global_policy("mixed_float16")


def model():
    return keras.Sequential([keras.Input((4,)), layers.Dense(8, activation="relu"),
                             layers.Dense(1, dtype="float32")])


# compile wraps the optimizer (default scale 2**15, growth every 2000 steps)
m = model()
w = [rng.normal(size=v.shape).astype("float32") * 0.5 for v in m.get_weights()]
for i, wi in enumerate(w):
    r[f"w{i}"] = wi
m.set_weights(w)
m.compile(keras.optimizers.SGD(0.05, momentum=0.5), "mse")
assert isinstance(m.optimizer, keras.optimizers.LossScaleOptimizer)
h = m.fit(x, y, batch_size=8, epochs=3, verbose=0, shuffle=False)
r["auto_loss"] = np.asarray(h.history["loss"])
r["auto_scale"] = np.asarray(m.optimizer.dynamic_scale)
r["auto_iterations"] = np.asarray(m.optimizer.iterations)
for i, wi in enumerate(m.get_weights()):
    r[f"auto_after{i}"] = wi
m.save(os.path.join(out, "mixed.keras"))  # the optimizer state with the scale

# a scale so high that the float16 gradients overflow: skipped steps, halvings, then
# growth every 3 finite steps
m = model()
m.set_weights(w)
m.compile(keras.optimizers.LossScaleOptimizer(keras.optimizers.Adam(0.01), initial_scale=2.0 ** 24,
                                              dynamic_growth_steps=3), "mse")
h = m.fit(x, y, batch_size=8, epochs=3, verbose=0, shuffle=False)
r["high_loss"] = np.asarray(h.history["loss"])
r["high_scale"] = np.asarray(m.optimizer.dynamic_scale)
r["high_counter"] = np.asarray(m.optimizer.step_counter)
r["high_iterations"] = np.asarray(m.optimizer.iterations)
for i, wi in enumerate(m.get_weights()):
    r[f"high_after{i}"] = wi
np.savez(os.path.join(out, "refs.npz"), **r)
