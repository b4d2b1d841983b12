"""keras.visualization against Keras 3 itself, on every framework.

Keras 3.15 (one subprocess for the module, jax backend, matplotlib's Agg backend) runs
every case of ``CASES`` on NumPy inputs: the ``draw_*`` functions' arrays and the
galleries' saved PNG files. unikeras runs the same calls with the inputs (images, boxes,
labels, masks) given as arrays of each framework: the drawn pixels equal Keras's exactly,
and the gallery PNGs equal Keras's pixel for pixel. The gallery figures are also checked
directly (the number of axes and the image each axis shows), and the cases Keras 3.15
gets wrong (channels_first, 3D masks) against their channels_last / 4D equivalents.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys

import numpy as np
import pytest

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import unikeras as keras  # noqa: E402
from unikeras.xp import to_numpy  # noqa: E402

V = keras.visualization
rng = np.random.default_rng(7)
IMAGES = rng.integers(0, 256, size=(3, 24, 32, 3)).astype("uint8")
UNIT = rng.uniform(0, 1, size=(2, 20, 28, 3)).astype("float32")
BOXES = {  # xywh, the second image with one padded box (label -1)
    "boxes": np.array([[[2, 3, 12, 10], [10, 12, 15, 9]], [[4, 1, 20, 18], [0, 0, 5, 5]],
                       [[1, 15, 8, 8], [20, 2, 10, 20]]], "float32"),
    "labels": np.array([[0, 1], [2, -1], [1, 0]], "int32"),
    "confidences": np.array([[0.25, 0.9], [0.5, 0.0], [0.75, 0.125]], "float32"),
}
REL_BOXES = {  # rel_yxyx, near the top edge (labels drawn inside the box)
    "boxes": np.array([[[0.05, 0.1, 0.6, 0.5]], [[0.2, 0.3, 0.9, 0.95]]], "float32"),
    "labels": np.array([[3], [0]], "int32"),
}
_IMAGES0, _UNIT0 = IMAGES.copy(), UNIT.copy()
MASKS = rng.integers(-1, 4, size=(3, 24, 32, 1)).astype("int32")
MASKS_UNIT = rng.integers(0, 5, size=(2, 20, 28, 1)).astype("int32")
MAPPING = {0: "cat", 1: "dog", 3: "bird"}
COLORS = {0: (10, 20, 30), 1: (200, 0, 0), 2: (0, 255, 0)}

# (case id, function, kwargs); the same call on both sides (the PNG path added)
CASES = [
    ("boxes_xywh", "draw_bounding_boxes",
     dict(images=IMAGES, bounding_boxes=BOXES, bounding_box_format="xywh",
          class_mapping=MAPPING, color=(255, 0, 0), font_scale=0.4)),
    ("boxes_rel_unit", "draw_bounding_boxes",
     dict(images=UNIT, bounding_boxes=REL_BOXES, bounding_box_format="rel_yxyx",
          class_mapping=MAPPING, line_thickness=1, text_thickness=None, font_scale=0.3)),
    ("masks_blend", "draw_segmentation_masks",
     dict(images=IMAGES, segmentation_masks=MASKS)),
    ("masks_mapping", "draw_segmentation_masks",
     dict(images=IMAGES, segmentation_masks=MASKS, num_classes=3, color_mapping=COLORS,
          alpha=0.3, ignore_index=0)),
    ("masks_float", "draw_segmentation_masks",  # the blend's float32 rounding matters
     dict(images=UNIT * np.float32(255), segmentation_masks=MASKS_UNIT, num_classes=5,
          alpha=0.37)),
    ("masks_no_blend", "draw_segmentation_masks",
     dict(images=IMAGES, segmentation_masks=MASKS, num_classes=3, blend=False)),
    ("gallery_images", "plot_image_gallery",
     dict(images=UNIT, value_range=(0, 1), y_true=np.array([0, 1]),
          y_pred=np.array([1, 3]), label_map=MAPPING, rows=1, cols=2)),
    ("gallery_boxes", "plot_bounding_box_gallery",
     dict(images=IMAGES, bounding_box_format="xywh", y_true=BOXES,
          y_pred={"boxes": BOXES["boxes"][:, ::-1], "labels": BOXES["labels"]},
          class_mapping=MAPPING, legend=True, font_scale=0.3, rows=1, cols=3)),
    ("gallery_masks", "plot_segmentation_mask_gallery",
     dict(images=IMAGES[:2], num_classes=4, y_true=MASKS[:2], y_pred=MASKS[1::-1])),
]
ARRAY_KEYS = ("images", "segmentation_masks", "y_true", "y_pred", "bounding_boxes")

_KERAS_SIDE = r"""
import pickle, sys
import matplotlib
matplotlib.use("Agg")
import numpy as np, keras
d = sys.argv[1]
out = {}
for cid, fn, kw in pickle.load(open(d + "/cases.pkl", "rb")):
    if fn.startswith("plot_"):
        kw = dict(kw, path=f"{d}/{cid}.png")
    res = getattr(keras.visualization, fn)(**kw)
    out[cid] = None if res is None else np.asarray(keras.ops.convert_to_numpy(res))
pickle.dump(out, open(d + "/out.pkl", "wb"))
"""


@pytest.fixture(scope="module")
def keras_dir(tmp_path_factory):
    pytest.importorskip("keras")
    d = tmp_path_factory.mktemp("viz")
    with open(d / "cases.pkl", "wb") as f:
        pickle.dump(CASES, f)
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", KERAS_BACKEND="jax", JAX_PLATFORMS="cpu",
               OMP_NUM_THREADS="1", MPLBACKEND="Agg")
    proc = subprocess.run([sys.executable, "-c", _KERAS_SIDE, str(d)], env=env,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    with open(d / "out.pkl", "rb") as f:
        return d, pickle.load(f)


def _on(framework, to_fw, kw):
    """The call's arrays as arrays of ``framework`` (dicts of boxes included)."""
    def conv(v):
        if isinstance(v, dict):
            return {k: conv(x) for k, x in v.items()}
        return to_fw(np.ascontiguousarray(v), framework) if isinstance(v, np.ndarray) else v
    return {k: conv(v) if k in ARRAY_KEYS else v for k, v in kw.items()}


def _png(path):
    return plt.imread(str(path))


@pytest.mark.parametrize("cid,fn,kw", [c for c in CASES if c[1].startswith("draw_")],
                         ids=[c[0] for c in CASES if c[1].startswith("draw_")])
def test_draw_equals_keras(cid, fn, kw, keras_dir, any_framework, to_fw):
    _, ref = keras_dir
    out = getattr(V, fn)(**_on(any_framework, to_fw, kw))
    if kw.get("blend", True):
        assert isinstance(out, np.ndarray) and out.dtype == np.uint8  # as Keras: NumPy
    else:  # Keras returns a float32 tensor of its backend: here, of the images' framework
        want = "numpy" if any_framework == "numpy" else any_framework
        assert keras.xp.framework_of(out) == want
    out = to_numpy(out)
    assert out.dtype == ref[cid].dtype and out.shape == ref[cid].shape
    np.testing.assert_array_equal(out, ref[cid])
    # something was drawn, and the inputs were not drawn on
    assert (out != kw["images"].astype(out.dtype)).any()
    np.testing.assert_array_equal(IMAGES, _IMAGES0)
    np.testing.assert_array_equal(UNIT, _UNIT0)


@pytest.mark.parametrize("cid,fn,kw", [c for c in CASES if c[1].startswith("plot_")],
                         ids=[c[0] for c in CASES if c[1].startswith("plot_")])
def test_gallery_png_equals_keras(cid, fn, kw, keras_dir, any_framework, to_fw, tmp_path):
    d, _ = keras_dir
    path = tmp_path / f"{cid}.png"
    assert getattr(V, fn)(path=str(path), **_on(any_framework, to_fw, kw)) is None
    mine, theirs = _png(path), _png(d / f"{cid}.png")
    assert mine.shape == theirs.shape and mine.shape[0] > 20
    np.testing.assert_array_equal(mine, theirs)
    assert not plt.get_fignums()  # saved and closed


def test_gallery_figure_axes_and_pixels():
    """``show=False``: the figure stays open; one axis per cell, each showing its image
    (value range mapped to uint8), titles from the label map, drawn boxes/masks in the
    cells of the box and mask galleries."""
    plt.close("all")
    V.plot_image_gallery(UNIT, value_range=(0, 1), y_true=np.array([0, 7]),
                         label_map=MAPPING, show=False)
    fig = plt.gcf()
    assert len(fig.axes) == 2  # rows = ceil(sqrt(2)) = 2, cols = 2 // 2 = 1
    for i, ax in enumerate(fig.axes):
        np.testing.assert_array_equal(np.asarray(ax.images[0].get_array()),
                                      (UNIT[i] * np.float32(255)).astype("uint8"))
    assert [ax.get_title() for ax in fig.axes] == ["Label: cat", "Label: Unknown"]
    plt.close(fig)

    V.plot_bounding_box_gallery(IMAGES, "xywh", y_true=BOXES, show=False, rows=1, cols=3)
    axes = plt.gcf().axes
    assert len(axes) == 3
    drawn = V.draw_bounding_boxes(IMAGES, BOXES, "xywh", color=(0, 188, 212))
    for i, ax in enumerate(axes):
        np.testing.assert_array_equal(np.asarray(ax.images[0].get_array()), drawn[i])
    # the first box's top edge has the ground-truth color
    np.testing.assert_array_equal(drawn[0, 3, 4], [0, 188, 212])
    plt.close("all")

    V.plot_segmentation_mask_gallery(IMAGES[:2], 4, y_true=MASKS[:2], show=False)
    axes = plt.gcf().axes
    assert len(axes) == 4  # 2 rows x (image, y_true)
    shown = [np.asarray(ax.images[0].get_array()) for ax in axes]
    np.testing.assert_array_equal(shown[0], IMAGES[0])
    np.testing.assert_array_equal(shown[3], V.draw_segmentation_masks(IMAGES[:2], MASKS[:2],
                                                                      num_classes=4)[1])
    plt.close("all")


def test_channels_first_and_3d_masks(any_framework, to_fw):
    """What Keras 3.15 documents but gets wrong: channels_first images are drawn on their
    spatial axes and returned channels-first; (batch, h, w) masks equal (batch, h, w, 1)."""
    cf = to_fw(IMAGES.transpose(0, 3, 1, 2).copy(), any_framework)
    boxes = {k: to_fw(v, any_framework) for k, v in BOXES.items()}
    out = V.draw_bounding_boxes(cf, boxes, "xywh", class_mapping=MAPPING,
                                data_format="channels_first")
    np.testing.assert_array_equal(
        out.transpose(0, 2, 3, 1),
        V.draw_bounding_boxes(IMAGES, BOXES, "xywh", class_mapping=MAPPING))
    masks_cf = to_fw(MASKS.transpose(0, 3, 1, 2).copy(), any_framework)
    ref = V.draw_segmentation_masks(IMAGES, MASKS)
    np.testing.assert_array_equal(
        V.draw_segmentation_masks(cf, masks_cf, data_format="channels_first"), ref)
    np.testing.assert_array_equal(
        V.draw_segmentation_masks(to_fw(IMAGES, any_framework),
                                  to_fw(MASKS[..., 0].copy(), any_framework)), ref)


def test_errors():
    with pytest.raises(ValueError, match="batched 4D"):
        V.draw_bounding_boxes(IMAGES[0], BOXES, "xywh")
    with pytest.raises(TypeError, match="should be a dict"):
        V.draw_bounding_boxes(IMAGES, BOXES["boxes"], "xywh")
    with pytest.raises(ValueError, match="'boxes' and 'labels'"):
        V.draw_bounding_boxes(IMAGES, {"boxes": BOXES["boxes"]}, "xywh")
    with pytest.raises(TypeError, match="integer dtype. Received: .*float32"):
        V.draw_segmentation_masks(IMAGES, MASKS.astype("float32"))
    with pytest.raises(ValueError, match="label_map"):
        V.plot_image_gallery(IMAGES, y_true=np.array([0, 1, 2]), show=False)
    with pytest.raises(ValueError, match="either `path`"):
        V.plot_image_gallery(IMAGES, path="x.png", show=True)
    with pytest.raises(ValueError, match="legend"):
        V.plot_bounding_box_gallery(IMAGES, "xywh", legend=True, legend_handles=[1])


def test_missing_packages_named(monkeypatch):
    """Without OpenCV / matplotlib, the error names the package to install."""
    import builtins

    real_import = builtins.__import__

    def refuse(name, *args, **kwargs):
        if name.split(".")[0] in ("cv2", "matplotlib"):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", refuse)
    with pytest.raises(ImportError, match="opencv-python"):
        V.draw_bounding_boxes(IMAGES, BOXES, "xywh")
    with pytest.raises(ImportError, match="`matplotlib` package"):
        V.plot_image_gallery(IMAGES, show=False)


def test_importing_unikeras_imports_neither_opencv_nor_matplotlib():
    out = subprocess.run(
        [sys.executable, "-c", "import sys, unikeras, unikeras.visualization\n"
         "print([m for m in ('cv2', 'matplotlib') if m in sys.modules])"],
        capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"
