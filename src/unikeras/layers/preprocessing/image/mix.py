"""Keras 3.15's image layers that cut or mix: RandomErasing, MixUp, CutMix, written once.

MixUp and CutMix mix each image with another image of the batch (a seeded permutation)
and mix the labels with the same weights, as Keras does; RandomErasing fills a random
box of each image. Draws come from unikeras' seeded generators (``keras.random``: the
Beta weights from ``random.beta``), so a seed reproduces a run on one framework.

Where unikeras departs from Keras 3.15, on purpose:

* MixUp's bounding boxes: Keras concatenates the box *labels* of the partner images
  along the batch axis (giving ``(2B, N)`` labels for ``(B, 2N, 4)`` boxes); here both
  are concatenated along the box axis, ``(B, 2N)`` and ``(B, 2N, 4)``.
* MixUp's segmentation masks are mixed image by image like the images (Keras gathers
  from the flattened masks).
* RandomErasing's per-channel ``fill_value`` follows ``data_format`` (Keras broadcasts
  it over the last axis in both formats).
* CutMix with bounding boxes raises a ValueError naming the layer (Keras raises a bare
  NotImplementedError).
"""

from __future__ import annotations

from ....utils.serialization import register
from ....xp import framework_of, namespace, standardize_dtype
from ....xp import random as xr
from ._utils import cast, dims
from .base import BaseImagePreprocessingLayer
from .color import (_batch_size, _factor_by_name, _float_images, _images_of, _PassThrough,
                    _Random)


def _mix_rows(x, transformation, dtype):
    """``w * x + (1 - w) * x[perm]`` row by row (labels, masks), in a float dtype."""
    x = _float_images(x, dtype)
    xp = namespace(x)
    w = cast(transformation["mix_weight"], standardize_dtype(x.dtype))
    w = xp.reshape(w, (-1,) + (1,) * (x.ndim - 1))
    partner = xp.take(x, transformation["permutation_order"], axis=0)
    return w * x + (1.0 - w) * partner


class _Boxes:
    """The random box of RandomErasing and CutMix (Keras' ``_compute_crop_bounds`` and
    ``_generate_batch_mask``): a side of ``ratio * size`` placed uniformly inside the
    image, as a boolean mask broadcast over the channels."""

    def _axes(self):
        if self.data_format == "channels_first":
            return -2, -1, -3
        return -3, -2, -1

    def _crop_bounds(self, batch, length, ratio, like, seed):
        dt = self.compute_dtype
        crop = cast(ratio * float(length), dt)
        start = self._uniform((batch,), 0.0, 1.0, like, seed, dt) * (float(length) - crop)
        return start, start + crop

    def _batch_mask(self, xp, images, shape, corners):
        h_axis, w_axis, c_axis = self._axes()
        height, width = shape[h_axis], shape[w_axis]
        dt = corners[0].dtype
        gy = xp.reshape(xp.arange(height, dtype=dt), (-1, 1))
        gx = xp.reshape(xp.arange(width, dtype=dt), (1, -1))
        x0, x1, y0, y1 = (xp.reshape(c, (-1, 1, 1)) for c in corners)
        mask = (gx >= x0) & (gx < x1) & (gy >= y0) & (gy < y1)  # (B, H, W)
        mask = xp.expand_dims(mask, axis=1 if self.data_format == "channels_first" else 3)
        full = (dims(mask)[0],) + tuple(shape[-3:])
        return xp.broadcast_to(mask, full)


@register
class RandomErasing(_Boxes, _Random, _PassThrough, BaseImagePreprocessingLayer):
    """Keras 3's ``RandomErasing(factor=1.0, scale=(0.02, 0.33), fill_value=None,
    value_range=(0, 255), seed=None, data_format=None)``: with a probability drawn from
    ``factor`` (as RandomInvert), a box of each image whose sides are
    ``sqrt(uniform(scale))`` of the image's is filled with ``fill_value`` (a number, or one
    per channel), or with Gaussian noise times ``value_range[1]`` when it is None; the
    fill is clipped to ``value_range``."""

    _USE_BASE_FACTOR = False
    _FACTOR_BOUNDS = (0, 1)

    def __init__(self, factor=1.0, scale=(0.02, 0.33), fill_value=None, value_range=(0, 255),
                 seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self._set_factor(factor)
        self.scale = _factor_by_name(self, scale, "scale")
        if fill_value is not None and not (
                isinstance(fill_value, (int, float)) and not isinstance(fill_value, bool)
                or isinstance(fill_value, (tuple, list)) and len(fill_value) == 3):
            raise ValueError("The `fill_value` argument should be a number (or a list of "
                             f"three numbers) Received: fill_value={fill_value}")
        self.fill_value = fill_value
        self.value_range = value_range
        self._seeded(seed)

    def _fill(self, xp, images, shape, seed):
        dt = self.compute_dtype
        lo, hi = float(self.value_range[0]), float(self.value_range[1])
        if self.fill_value is None:
            fill = xr.normal(tuple(shape), dtype=dt, seed=self._seed_pair(seed, images),
                             framework=framework_of(images)) * hi
        elif isinstance(self.fill_value, (tuple, list)):
            per = xp.asarray([float(v) for v in self.fill_value],
                             dtype=cast(images[..., :1], dt).dtype)
            per = xp.reshape(per, (-1, 1, 1) if self.data_format == "channels_first" else (-1,))
            fill = xp.broadcast_to(per, tuple(shape))
        else:
            fill = xp.full(tuple(shape), float(self.fill_value),
                           dtype=cast(images[..., :1], dt).dtype)
        return xp.clip(fill, lo, hi)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        images = _images_of(data)
        batch = _batch_size(self, images)
        shape = dims(images)
        xp = namespace(images)
        h_axis, w_axis, _ = self._axes()
        weight = xp.sqrt(self._uniform((batch, 2), self.scale[0], self.scale[1], images, seed,
                                       self.compute_dtype))
        x0, x1 = self._crop_bounds(batch, shape[w_axis], weight[:, 0], images, seed)
        y0, y1 = self._crop_bounds(batch, shape[h_axis], weight[:, 1], images, seed)
        masks = self._batch_mask(xp, images, shape, (x0, x1, y0, y1))
        p = self._uniform((batch,), self.factor[0], self.factor[1], images, seed)
        threshold = self._uniform((batch,), 0.0, 1.0, images, seed)
        return {"apply_erasing": threshold < p, "batch_masks": masks,
                "fill_value": self._fill(xp, images, shape, seed)}

    def transform_images(self, images, transformation=None, training=True):
        dt = self.compute_dtype
        images = cast(images, dt)
        if not training or transformation is None:
            return images
        xp = namespace(images)
        erased = xp.where(transformation["batch_masks"], cast(transformation["fill_value"], dt),
                          images)
        apply = xp.reshape(transformation["apply_erasing"], (-1, 1, 1, 1))
        return cast(xp.where(apply, erased, images), dt)

    _CONFIG_KEYS = ("factor", "scale", "fill_value", "value_range", "seed")


def _permutation(layer, batch, like, seed):
    """A random permutation of the batch: the order of ``batch`` uniform draws (works
    where the batch size is known only at run time, as in tf.data)."""
    keys = xr.uniform((batch,), seed=layer._seed_pair(seed, like), framework=framework_of(like))
    return namespace(keys).argsort(keys)


@register
class MixUp(_Random, _PassThrough, BaseImagePreprocessingLayer):
    """Keras 3's ``MixUp(alpha=0.2, data_format=None, seed=None)``: each image becomes
    ``w * x + (1 - w) * x[perm]`` with ``w ~ Beta(alpha, alpha)`` per image and a random
    permutation ``perm`` of the batch; labels are mixed with the same ``w`` (pass
    ``{"images": ..., "labels": one_hot}``), bounding boxes of both images are kept."""

    _USE_BASE_FACTOR = False

    def __init__(self, alpha=0.2, data_format=None, seed=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.alpha = alpha
        self._seeded(seed)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        images = _images_of(data)
        batch = 1 if images.ndim == 3 else dims(images)[0]
        perm = _permutation(self, batch, images, seed)
        weight = xr.beta((batch,), self.alpha, self.alpha, seed=self._seed_pair(seed, images),
                         framework=framework_of(images))
        return {"mix_weight": weight, "permutation_order": perm}

    def transform_images(self, images, transformation=None, training=True):
        dt = self.compute_dtype
        if not training or transformation is None:
            return images
        return _mix_rows(cast(images, dt), transformation, dt)

    def transform_labels(self, labels, transformation, training=True):
        if not training or transformation is None:
            return labels
        return _mix_rows(labels, transformation, self.compute_dtype)

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        if not training or transformation is None:
            return bounding_boxes
        perm = transformation["permutation_order"]
        out = dict(bounding_boxes)
        for key in ("boxes", "labels"):
            v = bounding_boxes[key]
            xp = namespace(v)
            out[key] = xp.concat([v, xp.take(v, perm, axis=0)], axis=1)
        return out

    def transform_segmentation_masks(self, segmentation_masks, transformation, training=True):
        if not training or transformation is None:
            return segmentation_masks
        return _mix_rows(segmentation_masks, transformation, self.compute_dtype)

    _CONFIG_KEYS = ("alpha", "seed")


@register
class CutMix(_Boxes, _Random, _PassThrough, BaseImagePreprocessingLayer):
    """Keras 3's ``CutMix(factor=1.0, seed=None, data_format=None)``: a box of each image
    is replaced by the same box of another image of the batch (a random permutation);
    the box covers ``1 - w`` of the area, ``w ~ Beta(a, a)`` with ``a ~ uniform(factor)``
    drawn per batch, and labels are mixed by the exact covered fraction. Single images
    (rank 3) pass unchanged; segmentation masks are cut like the images."""

    _USE_BASE_FACTOR = False
    _FACTOR_BOUNDS = (0, 1)

    def __init__(self, factor=1.0, seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self._set_factor(factor)
        self._seeded(seed)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        images = _images_of(data)
        if images.ndim == 3:
            return None
        xp = namespace(images)
        shape = dims(images)
        batch = shape[0]
        h_axis, w_axis, _ = self._axes()
        dt = self.compute_dtype
        alpha = self._uniform((), self.factor[0], self.factor[1], images, seed, dt) + 1e-6
        weight = xr.beta((batch,), alpha, alpha, dtype=dt, seed=self._seed_pair(seed, images),
                         framework=framework_of(images))
        ratio = xp.sqrt(1.0 - weight)
        x0, x1 = self._crop_bounds(batch, shape[w_axis], ratio, images, seed)
        y0, y1 = self._crop_bounds(batch, shape[h_axis], ratio, images, seed)
        masks = self._batch_mask(xp, images, shape, (x0, x1, y0, y1))
        area = float(shape[w_axis]) * float(shape[h_axis])
        mix_weight = 1.0 - (x1 - x0) * (y1 - y0) / area
        return {"permutation_order": _permutation(self, batch, images, seed),
                "batch_masks": masks, "mix_weight": mix_weight}

    def transform_images(self, images, transformation=None, training=True):
        dt = self.compute_dtype
        images = cast(images, dt)
        if not training or transformation is None:
            return images
        xp = namespace(images)
        partner = xp.take(images, transformation["permutation_order"], axis=0)
        return xp.where(transformation["batch_masks"], partner, images)

    def transform_labels(self, labels, transformation, training=True):
        if not training or transformation is None:
            return labels
        return _mix_rows(labels, transformation, self.compute_dtype)

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        raise ValueError(f'Layer "{self.name}" (CutMix) does not transform bounding boxes '
                         "(as in Keras 3.15); received an input with a 'bounding_boxes' key")

    def transform_segmentation_masks(self, segmentation_masks, transformation, training=True):
        return self.transform_images(segmentation_masks, transformation, training)

    _CONFIG_KEYS = ("factor", "seed")


__all__ = ["RandomErasing", "MixUp", "CutMix"]
