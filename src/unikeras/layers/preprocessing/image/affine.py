"""Keras 3.15's affine augmentation layers: ``RandomRotation``, ``RandomTranslation``,
``RandomZoom``, ``RandomShear``. Each draws its parameters per image, builds Keras'
``[a0, a1, a2, b0, b1, b2, c0, c1]`` rows (output pixel -> input pixel) and applies them
with ``ops.image.affine_transform``; bounding boxes follow as in Keras."""

from __future__ import annotations

from ....state import SeedGenerator
from ....utils import bounding_boxes as bbox
from ....utils.serialization import register
from ....xp import framework_of, namespace, random as xrandom
from .base import BaseImagePreprocessingLayer
from ._utils import as_scalar, dims, per_image

_FILL_MODES = ("reflect", "wrap", "constant", "nearest")
_INTERPOLATIONS = ("nearest", "bilinear")


def _image_ops():
    from ....ops import image as image_ops

    return image_ops


def _check_modes(fill_mode, interpolation):
    if fill_mode not in _FILL_MODES:
        raise NotImplementedError(f"Unknown `fill_mode` {fill_mode}. Expected of one "
                                  f"{_FILL_MODES}.")
    if interpolation not in _INTERPOLATIONS:
        raise NotImplementedError(f"Unknown `interpolation` {interpolation}. Expected of one "
                                  f"{_INTERPOLATIONS}.")


def _batch_hw(shape, data_format):
    """(batch size, height, width) of an image (batch) shape; 1 for a single image."""
    batch = shape[0] if len(shape) == 4 else 1
    if data_format == "channels_first":
        return batch, shape[-2], shape[-1]
    return batch, shape[-3], shape[-2]


def _transformed_x_y(x, y, transform):
    """Where Keras' transform rows send the point (x, y): each (B, 1)."""
    a0, a1, a2, b0, b1, b2, c0, c1 = (transform[:, i:i + 1] for i in range(8))
    k = c0 * x + c1 * y + 1
    return (a0 * x + a1 * y + a2) / k, (b0 * x + b1 * y + b2) / k


class _AffineBase(BaseImagePreprocessingLayer):
    _USE_BASE_FACTOR = False

    def _init_common(self, fill_mode, interpolation, seed, fill_value):
        _check_modes(fill_mode, interpolation)
        self.fill_mode = fill_mode
        self.fill_value = fill_value
        self.interpolation = interpolation
        self.seed = seed
        self.generator = SeedGenerator(seed)

    def _uniform(self, images, shape, lo, hi, seed, dtype=None):
        s = seed if seed is not None else self._seed(images)
        return xrandom.uniform(shape, float(lo), float(hi), dtype=dtype, seed=s,
                               framework=framework_of(images))

    def _warp(self, images, transform, interpolation):
        def warp(x, t):
            return _image_ops().affine_transform(
                x, transform=t, interpolation=interpolation, fill_mode=self.fill_mode,
                fill_value=self.fill_value, data_format=self.data_format)

        return per_image(warp, images, transform)

    def transform_labels(self, labels, transformation, training=True):
        return labels

    def compute_output_shape(self, input_shape):
        return input_shape

    def _factor_pair(self, factor, factor_name, lo_ok):
        error = self._FACTOR_VALIDATION_ERROR

        def check(v):
            if v > 1.0 or not lo_ok(v):
                raise ValueError(error + f"Received: input_number={v}")

        if isinstance(factor, (tuple, list)):
            if len(factor) != 2:
                raise ValueError(error + f"Received: {factor_name}={factor}")
            check(factor[0])
            check(factor[1])
            lower, upper = sorted(factor)
        elif isinstance(factor, (int, float)) and not isinstance(factor, bool):
            check(factor)
            factor = abs(factor)
            lower, upper = -factor, factor
        else:
            raise ValueError(error + f"Received: {factor_name}={factor}")
        return lower, upper


@register
class RandomRotation(_AffineBase):
    """Keras 3's ``RandomRotation(factor, fill_mode="reflect", interpolation="bilinear",
    seed=None, fill_value=0.0, data_format=None)``: each image turns by an angle drawn
    uniformly from ``[factor[0], factor[1]] * 360`` degrees (a number ``f`` means
    ``[-f, f]``; positive angles turn counter-clockwise) about its center."""

    _USE_BASE_FACTOR = True

    def __init__(self, factor, fill_mode="reflect", interpolation="bilinear", seed=None,
                 fill_value=0.0, data_format=None, **kwargs):
        super().__init__(factor=factor, data_format=data_format, **kwargs)
        self._init_common(fill_mode, interpolation, seed, fill_value)

    def _transform_images(self, images, transformation, interpolation):
        return self._warp(images, transformation["rotation_matrix"], interpolation)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        images = data["images"] if isinstance(data, dict) else data
        shape = dims(images)
        batch, height, width = _batch_hw(shape, self.data_format)
        angle = self._uniform(images, (batch,), self.factor[0] * 360.0,
                              self.factor[1] * 360.0, seed)
        matrix = self._compute_affine_matrix(0.5, 0.5, angle, 0.0, 0.0, 1.0,
                                             _zeros_like(angle), _zeros_like(angle),
                                             height, width)
        if len(shape) == 3:
            matrix = namespace(matrix).squeeze(matrix, axis=0)
        return {"angle": angle, "rotation_matrix": matrix, "image_height": height,
                "image_width": width, "batch_size": batch}

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        if not training:
            return bounding_boxes
        h, w = transformation["image_height"], transformation["image_width"]
        out = dict(bounding_boxes)
        out["boxes"] = bbox.affine_transform(out["boxes"], transformation["angle"], 0.0, 0.0,
                                             1.0, 0.0, 0.0, h, w)
        out = bbox.clip_to_image_size(out, height=h, width=w, bounding_box_format="xyxy")
        return bbox.convert_format(out, source="xyxy", target=self.bounding_box_format,
                                   height=h, width=w)

    def get_config(self):
        config = super().get_config()
        config.update({"factor": self.factor, "data_format": self.data_format,
                       "fill_mode": self.fill_mode, "fill_value": self.fill_value,
                       "interpolation": self.interpolation, "seed": self.seed})
        return config


def _zeros_like(like):
    return namespace(like).zeros_like(like)


def _height_width_config(layer, config):
    """RandomTranslation's and RandomZoom's config (the same arguments in Keras)."""
    config.update({"height_factor": layer.height_factor, "width_factor": layer.width_factor,
                   "fill_mode": layer.fill_mode, "interpolation": layer.interpolation,
                   "seed": layer.seed, "fill_value": layer.fill_value,
                   "data_format": layer.data_format})
    return config


@register
class RandomTranslation(_AffineBase):
    """Keras 3's ``RandomTranslation(height_factor, width_factor, fill_mode="reflect",
    interpolation="bilinear", seed=None, fill_value=0.0, data_format=None)``: each image
    moves by fractions of its height and width drawn uniformly from the factors (a
    number ``f`` means ``[-f, f]``; each in [-1, 1])."""

    _FACTOR_VALIDATION_ERROR = ("The `factor` argument should be a number (or a list of two "
                                "numbers) in the range [-1.0, 1.0]. ")

    def __init__(self, height_factor, width_factor, fill_mode="reflect",
                 interpolation="bilinear", seed=None, fill_value=0.0, data_format=None,
                 **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.height_factor = height_factor
        self.height_lower, self.height_upper = self._factor_pair(
            height_factor, "height_factor", lambda v: v >= -1.0)
        self.width_factor = width_factor
        self.width_lower, self.width_upper = self._factor_pair(
            width_factor, "width_factor", lambda v: v >= -1.0)
        self._init_common(fill_mode, interpolation, seed, fill_value)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        images = data["images"] if isinstance(data, dict) else data
        shape = dims(images)
        batch, height, width = _batch_hw(shape, self.data_format)
        xp = namespace(images)
        ht = self._uniform(images, (batch, 1), self.height_lower, self.height_upper, seed)
        wt = self._uniform(images, (batch, 1), self.width_lower, self.width_upper, seed)
        ht = ht * as_scalar(xp, height, ht.dtype)
        wt = wt * as_scalar(xp, width, wt.dtype)
        return {"translations": xp.concat([wt, ht], axis=1), "input_shape": shape}

    @staticmethod
    def _translation_matrix(translations):
        xp = namespace(translations)
        one = xp.ones_like(translations[:, 0:1])
        zero = xp.zeros_like(one)
        return xp.concat([one, zero, -translations[:, 0:1], zero, one, -translations[:, 1:],
                          zero, zero], axis=1)

    def _transform_images(self, images, transformation, interpolation):
        if transformation is None:
            return images
        return self._warp(images, self._translation_matrix(transformation["translations"]),
                           interpolation)

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        if not training:
            return bounding_boxes
        _, h, w = _batch_hw(transformation["input_shape"], self.data_format)
        out = bbox.convert_format(bounding_boxes, source=self.bounding_box_format,
                                  target="xyxy", height=h, width=w)
        transform = self._translation_matrix(transformation["translations"])
        dx, dy = _transformed_x_y(0.0, 0.0, transform)  # (B, 1): minus the shift
        b = out["boxes"]
        xp = namespace(b)
        if len(b.shape) == 3:
            dx, dy = xp.expand_dims(dx, axis=-1), xp.expand_dims(dy, axis=-1)
        dx, dy = xp.astype(dx, b.dtype), xp.astype(dy, b.dtype)
        out["boxes"] = xp.concat([b[..., 0:1] - dx, b[..., 1:2] - dy, b[..., 2:3] - dx,
                                  b[..., 3:4] - dy], axis=-1)
        out = bbox.clip_to_image_size(out, height=h, width=w, bounding_box_format="xyxy")
        return bbox.convert_format(out, source="xyxy", target=self.bounding_box_format,
                                   height=h, width=w)

    def get_config(self):
        return _height_width_config(self, super().get_config())


@register
class RandomZoom(_AffineBase):
    """Keras 3's ``RandomZoom(height_factor, width_factor=None, fill_mode="reflect",
    interpolation="bilinear", seed=None, fill_value=0.0, data_format=None)``: each image
    is scaled about its center; the sampling step ``1 + f`` is drawn from the factors
    (each in (-1, 1]; positive factors zoom out), ``width_factor=None`` keeps the aspect
    ratio (one draw for both axes)."""

    _FACTOR_VALIDATION_ERROR = ("The `height_factor` and `width_factor` arguments should be a "
                                "number (or a list of two numbers) in the range (-1.0, 1.0]. ")

    def __init__(self, height_factor, width_factor=None, fill_mode="reflect",
                 interpolation="bilinear", seed=None, fill_value=0.0, data_format=None,
                 **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.height_factor = height_factor
        self.height_lower, self.height_upper = self._factor_pair(
            height_factor, "height_factor", lambda v: v > -1.0)
        self.width_factor = width_factor
        if width_factor is not None:
            self.width_lower, self.width_upper = self._factor_pair(
                width_factor, "width_factor", lambda v: v > -1.0)
        self._init_common(fill_mode, interpolation, seed, fill_value)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        images = data["images"] if isinstance(data, dict) else data
        shape = dims(images)
        batch = shape[0] if len(shape) == 4 else 1
        hz = self._uniform(images, (batch, 1), 1.0 + self.height_lower,
                           1.0 + self.height_upper, seed)
        if self.width_factor is not None:
            wz = self._uniform(images, (batch, 1), 1.0 + self.width_lower,
                               1.0 + self.width_upper, seed)
        else:
            wz = hz
        return {"height_zoom": hz, "width_zoom": wz, "input_shape": shape}

    @staticmethod
    def _zoom_matrix(zooms, height, width):
        xp = namespace(zooms)
        zero = xp.zeros_like(zooms[:, 0:1])
        x_off = (as_scalar(xp, width, zooms.dtype) - 1.0) / 2.0 * (1.0 - zooms[:, 0:1])
        y_off = (as_scalar(xp, height, zooms.dtype) - 1.0) / 2.0 * (1.0 - zooms[:, 1:])
        return xp.concat([zooms[:, 0:1], zero, x_off, zero, zooms[:, 1:], y_off, zero, zero],
                         axis=1)

    def _zooms(self, transformation):
        xp = namespace(transformation["width_zoom"])
        return xp.concat([transformation["width_zoom"], transformation["height_zoom"]],
                         axis=1)

    def _transform_images(self, images, transformation, interpolation):
        if transformation is None:
            return images
        _, h, w = _batch_hw(dims(images), self.data_format)
        return self._warp(images, self._zoom_matrix(self._zooms(transformation), h, w),
                           interpolation)

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        if not training:
            return bounding_boxes
        _, h, w = _batch_hw(transformation["input_shape"], self.data_format)
        out = bbox.convert_format(bounding_boxes, source=self.bounding_box_format,
                                  target="xyxy", height=h, width=w)
        transform = self._zoom_matrix(self._zooms(transformation), h, w)
        w0, h0 = _transformed_x_y(0.0, 0.0, transform)
        xp = namespace(transform)
        w1, h1 = _transformed_x_y(as_scalar(xp, w, transform.dtype),
                                  as_scalar(xp, h, transform.dtype), transform)
        b = out["boxes"]
        if len(b.shape) == 3:
            w0, h0, w1, h1 = (xp.expand_dims(v, axis=-1) for v in (w0, h0, w1, h1))
        w0, h0, w1, h1 = (xp.astype(v, b.dtype) for v in (w0, h0, w1, h1))

        def clip(v, lo, hi):
            return xp.minimum(xp.maximum(v, lo), hi) - lo

        out["boxes"] = xp.concat([clip(b[..., 0:1], w0, w1), clip(b[..., 1:2], h0, h1),
                                  clip(b[..., 2:3], w0, w1), clip(b[..., 3:4], h0, h1)],
                                 axis=-1)
        ht, wt = h1 - h0, w1 - w0
        out = bbox.convert_format(out, source="xyxy", target="rel_xyxy", height=ht, width=wt)
        out = bbox.clip_to_image_size(out, height=ht, width=wt,
                                      bounding_box_format="rel_xyxy")
        return bbox.convert_format(out, source="rel_xyxy", target=self.bounding_box_format,
                                   height=h, width=w)

    def get_config(self):
        return _height_width_config(self, super().get_config())


@register
class RandomShear(_AffineBase):
    """Keras 3's ``RandomShear(x_factor=0.0, y_factor=0.0, interpolation="bilinear",
    fill_mode="reflect", fill_value=0.0, data_format=None, seed=None)``: each image is
    sheared along x and y by amounts drawn uniformly from the factors (each in [0, 1];
    a number ``f`` means ``[-f, f]``), with a random sign per image."""

    _FACTOR_BOUNDS = (0, 1)
    _FACTOR_VALIDATION_ERROR = ("The `factor` argument should be a number (or a list of two "
                                "numbers) in the range [0, 1.0]. ")

    def __init__(self, x_factor=0.0, y_factor=0.0, interpolation="bilinear",
                 fill_mode="reflect", fill_value=0.0, data_format=None, seed=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.x_factor = self._factor_pair(x_factor, "x_factor", lambda v: v >= 0.0)
        self.y_factor = self._factor_pair(y_factor, "y_factor", lambda v: v >= 0.0)
        self._init_common(fill_mode, interpolation, seed, fill_value)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        images = data["images"] if isinstance(data, dict) else data
        shape = dims(images)
        batch = shape[0] if len(shape) == 4 else 1
        xp = namespace(images)
        dt = self.compute_dtype
        invert = self._uniform(images, (batch, 1), 0.0, 1.0, seed, dtype=dt)
        invert = xp.where(invert > 0.5, -xp.ones_like(invert), xp.ones_like(invert))
        shear_y = self._uniform(images, (batch, 1), self.y_factor[0], self.y_factor[1], seed,
                                dtype=dt)
        shear_x = self._uniform(images, (batch, 1), self.x_factor[0], self.x_factor[1], seed,
                                dtype=dt)
        return {"shear_factor": xp.concat([shear_x, shear_y], axis=1) * invert,
                "input_shape": shape}

    @staticmethod
    def _shear_matrix(shear):
        xp = namespace(shear)
        one = xp.ones_like(shear[:, 0])
        zero = xp.zeros_like(one)
        return xp.concat([v[:, None] for v in (one, shear[:, 0], zero, shear[:, 1], one, zero,
                                                zero, zero)], axis=1)  # see base: not stack

    def _transform_images(self, images, transformation, interpolation):
        if transformation is None:
            return images
        return self._warp(images, self._shear_matrix(transformation["shear_factor"]),
                           interpolation)

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        if not training:
            return bounding_boxes
        _, h, w = _batch_hw(transformation["input_shape"], self.data_format)
        out = bbox.convert_format(bounding_boxes, source=self.bounding_box_format,
                                  target="rel_xyxy", height=h, width=w,
                                  dtype=self.compute_dtype)
        b = out["boxes"]
        xp = namespace(b)
        shear = transformation["shear_factor"]
        sx, sy = shear[:, 0:1], shear[:, 1:2]  # (B, 1): broadcast over the boxes
        x1, y1, x2, y2 = b[..., 0], b[..., 1], b[..., 2], b[..., 3]
        x1n = xp.where(sx < 0, x1 - sx * y1, x1 - sx * y2)
        x2n = xp.where(sx < 0, x2 - sx * y2, x2 - sx * y1)
        y1n = xp.where(sy > 0, y1 - sy * x2n, y1 - sy * x1n)
        y2n = xp.where(sy > 0, y2 - sy * x1n, y2 - sy * x2n)
        out["boxes"] = xp.stack([x1n, y1n, x2n, y2n], axis=-1)
        out = bbox.clip_to_image_size(out, height=h, width=w, bounding_box_format="rel_xyxy")
        return bbox.convert_format(out, source="rel_xyxy", target=self.bounding_box_format,
                                   height=h, width=w, dtype=self.compute_dtype)

    def get_config(self):
        config = super().get_config()
        config.update({"x_factor": self.x_factor, "y_factor": self.y_factor,
                       "fill_mode": self.fill_mode, "interpolation": self.interpolation,
                       "seed": self.seed, "fill_value": self.fill_value,
                       "data_format": self.data_format})
        return config
