"""Keras 3 reference for tests/layers/test_lora.py (run as ``python THIS OUT_DIR`` with
KERAS_BACKEND=jax by the ``keras_script_refs`` fixture; writes OUT_DIR/refs.npz and
OUT_DIR/lora.keras)."""

import os
import sys

import numpy as np

import keras

out = sys.argv[1]
rng = np.random.default_rng(0)
refs = {}


def weights_of(layer):
    return [rng.standard_normal(w.shape).astype("float32") for w in layer.weights]


def record(tag, layer, x):
    ws = weights_of(layer)
    layer.set_weights(ws)
    for i, w in enumerate(ws):
        refs[f"{tag}_w{i}"] = w
    refs[f"{tag}_x"] = x
    refs[f"{tag}_y"] = keras.ops.convert_to_numpy(layer(x))
    refs[f"{tag}_alpha"] = np.asarray(layer.lora_alpha, "float64")
    refs[f"{tag}_names"] = np.asarray([w.path.split("/")[-1] for w in layer.weights])
    refs[f"{tag}_trainable"] = np.asarray([w.trainable for w in layer.weights])


x2 = rng.standard_normal((3, 5)).astype("float32")
x3 = rng.standard_normal((2, 3, 5)).astype("float32")
idx = np.array([[0, 3, 6], [2, 2, 5]], "int32")

d = keras.layers.Dense(4, lora_rank=2, lora_alpha=6)   # 3.15's build keeps alpha = rank
d.build((None, 5))
record("dense_ctor", d, x2)
d = keras.layers.Dense(4, activation="relu")
d.build((None, 5))
d.enable_lora(3, lora_alpha=6)
record("dense_enable", d, x2)
e = keras.layers.EinsumDense("abc,cde->abde", output_shape=(3, 6, 4), bias_axes="e",
                             lora_rank=2, lora_alpha=5)
e.build((None, 3, 5))
record("einsum_ctor", e, x3)
e = keras.layers.EinsumDense("ab,bcd->acd", output_shape=(6, 4), bias_axes="d")
e.build((None, 5))
e.enable_lora(2, lora_alpha=8)
record("einsum_enable", e, x2)
m = keras.layers.Embedding(7, 3, lora_rank=2, lora_alpha=4)
m.build()
record("emb_ctor", m, idx)
m = keras.layers.Embedding(7, 3)
m.build()
m.enable_lora(3, lora_alpha=1.5)
record("emb_enable", m, idx)

# convolutions (Keras' BaseConv: built with lora_rank it keeps lora_alpha)
c = keras.layers.Conv1D(4, 3, padding="causal", lora_rank=2, lora_alpha=3)
c.build((None, 7, 5))
record("conv1d_ctor", c, rng.standard_normal((2, 7, 5)).astype("float32"))
c = keras.layers.Conv2D(4, (3, 2), groups=2, activation="relu")
c.build((None, 6, 5, 4))
c.enable_lora(3, lora_alpha=6)
record("conv2d_enable", c, rng.standard_normal((2, 6, 5, 4)).astype("float32"))
c = keras.layers.Conv3D(2, 2, data_format="channels_first", lora_rank=1)
c.build((None, 3, 4, 4, 4))
record("conv3d_ctor", c, rng.standard_normal((1, 3, 4, 4, 4)).astype("float32"))

inp = keras.Input((6, 6, 3))
h = keras.layers.Conv2D(4, 3, activation="tanh", lora_rank=2, lora_alpha=4, name="conv")(inp)
h = keras.layers.GlobalAveragePooling2D()(h)
conv_model = keras.Model(inp, keras.layers.Dense(2, name="head")(h))
conv_model.set_weights(weights_of(conv_model))
refs["conv_model_weights_n"] = np.asarray(len(conv_model.weights))
for i, w in enumerate(conv_model.get_weights()):
    refs[f"conv_model_w{i}"] = w
refs["conv_model_x"] = rng.standard_normal((2, 6, 6, 3)).astype("float32")
refs["conv_model_y"] = keras.ops.convert_to_numpy(conv_model(refs["conv_model_x"]))
conv_model.save(os.path.join(out, "conv_lora.keras"))

# a model saved in Keras' format (merged kernels, no LoRA factors in the file)
inp = keras.Input((3,), dtype="int32")
h = keras.layers.Embedding(7, 4, lora_rank=2, name="emb")(inp)
h = keras.layers.Dense(5, activation="tanh", lora_rank=2, name="dense")(h)
y = keras.layers.EinsumDense("abc,cd->abd", output_shape=(3, 2), lora_rank=2, lora_alpha=4,
                             bias_axes="d", name="ed")(h)
model = keras.Model(inp, y)
model.set_weights(weights_of(model))
refs["model_weights_n"] = np.asarray(len(model.weights))
for i, w in enumerate(model.get_weights()):
    refs[f"model_w{i}"] = w
refs["model_y"] = keras.ops.convert_to_numpy(model(idx))
model.save(os.path.join(out, "lora.keras"))

# fit trains only the LoRA factors (and the bias): full-batch SGD, 3 steps
def record_fit(tag, layer, xs, ys, lr):
    fit = keras.Sequential([keras.Input(xs.shape[1:]), layer])
    fit.layers[0].enable_lora(2, lora_alpha=4)
    ws = weights_of(fit)
    fit.set_weights(ws)
    for i, w in enumerate(ws):
        refs[f"{tag}_w{i}"] = w
    refs[f"{tag}_x"], refs[f"{tag}_y"] = xs, ys
    fit.compile(keras.optimizers.SGD(lr), "mse")
    hist = fit.fit(xs, ys, batch_size=8, epochs=3, shuffle=False, verbose=0)
    refs[f"{tag}_loss"] = np.asarray(hist.history["loss"])
    for i, w in enumerate(fit.get_weights()):
        refs[f"{tag}_after_w{i}"] = w


record_fit("fit", keras.layers.Dense(2, name="d"), rng.standard_normal((8, 5)).astype("float32"),
           rng.standard_normal((8, 2)).astype("float32"), 0.1)
# (a smaller step for the convolution: its loss is larger, 0.1 diverges)
record_fit("conv_fit", keras.layers.Conv2D(3, 3, name="c"),
           rng.standard_normal((8, 5, 5, 2)).astype("float32"),
           rng.standard_normal((8, 3, 3, 3)).astype("float32"), 0.005)

np.savez(os.path.join(out, "refs.npz"), **refs)
