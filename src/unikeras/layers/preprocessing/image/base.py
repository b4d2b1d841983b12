"""Keras 3.15's ``BaseImagePreprocessingLayer``, written once.

A subclass draws one random transformation per call (``get_random_transformation``),
then applies it to each part of the input with ``transform_images``,
``transform_labels``, ``transform_bounding_boxes`` and ``transform_segmentation_masks``.
The input is an image batch ``(B, H, W, C)``, a single image ``(H, W, C)``
(``channels_first`` swaps the channel axis), or a dict with the keys ``"images"``,
``"labels"``, ``"bounding_boxes"`` (a dict of ``"boxes"`` and ``"labels"``) and
``"segmentation_masks"``. ``training=True`` is the default of ``call``, as in Keras (so
``layer(images)`` augments); a model's ``predict``/``evaluate`` pass ``training=False``,
where the random layers are the identity (cast to the compute dtype).

The computation runs on the framework of the images, with the array namespace of that
framework: inside ``tf.data.Dataset.map`` the layer sees tf tensors and computes in
TensorFlow whatever framework trains the model (Keras 3 switches its backend to
TensorFlow there; here it is the ordinary rule "the framework follows the data").
Unknown sizes (the batch axis of a ``tf.data`` batch) are read with
``image.dims``.
"""

from __future__ import annotations

import math

from ....xp import framework_of, namespace, standardize_dtype
from ...layer import Layer
from . import _utils
from ._utils import cast, dims


def standardize_data_format(data_format):
    if data_format is None:
        from ....config import image_data_format

        return image_data_format()
    v = str(data_format).lower()
    if v not in ("channels_last", "channels_first"):
        raise ValueError("The `data_format` argument must be one of {'channels_first', "
                         f"'channels_last'}}. Received: data_format={data_format!r}")
    return v


class BaseImagePreprocessingLayer(Layer):
    """Keras 3's ``BaseImagePreprocessingLayer(factor=None, bounding_box_format=None,
    data_format=None)``."""

    _USE_BASE_FACTOR = True
    _FACTOR_BOUNDS = (-1, 1)

    def __init__(self, factor=None, bounding_box_format=None, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.bounding_box_format = bounding_box_format
        self.data_format = standardize_data_format(data_format)
        if self._USE_BASE_FACTOR:
            factor = factor or 0.0
            self._set_factor(factor)
        elif factor is not None:
            raise ValueError(f"Layer {type(self).__name__} does not take a `factor` "
                             f"argument. Received: factor={factor}")
        self.built = True

    # ------------------------------------------------------------------ factor
    def _set_factor(self, factor):
        lo, hi = self._FACTOR_BOUNDS
        error_msg = ("The `factor` argument should be a number (or a list of two numbers) "
                     f"in the range [{lo}, {hi}]. Received: factor={factor}")
        if isinstance(factor, (tuple, list)):
            if len(factor) != 2:
                raise ValueError(error_msg)
            if factor[0] > hi or factor[1] < lo:
                raise ValueError(error_msg)
            lower, upper = sorted(factor)
        elif isinstance(factor, (int, float)) and not isinstance(factor, bool):
            if factor < lo or factor > hi:
                raise ValueError(error_msg)
            factor = abs(factor)
            lower, upper = [max(-factor, lo), factor]
        else:
            raise ValueError(error_msg)
        self.factor = lower, upper

    # ------------------------------------------------------------------ randomness
    def _seed(self, like):
        """The next seed pair of this layer's generator on the framework of ``like``
        (mixed with the data-loader worker's seed inside a torch DataLoader worker)."""
        return _utils.next_seed(self.generator, framework_of(like))

    # ------------------------------------------------------------------ the split
    def get_random_transformation(self, data, training=True, seed=None):
        return None

    def _transform_images(self, images, transformation, interpolation):
        raise NotImplementedError(f"{type(self).__name__} does not implement "
                                  "_transform_images (or transform_images)")

    def transform_images(self, images, transformation, training=True):
        images = cast(images, self.compute_dtype)
        if training:
            images = self._transform_images(images, transformation, self.interpolation)
        return images

    def transform_labels(self, labels, transformation, training=True):
        raise NotImplementedError(f"{type(self).__name__} does not implement "
                                  "transform_labels")

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        raise NotImplementedError(f"{type(self).__name__} does not implement "
                                  "transform_bounding_boxes")

    def transform_segmentation_masks(self, segmentation_masks, transformation, training=True):
        if training:
            segmentation_masks = self._transform_images(segmentation_masks, transformation,
                                                        "nearest")
        return segmentation_masks

    def transform_single_image(self, image, transformation, training=True):
        xp = namespace(image)
        out = self.transform_images(xp.expand_dims(image, axis=0),
                                    transformation=transformation, training=training)
        return xp.squeeze(out, axis=0)

    def transform_single_label(self, label, transformation, training=True):
        xp = namespace(label)
        out = self.transform_labels(xp.expand_dims(label, axis=0),
                                    transformation=transformation, training=training)
        return xp.squeeze(out, axis=0)

    def transform_single_bounding_box(self, bounding_box, transformation, training=True):
        boxes = self._format_single_input_bounding_box(bounding_box)
        out = self.transform_bounding_boxes(boxes, transformation=transformation,
                                            training=training)
        return self._format_single_output_bounding_box(out)

    def transform_single_segmentation_mask(self, segmentation_mask, transformation,
                                           training=True):
        xp = namespace(segmentation_mask)
        out = self.transform_segmentation_masks(xp.expand_dims(segmentation_mask, axis=0),
                                                transformation=transformation,
                                                training=training)
        return xp.squeeze(out, axis=0)

    def _format_single_input_bounding_box(self, bounding_box):
        out = dict(bounding_box)
        for key in ("boxes", "labels"):
            if key in out:
                out[key] = namespace(out[key]).expand_dims(out[key], axis=0)
        return out

    def _format_single_output_bounding_box(self, bounding_boxes):
        out = dict(bounding_boxes)
        for key in ("boxes", "labels"):
            if key in out:
                out[key] = namespace(out[key]).squeeze(out[key], axis=0)
        return out

    def _is_batched(self, maybe_image_batch):
        rank = len(maybe_image_batch.shape)
        if rank == 3:
            return False
        if rank == 4:
            return True
        raise ValueError(f'Layer "{self.name}" ({type(self).__name__}) expected an image '
                         "tensor of rank 3 (single image) or 4 (batch of images). Received: "
                         f"data.shape={tuple(maybe_image_batch.shape)}")

    # ------------------------------------------------------------------ call
    def call(self, data, training=True):
        transformation = self.get_random_transformation(data, training=training)
        if isinstance(data, dict):
            if "images" not in data:
                raise ValueError(f'Layer "{self.name}" ({type(self).__name__}) received a '
                                 "dict without an 'images' key; expected keys among "
                                 "'images', 'labels', 'bounding_boxes', "
                                 f"'segmentation_masks'. Received keys: {sorted(data)}")
            data = dict(data)  # the caller's dict is not modified
            images = _utils.as_array(data["images"], None)
            is_batched = self._is_batched(images)
            if is_batched:
                data["images"] = self.transform_images(images, transformation=transformation,
                                                       training=training)
            else:
                data["images"] = self.transform_single_image(
                    images, transformation=transformation, training=training)
            if "bounding_boxes" in data:
                if not self.bounding_box_format:
                    raise ValueError(
                        "You passed an input with a 'bounding_boxes' key, but you didn't "
                        "specify a bounding box format. Pass a `bounding_box_format` "
                        f"argument to your {type(self).__name__} layer, e.g. "
                        "`bounding_box_format='xyxy'`.")
                from ....utils.bounding_boxes import densify_bounding_boxes

                boxes = densify_bounding_boxes(data["bounding_boxes"], is_batched=is_batched,
                                               like=images)
                if is_batched:
                    data["bounding_boxes"] = self.transform_bounding_boxes(
                        boxes, transformation=transformation, training=training)
                else:
                    data["bounding_boxes"] = self.transform_single_bounding_box(
                        boxes, transformation=transformation, training=training)
            for key, batched_fn, single_fn in (
                    ("labels", self.transform_labels, self.transform_single_label),
                    ("segmentation_masks", self.transform_segmentation_masks,
                     self.transform_single_segmentation_mask)):
                if key in data:
                    fn = batched_fn if is_batched else single_fn
                    data[key] = fn(_utils.as_array(data[key], images),
                                   transformation=transformation, training=training)
            return data
        data = _utils.as_array(data, None)
        if self._is_batched(data):
            return self.transform_images(data, transformation=transformation,
                                         training=training)
        return self.transform_single_image(data, transformation=transformation,
                                           training=training)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update({"data_format": self.data_format})
        if self.bounding_box_format is not None:
            config.update({"bounding_box_format": self.bounding_box_format})
        return config

    # ------------------------------------------------------------------ helpers
    def _transform_value_range(self, images, original_range, target_range, dtype="float32"):
        """Map values from ``original_range`` to ``target_range`` (Keras' helper of the
        color layers, which compute in ``(0, 255)``)."""
        if (original_range[0] == target_range[0]
                and original_range[1] == target_range[1]):
            return images
        images = cast(images, dtype)
        omin, omax = (float(v) for v in original_range)
        tmin, tmax = (float(v) for v in target_range)
        images = (images - omin) / (omax - omin)
        return images * (tmax - tmin) + tmin

    def _unwrap_value_range(self, value_range, dtype="float32"):
        min_value, max_value = value_range
        return float(min_value), float(max_value)

    def _compute_affine_matrix(self, center_x, center_y, angle, translate_x, translate_y,
                               scale, shear_x, shear_y, height, width):
        """Keras' forward affine matrix, one row ``[a0, a1, a2, b0, b1, b2, 0, 0]`` per
        batch element: scaling x shear x rotation about the center
        (``center * (size - 1)``), then the translation. ``angle``/``shear`` in degrees,
        each a (B,) array."""
        xp = namespace(angle)
        d2r = math.pi / 180.0
        angle = angle * d2r
        shear_x = xp.tan(shear_x * d2r)
        shear_y = xp.tan(shear_y * d2r)
        dt = angle.dtype
        cx = center_x * (_utils.as_scalar(xp, width, dt) - 1)
        cy = center_y * (_utils.as_scalar(xp, height, dt) - 1)
        cos_t, sin_t = xp.cos(angle), xp.sin(angle)
        a0 = scale * (cos_t + shear_x * sin_t)
        a1 = scale * (-sin_t + shear_x * cos_t)
        a2 = translate_x + cx - cx * a0 - cy * a1
        b0 = scale * (shear_y * cos_t + sin_t)
        b1 = scale * (shear_y * -sin_t + cos_t)
        b2 = translate_y + cy - cx * b0 - cy * b1
        zero = xp.zeros_like(a0)
        # columns concatenated, not stacked: TF's graph optimizer rewrites a slice of a
        # stack (Pack) with new axes, t[:, i, None, None], dropping the new axes
        return xp.concat([v[:, None] for v in (a0, a1, a2, b0, b1, b2, zero, zero)], axis=1)


__all__ = ["BaseImagePreprocessingLayer", "standardize_data_format", "dims", "cast",
           "standardize_dtype"]
