"""GPTQ and AWQ (``model.quantize("gptq" | "awq", config=...)``) against Keras 3 itself.

The reference (``_keras_gptq_refs.py``, one Keras subprocess for the module) quantizes the
same small models (an Embedding, then blocks of Dense or EinsumDense: 2-D kernels and
both 3-D attention layouts) calibrated on the same token array; its calibration hook is
fixed to see the layers' inputs (see that file). On JAX (Keras' reference backend) the
quantized variables are bit-identical; on torch and TensorFlow the Hessian's and the
inverse's float rounding differs (another matmul order), so scales agree to float32
rounding and a quantized value may differ by one step.
"""

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

import unikeras as keras
import unikeras.quantization.common as qcommon
from unikeras import layers
from unikeras.xp import asarray

REFS = Path(__file__).with_name("_keras_gptq_refs.py")
V, L, D = 13, 8, 8
CASES = {
    "gptq_dense_g4_act": ("dense", "gptq", dict(group_size=4, activation_order=True)),
    "gptq_dense_8bit_sym": ("dense", "gptq", dict(weight_bits=8, group_size=-1,
                                                  symmetric=True, hessian_damping=0.05)),
    "gptq_einsum_g2": ("einsum", "gptq", dict(group_size=2, weight_bits=3)),
    "awq_dense_g4": ("dense", "awq", dict(group_size=4, num_grid_points=6)),
    "awq_einsum_pc": ("einsum", "awq", dict(group_size=-1, num_grid_points=4)),
}
# JAX compiles every eager op once per shape (~0.1 s each here): two cases there
JAX_CASES = ("gptq_dense_8bit_sym", "awq_dense_g4")


def _np(x):
    return np.asarray(keras.ops.convert_to_numpy(x))


def build(kind):
    emb = layers.Embedding(V, D, name="emb")
    if kind == "dense":
        b1 = keras.Sequential([keras.Input((L, D)), layers.Dense(D, activation="relu",
                                                                 name="ff1"),
                               layers.Dense(D, name="ff2")], name="block1")
        b2 = keras.Sequential([keras.Input((L, D)), layers.Dense(D, use_bias=False,
                                                                 name="ff3")], name="block2")
    else:
        x = keras.Input((L, D))
        q = layers.EinsumDense("abc,cde->abde", output_shape=(L, 2, 3), bias_axes="de",
                               name="qkv")(x)
        o = layers.EinsumDense("abde,dec->abc", output_shape=(L, D), name="out")(q)
        b1 = keras.Model(x, layers.Add()([x, o]), name="block1")
        b2 = keras.Sequential([keras.Input((L, D)),
                               layers.EinsumDense("abc,cd->abd", output_shape=(L, 4),
                                                  bias_axes="d", name="proj")], name="block2")
    return keras.Sequential([keras.Input((L,), dtype="int32"), emb, b1, b2])


def quantized(refs, name, framework, monkeypatch):
    kind, mode, kw = CASES[name]
    monkeypatch.setattr(qcommon, "hash", lambda t: 5, raising=False)  # the ref's HASH
    m = build(kind)
    m.set_weights([refs[f"{name}/float{i}"] for i in range(len(m.weights))])
    m(asarray(refs["x_eval"], framework=framework))       # the model lives there
    cls = keras.quantizers.GPTQConfig if mode == "gptq" else keras.quantizers.AWQConfig
    cfg = cls(dataset=[refs["tokens"]], tokenizer=lambda s: s, num_samples=3,
              sequence_length=L, quantization_layer_structure={
                  "pre_block_layers": [m.layers[0]],
                  "sequential_blocks": [m.layers[1], m.layers[2]]}, **kw)
    with pytest.warns(UserWarning, match="Invalid quantization mode"):  # the Embedding
        m.quantize(mode, config=cfg)
    cfg.quantization_layer_structure = None   # layers in a config cannot be saved
    return m


@pytest.mark.parametrize("name", list(CASES))
def test_gptq_awq_match_keras(framework, name, keras_script_refs, monkeypatch):
    if framework == "jax" and name not in JAX_CASES:
        pytest.skip("JAX runs two cases (eager compiles); torch and TF run them all")
    refs = keras_script_refs(REFS)
    m = quantized(refs, name, framework, monkeypatch)
    # Keras' names, order, shapes and dtypes (Keras prefixes the enclosing models)
    assert [w.path for w in m.weights] == [p.split("/", 1)[1] if p.count("/") == 2 else p
                                           for p in refs[f"{name}/paths"]]
    exact = framework == "jax"
    for i, (v, w) in enumerate(zip(m.weights, m.get_weights())):
        r = refs[f"{name}/q{i}"]
        assert w.dtype == r.dtype and w.shape == r.shape, v.path
        if exact or w.dtype == np.float32 and v.path.endswith(("g_idx", "embeddings")):
            np.testing.assert_array_equal(w, r, err_msg=v.path)
        elif w.dtype == np.float32:
            np.testing.assert_allclose(w, r, rtol=1e-5, err_msg=v.path)
        else:   # uint8: packed pairs (kernel) or zero points
            if v.path.endswith("/kernel") and CASES[name][2].get("weight_bits", 4) == 4:
                w = np.stack([w & 15, w >> 4])
                r = np.stack([r & 15, r >> 4])
            diff = np.abs(w.astype(int) - r.astype(int))
            assert diff.max() <= 1 and diff.mean() < 0.1, v.path
    y = _np(m(asarray(refs["x_eval"], framework=framework)))
    scale = np.abs(refs[f"{name}/y"]).max()
    np.testing.assert_allclose(y, refs[f"{name}/y"], rtol=1e-5 if exact else 0,
                               atol=1e-6 if exact else 0.01 * scale)
    pol = m.layers[2].layers[-1].dtype_policy
    kw = CASES[name][2]
    bits = kw.get("weight_bits", 4)
    assert pol.name == f"{CASES[name][1]}/{bits}/{kw['group_size']}_from_float32"


def test_files_load_in_keras_and_back(keras_script_refs, monkeypatch, tmp_path):
    """A GPTQ and an AWQ model saved here load in Keras 3 (a subprocess) and here with the
    same outputs. Keras 3.15 writes the same layout minus ``kernel_zero`` (its Dense and
    EinsumDense skip it for these modes), which neither Keras nor unikeras can load."""
    refs = keras_script_refs(REFS)
    x = refs["x_eval"]
    ys = {}
    for name in ("gptq_dense_g4_act", "awq_einsum_pc"):
        m = quantized(refs, name, "torch", monkeypatch)
        ys[name] = _np(m(asarray(x, framework="torch")))
        with pytest.raises(NotImplementedError, match="lora is not currently supported with "
                           "GPTQ" if name.startswith("gptq") else "LoRA on an AWQ"):
            m.layers[2].layers[-1].enable_lora(2)
        m.save(tmp_path / f"{name}.keras")
        back = keras.saving.load_model(tmp_path / f"{name}.keras")
        np.testing.assert_allclose(_np(back(asarray(x, framework="torch"))), ys[name],
                                   rtol=1e-6, atol=1e-6)
        with zipfile.ZipFile(tmp_path / f"{name}.keras") as z:
            cfg = json.loads(z.read("config.json"))
        layer = cfg["config"]["layers"][3]["config"]["layers"][-1]["config"]  # block2
        dtype = layer["dtype"]   # the policy's name, which Keras parses back
        assert dtype == back.layers[2].layers[-1].dtype_policy.name
        assert dtype.startswith(CASES[name][1] + "/4/")
        assert layer["quantization_config"]["module"] == "keras.quantizers"
    np.save(tmp_path / "x.npy", x)
    script = (
        "import sys, numpy as np, keras\n"
        "d = sys.argv[1]; x = np.load(d + '/x.npy')\n"
        "for n in sys.argv[2:]:\n"
        "    m = keras.saving.load_model(f'{d}/{n}.keras')\n"
        "    np.save(f'{d}/{n}_keras_y.npy', keras.ops.convert_to_numpy(m(x)))\n")
    env = {**__import__("os").environ, "KERAS_BACKEND": "torch", "TF_CPP_MIN_LOG_LEVEL": "3"}
    proc = subprocess.run([sys.executable, "-c", script, str(tmp_path), *ys], env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    for name, y in ys.items():
        np.testing.assert_allclose(np.load(tmp_path / f"{name}_keras_y.npy"), y, rtol=1e-5,
                                   atol=1e-6)


def test_config_and_policy_errors_match_keras(keras_script_refs):
    refs = keras_script_refs(REFS)
    errs = iter(refs["errors"])
    for cls, kw in [("GPTQConfig", dict(weight_bits=5)), ("GPTQConfig", dict(num_samples=0)),
                    ("GPTQConfig", dict(sequence_length=0)),
                    ("GPTQConfig", dict(hessian_damping=2.0)),
                    ("GPTQConfig", dict(group_size=0)), ("AWQConfig", dict(weight_bits=8)),
                    ("AWQConfig", dict(group_size=-2)),
                    ("AWQConfig", dict(num_grid_points=0))]:
        with pytest.raises(ValueError) as e:
            getattr(keras.quantizers, cls)(dataset=None, tokenizer=None, **kw)
        assert str(e.value) == next(errs)
    for cls, mode in [("GPTQDTypePolicy", "gptq/4"), ("GPTQDTypePolicy", "gptq/x/4"),
                      ("GPTQDTypePolicy", "gptq/5/4"), ("GPTQDTypePolicy", "gptq/4/0"),
                      ("AWQDTypePolicy", "awq/8/4"), ("AWQDTypePolicy", "gptq/4/4")]:
        with pytest.raises(ValueError) as e:
            getattr(keras.dtype_policies, cls)(mode, "float32")
        assert str(e.value) == next(errs)
    m = build("dense")
    for mode, cfg in [("gptq", None), ("awq", None),
                      ("gptq", keras.quantizers.AWQConfig(dataset=None, tokenizer=None))]:
        with pytest.raises(ValueError) as e:
            m.quantize(mode, config=cfg)
        assert str(e.value) == next(errs)
    # the policy of a GPTQ layer: name, dtypes, serialization as Keras
    pol = keras.dtype_policies.get("gptq/3/64_from_mixed_bfloat16")
    assert [pol.name, pol.compute_dtype, pol.variable_dtype, str(pol.weight_bits),
            str(pol.group_size)] == list(refs["policy_dtypes"])
    assert str(keras.dtype_policies.serialize(pol)) == str(refs["policy_cfg"])
    assert keras.dtype_policies.deserialize(keras.dtype_policies.serialize(pol)) == pol
    cfg = keras.quantizers.GPTQConfig(dataset=None, tokenizer=None, group_size=32)
    back = keras.quantizers.deserialize(keras.quantizers.serialize(cfg))
    assert isinstance(back, keras.quantizers.GPTQConfig) and back.group_size == 32
    # no structure: Keras' error, after the layers were prepared
    m2 = build("dense")
    with pytest.raises(ValueError, match="a valid quantization structure must be provided"):
        m2.quantize("awq", config=keras.quantizers.AWQConfig(dataset=[refs["tokens"]],
                                                             tokenizer=lambda s: s))


def test_layer_quantize_prepares_and_keeps_the_float_kernel(framework):
    """``layer.quantize("gptq")`` alone (Keras): the GPTQ variables and policy are added,
    the layer computes with its float kernel until ``model.quantize`` calibrates it."""
    d = keras.layers.Dense(4)
    x = asarray(np.linspace(-1, 1, 16, dtype="float32").reshape(2, 8), framework=framework)
    y0 = _np(d(x))
    d.quantize("gptq", config=keras.quantizers.GPTQConfig(dataset=None, tokenizer=None,
                                                          group_size=4))
    assert d.dtype_policy.name == "gptq/4/4_from_float32"
    assert [(w.name, w.shape, w.dtype) for w in d.weights] == [
        ("kernel", (8, 4), "float32"), ("bias", (4,), "float32"), ("kernel", (2, 8), "uint8"),
        ("kernel_scale", (4, 2), "float32"), ("kernel_zero", (4, 2), "uint8"),
        ("g_idx", (8,), "float32")]
    np.testing.assert_array_equal(_np(d(x)), y0)
    with pytest.raises(ValueError, match="already quantized"):
        d.quantize("gptq", config=keras.quantizers.GPTQConfig(dataset=None, tokenizer=None))
    lora = keras.layers.Dense(4, lora_rank=2)
    lora.build((None, 8))
    with pytest.raises(ValueError, match="LoRA-enabled"):
        lora.quantize("awq", config=keras.quantizers.AWQConfig(dataset=None, tokenizer=None))


def test_calibration_windows_match_keras(keras_script_refs, monkeypatch):
    """Keras' ``get_dataloader``: strings through ``tokenizer.tokenize`` (an ``eos_id``
    between documents), every sampling strategy, a short dataset repeated."""
    refs = keras_script_refs(REFS)
    monkeypatch.setattr(qcommon, "hash", lambda t: 5, raising=False)

    class Tok:
        def tokenize(self, s):
            return np.array([ord(c) % V for c in s], "int32")

    texts = ["the quick brown fox", "jumps over", "the lazy dog!"]
    for strategy, kw in [("strided", dict(eos_id=0)), ("linspace", {}),
                         ("random", dict(seed=3)), ("strided", dict(stride=2))]:
        got = qcommon.get_dataloader(Tok(), 5, texts, num_samples=4, strategy=strategy, **kw)
        np.testing.assert_array_equal(got, refs[f"loader/{strategy}/{sorted(kw)}"])
        assert got.dtype == np.int32 and got.shape == (4, 1, 5)
    np.testing.assert_array_equal(qcommon.get_dataloader(None, 6, [np.arange(4)],
                                                         num_samples=3), refs["loader/tiled"])
    with pytest.raises(TypeError, match="must be an iterable"):
        qcommon.get_dataloader(None, 4, "text")
    with pytest.raises(ValueError, match="Provided dataset is empty"):
        qcommon.get_dataloader(None, 4, [])


def test_structure_from_the_model_hook(keras_script_refs, monkeypatch):
    """No structure in the config: ``model.get_quantization_layer_structure(mode)`` gives
    it (Keras' hook); the result is the config-structure one."""
    refs = keras_script_refs(REFS)
    name = "awq_dense_g4"
    monkeypatch.setattr(qcommon, "hash", lambda t: 5, raising=False)

    class Hooked(keras.Sequential):
        def get_quantization_layer_structure(self, mode):
            assert mode == "awq"
            return {"pre_block_layers": [self.layers[0]],
                    "sequential_blocks": [self.layers[1], self.layers[2]]}

    m = Hooked([keras.Input((L,), dtype="int32")] + build("dense").layers)
    m.set_weights([refs[f"{name}/float{i}"] for i in range(len(m.weights))])
    x = asarray(refs["x_eval"], framework="torch")
    m(x)   # lives on torch, as the reference model below
    cfg = keras.quantizers.AWQConfig(dataset=[refs["tokens"]], tokenizer=lambda s: s,
                                     num_samples=3, sequence_length=L, **CASES[name][2])
    with pytest.warns(UserWarning, match="Invalid quantization mode"):
        m.quantize("awq", config=cfg)
    want = quantized(refs, name, "torch", monkeypatch)
    np.testing.assert_array_equal(_np(m(x)), _np(want(x)))
