"""Keras 3.15's ``keras.visualization``: bounding boxes and segmentation masks drawn on
images, and image galleries.

The inputs may be arrays of any framework (NumPy, JAX, PyTorch, TensorFlow) or lists;
drawing happens on the host, so they are brought to NumPy once (``xp.to_numpy``,
zero-copy on CPU). The drawing libraries are optional (the ``visualization`` extra):
OpenCV (``cv2``) draws boxes and labels, matplotlib draws galleries. They are imported
on the first call, never by ``import unikeras``; a missing one is an ``ImportError``
that names the package to install.

Where Keras 3.15 is broken this module does what its documentation says: ``channels_first``
images are drawn (and returned) channels-first instead of being drawn on the wrong axes
or transposed twice; 3D segmentation masks ``(batch, height, width)`` are accepted as
documented; a gallery with more cells than images leaves the extra cells blank.
"""

from __future__ import annotations

import math

import numpy as np

from .xp import framework_of, standardize_dtype, to_framework, to_numpy

__all__ = ["draw_bounding_boxes", "draw_segmentation_masks", "plot_bounding_box_gallery",
           "plot_image_gallery", "plot_segmentation_mask_gallery"]


# ---------------------------------------------------------------------- optional imports
def _cv2(fn):
    try:
        import cv2
    except ImportError:
        raise ImportError(
            f"`keras.visualization.{fn}` requires the `opencv-python` package (the "
            "`cv2` module). Install it with `pip install opencv-python-headless` (or "
            "`pip install unikeras[visualization]`).") from None
    return cv2


def _pyplot(fn):
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError(
            f"`keras.visualization.{fn}` requires the `matplotlib` package. Install it "
            "with `pip install matplotlib` (or `pip install unikeras[visualization]`)."
        ) from None
    return plt


# ---------------------------------------------------------------------- helpers
def _host(x):
    """Any framework's array (or a list) as a NumPy array."""
    return np.asarray(to_numpy(x))


def _data_format(data_format):
    if data_format is None:
        from .config import image_data_format

        data_format = image_data_format()
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError("`data_format` must be 'channels_last' or 'channels_first'. "
                         f"Received: data_format={data_format!r}")
    return data_format


def _batched_images(images):
    images = _host(images)
    if images.ndim != 4:
        raise ValueError("`images` must be batched 4D tensor. "
                         f"Received: images.shape={tuple(images.shape)}")
    return images


def _find_text_location(x, y, font_scale, thickness):
    """Keras' placement of a box's label: above the box where it fits, else inside."""
    font_height = int(font_scale * 12)
    if (y - 8) - 2 * font_height > 0:
        return x, y - 8
    return x + 3, y + 2 * font_height + thickness + 3


# ---------------------------------------------------------------------- drawing
def draw_bounding_boxes(images, bounding_boxes, bounding_box_format, class_mapping=None,
                        color=(128, 128, 128), line_thickness=2, text_thickness=1,
                        font_scale=1.0, data_format=None):
    """Draws bounding boxes (and class labels / confidences) on a batch of images.

    ``bounding_boxes`` is a dict with ``"boxes"`` ``(batch, num_boxes, 4)`` in
    ``bounding_box_format`` (any format of ``keras.utils.bounding_boxes.convert_format``),
    ``"labels"`` ``(batch, num_boxes)`` (``-1``: padding, not drawn) and optionally
    ``"confidences"``. A label is written next to a box when its class is in
    ``class_mapping``. Float images in ``[0, 1]`` are scaled to ``[0, 255]``; the result
    is a ``uint8`` NumPy array of the images' shape.
    """
    cv2 = _cv2("draw_bounding_boxes")
    from .utils.bounding_boxes import convert_format

    class_mapping = class_mapping or {}
    text_thickness = text_thickness or line_thickness
    data_format = _data_format(data_format)
    images = _batched_images(images)
    if not isinstance(bounding_boxes, dict):
        raise TypeError("`bounding_boxes` should be a dict. Received: "
                        f"bounding_boxes={bounding_boxes} of type {type(bounding_boxes)}")
    if "boxes" not in bounding_boxes or "labels" not in bounding_boxes:
        raise ValueError("`bounding_boxes` should be a dict containing 'boxes' and "
                         f"'labels' keys. Received: bounding_boxes={bounding_boxes}")
    if data_format == "channels_first":
        images = images.transpose(0, 2, 3, 1)
    height, width = images.shape[1], images.shape[2]
    converted = convert_format(dict(bounding_boxes), bounding_box_format, "xyxy", height,
                               width)

    if images.dtype.kind == "f" and images.size > 0:
        images = np.clip(images, 0, 1) * 255 if images.max() <= 1.0 else \
            np.clip(images, 0, 255)
    # a fresh C-contiguous uint8 copy: OpenCV draws in place, one image at a time
    images = np.ascontiguousarray(images.astype("uint8"))
    boxes = _host(converted["boxes"])
    labels = _host(converted["labels"])
    confidences = _host(converted["confidences"]) if "confidences" in converted else None

    for i in range(images.shape[0]):
        image = images[i]
        for j in range(boxes.shape[1]):
            x1, y1, x2, y2 = (int(v) for v in boxes[i, j].astype("int32"))
            c = int(labels[i, j].astype("int32"))
            if c == -1:
                continue
            cv2.rectangle(image, (x1, y1), (x2, y2), color, line_thickness)
            if c in class_mapping:
                label = class_mapping[c]
                if confidences is not None:
                    label = f"{label} | {confidences[i][j]:.2f}"
                cv2.putText(img=image, text=label,
                            org=_find_text_location(x1, y1, font_scale, text_thickness),
                            fontFace=cv2.FONT_HERSHEY_SIMPLEX, fontScale=font_scale,
                            color=color, thickness=text_thickness)
    if data_format == "channels_first":
        images = images.transpose(0, 3, 1, 2)
    return images


def _generate_color_palette(num_classes):
    palette = np.array([2**25 - 1, 2**15 - 1, 2**21 - 1])
    return [((i * palette) % 255).tolist() for i in range(num_classes)]


def draw_segmentation_masks(images, segmentation_masks, num_classes=None, color_mapping=None,
                            alpha=0.8, blend=True, ignore_index=-1, data_format=None):
    """Overlays integer segmentation masks ``(batch, height, width[, 1])`` on images.

    Each class ``k`` in ``range(num_classes)`` (inferred from the masks' maximum when
    None) is painted with ``color_mapping[k]`` (default: Keras' palette; class 0 is
    black). With ``blend`` the result is ``images * (1 - alpha) + colors * alpha`` where
    the mask is not ``ignore_index``, as a ``uint8`` NumPy array; without it, the painted
    images as float32 (on the framework of ``images``, as Keras returns a backend tensor).
    """
    data_format = _data_format(data_format)
    frame = framework_of(images)
    images = _batched_images(images)
    masks = _host(segmentation_masks)
    if data_format == "channels_first":
        images = images.transpose(0, 2, 3, 1)
        masks = masks.transpose(0, 2, 3, 1) if masks.ndim == 4 else masks
    if masks.ndim == 3:
        masks = masks[..., None]
    if masks.ndim != 4 or masks.shape[-1] != 1:
        raise ValueError("`segmentation_masks` must have shape (batch_size, height, width) "
                         f"or (batch_size, height, width, 1). Received: "
                         f"segmentation_masks.shape={tuple(masks.shape)}")
    if masks.dtype.kind not in "iu":
        raise TypeError("`segmentation_masks` must be in integer dtype. Received: "
                        f"segmentation_masks.dtype={standardize_dtype(masks.dtype)}")
    images = images.astype("float32")

    if num_classes is None:
        num_classes = int(masks.max())
    if color_mapping is None:
        colors = _generate_color_palette(num_classes)
    else:
        colors = [color_mapping[i] for i in range(num_classes)]
    masks = masks[..., 0]
    valid = masks != ignore_index

    painted = images.copy()
    for k, color in enumerate(colors):
        # the one-hot of the masks: values outside [0, num_classes) paint nothing
        painted[masks == k] = np.asarray(color, dtype=painted.dtype)[None, :]

    if not blend:
        if frame not in (None, "numpy"):
            return to_framework(painted, frame)
        return painted
    outputs = images * np.float32(1 - alpha) + painted * np.float32(alpha)
    outputs = np.where(valid[..., None], outputs, images)
    return outputs.astype("uint8")


# ---------------------------------------------------------------------- galleries
def plot_image_gallery(images, y_true=None, y_pred=None, label_map=None, rows=None, cols=None,
                       value_range=(0, 255), scale=2, path=None, show=None, transparent=True,
                       dpi=60, legend_handles=None, data_format=None):
    """Draws a batch of images as a ``rows x cols`` grid of matplotlib axes (titled with
    ``label_map`` names of ``y_true`` / ``y_pred`` when given). ``path``: save the figure
    there (and close it); else ``show`` it (default). With ``path=None, show=False`` the
    figure stays open as matplotlib's current figure (``plt.gcf()``)."""
    plt = _pyplot("plot_image_gallery")
    if path is not None and show:
        raise ValueError("plot_gallery() expects either `path` to be set, or `show` "
                         "to be true.")
    if (y_true is not None or y_pred is not None) and label_map is None:
        raise ValueError("If `y_true` or `y_pred` are provided, a `label_map` must also be"
                         " provided.")
    show = show if show is not None else (path is None)
    data_format = _data_format(data_format)
    images = _host(images)
    if images.ndim != 4:
        raise ValueError("`plot_images_gallery()` requires you to batch your `np.array` "
                         "samples together.")
    batch_size = images.shape[0]
    rows = rows or int(math.ceil(math.sqrt(batch_size)))
    cols = cols or int(math.ceil(batch_size // rows))
    images = images[:min(rows * cols, batch_size)]
    if data_format == "channels_first":
        images = images.transpose(0, 2, 3, 1)

    fig, axes = plt.subplots(nrows=rows, ncols=cols, figsize=(cols * scale, rows * scale),
                             frameon=False, layout="tight", squeeze=True, sharex="row",
                             sharey="col")
    fig.subplots_adjust(wspace=0, hspace=0)
    axes = np.asarray(axes, dtype=object).reshape(rows, cols)
    if legend_handles is not None:
        fig.legend(handles=legend_handles, loc="lower center")

    if tuple(value_range)[:2] != (0, 255):  # Keras' value-range transform, in float32
        lo, hi = (float(v) for v in value_range)
        images = (images.astype("float32") - np.float32(lo)) / np.float32(hi - lo)
        images = images * np.float32(255.0)
    y_true = None if y_true is None else _host(y_true)
    y_pred = None if y_pred is None else _host(y_pred)

    for row in range(rows):
        for col in range(cols):
            index = row * cols + col
            ax = axes[row, col]
            if index < len(images):
                ax.imshow(images[index].astype("uint8"))
            ax.margins(x=0, y=0)
            ax.axis("off")
            title = []
            if y_true is not None and index < len(y_true):
                title.append(f"Label: {label_map.get(y_true[index], 'Unknown')}")
            if y_pred is not None and index < len(y_pred):
                title.append(f"Pred: {label_map.get(y_pred[index], 'Unknown')}")
            if title:
                ax.set_title("  ".join(title), fontsize=8)

    if path is not None:
        fig.savefig(path, pad_inches=0, bbox_inches="tight", transparent=transparent, dpi=dpi)
        plt.close(fig)
    elif show:
        plt.show()
        plt.close(fig)


def plot_bounding_box_gallery(images, bounding_box_format, y_true=None, y_pred=None,
                              value_range=(0, 255), true_color=(0, 188, 212),
                              pred_color=(255, 235, 59), line_thickness=2, font_scale=1.0,
                              text_thickness=None, class_mapping=None,
                              ground_truth_mapping=None, prediction_mapping=None,
                              legend=False, legend_handles=None, rows=None, cols=None,
                              data_format=None, **kwargs):
    """A ``plot_image_gallery`` of the images with the ``y_true`` boxes drawn in
    ``true_color`` and the ``y_pred`` boxes in ``pred_color`` (dicts as
    ``draw_bounding_boxes`` takes); ``legend=True`` adds a Ground Truth / Prediction
    legend. ``kwargs`` go to ``plot_image_gallery``."""
    _pyplot("plot_bounding_box_gallery")
    from matplotlib import patches

    prediction_mapping = prediction_mapping or class_mapping
    ground_truth_mapping = ground_truth_mapping or class_mapping
    data_format = _data_format(data_format)
    images = _batched_images(images)
    if data_format == "channels_first":
        images = images.transpose(0, 2, 3, 1)

    def draw(imgs, boxes, color, mapping):
        return draw_bounding_boxes(imgs, boxes, bounding_box_format, class_mapping=mapping,
                                   color=color, line_thickness=line_thickness,
                                   text_thickness=text_thickness, font_scale=font_scale,
                                   data_format="channels_last")

    if y_true is not None:
        images = draw(images, y_true, true_color, ground_truth_mapping)
    if y_pred is not None:
        images = draw(images, y_pred, pred_color, prediction_mapping)
    if legend:
        if legend_handles:
            raise ValueError("Only pass `legend` OR `legend_handles` to "
                             "`keras.visualization.plot_bounding_box_gallery()`.")
        legend_handles = [
            patches.Patch(color=np.array(true_color) / 255.0, label="Ground Truth"),
            patches.Patch(color=np.array(pred_color) / 255.0, label="Prediction"),
        ]
    kwargs.setdefault("data_format", "channels_last")
    return plot_image_gallery(images, value_range=value_range, legend_handles=legend_handles,
                              rows=rows, cols=cols, **kwargs)


def plot_segmentation_mask_gallery(images, num_classes, value_range=(0, 255), y_true=None,
                                   y_pred=None, color_mapping=None, blend=True, alpha=0.8,
                                   ignore_index=-1, data_format=None, **kwargs):
    """A ``plot_image_gallery`` with one row per image: the image, then the image with
    the ``y_true`` masks, then with the ``y_pred`` masks (``draw_segmentation_masks``).
    ``kwargs`` go to ``plot_image_gallery``."""
    _pyplot("plot_segmentation_mask_gallery")
    data_format = _data_format(data_format)
    images = _batched_images(images)
    if data_format == "channels_first":
        images = images.transpose(0, 2, 3, 1)
    batch_size = images.shape[0]
    cols = 1 + (y_true is not None) + (y_pred is not None)

    def draw(masks):
        masks = _host(masks)
        if data_format == "channels_first" and masks.ndim == 4:
            masks = masks.transpose(0, 2, 3, 1)
        return _host(draw_segmentation_masks(
            images, masks.astype("int32"), num_classes=num_classes,
            color_mapping=color_mapping, alpha=alpha, ignore_index=ignore_index,
            blend=blend, data_format="channels_last"))

    drawn = [draw(m) for m in (y_true, y_pred) if m is not None]
    gallery = [img for i in range(batch_size) for img in [images[i]] + [d[i] for d in drawn]]
    kwargs.setdefault("data_format", "channels_last")
    return plot_image_gallery(np.stack(gallery, axis=0), value_range=value_range,
                              rows=batch_size, cols=cols, **kwargs)
