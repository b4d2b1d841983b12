"""Keras 3.15's ``Resizing``."""

from __future__ import annotations

from ....utils import bounding_boxes as bbox
from ....utils.serialization import register
from ....xp import namespace, standardize_dtype
from .base import BaseImagePreprocessingLayer
from ._utils import dims


def _image_ops():
    from ....ops import image as image_ops

    return image_ops


@register
class Resizing(BaseImagePreprocessingLayer):
    """Keras 3's ``Resizing(height, width, interpolation="bilinear",
    crop_to_aspect_ratio=False, pad_to_aspect_ratio=False, fill_mode="constant",
    fill_value=0.0, antialias=False, data_format=None)``: ``ops.image.resize`` of the
    images (masks with ``"nearest"``); integer images keep their dtype (rounded and
    saturated); bounding boxes are scaled (and moved by the crop or the padding)."""

    _USE_BASE_FACTOR = False

    def __init__(self, height, width, interpolation="bilinear", crop_to_aspect_ratio=False,
                 pad_to_aspect_ratio=False, fill_mode="constant", fill_value=0.0,
                 antialias=False, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.height = height
        self.width = width
        self.interpolation = interpolation
        self.crop_to_aspect_ratio = crop_to_aspect_ratio
        self.pad_to_aspect_ratio = pad_to_aspect_ratio
        self.fill_mode = fill_mode
        self.fill_value = fill_value
        self.antialias = bool(antialias)
        if self.data_format == "channels_first":
            self.height_axis, self.width_axis = -2, -1
        else:
            self.height_axis, self.width_axis = -3, -2

    def _transform_images(self, images, transformation, interpolation):
        resized = _image_ops().resize(
            images, size=(self.height, self.width), interpolation=interpolation,
            antialias=self.antialias, data_format=self.data_format,
            crop_to_aspect_ratio=self.crop_to_aspect_ratio,
            pad_to_aspect_ratio=self.pad_to_aspect_ratio, fill_mode=self.fill_mode,
            fill_value=self.fill_value)
        if resized.dtype == images.dtype:
            return resized
        from ....ops import round as _round, saturate_cast

        name = standardize_dtype(images.dtype)
        if "int" in name:
            resized = _round(resized)
        return saturate_cast(resized, name)

    def transform_images(self, images, transformation=None, training=True):
        return self._transform_images(images, transformation, self.interpolation)

    def transform_segmentation_masks(self, segmentation_masks, transformation=None,
                                     training=True):
        return self._transform_images(segmentation_masks, transformation, "nearest")

    def transform_labels(self, labels, transformation=None, training=True):
        return labels

    def get_random_transformation(self, data, training=True, seed=None):
        images = data["images"] if isinstance(data, dict) else data
        shape = dims(images)
        return (shape[self.height_axis], shape[self.width_axis])

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        in_h, in_w = transformation
        boxes = bounding_boxes["boxes"]
        xp = namespace(boxes)
        # padded boxes (all -1, or all 0) stay zeros
        padded = xp.logical_or(xp.all(boxes == -1, axis=-1), xp.all(boxes == 0, axis=-1))
        out = bbox.convert_format(bounding_boxes, source=self.bounding_box_format,
                                  target="xyxy", height=in_h, width=in_w)
        out["boxes"] = self._transform_xyxy(xp, out["boxes"], float(in_h), float(in_w))
        out = bbox.clip_to_image_size(out, height=self.height, width=self.width)
        b = out["boxes"]
        out["boxes"] = xp.where(xp.expand_dims(padded, axis=-1), xp.zeros_like(b), b)
        return bbox.convert_format(out, source="xyxy", target=self.bounding_box_format,
                                   height=self.height, width=self.width)

    def _transform_xyxy(self, xp, boxes, in_h, in_w):
        h, w = float(self.height), float(self.width)
        if self.pad_to_aspect_ratio:
            r = min(h / in_h, w / in_w)
            y_off = (h - in_h * r) // 2
            x_off = (w - in_w * r) // 2
            sx = sy = r
        elif self.crop_to_aspect_ratio:
            src, tgt = in_w / in_h, w / h
            new_w = h * src if src > tgt else w
            new_h = h if src > tgt else w / src
            sx, sy = new_w / in_w, new_h / in_h
            x_off, y_off = -((new_w - w) // 2), -((new_h - h) // 2)
        else:
            sx, sy, x_off, y_off = w / in_w, h / in_h, 0.0, 0.0
        scale = xp.asarray([sx, sy, sx, sy], dtype=boxes.dtype)
        offset = xp.asarray([x_off, y_off, x_off, y_off], dtype=boxes.dtype)
        return boxes * scale + offset

    def compute_output_shape(self, input_shape):
        input_shape = list(input_shape)
        input_shape[self.height_axis] = self.height
        input_shape[self.width_axis] = self.width
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update({"height": self.height, "width": self.width,
                       "interpolation": self.interpolation,
                       "crop_to_aspect_ratio": self.crop_to_aspect_ratio,
                       "pad_to_aspect_ratio": self.pad_to_aspect_ratio,
                       "fill_mode": self.fill_mode, "fill_value": self.fill_value,
                       "antialias": self.antialias, "data_format": self.data_format})
        return config
