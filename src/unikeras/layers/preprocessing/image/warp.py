"""Keras 3.15's ``RandomPerspective`` and ``RandomElasticTransform`` (on
``ops.image.perspective_transform`` / ``elastic_transform``)."""

from __future__ import annotations

from ....state import SeedGenerator
from ....utils import bounding_boxes as bbox
from ....utils.serialization import register
from ....xp import framework_of, namespace, random as xrandom
from .base import BaseImagePreprocessingLayer
from ._utils import as_scalar, cast, dims, per_image

_INTERPOLATIONS = ("nearest", "bilinear")


def _image_ops():
    from ....ops import image as image_ops

    return image_ops


class _WarpBase(BaseImagePreprocessingLayer):
    _USE_BASE_FACTOR = False
    _FACTOR_BOUNDS = (0, 1)

    def _axes(self):
        if self.data_format == "channels_first":
            self.height_axis, self.width_axis, self.channel_axis = -2, -1, -3
        else:
            self.height_axis, self.width_axis, self.channel_axis = -3, -2, -1

    def _draw(self, images, shape, lo, hi, seed, dtype=None):
        s = seed if seed is not None else self._seed(images)
        return xrandom.uniform(shape, float(lo), float(hi), dtype=dtype, seed=s,
                               framework=framework_of(images))

    def _applied(self, images, batch, seed):
        """Per image: True with probability drawn uniformly from ``factor`` (Keras)."""
        p = self._draw(images, (batch,), self.factor[0], self.factor[1], seed)
        threshold = self._draw(images, (batch,), 0.0, 1.0, seed)
        return threshold < p

    def transform_labels(self, labels, transformation, training=True):
        return labels

    def compute_output_shape(self, input_shape):
        return input_shape


@register
class RandomPerspective(_WarpBase):
    """Keras 3's ``RandomPerspective(factor=1.0, scale=1.0, interpolation="bilinear",
    fill_value=0.0, seed=None, data_format=None)``: with a probability drawn from
    ``factor``, each image's corners move by up to ``scale / 2`` of their coordinates
    and the image follows (a projective warp); bounding boxes become the boxes around
    their warped corners."""

    def __init__(self, factor=1.0, scale=1.0, interpolation="bilinear", fill_value=0.0,
                 seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self._set_factor(factor)
        if scale < 0.0 or scale > 1.0:
            raise ValueError("The `scale` argument should be a number in the range [0,1]. "
                             f"Received: scale={scale}")
        if interpolation not in _INTERPOLATIONS:
            raise NotImplementedError(f"Unknown `interpolation` {interpolation}. Expected of "
                                      f"one {_INTERPOLATIONS}.")
        self.scale = scale
        self.fill_value = fill_value
        self.interpolation = interpolation
        self.seed = seed
        self.generator = SeedGenerator(seed)
        self._axes()

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        images = data["images"] if isinstance(data, dict) else data
        shape = dims(images)
        batch = shape[0] if len(shape) == 4 else 1
        h, w = shape[self.height_axis], shape[self.width_axis]
        xp = namespace(images)
        applied = self._applied(images, batch, seed)
        factor = self._draw(images, (batch, 4, 2), -0.5 * self.scale, 0.5 * self.scale, seed,
                            dtype=self.compute_dtype)
        w1 = as_scalar(xp, w, factor.dtype) - 1.0
        h1 = as_scalar(xp, h, factor.dtype) - 1.0
        zero = xp.zeros_like(factor[:, 0, 0])
        wv, hv = zero + w1, zero + h1
        start = xp.stack([xp.stack([zero, zero], axis=-1), xp.stack([wv, zero], axis=-1),
                          xp.stack([zero, hv], axis=-1), xp.stack([wv, hv], axis=-1)],
                         axis=1)  # (B, 4, 2): the corners (x, y)
        end = start + start * factor
        return {"apply_perspective": applied, "start_points": start, "end_points": end,
                "input_shape": shape}

    def _transform_images(self, images, transformation, interpolation):
        if transformation is None:
            return images
        xp = namespace(images)
        def warp(x, start, end):
            return _image_ops().perspective_transform(
                x, start, end, interpolation=interpolation, fill_value=self.fill_value,
                data_format=self.data_format)

        out = per_image(warp, images, transformation["start_points"],
                        transformation["end_points"])
        applied = transformation["apply_perspective"][:, None, None, None]
        return xp.where(applied, cast(out, images.dtype), images)

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        if not training or transformation is None:
            return bounding_boxes
        from ....ops.image import _homography

        shape = transformation["input_shape"]
        h, w = shape[self.height_axis], shape[self.width_axis]
        out = bbox.convert_format(bounding_boxes, source=self.bounding_box_format,
                                  target="xyxy", height=h, width=w)
        boxes = out["boxes"]
        xp = namespace(boxes)
        fw = framework_of(boxes)
        # the homography maps output points to input points; boxes go the other way
        t = _homography(xp, fw, transformation["start_points"], transformation["end_points"])
        m = xp.reshape(xp.concat([t, xp.ones_like(t[:, :1])], axis=-1), (-1, 3, 3))
        inv = xp.astype(xp.linalg.inv(m), boxes.dtype)[:, None, :, :]  # (B, 1, 3, 3)
        x0, y0, x1, y1 = (boxes[..., i] for i in range(4))
        xs, ys = [], []
        for cx, cy in ((x0, y0), (x1, y1), (x0, y1), (x1, y0)):
            p = xp.stack([cx, cy, xp.ones_like(cx)], axis=-1)[..., None]  # (B, N, 3, 1)
            q = (inv @ p)[..., 0]
            xs.append(q[..., 0] / q[..., 2])
            ys.append(q[..., 1] / q[..., 2])
        xs, ys = xp.stack(xs, axis=-1), xp.stack(ys, axis=-1)
        warped = xp.stack([xp.min(xs, axis=-1), xp.min(ys, axis=-1), xp.max(xs, axis=-1),
                           xp.max(ys, axis=-1)], axis=-1)
        applied = transformation["apply_perspective"][:, None, None]
        out["boxes"] = xp.where(applied, warped, boxes)
        out = bbox.clip_to_image_size(out, height=h, width=w, bounding_box_format="xyxy")
        return bbox.convert_format(out, source="xyxy", target=self.bounding_box_format,
                                   height=h, width=w)

    def get_config(self):
        config = super().get_config()
        config.update({"factor": self.factor, "scale": self.scale,
                       "interpolation": self.interpolation, "fill_value": self.fill_value,
                       "seed": self.seed})
        return config


@register
class RandomElasticTransform(_WarpBase):
    """Keras 3's ``RandomElasticTransform(factor=1.0, scale=1.0, interpolation="bilinear",
    fill_mode="reflect", fill_value=0.0, value_range=(0, 255), seed=None,
    data_format=None)``: with a probability drawn from ``factor``, each image is
    deformed by ``ops.image.elastic_transform`` with ``alpha = 0.1 * s * max(H, W)`` and
    ``sigma = 0.05 * s * min(H, W)``, ``s`` drawn from ``scale`` once per call; outputs
    are clipped to ``value_range``. Bounding boxes are not supported (as in Keras)."""

    _FILL_MODES = ("constant", "nearest", "wrap", "mirror", "reflect")

    def __init__(self, factor=1.0, scale=1.0, interpolation="bilinear", fill_mode="reflect",
                 fill_value=0.0, value_range=(0, 255), seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self._set_factor(factor)
        self.scale = self._scale_pair(scale)
        if interpolation not in _INTERPOLATIONS:
            raise NotImplementedError(f"Unknown `interpolation` {interpolation}. Expected of "
                                      f"one {_INTERPOLATIONS}.")
        if fill_mode not in self._FILL_MODES:
            raise NotImplementedError(f"Unknown `fill_mode` {fill_mode}. Expected of one "
                                      f"{set(self._FILL_MODES)}.")
        self.interpolation = interpolation
        self.fill_mode = fill_mode
        self.fill_value = fill_value
        self.value_range = value_range
        self.seed = seed
        self.generator = SeedGenerator(seed)
        self._axes()

    def _scale_pair(self, factor):
        lo, hi = self._FACTOR_BOUNDS
        error = ("The `scale` argument should be a number (or a list of two numbers) in the "
                 f"range [{lo}, {hi}]. Received: factor={factor}")
        if isinstance(factor, (tuple, list)):
            if len(factor) != 2 or factor[0] > hi or factor[1] < lo:
                raise ValueError(error)
            return tuple(sorted(factor))
        if isinstance(factor, (int, float)) and not isinstance(factor, bool):
            if factor < lo or factor > hi:
                raise ValueError(error)
            return (max(-abs(factor), lo), abs(factor))
        raise ValueError(error)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training or self.scale[1] == 0 or self.factor[1] == 0:
            return None
        images = data["images"] if isinstance(data, dict) else data
        shape = dims(images)
        batch = shape[0] if len(shape) == 4 else 1
        applied = self._applied(images, batch, seed)
        distortion = self._draw(images, (), self.scale[0], self.scale[1], seed,
                                dtype=self.compute_dtype)
        warp_seed = seed if seed is not None else self._seed(images)
        return {"apply_transform": applied, "distortion_factor": distortion,
                "seed": warp_seed}

    def get_elastic_transform_params(self, height, width, factor):
        return max(height, width) * 0.1 * factor, min(height, width) * 0.05 * factor

    def _transform_images(self, images, transformation, interpolation):
        if transformation is None:
            return images
        xp = namespace(images)
        h, w = images.shape[self.height_axis], images.shape[self.width_axis]
        factor = transformation["distortion_factor"]
        try:        # eagerly: the blur kernel of the drawn size
            factor, max_sigma = float(factor), None
        except Exception:  # a tf.data map or a traced step: the drawn factor stays an
            # array and the blur kernel has the static size of the largest ``scale``
            _, max_sigma = self.get_elastic_transform_params(h, w, float(self.scale[1]))
        alpha, sigma = self.get_elastic_transform_params(h, w, factor)
        warped = _image_ops()._elastic_transform(
            images, alpha, sigma, interpolation, self.fill_mode, self.fill_value,
            transformation["seed"], self.data_format, max_sigma=max_sigma)
        applied = transformation["apply_transform"][:, None, None, None]
        out = cast(xp.where(applied, cast(warped, images.dtype), images), self.compute_dtype)
        lo, hi = (float(v) for v in self.value_range)
        return xp.minimum(xp.maximum(out, lo), hi)

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        raise NotImplementedError(
            f'Layer "{self.name}" (RandomElasticTransform) does not transform bounding '
            "boxes (Keras 3.15 has no rule for them: an elastic warp does not keep boxes "
            "boxes); pass images, labels and segmentation masks only")

    def get_config(self):
        config = super().get_config()
        config.update({"factor": self.factor, "scale": self.scale,
                       "interpolation": self.interpolation, "fill_mode": self.fill_mode,
                       "fill_value": self.fill_value, "value_range": self.value_range,
                       "seed": self.seed})
        return config
