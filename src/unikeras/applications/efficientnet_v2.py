"""``keras.applications.efficientnet_v2``: EfficientNetV2 B0-B3, S, M, L (Tan & Le, ICML
2021), Keras 3.15's layers, names and weight layout.

With ``include_preprocessing=True`` (the default) the model preprocesses float pixels in
[0, 255] itself: the B variants (3 channels) rescale to [0, 1] and normalize with the
ImageNet mean/std (a ``Normalization`` with fixed mean and variance, no weights), the
others rescale to [-1, 1]; ``preprocess_input`` passes its input through.
"""

from __future__ import annotations

import math

from . import _common
# the identity preprocess_input and ImageNet decode_predictions are V1's
from .efficientnet import (CONV_KERNEL_INITIALIZER, _bn_axis,  # noqa: F401
                           decode_predictions, head, preprocess_input, residual,
                           squeeze_excite)

BASE_WEIGHTS_PATH = ("https://storage.googleapis.com/tensorflow/keras-applications/"
                     "efficientnet_v2/")


def _stages(rows):
    """Block arguments from rows of (kernel_size, num_repeat, input_filters,
    output_filters, expand_ratio, se_ratio, strides, conv_type); conv_type 1 is the fused
    MBConv, 0 the MBConv."""
    keys = ("kernel_size", "num_repeat", "input_filters", "output_filters",
            "expand_ratio", "se_ratio", "strides", "conv_type")
    return [dict(zip(keys, row)) for row in rows]


_B = _stages(((3, 1, 32, 16, 1, 0, 1, 1), (3, 2, 16, 32, 4, 0, 2, 1),
              (3, 2, 32, 48, 4, 0, 2, 1), (3, 3, 48, 96, 4, 0.25, 2, 0),
              (3, 5, 96, 112, 6, 0.25, 1, 0), (3, 8, 112, 192, 6, 0.25, 2, 0)))
DEFAULT_BLOCKS_ARGS = {
    "efficientnetv2-s": _stages((
        (3, 2, 24, 24, 1, 0.0, 1, 1), (3, 4, 24, 48, 4, 0.0, 2, 1),
        (3, 4, 48, 64, 4, 0, 2, 1), (3, 6, 64, 128, 4, 0.25, 2, 0),
        (3, 9, 128, 160, 6, 0.25, 1, 0), (3, 15, 160, 256, 6, 0.25, 2, 0))),
    "efficientnetv2-m": _stages((
        (3, 3, 24, 24, 1, 0, 1, 1), (3, 5, 24, 48, 4, 0, 2, 1), (3, 5, 48, 80, 4, 0, 2, 1),
        (3, 7, 80, 160, 4, 0.25, 2, 0), (3, 14, 160, 176, 6, 0.25, 1, 0),
        (3, 18, 176, 304, 6, 0.25, 2, 0), (3, 5, 304, 512, 6, 0.25, 1, 0))),
    "efficientnetv2-l": _stages((
        (3, 4, 32, 32, 1, 0, 1, 1), (3, 7, 32, 64, 4, 0, 2, 1), (3, 7, 64, 96, 4, 0, 2, 1),
        (3, 10, 96, 192, 4, 0.25, 2, 0), (3, 19, 192, 224, 6, 0.25, 1, 0),
        (3, 25, 224, 384, 6, 0.25, 2, 0), (3, 7, 384, 640, 6, 0.25, 1, 0))),
    "efficientnetv2-b0": _B, "efficientnetv2-b1": _B, "efficientnetv2-b2": _B,
    "efficientnetv2-b3": _B,
}


def round_filters(filters, width_coefficient, min_depth, depth_divisor):
    """``filters * width_coefficient`` rounded to a multiple of ``depth_divisor``, at least
    ``min_depth`` (or ``depth_divisor``)."""
    filters *= width_coefficient
    minimum_depth = min_depth or depth_divisor
    return int(max(minimum_depth,
                   int(filters + depth_divisor / 2) // depth_divisor * depth_divisor))


def round_repeats(repeats, depth_coefficient):
    return int(math.ceil(depth_coefficient * repeats))


def _block_naming(name, bn_momentum):
    """A block's name prefix (Keras' default is the bare ``get_uid("block0")`` number)
    and its BatchNormalization factory ``bn(suffix)``."""
    from .. import layers
    from ..utils.general import get_uid

    if name is None:
        name = str(get_uid("block0"))
    bn_axis = _bn_axis()

    def bn(suffix):
        return layers.BatchNormalization(axis=bn_axis, momentum=bn_momentum,
                                         name=f"{name}{suffix}")

    return name, bn


def _expand(x, filters, kernel_size, strides, activation, name, bn):
    from .. import layers

    x = layers.Conv2D(filters, kernel_size=kernel_size, strides=strides, padding="same",
                      use_bias=False, kernel_initializer=CONV_KERNEL_INITIALIZER,
                      name=f"{name}expand_conv")(x)
    x = bn("expand_bn")(x)
    return layers.Activation(activation, name=f"{name}expand_activation")(x)


def MBConvBlock(input_filters, output_filters, expand_ratio=1, kernel_size=3, strides=1,
                se_ratio=0.0, bn_momentum=0.9, activation="swish", survival_probability=0.8,
                name=None):
    """The MBConv block (1x1 expansion, depthwise convolution, squeeze-and-excitation,
    1x1 projection, drop-connect residual) as a function of its input tensor.
    ``survival_probability`` is, as in Keras, the drop-connect (Dropout) rate."""
    from .. import layers

    name, bn = _block_naming(name, bn_momentum)

    def apply(inputs):
        filters = input_filters * expand_ratio
        x = inputs
        if expand_ratio != 1:
            x = _expand(x, filters, 1, 1, activation, name, bn)
        x = layers.DepthwiseConv2D(kernel_size, strides=strides, padding="same",
                                   use_bias=False,
                                   depthwise_initializer=CONV_KERNEL_INITIALIZER,
                                   name=f"{name}dwconv2")(x)
        x = bn("bn")(x)
        x = layers.Activation(activation, name=f"{name}activation")(x)
        if 0 < se_ratio <= 1:
            x = squeeze_excite(x, filters, input_filters, se_ratio, activation, name)
        x = layers.Conv2D(output_filters, 1, strides=1, padding="same", use_bias=False,
                          kernel_initializer=CONV_KERNEL_INITIALIZER,
                          name=f"{name}project_conv")(x)
        x = bn("project_bn")(x)
        if strides == 1 and input_filters == output_filters:
            x = residual(x, inputs, survival_probability, name)
        return x

    return apply


def FusedMBConvBlock(input_filters, output_filters, expand_ratio=1, kernel_size=3,
                     strides=1, se_ratio=0.0, bn_momentum=0.9, activation="swish",
                     survival_probability=0.8, name=None):
    """The fused MBConv block: the expansion and depthwise convolutions fused into one
    ``kernel_size`` convolution (then squeeze-and-excitation, 1x1 projection); without
    expansion the projection itself is the ``kernel_size`` convolution, activated."""
    from .. import layers

    name, bn = _block_naming(name, bn_momentum)

    def apply(inputs):
        filters = input_filters * expand_ratio
        x = inputs
        if expand_ratio != 1:
            x = _expand(x, filters, kernel_size, strides, activation, name, bn)
        if 0 < se_ratio <= 1:
            x = squeeze_excite(x, filters, input_filters, se_ratio, activation, name)
        fused = expand_ratio == 1
        x = layers.Conv2D(output_filters, kernel_size=kernel_size if fused else 1,
                          strides=strides if fused else 1, padding="same", use_bias=False,
                          kernel_initializer=CONV_KERNEL_INITIALIZER,
                          name=f"{name}project_conv")(x)
        x = bn("project_bn")(x)
        if fused:
            x = layers.Activation(activation, name=f"{name}project_activation")(x)
        if strides == 1 and input_filters == output_filters:
            x = residual(x, inputs, survival_probability, name)
        return x

    return apply


def EfficientNetV2(width_coefficient, depth_coefficient, default_size, dropout_rate=0.2,
                   drop_connect_rate=0.2, depth_divisor=8, min_depth=8, bn_momentum=0.9,
                   activation="swish", blocks_args="default", name="efficientnetv2",
                   include_top=True, weights="imagenet", input_tensor=None,
                   input_shape=None, pooling=None, classes=1000,
                   classifier_activation="softmax", include_preprocessing=True,
                   weights_name=None, variant=None):
    """The EfficientNetV2 scaled by ``width_coefficient``/``depth_coefficient``.
    ``variant`` ("efficientnetv2-b0", ..., "efficientnetv2-l"; default: ``name``, as in
    Keras) picks the default block arguments, the preprocessing and the ImageNet file
    (``<variant>.h5``/``<variant>_notop.h5``)."""
    from .. import layers

    variant = variant or name
    if blocks_args == "default":
        if variant not in DEFAULT_BLOCKS_ARGS:
            raise ValueError("EfficientNetV2: with blocks_args='default', the variant must "
                             f"be one of {sorted(DEFAULT_BLOCKS_ARGS)}; Received: "
                             f"{variant!r}")
        blocks_args = DEFAULT_BLOCKS_ARGS[variant]
    input_shape = _common.input_shape_for(weights, include_top, classes, input_shape,
                                          default_size=default_size)
    img_input = _common.image_input(input_tensor, input_shape)
    bn_axis = _bn_axis()

    x = img_input
    if include_preprocessing:
        num_channels = input_shape[bn_axis - 1]
        if variant.split("-")[-1].startswith("b") and num_channels == 3:
            # the V1 preprocessing for the B variants
            x = layers.Rescaling(scale=1.0 / 255)(x)
            x = layers.Normalization(mean=[0.485, 0.456, 0.406],
                                     variance=[0.229**2, 0.224**2, 0.225**2],
                                     axis=bn_axis)(x)
        else:
            x = layers.Rescaling(scale=1.0 / 128.0, offset=-1)(x)

    def filters_of(n):
        return round_filters(n, width_coefficient, min_depth, depth_divisor)

    x = layers.Conv2D(filters_of(blocks_args[0]["input_filters"]), kernel_size=3,
                      strides=2, padding="same", use_bias=False,
                      kernel_initializer=CONV_KERNEL_INITIALIZER, name="stem_conv")(x)
    x = layers.BatchNormalization(axis=bn_axis, momentum=bn_momentum, name="stem_bn")(x)
    x = layers.Activation(activation, name="stem_activation")(x)

    b = 0
    blocks = float(sum(args["num_repeat"] for args in blocks_args))  # unscaled, as Keras
    for i, args in enumerate(blocks_args):
        if args["num_repeat"] <= 0:
            raise ValueError("The number of repeats in `EfficientNetV2` must be > 0. "
                             f"Received: num_repeat={args['num_repeat']}")
        args = dict(args)
        args["input_filters"] = filters_of(args["input_filters"])
        args["output_filters"] = filters_of(args["output_filters"])
        block = {0: MBConvBlock, 1: FusedMBConvBlock}[args.pop("conv_type")]
        for j in range(round_repeats(args.pop("num_repeat"), depth_coefficient)):
            if j > 0:  # only the first block of a stage strides and widens
                args["strides"] = 1
                args["input_filters"] = args["output_filters"]
            x = block(activation=activation, bn_momentum=bn_momentum,
                      survival_probability=drop_connect_rate * b / blocks,
                      name=f"block{i + 1}{chr(j + 97)}_", **args)(x)
            b += 1

    x = layers.Conv2D(filters_of(1280), kernel_size=1, strides=1, padding="same",
                      use_bias=False, kernel_initializer=CONV_KERNEL_INITIALIZER,
                      name="top_conv")(x)
    x = layers.BatchNormalization(axis=bn_axis, momentum=bn_momentum, name="top_bn")(x)
    x = layers.Activation(activation, name="top_activation")(x)
    x = head(x, include_top, pooling, classes, classifier_activation, weights, dropout_rate)
    file_name = origin = None
    if weights_name is not None:
        file_name = f"{variant}{'' if include_top else '_notop'}.h5"
        origin = BASE_WEIGHTS_PATH + file_name
    return _common.finish(img_input, input_tensor, x, name, weights, file_name, origin)


# (width, depth, default input size) of each variant
_VARIANTS = {"B0": ("b0", 1.0, 1.0, 224), "B1": ("b1", 1.0, 1.1, 240),
             "B2": ("b2", 1.1, 1.2, 260), "B3": ("b3", 1.2, 1.4, 300),
             "S": ("-s", 1.0, 1.0, 384), "M": ("-m", 1.0, 1.0, 480),
             "L": ("-l", 1.0, 1.0, 480)}


def _variant(suffix):
    key, width, depth, size = _VARIANTS[suffix]
    variant = f"efficientnetv2-{key.lstrip('-')}"

    def builder(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
                pooling=None, classes=1000, classifier_activation="softmax",
                include_preprocessing=True, name=variant):
        return EfficientNetV2(width, depth, size, name=name, include_top=include_top,
                              weights=weights, input_tensor=input_tensor,
                              input_shape=input_shape, pooling=pooling, classes=classes,
                              classifier_activation=classifier_activation,
                              include_preprocessing=include_preprocessing,
                              weights_name=key, variant=variant)

    builder.__name__ = builder.__qualname__ = f"EfficientNetV2{suffix}"
    builder.__doc__ = (
        f"Instantiate EfficientNetV2{suffix} (default input {size}x{size}x3, at least "
        "32x32). With ``include_preprocessing`` (default) the model takes float pixels in "
        "[0, 255]; without, pixels in [-1, 1]. ``preprocess_input`` is the identity.")
    return builder


EfficientNetV2B0 = _variant("B0")
EfficientNetV2B1 = _variant("B1")
EfficientNetV2B2 = _variant("B2")
EfficientNetV2B3 = _variant("B3")
EfficientNetV2S = _variant("S")
EfficientNetV2M = _variant("M")
EfficientNetV2L = _variant("L")

