"""Keras 3.15's color, intensity and mixing image layers (layers/preprocessing/image/
color.py and mix.py) on every framework.

* Deterministic layers, and random ones whose factor range is a single point, match
  Keras 3 itself (run in a subprocess, ``property_tests/keras_oracle.py``).
* Random layers: Keras' ``transform_images``/``transform_labels`` given one
  transformation (drawn here once, passed to both) match; the drawn transformations
  have the distribution the arguments say; a seed reproduces a run; ``training=False``
  is the identity.
* Configs equal Keras' (the layer's own keys), round-trip, and survive a .keras file.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

import unikeras as keras
from unikeras import layers
from unikeras.xp import asarray, framework_of, set_default_framework, to_numpy

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "property_tests"))
from keras_oracle import keras_reference  # noqa: E402

RS = np.random.RandomState(0)
X255 = RS.uniform(0, 255, (2, 9, 10, 3)).astype("float32")
XINT = np.floor(X255)
X01 = (X255 / 255).astype("float32")
XU8 = XINT.astype("uint8")


def _cf(x):
    return np.ascontiguousarray(np.moveaxis(x, -1, -3))


def _on(x, fw):
    if fw == "numpy":
        set_default_framework("numpy")
    return asarray(x, framework=fw) if isinstance(x, np.ndarray) else x


def _tree_on(v, fw):
    """NumPy arrays, also inside dicts and lists, as ``fw``'s arrays."""
    if isinstance(v, dict):
        return {k: _tree_on(u, fw) for k, u in v.items()}
    if isinstance(v, (list, tuple)):
        return type(v)(_tree_on(u, fw) for u in v)
    return _on(v, fw)


def _np(v):
    """Arrays, also inside dicts and lists, as NumPy (Python values unchanged)."""
    if isinstance(v, dict):
        return {k: _np(u) for k, u in v.items()}
    if isinstance(v, (list, tuple)):
        return type(v)(_np(u) for u in v)
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    return to_numpy(v)


# ------------------------------------------------------------------ Keras parity
DETERMINISTIC = [
    ("AutoContrast", {}, X255 * 0.5 + 20),
    ("AutoContrast", {"value_range": (0, 1)}, X01[0] * 0.5),  # a single image
    ("Equalization", {}, XU8),  # integer images: float output, as Keras
    ("Equalization", {"bins": 64, "value_range": [0, 1]}, X01),
    ("Equalization", {"data_format": "channels_first"}, _cf(X255)),
    ("ContrastLimitedAdaptiveHistogramEqualization", {"tile_grid_size": (2, 3)}, XU8),
    ("ContrastLimitedAdaptiveHistogramEqualization",
     {"tile_grid_size": (4, 4), "clip_limit": 2.0}, X255),
    ("ContrastLimitedAdaptiveHistogramEqualization",
     {"tile_grid_size": (3, 2), "clip_limit": 0.0, "value_range": (0, 1),
      "data_format": "channels_first"}, _cf(X01)),
    ("Solarization", {"value_range": (0, 1)}, X01),
    ("RandomPosterization", {"factor": (3, 3)}, X255),
    ("RandomSharpness", {"factor": (0.9, 0.9), "data_format": "channels_first"}, _cf(X255)),
    ("RandomBrightness", {"factor": (-0.3, -0.3), "value_range": (0, 1)}, X01),
    ("RandomColorDegeneration", {"factor": (0.4, 0.4)}, X255),
    ("RandomSaturation", {"factor": (0.25, 0.25)}, X255),
    ("RandomSaturation", {"factor": (0.7, 0.7), "data_format": "channels_first"}, _cf(X255)),
    ("RandomGaussianBlur", {"factor": (1.0, 1.0), "sigma": (0.6, 0.6), "kernel_size": (3, 5)},
     X255),
    ("RandomGrayscale", {"factor": 1.0}, X255),
    ("RandomColorJitter", {"brightness_factor": (0.1, 0.1), "contrast_factor": (0.0, 0.0),
                           "saturation_factor": (0.3, 0.3), "hue_factor": (0.0, 0.0)}, X255),
]


def _ids(cases):
    return [f"{c[0]}-{i}" for i, c in enumerate(cases)]


@pytest.mark.parametrize("cls,config,x", DETERMINISTIC, ids=_ids(DETERMINISTIC))
def test_deterministic_layers_match_keras(any_framework, cls, config, x):
    config = dict(config, dtype="float32")
    want = keras_reference(("layer", cls, config, [], x, {"training": True}))
    layer = getattr(layers, cls)(**config)
    got = layer(_on(x, any_framework), training=True)
    assert framework_of(got) == any_framework
    got = to_numpy(got)
    assert got.shape == want.shape and got.dtype == want.dtype
    # float32 rounding on 0..255 values (the frameworks' reductions sum in other orders)
    np.testing.assert_allclose(got.astype("float64"), want, rtol=0, atol=1e-4 * (
        255 if want.max() > 1.5 else 1))


def _given(batch=2):
    """Transformations to pass to Keras' and unikeras' ``transform_images``."""
    rs = np.random.RandomState(1)
    b, h, w = batch, 9, 10
    masks = np.zeros((b, h, w, 3), bool)
    masks[0, 2:6, 3:8] = True
    masks[1, 0:4, 0:2] = True
    return {
        "RandomContrast": {"contrast_factor": np.array([0.4, 1.7], "float32").reshape(2, 1, 1, 1)},
        "RandomInvert": {"apply_inversion": np.array([True, False])},
        "RandomErasing": {"apply_erasing": np.array([True, True]), "batch_masks": masks,
                          "fill_value": rs.uniform(0, 255, (b, h, w, 3)).astype("float32")},
        "MixUp": {"mix_weight": np.array([0.3, 0.8], "float32"),
                  "permutation_order": np.array([1, 0])},
        "CutMix": {"permutation_order": np.array([1, 0]), "batch_masks": masks,
                   "mix_weight": np.array([0.7, 0.9], "float32")},
        "RandomPosterization": {"shift_factor": np.array([5, 2], "uint8")},
        "RandomSharpness": {"factor": np.array([0.1, 0.9], "float32")},
        "RandomBrightness": {"rgb_delta": np.array([-30.0, 50.0], "float32").reshape(2, 1, 1, 1)},
        "RandomHue": {"factor": np.array([0.2, -0.35], "float32")},
        "RandomSaturation": {"factor": np.array([0.3, 2.5], "float32")},
        "RandomColorDegeneration": {"factor": np.array([0.3, -0.4], "float32").reshape(2, 1, 1, 1)},
        "RandomGaussianBlur": {"should_apply_blur": np.array([True, False]),
                               "blur_factor": np.array([0.8, 1.5], "float32")},
        "RandomGrayscale": np.array([False, True]).reshape(2, 1, 1, 1),
        "Solarization": {"additions": np.array([10.0, 0.0], "float32").reshape(2, 1, 1, 1),
                         "thresholds": np.array([100.0, 200.0], "float32").reshape(2, 1, 1, 1)},
    }


GIVEN = [
    ("RandomContrast", {"factor": 0.5}, "transform_images", X255),
    ("RandomInvert", {}, "transform_images", X255),
    ("RandomErasing", {}, "transform_images", X255),
    ("MixUp", {}, "transform_images", X255),
    ("MixUp", {}, "transform_labels", np.eye(2, dtype="float32")),
    ("CutMix", {}, "transform_images", X255),
    ("CutMix", {}, "transform_labels", np.eye(2, dtype="float32")[::-1].copy()),
    ("RandomPosterization", {"factor": (1, 8)}, "transform_images", X255),
    ("RandomSharpness", {"factor": 0.5}, "transform_images", X255),
    ("RandomBrightness", {"factor": 0.5}, "transform_images", X255),
    ("Solarization", {"addition_factor": 0.5, "threshold_factor": 0.5}, "transform_images",
     X255),
    ("RandomHue", {"factor": 0.5}, "transform_images", X255),
    ("RandomSaturation", {"factor": 0.5}, "transform_images", X255),
    ("RandomColorDegeneration", {"factor": 0.5}, "transform_images", X255),
    ("RandomGaussianBlur", {"kernel_size": 5}, "transform_images", X255),
    ("RandomGrayscale", {}, "transform_images", X255),
]


@pytest.mark.parametrize("cls,config,method,x", GIVEN, ids=[f"{c[0]}-{c[2]}" for c in GIVEN])
def test_given_transformation_matches_keras(any_framework, cls, config, method, x):
    config = dict(config, dtype="float32")
    t = _given()[cls]
    want = keras_reference(("layer_method", cls, config, method, (x, t), {}))
    layer = getattr(layers, cls)(**config)
    got = getattr(layer, method)(_on(x, any_framework), _tree_on(t, any_framework))
    assert framework_of(got) == any_framework
    np.testing.assert_allclose(to_numpy(got).astype("float64"), want, rtol=1e-6, atol=1e-4)


CONFIGS = [
    ("AutoContrast", {"value_range": (0, 1)}),
    ("Equalization", {"value_range": (0, 1), "bins": 32}),
    ("ContrastLimitedAdaptiveHistogramEqualization", {"clip_limit": 2.0,
                                                       "tile_grid_size": (4, 2)}),
    ("Solarization", {"addition_factor": (0.1, 0.2), "threshold_factor": 0.3, "seed": 3}),
    ("RandomBrightness", {"factor": 0.3, "value_range": (1, 0), "seed": 1}),
    ("RandomContrast", {"factor": (0.2, 0.4), "seed": 1}),
    ("RandomColorDegeneration", {"factor": 0.3, "seed": 1}),
    ("RandomColorJitter", {"brightness_factor": 0.2, "hue_factor": 0.1, "seed": 2}),
    ("RandomHue", {"factor": 0.4, "value_range": (0, 1)}),
    ("RandomSaturation", {"factor": (0.2, 0.8)}),
    ("RandomGrayscale", {"factor": 0.3, "seed": 4}),
    ("RandomInvert", {"factor": 0.4}),
    ("RandomPosterization", {"factor": 5}),
    ("RandomSharpness", {"factor": (0.1, 0.9)}),
    ("RandomGaussianBlur", {"kernel_size": (3, 5), "sigma": (0.2, 0.5)}),
    ("RandomErasing", {"scale": (0.1, 0.2), "fill_value": 4.0}),
    ("MixUp", {"alpha": 0.4, "seed": 9}),
    ("CutMix", {"factor": (0.2, 0.7), "seed": 9}),
]


@pytest.mark.parametrize("cls,config", CONFIGS, ids=[c[0] for c in CONFIGS])
def test_config_matches_keras_and_round_trips(cls, config):
    layer = getattr(layers, cls)(**config)
    ours = layer.get_config()
    theirs = keras_reference(("layer_method", cls, config, "get_config", (), {}))
    for key in set(theirs) - {"name", "dtype", "trainable"}:
        a, b = ours[key], theirs[key]
        if isinstance(b, (list, tuple)):
            a, b = list(a), list(b)
        assert a == b, (key, a, b)
    back = layers.deserialize(layers.serialize(layer))
    assert type(back) is type(layer) and back.get_config() == ours


# ------------------------------------------------------------------ random layers
def _draw(layer, fw, shape=(4000, 1, 1, 3), x=None):
    images = _on(np.zeros(shape, "float32") if x is None else x, fw)
    return _np(layer.get_random_transformation(images, training=True))


def test_brightness_contrast_solarization_draws(any_framework):
    fw = any_framework
    d = _draw(layers.RandomBrightness((-0.2, 0.4), value_range=(0, 2), seed=1), fw)["rgb_delta"]
    assert d.shape == (4000, 1, 1, 1) and d.min() >= -0.4 and d.max() <= 0.8
    assert abs(d.mean() - 0.2) < 0.02 and abs(d.std() - 1.2 / np.sqrt(12)) < 0.02
    c = _draw(layers.RandomContrast((0.3, 0.5), seed=1), fw)["contrast_factor"]
    assert c.min() >= 0.7 and c.max() <= 1.5 and abs(c.mean() - 1.1) < 0.02
    # Keras 3.15: a number f is the range (0, f), i.e. factors in [1, 1 + f]
    c = _draw(layers.RandomContrast(0.5, seed=1), fw)["contrast_factor"]
    assert c.min() >= 1.0 and abs(c.mean() - 1.25) < 0.02
    s = _draw(layers.Solarization(addition_factor=(0.0, 0.2), threshold_factor=(0, 0.5),
                                  seed=1), fw)
    assert s["additions"].max() <= 0.2 * 255 and abs(s["additions"].mean() - 25.5) < 1.0
    assert abs(s["thresholds"].mean() - 0.25 * 255) < 2.0


def test_probability_draws(any_framework):
    fw = any_framework
    inv = _draw(layers.RandomInvert(factor=(0.2, 0.6), seed=1), fw)["apply_inversion"]
    assert inv.dtype == bool and abs(inv.mean() - 0.4) < 0.03
    blur = _draw(layers.RandomGaussianBlur(factor=0.5, sigma=(0.3, 0.6), seed=1), fw)
    assert abs(blur["should_apply_blur"].mean() - 0.25) < 0.03
    assert blur["blur_factor"].shape == (2,)
    assert ((blur["blur_factor"] >= 0.3) & (blur["blur_factor"] <= 0.6 + 1e-5)).all()
    gray = _draw(layers.RandomGrayscale(factor=0.3, seed=1), fw)
    assert gray.shape == (4000, 1, 1, 1) and abs(gray.mean() - 0.3) < 0.03


def test_factor_draws(any_framework):
    fw = any_framework
    p = _draw(layers.RandomPosterization((2, 6), seed=1), fw)["shift_factor"]
    assert sorted(np.unique(p)) == [3, 4, 5, 6]  # bits in [2, 6): shifts 8 - bits
    sh = _draw(layers.RandomSharpness((0.2, 0.4), seed=1), fw)["factor"]
    assert sh.min() >= 0.2 and sh.max() <= 0.4 and abs(sh.mean() - 0.3) < 0.01
    dg = _draw(layers.RandomColorDegeneration(0.5, seed=1), fw)["factor"]
    assert dg.shape == (4000, 1, 1, 1) and dg.min() >= -0.5 and abs(dg.mean()) < 0.02
    hue = _draw(layers.RandomHue((0.2, 0.6), seed=1), fw)["factor"]
    assert (np.abs(hue) >= 0.1 - 1e-6).all() and (np.abs(hue) <= 0.3 + 1e-6).all()
    assert abs((hue > 0).mean() - 0.5) < 0.03
    sat = _draw(layers.RandomSaturation((0.25, 0.75), seed=1), fw)["factor"]
    f = sat / (1 + sat)  # factor = f / (1 - f)
    assert f.min() >= 0.25 - 1e-4 and f.max() <= 0.75 + 1e-4 and abs(f.mean() - 0.5) < 0.01


def test_mixup_draws_beta_weights_and_a_permutation(any_framework):
    # batches of 2000 in both MixUp and CutMix tests: jax compiles its gamma sampler
    # once per shape
    t = _draw(layers.MixUp(alpha=0.4, seed=1), any_framework, shape=(2000, 1, 1, 1))
    w = t["mix_weight"]
    assert abs(w.mean() - 0.5) < 0.03 and abs(w.var() - 0.25 / 1.8) < 0.015  # Beta(0.4, 0.4)
    assert sorted(t["permutation_order"].tolist()) == list(range(2000))


def test_cutmix_box_and_label_weight_agree(any_framework):
    x = np.zeros((2000, 20, 30, 2), "float32")
    t = _draw(layers.CutMix(factor=1.0, seed=1), any_framework, x=x)
    m = t["batch_masks"]
    assert m.shape == x.shape and (m[..., 0] == m[..., 1]).all()
    # the label weight is 1 - box area / image area; the mask covers that box on the
    # pixel grid (within one pixel row and column)
    covered = m[..., 0].mean(axis=(1, 2))
    assert np.abs(covered - (1 - t["mix_weight"])).max() <= (20 + 30 + 1) / 600
    assert sorted(t["permutation_order"].tolist()) == list(range(2000))
    assert 0.3 < t["mix_weight"].mean() < 0.7


def test_random_erasing_box_sizes(any_framework):
    x = np.zeros((500, 40, 40, 3), "float32")
    t = _draw(layers.RandomErasing(factor=1.0, scale=(0.04, 0.25), fill_value=7.0, seed=1),
              any_framework, x=x)
    area = t["batch_masks"][..., 0].mean(axis=(1, 2))
    # each side is sqrt(u) of the image's side, u ~ uniform(0.04, 0.25): area in
    # [0.04, 0.25] up to the pixel grid
    assert area.min() >= 0.03 and area.max() <= 0.26
    assert abs(t["apply_erasing"].mean() - 0.5) < 0.06  # probability ~ uniform(0, 1)
    assert (t["fill_value"] == 7.0).all()


RANDOM = [
    ("RandomBrightness", {"factor": 0.3}),
    ("RandomContrast", {"factor": 0.5}),
    ("Solarization", {"addition_factor": 0.3, "threshold_factor": 0.6}),
    ("RandomInvert", {"factor": 0.8}),
    ("RandomPosterization", {"factor": (2, 7)}),
    ("RandomSharpness", {"factor": 0.9}),
    ("RandomErasing", {}),
    ("MixUp", {}),
    ("CutMix", {}),
]


@pytest.mark.parametrize("cls,config", RANDOM, ids=[c[0] for c in RANDOM])
def test_seed_reproduces_and_training_false_is_identity(any_framework, cls, config):
    x16 = np.concatenate([X255] * 8)
    x = _on(x16, any_framework)
    a = getattr(layers, cls)(seed=5, **config)
    b = getattr(layers, cls)(seed=5, **config)
    ya1, ya2, yb1 = (to_numpy(a(x, training=True)), to_numpy(a(x, training=True)),
                     to_numpy(b(x, training=True)))
    np.testing.assert_array_equal(ya1, yb1)
    assert not np.array_equal(ya1, ya2)  # the generator advanced
    y = a(x, training=False)
    assert framework_of(y) == any_framework
    np.testing.assert_array_equal(to_numpy(y), x16)


def test_dict_inputs_mix_labels_and_pass_boxes(any_framework):
    fw = any_framework
    x = np.concatenate([X255] * 8)  # 16 images, the batch of the seed test
    labels = np.eye(16, dtype="float32")
    out = layers.MixUp(seed=2)({"images": _on(x, fw), "labels": _on(labels, fw)},
                               training=True)
    assert framework_of(out["labels"]) == fw and framework_of(out["images"]) == fw
    lab, img = to_numpy(out["labels"]), to_numpy(out["images"])
    np.testing.assert_allclose(lab.sum(1), 1.0, rtol=1e-5)
    # row i of the labels is w_i at i and 1 - w_i at its partner j; the image is
    # w_i x_i + (1 - w_i) x_j with the same weight
    for i in range(16):
        w = lab[i, i]
        others = np.delete(np.arange(16), i)
        j = others[np.argmax(lab[i, others])] if w < 1 - 1e-6 else i
        np.testing.assert_allclose(img[i], w * x[i] + (1 - w) * x[j], rtol=1e-4, atol=1e-3)
    boxes = {"boxes": np.array([[[1, 1, 4, 4]], [[2, 2, 6, 8]]], "float32"),
             "labels": np.array([[0], [1]], "int32")}
    out = layers.RandomBrightness(0.2, bounding_box_format="xyxy", seed=1)(
        {"images": _on(X255, fw), "bounding_boxes": _tree_on(boxes, fw)}, training=True)
    np.testing.assert_array_equal(to_numpy(out["bounding_boxes"]["boxes"]), boxes["boxes"])
    with pytest.raises(ValueError, match="CutMix.*bounding boxes"):
        layers.CutMix(bounding_box_format="xyxy", seed=1)(
            {"images": _on(X255, fw), "bounding_boxes": _tree_on(boxes, fw)}, training=True)


def test_mixup_keeps_the_boxes_of_both_images(any_framework):
    fw = any_framework
    x = np.concatenate([X255] * 8)
    boxes = {"boxes": np.arange(16 * 4, dtype="float32").reshape(16, 1, 4),
             "labels": np.arange(16, dtype="int32").reshape(16, 1)}
    layer = layers.MixUp(bounding_box_format="xyxy", seed=1)
    t = layer.get_random_transformation(_on(x, fw), training=True)
    out = layer.transform_bounding_boxes(_tree_on(boxes, fw), t)
    perm = to_numpy(t["permutation_order"])
    np.testing.assert_array_equal(to_numpy(out["boxes"]),
                                  np.concatenate([boxes["boxes"], boxes["boxes"][perm]], 1))
    np.testing.assert_array_equal(to_numpy(out["labels"]),
                                  np.concatenate([boxes["labels"], boxes["labels"][perm]], 1))


def test_autocontrast_channels_first_is_per_channel(any_framework):
    # Keras reduces axes (1, 2) in both formats; here each channel's own H and W
    x = X255 * 0.5 + 10
    want = to_numpy(layers.AutoContrast()(_on(x, any_framework)))
    got = to_numpy(layers.AutoContrast(data_format="channels_first")(_on(_cf(x), any_framework)))
    np.testing.assert_allclose(got, _cf(want), rtol=1e-6)
    np.testing.assert_allclose(got.min(axis=(2, 3)), 0, atol=1e-4)
    np.testing.assert_allclose(got.max(axis=(2, 3)), 255, rtol=1e-6)


def test_errors_name_the_argument():
    with pytest.raises(ValueError, match="value_range.*Received: value_range=5"):
        layers.AutoContrast(value_range=5)
    with pytest.raises(ValueError, match=r"factor.*\[0, 1\].*Received: factor=2"):
        layers.RandomContrast(2)
    with pytest.raises(ValueError, match="addition_factor.*Received: input_number=1.5"):
        layers.Solarization(addition_factor=1.5)
    with pytest.raises(ValueError, match=r"\[1, 8\]"):
        layers.RandomPosterization(9)
    with pytest.raises(ValueError, match="kernel_size must be an odd number"):
        layers.RandomGaussianBlur(kernel_size=4)
    with pytest.raises(ValueError, match="fill_value"):
        layers.RandomErasing(fill_value=(1, 2))
    with pytest.raises(ValueError, match="rank 3 or 4"):
        layers.RandomBrightness(0.1)(np.zeros((2, 2), "float32"))


def test_keras_file_round_trip(tmp_path):
    set_default_framework("numpy")
    model = keras.Sequential([
        layers.Input((9, 10, 3)),
        layers.RandomBrightness(0.2, seed=1),
        layers.Equalization(),
        layers.AutoContrast(),
        layers.Solarization(threshold_factor=0.5, seed=2),
        layers.MixUp(seed=3),
    ])
    want = to_numpy(model(X255, training=False))
    path = tmp_path / "color.keras"
    model.save(path)
    back = keras.saving.load_model(path)
    assert [type(a).__name__ for a in back.layers] == [type(a).__name__ for a in model.layers]
    for a, b in zip(model.layers, back.layers):
        assert a.get_config() == b.get_config()
    np.testing.assert_allclose(to_numpy(back(X255, training=False)), want)
    # inference: the random layers are the identity, Equalization too (Keras), the
    # AutoContrast stretch stays
    np.testing.assert_allclose(want, to_numpy(layers.AutoContrast()(X255)), rtol=1e-6)


def test_layers_run_on_array_api_strict():
    import array_api_strict as xps

    x = xps.asarray(X255)
    for cls, cfg in [("AutoContrast", {}), ("Equalization", {}),
                     ("ContrastLimitedAdaptiveHistogramEqualization", {"tile_grid_size": (2, 2)}),
                     ("Solarization", {}), ("RandomPosterization", {"factor": (3, 3)}),
                     ("RandomSharpness", {"factor": (0.2, 0.2)})]:
        got = np.asarray(getattr(layers, cls)(**cfg)(x, training=True)._array)
        set_default_framework("numpy")
        want = to_numpy(getattr(layers, cls)(**cfg)(X255, training=True))
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-4, err_msg=cls)
    for cls, cfg in [("RandomBrightness", {"factor": 0.2}), ("RandomContrast", {"factor": 0.2}),
                     ("RandomInvert", {}), ("RandomErasing", {}), ("MixUp", {}),
                     ("CutMix", {})]:
        out = getattr(layers, cls)(seed=1, **cfg)(x, training=True)
        assert type(out) is type(x) and tuple(out.shape) == X255.shape


# ------------------------------------------------------------------ RandAugment, AugMix
def _randaugment_transformation(layer, x, idx):
    """All eleven operations' transformations (drawn on NumPy) and the given steps."""
    set_default_framework("numpy")
    t = {name: _np(getattr(layer, name).get_random_transformation(
        x, training=True, seed=layer.generator)) for name in layer._AUGMENT_LAYERS}
    return {"transforms": t, "layer_idxes": np.asarray(idx, "int32")}


@pytest.mark.parametrize("idx", [[3, 9, 0], [6, 10, 2], [5, 7, 8]])
def test_randaugment_given_transformation_matches_keras(any_framework, idx):
    config = {"value_range": (0, 255), "num_ops": 3, "factor": 0.5, "seed": 1,
              "dtype": "float32"}
    layer = layers.RandAugment(**config)
    t = _randaugment_transformation(layer, X255, idx)
    want = keras_reference(("layer_method", "RandAugment", config, "transform_images",
                            (X255, t), {}))
    got = to_numpy(layer.transform_images(_on(X255, any_framework), _tree_on(t, any_framework)))
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=2e-3)


def test_randaugment_traced_path_equals_the_eager_one(monkeypatch, any_framework):
    from unikeras.layers.preprocessing.image import augment

    layer = layers.RandAugment(seed=1)
    t = _tree_on(_randaugment_transformation(layer, X255, [4, 1]), any_framework)
    eager = to_numpy(layer.transform_images(_on(X255, any_framework), t))
    monkeypatch.setattr(augment, "_concrete", lambda x: None)  # as inside jax.jit
    traced = to_numpy(layer.transform_images(_on(X255, any_framework), t))
    np.testing.assert_allclose(traced, eager, rtol=1e-6, atol=1e-4)


def test_augmix_given_transformation_matches_keras(any_framework):
    config = {"value_range": (0, 255), "num_chains": 3, "chain_depth": 2, "factor": 0.3,
              "seed": 1, "dtype": "float32"}
    layer = layers.AugMix(**config)
    set_default_framework("numpy")
    t = _np(layer.get_random_transformation(X255, training=True))
    # a fixed set of chains over colour and geometry, each step drawn by our sublayer
    names = [["random_rotation", "equalization"], ["solarization"],
             ["random_contrast", "random_shear"]]
    t["chain_transforms"] = [[{"layer_name": n, "transformation": _np(
        getattr(layer, n).get_random_transformation(X255, training=True))} for n in chain]
        for chain in names]
    want = keras_reference(("layer_method", "AugMix", config, "transform_images", (X255, t), {}))
    got = to_numpy(layer.transform_images(_on(X255, any_framework), _tree_on(t, any_framework)))
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=2e-3)


def test_augmix_draws(any_framework):
    layer = layers.AugMix(num_chains=4, chain_depth=3, alpha=0.5, all_ops=False, seed=3)
    allowed = {"random_shear", "random_translation", "random_rotation",
               "random_posterization", "solarization", "auto_contrast", "equalization"}
    lengths, samples = [], []
    for _ in range(30):
        t = layer.get_random_transformation(_on(X255, any_framework), training=True)
        w = to_numpy(t["chain_mixing_weights"])
        assert w.shape == (4,) and (w >= 0).all() and abs(w.sum() - 1) < 1e-5
        samples.append(float(to_numpy(t["weight_sample"])))
        for chain in t["chain_transforms"]:
            lengths.append(len(chain))
            assert {s["layer_name"] for s in chain} <= allowed
    # each step is one of 7 operations or none (1/8): chains of 0..3 steps
    assert set(lengths) <= {0, 1, 2, 3} and 2.2 < np.mean(lengths) < 2.9
    assert all(0 <= s <= 1 for s in samples)


@pytest.mark.parametrize("cls", ["RandAugment", "AugMix"])
def test_policies_seed_training_false_and_config(any_framework, cls):
    x = _on(X255, any_framework)
    a, b = getattr(layers, cls)(seed=7), getattr(layers, cls)(seed=7)
    np.testing.assert_allclose(to_numpy(a(x, training=True)), to_numpy(b(x, training=True)),
                               rtol=1e-6)
    np.testing.assert_array_equal(to_numpy(a(x, training=False)), X255)
    config = {"value_range": (0, 1), "factor": 0.4, "seed": 2,
              "interpolation": "nearest"}
    layer = getattr(layers, cls)(**config)
    theirs = keras_reference(("layer_method", cls, config, "get_config", (), {}))
    ours = layer.get_config()
    for key in set(theirs) - {"name", "dtype", "trainable"}:
        assert (list(ours[key]) if isinstance(ours[key], tuple) else ours[key]) == (
            list(theirs[key]) if isinstance(theirs[key], (list, tuple)) else theirs[key]), key
    back = layers.deserialize(layers.serialize(layer))
    assert back.get_config() == ours


def test_layers_in_tf_data():
    """Inside ``tf.data.Dataset.map`` (batch size unknown until run time) every layer
    runs in TensorFlow; the deterministic ones give their eager outputs. (About 30 s:
    each map traces a graph, RandAugment's and AugMix's with all their sublayers.)"""
    tf = pytest.importorskip("tensorflow")
    x = np.concatenate([XINT] * 2)
    ds = tf.data.Dataset.from_tensor_slices(x).batch(2)
    for layer in [layers.AutoContrast(), layers.Equalization(),
                  layers.ContrastLimitedAdaptiveHistogramEqualization(tile_grid_size=(2, 2))]:
        got = np.concatenate([b.numpy() for b in ds.map(lambda b: layer(b, training=True))])
        want = np.concatenate([to_numpy(layer(_on(x[i:i + 2], "tensorflow"), training=True))
                               for i in (0, 2)])
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-3)
    for layer in [layers.RandomHue(0.3, seed=1), layers.RandomColorJitter(
            brightness_factor=0.2, saturation_factor=0.3, seed=1), layers.CutMix(seed=1),
            layers.RandomErasing(seed=1), layers.RandAugment(seed=1), layers.AugMix(seed=1)]:
        out = [b.numpy() for b in ds.map(lambda b: layer(b, training=True))]
        assert [o.shape for o in out] == [(2, 9, 10, 3)] * 2 and np.isfinite(out).all()
    labels = np.eye(4, dtype="float32")
    mixup = layers.MixUp(seed=1)
    mixed = tf.data.Dataset.from_tensor_slices({"images": x, "labels": labels}).batch(4).map(
        lambda d: mixup(d, training=True))
    (batch,) = list(mixed)
    np.testing.assert_allclose(batch["labels"].numpy().sum(1), 1.0, rtol=1e-5)
