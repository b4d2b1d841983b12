"""Keras 3 reference for tests/layers/test_quantize_modes.py (run as ``python THIS OUT_DIR``
with KERAS_BACKEND=jax by the ``keras_script_refs`` fixture; writes OUT_DIR/refs.npz and
one OUT_DIR/<case>.keras per quantized model)."""

import os
import sys

import numpy as np

import keras
from keras import layers, quantizers

out = sys.argv[1]
rng = np.random.default_rng(1)
refs = {}
I4 = quantizers.Int4QuantizationConfig


def normal(*shape, scale=1.0):
    return (rng.standard_normal(shape) * scale).astype("float32")


def record(name, model, inputs, reverse_of=None):
    """Float weights in, quantized weights/names/outputs and the .keras file out."""
    for i, w in enumerate(model.get_weights()):
        refs[f"{name}_w{i}"] = w
    refs[f"{name}_names"] = np.asarray([w.path.split("/", 1)[-1] for w in model.weights])
    refs[f"{name}_policies"] = np.asarray([l.dtype_policy.name for l in model.layers])
    refs[f"{name}_y"] = np.asarray(model(inputs))
    model.save(os.path.join(out, f"{name}.keras"))


x6 = normal(4, 6)
x3d = normal(2, 3, 6)
ids = np.array([[0, 3, 6], [2, 2, 5]], "int32")
refs["x6"], refs["x3d"], refs["ids"] = x6, x3d, ids


def dense_model():
    return keras.Sequential([keras.Input((6,)), layers.Dense(5, activation="relu", name="d1"),
                             layers.Dense(3, use_bias=False, name="d2")])


def einsum_model():
    return keras.Sequential([
        keras.Input((3, 6)),
        layers.EinsumDense("abc,cde->abde", (3, 2, 4), bias_axes="de", name="e1"),
        layers.Reshape((3, 8)),
        layers.EinsumDense("abc,cd->abd", (3, 5), bias_axes="d", name="e2"),
        layers.EinsumDense("abc,cd->ad", 3, name="e3")])


def emb_model(tie=True):
    inp = keras.Input((3,), dtype="int32")
    r = layers.ReversibleEmbedding(9, 6, tie_weights=tie, name="r")
    y = r(r(inp), reverse=True)
    return keras.Model(inp, y)


cases = [
    ("dense_int4", dense_model, x6, ("int4", None)),
    ("dense_int4g", dense_model, x6, (None, I4(block_size=4))),
    ("dense_int4_w8q", dense_model, x6,
     (None, I4(block_size=None, activation_quantizer=quantizers.AbsMaxQuantizer()))),
    ("dense_float8", dense_model, x6, ("float8", None)),
    ("ein_int8", einsum_model, x3d, ("int8", None)),
    ("ein_w8", einsum_model, x3d,
     (None, quantizers.Int8QuantizationConfig(activation_quantizer=None))),
    ("ein_int4", einsum_model, x3d, ("int4", None)),
    ("ein_int4g", einsum_model, x3d, (None, I4(block_size=4))),
    ("ein_float8", einsum_model, x3d, ("float8", None)),
]
for tie in (True, False):
    t = "tied" if tie else "untied"
    cases += [(f"rev_{t}_int8", lambda tie=tie: emb_model(tie), ids, ("int8", None)),
              (f"rev_{t}_int4", lambda tie=tie: emb_model(tie), ids, ("int4", None)),
              (f"rev_{t}_int4g", lambda tie=tie: emb_model(tie), ids,
               (None, I4(block_size=4)))]


def emb_plain():
    return keras.Sequential([keras.Input((3,), dtype="int32"), layers.Embedding(9, 5, name="e"),
                             layers.Dense(2, name="o")])


cases += [("emb_int4", emb_plain, ids, ("int4", None)),
          ("emb_int4g", emb_plain, ids, (None, I4(block_size=2)))]

for name, build, inputs, (mode, config) in cases:
    m = build()
    ws = [normal(*w.shape) for w in m.weights]
    m.set_weights(ws)
    for i, w in enumerate(ws):
        refs[f"{name}_float{i}"] = w
    m.quantize(mode, config=config)
    record(name, m, inputs)

# LoRA on quantized layers: enable_lora after quantize (QLoRA), random factors
for mode in ("int8", "int4"):
    m = dense_model()
    m.set_weights([refs[f"dense_int4_float{i}"] for i in range(3)])
    m.quantize(mode)
    m.get_layer("d1").enable_lora(2)
    d1 = m.get_layer("d1")
    d1.lora_kernel_a.assign(normal(6, 2))
    d1.lora_kernel_b.assign(normal(2, 5, scale=0.3))
    refs[f"lora_{mode}_a"] = np.asarray(d1.lora_kernel_a)
    refs[f"lora_{mode}_b"] = np.asarray(d1.lora_kernel_b)
    refs[f"lora_{mode}_y"] = np.asarray(m(x6))
    m.save(os.path.join(out, f"lora_{mode}.keras"))
    back = keras.saving.load_model(os.path.join(out, f"lora_{mode}.keras"))
    refs[f"lora_{mode}_reload_y"] = np.asarray(back(x6))
    for i, w in enumerate(back.get_weights()):
        refs[f"lora_{mode}_reload_w{i}"] = w

# float8 training: delayed scaling through fit (SGD; the scales are overwritten)
f = keras.Sequential([keras.Input((6,)), layers.Dense(5, name="f1"), layers.Dense(3, name="f2")])
fw = [normal(*w.shape, scale=0.5) for w in f.weights]
f.set_weights(fw)
for i, w in enumerate(fw):
    refs[f"f8fit_w{i}"] = w
f.quantize("float8")
refs["f8fit_names"] = np.asarray([w.path for w in f.weights])
ys = normal(4, 3)
refs["f8fit_y"] = ys
f.compile(keras.optimizers.SGD(0.05), "mse")
h = f.fit(x6, ys, batch_size=2, epochs=2, shuffle=False, verbose=0)
refs["f8fit_loss"] = np.asarray(h.history["loss"])
for i, w in enumerate(f.get_weights()):
    refs[f"f8fit_after_w{i}"] = w
refs["f8fit_pred"] = np.asarray(f(x6))

# quantizer functions
a = normal(10, 4)
q, s, z = quantizers.abs_max_quantize_grouped_with_zero_point(a, block_size=4, to_numpy=True)
refs["g_in"], refs["g_q_np"], refs["g_s_np"], refs["g_z_np"] = a, *map(np.asarray, (q, s, z))
q, s, z = quantizers.abs_max_quantize_grouped_with_zero_point(a, block_size=4)
refs["g_q"], refs["g_s"], refs["g_z"] = map(np.asarray, (q, s, z))
a2 = a.copy()
a2[:4, 1] = 0.5  # a constant group: the tensor path widens its range
q, s, z = quantizers.abs_max_quantize_grouped_with_zero_point(a2, block_size=4)
refs["g2_in"], refs["g2_q"], refs["g2_s"], refs["g2_z"] = a2, *map(np.asarray, (q, s, z))

import jax  # noqa: E402

fq_x = normal(3, 4, scale=2.0)
refs["fq_x"] = fq_x
for tag, lo, hi, kw in [("t", np.float32(-1.5), np.float32(2.2), {}),
                        ("tn", np.float32(-1.0), np.float32(1.3),
                         {"num_bits": 4, "narrow_range": True}),
                        ("c", np.array([-1.0, -0.5, -2.0, -0.1], "float32"),
                         np.array([1.0, 2.5, 0.7, 3.0], "float32"), {"axis": -1})]:
    refs[f"fq_{tag}_lo"], refs[f"fq_{tag}_hi"] = lo, hi
    refs[f"fq_{tag}_y"] = np.asarray(quantizers.fake_quant_with_min_max_vars(fq_x, lo, hi, **kw))
    w = np.arange(12, dtype="float32").reshape(3, 4) / 7

    def loss(x, lo, hi, kw=kw):
        return (quantizers.fake_quant_with_min_max_vars(x, lo, hi, **kw) * w).sum()

    gx, glo, ghi = jax.grad(loss, argnums=(0, 1, 2))(fq_x, lo, hi)
    refs[f"fq_{tag}_gx"], refs[f"fq_{tag}_glo"], refs[f"fq_{tag}_ghi"] = map(
        np.asarray, (gx, glo, ghi))

refs["i4cfg"] = np.asarray(str(keras.saving.serialize_keras_object(I4(block_size=64))))

np.savez(os.path.join(out, "refs.npz"), **refs)
