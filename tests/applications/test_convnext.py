"""keras.applications.convnext against Keras 3 itself (one Keras subprocess for the
module, tests/applications/_keras_apps.py).

ConvNeXtTiny, the smallest variant, at 32x32 with Keras' weights (its LayerScale gammas
drawn away from their 1e-6 start, so every block counts): layer names, classes, weight
paths and shapes, and the outputs on every framework. Keras' legacy ``.h5`` layout (the
ImageNet files' format, with the nested stem/downsampling Sequential models) loads
through ``weights="imagenet"`` from the Keras cache. The other variants differ only in
their configuration, compared with Keras's; ``convnext.ConvNeXt`` at small widths covers
the no-top head and stochastic depth. ``LayerScale`` and ``StochasticDepth`` go
through ``.keras`` files both ways.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

import unikeras as keras
from unikeras.xp import to_numpy

pytest.importorskip("keras")
sys.path.insert(0, str(Path(__file__).parent))
from _keras_apps import (  # noqa: E402
    case_images, check_forward, check_structure, images, keras_reference)

# (1000 classes, the ImageNet head: the same weights also load as weights="imagenet")
CASES = [("convnext_tiny", "convnext", "ConvNeXtTiny", dict(input_shape=(32, 32, 3),
                                                          classifier_activation=None))]
NOTOP = dict(include_top=False, input_shape=(32, 32, 3), pooling="max")
VARIANTS = ["ConvNeXtTiny", "ConvNeXtSmall", "ConvNeXtBase", "ConvNeXtLarge",
            "ConvNeXtXLarge"]
# the no-top head, stochastic depth in the blocks and no layer scale, at small widths
CUSTOM = dict(depths=[1, 2, 1, 1], projection_dims=[8, 8, 16, 16], drop_path_rate=0.3,
              layer_scale_init_value=None, include_top=False, pooling="avg",
              input_shape=(32, 32, 3), name="cnx")
XS = np.random.default_rng(5).normal(size=(2, 4, 4, 3)).astype("float32")

# Keras' side beyond the cases: the variants' configuration and defaults; the case's
# model (`m`, the loop's last) in the legacy .h5 layout under its ImageNet file name;
# a small model of LayerScale/StochasticDepth saved to .keras, and unikeras' one loaded
_EXTRA = r"""
import inspect
from keras.src.applications import convnext as C
from keras.src.legacy.saving import legacy_h5_format
out["configs"] = C.MODEL_CONFIGS
out["defaults"] = {f: {k: p.default for k, p in
                       inspect.signature(getattr(C, f)).parameters.items()}
                   for f in %(variants)r}
with h5py.File(d + "/convnext_tiny.h5", "w") as f:
    legacy_h5_format.save_weights_to_hdf5_group(f, m)
keras.backend.clear_session()
m = C.ConvNeXt(weights=None, **%(custom)r)
out["custom"] = {"layers": [l.name for l in m.layers if l.weights],
                 "classes": [type(l).__name__ for l in m.layers],
                 "weights": [[w.path, list(w.shape)] for w in m.weights], "name": m.name}
m.save_weights(d + "/custom.weights.h5")
x = np.load(d + "/convnext_tiny_x.npy")
np.save(d + "/custom_out.npy", keras.ops.convert_to_numpy(m(x, training=False)))
xs = np.load(d + "/xs.npy")
inp = keras.Input((4, 4, 3))
y = keras.layers.Conv2D(5, 1, name="c")(inp)
y = C.LayerScale(0.5, 5, name="ls")(y)
y = C.StochasticDepth(0.25, name="sd")(y)
k = keras.Model(inp, y)
k.get_layer("ls").set_weights([rng.uniform(0.5, 1.5, 5)])
k.save(d + "/k.keras")
np.save(d + "/k_out.npy", keras.ops.convert_to_numpy(k(xs)))
u = keras.saving.load_model(d + "/uk.keras")
out["uk_in_keras"] = [type(l).__name__ + ":" + type(l).__module__ for l in u.layers]
out["uk_sd_rate"] = u.get_layer("sd").drop_path_rate
np.save(d + "/uk_in_keras.npy", keras.ops.convert_to_numpy(u(xs)))
""" % {"variants": VARIANTS, "custom": CUSTOM}


def _unikeras_file(d):
    """unikeras' small LayerScale/StochasticDepth model, for Keras to load."""
    from unikeras.applications.convnext import LayerScale, StochasticDepth

    np.save(d / "xs.npy", XS)
    inp = keras.Input((4, 4, 3))
    c = keras.layers.Conv2D(5, 1, name="c")(inp)
    y = LayerScale(0.5, 5, name="ls")(c)
    y = StochasticDepth(0.25, name="sd")(y)
    # the ConvNeXt block's residual `inputs + x` (and a scalar product): op nodes, which
    # unikeras writes as Keras' Operations (keras.src.ops.numpy Add, Multiply)
    u = keras.Model(inp, (c + y) * 0.5)
    u.get_layer("ls").set_weights([np.linspace(0.5, 1.5, 5)])
    u.save(d / "uk.keras")
    np.save(d / "uk_out.npy", to_numpy(u(XS)))


@pytest.fixture(scope="module")
def keras_dir(tmp_path_factory):
    return keras_reference(tmp_path_factory, CASES, extra=_EXTRA, before=_unikeras_file)


@pytest.mark.parametrize("cid,module,fn,kw", CASES, ids=[c[0] for c in CASES])
def test_matches_keras(cid, module, fn, kw, keras_dir, any_framework, to_fw):
    check_forward(cid, module, fn, kw, keras_dir, any_framework, to_fw)


def test_imagenet_file_from_the_keras_cache(keras_dir, tmp_path, monkeypatch):
    """Keras' legacy .h5 layout by its ImageNet file name (``convnext_tiny.h5``), nested
    Sequential models included, is what weights="imagenet" loads."""
    from unikeras.xp import set_default_framework

    set_default_framework("numpy")  # (NumPy inputs would run on eager jax otherwise)
    cid, _, _, kw = CASES[0]
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    with pytest.raises(ValueError, match=r"cannot download.*convnext_tiny_notop\.h5"):
        keras.applications.ConvNeXtTiny(**NOTOP)
    (tmp_path / "models").mkdir()
    shutil.copy(keras_dir / "convnext_tiny.h5", tmp_path / "models")
    # (include_top=True with ImageNet weights takes input_shape 224x224 only: the case's
    # 32x32 comes as an input tensor, as Keras allows)
    m = keras.applications.convnext.ConvNeXtTiny(
        weights="imagenet", input_tensor=keras.Input(kw["input_shape"]),
        classifier_activation=kw["classifier_activation"])
    out = to_numpy(m(case_images(kw), training=False))
    ref = np.load(keras_dir / f"{cid}_out.npy")
    np.testing.assert_allclose(out, ref, rtol=1e-3, atol=1e-4 * float(np.abs(ref).max()))


def test_convnext_without_top_with_stochastic_depth(keras_dir):
    """``convnext.ConvNeXt`` at small widths: the no-top head (pooling, unnamed
    LayerNorm), StochasticDepth blocks (the identity outside training), no LayerScale."""
    from unikeras.xp import set_default_framework

    set_default_framework("numpy")
    facts = json.loads((keras_dir / "facts.json").read_text())
    keras.utils.clear_session(free_memory=False)
    m = keras.applications.convnext.ConvNeXt(
        weights=str(keras_dir / "custom.weights.h5"), **CUSTOM)
    check_structure(m, facts["custom"])
    out = to_numpy(m(np.load(keras_dir / "convnext_tiny_x.npy"), training=False))
    np.testing.assert_allclose(out, np.load(keras_dir / "custom_out.npy"), rtol=1e-4,
                               atol=1e-4)


def test_variants_are_keras_configs(keras_dir):
    from unikeras.applications import convnext

    facts = json.loads((keras_dir / "facts.json").read_text())
    assert convnext.MODEL_CONFIGS == facts["configs"]
    import inspect

    for f in VARIANTS:
        assert getattr(keras.applications, f) is getattr(convnext, f)
        params = inspect.signature(getattr(convnext, f)).parameters
        assert {k: p.default for k, p in params.items()} == facts["defaults"][f]


def test_custom_layers_round_trip_keras_files(keras_dir, any_framework, to_fw):
    """LayerScale/StochasticDepth: a Keras .keras file loads into unikeras' classes, and
    Keras loads unikeras' file into its own (module keras.src.applications.convnext),
    the residual's op nodes included; unikeras reads its own file back."""
    from unikeras.applications.convnext import LayerScale, StochasticDepth

    facts = json.loads((keras_dir / "facts.json").read_text())
    assert facts["uk_in_keras"][1:] == [
        "Conv2D:keras.src.layers.convolutional.conv2d",
        "LayerScale:keras.src.applications.convnext",
        "StochasticDepth:keras.src.applications.convnext"]
    assert facts["uk_sd_rate"] == 0.25
    np.testing.assert_allclose(np.load(keras_dir / "uk_in_keras.npy"),
                               np.load(keras_dir / "uk_out.npy"), rtol=1e-5, atol=1e-6)
    back = keras.saving.load_model(str(keras_dir / "uk.keras"))
    np.testing.assert_allclose(to_numpy(back(to_fw(XS, any_framework))),
                               np.load(keras_dir / "uk_out.npy"), rtol=1e-5, atol=1e-6)
    k = keras.saving.load_model(str(keras_dir / "k.keras"))
    assert type(k.get_layer("ls")) is LayerScale
    assert type(k.get_layer("sd")) is StochasticDepth
    assert k.get_layer("sd").drop_path_rate == 0.25
    out = to_numpy(k(to_fw(XS, any_framework)))
    np.testing.assert_allclose(out, np.load(keras_dir / "k_out.npy"), rtol=1e-5, atol=1e-6)


def test_a_user_layer_named_layerscale_keeps_its_name(tmp_path):
    """ConvNeXt's classes are registered under Keras' module, not under the bare name:
    a user's own LayerScale saves and loads as the user's."""
    import unikeras.applications.convnext  # noqa: F401  (registers Keras' LayerScale)

    @keras.saving.register_keras_serializable(package="mine")
    class LayerScale(keras.layers.Layer):
        def call(self, x):
            return 2 * x

    inp = keras.Input((3,))
    keras.Model(inp, LayerScale(name="mine")(inp)).save(tmp_path / "m.keras")
    back = keras.saving.load_model(tmp_path / "m.keras")
    assert type(back.get_layer("mine")) is LayerScale


def test_stochastic_depth_drops_whole_samples(any_framework, to_fw):
    """In training each sample's branch is dropped or kept whole (kept ones scaled by
    1 / keep_prob); outside training it is the identity."""
    from unikeras.applications.convnext import StochasticDepth

    layer = StochasticDepth(0.5)
    x = np.ones((64, 2, 3), "float32")
    out = to_numpy(layer(to_fw(x, any_framework), training=True))
    per_sample = out.reshape(64, -1)
    assert set(np.unique(per_sample)) <= {0.0, 2.0}
    assert (per_sample == per_sample[:, :1]).all()
    assert 10 < (per_sample[:, 0] == 0).sum() < 54
    np.testing.assert_array_equal(to_numpy(layer(to_fw(x, any_framework))), x)


def test_keras_argument_errors(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    with pytest.raises(ValueError, match="classes` should be 1000"):
        keras.applications.ConvNeXtTiny(classes=10)
    with pytest.raises(ValueError, match="path to the weights file"):
        keras.applications.ConvNeXtTiny(weights=str(tmp_path / "none.weights.h5"))
    with pytest.raises(ValueError, match='Model name "tiny" does not match weights variant'):
        keras.applications.ConvNeXtTiny(name="tiny", **NOTOP)
    with pytest.raises(ValueError, match="Architecture configuration does not match"):
        keras.applications.convnext.ConvNeXt([1, 1, 1, 1], [8, 8, 8, 8], weights="imagenet",
                                             weights_name="convnext_tiny", **NOTOP)
    keras.config.set_image_data_format("channels_first")
    try:
        with pytest.raises(ValueError, match="does not support the `channels_first`"):
            keras.applications.ConvNeXtTiny(weights=None)
    finally:
        keras.config.set_image_data_format("channels_last")


def test_preprocess_input_is_the_identity(to_fw, framework):
    x = images()
    assert keras.applications.convnext.preprocess_input(x) is x
    t = to_fw(x, framework)
    assert keras.applications.convnext.preprocess_input(t) is t
