"""Keras 3 reference for tests/layers/test_quantize_gptq.py (run as ``python THIS OUT_DIR``
by the ``keras_script_refs`` fixture; writes OUT_DIR/refs.npz). The same small models
(an Embedding, then blocks of Dense / EinsumDense) quantized with GPTQ and AWQ by Keras
itself, calibrated on token arrays. Keras' strided sampling offset comes from Python's
``hash`` (random per process): both sides replace it with the constant HASH.

Keras 3.15's calibration hooks ``layer.call``, but a layer whose policy is already
GPTQ/AWQ is called through ``layer.quantized_call``: the hook never runs, the Hessians
and activation maxima stay zero and both algorithms reduce to round-to-nearest. The
reference fixes that one line (the hook wraps ``quantized_call``), so it is Keras' own
algorithm fed with the statistics it means to collect."""

import contextlib
import sys

import numpy as np

import keras
from keras import layers
from keras.src.quantizers import awq_core, gptq_core

HASH = 5
gptq_core.hash = lambda t: HASH


def _stream(stats):
    @contextlib.contextmanager
    def stream(layers_map, objs):
        orig = {}

        def hook(name, fn):
            def run(*args, **kwargs):
                inp = args[0] if args else kwargs["inputs"]
                getattr(objs[name], stats)(keras.ops.reshape(inp, (-1, objs[name].rows)))
                return fn(*args, **kwargs)
            return run
        try:
            for n, layer in layers_map.items():
                orig[n] = layer.quantized_call
                layer.quantized_call = hook(n, layer.quantized_call)
            yield
        finally:
            for n, layer in layers_map.items():
                layer.quantized_call = orig[n]
    return stream


gptq_core.stream_hessians = _stream("update_hessian_with_batch")
awq_core.stream_activations = _stream("update_activation_magnitudes")
out = sys.argv[1]
V, L, D = 13, 8, 8
rng = np.random.default_rng(0)
refs = {}


def build(kind):
    emb = layers.Embedding(V, D, name="emb")
    if kind == "dense":
        b1 = keras.Sequential([keras.Input((L, D)), layers.Dense(D, activation="relu",
                                                                 name="ff1"),
                               layers.Dense(D, name="ff2")], name="block1")
        b2 = keras.Sequential([keras.Input((L, D)), layers.Dense(D, use_bias=False,
                                                                 name="ff3")], name="block2")
    else:  # einsum: a query-like [D, heads, head_dim] and an output-like [heads, head_dim, D]
        x = keras.Input((L, D))
        q = layers.EinsumDense("abc,cde->abde", output_shape=(L, 2, 3), bias_axes="de",
                               name="qkv")(x)
        o = layers.EinsumDense("abde,dec->abc", output_shape=(L, D), name="out")(q)
        b1 = keras.Model(x, layers.Add()([x, o]), name="block1")
        b2 = keras.Sequential([keras.Input((L, D)),
                               layers.EinsumDense("abc,cd->abd", output_shape=(L, 4),
                                                  bias_axes="d", name="proj")], name="block2")
    return keras.Sequential([keras.Input((L,), dtype="int32"), emb, b1, b2])


tokens = rng.integers(0, V, size=(37,)).astype("int32")
x_eval = rng.integers(0, V, size=(2, L)).astype("int32")
refs["tokens"], refs["x_eval"] = tokens, x_eval
CASES = {
    "gptq_dense_g4_act": ("dense", "gptq", dict(group_size=4, activation_order=True)),
    "gptq_dense_8bit_sym": ("dense", "gptq", dict(weight_bits=8, group_size=-1,
                                                  symmetric=True, hessian_damping=0.05)),
    "gptq_einsum_g2": ("einsum", "gptq", dict(group_size=2, weight_bits=3)),
    "awq_dense_g4": ("dense", "awq", dict(group_size=4, num_grid_points=6)),
    "awq_einsum_pc": ("einsum", "awq", dict(group_size=-1, num_grid_points=4)),
}
for name, (kind, mode, kw) in CASES.items():
    m = build(kind)
    ws = [rng.standard_normal(w.shape).astype("float32") * 0.5 for w in m.weights]
    m.set_weights(ws)
    for i, w in enumerate(ws):
        refs[f"{name}/float{i}"] = w
    structure = {"pre_block_layers": [m.layers[0]],
                 "sequential_blocks": [m.layers[1], m.layers[2]]}
    cls = keras.quantizers.GPTQConfig if mode == "gptq" else keras.quantizers.AWQConfig
    cfg = cls(dataset=[tokens], tokenizer=lambda s: s, num_samples=3, sequence_length=L,
              quantization_layer_structure=structure, **kw)
    m.quantize(mode, config=cfg)
    refs[f"{name}/paths"] = np.asarray([w.path for w in m.weights])
    for i, w in enumerate(m.get_weights()):
        refs[f"{name}/q{i}"] = w
    refs[f"{name}/y"] = np.asarray(m(x_eval))
    refs[f"{name}/policy"] = np.asarray(m.layers[1].layers[-1].dtype_policy.name)

# calibration windows from strings (a tokenizer with .tokenize) and each strategy
class Tok:
    def tokenize(self, s):
        return np.array([ord(c) % V for c in s], "int32")


TEXTS = ["the quick brown fox", "jumps over", "the lazy dog!"]
for strategy, kw in [("strided", dict(eos_id=0)), ("linspace", {}),
                     ("random", dict(seed=3)), ("strided", dict(stride=2))]:
    refs[f"loader/{strategy}/{sorted(kw)}"] = gptq_core.get_dataloader(
        Tok(), 5, TEXTS, num_samples=4, strategy=strategy, **kw)
refs["loader/tiled"] = gptq_core.get_dataloader(None, 6, [np.arange(4)], num_samples=3)

# the errors of bad configs and policies, as Keras words them
BAD = [
    ("GPTQConfig", dict(weight_bits=5)), ("GPTQConfig", dict(num_samples=0)),
    ("GPTQConfig", dict(sequence_length=0)), ("GPTQConfig", dict(hessian_damping=2.0)),
    ("GPTQConfig", dict(group_size=0)), ("AWQConfig", dict(weight_bits=8)),
    ("AWQConfig", dict(group_size=-2)), ("AWQConfig", dict(num_grid_points=0)),
]
msgs = []
for cls, kw in BAD:
    try:
        getattr(keras.quantizers, cls)(dataset=None, tokenizer=None, **kw)
        msgs.append("")
    except ValueError as e:
        msgs.append(str(e))
for cls, mode in [("GPTQDTypePolicy", "gptq/4"), ("GPTQDTypePolicy", "gptq/x/4"),
                  ("GPTQDTypePolicy", "gptq/5/4"), ("GPTQDTypePolicy", "gptq/4/0"),
                  ("AWQDTypePolicy", "awq/8/4"), ("AWQDTypePolicy", "gptq/4/4")]:
    try:
        getattr(keras.dtype_policies, cls)(mode, "float32")
        msgs.append("")
    except ValueError as e:
        msgs.append(str(e))
m = build("dense")
for mode, cfg in [("gptq", None), ("awq", None),
                  ("gptq", keras.quantizers.AWQConfig(dataset=None, tokenizer=None))]:
    try:
        m.quantize(mode, config=cfg)
        msgs.append("")
    except ValueError as e:
        msgs.append(str(e))
refs["errors"] = np.asarray(msgs)
pol = keras.dtype_policies.get("gptq/3/64_from_mixed_bfloat16")
refs["policy_cfg"] = np.asarray(str(keras.dtype_policies.serialize(pol)))
refs["policy_dtypes"] = np.asarray([pol.name, pol.compute_dtype, pol.variable_dtype,
                                    str(pol.weight_bits), str(pol.group_size)])
np.savez(f"{out}/refs.npz", **refs)
