"""LoRA on Dense, EinsumDense, Embedding and Conv1D/2D/3D, compared with Keras 3 itself
(``_keras_lora_refs.py``, run once in a subprocess on the JAX backend): weight names,
order and trainability, ``lora_alpha`` as Keras 3.15 sets it, the outputs of the layers
with the same float weights on every framework, a ``.keras`` file written by Keras loaded
here (merged kernels, factors zeroed), unikeras' own save/load round trip, and a fit that
moves only the LoRA factors (and the bias) exactly as Keras' fit does."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import unikeras as keras
from unikeras.xp import asarray

REFS = Path(__file__).with_name("_keras_lora_refs.py")


def _layer(tag):
    L = keras.layers
    if tag == "dense_ctor":
        layer = L.Dense(4, lora_rank=2, lora_alpha=6)
        layer.build((None, 5))
    elif tag == "dense_enable":
        layer = L.Dense(4, activation="relu")
        layer.build((None, 5))
        layer.enable_lora(3, lora_alpha=6)
    elif tag == "einsum_ctor":
        layer = L.EinsumDense("abc,cde->abde", output_shape=(3, 6, 4), bias_axes="e",
                              lora_rank=2, lora_alpha=5)
        layer.build((None, 3, 5))
    elif tag == "einsum_enable":
        layer = L.EinsumDense("ab,bcd->acd", output_shape=(6, 4), bias_axes="d")
        layer.build((None, 5))
        layer.enable_lora(2, lora_alpha=8)
    elif tag == "conv1d_ctor":
        layer = L.Conv1D(4, 3, padding="causal", lora_rank=2, lora_alpha=3)
        layer.build((None, 7, 5))
    elif tag == "conv2d_enable":
        layer = L.Conv2D(4, (3, 2), groups=2, activation="relu")
        layer.build((None, 6, 5, 4))
        layer.enable_lora(3, lora_alpha=6)
    elif tag == "conv3d_ctor":
        layer = L.Conv3D(2, 2, data_format="channels_first", lora_rank=1)
        layer.build((None, 3, 4, 4, 4))
    elif tag == "emb_ctor":
        layer = L.Embedding(7, 3, lora_rank=2, lora_alpha=4)
        layer.build()
    else:
        layer = L.Embedding(7, 3)
        layer.build()
        layer.enable_lora(3, lora_alpha=1.5)
    return layer


TAGS = ["dense_ctor", "dense_enable", "einsum_ctor", "einsum_enable", "emb_ctor",
        "emb_enable", "conv1d_ctor", "conv2d_enable", "conv3d_ctor"]


@pytest.mark.parametrize("tag", TAGS)
def test_lora_layer_matches_keras(any_framework, tag, keras_script_refs):
    refs = keras_script_refs(REFS)
    layer = _layer(tag)
    names = [w.path.split("/")[-1] for w in layer.weights]
    assert names == list(refs[f"{tag}_names"])
    assert [w.trainable for w in layer.weights] == list(refs[f"{tag}_trainable"])
    assert layer.lora_enabled and layer.lora_alpha == float(refs[f"{tag}_alpha"])
    n = len(names)
    ws = [refs[f"{tag}_w{i}"] for i in range(n)]
    layer.set_weights(ws)
    y = layer(asarray(refs[f"{tag}_x"], framework=any_framework))
    np.testing.assert_allclose(keras.ops.convert_to_numpy(y), refs[f"{tag}_y"],
                               rtol=1e-5, atol=1e-5)
    # the effective weight, written out in NumPy: base + alpha / rank * A @ B
    base, a, b = ws[0], ws[-2], ws[-1]
    eff = base + (layer.lora_alpha / layer.lora_rank) * (a @ b)
    if tag.startswith("emb"):
        np.testing.assert_allclose(keras.ops.convert_to_numpy(y), eff[refs[f"{tag}_x"]],
                                   rtol=1e-5, atol=1e-6)
    assert layer.get_config()["lora_rank"] == layer.lora_rank
    # the config rebuilds the same layer (LoRA enabled at build, same weight list)
    clone = type(layer).from_config(layer.get_config())
    assert clone.lora_rank == layer.lora_rank and clone.lora_alpha == layer.lora_alpha


def test_keras_file_with_lora_loads(any_framework, keras_script_refs):
    refs = keras_script_refs(REFS)
    model = keras.saving.load_model(str(refs["dir"] / "lora.keras"))
    assert len(model.weights) == int(refs["model_weights_n"])
    idx = np.array([[0, 3, 6], [2, 2, 5]], "int32")
    y = model(asarray(idx, framework=any_framework))
    np.testing.assert_allclose(keras.ops.convert_to_numpy(y), refs["model_y"], rtol=1e-5,
                               atol=1e-5)
    for layer in model.layers[1:]:
        assert layer.lora_enabled
        for w in layer.weights:
            if w.path.split("/")[-1].startswith("lora_"):
                np.testing.assert_array_equal(w.numpy(), 0.0)
    # the kernel holds the merged weight Keras saved: base + alpha/rank * A @ B
    w = [refs[f"model_w{i}"] for i in range(int(refs["model_weights_n"]))]
    emb = model.get_layer("emb")
    np.testing.assert_allclose(emb.embeddings.numpy(), w[0] + 1.0 * (w[1] @ w[2]),
                               rtol=1e-5, atol=1e-6)


def test_keras_file_with_lora_conv_loads(any_framework, keras_script_refs):
    """Keras' file of a LoRA Conv2D: the merged kernel, factors zeroed, Keras' outputs."""
    refs = keras_script_refs(REFS)
    model = keras.saving.load_model(str(refs["dir"] / "conv_lora.keras"))
    n = int(refs["conv_model_weights_n"])
    assert len(model.weights) == n
    conv = model.get_layer("conv")
    assert conv.lora_enabled and (conv.lora_rank, conv.lora_alpha) == (2, 4)
    np.testing.assert_array_equal(conv.lora_kernel_a.numpy(), 0.0)
    w = [refs[f"conv_model_w{i}"] for i in range(n)]  # kernel, bias, A, B, head
    np.testing.assert_allclose(conv.kernel.numpy(), w[0] + 2.0 * (w[2] @ w[3]), rtol=1e-5,
                               atol=1e-6)
    y = model(asarray(refs["conv_model_x"], framework=any_framework))
    np.testing.assert_allclose(keras.ops.convert_to_numpy(y), refs["conv_model_y"],
                               rtol=1e-5, atol=1e-5)


_KERAS_LOADS = r"""
import sys, numpy as np, keras
out = {}
for path in sys.argv[1:]:
    m = keras.saving.load_model(path)
    c = m.get_layer("conv")
    x = np.load(path + ".x.npy")
    out[path] = [keras.ops.convert_to_numpy(m(x)), c.lora_enabled, c.lora_rank, c.lora_alpha,
                 [w.path for w in m.weights]]
np.save(sys.argv[1] + ".keras_out.npy", np.array(out, dtype=object), allow_pickle=True)
"""


def test_lora_conv_files_load_in_keras(tmp_path):
    """unikeras' files of a LoRA Conv1D model, saved from every framework, load in Keras 3
    (one subprocess) and compute what unikeras computed."""
    import os
    import subprocess
    import sys

    pytest.importorskip("keras")
    paths, expected = [], {}
    rng = np.random.default_rng(5)
    for fw in keras.xp.installed_frameworks():
        inp = keras.Input((7, 3))
        h = keras.layers.Conv1D(4, 3, padding="causal", activation="tanh", name="conv",
                                lora_rank=2, lora_alpha=6)(inp)
        model = keras.Model(inp, keras.layers.GlobalMaxPooling1D()(h))
        model.set_weights([rng.standard_normal(w.shape).astype("float32")
                           for w in model.weights])
        x = rng.standard_normal((2, 7, 3)).astype("float32")
        y = keras.ops.convert_to_numpy(model(asarray(x, framework=fw)))
        path = str(tmp_path / f"{fw}.keras")
        model.save(path)
        np.save(path + ".x.npy", x)
        paths.append(path)
        expected[path] = (y, [w.path for w in model.weights])
    # Keras' NumPy backend: inference only, the cheapest to start
    env = dict(os.environ, KERAS_BACKEND="numpy", TF_CPP_MIN_LOG_LEVEL="3")
    proc = subprocess.run([sys.executable, "-c", _KERAS_LOADS, *paths], env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    got = np.load(paths[0] + ".keras_out.npy", allow_pickle=True).item()
    for path in paths:
        y, enabled, rank, alpha, names = got[path]
        assert (enabled, rank, alpha) == (True, 2, 6)
        assert names == expected[path][1]
        np.testing.assert_allclose(y, expected[path][0], rtol=1e-5, atol=1e-5)


def test_save_load_round_trip_merges_and_zeroes(framework, tmp_path):
    inp = keras.Input((4,))
    h = keras.layers.Dense(6, activation="tanh", name="d1")(inp)
    y = keras.layers.Dense(3, name="d2")(h)
    model = keras.Model(inp, y)
    model.get_layer("d1").enable_lora(2, lora_alpha=3.0)
    model.get_layer("d2").enable_lora(1)
    rng = np.random.default_rng(1)
    model.set_weights([rng.standard_normal(w.shape).astype("float32")
                       for w in model.weights])
    x = asarray(rng.standard_normal((5, 4)).astype("float32"), framework=framework)
    ref = keras.ops.convert_to_numpy(model(x))
    path = tmp_path / "m.keras"
    model.save(path)
    back = keras.saving.load_model(path)
    assert [w.path for w in back.weights] == [w.path for w in model.weights]
    # Keras 3.15's Dense.build enables LoRA with alpha = rank (the factors load as zeros,
    # so the loaded model computes the same)
    assert back.get_layer("d1").lora_alpha == 2 and back.get_layer("d2").lora_rank == 1
    np.testing.assert_allclose(keras.ops.convert_to_numpy(back(x)), ref, rtol=1e-5,
                               atol=1e-5)
    assert not np.any(back.get_layer("d1").lora_kernel_b.numpy())
    # .weights.h5 too (save_weights / load_weights into a LoRA-enabled model)
    model.save_weights(tmp_path / "m.weights.h5")
    back.set_weights([np.zeros(w.shape, "float32") for w in back.weights])
    back.load_weights(tmp_path / "m.weights.h5")
    np.testing.assert_allclose(keras.ops.convert_to_numpy(back(x)), ref, rtol=1e-5,
                               atol=1e-5)


FITS = [("fit", lambda: keras.layers.Dense(2, name="d"), 0.1),
        ("conv_fit", lambda: keras.layers.Conv2D(3, 3, name="c"), 0.005)]


@pytest.mark.parametrize("tag,make,lr", FITS, ids=[f[0] for f in FITS])
def test_fit_trains_only_lora_like_keras(framework, keras_script_refs, tag, make, lr):
    refs = keras_script_refs(REFS)
    x = refs[f"{tag}_x"]
    model = keras.Sequential([keras.Input(x.shape[1:]), make()])
    layer = model.layers[0]
    layer.enable_lora(2, lora_alpha=4)
    assert [w.path for w in model.trainable_weights] == [
        f"{layer.name}/bias", f"{layer.name}/lora_kernel_a", f"{layer.name}/lora_kernel_b"]
    model.set_weights([refs[f"{tag}_w{i}"] for i in range(4)])
    model.compile(keras.optimizers.SGD(lr), "mse")
    h = model.fit(asarray(x, framework=framework),
                  asarray(refs[f"{tag}_y"], framework=framework), batch_size=8, epochs=3,
                  shuffle=False, verbose=0)
    np.testing.assert_allclose(h.history["loss"], refs[f"{tag}_loss"], rtol=1e-5)
    after = model.get_weights()
    np.testing.assert_array_equal(after[0], refs[f"{tag}_w0"])   # the kernel is frozen
    for i in range(4):
        np.testing.assert_allclose(after[i], refs[f"{tag}_after_w{i}"], rtol=1e-5, atol=1e-6)


def test_lora_errors():
    d = keras.layers.Dense(3)
    with pytest.raises(ValueError, match="isn't yet built"):
        d.enable_lora(2)
    d.build((None, 4))
    d.enable_lora(2)
    with pytest.raises(ValueError, match="already enabled"):
        d.enable_lora(2)
    c = keras.layers.Dense(3, kernel_constraint="non_neg")
    c.build((None, 4))
    with pytest.raises(ValueError, match="incompatible with kernel constraints"):
        c.enable_lora(2)
    e = keras.layers.Embedding(5, 2, embeddings_constraint="non_neg")
    e.build()
    with pytest.raises(ValueError, match="embedding constraints"):
        e.enable_lora(2)
    with pytest.raises(ValueError, match="lora_rank must be a positive integer"):
        keras.layers.Dense(3, lora_rank=0)
    conv = keras.layers.Conv2D(2, 3, kernel_constraint="non_neg")
    conv.build((None, 5, 5, 1))
    with pytest.raises(ValueError, match="incompatible with kernel constraints"):
        conv.enable_lora(2)
    with pytest.raises(ValueError, match="isn't yet built"):
        keras.layers.Conv1D(2, 3).enable_lora(2)
    # as in Keras, only Conv1D/2D/3D (BaseConv) take LoRA arguments
    with pytest.raises(TypeError, match="Unrecognized keyword arguments.*lora_rank"):
        keras.layers.Conv2DTranspose(2, 3, lora_rank=2)
