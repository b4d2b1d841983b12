"""keras.applications.efficientnet and .efficientnet_v2 against Keras 3 itself.

Keras 3 (in a subprocess, torch backend; see _keras_apps.py) builds EfficientNetB0 and
EfficientNetV2B0 at 32x32 with ``weights=None``, gives their batch norms and B0's
adapt()-style input ``Normalization`` non-trivial statistics and saves the weights;
unikeras loads that file on every framework and gives Keras's outputs. The other variants
are only built, on both sides: same layer names and classes, same weight paths and shapes.
"""

from __future__ import annotations

import json
import os
import shutil
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

SMALL = (32, 32, 3)
CASES = [
    ("effb0", "efficientnet", "EfficientNetB0", dict(include_top=False, input_shape=SMALL,
                                                     pooling="avg")),
    ("effv2b0", "efficientnet_v2", "EfficientNetV2B0", dict(input_shape=SMALL, classes=3)),
]
# built only: every other variant (the coefficients and the V2 block tables), both heads,
# and V2 without its preprocessing layers
STRUCTURE_ONLY = [
    (f"effb{i}", "efficientnet", f"EfficientNetB{i}",
     dict(include_top=i % 2 == 0, input_shape=SMALL, classes=2, pooling="max"))
    for i in range(1, 8)
] + [
    (f"effv2{v.lower()}", "efficientnet_v2", f"EfficientNetV2{v}",
     dict(include_top=v in ("B2", "M"), input_shape=SMALL, classes=2,
          include_preprocessing=v != "B1"))
    for v in ("B1", "B2", "B3", "S", "M", "L")
]


@pytest.fixture(scope="module")
def keras_dir(tmp_path_factory):
    return keras_reference(tmp_path_factory, CASES, STRUCTURE_ONLY, legacy_h5=["effb0"])


@pytest.mark.parametrize("cid,module,fn,kw", CASES, ids=[c[0] for c in CASES])
def test_matches_keras(cid, module, fn, kw, keras_dir, any_framework, to_fw):
    check_forward(cid, module, fn, kw, keras_dir, any_framework, to_fw)


@pytest.mark.parametrize("cid,module,fn,kw", STRUCTURE_ONLY, ids=[c[0] for c in STRUCTURE_ONLY])
def test_variants_have_keras_layers(cid, module, fn, kw, keras_dir, monkeypatch):
    zero_initializers(monkeypatch)
    check_structure(build(module, fn, kw),
                    json.loads((keras_dir / "facts.json").read_text())[cid])


def test_imagenet_weights_from_the_keras_cache(tmp_path, monkeypatch, keras_dir):
    """weights="imagenet" reads Keras's file name from the Keras cache (a legacy .h5, as
    Keras's ImageNet files are) and, as Keras, adds a Rescaling by 1/sqrt(std) after the
    Normalization."""
    zero_initializers(monkeypatch)  # every weight is then the file's
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    os.makedirs(tmp_path / "models")
    shutil.copy(keras_dir / "effb0.h5", tmp_path / "models" / "efficientnetb0_notop.h5")
    kw = dict(include_top=False, input_shape=SMALL, pooling="avg")
    m = keras.applications.efficientnet.EfficientNetB0(weights="imagenet", **kw)
    assert [type(layer).__name__ for layer in m.layers[:5]] == [
        "InputLayer", "Rescaling", "Normalization", "Rescaling", "ZeroPadding2D"]
    ref = build("efficientnet", "EfficientNetB0", kw, weights=str(keras_dir / "effb0.h5"))
    assert len(m.weights) == len(ref.weights)
    for wa, wb in zip(m.weights, ref.weights):
        np.testing.assert_array_equal(to_numpy(wa.numpy()), to_numpy(wb.numpy()))
    # the extra layer divides by sqrt(std), per channel
    np.testing.assert_allclose(m.layers[3].get_config()["scale"],
                               [1.0 / np.sqrt(s) for s in (0.229, 0.224, 0.225)])
    # the other variants look for their own Keras file names
    with pytest.raises(ValueError, match=r"efficientnetv2-s_notop\.h5"):
        keras.applications.EfficientNetV2S(include_top=False, input_shape=SMALL)


def test_keras_argument_errors(tmp_path):
    with pytest.raises(ValueError, match="path to the weights file"):
        keras.applications.EfficientNetB1(weights=str(tmp_path / "missing.h5"))
    with pytest.raises(ValueError, match="classes` should be 1000"):
        keras.applications.EfficientNetV2B0(classes=10)
    with pytest.raises(ValueError, match=r"input_shape` should be \(300, 300, 3\)"):
        keras.applications.EfficientNetB3(input_shape=(224, 224, 3))
    with pytest.raises(ValueError, match=r"input_shape` should be \(384, 384, 3\)"):
        keras.applications.EfficientNetV2S(input_shape=(224, 224, 3))
    with pytest.raises(ValueError, match="at least 32x32"):
        keras.applications.EfficientNetV2B0(weights=None, include_top=False,
                                            input_shape=(16, 16, 3))
    with pytest.raises(ValueError, match=r"repeats in `EfficientNetV2` must be > 0"):
        keras.applications.efficientnet_v2.EfficientNetV2(
            1.0, 1.0, 224, weights=None, include_top=False, input_shape=SMALL,
            blocks_args=[dict(kernel_size=3, num_repeat=0, input_filters=8,
                              output_filters=8, expand_ratio=1, se_ratio=0, strides=1,
                              conv_type=1)])


def test_preprocess_input_is_the_identity_and_decode_checks_shape(any_framework, to_fw):
    x = to_fw(X.copy(), any_framework)
    for mod in (keras.applications.efficientnet, keras.applications.efficientnet_v2):
        assert mod.preprocess_input(x) is x
        with pytest.raises(ValueError, match=r"shape \(samples, 1000\)"):
            mod.decode_predictions(np.zeros((2, 10), "float32"))


@pytest.mark.parametrize("cid,module,fn,kw", CASES, ids=[c[0] for c in CASES])
def test_channels_first_matches_channels_last(cid, module, fn, kw, keras_dir, to_fw):
    """Under channels_first (the Normalization and batch norms on axis 1, the SE reshape
    to (filters, 1, 1), Keras' strided padding) the model with the same weights gives the
    channels_last model's outputs (checked against Keras above) on transposed images."""
    last = build(module, fn, kw, weights=str(keras_dir / f"{cid}.weights.h5"))
    keras.config.set_image_data_format("channels_first")
    try:
        first = build(module, fn, dict(kw, input_shape=(3, 32, 32)))
    finally:
        keras.config.set_image_data_format("channels_last")
    first.set_weights(last.get_weights())
    # (torch: eager and quick to run here)
    want = to_numpy(last(to_fw(X, "torch"), training=False))
    got = to_numpy(first(to_fw(X.transpose(0, 3, 1, 2), "torch"), training=False))
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4 * float(np.abs(want).max()))
