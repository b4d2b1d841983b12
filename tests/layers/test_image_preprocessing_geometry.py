"""The image preprocessing base class and the geometric layers (RandomFlip, CenterCrop,
RandomCrop, MaxNumBoundingBoxes, Pipeline) and ``keras.utils.bounding_boxes``.

Deterministic outputs are compared with Keras 3 itself, run in a subprocess
(property_tests/keras_oracle.py, JAX backend): layers on every framework, NumPy
included (inference). Random layers: distribution of the drawn transformation, every
output is one of the allowed transforms of its input, reproducibility with a seed,
``training=False`` is the identity."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

import unikeras
from unikeras import layers
from unikeras.utils import bounding_boxes as bbox
from unikeras.xp import framework_of, to_numpy

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "property_tests"))
from keras_oracle import keras_reference  # noqa: E402


def _img(shape, seed=0):
    return np.random.default_rng(seed).uniform(0, 255, size=shape).astype("float32")


def _np(x):
    if isinstance(x, dict):
        return {k: _np(v) for k, v in x.items()}
    return np.asarray(to_numpy(x))


def _fw(x, fw, to_fw):
    if isinstance(x, dict):
        return {k: _fw(v, fw, to_fw) for k, v in x.items()}
    return to_fw(x, fw)


def _run(layer, x, fw, to_fw, **kw):
    """Call ``layer`` on ``x`` converted to ``fw``; check the outputs are ``fw``'s."""
    out = layer(_fw(x, fw, to_fw), **kw)
    first = out["images"] if isinstance(out, dict) else out
    assert framework_of(first) == fw, (framework_of(first), fw)
    return _np(out)


BOXES = {"boxes": np.array([[[1.0, 2.0, 4.0, 5.0], [0.0, 0.0, 6.0, 3.0]],
                            [[2.0, 1.0, 3.0, 7.0], [-1.0, -2.0, 2.5, 1.0]]], "float32"),
         "labels": np.array([[1, 2], [3, 0]], "int32")}


# ---------------------------------------------------------------------- bounding boxes
FORMATS = ["xyxy", "yxyx", "xywh", "center_xywh", "center_yxhw", "rel_xyxy", "rel_yxyx",
           "rel_xywh", "rel_center_xywh"]


def _keras_func(name, *args, **kwargs):
    return keras_reference(("func", f"utils.bounding_boxes.{name}", args, kwargs))


# every format as a source and as a target (each pair's path goes through "xyxy")
@pytest.mark.parametrize("source,target", [(s, t) for s, t in zip(FORMATS, FORMATS[1:]
                                                                   + FORMATS[:1])]
                         + [("rel_xywh", "rel_center_xywh"), ("center_yxhw", "rel_yxyx")])
def test_convert_format_matches_keras(any_framework, to_fw, source, target):
    boxes = np.array([[[0.1, 0.2, 0.6, 0.9], [0.3, 0.1, 0.5, 0.4]]], "float32") * (
        1.0 if source.startswith("rel") else 20.0)
    ref = _keras_func("convert_format", boxes, source=source, target=target, height=30,
                      width=40)
    ours = bbox.convert_format(to_fw(boxes, any_framework), source=source, target=target,
                               height=30, width=40)
    assert framework_of(ours) == any_framework
    np.testing.assert_allclose(_np(ours), ref, rtol=1e-6, atol=1e-5)


def test_convert_format_errors():
    with pytest.raises(ValueError, match="last dimension of 4"):
        bbox.convert_format(np.zeros((2, 3)), "xyxy", "xywh")
    with pytest.raises(ValueError, match="Invalid source or target"):
        bbox.convert_format(np.zeros((2, 4)), "xyxy", "corners")
    with pytest.raises(ValueError, match="height` and `width"):
        bbox.convert_format(np.zeros((2, 4)), "xyxy", "rel_xyxy")


def test_box_utilities_match_keras(any_framework, to_fw):
    boxes = BOXES["boxes"]
    bb = {"boxes": to_fw(boxes, any_framework), "labels": to_fw(BOXES["labels"], any_framework)}
    ref = _keras_func("clip_to_image_size", {"boxes": boxes, "labels": BOXES["labels"]},
                      height=4, width=5)
    ours = bbox.clip_to_image_size(bb, height=4, width=5)
    np.testing.assert_allclose(_np(ours["boxes"]), ref["boxes"])
    np.testing.assert_array_equal(_np(ours["labels"]), ref["labels"])

    ref = _keras_func("crop", boxes, top=1, left=2, height=3, width=3)
    np.testing.assert_allclose(_np(bbox.crop(to_fw(boxes, any_framework), 1, 2, 3, 3)), ref)
    ref = _keras_func("pad", boxes, top=1, left=2)
    np.testing.assert_allclose(_np(bbox.pad(to_fw(boxes, any_framework), 1, 2)), ref)

    angle = np.array([30.0, -12.0], "float32")
    args = dict(translate_x=np.array([0.1, -0.2], "float32"),
                translate_y=np.array([0.0, 0.05], "float32"),
                scale=np.array([1.0, 1.2], "float32"), shear_x=np.array([0.0, 5.0], "float32"),
                shear_y=np.array([3.0, 0.0], "float32"), height=10, width=12)
    ref = _keras_func("affine_transform", boxes, angle, **args)
    ours = bbox.affine_transform(to_fw(boxes, any_framework), to_fw(angle, any_framework),
                                 **{k: (to_fw(v, any_framework) if isinstance(v, np.ndarray)
                                        else v) for k, v in args.items()})
    np.testing.assert_allclose(_np(ours), ref, rtol=1e-5, atol=1e-4)


def test_iou_and_deltas_match_keras(any_framework, to_fw):
    rng = np.random.default_rng(1)
    xy = rng.uniform(0, 10, size=(2, 5, 2))
    wh = rng.uniform(1, 5, size=(2, 5, 2))
    b1 = np.concatenate([xy, xy + wh], -1).astype("float32")
    b2 = np.roll(b1, 1, axis=1) + np.float32(0.5)
    b1[0, 0] = -1.0  # a padded box (all coordinates negative)
    for kwargs in ({}, {"use_masking": True, "mask_val": -7}):
        ref = _keras_func("compute_iou", b1, b2, "xyxy", **kwargs)
        ours = bbox.compute_iou(to_fw(b1, any_framework), to_fw(b2, any_framework), "xyxy",
                                **kwargs)
        np.testing.assert_allclose(_np(ours), ref, rtol=1e-5, atol=1e-6)
    ref = _keras_func("compute_iou", b1[0], b2[1], "xywh")
    ours = bbox.compute_iou(to_fw(b1[0], any_framework), to_fw(b2[1], any_framework), "xywh")
    np.testing.assert_allclose(_np(ours), ref, rtol=1e-5, atol=1e-6)
    ref = _keras_func("compute_ciou", b1, b2, "xyxy")
    ours = bbox.compute_ciou(to_fw(b1, any_framework), to_fw(b2, any_framework), "xyxy")
    np.testing.assert_allclose(_np(ours), ref, rtol=1e-5, atol=1e-5)

    anchors = b2[0]
    for var in (None, [0.1, 0.1, 0.2, 0.2]):
        ref = _keras_func("encode_box_to_deltas", anchors, b1, anchor_format="xyxy",
                          box_format="xywh", variance=var)
        ours = bbox.encode_box_to_deltas(to_fw(anchors, any_framework), to_fw(b1, any_framework),
                                         anchor_format="xyxy", box_format="xywh",
                                         variance=var)
        np.testing.assert_allclose(_np(ours), ref, rtol=1e-5, atol=1e-5)
        ref_dec = _keras_func("decode_deltas_to_boxes", anchors, ref, anchor_format="xyxy",
                              box_format="center_xywh", variance=var)
        dec = bbox.decode_deltas_to_boxes(to_fw(anchors, any_framework),
                                          to_fw(np.asarray(ref), any_framework),
                                          anchor_format="xyxy", box_format="center_xywh",
                                          variance=var)
        np.testing.assert_allclose(_np(dec), ref_dec, rtol=1e-5, atol=1e-4)


# ---------------------------------------------------------------------- deterministic
def _keras_layer(cls, config, inputs, training=True):
    return keras_reference(("layer", cls, dict({"dtype": "float32"}, **config), [], inputs,
                            {"training": training}))


@pytest.mark.parametrize("shape,config", [
    ((2, 7, 6, 3), {"height": 3, "width": 4}),
    ((7, 6, 3), {"height": 5, "width": 2}),
    ((2, 3, 7, 6), {"height": 4, "width": 3, "data_format": "channels_first"}),
    ((2, 6, 6, 1), {"height": 6, "width": 6}),
])
def test_center_crop_matches_keras(any_framework, to_fw, shape, config):
    x = _img(shape)
    ref = _keras_layer("CenterCrop", config, x)
    out = _run(layers.CenterCrop(**config), x, any_framework, to_fw)
    np.testing.assert_array_equal(out, ref)


def test_center_crop_bounding_boxes_match_keras(any_framework, to_fw):
    x = {"images": _img((2, 8, 9, 3)), "bounding_boxes": BOXES}
    for fmt in ("xyxy", "rel_xyxy"):
        data = dict(x, bounding_boxes=dict(BOXES, boxes=bbox.convert_format(
            BOXES["boxes"], "xyxy", fmt, height=8, width=9)))
        config = {"height": 4, "width": 5, "bounding_box_format": fmt}
        ref = _keras_layer("CenterCrop", config, data)
        out = _run(layers.CenterCrop(**config), data, any_framework, to_fw)
        np.testing.assert_array_equal(out["images"], ref["images"])
        np.testing.assert_allclose(out["bounding_boxes"]["boxes"],
                                   ref["bounding_boxes"]["boxes"], rtol=1e-6, atol=1e-6)
        np.testing.assert_array_equal(out["bounding_boxes"]["labels"],
                                      ref["bounding_boxes"]["labels"])


def test_max_num_bounding_boxes_matches_keras(any_framework, to_fw):
    data = {"images": _img((2, 4, 4, 3)), "bounding_boxes": BOXES,
            "labels": np.array([0.0, 1.0], "float32")}
    for n in (1, 2, 5):
        config = {"max_number": n, "fill_value": -3, "bounding_box_format": "xyxy"}
        ref = _keras_layer("MaxNumBoundingBoxes", config, data)
        out = _run(layers.MaxNumBoundingBoxes(**config), data, any_framework, to_fw)
        for k in ("boxes", "labels"):
            np.testing.assert_array_equal(out["bounding_boxes"][k], ref["bounding_boxes"][k])
        np.testing.assert_array_equal(out["images"], ref["images"])
        np.testing.assert_array_equal(out["labels"], ref["labels"])


@pytest.mark.parametrize("cls,config", [
    ("RandomFlip", {"seed": 3}),
    ("RandomFlip", {"mode": "vertical", "seed": 3, "data_format": "channels_first"}),
    ("RandomCrop", {"height": 3, "width": 2, "seed": 3}),
])
def test_random_layers_at_inference_are_the_identity_as_in_keras(any_framework, to_fw, cls,
                                                                 config):
    x = _img((2, 5, 4, 3))
    ref = _keras_layer(cls, config, x, training=False)
    out = _run(getattr(layers, cls)(**config), x, any_framework, to_fw, training=False)
    np.testing.assert_array_equal(out, ref)
    np.testing.assert_array_equal(out, x)
    # and in a model's predict (training=False passed down)
    model = unikeras.Sequential([layers.Input((5, 4, 3)), getattr(layers, cls)(**config)])
    np.testing.assert_array_equal(_np(model.predict(x, verbose=0)), x)


def test_base_class_errors():
    flip = layers.RandomFlip()
    with pytest.raises(ValueError, match="rank 3 .* or 4"):
        flip(np.zeros((2, 3), "float32"))
    with pytest.raises(ValueError, match="bounding_box_format"):
        flip({"images": np.zeros((1, 4, 4, 3), "float32"), "bounding_boxes": BOXES})
    with pytest.raises(ValueError, match="unknown mode"):
        layers.RandomFlip(mode="diagonal")
    with pytest.raises(ValueError, match="does not take a `factor`"):
        layers.CenterCrop(2, 2, factor=0.5)
    with pytest.raises(ValueError, match="data_format"):
        layers.RandomFlip(data_format="NHWC")


# ---------------------------------------------------------------------- random layers
def _flip_variants(x, mode, data_format="channels_last"):
    h_axis, v_axis = (-2, -3) if data_format == "channels_last" else (-1, -2)
    if mode == "horizontal":
        return [x, np.flip(x, h_axis)]
    if mode == "vertical":
        return [x, np.flip(x, v_axis)]
    return [x, np.flip(np.flip(x, h_axis), v_axis)]


@pytest.mark.parametrize("mode", ["horizontal", "vertical", "horizontal_and_vertical"])
def test_random_flip_distribution(any_framework, to_fw, mode):
    n = 400
    x = _img((n, 3, 4, 1), seed=2)
    out = _run(layers.RandomFlip(mode=mode, seed=7), x, any_framework, to_fw)
    flipped = []
    for i in range(n):
        same, other = _flip_variants(x[i], mode)
        if np.array_equal(out[i], same):
            flipped.append(False)
        else:
            np.testing.assert_array_equal(out[i], other)
            flipped.append(True)
    # each image flips with probability 1/2: 400 draws, 5 standard deviations
    assert abs(np.mean(flipped) - 0.5) < 5 * 0.5 / np.sqrt(n)


def test_random_flip_unbatched_and_reproducible(any_framework, to_fw):
    x = _img((5, 4, 3), seed=3)
    outs = [_run(layers.RandomFlip(seed=11), x, any_framework, to_fw) for _ in range(2)]
    np.testing.assert_array_equal(outs[0], outs[1])  # same seed, same draws
    layer = layers.RandomFlip(seed=11)
    seq = [_run(layer, x, any_framework, to_fw) for _ in range(24)]
    kinds = {np.array_equal(o, x) for o in seq}
    assert kinds == {True, False}  # the generator advances: both outcomes occur
    for o in seq:
        assert any(np.array_equal(o, v) for v in _flip_variants(x, "horizontal_and_vertical"))


def test_random_flip_bounding_boxes_and_masks_follow_the_image(any_framework, to_fw):
    n, h, w = 64, 6, 8
    images = _img((n, h, w, 1), seed=4)
    masks = (images > 128).astype("int32")
    boxes = np.tile(np.array([[[1.0, 2.0, 3.0, 5.0]]], "float32"), (n, 1, 1))
    data = {"images": images, "segmentation_masks": masks, "labels": np.arange(n),
            "bounding_boxes": {"boxes": boxes, "labels": np.ones((n, 1), "int32")}}
    out = _run(layers.RandomFlip(mode="horizontal", seed=5, bounding_box_format="xyxy"), data,
               any_framework, to_fw)
    np.testing.assert_array_equal(out["labels"], np.arange(n))
    for i in range(n):
        f = not np.array_equal(out["images"][i], images[i])
        exp_mask = np.flip(masks[i], 1) if f else masks[i]
        np.testing.assert_array_equal(out["segmentation_masks"][i], exp_mask)
        exp_box = [w - 3.0, 2.0, w - 1.0, 5.0] if f else [1.0, 2.0, 3.0, 5.0]
        np.testing.assert_allclose(out["bounding_boxes"]["boxes"][i, 0], exp_box, atol=1e-5)


def test_random_crop_offsets_are_uniform(any_framework, to_fw):
    h, w, ch, cw = 6, 5, 3, 2
    x = np.arange(h * w, dtype="float32").reshape(1, h, w, 1)
    layer = layers.RandomCrop(ch, cw, seed=9)
    seen = {}
    for _ in range(120):
        out = _run(layer, x, any_framework, to_fw)
        assert out.shape == (1, ch, cw, 1)
        top, left = divmod(int(out[0, 0, 0, 0]), w)
        np.testing.assert_array_equal(out[0, :, :, 0], x[0, top:top + ch, left:left + cw, 0])
        seen[(top, left)] = seen.get((top, left), 0) + 1
    # every offset of the (h-ch+1) x (w-cw+1) grid is drawn (each p = 1/16; 120 draws)
    assert set(seen) == {(t, l) for t in range(h - ch + 1) for l in range(w - cw + 1)}


def test_random_crop_bounding_boxes(any_framework, to_fw):
    x = np.arange(8 * 9, dtype="float32").reshape(1, 8, 9, 1)
    data = {"images": x, "bounding_boxes": {"boxes": np.array([[[2.0, 1.0, 7.0, 6.0]]],
                                                              "float32"),
                                            "labels": np.array([[4]], "int32")}}
    layer = layers.RandomCrop(4, 5, seed=1, bounding_box_format="xyxy")
    for _ in range(5):
        out = _run(layer, data, any_framework, to_fw)
        top, left = divmod(int(out["images"][0, 0, 0, 0]), 9)
        exp = np.clip(np.array([2.0 - left, 1.0 - top, 7.0 - left, 6.0 - top]),
                      0, [5, 4, 5, 4])
        np.testing.assert_allclose(out["bounding_boxes"]["boxes"][0, 0], exp)


# ---------------------------------------------------------------------- config, saving
def test_config_round_trip_and_keras_file(tmp_path, framework, to_fw):
    made = [layers.RandomFlip(mode="vertical", seed=4, bounding_box_format="xyxy"),
            layers.CenterCrop(3, 2, data_format="channels_first"),
            layers.RandomCrop(2, 2, seed=5),
            layers.MaxNumBoundingBoxes(4, fill_value=-2),
            layers.Pipeline([layers.RandomFlip(seed=1), layers.CenterCrop(2, 2)])]
    for layer in made:
        config = layer.get_config()
        again = type(layer).from_config(config)
        assert again.get_config() == config
    assert made[0].get_config()["bounding_box_format"] == "xyxy"
    assert [type(l).__name__ for l in made[-1].layers] == ["RandomFlip", "CenterCrop"]

    x = _img((2, 6, 5, 3))
    model = unikeras.Sequential([layers.Input((6, 5, 3)), layers.RandomFlip(seed=3),
                                 layers.CenterCrop(4, 3),
                                 layers.Pipeline([layers.RandomFlip(seed=1),
                                                  layers.CenterCrop(2, 2)]),
                                 layers.Flatten(), layers.Dense(2)])
    ref = _np(model.predict(to_fw(x, framework), verbose=0))
    path = tmp_path / "aug.keras"
    model.save(path)
    loaded = unikeras.saving.load_model(path)
    np.testing.assert_allclose(_np(loaded.predict(to_fw(x, framework), verbose=0)), ref,
                               rtol=1e-6)
    assert [type(l).__name__ for l in loaded.layers[:3]] == ["RandomFlip", "CenterCrop",
                                                            "Pipeline"]


def test_pipeline_applies_layers_in_order(any_framework, to_fw):
    x = _img((3, 6, 5, 2))
    pipe = layers.Pipeline([layers.CenterCrop(4, 4), layers.RandomFlip(seed=2),
                            layers.CenterCrop(2, 3)])
    out = _run(pipe, x, any_framework, to_fw)
    # the same two random draws replayed by hand: a flip layer with the same seed
    mid = _run(layers.CenterCrop(4, 4), x, any_framework, to_fw)
    mid = _run(layers.RandomFlip(seed=2), mid, any_framework, to_fw)
    np.testing.assert_array_equal(out, _run(layers.CenterCrop(2, 3), mid, any_framework,
                                            to_fw))
    np.testing.assert_array_equal(_run(pipe, x, any_framework, to_fw, training=False),
                                  x[:, 2:4, 0:3])  # rows 1:5 then 1:3, cols 0:4 then 0:3


# ---------------------------------------------------------------------- in pipelines
def _flip_pattern(out, x, mode="horizontal"):
    """For each image: True if flipped, False if unchanged (fails on anything else)."""
    pattern = []
    for o, xi in zip(out, x):
        same, other = _flip_variants(xi, mode)
        if np.array_equal(o, same):
            pattern.append(False)
        else:
            np.testing.assert_array_equal(o, other)
            pattern.append(True)
    return pattern


@pytest.mark.parametrize("trainer", ["torch", "jax"])
def test_layer_inside_tf_data_map_feeds_a_model_of_another_framework(trainer):
    import tensorflow as tf

    x = _img((13, 4, 5, 1), seed=6) / 255.0
    y = x.mean(axis=(1, 2, 3))[:, None].astype("float32")
    flip = layers.RandomFlip(mode="horizontal", seed=3)
    # batches of 5, 5, 3: the batch axis is unknown inside map
    ds = tf.data.Dataset.from_tensor_slices((x, y)).batch(5).map(
        lambda a, b: (flip(a, training=True), b))
    assert ds.element_spec[0].shape.as_list() == [None, 4, 5, 1]
    seen = []
    for a, _ in ds:
        assert isinstance(a, tf.Tensor)
        seen.append(a.numpy())
    pattern = _flip_pattern(np.concatenate(seen), x)
    assert 0 < sum(pattern) < len(pattern)
    second = np.concatenate([a.numpy() for a, _ in ds])
    assert _flip_pattern(second, x) != pattern  # the seed state advances in the dataset

    model = unikeras.Sequential([layers.Input((4, 5, 1)), layers.Flatten(), layers.Dense(1)])
    model(unikeras.xp.asarray(x[:1], framework=trainer))  # the model lives on `trainer`
    model.compile(optimizer="sgd", loss="mse")
    hist = model.fit(ds, epochs=2, verbose=0)
    assert np.all(np.isfinite(hist.history["loss"]))
    assert all(v.framework == trainer for v in model.weights)
    assert framework_of(model.predict(unikeras.xp.asarray(x, framework=trainer), verbose=0)) \
        == trainer


class _FlipDataset:
    """A torch map-style dataset that augments each image (torch tensors) in __getitem__."""

    def __init__(self, x, layer):
        import torch

        self.x = torch.tensor(x)
        self.layer = layer

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        return self.layer(self.x[i], training=True), self.x[i].mean().reshape(1)


def test_layer_inside_torch_dataloader_workers():
    import torch

    n = 32
    x = _img((n, 4, 5, 1), seed=8) / 255.0
    loader = torch.utils.data.DataLoader(
        _FlipDataset(x, layers.RandomFlip(mode="horizontal", seed=3)), batch_size=4,
        num_workers=2)
    torch.manual_seed(0)
    epochs = []
    for _ in range(2):
        out = torch.cat([a for a, _ in loader]).numpy()
        epochs.append(_flip_pattern(out, x))
    for pattern in epochs:
        # batches alternate between the two workers; each started from a copy of the
        # layer, so without the worker's seed their draws would repeat each other
        w0 = [p for b in range(0, n // 4, 2) for p in pattern[4 * b:4 * b + 4]]
        w1 = [p for b in range(1, n // 4, 2) for p in pattern[4 * b:4 * b + 4]]
        assert w0 != w1
        assert 0 < sum(pattern) < n
    assert epochs[0] != epochs[1]  # new workers each epoch, new seeds
    torch.manual_seed(0)
    again = torch.cat([a for a, _ in loader]).numpy()
    assert _flip_pattern(again, x) == epochs[0]  # reproducible under torch.manual_seed

    model = unikeras.Sequential([layers.Input((4, 5, 1)), layers.Flatten(), layers.Dense(1)])
    model(torch.tensor(x[:1]))  # a torch user's model
    model.compile(optimizer="sgd", loss="mse")
    hist = model.fit(loader, epochs=1, verbose=0)
    assert np.isfinite(hist.history["loss"][0])
    assert all(v.framework == "torch" for v in model.weights)


# ---------------------------------------------------------------------- resize, affine
@pytest.mark.parametrize("config,shape,dtype", [
    ({"height": 4, "width": 6}, (2, 7, 5, 3), "float32"),
    ({"height": 3, "width": 3, "interpolation": "nearest"}, (6, 5, 2), "float32"),
    ({"height": 5, "width": 4, "crop_to_aspect_ratio": True, "interpolation": "bicubic"},
     (2, 6, 8, 1), "float32"),
    ({"height": 5, "width": 4, "pad_to_aspect_ratio": True, "fill_value": 9.0},
     (2, 6, 8, 1), "float32"),
    ({"height": 3, "width": 5, "antialias": True, "data_format": "channels_first"},
     (2, 3, 9, 10), "float32"),
    ({"height": 4, "width": 4}, (2, 7, 5, 3), "uint8"),
])
def test_resizing_matches_keras(any_framework, to_fw, config, shape, dtype):
    x = _img(shape).astype(dtype)
    ref = _keras_layer("Resizing", config, x)
    out = _run(layers.Resizing(**config), x, any_framework, to_fw)
    assert out.dtype == ref.dtype
    np.testing.assert_allclose(out, ref, rtol=1e-5, atol=1e-3)


@pytest.mark.parametrize("config", [{"height": 4, "width": 6},
                                    {"height": 4, "width": 3, "crop_to_aspect_ratio": True},
                                    {"height": 4, "width": 3, "pad_to_aspect_ratio": True}])
def test_resizing_bounding_boxes_match_keras(any_framework, to_fw, config):
    boxes = dict(BOXES, boxes=np.concatenate([BOXES["boxes"], -np.ones((2, 1, 4), "float32")],
                                             axis=1),
                 labels=np.concatenate([BOXES["labels"], -np.ones((2, 1), "int32")], axis=1))
    data = {"images": _img((2, 8, 9, 3)), "bounding_boxes": boxes}
    config = dict(config, bounding_box_format="xyxy")
    ref = _keras_layer("Resizing", config, data)
    out = _run(layers.Resizing(**config), data, any_framework, to_fw)
    np.testing.assert_allclose(out["images"], ref["images"], rtol=1e-5, atol=1e-3)
    np.testing.assert_allclose(out["bounding_boxes"]["boxes"], ref["bounding_boxes"]["boxes"],
                               rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(out["bounding_boxes"]["labels"],
                                  ref["bounding_boxes"]["labels"])


# A factor range of one point makes the random layers deterministic: compared with Keras.
AFFINE_CASES = [
    ("RandomRotation", {"factor": (0.25, 0.25), "fill_mode": "constant", "fill_value": 3.0}),
    ("RandomRotation", {"factor": (-0.1, -0.1), "interpolation": "nearest"}),
    ("RandomRotation", {"factor": (0.05, 0.05), "fill_mode": "wrap",
                        "data_format": "channels_first"}),
    ("RandomTranslation", {"height_factor": (0.2, 0.2), "width_factor": (-0.3, -0.3)}),
    ("RandomTranslation", {"height_factor": (-0.25, -0.25), "width_factor": (0.1, 0.1),
                           "fill_mode": "nearest", "interpolation": "nearest"}),
    ("RandomZoom", {"height_factor": (0.3, 0.3)}),
    ("RandomZoom", {"height_factor": (-0.4, -0.4), "width_factor": (0.2, 0.2),
                    "fill_mode": "constant"}),
]


@pytest.mark.parametrize("cls,config", AFFINE_CASES)
def test_affine_layers_with_a_fixed_draw_match_keras(any_framework, to_fw, cls, config):
    shape = (2, 3, 7, 6) if config.get("data_format") == "channels_first" else (2, 7, 6, 3)
    x = _img(shape, seed=5)
    ref = _keras_layer(cls, dict(config, seed=1), x)
    out = _run(getattr(layers, cls)(**config, seed=1), x, any_framework, to_fw)
    np.testing.assert_allclose(out, ref, rtol=1e-4, atol=2e-3)
    single = _run(getattr(layers, cls)(**config, seed=1), x[0], any_framework, to_fw)
    np.testing.assert_allclose(single, ref[0], rtol=1e-4, atol=2e-3)


@pytest.mark.parametrize("cls,config", [c for c in AFFINE_CASES
                                        if "data_format" not in c[1]])
def test_affine_layers_bounding_boxes_match_keras(any_framework, to_fw, cls, config):
    data = {"images": _img((2, 8, 9, 3)), "bounding_boxes": BOXES}
    config = dict(config, bounding_box_format="xyxy", seed=1)
    ref = _keras_layer(cls, config, data)
    out = _run(getattr(layers, cls)(**config), data, any_framework, to_fw)
    np.testing.assert_allclose(out["bounding_boxes"]["boxes"], ref["bounding_boxes"]["boxes"],
                               rtol=1e-4, atol=1e-3)
    np.testing.assert_array_equal(out["bounding_boxes"]["labels"],
                                  ref["bounding_boxes"]["labels"])


def test_random_shear_matches_one_of_keras_two_signs(any_framework, to_fw):
    # the magnitude is fixed; the sign is drawn per image: Keras' batch of one image
    # repeated shows both signs, and each of ours must be one of them
    x = np.repeat(_img((1, 7, 6, 3), seed=6), 12, axis=0)
    config = {"x_factor": (0.3, 0.3), "y_factor": (0.1, 0.1), "seed": 1,
              "fill_mode": "constant"}
    ref = _keras_layer("RandomShear", config, x)
    kinds = [ref[0]] + [r for r in ref if not np.allclose(r, ref[0], atol=1e-3)][:1]
    assert len(kinds) == 2
    out = _run(layers.RandomShear(**config), x, any_framework, to_fw)
    signs = [int(np.argmin([np.abs(o - k).max() for k in kinds])) for o in out]
    for o, s in zip(out, signs):
        np.testing.assert_allclose(o, kinds[s], rtol=1e-4, atol=2e-3)
    assert set(signs) == {0, 1}


@pytest.mark.parametrize("cls,config,key,lo,hi", [
    ("RandomRotation", {"factor": 0.2}, "angle", -72.0, 72.0),
    ("RandomRotation", {"factor": (0.1, 0.3)}, "angle", 36.0, 108.0),
    ("RandomZoom", {"height_factor": (-0.3, 0.5)}, "height_zoom", 0.7, 1.5),
    ("RandomTranslation", {"height_factor": 0.5, "width_factor": (0.0, 0.25)},
     "translations", None, None),
    ("RandomShear", {"x_factor": 0.4, "y_factor": (0.1, 0.2)}, "shear_factor", None, None),
])
def test_affine_draws_are_uniform_over_the_factor_range(any_framework, to_fw, cls, config,
                                                        key, lo, hi):
    n, h, w = 2000, 10, 8
    x = to_fw(np.zeros((n, h, w, 1), "float32"), any_framework)
    layer = getattr(layers, cls)(**config, seed=4)
    t = layer.get_random_transformation(x, training=True)
    if cls == "RandomTranslation":
        v = _np(t[key])
        checks = [(v[:, 1] / h, -0.5, 0.5), (v[:, 0] / w, 0.0, 0.25)]
    elif cls == "RandomShear":
        v = _np(t[key])
        checks = [(np.abs(v[:, 0]), 0.0, 0.4), (np.abs(v[:, 1]), 0.1, 0.2)]
        assert abs(np.mean(v[:, 1] > 0) - 0.5) < 0.06  # the sign: probability 1/2
    else:
        checks = [(_np(t[key]).reshape(-1), lo, hi)]
    for v, a, b in checks:
        assert v.shape == (n,)
        assert v.min() >= a - 1e-5 and v.max() <= b + 1e-5
        # uniform: mean and quartiles within 5 standard errors
        u = (v - a) / (b - a)
        assert abs(u.mean() - 0.5) < 5 * np.sqrt(1 / 12 / n)
        assert abs(np.mean(u < 0.25) - 0.25) < 5 * np.sqrt(0.1875 / n)
    assert layer.get_random_transformation(x, training=False) is None


# ---------------------------------------------------------------------- perspective, elastic
def _np_homography(src, dst):
    """3x3 H with H [x, y, 1] ~ [x', y', 1] for the four point pairs (NumPy float64)."""
    a, b = [], []
    for (x, y), (u, v) in zip(src, dst):
        a.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        a.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        b += [u, v]
    h = np.linalg.solve(np.array(a, float), np.array(b, float))
    return np.append(h, 1.0).reshape(3, 3)


def test_random_perspective_draws_images_and_boxes(any_framework, to_fw):
    n, h, w = 300, 8, 9
    images = _img((n, h, w, 2), seed=9)
    boxes = np.tile(np.array([[[1.0, 2.0, 5.0, 6.0]]], "float32"), (n, 1, 1))
    data = {"images": images, "bounding_boxes": {"boxes": boxes,
                                                 "labels": np.ones((n, 1), "int32")}}
    layer = layers.RandomPerspective(factor=(0.6, 0.6), scale=0.4, seed=2,
                                     bounding_box_format="xyxy")
    fdata = _fw(data, any_framework, to_fw)
    t = layer.get_random_transformation(fdata, training=True, seed=None)
    applied = _np(t["apply_perspective"])
    assert abs(applied.mean() - 0.6) < 5 * np.sqrt(0.24 / n)
    start, end = _np(t["start_points"]), _np(t["end_points"])
    corners = np.array([[0, 0], [w - 1, 0], [0, h - 1], [w - 1, h - 1]], "float32")
    np.testing.assert_allclose(start, np.broadcast_to(corners, (n, 4, 2)))
    rel = ((end - start)[start != 0] / start[start != 0])  # U(-scale/2, scale/2)
    assert np.all(np.abs(rel) <= 0.2 + 1e-6)
    assert abs(rel.std() - 0.4 / np.sqrt(12)) < 0.01 and abs(rel.mean()) < 0.01
    np.testing.assert_array_equal(end[start == 0], 0.0)

    out = _np(layer.transform_images(fdata["images"], t))
    ref = _np(unikeras.ops.image.perspective_transform(fdata["images"], t["start_points"],
                                                       t["end_points"]))
    np.testing.assert_allclose(out[applied], ref[applied], rtol=1e-5, atol=1e-3)
    np.testing.assert_array_equal(out[~applied], images[~applied])

    got = _np(layer.transform_bounding_boxes(fdata["bounding_boxes"], t)["boxes"])
    for i in range(0, n, 7):
        if not applied[i]:
            np.testing.assert_allclose(got[i, 0], boxes[i, 0])
            continue
        hm = _np_homography(start[i], end[i])  # input corners -> warped corners
        x0, y0, x1, y1 = boxes[i, 0]
        pts = np.array([[x0, y0, 1], [x1, y1, 1], [x0, y1, 1], [x1, y0, 1]]) @ hm.T
        pts = pts[:, :2] / pts[:, 2:]
        exp = np.clip([pts[:, 0].min(), pts[:, 1].min(), pts[:, 0].max(), pts[:, 1].max()],
                      0, [w, h, w, h])
        np.testing.assert_allclose(got[i, 0], exp, rtol=1e-4, atol=1e-3)


def test_random_elastic_transform(any_framework, to_fw):
    n, h, w = 200, 10, 12
    images = _img((n, h, w, 1), seed=10)
    masks = (images > 128).astype("float32")
    layer = layers.RandomElasticTransform(factor=(0.3, 0.3), scale=(0.5, 0.5), seed=3,
                                          value_range=(20, 235))
    fimages = to_fw(images, any_framework)
    t = layer.get_random_transformation(fimages, training=True)
    applied = _np(t["apply_transform"])
    assert abs(applied.mean() - 0.3) < 5 * np.sqrt(0.21 / n)
    assert float(_np(t["distortion_factor"])) == pytest.approx(0.5)
    out = _np(layer.transform_images(fimages, t))
    alpha, sigma = 0.1 * 0.5 * max(h, w), 0.05 * 0.5 * min(h, w)
    ref = _np(unikeras.ops.image.elastic_transform(fimages, alpha=alpha, sigma=sigma,
                                                   seed=t["seed"]))
    np.testing.assert_allclose(out[applied], np.clip(ref, 20, 235)[applied], rtol=1e-5,
                               atol=1e-3)
    np.testing.assert_allclose(out[~applied], np.clip(images, 20, 235)[~applied])
    assert np.abs(out[applied] - np.clip(images, 20, 235)[applied]).mean() > 1.0
    # masks follow with nearest interpolation and the same displacement field
    mout = _np(layer.transform_segmentation_masks(to_fw(masks, any_framework), t))
    mref = _np(unikeras.ops.image.elastic_transform(to_fw(masks, any_framework), alpha=alpha,
                                                    sigma=sigma, interpolation="nearest",
                                                    seed=t["seed"]))
    np.testing.assert_allclose(mout[applied], np.clip(mref, 20, 235)[applied])
    with pytest.raises(NotImplementedError, match="bounding"):
        layers.RandomElasticTransform(bounding_box_format="xyxy")({"images": fimages[:2], "bounding_boxes": {"boxes": np.zeros((2, 1, 4)),
                                                         "labels": np.zeros((2, 1))}})


def test_warp_layers_reproducible_and_identity_at_inference(any_framework, to_fw):
    x = _img((4, 6, 7, 3), seed=11)
    # (the other affine layers' seeds: test_affine_draws_are_uniform_over_the_factor_range
    # and test_random_layers_in_batched_tf_data; each new shape compiles on jax, ~2 s)
    for cls, kw in (("RandomPerspective", {"scale": 0.5}),
                    ("RandomElasticTransform", {}), ("RandomShear", {"x_factor": 0.3})):
        a = _run(getattr(layers, cls)(**kw, seed=5), x, any_framework, to_fw)
        b = _run(getattr(layers, cls)(**kw, seed=5), x, any_framework, to_fw)
        np.testing.assert_array_equal(a, b)
        assert not np.allclose(a, x)
        np.testing.assert_array_equal(
            _run(getattr(layers, cls)(**kw, seed=5), x, any_framework, to_fw, training=False),
            x)


@pytest.mark.parametrize("cls,config", AFFINE_CASES[::2] + [
    ("Resizing", {"height": 4, "width": 5}), ("CenterCrop", {"height": 4, "width": 5})])
def test_geometric_layers_in_batched_tf_data_equal_eager(cls, config):
    """``ds.batch(n).map(layer)``: the batch axis is unknown while the map traces (the
    affine layers then warp image by image); the numbers equal the eager call."""
    import tensorflow as tf

    x = _img((7, 8, 6, 3) if config.get("data_format") != "channels_first" else (7, 3, 8, 6),
             seed=12)
    layer = getattr(layers, cls)(**config)
    ds = tf.data.Dataset.from_tensor_slices(x).batch(3).map(lambda a: layer(a, training=True))
    got = np.concatenate([b.numpy() for b in ds])
    ref = _np(getattr(layers, cls)(**config)(tf.constant(x), training=True))
    np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-3)


def test_random_layers_in_batched_tf_data():
    import tensorflow as tf

    x = _img((7, 8, 6, 3), seed=13)
    for layer in (layers.RandomShear(0.3, 0.3, seed=1), layers.RandomPerspective(scale=0.5,
                                                                                 seed=1),
                  layers.RandomRotation(0.3, seed=1), layers.RandomCrop(4, 5, seed=1)):
        ds = tf.data.Dataset.from_tensor_slices(x).batch(3).map(
            lambda a, layer=layer: layer(a, training=True))
        got = [b.numpy() for b in ds]
        assert [g.shape[0] for g in got] == [3, 3, 1]
        assert all(np.isfinite(g).all() for g in got)
        if not isinstance(layer, layers.RandomCrop):
            assert not np.allclose(np.concatenate(got), x)


def test_random_elastic_transform_in_tf_data_equals_eager():
    """The drawn scale stays a tensor inside ``ds.map`` (alpha and sigma are not Python
    numbers there): batched (unknown batch axis) and unbatched maps give exactly the
    eager layer's output for the same seed, a fresh warp each epoch, identity at
    inference."""
    import tensorflow as tf

    x = _img((8, 9, 7, 3), seed=14)

    def make():
        return layers.RandomElasticTransform(factor=1.0, scale=(0.2, 0.9), seed=4)

    layer = make()
    ds = tf.data.Dataset.from_tensor_slices(x).batch(8).map(lambda a: layer(a, training=True))
    assert ds.element_spec.shape.as_list() == [None, 9, 7, 3]
    got = np.concatenate([b.numpy() for b in ds])
    # (eagerly the blur kernel has the drawn size, in the graph the largest one with
    # zeroed taps: equal up to the convolution's rounding)
    np.testing.assert_allclose(got, _np(make()(tf.constant(x), training=True)), atol=1e-3)
    assert np.abs(got - x).mean() > 1.0
    assert got.dtype == np.float32 and got.min() >= 0 and got.max() <= 255

    layer = make()
    ds = tf.data.Dataset.from_tensor_slices(x).map(lambda a: layer(a, training=True))
    got = np.stack([b.numpy() for b in ds])
    eager = make()
    ref = np.stack([_np(eager(tf.constant(xi), training=True)) for xi in x])
    np.testing.assert_allclose(got, ref, atol=1e-3)
    assert not np.allclose(np.stack([b.numpy() for b in ds]), got)  # the seed advances

    ds = tf.data.Dataset.from_tensor_slices(x).batch(3).map(lambda a: layer(a, training=False))
    np.testing.assert_array_equal(np.concatenate([b.numpy() for b in ds]), x)


# every image preprocessing layer inside ``ds.batch(4).map(lambda x: layer(x, training=True))``
# (the batch axis unknown while the map traces): a config that always transforms, and
# whether the layer is random (then the output differs from the input) or deterministic
# (then it equals the eager call)
_TF_DATA_CASES = {
    "RandomFlip": ({"mode": "horizontal_and_vertical"}, True),
    "RandomRotation": ({"factor": 0.3}, True),
    "RandomShear": ({"x_factor": 0.3, "y_factor": 0.3}, True),
    "RandomTranslation": ({"height_factor": 0.3, "width_factor": 0.3}, True),
    "RandomZoom": ({"height_factor": 0.3}, True),
    "RandomCrop": ({"height": 6, "width": 5}, True),
    "CenterCrop": ({"height": 6, "width": 5}, False),
    "Resizing": ({"height": 6, "width": 5}, False),
    "RandomPerspective": ({"scale": 0.5}, True),
    "RandomElasticTransform": ({}, True),
    "RandomBrightness": ({"factor": 0.3}, True),
    "RandomContrast": ({"factor": 0.5}, True),
    "RandomHue": ({"factor": 0.3}, True),
    "RandomSaturation": ({"factor": 0.5}, True),
    "RandomColorJitter": ({"brightness_factor": 0.2, "contrast_factor": 0.3,
                           "saturation_factor": 0.3, "hue_factor": 0.2}, True),
    "RandomColorDegeneration": ({"factor": 0.5}, True),
    "RandomGrayscale": ({"factor": 1.0}, True),
    "RandomInvert": ({"factor": 1.0}, True),
    "RandomPosterization": ({"factor": (1, 4)}, True),
    "RandomSharpness": ({"factor": 0.5}, True),
    "RandomGaussianBlur": ({"factor": 1.0}, True),
    "RandomErasing": ({"factor": 1.0}, True),
    "Solarization": ({"addition_factor": 0.3, "threshold_factor": 0.5}, True),
    "AutoContrast": ({}, False),
    "Equalization": ({}, False),
    "ContrastLimitedAdaptiveHistogramEqualization": ({"tile_grid_size": (2, 2)}, False),
    "MixUp": ({}, True),
    "CutMix": ({}, True),
    "RandAugment": ({}, True),
    "AugMix": ({}, True),
}


def test_tf_data_cases_cover_every_image_layer():
    from unikeras.layers.preprocessing import image

    names = {n for n, v in vars(image).items() if isinstance(v, type)
             and issubclass(v, image.BaseImagePreprocessingLayer)}
    # MaxNumBoundingBoxes pads bounding boxes only (images pass through)
    assert names - {"BaseImagePreprocessingLayer", "MaxNumBoundingBoxes"} == set(_TF_DATA_CASES)


# RandAugment and AugMix trace all their sublayers (~17 s each): they run in batched
# maps in test_image_color.py::test_layers_in_tf_data
@pytest.mark.parametrize("name", sorted(set(_TF_DATA_CASES) - {"RandAugment", "AugMix"}))
def test_every_image_layer_in_batched_tf_data_map(name):
    import tensorflow as tf

    config, random = _TF_DATA_CASES[name]
    x = _img((8, 8, 7, 3), seed=15)
    layer = getattr(layers, name)(**config, **({"seed": 2} if random else {}))
    ds = tf.data.Dataset.from_tensor_slices(x).batch(4).map(lambda a: layer(a, training=True))
    assert ds.element_spec.shape[0] is None
    out = [b.numpy() for b in ds]
    h, w = (config["height"], config["width"]) if "height" in config else (8, 7)
    assert [o.shape for o in out] == [(4, h, w, 3)] * 2
    assert all(o.dtype == np.float32 for o in out)
    got = np.concatenate(out)
    assert np.isfinite(got).all()
    assert got.min() >= -1e-3 and got.max() <= 255 + 1e-3
    if random:
        assert not np.allclose(got, x) if got.shape == x.shape else got.std() > 1.0
    else:
        eager = np.concatenate([_np(layer(tf.constant(x[i:i + 4]), training=True))
                                for i in (0, 4)])
        np.testing.assert_allclose(got, eager, rtol=1e-5, atol=1e-3)
