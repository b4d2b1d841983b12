"""Reference numbers from Keras 3 itself for test_ema_remote_callbacks.py (run in a
subprocess, KERAS_BACKEND=jax): fits with ``use_ema`` and ``SwapEMAWeights``."""

import os
import sys

import numpy as np

import keras

rng = np.random.default_rng(3)
r = {"x": rng.normal(size=(24, 4)).astype("float32"),
     "y": rng.normal(size=(24, 2)).astype("float32")}
model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="tanh"),
                          keras.layers.Dense(2)])
w0 = [rng.normal(size=v.shape).astype("float32") * 0.5 for v in model.get_weights()]
for i, w in enumerate(w0):
    r[f"w{i}"] = w
for tag, swap_on_epoch, cbs in (("plain", False, False), ("swap", False, True),
                                ("epoch", True, True)):
    model.set_weights(w0)
    model.compile(keras.optimizers.Adam(0.05, use_ema=True, ema_momentum=0.8), "mse")
    callbacks = [keras.callbacks.SwapEMAWeights(swap_on_epoch=swap_on_epoch)] if cbs else []
    h = model.fit(r["x"], r["y"], batch_size=8, epochs=3, shuffle=False, verbose=0,
                  validation_data=(r["x"][:10], r["y"][:10]), callbacks=callbacks)
    r[f"{tag}_loss"] = np.asarray(h.history["loss"])
    r[f"{tag}_val_loss"] = np.asarray(h.history["val_loss"])
    for i, w in enumerate(model.get_weights()):
        r[f"{tag}_after{i}"] = w
    r[f"{tag}_eval"] = np.asarray(model.evaluate(r["x"], r["y"], verbose=0))
np.savez(os.path.join(sys.argv[1], "refs.npz"), **r)
