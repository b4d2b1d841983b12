"""Keras 3.15's color and intensity image layers, written once: AutoContrast,
Equalization, ContrastLimitedAdaptiveHistogramEqualization, Solarization,
RandomBrightness, RandomContrast, RandomColorDegeneration, RandomColorJitter, RandomHue,
RandomSaturation, RandomGrayscale, RandomInvert, RandomPosterization, RandomSharpness,
RandomGaussianBlur.

Each follows Keras' split (``get_random_transformation`` draws, ``transform_images``
applies) and Keras' numerics, including its quirks, so that a transformation drawn by
Keras and applied here gives Keras' pixels (tests/layers/test_image_color.py). The
transformations are drawn with unikeras' seeded generators (``keras.random``), so a seed
reproduces a run on one framework; the draws differ between frameworks, as they do
between Keras backends. None of these layers moves pixels: labels, bounding boxes and
segmentation masks pass through unchanged.

Where unikeras departs from Keras 3.15, on purpose:

* AutoContrast stretches each channel over its image's height and width in both data
  formats (Keras reduces axes (1, 2), i.e. channels and height, for channels_first).
* Integer images given to RandomBrightness/RandomContrast/RandomSaturation are computed
  in the compute dtype (Keras adds a float delta cast to the integer dtype, wrapping
  negative deltas around, or fails).
* ContrastLimitedAdaptiveHistogramEqualization passes labels, bounding boxes and
  segmentation masks through (Keras raises NotImplementedError for them).
* RandomGrayscale accepts dict inputs (Keras' draw reads ``images.shape`` of the dict).
"""

from __future__ import annotations

import math

from ....ops.core import saturate_cast
from ....ops.manipulation import pad as _pad
from ....ops.segment import segment_sum
from ....utils.serialization import register
from ....xp import epsilon, framework_of, namespace, standardize_dtype
from ....xp import random as xr
from ... import normalization as _norm
from . import _utils
from ._utils import cast, dims
from .base import BaseImagePreprocessingLayer

_VALUE_RANGE_ERROR = "The `value_range` argument should be a list of two numbers. "


def _image_ops():
    from ....ops import image

    return image


def _sorted_value_range(value_range):
    """Keras' ``_set_value_range``: a validated, sorted ``[low, high]`` list."""
    if not isinstance(value_range, (tuple, list)) or len(value_range) != 2:
        raise ValueError(_VALUE_RANGE_ERROR + f"Received: value_range={value_range}")
    return sorted(value_range)


def _is_int(dtype):
    return standardize_dtype(dtype).startswith(("int", "uint"))


def _images_of(data):
    return data["images"] if isinstance(data, dict) else data


def _batch_size(layer, images):
    """1 for a single image, the batch size for a batch (Keras' rank check)."""
    shape = dims(images)
    if len(shape) == 3:
        return 1
    if len(shape) == 4:
        return shape[0]
    raise ValueError(f'Layer "{layer.name}" ({type(layer).__name__}) expected the input image '
                     f"to be rank 3 or 4. Received: inputs.shape={tuple(images.shape)}")


def _take_flat(xp, table, idx):
    """``table[idx]`` for a 1-D ``table`` and indices of any shape."""
    return xp.reshape(xp.take(table, xp.reshape(idx, (-1,)), axis=0), dims(idx))


class _Random:
    """Seeds and draws of the random layers. ``seed`` (from a composite layer such as
    RandomColorJitter or RandAugment) is that layer's SeedGenerator, which then advances
    in place of this layer's own, as in Keras."""

    def _seeded(self, seed):
        """Keras' ``self.seed`` and ``self.generator`` (the layer's SeedGenerator)."""
        self.seed = seed
        self.generator = _seed_generator(seed)

    def _seed_pair(self, seed, like):
        if seed is None:
            return self._seed(like)
        if hasattr(seed, "next"):
            return _utils.next_seed(seed, framework_of(like))
        return seed

    def _uniform(self, shape, minval, maxval, like, seed, dtype=None):
        return xr.uniform(shape, minval, maxval, dtype=dtype or "float32",
                          seed=self._seed_pair(seed, like), framework=framework_of(like))


class _PassThrough:
    """Color layers move no pixel: labels, boxes and masks are returned unchanged. Also
    the layers' ``get_config``: the base's plus the attributes named in
    ``_CONFIG_KEYS``."""

    _CONFIG_KEYS = ()

    def get_config(self):
        config = super().get_config()
        config.update({k: getattr(self, k) for k in self._CONFIG_KEYS})
        return config

    def transform_labels(self, labels, transformation, training=True):
        return labels

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        return bounding_boxes

    def transform_segmentation_masks(self, segmentation_masks, transformation, training=True):
        return segmentation_masks


def _float_images(images, dtype):
    """Integer images in the compute dtype (float images as they are)."""
    if standardize_dtype(images.dtype).startswith(("float", "bfloat")):
        return images
    return cast(images, dtype)


def _back_to_input_dtype(xp, results, images):
    """Keras' ending of AutoContrast/Solarization: integer compute dtypes round and
    saturate (a float compute dtype returns the results as they are)."""
    if standardize_dtype(results.dtype) == standardize_dtype(images.dtype):
        return results
    if _is_int(images.dtype):
        results = xp.round(results)
    return saturate_cast(results, standardize_dtype(images.dtype))


# ====================================================================== deterministic
@register
class AutoContrast(_PassThrough, BaseImagePreprocessingLayer):
    """Keras 3's ``AutoContrast(value_range=(0, 255))``: each channel of each image is
    stretched linearly so that its minimum becomes ``value_range[0]`` and its maximum
    ``value_range[1]``; constant (and NaN) channels are left as they are. Active in
    training and inference."""

    _USE_BASE_FACTOR = False

    def __init__(self, value_range=(0, 255), **kwargs):
        super().__init__(**kwargs)
        self.value_range = _sorted_value_range(value_range)

    def transform_images(self, images, transformation=None, training=True):
        dt = self.compute_dtype
        xp = namespace(images)
        original = images
        x = cast(self._transform_value_range(images, self.value_range, (0, 255), dtype=dt), dt)
        axes = (1, 2) if self.data_format == "channels_last" else (2, 3)
        low = xp.min(x, axis=axes, keepdims=True)
        high = xp.max(x, axis=axes, keepdims=True)
        span = high - low
        # Keras divides by zero for a constant channel and restores it through the NaN
        # test below; a guarded division gives the same pixels without the warning.
        scale = 255.0 / xp.where(span == 0, xp.ones_like(span), span)
        scale = xp.where(span == 0, xp.full_like(span, math.nan), scale)
        results = xp.clip(x * scale - low * scale, 0.0, 255.0)
        results = self._transform_value_range(results, (0, 255), self.value_range, dtype=dt)
        results = xp.where(xp.isnan(results), cast(original, standardize_dtype(results.dtype)),
                           results)
        return _back_to_input_dtype(xp, results, x)

    _CONFIG_KEYS = ("value_range",)


@register
class Equalization(_PassThrough, BaseImagePreprocessingLayer):
    """Keras 3's ``Equalization(value_range=(0, 255), bins=256, data_format=None)``:
    histogram equalization of each channel. As in Keras, the histogram of a channel is
    taken over the whole batch, a channel with at most one occupied bin is kept, and
    ``training=False`` returns the images unchanged."""

    _USE_BASE_FACTOR = False

    def __init__(self, value_range=(0, 255), bins=256, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.bins = bins
        self.value_range = _sorted_value_range(value_range)

    @staticmethod
    def _scale_values(values, source_range, target_range):
        source_min, source_max = source_range
        target_min, target_max = target_range
        scale = (target_max - target_min) / (source_max - source_min)
        offset = target_min - source_min * scale
        return values * scale + offset

    def _histogram(self, xp, values, nbins):
        values = cast(values, "float32")
        scaled = (values - 0.0) * float(nbins - 1) / 255.0
        indices = xp.clip(xp.astype(scaled, xp.int32), 0, nbins - 1)
        flat = xp.reshape(indices, (-1,))
        return segment_sum(xp.ones_like(flat), flat, num_segments=nbins)

    def _equalize_channel(self, xp, channel):
        channel = self._scale_values(channel, self.value_range, (0, 255))
        hist = self._histogram(xp, channel, self.bins)
        nonzero_bins = xp.sum(xp.astype(hist != 0, xp.int32))
        cdf = xp.cumulative_sum(hist)
        big = xp.full_like(cdf, 2**31 - 1)
        cdf_min = xp.min(xp.where(cdf > 0, cdf, big))  # the first non-zero (cdf grows)
        denominator = cdf[-1] - cdf_min
        denominator = xp.where(denominator == 0, xp.ones_like(denominator), denominator)
        lut = (xp.astype((cdf - cdf_min) * 255, xp.float32)
               / xp.astype(denominator, xp.float32))
        lut = xp.clip(xp.round(lut), 0.0, 255.0)
        scaled = (channel / 255.0) * (self.bins - 1)
        indices = xp.astype(xp.clip(scaled, 0.0, float(self.bins - 1)), xp.int32)
        equalized = cast(_take_flat(xp, lut, indices), standardize_dtype(channel.dtype))
        equalized = xp.where(nonzero_bins <= 1, channel, equalized)
        return self._scale_values(equalized, (0, 255), self.value_range)

    def transform_images(self, images, transformation=None, training=True):
        if not training:
            return images
        dt = self.compute_dtype
        images = cast(images, dt)
        xp = namespace(images)
        axis = -1 if self.data_format == "channels_last" else -3
        channels = [self._equalize_channel(xp, images[..., i] if axis == -1
                                           else images[..., i, :, :])
                    for i in range(images.shape[axis])]
        return cast(xp.stack(channels, axis=axis), dt)

    _CONFIG_KEYS = ("bins", "value_range")


@register
class ContrastLimitedAdaptiveHistogramEqualization(_PassThrough, BaseImagePreprocessingLayer):
    """Keras 3's ``ContrastLimitedAdaptiveHistogramEqualization(value_range=(0, 255),
    clip_limit=4.0, tile_grid_size=(8, 8), data_format=None)`` (CLAHE): histogram
    equalization per tile of a ``tile_grid_size`` grid (images padded symmetrically to
    a multiple of it), each tile's histogram clipped at ``clip_limit`` times the mean bin
    count with the excess spread over all 256 bins, and the tiles' mappings
    interpolated bilinearly. Computed in float32; the output has the input's dtype.
    Active in training and inference, as in Keras.

    The per-tile histograms are one scatter-add (``ops.segment_sum``) rather than
    Keras' one-hot sum, whose memory grows 256-fold with the image."""

    _USE_BASE_FACTOR = False

    def __init__(self, value_range=(0, 255), clip_limit=4.0, tile_grid_size=(8, 8),
                 data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.value_range = value_range
        self.clip_limit = clip_limit
        self.tile_grid_size = tile_grid_size

    def transform_images(self, images, transformation=None, training=True):
        xp = namespace(images)
        cf = self.data_format == "channels_first"
        if cf:
            images = xp.permute_dims(images, (0, 2, 3, 1) if images.ndim == 4 else (1, 2, 0))
        original_dtype = standardize_dtype(images.dtype)
        images = self._transform_value_range(images, self.value_range, (0, 255),
                                             dtype="float32")
        images = self._clahe(xp, images)
        images = self._transform_value_range(images, (0, 255), self.value_range,
                                             dtype="float32")
        images = cast(images, original_dtype)
        if cf:
            images = xp.permute_dims(images, (0, 3, 1, 2) if images.ndim == 4 else (2, 0, 1))
        return images

    def _tile_histograms(self, xp, tiled_int, shape):
        """(B, gh, gw, C, T) ints in [0, 255] -> (B, gh, gw, C, 256) float32 counts."""
        batch = shape[0]
        if isinstance(batch, int):
            n_hist = batch * shape[1] * shape[2] * shape[3]
            base = xp.reshape(xp.arange(n_hist, dtype=xp.int32) * 256, tuple(shape[:4]) + (1,))
            ids = xp.reshape(tiled_int + base, (-1,))
            counts = segment_sum(xp.ones_like(ids, dtype=xp.float32), ids,
                                 num_segments=n_hist * 256)
            return xp.reshape(counts, tuple(shape[:4]) + (256,))
        # batch size known only at run time (tf.data): Keras' one-hot sum
        onehot = xp.astype(tiled_int[..., None] == xp.arange(256, dtype=xp.int32), xp.float32)
        return xp.sum(onehot, axis=-2)

    def _clahe(self, xp, images):
        unbatched = images.ndim == 3
        if unbatched:
            images = xp.expand_dims(images, axis=0)
        batch, height, width, channels = dims(images)
        grid_h, grid_w = self.tile_grid_size
        tile_h = (height + grid_h - 1) // grid_h
        tile_w = (width + grid_w - 1) // grid_w
        pad_h = tile_h * grid_h - height
        pad_w = tile_w * grid_w - width
        if pad_h or pad_w:
            padded = _pad(images, [[0, 0], [0, pad_h], [0, pad_w], [0, 0]], mode="symmetric")
        else:
            padded = images
        tiled = xp.reshape(padded, (-1, grid_h, tile_h, grid_w, tile_w, channels))
        tiled = xp.permute_dims(tiled, (0, 1, 3, 5, 2, 4))
        tiled = xp.reshape(tiled, (-1, grid_h, grid_w, channels, tile_h * tile_w))
        tiled_int = xp.clip(xp.astype(tiled, xp.int32), 0, 255)
        hists = self._tile_histograms(xp, tiled_int, (batch, grid_h, grid_w, channels))
        if self.clip_limit > 0:
            limit = float(self.clip_limit * (tile_h * tile_w) / 256.0)
            clipped = xp.clip(hists, 0.0, limit)
            excess = xp.sum(hists - clipped, axis=-1, keepdims=True)
            hists = clipped + excess / 256.0
        cdf = xp.cumulative_sum(hists, axis=-1)
        cdf_min = xp.min(cdf, axis=-1, keepdims=True)
        numerator = (cdf - cdf_min) * 255.0
        denominator = float(tile_h * tile_w) - cdf_min
        denominator = xp.where(denominator == 0, xp.ones_like(denominator), denominator)
        cdf_norm = xp.clip(numerator / denominator, 0.0, 255.0)
        # one tile of edge replication around the grid, for the interpolation
        cdf_pad = xp.concat([cdf_norm[:, 0:1, ...], cdf_norm, cdf_norm[:, -1:, ...]], axis=1)
        cdf_pad = xp.concat([cdf_pad[:, :, 0:1, ...], cdf_pad, cdf_pad[:, :, -1:, ...]], axis=2)

        def grid(n_tiles, tile, n):
            r = (xp.arange(n, dtype=xp.float32) - (tile / 2.0)) / tile + 1.0
            lo = xp.floor(r)
            w = r - lo
            lo_i = xp.astype(xp.clip(lo, 0.0, float(n_tiles + 1)), xp.int32)
            hi_i = xp.astype(xp.clip(lo + 1.0, 0.0, float(n_tiles + 1)), xp.int32)
            return lo_i, hi_i, w

        y0, y1, wy = grid(grid_h, tile_h, tile_h * grid_h)
        x0, x1, wx = grid(grid_w, tile_w, tile_w * grid_w)
        stride_c = 256
        stride_x = stride_c * channels
        stride_y = stride_x * (grid_w + 2)
        stride_b = stride_y * (grid_h + 2)
        cdf_flat = xp.reshape(cdf_pad, (-1,))
        pixels = xp.astype(xp.clip(padded, 0, 255), xp.int32)
        nb = pixels.shape[0] if pixels.shape[0] is not None else batch
        if isinstance(nb, int):
            b_idx = xp.arange(nb, dtype=xp.int32)
        else:  # a batch size known at run time only (tf.data)
            b_idx = xp.astype(xp.cumulative_sum(xp.ones((nb,), dtype=xp.int32)) - 1, xp.int32)
        b_idx = xp.reshape(b_idx, (-1, 1, 1, 1))
        c_idx = xp.reshape(xp.arange(channels, dtype=xp.int32), (1, 1, 1, -1))
        y0e, y1e = xp.reshape(y0, (1, -1, 1, 1)), xp.reshape(y1, (1, -1, 1, 1))
        x0e, x1e = xp.reshape(x0, (1, 1, -1, 1)), xp.reshape(x1, (1, 1, -1, 1))
        wye, wxe = xp.reshape(wy, (1, -1, 1, 1)), xp.reshape(wx, (1, 1, -1, 1))
        base = b_idx * stride_b + c_idx * stride_c + pixels
        nw = _take_flat(xp, cdf_flat, base + y0e * stride_y + x0e * stride_x)
        ne = _take_flat(xp, cdf_flat, base + y0e * stride_y + x1e * stride_x)
        sw = _take_flat(xp, cdf_flat, base + y1e * stride_y + x0e * stride_x)
        se = _take_flat(xp, cdf_flat, base + y1e * stride_y + x1e * stride_x)
        top = nw * (1.0 - wxe) + ne * wxe
        bottom = sw * (1.0 - wxe) + se * wxe
        result = (top * (1.0 - wye) + bottom * wye)[:, :height, :width, ...]
        if unbatched:
            result = xp.squeeze(result, axis=0)
        return result

    _CONFIG_KEYS = ("value_range", "clip_limit", "tile_grid_size", "data_format")


# ====================================================================== random
_SOLARIZATION_FACTOR_ERROR = ("The `addition_factor` and `threshold_factor` arguments should "
                              "be a number (or a list of two numbers) in the range [0, 1]. ")


@register
class Solarization(_Random, _PassThrough, BaseImagePreprocessingLayer):
    """Keras 3's ``Solarization(addition_factor=0.0, threshold_factor=0.0,
    value_range=(0, 255), seed=None)``: per image, a drawn addition is added (pixels
    clipped to the range) and the pixels at or above a drawn threshold are inverted.
    The draws are Keras': ``uniform(lower, upper * 255)`` of each factor (the lower end
    is not scaled, as in Keras). With the default factors every pixel is inverted."""

    _USE_BASE_FACTOR = False

    def __init__(self, addition_factor=0.0, threshold_factor=0.0, value_range=(0, 255),
                 seed=None, **kwargs):
        super().__init__(**kwargs)
        self._seeded(seed)
        self.addition_factor = self._solar_factor(addition_factor, "addition_factor")
        self.threshold_factor = self._solar_factor(threshold_factor, "threshold_factor")
        self.value_range = _sorted_value_range(value_range)

    @staticmethod
    def _solar_factor(factor, name):
        def check(v):
            if v > 1.0 or v < 0:
                raise ValueError(_SOLARIZATION_FACTOR_ERROR + f"Received: input_number={v}")

        if isinstance(factor, (tuple, list)):
            if len(factor) != 2:
                raise ValueError(_SOLARIZATION_FACTOR_ERROR + f"Received: {name}={factor}")
            check(factor[0])
            check(factor[1])
            return tuple(sorted(factor))
        if isinstance(factor, (int, float)) and not isinstance(factor, bool):
            check(factor)
            return (0, factor)
        raise ValueError(_SOLARIZATION_FACTOR_ERROR + f"Received: {name}={factor}")

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        images = _images_of(data)
        shape = (dims(images)[0], 1, 1, 1) if images.ndim == 4 else (1, 1, 1)
        dt = self.compute_dtype
        return {
            "additions": self._uniform(shape, self.addition_factor[0],
                                       self.addition_factor[1] * 255, images, seed, dt),
            "thresholds": self._uniform(shape, self.threshold_factor[0],
                                        self.threshold_factor[1] * 255, images, seed, dt),
        }

    def transform_images(self, images, transformation, training=True):
        dt = self.compute_dtype
        images = cast(images, dt)
        if not training or transformation is None:
            return images
        xp = namespace(images)
        x = self._transform_value_range(images, self.value_range, (0, 255), dtype=dt)
        results = xp.clip(x + cast(transformation["additions"], dt), 0.0, 255.0)
        results = xp.where(results < cast(transformation["thresholds"], dt), results,
                           255.0 - results)
        results = self._transform_value_range(results, (0, 255), self.value_range, dtype=dt)
        return _back_to_input_dtype(xp, results, images)

    _CONFIG_KEYS = ("value_range", "addition_factor", "threshold_factor", "seed")


def _seed_generator(seed):
    from ....state import SeedGenerator

    return SeedGenerator(seed)


@register
class RandomBrightness(_Random, _PassThrough, BaseImagePreprocessingLayer):
    """Keras 3's ``RandomBrightness(factor, value_range=(0, 255), seed=None)``: adds
    ``uniform(factor[0], factor[1]) * (high - low)`` to each image (one value for all its
    pixels and channels), clipped to ``value_range``. A number ``f`` is ``(-f, f)``."""

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(factor=factor, **kwargs)
        self._seeded(seed)
        self.value_range = _sorted_value_range(value_range)

    def get_random_transformation(self, data, training=True, seed=None):
        images = _images_of(data)
        batch = _batch_size(self, images)
        shape = (1, 1, 1) if images.ndim == 3 else (batch, 1, 1, 1)
        if not training:
            return {"rgb_delta": namespace(images).zeros(shape)}
        delta = self._uniform(shape, self.factor[0], self.factor[1], images, seed)
        return {"rgb_delta": delta * (self.value_range[1] - self.value_range[0])}

    def transform_images(self, images, transformation, training=True):
        if not training:
            return images
        images = _float_images(images, self.compute_dtype)
        xp = namespace(images)
        images = images + cast(transformation["rgb_delta"], standardize_dtype(images.dtype))
        return xp.clip(images, float(self.value_range[0]), float(self.value_range[1]))

    _CONFIG_KEYS = ("factor", "value_range", "seed")


@register
class RandomContrast(_Random, _PassThrough, BaseImagePreprocessingLayer):
    """Keras 3's ``RandomContrast(factor, value_range=(0, 255), seed=None)``: per image
    and channel, ``(x - mean) * c + mean`` with ``mean`` over height and width and
    ``c ~ uniform(1 - factor[0], 1 + factor[1])``, clipped to ``value_range``. As in
    Keras 3.15, a number ``f`` is the factor ``(0, f)``, i.e. ``c`` in ``[1, 1 + f]``."""

    _FACTOR_BOUNDS = (0, 1)

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(**kwargs)
        self._set_factor(factor)
        self.value_range = value_range
        self._seeded(seed)

    def get_random_transformation(self, data, training=True, seed=None):
        images = _images_of(data)
        batch = _batch_size(self, images)
        shape = (1, 1, 1) if images.ndim == 3 else (batch, 1, 1, 1)
        if not training:
            return {"contrast_factor": namespace(images).zeros(shape)}
        return {"contrast_factor": self._uniform(shape, 1.0 - self.factor[0],
                                                 1.0 + self.factor[1], images, seed,
                                                 self.compute_dtype)}

    def transform_images(self, images, transformation, training=True):
        if not training:
            return images
        images = _float_images(images, self.compute_dtype)
        xp = namespace(images)
        h, w = (-2, -1) if self.data_format == "channels_first" else (-3, -2)
        mean = xp.mean(xp.mean(images, axis=h, keepdims=True), axis=w, keepdims=True)
        factor = cast(transformation["contrast_factor"], standardize_dtype(images.dtype))
        out = (images - mean) * factor + mean
        return xp.clip(out, float(self.value_range[0]), float(self.value_range[1]))

    _CONFIG_KEYS = ("factor", "value_range", "seed")


@register
class RandomColorDegeneration(_Random, _PassThrough, BaseImagePreprocessingLayer):
    """Keras 3's ``RandomColorDegeneration(factor, value_range=(0, 255),
    data_format=None, seed=None)``: blends each image with its grayscale version,
    ``x + f * (gray - x)`` with ``f ~ uniform(factor)`` per image (a number ``f`` is
    ``(-f, f)``, as Keras' base factor), clipped to ``value_range``."""

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self._set_factor(factor)
        self.value_range = _sorted_value_range(value_range)
        self._seeded(seed)

    def get_random_transformation(self, data, training=True, seed=None):
        images = _images_of(data)
        batch = _batch_size(self, images)
        return {"factor": self._uniform((batch, 1, 1, 1), self.factor[0], self.factor[1],
                                        images, seed)}

    def transform_images(self, images, transformation=None, training=True):
        if not training:
            return images
        dt = self.compute_dtype
        images = cast(images, dt)
        xp = namespace(images)
        factor = cast(transformation["factor"], dt)
        gray = _image_ops().rgb_to_grayscale(images, data_format=self.data_format)
        images = images + factor * (cast(gray, dt) - images)
        return cast(xp.clip(images, float(self.value_range[0]), float(self.value_range[1])), dt)

    def compute_output_shape(self, input_shape):
        if len(input_shape) not in (3, 4):
            raise ValueError("Invalid images rank: expected rank 3 (single image) or rank 4 "
                             f"(batch of images). Received: input_shape={input_shape}")
        channels = input_shape[-1 if self.data_format == "channels_last" else -3]
        if channels is not None and channels != 3:
            raise ValueError("Input images must have 3 channels, but received images with "
                             f"{channels} channels.")
        return input_shape

    _CONFIG_KEYS = ("factor", "value_range", "seed")


def _hsv_channels(xp, images, data_format):
    if data_format == "channels_first":
        return images[:, 0, :, :], images[:, 1, :, :], images[:, 2, :, :], 1
    return images[..., 0], images[..., 1], images[..., 2], -1


@register
class RandomHue(_Random, _PassThrough, BaseImagePreprocessingLayer):
    """Keras 3's ``RandomHue(factor, value_range=(0, 255), data_format=None,
    seed=None)``: rotates the hue of each image by ``±uniform(factor) / 2`` turns (the
    sign drawn with probability 1/2), computed in float32 in HSV."""

    _FACTOR_BOUNDS = (0, 1)

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self._set_factor(factor)
        self.value_range = value_range
        self._seeded(seed)

    def get_random_transformation(self, data, training=True, seed=None):
        images = _images_of(data)
        batch = _batch_size(self, images)
        xp = namespace(images)
        invert = self._uniform((batch,), 0.0, 1.0, images, seed)
        invert = xp.where(invert > 0.5, -xp.ones_like(invert), xp.ones_like(invert))
        factor = self._uniform((batch,), self.factor[0], self.factor[1], images, seed)
        return {"factor": invert * factor * 0.5}

    def transform_images(self, images, transformation=None, training=True):
        if not training:
            return images
        ops = _image_ops()
        images = cast(images, self.compute_dtype)
        images = self._transform_value_range(images, self.value_range, (0, 1))
        xp = namespace(images)
        adjust = cast(transformation["factor"], standardize_dtype(images.dtype))
        adjust = xp.reshape(adjust, (-1, 1, 1))
        hsv = ops.rgb_to_hsv(images, data_format=self.data_format)
        h, s, v, axis = _hsv_channels(xp, hsv, self.data_format)
        h = h + adjust
        h = xp.where(h > 1.0, h - 1.0, h)
        h = xp.where(h < 0.0, h + 1.0, h)
        images = ops.hsv_to_rgb(xp.stack([h, s, v], axis=axis), data_format=self.data_format)
        images = xp.clip(images, 0.0, 1.0)
        images = self._transform_value_range(images, (0, 1), self.value_range)
        return cast(images, self.compute_dtype)

    _CONFIG_KEYS = ("factor", "value_range", "seed")


@register
class RandomSaturation(_Random, _PassThrough, BaseImagePreprocessingLayer):
    """Keras 3's ``RandomSaturation(factor, value_range=(0, 255), data_format=None,
    seed=None)``: multiplies the HSV saturation of each image by ``f / (1 - f)``, ``f ~
    uniform(factor)`` (a number ``f`` is ``(-f, f)``, Keras' base factor), the result
    clipped to ``value_range``; ``factor=0.5`` keeps the image, 1.0 saturates fully,
    0.0 gives grayscale."""

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self._set_factor(factor)
        self.value_range = _sorted_value_range(value_range)
        self._seeded(seed)

    def get_random_transformation(self, data, training=True, seed=None):
        images = _images_of(data)
        batch = _batch_size(self, images)
        factor = self._uniform((batch,), self.factor[0], self.factor[1], images, seed)
        return {"factor": factor / (1.0 - factor + epsilon())}

    def transform_images(self, images, transformation=None, training=True):
        if not training:
            return images
        images = _float_images(images, self.compute_dtype)
        ops = _image_ops()
        xp = namespace(images)
        adjust = cast(transformation["factor"], self.compute_dtype)
        adjust = xp.reshape(adjust, (-1, 1, 1))
        hsv = ops.rgb_to_hsv(images, data_format=self.data_format)
        h, s, v, axis = _hsv_channels(xp, hsv, self.data_format)
        s = xp.clip(s * cast(adjust, standardize_dtype(s.dtype)), float(self.value_range[0]),
                    float(self.value_range[1]))
        return ops.hsv_to_rgb(xp.stack([h, s, v], axis=axis), data_format=self.data_format)

    _CONFIG_KEYS = ("factor", "value_range", "seed")


@register
class RandomGrayscale(_Random, _PassThrough, BaseImagePreprocessingLayer):
    """Keras 3's ``RandomGrayscale(factor=0.5, data_format=None, seed=None)``: each
    image becomes grayscale (replicated over its channels) with probability
    ``factor``."""

    _USE_BASE_FACTOR = False

    def __init__(self, factor=0.5, data_format=None, seed=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        if factor < 0 or factor > 1:
            raise ValueError(f"`factor` should be between 0 and 1. Received: factor={factor}")
        self.factor = factor
        self._seeded(seed)

    def get_random_transformation(self, data, training=True, seed=None):
        images = _images_of(data)
        batch = dims(images)[0] if images.ndim == 4 else 1
        u = self._uniform((batch,), 0.0, 1.0, images, seed)
        return namespace(u).reshape(u < self.factor, (-1, 1, 1, 1))

    def transform_images(self, images, transformation, training=True):
        if not training:
            return images
        should_apply = (transformation if transformation is not None
                        else self.get_random_transformation(images))
        xp = namespace(images)
        gray = _image_ops().rgb_to_grayscale(images, data_format=self.data_format)
        gray = xp.broadcast_to(cast(gray, standardize_dtype(images.dtype)), dims(images))
        return xp.where(should_apply, gray, images)

    _CONFIG_KEYS = ("factor",)


class _ApplyWithProbability(_Random):
    """The draw of RandomInvert / RandomGaussianBlur / RandomErasing: per image, apply
    when ``uniform(0, 1) < p`` where ``p ~ uniform(factor)``."""

    def _apply_mask(self, batch, like, seed):
        p = self._uniform((batch,), self.factor[0], self.factor[1], like, seed)
        threshold = self._uniform((batch,), 0.0, 1.0, like, seed)
        return threshold < p


@register
class RandomInvert(_ApplyWithProbability, _PassThrough, BaseImagePreprocessingLayer):
    """Keras 3's ``RandomInvert(factor=1.0, value_range=(0, 255), seed=None,
    data_format=None)``: each image becomes ``value_range[1] - x`` with probability
    drawn from ``factor`` (a number ``f``: ``uniform(0, f)``, so 1.0 inverts half the
    images on average, as in Keras)."""

    _USE_BASE_FACTOR = False
    _FACTOR_BOUNDS = (0, 1)

    def __init__(self, factor=1.0, value_range=(0, 255), seed=None, data_format=None,
                 **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self._set_factor(factor)
        self.value_range = value_range
        self._seeded(seed)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        images = _images_of(data)
        return {"apply_inversion": self._apply_mask(_batch_size(self, images), images, seed)}

    def transform_images(self, images, transformation, training=True):
        if not training:
            return images
        images = cast(images, self.compute_dtype)
        xp = namespace(images)
        apply = xp.reshape(transformation["apply_inversion"], (-1, 1, 1, 1))
        return xp.where(apply, float(self.value_range[1]) - images, images)

    _CONFIG_KEYS = ("factor", "value_range", "seed")


@register
class RandomPosterization(_Random, _PassThrough, BaseImagePreprocessingLayer):
    """Keras 3's ``RandomPosterization(factor, value_range=(0, 255), data_format=None,
    seed=None)``: keeps the ``b`` most significant bits of each 8-bit channel value,
    ``b`` drawn per image from ``[factor[0], factor[1])`` (a number ``f`` in [1, 8] is
    ``(1, f)``; equal bounds give exactly that many bits)."""

    _USE_BASE_FACTOR = False
    _FACTOR_BOUNDS = (1, 8)
    _MAX_FACTOR = 8

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self._set_factor(factor)
        self.value_range = _sorted_value_range(value_range)
        self._seeded(seed)

    def get_random_transformation(self, data, training=True, seed=None):
        images = _images_of(data)
        batch = _batch_size(self, images)
        fw = framework_of(images)
        if self.factor[0] != self.factor[1]:
            factor = xr.randint((batch,), int(self.factor[0]), int(self.factor[1]),
                                dtype="uint8", seed=self._seed_pair(seed, images), framework=fw)
        else:
            xp = namespace(images)
            factor = xp.full((batch,), int(self.factor[0]), dtype=xp.uint8)
        return {"shift_factor": self._MAX_FACTOR - factor}

    def transform_images(self, images, transformation=None, training=True):
        if not training:
            return images
        dt = self.compute_dtype
        xp = namespace(images)
        shift = xp.reshape(transformation["shift_factor"], (-1, 1, 1, 1))
        x = self._transform_value_range(images, self.value_range, (0, 255), dtype=dt)
        x = xp.astype(x, xp.uint8)
        x = xp.bitwise_left_shift(xp.bitwise_right_shift(x, shift), shift)
        x = cast(x, dt)
        return self._transform_value_range(x, (0, 255), self.value_range, dtype=dt)

    _CONFIG_KEYS = ("factor", "value_range", "seed")


@register
class RandomSharpness(_Random, _PassThrough, BaseImagePreprocessingLayer):
    """Keras 3's ``RandomSharpness(factor, value_range=(0, 255), data_format=None,
    seed=None)``: ``x + (1 - 2 f) * (smooth(x) - x)`` with Keras' 3x3 smoothing kernel
    (1/13 around, 5/13 at the center, zero padding) and ``f ~ uniform(factor)`` per
    image (a number ``f`` is ``(0, f)``): 0.5 keeps the image, more sharpens, less
    blurs. Clipped to ``value_range``."""

    _USE_BASE_FACTOR = False
    _FACTOR_BOUNDS = (0, 1)

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self._set_factor(factor)
        self.value_range = _sorted_value_range(value_range)
        self._seeded(seed)

    def get_random_transformation(self, data, training=True, seed=None):
        images = _images_of(data)
        batch = _batch_size(self, images)
        return {"factor": self._uniform((batch,), self.factor[0], self.factor[1], images,
                                        seed)}

    def transform_images(self, images, transformation=None, training=True):
        from ....nn_ops import depthwise_conv

        dt = self.compute_dtype
        images = cast(images, dt)
        if not training:
            return images
        xp = namespace(images)
        cf = self.data_format == "channels_first"
        if cf:
            images = xp.moveaxis(images, -3, -1)
        sharpness = xp.reshape(cast(transformation["factor"] * 2, dt), (-1, 1, 1, 1))
        channels = images.shape[-1]
        a, b = 1.0 / 13.0, 5.0 / 13.0
        kernel = xp.asarray([[a, a, a], [a, b, a], [a, a, a]],
                            dtype=_norm.dtype_obj(xp, images, dt))
        kernel = xp.tile(xp.reshape(kernel, (3, 3, 1, 1)), (1, 1, channels, 1))
        smoothed = cast(depthwise_conv(images, kernel, strides=1, padding="same",
                                       data_format="channels_last"), dt)
        images = images + (1.0 - sharpness) * (smoothed - images)
        images = xp.clip(images, float(self.value_range[0]), float(self.value_range[1]))
        if cf:
            images = xp.moveaxis(images, -1, -3)
        return images

    _CONFIG_KEYS = ("factor", "value_range", "seed")


def _factor_by_name(layer, factor, name):
    """Keras' ``_set_factor_by_name`` (RandomGaussianBlur's sigma, RandomErasing's
    scale): like the base factor, in ``_FACTOR_BOUNDS``."""
    lo, hi = layer._FACTOR_BOUNDS
    error_msg = (f"The `{name}` argument should be a number (or a list of two numbers) in "
                 f"the range [{lo}, {hi}]. Received: factor={factor}")
    if isinstance(factor, (tuple, list)):
        if len(factor) != 2 or factor[0] > hi or factor[1] < lo:
            raise ValueError(error_msg)
        return tuple(sorted(factor))
    if isinstance(factor, (int, float)) and not isinstance(factor, bool):
        if factor < lo or factor > hi:
            raise ValueError(error_msg)
        factor = abs(factor)
        return (max(-factor, lo), factor)
    raise ValueError(error_msg)


@register
class RandomGaussianBlur(_ApplyWithProbability, _PassThrough, BaseImagePreprocessingLayer):
    """Keras 3's ``RandomGaussianBlur(factor=1.0, kernel_size=3, sigma=1.0,
    value_range=(0, 255), data_format=None, seed=None)``: each image is blurred with
    probability drawn from ``factor`` (as RandomInvert); the batch shares one
    ``(sigma_y, sigma_x)`` drawn from ``sigma`` (a number ``s`` is ``(0, s)``, within
    [0, 1]), ``kernel_size`` odd (or a pair of odd sizes ``(height, width)``)."""

    _USE_BASE_FACTOR = False
    _FACTOR_BOUNDS = (0, 1)

    def __init__(self, factor=1.0, kernel_size=3, sigma=1.0, value_range=(0, 255),
                 data_format=None, seed=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self._set_factor(factor)
        self.kernel_size = self._kernel_size(kernel_size, "kernel_size")
        self.sigma = _factor_by_name(self, sigma, "sigma")
        self.value_range = value_range
        self._seeded(seed)

    @staticmethod
    def _kernel_size(factor, name):
        error_msg = f"{name} must be an odd number. Received: {name}={factor}"
        if isinstance(factor, (tuple, list)):
            if len(factor) != 2:
                raise ValueError(f"The `{name}` argument should be a number (or a list of two "
                                 f"numbers) Received: {name}={factor}")
            if factor[0] % 2 == 0 or factor[1] % 2 == 0:
                raise ValueError(error_msg)
            return tuple(factor)
        if isinstance(factor, (int, float)) and not isinstance(factor, bool):
            if factor % 2 == 0:
                raise ValueError(error_msg)
            return (factor, factor)
        raise ValueError(error_msg)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        images = _images_of(data)
        apply = self._apply_mask(_batch_size(self, images), images, seed)
        sigma = self._uniform((2,), self.sigma[0], self.sigma[1], images, seed,
                              self.compute_dtype) + 1e-6
        return {"should_apply_blur": apply, "blur_factor": sigma}

    def transform_images(self, images, transformation=None, training=True):
        dt = self.compute_dtype
        images = cast(images, dt)
        if not training or transformation is None:
            return images
        xp = namespace(images)
        blurred = _image_ops().gaussian_blur(images, kernel_size=self.kernel_size,
                                             sigma=transformation["blur_factor"],
                                             data_format=self.data_format)
        apply = xp.reshape(transformation["should_apply_blur"], (-1, 1, 1, 1))
        images = xp.where(apply, cast(blurred, dt), images)
        images = xp.clip(images, float(self.value_range[0]), float(self.value_range[1]))
        return cast(images, dt)

    _CONFIG_KEYS = ("factor", "kernel_size", "sigma", "value_range", "seed")


@register
class RandomColorJitter(_Random, _PassThrough, BaseImagePreprocessingLayer):
    """Keras 3's ``RandomColorJitter(value_range=(0, 255), brightness_factor=None,
    contrast_factor=None, saturation_factor=None, hue_factor=None, seed=None,
    data_format=None)``: RandomBrightness, RandomContrast, RandomSaturation and RandomHue
    (those whose factor is given) in that order, each drawing from this layer's seed
    generator."""

    _USE_BASE_FACTOR = False

    def __init__(self, value_range=(0, 255), brightness_factor=None, contrast_factor=None,
                 saturation_factor=None, hue_factor=None, seed=None, data_format=None,
                 **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.value_range = value_range
        self.brightness_factor = brightness_factor
        self.contrast_factor = contrast_factor
        self.saturation_factor = saturation_factor
        self.hue_factor = hue_factor
        self._seeded(seed)
        self.random_brightness = self.random_contrast = None
        self.random_saturation = self.random_hue = None
        if brightness_factor is not None:
            self.random_brightness = RandomBrightness(factor=brightness_factor,
                                                      value_range=value_range, seed=seed)
        if contrast_factor is not None:
            self.random_contrast = RandomContrast(factor=contrast_factor,
                                                  value_range=value_range, seed=seed)
        if saturation_factor is not None:
            self.random_saturation = RandomSaturation(factor=saturation_factor,
                                                      value_range=value_range, seed=seed,
                                                      data_format=data_format)
        if hue_factor is not None:
            self.random_hue = RandomHue(factor=hue_factor, value_range=value_range, seed=seed,
                                        data_format=data_format)

    def _parts(self):
        return [p for p in (self.random_brightness, self.random_contrast,
                            self.random_saturation, self.random_hue) if p is not None]

    def transform_images(self, images, transformation, training=True):
        if not training:
            return images
        dt = self.compute_dtype
        images = cast(images, dt)
        for part in self._parts():
            t = part.get_random_transformation(images, training=True, seed=self.generator)
            images = part.transform_images(images, t)
        return cast(images, dt)

    _CONFIG_KEYS = ("value_range", "brightness_factor", "contrast_factor",
                    "saturation_factor", "hue_factor", "seed")


__all__ = [
    "AutoContrast", "Equalization", "ContrastLimitedAdaptiveHistogramEqualization",
    "Solarization", "RandomBrightness", "RandomContrast", "RandomColorDegeneration",
    "RandomColorJitter", "RandomHue", "RandomSaturation", "RandomGrayscale", "RandomInvert",
    "RandomPosterization", "RandomSharpness", "RandomGaussianBlur",
]
