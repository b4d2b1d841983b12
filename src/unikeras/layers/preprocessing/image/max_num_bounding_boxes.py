"""Keras 3.15's ``MaxNumBoundingBoxes``."""

from __future__ import annotations

from ....utils.serialization import register
from ....xp import namespace
from .base import BaseImagePreprocessingLayer
from ._utils import dims


@register
class MaxNumBoundingBoxes(BaseImagePreprocessingLayer):
    """Keras 3's ``MaxNumBoundingBoxes(max_number, fill_value=-1)``: the batched
    ``bounding_boxes`` are cut or padded (boxes and labels with ``fill_value``) to
    ``max_number`` per image, so batches of varying box counts get one static shape.
    Images, labels and masks pass unchanged."""

    def __init__(self, max_number, fill_value=-1, **kwargs):
        super().__init__(**kwargs)
        self.max_number = int(max_number)
        self.fill_value = int(fill_value)

    def transform_images(self, images, transformation=None, training=True):
        return images

    def transform_labels(self, labels, transformation=None, training=True):
        return labels

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        boxes, labels = bounding_boxes["boxes"], bounding_boxes["labels"]
        xp = namespace(boxes)
        boxes = boxes[:, :self.max_number, ...]
        labels = labels[:, :self.max_number]
        b_shape, l_shape = dims(boxes), dims(labels)
        n = b_shape[1]
        pad = self.max_number - n
        if not isinstance(pad, int) or pad > 0:
            pad = pad if isinstance(pad, int) else xp.maximum(pad, 0)
            fill_b = xp.full((b_shape[0], pad) + tuple(b_shape[2:]), float(self.fill_value),
                             dtype=boxes.dtype)
            fill_l = xp.full((l_shape[0], pad) + tuple(l_shape[2:]), self.fill_value,
                             dtype=labels.dtype)
            boxes = xp.concat([boxes, fill_b], axis=1)
            labels = xp.concat([labels, fill_l], axis=1)
        out = dict(bounding_boxes)
        out["boxes"] = xp.reshape(boxes, (b_shape[0], self.max_number, 4))
        out["labels"] = xp.reshape(labels, (l_shape[0], self.max_number))
        return out

    def transform_segmentation_masks(self, segmentation_masks, transformation=None,
                                     training=True):
        return segmentation_masks

    def compute_output_shape(self, input_shape):
        if isinstance(input_shape, dict) and "bounding_boxes" in input_shape:
            input_shape = dict(input_shape)
            bb = dict(input_shape["bounding_boxes"])
            extra = set(bb) - {"boxes", "labels"}
            if extra:
                raise KeyError(f"There are unsupported keys in `bounding_boxes`: "
                               f"{list(extra)}. Only `boxes` and `labels` are supported.")
            boxes_shape = list(bb["boxes"])
            boxes_shape[1] = self.max_number
            labels_shape = list(bb["labels"])
            labels_shape[1] = self.max_number
            bb["boxes"], bb["labels"] = tuple(boxes_shape), tuple(labels_shape)
            input_shape["bounding_boxes"] = bb
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update({"max_number": self.max_number})
        return config
