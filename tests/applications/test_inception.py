"""Xception, InceptionV3 and InceptionResNetV2 (keras.applications.xception,
.inception_v3, .inception_resnet_v2) against Keras 3 itself.

Keras (one subprocess for the module, _keras_apps.py) builds each at the smallest input
it accepts (71x71 / 75x75) with ``weights=None``, gives its batch norms non-trivial
statistics and saves its weights; unikeras loads that file on every framework: the layer
names (most are Keras' automatic names of a fresh session), classes, weight paths and
shapes equal Keras's, and one forward pass after the module's ``preprocess_input`` gives
Keras's outputs.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

import unikeras as keras
from unikeras.xp import to_numpy

pytest.importorskip("keras")
sys.path.insert(0, str(Path(__file__).parent))
from _keras_apps import build, check_forward, check_structure, keras_reference  # noqa: E402

CASES = [
    ("xception", "xception", "Xception", dict(include_top=False, input_shape=(71, 71, 3),
                                              pooling="avg")),
    ("inception_v3", "inception_v3", "InceptionV3", dict(input_shape=(75, 75, 3),
                                                         classes=3)),
    ("inception_resnet_v2", "inception_resnet_v2", "InceptionResNetV2",
     dict(include_top=False, input_shape=(75, 75, 3), pooling="max")),
]
# built only: the head the forward cases do not take (no pooling); these architectures
# have no deeper variants
STRUCTURE_ONLY = [
    ("inception_v3_notop", "inception_v3", "InceptionV3",
     dict(include_top=False, input_shape=(75, 75, 3))),
]


@pytest.fixture(scope="module")
def keras_dir(tmp_path_factory):
    return keras_reference(tmp_path_factory, CASES, STRUCTURE_ONLY)


@pytest.mark.parametrize("cid,module,fn,kw", CASES, ids=[c[0] for c in CASES])
def test_matches_keras(cid, module, fn, kw, keras_dir, any_framework, to_fw):
    check_forward(cid, module, fn, kw, keras_dir, any_framework, to_fw)


@pytest.mark.parametrize("cid,module,fn,kw", STRUCTURE_ONLY, ids=[c[0] for c in STRUCTURE_ONLY])
def test_other_heads_have_keras_layers(cid, module, fn, kw, keras_dir):
    check_structure(build(module, fn, kw),
                    json.loads((keras_dir / "facts.json").read_text())[cid])


@pytest.mark.parametrize("fn,size", [("Xception", 71), ("InceptionV3", 75),
                                     ("InceptionResNetV2", 75)])
def test_keras_argument_errors(fn, size, tmp_path, monkeypatch):
    """Keras' checks: the minimum input size, 299x299 with the ImageNet top, 1000
    classes with ImageNet weights, an existing weights path; weights="imagenet" reads
    Keras' file by its name from the Keras cache."""
    make = getattr(keras.applications, fn)
    with pytest.raises(ValueError, match=f"Input size must be at least {size}x{size}"):
        make(weights=None, include_top=False, input_shape=(size - 1, size, 3))
    with pytest.raises(ValueError, match=r"`input_shape` should be \(299, 299, 3\)"):
        make(input_shape=(150, 150, 3))
    with pytest.raises(ValueError, match="classes` should be 1000"):
        make(classes=10)
    with pytest.raises(ValueError, match="path to the weights file"):
        make(weights=str(tmp_path / "missing.weights.h5"))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    module = make.__module__.rsplit(".", 1)[-1]
    with pytest.raises(ValueError, match=rf"cannot download.*{module}_weights_tf_dim_"
                                         r"ordering_tf_kernels_notop\.h5"):
        make(include_top=False, input_shape=(size, size, 3))
    if fn == "InceptionV3":  # (the head's check, shared: on the cheapest to build)
        with pytest.raises(ValueError, match="Only `None` and `softmax`"):
            make(classifier_activation="sigmoid")


def test_channels_first_builds_keras_shapes():
    """With channels_first the batch norms and concatenations take axis 1 (Keras'
    channel_axis): the blocks keep the ImageNet channel counts and weight shapes."""
    keras.config.set_image_data_format("channels_first")
    try:
        m = keras.applications.InceptionV3(weights=None, include_top=False,
                                           input_shape=(3, 75, 75))
        x = keras.applications.Xception(weights=None, include_top=False,
                                        input_shape=(3, 71, 71))
    finally:
        keras.config.set_image_data_format("channels_last")
    assert m.get_layer("mixed2").output.shape == (None, 288, 7, 7)
    assert m.output.shape == (None, 2048, 1, 1)
    assert x.output.shape == (None, 2048, 3, 3)
    assert x.get_layer("block14_sepconv2_bn").moving_mean.shape == (2048,)


def test_custom_scale_layer_saves_under_keras_module(tmp_path, to_fw):
    """InceptionResNetV2's own layer: ``x + r * scale``; a ``.keras`` file names it by
    Keras' module (which Keras imports when it loads the file) and loads back."""
    from unikeras.applications.inception_resnet_v2 import CustomScaleLayer

    a = keras.Input((4,))
    b = keras.Input((4,))
    model = keras.Model([a, b], CustomScaleLayer(0.17)([a, b]))
    x = np.arange(8, dtype="float32").reshape(2, 4)
    r = np.ones((2, 4), "float32")
    np.testing.assert_allclose(to_numpy(model([x, r])), x + 0.17 * r, rtol=1e-6)
    model.save(tmp_path / "m.keras")
    import zipfile

    config = json.loads(zipfile.ZipFile(tmp_path / "m.keras").read("config.json"))
    layer = [lay for lay in config["config"]["layers"]
             if lay["class_name"] == "CustomScaleLayer"][0]
    assert layer["module"] == "keras.src.applications.inception_resnet_v2"
    assert layer["config"]["scale"] == 0.17
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(to_numpy(loaded([x, r])), x + 0.17 * r, rtol=1e-6)


def test_keras_model_file_loads(keras_dir):
    """Keras' own ``.keras`` file of InceptionResNetV2 (its CustomScaleLayer named by
    Keras' module) loads as a whole model and gives Keras's outputs (on NumPy: the
    other frameworks run this model in test_matches_keras)."""
    from unikeras.xp import set_default_framework

    set_default_framework("numpy")  # (conftest resets it after the test)
    loaded = keras.saving.load_model(keras_dir / "inception_resnet_v2.keras")
    assert loaded.name == "inception_resnet_v2"
    assert type(loaded.get_layer("custom_scale_layer_5")).__name__ == "CustomScaleLayer"
    out = to_numpy(loaded(np.load(keras_dir / "inception_resnet_v2_pre.npy")))
    ref = np.load(keras_dir / "inception_resnet_v2_out.npy")
    np.testing.assert_allclose(out, ref, rtol=1e-3, atol=1e-4 * float(np.abs(ref).max()))
