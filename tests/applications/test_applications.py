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
import sys
from pathlib import Path

import numpy as np
import pytest

import unikeras as keras
from unikeras.xp import to_numpy

pytest.importorskip("keras")
sys.path.insert(0, str(Path(__file__).parent))
from _keras_apps import (X, build, check_forward, check_structure, keras_reference,  # noqa: E402
                         zero_initializers)

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


@pytest.fixture(scope="module")
def keras_dir(tmp_path_factory):
    return keras_reference(tmp_path_factory, CASES, STRUCTURE_ONLY, legacy_h5=["resnet50"])


@pytest.mark.parametrize("cid,module,fn,kw", CASES, ids=[c[0] for c in CASES])
def test_matches_keras(cid, module, fn, kw, keras_dir, any_framework, to_fw):
    check_forward(cid, module, fn, kw, keras_dir, any_framework, to_fw)


@pytest.mark.parametrize("cid,module,fn,kw", STRUCTURE_ONLY, ids=[c[0] for c in STRUCTURE_ONLY])
def test_deep_variants_have_keras_layers(cid, module, fn, kw, keras_dir, monkeypatch):
    zero_initializers(monkeypatch)
    check_structure(build(module, fn, kw),
                     json.loads((keras_dir / "facts.json").read_text())[cid])


def test_legacy_h5_weights_load(keras_dir, to_fw):
    """Keras' legacy HDF5 layout (the ImageNet files' format) loads as the new one."""
    kw = dict(input_shape=(32, 32, 3), classes=5)
    a = build("resnet50", "ResNet50", kw, weights=str(keras_dir / "resnet50.h5"))
    b = build("resnet50", "ResNet50", kw, weights=str(keras_dir / "resnet50.weights.h5"))
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
    ref = build("vgg16", "VGG16", kw, weights=str(keras_dir / "vgg16.weights.h5"))
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
