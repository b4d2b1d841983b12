"""Keras 3 reference for tests/layers/test_quantize.py (run as ``python THIS OUT_DIR`` with
KERAS_BACKEND=jax by the ``keras_script_refs`` fixture; writes OUT_DIR/refs.npz and
OUT_DIR/int8.keras)."""

import os
import sys

import numpy as np

import keras

out = sys.argv[1]
rng = np.random.default_rng(0)
refs = {}


def model(name_suffix=""):
    return keras.Sequential([keras.Input((6,)),
                             keras.layers.Dense(5, activation="relu", name="d1"),
                             keras.layers.Dense(3, use_bias=False, name="d2")])


x = rng.standard_normal((4, 6)).astype("float32")
m = model()
ws = [rng.standard_normal(w.shape).astype("float32") for w in m.weights]
m.set_weights(ws)
for i, w in enumerate(ws):
    refs[f"float_w{i}"] = w
refs["x"] = x
refs["float_y"] = np.asarray(m(x))
m.quantize("int8")
refs["names"] = np.asarray([w.path for w in m.weights])
for i, w in enumerate(m.get_weights()):
    refs[f"int8_w{i}"] = w
refs["int8_y"] = np.asarray(m(x))
m.save(os.path.join(out, "int8.keras"))

# weights only, inputs not quantized
m2 = model()
m2.set_weights(ws)
m2.quantize(config=keras.quantizers.Int8QuantizationConfig(activation_quantizer=None))
refs["w8_y"] = np.asarray(m2(x))

# a fit through a quantized layer: the float layer before it trains through the
# dequantized kernel (Keras' custom gradient)
f = keras.Sequential([keras.Input((6,)), keras.layers.Dense(5, name="f1"),
                      keras.layers.Dense(3, name="f2")])
fw = [rng.standard_normal(w.shape).astype("float32") * 0.5 for w in f.weights]
f.set_weights(fw)
for i, w in enumerate(fw):
    refs[f"fit_w{i}"] = w
f.layers[1].quantize("int8")
ys = rng.standard_normal((4, 3)).astype("float32")
refs["fit_y"] = ys
f.compile(keras.optimizers.SGD(0.05), "mse")
h = f.fit(x, ys, batch_size=4, epochs=3, shuffle=False, verbose=0)
refs["fit_loss"] = np.asarray(h.history["loss"])
for i, w in enumerate(f.get_weights()):
    refs[f"fit_after_w{i}"] = w

# keras.quantizers functions
a = rng.standard_normal((3, 4)).astype("float32")
refs["q_in"] = a
q, s = keras.quantizers.abs_max_quantize(a, axis=-1)
refs["q_axis_last"], refs["q_scale_last"] = np.asarray(q), np.asarray(s)
q, s = keras.quantizers.AbsMaxQuantizer(axis=0, value_range=(-8, 7))(a)
refs["q_axis0"], refs["q_scale0"] = np.asarray(q), np.asarray(s)
refs["qdq"] = np.asarray(keras.quantizers.quantize_and_dequantize(
    a * 300, np.float32(0.5), "float8_e4m3fn", "float32"))

# Embedding + Dense quantized together
em = keras.Sequential([keras.Input((3,), dtype="int32"), keras.layers.Embedding(7, 4, name="e"),
                       keras.layers.Dense(2, name="o")])
ew = [rng.standard_normal(w.shape).astype("float32") for w in em.weights]
em.set_weights(ew)
for i, w in enumerate(ew):
    refs[f"emb_float_w{i}"] = w
ids = np.array([[0, 3, 6], [2, 2, 5]], "int32")
refs["ids"] = ids
em.quantize("int8")
refs["emb_names"] = np.asarray([w.path.split("/", 1)[1] for w in em.weights])
for i, w in enumerate(em.get_weights()):
    refs[f"emb_int8_w{i}"] = w
refs["emb_y"] = np.asarray(em(ids))
em.save(os.path.join(out, "emb_int8.keras"))

i4 = rng.integers(-8, 8, size=(5, 3, 4)).astype("int8")
refs["i4"] = i4
for axis in (0, 1, -1):
    p, shape, n = keras.quantizers.pack_int4(i4, axis=axis)
    refs[f"pack_{axis}"] = np.asarray(p)
    refs[f"unpack_{axis}"] = np.asarray(keras.quantizers.unpack_int4(p, n, axis=axis))
    refs[f"unpack_u_{axis}"] = np.asarray(
        keras.quantizers.unpack_int4(p, n, axis=axis, dtype="uint8"))
amax = np.array([0.0, 3.0, np.inf, 0.5], "float32")
old = np.array([2.0, 2.0, 2.0, 0.25], "float32")
refs["f8_scale"] = np.asarray(keras.quantizers.compute_float8_scale(amax, old, 448.0, 1))
hist = np.arange(5, dtype="float32")
refs["f8_hist"] = np.asarray(keras.quantizers.compute_float8_amax_history(-a * 7, hist))

np.savez(os.path.join(out, "refs.npz"), **refs)
