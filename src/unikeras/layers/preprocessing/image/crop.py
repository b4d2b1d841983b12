"""Keras 3.15's ``CenterCrop`` and ``RandomCrop`` (slicing; a resize where the image is
smaller than the target)."""

from __future__ import annotations

from ....state import SeedGenerator
from ....utils import bounding_boxes as bbox
from ....utils.serialization import register
from ....xp import framework_of, namespace, random as xrandom
from .base import BaseImagePreprocessingLayer
from ._utils import cast, dims, is_static


def _hw_axes(data_format):
    return (-2, -1) if data_format == "channels_first" else (-3, -2)


def _slice_hw(images, data_format, h0, h1, w0, w1):
    if data_format == "channels_last":
        if len(images.shape) == 4:
            return images[:, h0:h1, w0:w1, :]
        return images[h0:h1, w0:w1, :]
    if len(images.shape) == 4:
        return images[:, :, h0:h1, w0:w1]
    return images[:, h0:h1, w0:w1]


def _center_box(height, width, target_height, target_width):
    """Keras' ``smart_resize`` window: the largest centered box of the target's aspect
    ratio, ``(h_start, w_start, crop_height, crop_width)``."""
    crop_height = int(float(width * target_height) / target_width)
    crop_height = max(min(height, crop_height), 1)
    crop_width = int(float(height * target_width) / target_height)
    crop_width = max(min(width, crop_width), 1)
    return (int(float(height - crop_height) / 2), int(float(width - crop_width) / 2),
            crop_height, crop_width)


def _image_ops():
    from ....ops import image as image_ops  # unikeras.ops.image (resize)

    return image_ops


def smart_resize(images, size, interpolation="bilinear", data_format="channels_last"):
    """Keras' ``smart_resize``: crop the largest centered window with the aspect ratio
    of ``size``, then resize it to ``size``."""
    h_axis, w_axis = _hw_axes(data_format)
    shape = dims(images)
    height, width = shape[h_axis], shape[w_axis]
    th, tw = size
    if not (is_static(height) and is_static(width)):
        raise ValueError("smart_resize needs images of known height and width; received "
                         f"shape {tuple(images.shape)}")
    h0, w0, ch, cw = _center_box(int(height), int(width), th, tw)
    images = _slice_hw(images, data_format, h0, h0 + ch, w0, w0 + cw)
    return _image_ops().resize(images, size=(th, tw), interpolation=interpolation,
                               data_format=data_format)


class _CropOffsets(tuple):
    """``(h_start, w_start)`` as Keras' transformation, remembering whether the window
    is the smart_resize one (resized to the target) and the input's height/width."""

    def __new__(cls, h_start, w_start, resized, input_hw):
        obj = super().__new__(cls, (h_start, w_start))
        obj.resized = resized
        obj.input_hw = input_hw
        return obj


def _maybe_int(v):
    """A drawn offset as a Python int where the array can be read (eagerly), else the
    framework scalar (TensorFlow graphs slice with it)."""
    try:
        return int(v)
    except TypeError:
        return v


@register
class CenterCrop(BaseImagePreprocessingLayer):
    """Keras 3's ``CenterCrop(height, width, data_format=None)``: the central
    ``height x width`` window; an image smaller than that on either side is resized
    with ``smart_resize`` (largest window of the target aspect ratio, bilinear)."""

    _USE_BASE_FACTOR = False

    def __init__(self, height, width, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.height = height
        self.width = width

    def get_random_transformation(self, data, training=True, seed=None):
        images = data["images"] if isinstance(data, dict) else data
        return {"input_shape": dims(images)}

    def transform_labels(self, labels, transformation, training=True):
        return labels

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        h_axis, w_axis = _hw_axes(self.data_format)
        shape = transformation["input_shape"]
        init_h, init_w = shape[h_axis], shape[w_axis]
        boxes = bbox.convert_format(bounding_boxes, source=self.bounding_box_format,
                                    target="xyxy", height=init_h, width=init_w)
        h_diff, w_diff = init_h - self.height, init_w - self.width
        if h_diff >= 0 and w_diff >= 0:
            h0, w0 = int(h_diff / 2), int(w_diff / 2)
            boxes = self._clipped(boxes, h0, h0 + self.height, w0, w0 + self.width)
        else:
            h0, w0, ch, cw = _center_box(init_h, init_w, self.height, self.width)
            boxes = self._clipped(boxes, h0, h0 + ch, w0, w0 + cw)
            boxes = bbox.convert_format(boxes, source="xyxy", target="rel_xyxy", height=ch,
                                        width=cw)
            boxes = bbox.convert_format(boxes, source="rel_xyxy", target="xyxy",
                                        height=self.height, width=self.width)
        boxes = bbox.clip_to_image_size(boxes, height=self.height, width=self.width,
                                        bounding_box_format="xyxy")
        return bbox.convert_format(boxes, source="xyxy", target=self.bounding_box_format,
                                   height=self.height, width=self.width)

    @staticmethod
    def _clipped(bounding_boxes, h0, h1, w0, w1):
        b = bounding_boxes["boxes"]
        xp = namespace(b)
        x1, y1, x2, y2 = (b[..., i:i + 1] for i in range(4))

        def clip(v, lo, hi):
            return xp.minimum(xp.maximum(v, float(lo)), float(hi)) - float(lo)

        out = dict(bounding_boxes)
        out["boxes"] = xp.concat([clip(x1, w0, w1), clip(y1, h0, h1), clip(x2, w0, w1),
                                  clip(y2, h0, h1)], axis=-1)
        return out

    def transform_segmentation_masks(self, segmentation_masks, transformation,
                                     training=True):
        return self.transform_images(segmentation_masks, transformation, training=training)

    def transform_images(self, images, transformation=None, training=True):
        inputs = cast(images, self.compute_dtype)
        h_axis, w_axis = _hw_axes(self.data_format)
        shape = dims(inputs)
        init_h, init_w = shape[h_axis], shape[w_axis]
        h_diff, w_diff = init_h - self.height, init_w - self.width
        if (not is_static(h_diff) or h_diff >= 0) and (not is_static(w_diff) or w_diff >= 0):
            h0, w0 = h_diff // 2, w_diff // 2
            return _slice_hw(inputs, self.data_format, h0, h0 + self.height, w0,
                             w0 + self.width)
        return cast(smart_resize(inputs, (self.height, self.width),
                                 data_format=self.data_format), self.compute_dtype)

    def compute_output_shape(self, input_shape):
        input_shape = list(input_shape)
        if isinstance(input_shape[0], (list, tuple)) or len(input_shape) not in (3, 4):
            raise ValueError("`input_shape` must be a non-nested tuple or list of rank-1 "
                             "with size 3 (unbatched) or 4 (batched). ")
        h_axis, w_axis = _hw_axes(self.data_format)
        input_shape[h_axis] = self.height
        input_shape[w_axis] = self.width
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update({"height": self.height, "width": self.width,
                       "data_format": self.data_format})
        return config


@register
class RandomCrop(BaseImagePreprocessingLayer):
    """Keras 3's ``RandomCrop(height, width, seed=None, data_format=None)``: in
    training, one random ``height x width`` window per call (the same offset for every
    image of the batch, as Keras); where the image is not larger than the target on both
    sides, the ``smart_resize`` window resized to the target. At inference the images
    pass unchanged (Keras 3.15). Bounding boxes are moved into the window and clipped
    to it."""

    _USE_BASE_FACTOR = False

    def __init__(self, height, width, seed=None, data_format=None, name=None, **kwargs):
        super().__init__(name=name, data_format=data_format, **kwargs)
        self.height = height
        self.width = width
        self.seed = seed if seed is not None else SeedGenerator()._initial_seed
        self.generator = SeedGenerator(seed)
        self.height_axis, self.width_axis = _hw_axes(self.data_format)
        self.supports_masking = False

    def get_random_transformation(self, data, training=True, seed=None):
        images = data["images"] if isinstance(data, dict) else data
        shape = dims(images)
        in_h, in_w = shape[self.height_axis], shape[self.width_axis]
        if not (is_static(in_h) and is_static(in_w)):
            raise ValueError("RandomCrop requires the input to have a fully defined height "
                             f"and width. Received: images.shape={tuple(images.shape)}")
        if training and in_h > self.height and in_w > self.width:
            fw = framework_of(images)
            s1 = seed if seed is not None else self._seed(images)
            s2 = seed if seed is not None else self._seed(images)
            xp = namespace(images)
            h = xrandom.uniform((), 0.0, float(in_h - self.height + 1), seed=s1,
                                framework=fw)
            w = xrandom.uniform((), 0.0, float(in_w - self.width + 1), seed=s2,
                                framework=fw)
            h_start = _maybe_int(xp.astype(h, xp.int32))
            w_start = _maybe_int(xp.astype(w, xp.int32))
            return _CropOffsets(h_start, w_start, False, (in_h, in_w))
        h0, w0, _, _ = _center_box(in_h, in_w, self.height, self.width)
        return _CropOffsets(h0, w0, True, (in_h, in_w))

    def transform_images(self, images, transformation, training=True):
        if not training:
            return images
        images = cast(images, self.compute_dtype)
        h0, w0 = transformation
        if not transformation.resized:
            return _slice_hw(images, self.data_format, h0, h0 + self.height, w0,
                             w0 + self.width)
        return cast(smart_resize(images, (self.height, self.width),
                                 data_format=self.data_format), self.compute_dtype)

    def transform_labels(self, labels, transformation, training=True):
        return labels

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        if not training:
            return bounding_boxes
        h0, w0 = transformation
        boxes = bbox.convert_format(bounding_boxes["boxes"], source=self.bounding_box_format,
                                    target="xyxy", height=self.height, width=self.width)
        if not transformation.resized:
            boxes = bbox.crop(boxes, top=h0, left=w0, height=self.height, width=self.width)
        else:  # the smart_resize window, scaled to the target
            in_h, in_w = transformation.input_hw
            _, _, ch, cw = _center_box(in_h, in_w, self.height, self.width)
            boxes = bbox.crop(boxes, top=h0, left=w0, height=ch, width=cw)
            xp = namespace(boxes)
            scale = xp.asarray([self.width / cw, self.height / ch, self.width / cw,
                                self.height / ch], dtype=boxes.dtype)
            boxes = boxes * scale
        boxes = bbox.convert_format(boxes, source="xyxy", target=self.bounding_box_format,
                                    height=self.height, width=self.width)
        return {"boxes": boxes, "labels": bounding_boxes["labels"]}

    def transform_segmentation_masks(self, segmentation_masks, transformation,
                                     training=True):
        return self.transform_images(segmentation_masks, transformation, training=training)

    def compute_output_shape(self, input_shape, *args, **kwargs):
        input_shape = list(input_shape)
        input_shape[self.height_axis] = self.height
        input_shape[self.width_axis] = self.width
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update({"height": self.height, "width": self.width, "seed": self.seed,
                       "data_format": self.data_format})
        return config
