"""keras.applications against Keras 3 itself.

Keras 3 (in a subprocess, torch backend) builds each architecture small (32x32 inputs, few
classes or no top) with ``weights=None``, gives its batch norms non-trivial statistics,
and saves its weights (``.weights.h5``; ResNet50 also in Keras' legacy ``.h5`` layout,
the format of the ImageNet files). unikeras builds the same call with ``weights=<file>``
on every framework: the layer names and every weight's path and shape equal Keras's, and
one forward pass (after the module's own ``preprocess_input``) gives Keras's outputs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

import unikeras as keras
from unikeras.xp import to_numpy

pytest.importorskip("keras")

# (case id, module, function, kwargs); every kwarg is passed as is to Keras and unikeras
CASES = [
    ("vgg16", "vgg16", "VGG16", dict(include_top=False, input_shape=(32, 32, 3),
                                     pooling="avg")),
    ("vgg19", "vgg19", "VGG19", dict(include_top=False, input_shape=(32, 32, 3),
                                     pooling="max")),
    ("resnet50", "resnet50", "ResNet50", dict(input_shape=(32, 32, 3), classes=5)),
    ("resnet50v2", "resnet_v2", "ResNet50V2", dict(include_top=False,
                                                   input_shape=(32, 32, 3), pooling="max")),
    ("densenet121", "densenet", "DenseNet121", dict(include_top=False,
                                                    input_shape=(32, 32, 3),
                                                    pooling="avg")),
    ("mobilenet", "mobilenet", "MobileNet", dict(alpha=0.25, depth_multiplier=2,
                                                 input_shape=(32, 32, 3), classes=3)),
    ("mobilenetv2", "mobilenet_v2", "MobileNetV2", dict(alpha=0.35, input_shape=(32, 32, 3),
                                                        classes=4,
                                                        classifier_activation=None)),
]
# built only (no forward): names and weight shapes
STRUCTURE_ONLY = [
    ("resnet101", "resnet", "ResNet101", dict(include_top=False, input_shape=(32, 32, 3))),
    ("resnet152v2", "resnet_v2", "ResNet152V2", dict(include_top=False,
                                                     input_shape=(32, 32, 3))),
    ("densenet201", "densenet", "DenseNet201", dict(input_shape=(32, 32, 3), classes=3)),
]

rng = np.random.default_rng(3)
X = rng.uniform(0, 255, size=(2, 32, 32, 3)).astype("float32")

_KERAS_SIDE = r"""
import os, sys, json
import numpy as np, keras, h5py
from keras.src.legacy.saving import legacy_h5_format
d = sys.argv[1]
cases = json.load(open(d + "/cases.json"))
x = np.load(d + "/x.npy")
rng = np.random.default_rng(0)
out = {}
for cid, mod, fn, kw, forward in cases:
    if "input_shape" in kw: kw["input_shape"] = tuple(kw["input_shape"])
    module = getattr(keras.applications, mod)
    m = getattr(module, fn)(weights=None, **kw)
    out[cid] = {"layers": [l.name for l in m.layers if l.weights],
                "classes": [type(l).__name__ for l in m.layers],
                "weights": [[w.path, list(w.shape)] for w in m.weights],
                "name": m.name}
    if not forward:
        continue
    for l in m.layers:
        if isinstance(l, keras.layers.BatchNormalization):
            n = l.gamma.shape[0]
            l.set_weights([rng.uniform(0.5, 1.5, n), rng.normal(0, 0.1, n),
                           rng.normal(0, 0.1, n), rng.uniform(0.5, 1.5, n)])
    m.save_weights(d + f"/{cid}.weights.h5")
    if cid == "resnet50":
        with h5py.File(d + f"/{cid}.h5", "w") as f:
            legacy_h5_format.save_weights_to_hdf5_group(f, m)
    xp = module.preprocess_input(x.copy())
    np.save(d + f"/{cid}_pre.npy", xp)
    np.save(d + f"/{cid}_out.npy", keras.ops.convert_to_numpy(m(xp, training=False)))
json.dump(out, open(d + "/facts.json", "w"))
"""


@pytest.fixture(scope="module")
def keras_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("apps")
    np.save(d / "x.npy", X)
    cases = [[c, m, f, kw, True] for c, m, f, kw in CASES]
    cases += [[c, m, f, kw, False] for c, m, f, kw in STRUCTURE_ONLY]
    (d / "cases.json").write_text(json.dumps(cases))
    # Keras' torch backend: the same Keras code, built ~20x faster than on jax here (no
    # per-initializer compilation); Keras never shares this process with unikeras.
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", KERAS_BACKEND="torch",
               OMP_NUM_THREADS="1")
    subprocess.run([sys.executable, "-c", _KERAS_SIDE, str(d)], check=True, env=env,
                   capture_output=True)
    return d


def _build(module, fn, kw, weights=None):
    return getattr(getattr(keras.applications, module), fn)(weights=weights, **kw)


def _check_structure(m, facts):
    assert m.name == facts["name"]
    assert [layer.name for layer in m.layers if layer.weights] == facts["layers"]
    assert [type(layer).__name__ for layer in m.layers] == facts["classes"]
    assert [[w.path, list(w.shape)] for w in m.weights] == facts["weights"]


@pytest.mark.parametrize("cid,module,fn,kw", CASES, ids=[c[0] for c in CASES])
def test_matches_keras(cid, module, fn, kw, keras_dir, any_framework, to_fw):
    facts = json.loads((keras_dir / "facts.json").read_text())[cid]
    m = _build(module, fn, kw, weights=str(keras_dir / f"{cid}.weights.h5"))
    _check_structure(m, facts)
    pre_ref = np.load(keras_dir / f"{cid}_pre.npy")
    pre_np = getattr(keras.applications, module).preprocess_input(X.copy())
    np.testing.assert_allclose(pre_np, pre_ref, rtol=1e-6, atol=1e-5)
    # (NumPy arrays are preprocessed in place, as in Keras: give a copy)
    pre = getattr(keras.applications, module).preprocess_input(to_fw(X.copy(), any_framework))
    np.testing.assert_allclose(to_numpy(pre), pre_ref, rtol=1e-6, atol=1e-4)
    if any_framework == "jax":
        # compiled once as a jax user would run it: op-by-op eager jax compiles each
        # primitive per shape (~30 s for DenseNet121's ~400 layers, 12 s under jit)
        out = to_numpy(m.predict(pre, verbose=0))
    else:
        out = to_numpy(m(pre, training=False))
    ref = np.load(keras_dir / f"{cid}_out.npy")
    assert out.shape == ref.shape
    scale = float(np.abs(ref).max())
    np.testing.assert_allclose(out, ref, rtol=1e-3, atol=1e-4 * scale)


@pytest.mark.parametrize("cid,module,fn,kw", STRUCTURE_ONLY, ids=[c[0] for c in STRUCTURE_ONLY])
def test_deep_variants_have_keras_layers(cid, module, fn, kw, keras_dir):
    _check_structure(_build(module, fn, kw),
                     json.loads((keras_dir / "facts.json").read_text())[cid])


def test_legacy_h5_weights_load(keras_dir, to_fw):
    """Keras' legacy HDF5 layout (the ImageNet files' format) loads as the new one."""
    kw = dict(input_shape=(32, 32, 3), classes=5)
    a = _build("resnet50", "ResNet50", kw, weights=str(keras_dir / "resnet50.h5"))
    b = _build("resnet50", "ResNet50", kw, weights=str(keras_dir / "resnet50.weights.h5"))
    for wa, wb in zip(a.weights, b.weights):
        np.testing.assert_array_equal(to_numpy(wa.numpy()), to_numpy(wb.numpy()))
    # a file for another architecture is refused, naming the mismatch
    with pytest.raises(ValueError, match="Layer count mismatch"):
        keras.applications.VGG16(weights=str(keras_dir / "resnet50.h5"), include_top=False,
                                 input_shape=(32, 32, 3))


def test_imagenet_weights_need_a_local_file(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    with pytest.raises(ValueError, match=r"cannot download.*vgg16_weights_tf_dim_ordering"
                                         r"_tf_kernels_notop\.h5"):
        keras.applications.VGG16(include_top=False, input_shape=(32, 32, 3))
    with pytest.raises(ValueError, match="classes` should be 1000"):
        keras.applications.ResNet50(classes=10)
    with pytest.raises(ValueError, match="path to the weights file"):
        keras.applications.ResNet50(weights=str(tmp_path / "missing.weights.h5"))


def test_imagenet_weights_from_the_keras_cache(tmp_path, monkeypatch, keras_dir):
    """A Keras ImageNet file placed in the Keras cache is what weights="imagenet" loads."""
    import shutil

    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    os.makedirs(tmp_path / "models")
    kw = dict(include_top=False, input_shape=(32, 32, 3), pooling="avg")
    ref = _build("vgg16", "VGG16", kw, weights=str(keras_dir / "vgg16.weights.h5"))
    # the cached file must be Keras' legacy .h5 by name: write it from the reference
    from unikeras.saving import legacy_h5  # noqa: F401  (the reader under test)
    import h5py

    path = tmp_path / "models" / "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5"
    with h5py.File(path, "w") as f:
        names = [layer.name for layer in ref.layers if layer.weights]
        f.attrs["layer_names"] = [n.encode() for n in names]
        for layer in ref.layers:
            if layer.weights:
                g = f.create_group(layer.name)
                g.attrs["weight_names"] = [f"{layer.name}/{w.name}:0".encode()
                                           for w in layer.weights]
                for w in layer.weights:
                    g.create_dataset(f"{layer.name}/{w.name}:0", data=to_numpy(w.numpy()))
    m = keras.applications.vgg16.VGG16(weights="imagenet", **kw)
    for wa, wb in zip(m.weights, ref.weights):
        np.testing.assert_array_equal(to_numpy(wa.numpy()), to_numpy(wb.numpy()))
    shutil.rmtree(tmp_path / "models")


def test_preprocess_modes_and_channels_first(any_framework, to_fw):
    """The three modes on 3D and 4D, channels_first too, against the formulas."""
    from unikeras.applications import imagenet_utils

    x = X[0].transpose(2, 0, 1)  # (3, 32, 32)
    mean = np.array([103.939, 116.779, 123.68], "float32").reshape(3, 1, 1)
    want = x[::-1] - mean
    got = imagenet_utils.preprocess_input(to_fw(x.copy(), any_framework),
                                          data_format="channels_first")
    np.testing.assert_allclose(to_numpy(got), want, rtol=1e-6, atol=1e-4)
    np.testing.assert_allclose(
        imagenet_utils.preprocess_input(x.copy(), data_format="channels_first"), want,
        rtol=1e-6, atol=1e-4)
    tmean = np.array([0.485, 0.456, 0.406], "float32")
    tstd = np.array([0.229, 0.224, 0.225], "float32")
    got = imagenet_utils.preprocess_input(to_fw(X.copy(), any_framework), mode="torch")
    np.testing.assert_allclose(to_numpy(got), (X / 255.0 - tmean) / tstd, rtol=1e-5,
                               atol=1e-5)
    with pytest.raises(ValueError, match="Expected mode"):
        imagenet_utils.preprocess_input(X, mode="bgr")


def test_decode_predictions(tmp_path, monkeypatch):
    from unikeras.applications import imagenet_utils

    monkeypatch.setattr(imagenet_utils, "CLASS_INDEX", None)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    preds = np.zeros((2, 1000), "float32")
    preds[0, [7, 3]] = [0.9, 0.5]
    preds[1, 999] = 1.0
    with pytest.raises(ValueError, match="imagenet_class_index.json"):
        keras.applications.resnet50.decode_predictions(preds)
    os.makedirs(tmp_path / "models")
    index = {str(i): [f"n{i:08d}", f"class{i}"] for i in range(1000)}
    (tmp_path / "models" / "imagenet_class_index.json").write_text(json.dumps(index))
    got = keras.applications.resnet50.decode_predictions(preds, top=2)
    assert [t[:2] for t in got[0]] == [("n00000007", "class7"), ("n00000003", "class3")]
    assert got[1][0][:2] == ("n00000999", "class999") and got[1][0][2] == 1.0
    with pytest.raises(ValueError, match=r"shape \(samples, 1000\)"):
        keras.applications.imagenet_utils.decode_predictions(preds[:, :10])
