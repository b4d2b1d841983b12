"""Reference numbers from Keras 3 itself (run by test_keras_guides.py in a subprocess with
KERAS_BACKEND=jax): ``python _keras_guide_refs.py OUT_DIR``. Writes ``refs.npz`` and a
``.keras`` file compiled with a loss given as a function object."""

import os
import sys

import numpy as np

import keras
from keras import layers

out = sys.argv[1]
r = {}
x = np.linspace(-4.0, 3.0, 15).astype("float32")
r["gelu_act"] = np.asarray(keras.activations.gelu(x))
r["gelu_layer"] = np.asarray(layers.Activation("gelu")(x))
r["gelu_ops"] = np.asarray(keras.ops.gelu(x))

y = np.array([0, -1, 1, 2, -1, 2], "int32")
logits = np.random.default_rng(0).normal(size=(6, 3)).astype("float32")
sw = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 0.5], "float32")
for red in ("sum_over_batch_size", "sum", "mean", "none"):
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=-1,
                                                      reduction=red)
    r[f"sce_{red}"] = np.asarray(loss(y, logits))
    r[f"sce_{red}_sw"] = np.asarray(loss(y, logits, sample_weight=sw))
r["sce_all_ignored"] = np.asarray(keras.losses.SparseCategoricalCrossentropy(
    ignore_class=-1)(np.full((3,), -1, "int32"), np.full((3, 3), 1 / 3, "float32")))

# a two-output model's History (per-output losses)
rng = np.random.default_rng(1)
mx = rng.normal(size=(12, 4)).astype("float32")
my1 = rng.normal(size=(12, 3)).astype("float32")
my2 = rng.normal(size=(12, 1)).astype("float32")
inp = keras.Input((4,))
model = keras.Model(inp, [layers.Dense(3, name="cls")(inp), layers.Dense(1, name="reg")(inp)])
w = [rng.normal(size=v.shape).astype("float32") * 0.3 for v in model.get_weights()]
model.set_weights(w)
model.compile(keras.optimizers.SGD(0.1), loss=["mse", "mae"], loss_weights=[1.0, 0.5],
              metrics=[["mae"], ["mse"]])
h = model.fit(mx, [my1, my2], batch_size=4, epochs=2, shuffle=False, verbose=0,
              validation_data=(mx[:5], [my1[:5], my2[:5]]))
for i, wi in enumerate(w):
    r[f"multi_w{i}"] = wi
for k, v in h.history.items():
    r[f"multi_hist_{k}"] = np.asarray(v)
r["multi_x"], r["multi_y1"], r["multi_y2"] = mx, my1, my2
ev = model.evaluate(mx, [my1, my2], verbose=0)
r["multi_eval_list"] = np.asarray(ev)

# a loss given as a function object, saved to a .keras file
seq = keras.Sequential([keras.Input((4,)), layers.Dense(2)])
seq.compile(keras.optimizers.SGD(0.1), loss=keras.losses.mean_squared_error,
            metrics=[keras.metrics.mean_absolute_error])
seq.save(os.path.join(out, "function_loss.keras"))
r["fn_eval"] = np.asarray(seq.evaluate(mx, my1[:, :2], verbose=0))
seq.fit(mx, my1[:, :2], batch_size=12, epochs=1, shuffle=False, verbose=0)
r["fn_after_step"] = np.asarray(seq.predict(mx, verbose=0))
np.savez(os.path.join(out, "refs.npz"), **r)
