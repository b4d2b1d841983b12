"""int4 and float8 quantization (Dense, EinsumDense, Embedding, ReversibleEmbedding), int8
of EinsumDense and ReversibleEmbedding, LoRA on quantized layers, float8 delayed scaling
in fit, and the keras.quantizers / keras.dtype_policies names that go with them, compared
with Keras 3 itself (``_keras_quant_modes_refs.py``, run once in a subprocess on the JAX
backend): the same float weights quantized give Keras' variable names, dtypes, shapes and
values (packed int4 bytes exactly), the same outputs and policies; the ``.keras`` files
Keras wrote load here with Keras' outputs, and the files unikeras writes (from every
framework) load in Keras 3 (one more subprocess) with unikeras' outputs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import unikeras as keras
from unikeras import layers, quantizers
from unikeras.xp import asarray

REFS = Path(__file__).with_name("_keras_quant_modes_refs.py")
I4 = quantizers.Int4QuantizationConfig


def _np(y):
    return keras.ops.convert_to_numpy(y)


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
    return keras.Model(inp, r(r(inp), reverse=True))


def emb_plain():
    return keras.Sequential([keras.Input((3,), dtype="int32"), layers.Embedding(9, 5, name="e"),
                             layers.Dense(2, name="o")])


def _cases():
    cases = [
        ("dense_int4", dense_model, "x6", ("int4", None)),
        ("dense_int4g", dense_model, "x6", (None, I4(block_size=4))),
        ("dense_int4_w8q", dense_model, "x6",
         (None, I4(block_size=None, activation_quantizer=quantizers.AbsMaxQuantizer()))),
        ("dense_float8", dense_model, "x6", ("float8", None)),
        ("ein_int8", einsum_model, "x3d", ("int8", None)),
        ("ein_w8", einsum_model, "x3d",
         (None, quantizers.Int8QuantizationConfig(activation_quantizer=None))),
        ("ein_int4", einsum_model, "x3d", ("int4", None)),
        ("ein_int4g", einsum_model, "x3d", (None, I4(block_size=4))),
        ("ein_float8", einsum_model, "x3d", ("float8", None)),
    ]
    for tie in (True, False):
        t = "tied" if tie else "untied"
        cases += [(f"rev_{t}_int8", lambda tie=tie: emb_model(tie), "ids", ("int8", None)),
                  (f"rev_{t}_int4", lambda tie=tie: emb_model(tie), "ids", ("int4", None)),
                  (f"rev_{t}_int4g", lambda tie=tie: emb_model(tie), "ids",
                   (None, I4(block_size=4)))]
    cases += [("emb_int4", emb_plain, "ids", ("int4", None)),
              ("emb_int4g", emb_plain, "ids", (None, I4(block_size=2)))]
    return cases


# Every case runs on NumPy and torch; on JAX and TensorFlow (slower per eager op: each
# new shape compiles) one case per layer, mode and code path, to keep CI short.
_SUBSET = ("dense_int4g", "dense_int4_w8q", "dense_float8", "ein_int8", "ein_int4",
           "rev_tied_int4g", "rev_untied_int8", "emb_int4")


def _cases_for(fw):
    return [c for c in _cases() if fw in ("numpy", "torch") or c[0] in _SUBSET]


def _quantized(refs, case, fw):
    """The case's model with Keras' float weights, built on ``fw`` and quantized; and
    its input."""
    name, build, xname, (mode, config) = case
    m = build()
    n = sum(1 for k in refs if k.startswith(f"{name}_float"))
    m.set_weights([refs[f"{name}_float{i}"] for i in range(n)])
    x = asarray(refs[xname], framework=fw)
    m(x)
    m.quantize(mode, config=config)
    return m, x


def _tail(path):
    return "/".join(str(path).split("/")[-2:])  # layer/variable (Keras adds the model's name)


def _names(m):
    return [_tail(w.path) for w in m.weights]


def test_quantized_layers_match_keras(any_framework, keras_script_refs):
    """Every case: Keras' weights (names, dtypes, exact int values, scales), policies and
    outputs from the same float weights, on this framework."""
    refs = keras_script_refs(REFS)
    for case in _cases_for(any_framework):
        name = case[0]
        m, x = _quantized(refs, case, any_framework)
        ref_names = [str(p) for p in refs[f"{name}_names"]]
        got = _names(m) if "/" in ref_names[0] else [w.name for w in m.weights]
        assert got == ref_names, name
        assert [la.dtype_policy.name for la in m.layers] == list(refs[f"{name}_policies"]), name
        for i, w in enumerate(m.get_weights()):
            ref = refs[f"{name}_w{i}"]
            assert (w.dtype, w.shape) == (ref.dtype, ref.shape), (name, i)
            np.testing.assert_allclose(w, ref, rtol=1e-6, atol=0, err_msg=f"{name} w{i}")
        np.testing.assert_allclose(_np(m(x)), refs[f"{name}_y"], rtol=1e-5, atol=1e-5,
                                   err_msg=name)
    # int4 is coarser than int8, and the packing is Keras' nibble order
    assert np.max(np.abs(refs["dense_int4_y"] - refs["dense_int4g_y"])) > 0


def test_keras_quantized_files_load(any_framework, keras_script_refs):
    refs = keras_script_refs(REFS)
    for name, _, xname, _ in _cases_for(any_framework):
        m = keras.saving.load_model(str(refs["dir"] / f"{name}.keras"))
        assert [la.dtype_policy.name for la in m.layers] == list(refs[f"{name}_policies"])
        # built from the policy, a float8 layer creates its scales before its kernel (as
        # Keras): compare by name
        ref_names = [str(p) for p in refs[f"{name}_names"]]
        want = {n: refs[f"{name}_w{i}"] for i, n in enumerate(ref_names)}
        got = _names(m) if "/" in ref_names[0] else [w.name for w in m.weights]
        assert sorted(got) == sorted(want)
        for n, w in zip(got, m.get_weights()):
            np.testing.assert_allclose(w, want[n], rtol=1e-6, atol=0, err_msg=f"{name} {n}")
        y = m(asarray(refs[xname], framework=any_framework))
        np.testing.assert_allclose(_np(y), refs[f"{name}_y"], rtol=1e-5, atol=1e-5,
                                   err_msg=name)


def test_keras_loads_unikeras_quantized_files(keras_script_refs, tmp_path):
    """The files unikeras writes (every case from NumPy, three from each other framework,
    and a LoRA layer on an int4 one from each) load in Keras 3 (one subprocess, JAX
    backend) and give unikeras' outputs."""
    from unikeras.xp import installed_frameworks

    pytest.importorskip("keras")
    refs = keras_script_refs(REFS)
    expected, jobs = {}, []
    for fw in installed_frameworks() + ["numpy"]:
        # every case written from NumPy; from the other frameworks one Dense, one
        # EinsumDense and one ReversibleEmbedding case (the values are computed on the host)
        for case in [c for c in _cases() if fw == "numpy"
                     or c[0] in ("dense_int4g", "ein_float8", "rev_untied_int4g")]:
            name, xname = case[0], case[2]
            m, x = _quantized(refs, case, fw)
            path = tmp_path / f"{fw}_{name}.keras"
            m.save(path)
            expected[f"{fw}_{name}"] = _np(m(x))
            jobs.append((f"{fw}_{name}", str(path), xname))
        m = dense_model()
        m.set_weights([refs[f"dense_int4_float{i}"] for i in range(3)])
        m(asarray(refs["x6"], framework=fw))
        m.quantize("int4")
        m.get_layer("d1").enable_lora(2)
        m.get_layer("d1").lora_kernel_a.assign(refs["lora_int4_a"])
        m.get_layer("d1").lora_kernel_b.assign(refs["lora_int4_b"])
        m.save(tmp_path / f"{fw}_lora.keras")
        # the file holds the merged kernel re-quantized (Keras'), as Keras' own reload
        expected[f"{fw}_lora"] = refs["lora_int4_reload_y"]
        jobs.append((f"{fw}_lora", str(tmp_path / f"{fw}_lora.keras"), "x6"))
    inputs = {k: refs[k] for k in ("x6", "x3d", "ids")}
    np.savez(tmp_path / "inputs.npz", **inputs)
    script = f"""
import numpy as np, keras
inputs = np.load({str(tmp_path / 'inputs.npz')!r})
out = {{}}
for key, path, xname in {jobs!r}:
    out[key] = np.asarray(keras.saving.load_model(path)(inputs[xname]))
np.savez({str(tmp_path / 'out.npz')!r}, **out)
"""
    env = dict(os.environ, KERAS_BACKEND="jax", JAX_PLATFORMS="cpu", TF_CPP_MIN_LOG_LEVEL="3")
    proc = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    got = np.load(tmp_path / "out.npz")
    for key in expected:
        np.testing.assert_allclose(got[key], expected[key], rtol=1e-5, atol=1e-5,
                                   err_msg=key)


def test_lora_on_quantized_dense_matches_keras(framework, keras_script_refs, tmp_path):
    refs = keras_script_refs(REFS)
    x = asarray(refs["x6"], framework=framework)
    for mode in ("int8", "int4"):
        m = dense_model()
        m.set_weights([refs[f"dense_int4_float{i}"] for i in range(3)])
        m(x)
        m.quantize(mode)
        d1 = m.get_layer("d1")
        d1.enable_lora(2)
        assert [w.path for w in d1.trainable_weights] == [
            "d1/bias", "d1/lora_kernel_a", "d1/lora_kernel_b"]
        d1.lora_kernel_a.assign(refs[f"lora_{mode}_a"])
        d1.lora_kernel_b.assign(refs[f"lora_{mode}_b"])
        np.testing.assert_allclose(_np(m(x)), refs[f"lora_{mode}_y"], rtol=1e-5, atol=1e-5)
        m.save(tmp_path / f"{mode}.keras")
        back = keras.saving.load_model(tmp_path / f"{mode}.keras")
        for i, w in enumerate(back.get_weights()):
            np.testing.assert_allclose(w, refs[f"lora_{mode}_reload_w{i}"], rtol=1e-6,
                                       atol=1e-7, err_msg=f"{mode} w{i}")
        np.testing.assert_allclose(_np(back(x)), refs[f"lora_{mode}_reload_y"], rtol=1e-5,
                                   atol=1e-5)
    m = dense_model()
    m(x)
    m.quantize("float8")
    m.get_layer("d1").enable_lora(2)
    with pytest.raises(NotImplementedError, match="LoRA"):
        m(x)


def test_float8_fit_delayed_scaling_like_keras(framework, keras_script_refs):
    """fit through two float8 Dense layers: the losses, the trained kernels and the
    scales/amax histories the optimizer overwrote are Keras'."""
    refs = keras_script_refs(REFS)
    f = keras.Sequential([keras.Input((6,)), layers.Dense(5, name="f1"),
                          layers.Dense(3, name="f2")])
    f.set_weights([refs[f"f8fit_w{i}"] for i in range(4)])
    f.quantize("float8")
    assert _names(f) == [_tail(p) for p in refs["f8fit_names"]]
    assert f.layers[0].inputs_scale.overwrite_with_gradient
    f.compile(keras.optimizers.SGD(0.05), "mse")
    h = f.fit(asarray(refs["x6"], framework=framework),
              asarray(refs["f8fit_y"], framework=framework), batch_size=2, epochs=2,
              shuffle=False, verbose=0)
    np.testing.assert_allclose(h.history["loss"], refs["f8fit_loss"], rtol=1e-4)
    for i, w in enumerate(f.get_weights()):
        np.testing.assert_allclose(w, refs[f"f8fit_after_w{i}"], rtol=1e-4, atol=1e-5,
                                   err_msg=f"w{i} {f.weights[i].path}")
    np.testing.assert_allclose(_np(f(asarray(refs["x6"], framework=framework))),
                               refs["f8fit_pred"], rtol=1e-4, atol=1e-5)


def test_quantizer_functions_match_keras(any_framework, keras_script_refs):
    refs = keras_script_refs(REFS)
    q, s, z = quantizers.abs_max_quantize_grouped_with_zero_point(refs["g_in"], 4,
                                                                  to_numpy=True)
    np.testing.assert_array_equal(q, refs["g_q_np"])
    np.testing.assert_allclose(s, refs["g_s_np"], rtol=1e-6)
    np.testing.assert_array_equal(z, refs["g_z_np"])
    assert z.dtype == np.int8
    for tag in ("g", "g2"):
        a = asarray(refs[f"{tag}_in"], framework=any_framework)
        q, s, z = quantizers.abs_max_quantize_grouped_with_zero_point(a, block_size=4)
        np.testing.assert_array_equal(_np(q), refs[f"{tag}_q"])
        np.testing.assert_allclose(_np(s), refs[f"{tag}_s"], rtol=1e-6)
        np.testing.assert_array_equal(_np(z), refs[f"{tag}_z"])
    x = asarray(refs["fq_x"], framework=any_framework)
    for tag, kw in (("t", {}), ("tn", {"num_bits": 4, "narrow_range": True}),
                    ("c", {"axis": -1})):
        lo = asarray(refs[f"fq_{tag}_lo"], framework=any_framework)
        hi = asarray(refs[f"fq_{tag}_hi"], framework=any_framework)
        y = quantizers.fake_quant_with_min_max_vars(x, lo, hi, **kw)
        np.testing.assert_allclose(_np(y), refs[f"fq_{tag}_y"], rtol=1e-6, atol=1e-6)


def test_fake_quant_gradient_is_keras(framework, keras_script_refs):
    refs = keras_script_refs(REFS)
    w = np.arange(12, dtype="float32").reshape(3, 4) / 7
    for tag, kw in (("t", {}), ("tn", {"num_bits": 4, "narrow_range": True}),
                    ("c", {"axis": -1})):
        args = [refs["fq_x"], refs[f"fq_{tag}_lo"], refs[f"fq_{tag}_hi"]]
        if framework == "jax":
            import jax

            def loss(x, lo, hi):
                return (quantizers.fake_quant_with_min_max_vars(x, lo, hi, **kw) * w).sum()

            grads = jax.grad(loss, argnums=(0, 1, 2))(*map(jax.numpy.asarray, args))
        elif framework == "torch":
            import torch

            ts = [torch.tensor(np.asarray(a), requires_grad=True) for a in args]
            (quantizers.fake_quant_with_min_max_vars(*ts, **kw) * torch.tensor(w)).sum() \
                .backward()
            grads = [t.grad for t in ts]
        else:
            import tensorflow as tf

            ts = [tf.Variable(np.asarray(a)) for a in args]
            with tf.GradientTape() as tape:
                loss = tf.reduce_sum(quantizers.fake_quant_with_min_max_vars(*ts, **kw) * w)
            grads = tape.gradient(loss, ts)
        for g, part in zip(grads, ("gx", "glo", "ghi")):
            np.testing.assert_allclose(_np(g), refs[f"fq_{tag}_{part}"], rtol=1e-6,
                                       err_msg=f"{tag} {part}")


def test_policies_and_configs(keras_script_refs):
    refs = keras_script_refs(REFS)
    dp = keras.dtype_policies
    p = dp.get("int4/128_from_mixed_bfloat16")
    assert isinstance(p, dp.Int4DTypePolicy)
    assert (p.name, p.block_size, p.mode, p.quantization_mode, p.compute_dtype) == (
        "int4/128_from_mixed_bfloat16", 128, "int4", "int4", "bfloat16")
    assert dp.serialize(p) == {"module": "keras.dtype_policies", "class_name": "Int4DTypePolicy",
                               "config": {"mode": "int4/128", "source_name": "mixed_bfloat16"},
                               "registered_name": None}
    assert dp.get(dp.serialize(p)) == p
    assert type(dp.get("int4_from_float32")) is dp.QuantizedDTypePolicy  # legacy per-channel
    f8 = dp.get("float8_from_bfloat16")
    assert isinstance(f8, dp.QuantizedFloat8DTypePolicy) and f8.amax_history_length == 1024
    f8 = dp.QuantizedFloat8DTypePolicy("float8", "float32", amax_history_length=16)
    assert dp.deserialize(dp.serialize(f8)).amax_history_length == 16
    with pytest.raises(TypeError, match="amax_history_length"):
        dp.QuantizedFloat8DTypePolicy("float8", "float32", amax_history_length=1.5)
    for bad in ("int4", "int4/0", "int4/x", "int8/4"):
        with pytest.raises(ValueError, match="Int4DTypePolicy|block_size"):
            dp.Int4DTypePolicy(bad, "float32")
    cfg = I4(block_size=64)
    assert str(keras.saving.serialize_keras_object(cfg)) == str(refs["i4cfg"])
    back = quantizers.deserialize(quantizers.serialize(cfg))
    assert isinstance(back, I4) and back.block_size == 64 and back.mode == "int4"
    assert I4.from_config({"weight_quantizer": None, "activation_quantizer": None}).block_size \
        is None
    assert quantizers.Float8QuantizationConfig().mode == "float8"
    with pytest.raises(ValueError, match="custom quantizers"):
        I4(weight_quantizer=quantizers.AbsMaxQuantizer(axis=0, value_range=(-8, 7)))
    with pytest.raises(ValueError, match="value_range"):
        I4(block_size=None, weight_quantizer=quantizers.AbsMaxQuantizer(axis=0))
    with pytest.raises(ValueError, match="block_size"):
        I4(block_size=0)
    e = layers.Embedding(4, 3)
    e.build()
    with pytest.raises(ValueError, match="Invalid quantization mode"):
        e.quantize("float8")
    d = layers.Dense(2)
    d.build((None, 3))
    d.quantize("int4", config=I4(block_size=2))
    assert d.dtype_policy.name == "int4/2_from_float32"
    assert [tuple(w.shape) for w in d.weights] == [(2,), (3, 1), (2, 2), (2, 2), (3,)]
