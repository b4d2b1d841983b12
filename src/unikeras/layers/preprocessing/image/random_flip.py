"""Keras 3.15's ``RandomFlip``."""

from __future__ import annotations

from ....state import SeedGenerator
from ....utils import bounding_boxes as bbox
from ....utils.serialization import register
from ....xp import framework_of, namespace, random as xrandom
from .base import BaseImagePreprocessingLayer
from ._utils import cast, dims

HORIZONTAL = "horizontal"
VERTICAL = "vertical"
HORIZONTAL_AND_VERTICAL = "horizontal_and_vertical"
_MODES = (HORIZONTAL, VERTICAL, HORIZONTAL_AND_VERTICAL)


@register
class RandomFlip(BaseImagePreprocessingLayer):
    """Keras 3's ``RandomFlip(mode="horizontal_and_vertical", seed=None,
    data_format=None)``: each image is flipped with probability 1/2 (one draw per image;
    in ``"horizontal_and_vertical"`` mode that one draw flips both axes, as Keras 3
    does). Bounding boxes and segmentation masks follow their image."""

    _USE_BASE_FACTOR = False

    def __init__(self, mode=HORIZONTAL_AND_VERTICAL, seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        if mode not in _MODES:
            raise ValueError(f"RandomFlip layer {self.name} received an unknown mode "
                             f"argument {mode!r}; expected one of {_MODES}")
        self.seed = seed
        self.generator = SeedGenerator(seed)
        self.mode = mode

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        images = data["images"] if isinstance(data, dict) else data
        shape = dims(images)
        flips_shape = (1, 1, 1) if len(shape) == 3 else (shape[0], 1, 1, 1)
        fw = framework_of(images)
        if seed is None:
            seed = self._seed(images)
        flips = xrandom.uniform(flips_shape, seed=seed, framework=fw) <= 0.5
        return {"flips": flips, "input_shape": shape}

    def transform_images(self, images, transformation, training=True):
        images = cast(images, self.compute_dtype)
        if training:
            return self._flip_inputs(images, transformation)
        return images

    def transform_labels(self, labels, transformation, training=True):
        return labels

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        if not training or transformation is None:
            return bounding_boxes
        flips = transformation["flips"]
        xp = namespace(flips)
        flips = xp.squeeze(flips, axis=-1)  # (B, 1, 1): broadcasts over (B, N, 4)
        shape = transformation["input_shape"]
        if self.data_format == "channels_first":
            h, w = shape[-2], shape[-1]
        else:
            h, w = shape[-3], shape[-2]
        out = bbox.convert_format(bounding_boxes, source=self.bounding_box_format,
                                  target="rel_xyxy", height=h, width=w)
        boxes = out["boxes"]
        if framework_of(boxes) != framework_of(flips):
            from ....xp import to_framework

            flips = to_framework(flips, framework_of(boxes))
        xp = namespace(boxes)
        if self.mode in (HORIZONTAL, HORIZONTAL_AND_VERTICAL):
            x1, y1, x2, y2 = (boxes[..., i:i + 1] for i in range(4))
            boxes = xp.where(flips, xp.concat([1 - x2, y1, 1 - x1, y2], axis=-1), boxes)
        if self.mode in (VERTICAL, HORIZONTAL_AND_VERTICAL):
            x1, y1, x2, y2 = (boxes[..., i:i + 1] for i in range(4))
            boxes = xp.where(flips, xp.concat([x1, 1 - y2, x2, 1 - y1], axis=-1), boxes)
        out["boxes"] = boxes
        out = bbox.clip_to_image_size(out, height=h, width=w, bounding_box_format="xyxy")
        return bbox.convert_format(out, source="rel_xyxy", target=self.bounding_box_format,
                                   height=h, width=w)

    def transform_segmentation_masks(self, segmentation_masks, transformation,
                                     training=True):
        return self.transform_images(segmentation_masks, transformation, training=training)

    def _flip_inputs(self, inputs, transformation):
        if transformation is None:
            return inputs
        flips = transformation["flips"]
        xp = namespace(inputs)
        unbatched = len(inputs.shape) == 3
        if unbatched:
            inputs = xp.expand_dims(inputs, axis=0)
        if self.data_format == "channels_last":
            h_axis, v_axis = -2, -3
        else:
            h_axis, v_axis = -1, -2
        out = inputs
        if self.mode in (HORIZONTAL, HORIZONTAL_AND_VERTICAL):
            out = xp.where(flips, xp.flip(out, axis=h_axis), out)
        if self.mode in (VERTICAL, HORIZONTAL_AND_VERTICAL):
            out = xp.where(flips, xp.flip(out, axis=v_axis), out)
        if unbatched:
            out = xp.squeeze(out, axis=0)
        return out

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update({"seed": self.seed, "mode": self.mode, "data_format": self.data_format})
        return config
