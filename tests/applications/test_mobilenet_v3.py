"""keras.applications.mobilenet_v3 against Keras 3 itself (one Keras subprocess for the
module, tests/applications/_keras_apps.py).

MobileNetV3Small, the smallest variant, at 32x32 with Keras' weights (hard-swish,
squeeze-and-excite, the built-in rescaling): layer names, classes, weight paths and
shapes and the outputs on every framework; a minimalistic Small at alpha 0.75 without
preprocessing, and MobileNetV3Large, by structure.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

import unikeras as keras

pytest.importorskip("keras")
sys.path.insert(0, str(Path(__file__).parent))
from _keras_apps import build, check_forward, check_structure, images, keras_reference  # noqa: E402

CASES = [("mobilenetv3small", "mobilenet_v3", "MobileNetV3Small",
          dict(input_shape=(32, 32, 3), classes=5, classifier_activation=None))]
STRUCTURE_ONLY = [
    ("small_minimalistic", "mobilenet_v3", "MobileNetV3Small",
     dict(input_shape=(32, 32, 3), alpha=0.75, minimalistic=True, include_top=False,
          pooling="max", include_preprocessing=False)),
    ("large", "mobilenet_v3", "MobileNetV3Large", dict(input_shape=(32, 32, 3),
                                                       dropout_rate=0.0)),
]


@pytest.fixture(scope="module")
def keras_dir(tmp_path_factory):
    return keras_reference(tmp_path_factory, CASES, STRUCTURE_ONLY)


@pytest.mark.parametrize("cid,module,fn,kw", CASES, ids=[c[0] for c in CASES])
def test_matches_keras(cid, module, fn, kw, keras_dir, any_framework, to_fw):
    check_forward(cid, module, fn, kw, keras_dir, any_framework, to_fw)


@pytest.mark.parametrize("cid,module,fn,kw", STRUCTURE_ONLY,
                         ids=[c[0] for c in STRUCTURE_ONLY])
def test_other_variants_have_keras_layers(cid, module, fn, kw, keras_dir):
    check_structure(build(module, fn, kw),
                    json.loads((keras_dir / "facts.json").read_text())[cid])


def test_imagenet_file_names_and_errors(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    with pytest.raises(ValueError, match=r"cannot download.*weights_mobilenet_v3_small_"
                                         r"minimalistic_224_1\.0_float_no_top_v2\.h5"):
        keras.applications.MobileNetV3Small(input_shape=(224, 224, 3), minimalistic=True,
                                            include_top=False)
    with pytest.warns(UserWarning, match="rows` is not 224"), \
            pytest.raises(ValueError, match=r"weights_mobilenet_v3_large_224_0\.75_float\.h5"):
        keras.applications.MobileNetV3Large(alpha=0.75, input_shape=(64, 64, 3))
    with pytest.raises(ValueError, match="alpha can be one of `0.75`, `1.0`"):
        keras.applications.MobileNetV3Large(alpha=0.5)
    with pytest.raises(ValueError, match="classes` should be 1000"):
        keras.applications.MobileNetV3Small(classes=10)
    with pytest.raises(ValueError, match="at least 32x32"):
        keras.applications.MobileNetV3Small(weights=None, input_shape=(16, 16, 3))
    with pytest.raises(ValueError, match=r"input_shape\[1\] must equal input_tensor.shape"):
        keras.applications.MobileNetV3Small(weights=None, input_shape=(32, 32, 3),
                                            input_tensor=keras.Input((48, 48, 3)))


def test_any_input_size_and_channels_first(to_fw, framework):
    """Without input_shape the model takes any size; channels_first builds the same
    weights (as in Keras, which supports it here)."""
    m = keras.applications.MobileNetV3Small(weights=None, include_top=False, alpha=0.75,
                                            minimalistic=True, pooling="avg")
    assert tuple(m.inputs[0].shape) == (None, None, None, 3)
    x = images((40, 48, 3))
    out = m.predict(to_fw(x, framework), verbose=0)
    assert tuple(out.shape) == (2, m.outputs[0].shape[-1])
    keras.config.set_image_data_format("channels_first")
    try:
        cf = keras.applications.MobileNetV3Small(weights=None, include_top=False,
                                                 alpha=0.75, minimalistic=True,
                                                 pooling="avg")
    finally:
        keras.config.set_image_data_format("channels_last")
    assert tuple(cf.inputs[0].shape) == (None, 3, None, None)
    cf.set_weights(m.get_weights())
    got = cf.predict(to_fw(np.ascontiguousarray(x.transpose(0, 3, 1, 2)), framework),
                     verbose=0)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(got),
                               keras.ops.convert_to_numpy(out), rtol=1e-4, atol=1e-5)


def test_preprocess_input_is_the_identity(to_fw, framework):
    x = images()
    assert keras.applications.mobilenet_v3.preprocess_input(x) is x
    t = to_fw(x, framework)
    assert keras.applications.mobilenet_v3.preprocess_input(t) is t
