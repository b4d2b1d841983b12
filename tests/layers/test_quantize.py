"""int8 quantization of Dense (``layer.quantize`` / ``model.quantize``) and
``keras.quantizers``, compared with Keras 3 itself (``_keras_quant_refs.py``, run once in
a subprocess on the JAX backend): the int8 kernels and scales Keras computes from the same
float weights (exactly), the quantized outputs with and without input quantization, the
weight order and the ``int8_from_float32`` policy, a ``.keras`` file Keras wrote loaded
here, unikeras' own file with Keras' layout (kernel int8, bias, kernel_scale), a fit that
trains a float layer through a quantized one step for step as Keras, and the quantizer
functions."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest
import zipfile

import unikeras as keras
from unikeras.xp import asarray

REFS = Path(__file__).with_name("_keras_quant_refs.py")


def _model(refs):
    m = keras.Sequential([keras.Input((6,)),
                          keras.layers.Dense(5, activation="relu", name="d1"),
                          keras.layers.Dense(3, use_bias=False, name="d2")])
    m.set_weights([refs[f"float_w{i}"] for i in range(3)])
    return m


def _np(y):
    return keras.ops.convert_to_numpy(y)


def test_model_quantize_int8_matches_keras(any_framework, keras_script_refs):
    refs = keras_script_refs(REFS)
    m = _model(refs)
    x = asarray(refs["x"], framework=any_framework)
    m(x)
    m.quantize("int8")
    assert [w.path for w in m.weights] == [p.split("/", 1)[1] for p in refs["names"]]
    for i, w in enumerate(m.get_weights()):
        assert w.dtype == refs[f"int8_w{i}"].dtype
        np.testing.assert_array_equal(w, refs[f"int8_w{i}"])
    layer = m.get_layer("d1")
    assert isinstance(layer.dtype_policy, keras.dtype_policies.QuantizedDTypePolicy)
    assert layer.dtype_policy.name == "int8_from_float32"
    assert layer.quantization_mode == "int8"
    assert [w.path for w in m.trainable_weights] == ["d1/bias"]
    np.testing.assert_allclose(_np(m(x)), refs["int8_y"], rtol=1e-5, atol=1e-5)
    # int8 is close to, not equal to, the float model
    assert 0 < np.max(np.abs(refs["int8_y"] - refs["float_y"])) < 0.1
    np.testing.assert_allclose(_np(m.predict(x, verbose=0)), refs["int8_y"], rtol=1e-5,
                               atol=1e-5)


def test_weight_only_int8_config(any_framework, keras_script_refs):
    refs = keras_script_refs(REFS)
    m = _model(refs)
    x = asarray(refs["x"], framework=any_framework)
    m(x)
    cfg = keras.quantizers.Int8QuantizationConfig(activation_quantizer=None)
    m.quantize(config=cfg)
    np.testing.assert_allclose(_np(m(x)), refs["w8_y"], rtol=1e-5, atol=1e-5)
    # the effective computation written out: x @ (k_q / scale)
    d2 = m.get_layer("d2")
    h = np.maximum(_np(m.layers[0](x)), 0)
    np.testing.assert_allclose(
        _np(m(x)), h @ (d2.kernel.numpy() / d2.kernel_scale.numpy()), rtol=1e-5, atol=1e-5)


def test_keras_int8_file_loads(any_framework, keras_script_refs):
    refs = keras_script_refs(REFS)
    m = keras.saving.load_model(str(refs["dir"] / "int8.keras"))
    assert m.get_layer("d1").dtype_policy.name == "int8_from_float32"
    for i, w in enumerate(m.get_weights()):
        np.testing.assert_array_equal(w, refs[f"int8_w{i}"])
    y = m(asarray(refs["x"], framework=any_framework))
    np.testing.assert_allclose(_np(y), refs["int8_y"], rtol=1e-5, atol=1e-5)


def _h5_layout(path):
    with zipfile.ZipFile(path) as z, z.open("model.weights.h5") as f, \
            h5py.File(f, "r") as h:
        out = {}
        h.visititems(lambda name, obj: out.__setitem__(name, (obj.shape, str(obj.dtype)))
                     if isinstance(obj, h5py.Dataset) else None)
        return out


def test_int8_save_load_round_trip_in_keras_layout(framework, keras_script_refs, tmp_path):
    refs = keras_script_refs(REFS)
    m = _model(refs)
    x = asarray(refs["x"], framework=framework)
    m(x)
    m.quantize("int8")
    m.save(tmp_path / "q.keras")
    # the same datasets (names, shapes, dtypes: kernel int8, bias, kernel_scale) as Keras'
    assert _h5_layout(tmp_path / "q.keras") == _h5_layout(refs["dir"] / "int8.keras")
    back = keras.saving.load_model(tmp_path / "q.keras")
    assert back.get_layer("d2").dtype_policy == m.get_layer("d2").dtype_policy
    np.testing.assert_allclose(_np(back(x)), refs["int8_y"], rtol=1e-5, atol=1e-5)


def test_fit_through_quantized_layer_like_keras(framework, keras_script_refs):
    refs = keras_script_refs(REFS)
    f = keras.Sequential([keras.Input((6,)), keras.layers.Dense(5, name="f1"),
                          keras.layers.Dense(3, name="f2")])
    f.set_weights([refs[f"fit_w{i}"] for i in range(4)])
    f.layers[1].quantize("int8")
    f.compile(keras.optimizers.SGD(0.05), "mse")
    h = f.fit(asarray(refs["x"], framework=framework),
              asarray(refs["fit_y"], framework=framework), batch_size=4, epochs=3,
              shuffle=False, verbose=0)
    np.testing.assert_allclose(h.history["loss"], refs["fit_loss"], rtol=1e-4)
    for i, w in enumerate(f.get_weights()):
        np.testing.assert_allclose(w, refs[f"fit_after_w{i}"], rtol=1e-4, atol=1e-5)


def test_quantizer_functions_match_keras(any_framework, keras_script_refs):
    refs = keras_script_refs(REFS)
    a = asarray(refs["q_in"], framework=any_framework)
    q, s = keras.quantizers.abs_max_quantize(a, axis=-1)
    np.testing.assert_array_equal(_np(q), refs["q_axis_last"])
    np.testing.assert_allclose(_np(s), refs["q_scale_last"], rtol=1e-6)
    quantizer = keras.quantizers.AbsMaxQuantizer(axis=0, value_range=(-8, 7))
    q, s = quantizer(a)
    np.testing.assert_array_equal(_np(q), refs["q_axis0"])
    np.testing.assert_allclose(_np(s), refs["q_scale0"], rtol=1e-6)
    q, s = keras.quantizers.abs_max_quantize(refs["q_in"], axis=-1, to_numpy=True)
    np.testing.assert_array_equal(np.asarray(q), refs["q_axis_last"])
    back = keras.quantizers.deserialize(keras.quantizers.serialize(quantizer))
    assert isinstance(back, keras.quantizers.AbsMaxQuantizer)
    assert back.axis == (0,) and back.value_range == (-8, 7)
    assert keras.quantizers.serialize(quantizer)["module"] == "keras.quantizers"
    assert isinstance(keras.quantizers.get("abs_max_quantizer"), keras.quantizers.AbsMaxQuantizer)
    qdq = keras.quantizers.quantize_and_dequantize(
        asarray(refs["q_in"] * 300, framework=any_framework), np.float32(0.5),
        "float8_e4m3fn", "float32")
    np.testing.assert_array_equal(_np(qdq), refs["qdq"])


def test_int4_packing_and_float8_helpers_match_keras(any_framework, keras_script_refs):
    refs = keras_script_refs(REFS)
    i4 = asarray(refs["i4"], framework=any_framework)
    for axis in (0, 1, -1):
        p, shape, n = keras.quantizers.pack_int4(i4, axis=axis)
        np.testing.assert_array_equal(_np(p), refs[f"pack_{axis}"])
        assert shape == refs[f"pack_{axis}"].shape and n == refs["i4"].shape[axis]
        np.testing.assert_array_equal(_np(keras.quantizers.unpack_int4(p, n, axis=axis)),
                                      refs[f"unpack_{axis}"])
        u = keras.quantizers.unpack_int4(p, n, axis=axis, dtype="uint8")
        assert keras.ops.convert_to_numpy(u).dtype == np.uint8
        np.testing.assert_array_equal(_np(u), refs[f"unpack_u_{axis}"])
    np.testing.assert_array_equal(refs["unpack_0"], refs["i4"])
    with pytest.raises(ValueError, match="Expected int8 tensor"):
        keras.quantizers.pack_int4(asarray(refs["i4"].astype("int32"),
                                           framework=any_framework))
    amax = asarray(np.array([0.0, 3.0, np.inf, 0.5], "float32"), framework=any_framework)
    old = asarray(np.array([2.0, 2.0, 2.0, 0.25], "float32"), framework=any_framework)
    np.testing.assert_allclose(_np(keras.quantizers.compute_float8_scale(amax, old, 448.0, 1)),
                               refs["f8_scale"], rtol=1e-6)
    hist = asarray(np.arange(5, dtype="float32"), framework=any_framework)
    a = asarray(-refs["q_in"] * 7, framework=any_framework)
    np.testing.assert_allclose(
        _np(keras.quantizers.compute_float8_amax_history(a, hist)), refs["f8_hist"])


def test_embedding_int8_matches_keras(any_framework, keras_script_refs, tmp_path):
    refs = keras_script_refs(REFS)
    em = keras.Sequential([keras.Input((3,), dtype="int32"), keras.layers.Embedding(7, 4, name="e"),
                           keras.layers.Dense(2, name="o")])
    em.set_weights([refs[f"emb_float_w{i}"] for i in range(3)])
    em.quantize("int8")
    assert [w.path for w in em.weights] == list(refs["emb_names"])
    for i, w in enumerate(em.get_weights()):
        assert w.dtype == refs[f"emb_int8_w{i}"].dtype
        np.testing.assert_array_equal(w, refs[f"emb_int8_w{i}"])
    ids = asarray(refs["ids"], framework=any_framework)
    np.testing.assert_allclose(_np(em(ids)), refs["emb_y"], rtol=1e-5, atol=1e-5)
    # the lookup written out: q[ids] / scale[ids]
    e = em.get_layer("e")
    np.testing.assert_allclose(
        _np(e(ids)), e.embeddings.numpy()[refs["ids"]]
        / e.embeddings_scale.numpy()[refs["ids"]][..., None], rtol=1e-6)
    back = keras.saving.load_model(str(refs["dir"] / "emb_int8.keras"))
    np.testing.assert_allclose(_np(back(ids)), refs["emb_y"], rtol=1e-5, atol=1e-5)
    em.save(tmp_path / "e.keras")
    assert _h5_layout(tmp_path / "e.keras") == _h5_layout(refs["dir"] / "emb_int8.keras")
    again = keras.saving.load_model(tmp_path / "e.keras")
    np.testing.assert_allclose(_np(again(ids)), refs["emb_y"], rtol=1e-5, atol=1e-5)


def test_quantize_errors_and_policy():
    d = keras.layers.Dense(3)
    with pytest.raises(ValueError, match="isn't yet built"):
        d.quantize("int8")
    d.build((None, 4))
    with pytest.raises(ValueError, match="int8"):
        d.quantize("int4x")
    d.quantize("int8")
    with pytest.raises(ValueError, match="already quantized"):
        d.quantize("int8")
    with pytest.raises(NotImplementedError, match="does not have a `quantize"):
        keras.layers.Flatten().quantize("int8")
    assert keras.layers.Flatten().quantization_mode is None

    class MyDense(keras.layers.Dense):
        pass

    sub = MyDense(2)
    sub.build((None, 3))
    with pytest.raises(NotImplementedError, match="MyDense does not have a `quantize"):
        sub.quantize("int8")
    sub.quantize("int8", type_check=False)
    assert sub.quantization_mode == "int8"
    p = keras.dtype_policies.get("int8_from_mixed_bfloat16")
    assert (p.quantization_mode, p.variable_dtype, p.compute_dtype) == (
        "int8", "float32", "bfloat16")
    cfg = keras.dtype_policies.serialize(p)
    assert cfg == {"module": "keras.dtype_policies", "class_name": "QuantizedDTypePolicy",
                   "config": {"mode": "int8", "source_name": "mixed_bfloat16"},
                   "registered_name": None}
    assert keras.dtype_policies.get(cfg) == p
    with pytest.raises(ValueError, match="float16"):
        keras.dtype_policies.QuantizedDTypePolicy("int8", "mixed_float16")


def test_keras_loads_unikeras_quantized_lora_file(framework, tmp_path):
    """Keras 3 itself (a subprocess, numpy backend) loads a file unikeras wrote with an
    int8 Embedding, an int8 Dense and a LoRA Dense, and computes the same outputs."""
    import os
    import subprocess
    import sys

    pytest.importorskip("keras")
    inp = keras.Input((3,), dtype="int32")
    h = keras.layers.Embedding(7, 4, name="emb")(inp)
    h = keras.layers.Dense(5, name="d")(h)
    y = keras.layers.Dense(2, name="o", lora_rank=2)(h)
    m = keras.Model(inp, y)
    rng = np.random.default_rng(0)
    m.set_weights([rng.standard_normal(w.shape).astype("float32") for w in m.weights])
    m.get_layer("emb").quantize("int8")
    m.get_layer("d").quantize("int8")
    ids = np.array([[0, 3, 6], [2, 2, 5]], "int32")
    expected = _np(m(asarray(ids, framework=framework)))
    m.save(tmp_path / "u.keras")
    script = f"""
import os; os.environ["KERAS_BACKEND"] = "numpy"
import numpy as np, keras
m = keras.saving.load_model({str(tmp_path / 'u.keras')!r})
assert m.get_layer("d").dtype_policy.name == "int8_from_float32"
assert m.get_layer("o").lora_enabled
np.save({str(tmp_path / 'y.npy')!r}, np.asarray(m(np.array({ids.tolist()}, "int32"))))
"""
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    np.testing.assert_allclose(np.load(tmp_path / "y.npy"), expected, rtol=1e-5, atol=1e-5)
