"""Keras 3.15's composite augmentation policies, RandAugment and AugMix, written once
over the color layers (color.py) and the geometric ones (RandomShear,
RandomTranslation, RandomRotation).

RandAugment applies ``num_ops`` operations drawn per call from its eleven. Keras
computes all eleven for each of the ``num_ops`` steps and keeps the drawn one with
``where``, so that the step traces in a graph; here, when the drawn indices can be read
(eager calls: one read of ``num_ops`` ints), only the drawn operations run, and inside a
traced function (jax.jit, tf.function, tf.data) Keras' ``where`` over all of them runs.
Both give the same images.

AugMix draws the operations of its chains on the host: Keras uses Python's global
``random.choice``, which no seed reproduces; here a NumPy generator seeded from the
layer's ``seed`` (its own draws) picks them, so a seed reproduces a run, and the choice
is a Python value, static under tracing as in Keras.
"""

from __future__ import annotations

import numpy as np

from ....utils.serialization import register
from ....xp import framework_of, namespace, to_numpy
from ....xp import random as xr
from ._utils import cast
from .base import BaseImagePreprocessingLayer
from .color import (AutoContrast, Equalization, RandomBrightness, RandomColorDegeneration,
                    RandomContrast, RandomPosterization, RandomSharpness, Solarization, _Random,
                    _seed_generator)


def _geometric():
    from . import RandomRotation, RandomShear, RandomTranslation

    return RandomShear, RandomTranslation, RandomRotation


def _concrete(x):
    """``x`` as NumPy when it can be read (eager), None inside a traced function."""
    try:
        return np.asarray(to_numpy(x))
    except Exception:  # a jax tracer, a symbolic tf.Tensor: the traced path
        return None


def _sublayer_kwargs(kwargs):
    """The keyword arguments Keras hands on to the policy's sublayers (not the name:
    one name for eleven layers would make their variable paths collide)."""
    return {k: v for k, v in kwargs.items() if k in ("dtype",)}


def _build_ops(owner, names, kwargs):
    RandomShear, RandomTranslation, RandomRotation = _geometric()
    f, vr, seed, df, interp = (owner.factor, owner.value_range, owner.seed, owner.data_format,
                               owner.interpolation)
    kw = _sublayer_kwargs(kwargs)
    make = {
        "random_shear": lambda: RandomShear(x_factor=f, y_factor=f, interpolation=interp,
                                            seed=seed, data_format=df, **kw),
        "random_translation": lambda: RandomTranslation(
            height_factor=f, width_factor=f, interpolation=interp, seed=seed, data_format=df,
            **kw),
        "random_rotation": lambda: RandomRotation(factor=f, interpolation=interp, seed=seed,
                                                  data_format=df, **kw),
        "random_brightness": lambda: RandomBrightness(factor=f, value_range=vr, seed=seed,
                                                      data_format=df, **kw),
        "random_color_degeneration": lambda: RandomColorDegeneration(
            factor=f, value_range=vr, seed=seed, data_format=df, **kw),
        "random_contrast": lambda: RandomContrast(factor=f, value_range=vr, seed=seed,
                                                  data_format=df, **kw),
        "random_sharpness": lambda: RandomSharpness(factor=f, value_range=vr, seed=seed,
                                                    data_format=df, **kw),
        "solarization": lambda: Solarization(addition_factor=f, threshold_factor=f,
                                             value_range=vr, seed=seed, data_format=df, **kw),
        "random_posterization": lambda: RandomPosterization(
            factor=max(1, int(8 * f[1])), value_range=vr, seed=seed, data_format=df, **kw),
        "auto_contrast": lambda: AutoContrast(value_range=vr, data_format=df, **kw),
        "equalization": lambda: Equalization(value_range=vr, data_format=df, **kw),
    }
    for name in names:
        setattr(owner, name, make[name]())


@register
class RandAugment(_Random, BaseImagePreprocessingLayer):
    """Keras 3's ``RandAugment(value_range=(0, 255), num_ops=2, factor=0.5,
    interpolation="bilinear", seed=None, data_format=None)``: per call, ``num_ops``
    operations drawn uniformly (with repetition) from shear, translation, rotation,
    brightness, color degeneration, contrast, sharpness, posterization, solarization,
    auto-contrast and equalization, each with magnitude range ``factor`` (a number
    ``f`` is ``(0, f)``), applied in turn to the whole batch."""

    _USE_BASE_FACTOR = False
    _FACTOR_BOUNDS = (0, 1)
    _AUGMENT_LAYERS = [
        "random_shear", "random_translation", "random_rotation", "random_brightness",
        "random_color_degeneration", "random_contrast", "random_sharpness",
        "random_posterization", "solarization", "auto_contrast", "equalization",
    ]

    def __init__(self, value_range=(0, 255), num_ops=2, factor=0.5, interpolation="bilinear",
                 seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.value_range = value_range
        self.num_ops = num_ops
        self._set_factor(factor)
        self.interpolation = interpolation
        self.seed = seed
        self.generator = _seed_generator(seed)
        _build_ops(self, self._AUGMENT_LAYERS, kwargs)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        images = data["images"] if isinstance(data, dict) else data
        idx = xr.randint((self.num_ops,), 0, len(self._AUGMENT_LAYERS),
                         seed=self._seed_pair(None, images), framework=framework_of(images))
        picked = _concrete(idx)
        transforms = {}
        for name in self._AUGMENT_LAYERS:
            if picked is not None and self._AUGMENT_LAYERS.index(name) not in picked:
                continue
            transforms[name] = getattr(self, name).get_random_transformation(
                data, training=True, seed=self.generator)
        return {"transforms": transforms, "layer_idxes": idx, "_picked": picked}

    def _steps(self, transformation):
        """(op index, name) in the order Keras applies them, and whether to select with
        ``where`` (traced) or apply directly (the drawn indices were read)."""
        picked = transformation.get("_picked")
        if picked is None:
            picked = _concrete(transformation["layer_idxes"])
        return picked

    def transform_images(self, images, transformation, training=True):
        dt = self.compute_dtype
        images = cast(images, dt)
        if not training or transformation is None:
            return images
        transforms = transformation["transforms"]
        picked = self._steps(transformation)
        if picked is not None:
            for i in picked.tolist():
                name = self._AUGMENT_LAYERS[i]
                images = cast(getattr(self, name).transform_images(images, transforms[name]), dt)
            return images
        xp = namespace(images)
        idx = transformation["layer_idxes"]
        for i in range(self.num_ops):
            for j, name in enumerate(self._AUGMENT_LAYERS):
                out = cast(getattr(self, name).transform_images(images, transforms[name]), dt)
                images = xp.where(idx[i] == j, out, images)
        return images

    def transform_labels(self, labels, transformation, training=True):
        return labels

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        if not training or transformation is None:
            return bounding_boxes
        transforms = transformation["transforms"]
        picked = self._steps(transformation)
        idx = transformation["layer_idxes"]
        boxes = dict(bounding_boxes)
        # Keras: for each operation in list order, the boxes transformed from the current
        # ones are kept where one of the drawn steps is that operation
        for j, name in enumerate(self._AUGMENT_LAYERS):
            if picked is not None:
                if j in picked.tolist():
                    boxes = dict(getattr(self, name).transform_bounding_boxes(
                        dict(boxes), transforms[name]))
                continue
            new = getattr(self, name).transform_bounding_boxes(dict(boxes), transforms[name])
            for i in range(self.num_ops):
                for key in ("boxes", "labels"):
                    xp = namespace(boxes[key])
                    boxes[key] = xp.where(idx[i] == j, new[key], boxes[key])
        return boxes

    def transform_segmentation_masks(self, segmentation_masks, transformation, training=True):
        if not training or transformation is None:
            return segmentation_masks
        transforms = transformation["transforms"]
        picked = self._steps(transformation)
        if picked is not None:
            for i in picked.tolist():
                name = self._AUGMENT_LAYERS[i]
                segmentation_masks = getattr(self, name).transform_segmentation_masks(
                    segmentation_masks, transforms[name])
            return segmentation_masks
        xp = namespace(segmentation_masks)
        idx = transformation["layer_idxes"]
        for i in range(self.num_ops):
            for j, name in enumerate(self._AUGMENT_LAYERS):
                out = getattr(self, name).transform_segmentation_masks(segmentation_masks,
                                                                       transforms[name])
                segmentation_masks = xp.where(idx[i] == j, out, segmentation_masks)
        return segmentation_masks

    def get_config(self):
        config = super().get_config()
        config.update({"value_range": self.value_range, "num_ops": self.num_ops,
                       "factor": self.factor, "interpolation": self.interpolation,
                       "seed": self.seed})
        return config


_AUGMIX_ALL = ["random_shear", "random_translation", "random_rotation", "random_posterization",
               "solarization", "auto_contrast", "equalization", "random_brightness",
               "random_color_degeneration", "random_contrast", "random_sharpness"]
_AUGMIX_BASIC = _AUGMIX_ALL[:7]


@register
class AugMix(_Random, BaseImagePreprocessingLayer):
    """Keras 3's ``AugMix(value_range=(0, 255), num_chains=3, chain_depth=3, factor=0.3,
    alpha=1.0, all_ops=True, interpolation="bilinear", seed=None, data_format=None)``:
    ``num_chains`` chains of up to ``chain_depth`` operations (each step one of the
    operations or none, uniformly), mixed with Dirichlet(``alpha``) weights, and the mix
    blended with the image by a Beta(``alpha``, ``alpha``) weight; clipped to
    ``value_range``. ``all_ops=False`` leaves out brightness, color degeneration,
    contrast and sharpness."""

    _USE_BASE_FACTOR = False
    _FACTOR_BOUNDS = (0, 1)

    def __init__(self, value_range=(0, 255), num_chains=3, chain_depth=3, factor=0.3,
                 alpha=1.0, all_ops=True, interpolation="bilinear", seed=None,
                 data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.value_range = value_range
        self.num_chains = num_chains
        self.chain_depth = chain_depth
        self._set_factor(factor)
        self.alpha = alpha
        self.all_ops = all_ops
        self.interpolation = interpolation
        self.seed = seed
        self.generator = _seed_generator(seed)
        self._augment_layers = list(_AUGMIX_ALL if all_ops else _AUGMIX_BASIC)
        self._choices = np.random.default_rng(seed)
        _build_ops(self, self._augment_layers, kwargs)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        images = data["images"] if isinstance(data, dict) else data
        fw = framework_of(images)
        gamma = xr.gamma((self.num_chains,), self.alpha, seed=self._seed_pair(None, images),
                         framework=fw)
        xp = namespace(gamma)
        weights = gamma / xp.sum(gamma, axis=-1, keepdims=True)
        weight_sample = xr.beta((), self.alpha, self.alpha, seed=self._seed_pair(None, images),
                                framework=fw)
        options = self._augment_layers + [None]
        chains = []
        for _ in range(self.num_chains):
            steps = []
            for _ in range(self.chain_depth):
                name = options[int(self._choices.integers(len(options)))]
                if name is None:
                    continue
                steps.append({"layer_name": name,
                              "transformation": getattr(self, name).get_random_transformation(
                                  data, training=True, seed=self.generator)})
            chains.append(steps)
        return {"chain_mixing_weights": weights, "weight_sample": weight_sample,
                "chain_transforms": chains}

    def _mix(self, x, transformation, method):
        dt = self.compute_dtype
        xp = namespace(x)
        weights = cast(transformation["chain_mixing_weights"], dt)
        ws = cast(transformation["weight_sample"], dt)
        aug = xp.zeros_like(x)
        for i, chain in enumerate(transformation["chain_transforms"]):
            y = x
            for step in chain:
                y = cast(getattr(getattr(self, step["layer_name"]), method)(
                    y, step["transformation"]), dt)
            aug = aug + y * weights[i]
        return ws * x + (1 - ws) * aug

    def transform_images(self, images, transformation, training=True):
        dt = self.compute_dtype
        images = cast(images, dt)
        if not training or transformation is None:
            return images
        xp = namespace(images)
        images = self._mix(images, transformation, "transform_images")
        return cast(xp.clip(images, float(self.value_range[0]), float(self.value_range[1])),
                    dt)

    def transform_labels(self, labels, transformation, training=True):
        return labels

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        return bounding_boxes

    def transform_segmentation_masks(self, segmentation_masks, transformation, training=True):
        if not training or transformation is None:
            return segmentation_masks
        masks = cast(segmentation_masks, self.compute_dtype)
        return self._mix(masks, transformation, "transform_segmentation_masks")

    def get_config(self):
        config = super().get_config()
        config.update({"value_range": self.value_range, "num_chains": self.num_chains,
                       "chain_depth": self.chain_depth, "factor": self.factor,
                       "alpha": self.alpha, "all_ops": self.all_ops,
                       "interpolation": self.interpolation, "seed": self.seed})
        return config


__all__ = ["RandAugment", "AugMix"]
