"""``keras.applications.efficientnet``: EfficientNetB0-B7 (Tan & Le, ICML 2019), Keras
3.15's layers, names and weight layout.

The input preprocessing is part of the model (``Rescaling(1/255)`` then a
``Normalization`` layer whose mean/variance are weights, loaded with the ImageNet file), so
``preprocess_input`` passes its input through. With ``weights="imagenet"`` Keras adds one
more ``Rescaling`` by ``1/sqrt(std)`` per channel (the original implementation divided by
the variance, not the std), and so does this module.
"""

from __future__ import annotations

import math

from . import _common, imagenet_utils

BASE_WEIGHTS_PATH = "https://storage.googleapis.com/keras-applications/"
IMAGENET_STDDEV_RGB = [0.229, 0.224, 0.225]

# (kernel_size, repeats, filters_in, filters_out, expand_ratio, strides) of the seven
# stages of B0; every block has id_skip=True and se_ratio=0.25
DEFAULT_BLOCKS_ARGS = [
    dict(kernel_size=k, repeats=r, filters_in=fi, filters_out=fo, expand_ratio=e,
         id_skip=True, strides=s, se_ratio=0.25)
    for k, r, fi, fo, e, s in ((3, 1, 32, 16, 1, 1), (3, 2, 16, 24, 6, 2),
                               (5, 2, 24, 40, 6, 2), (3, 3, 40, 80, 6, 2),
                               (5, 3, 80, 112, 6, 1), (5, 4, 112, 192, 6, 2),
                               (3, 1, 192, 320, 6, 1))]

CONV_KERNEL_INITIALIZER = {"class_name": "VarianceScaling",
                           "config": {"scale": 2.0, "mode": "fan_out",
                                      "distribution": "truncated_normal"}}
DENSE_KERNEL_INITIALIZER = {"class_name": "VarianceScaling",
                            "config": {"scale": 1.0 / 3.0, "mode": "fan_out",
                                       "distribution": "uniform"}}


def _bn_axis():
    return 3 if _common.image_data_format() == "channels_last" else 1


def squeeze_excite(x, filters, filters_in, se_ratio, activation, name):
    """Squeeze-and-excitation on ``x`` (``filters`` channels): global average, a 1x1
    reduction to ``max(1, int(filters_in * se_ratio))`` channels (``activation``), a 1x1
    expansion back (sigmoid), and the channel-wise product with ``x``."""
    from .. import layers

    filters_se = max(1, int(filters_in * se_ratio))
    se = layers.GlobalAveragePooling2D(name=f"{name}se_squeeze")(x)
    se_shape = (filters, 1, 1) if _bn_axis() == 1 else (1, 1, filters)
    se = layers.Reshape(se_shape, name=f"{name}se_reshape")(se)
    se = layers.Conv2D(filters_se, 1, padding="same", activation=activation,
                       kernel_initializer=CONV_KERNEL_INITIALIZER,
                       name=f"{name}se_reduce")(se)
    se = layers.Conv2D(filters, 1, padding="same", activation="sigmoid",
                       kernel_initializer=CONV_KERNEL_INITIALIZER,
                       name=f"{name}se_expand")(se)
    return layers.multiply([x, se], name=f"{name}se_excite")


def residual(x, inputs, drop_rate, name):
    """The skip connection, with drop-connect (a per-sample ``Dropout`` of ``drop_rate``)
    on the branch when the rate is positive."""
    from .. import layers

    if drop_rate > 0:
        x = layers.Dropout(drop_rate, noise_shape=(None, 1, 1, 1), name=f"{name}drop")(x)
    return layers.add([x, inputs], name=f"{name}add")


def head(x, include_top, pooling, classes, classifier_activation, weights, dropout_rate):
    """The EfficientNet head: with ``include_top`` an average pooling, a ``top_dropout``
    (when ``dropout_rate > 0``) and the ``predictions`` Dense; else the optional pooling."""
    from .. import layers

    if not include_top:
        return _common.pooled(x, False, pooling, classes, classifier_activation, weights,
                              names=("avg_pool", "max_pool"))
    x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
    if dropout_rate > 0:
        x = layers.Dropout(dropout_rate, name="top_dropout")(x)
    imagenet_utils.validate_activation(classifier_activation, weights)
    return layers.Dense(classes, activation=classifier_activation,
                        kernel_initializer=DENSE_KERNEL_INITIALIZER,
                        name="predictions")(x)


def EfficientNet(width_coefficient, depth_coefficient, default_size, dropout_rate=0.2,
                 drop_connect_rate=0.2, depth_divisor=8, activation="swish",
                 blocks_args="default", name="efficientnet", include_top=True,
                 weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
                 classes=1000, classifier_activation="softmax", weights_name=None):
    """The EfficientNet scaled by ``width_coefficient`` (channels) and
    ``depth_coefficient`` (blocks per stage); ``weights_name`` ("b0".."b7") names the
    ImageNet file (``efficientnet<b>.h5``/``efficientnet<b>_notop.h5``)."""
    from .. import layers

    if blocks_args == "default":
        blocks_args = DEFAULT_BLOCKS_ARGS
    input_shape = _common.input_shape_for(weights, include_top, classes, input_shape,
                                          default_size=default_size)
    img_input = _common.image_input(input_tensor, input_shape)
    bn_axis = _bn_axis()

    def round_filters(filters, divisor=depth_divisor):
        filters *= width_coefficient
        new_filters = max(divisor, int(filters + divisor / 2) // divisor * divisor)
        if new_filters < 0.9 * filters:  # never round down by more than 10%
            new_filters += divisor
        return int(new_filters)

    def round_repeats(repeats):
        return int(math.ceil(depth_coefficient * repeats))

    x = layers.Rescaling(1.0 / 255.0)(img_input)
    x = layers.Normalization(axis=bn_axis)(x)
    if weights == "imagenet":
        # the ImageNet files' variance is the std squared, but the original model divided
        # by the variance: one more division by sqrt(std) (tensorflow/tensorflow#49930)
        x = layers.Rescaling([1.0 / math.sqrt(s) for s in IMAGENET_STDDEV_RGB])(x)
    x = layers.ZeroPadding2D(padding=imagenet_utils.correct_pad(x, 3),
                             name="stem_conv_pad")(x)
    x = layers.Conv2D(round_filters(32), 3, strides=2, padding="valid", use_bias=False,
                      kernel_initializer=CONV_KERNEL_INITIALIZER, name="stem_conv")(x)
    x = layers.BatchNormalization(axis=bn_axis, name="stem_bn")(x)
    x = layers.Activation(activation, name="stem_activation")(x)

    b = 0
    blocks = float(sum(round_repeats(args["repeats"]) for args in blocks_args))
    for i, args in enumerate(blocks_args):
        if args["repeats"] <= 0:
            raise ValueError("The number of repeats in `EfficientNet` must be > 0. "
                             f"Received: repeats={args['repeats']}")
        args = dict(args)
        args["filters_in"] = round_filters(args["filters_in"])
        args["filters_out"] = round_filters(args["filters_out"])
        for j in range(round_repeats(args.pop("repeats"))):
            if j > 0:  # only the first block of a stage strides and widens
                args["strides"] = 1
                args["filters_in"] = args["filters_out"]
            x = block(x, activation, drop_connect_rate * b / blocks,
                      name=f"block{i + 1}{chr(j + 97)}_", **args)
            b += 1

    x = layers.Conv2D(round_filters(1280), 1, padding="same", use_bias=False,
                      kernel_initializer=CONV_KERNEL_INITIALIZER, name="top_conv")(x)
    x = layers.BatchNormalization(axis=bn_axis, name="top_bn")(x)
    x = layers.Activation(activation, name="top_activation")(x)
    x = head(x, include_top, pooling, classes, classifier_activation, weights, dropout_rate)
    file_name = origin = None
    if weights_name is not None:
        file_name = f"efficientnet{weights_name}{'' if include_top else '_notop'}.h5"
        origin = BASE_WEIGHTS_PATH + file_name
    return _common.finish(img_input, input_tensor, x, name, weights, file_name, origin)


def block(inputs, activation="swish", drop_rate=0.0, name="", filters_in=32,
          filters_out=16, kernel_size=3, strides=1, expand_ratio=1, se_ratio=0.0,
          id_skip=True):
    """The MBConv inverted residual block: 1x1 expansion (unless ``expand_ratio`` is 1),
    depthwise ``kernel_size`` convolution (Keras' explicit padding when strided),
    squeeze-and-excitation, 1x1 projection, and the drop-connect residual."""
    from .. import layers

    bn_axis = _bn_axis()
    filters = filters_in * expand_ratio
    if expand_ratio != 1:
        x = layers.Conv2D(filters, 1, padding="same", use_bias=False,
                          kernel_initializer=CONV_KERNEL_INITIALIZER,
                          name=f"{name}expand_conv")(inputs)
        x = layers.BatchNormalization(axis=bn_axis, name=f"{name}expand_bn")(x)
        x = layers.Activation(activation, name=f"{name}expand_activation")(x)
    else:
        x = inputs
    if strides == 2:
        x = layers.ZeroPadding2D(padding=imagenet_utils.correct_pad(x, kernel_size),
                                 name=f"{name}dwconv_pad")(x)
    x = layers.DepthwiseConv2D(kernel_size, strides=strides,
                               padding="valid" if strides == 2 else "same", use_bias=False,
                               depthwise_initializer=CONV_KERNEL_INITIALIZER,
                               name=f"{name}dwconv")(x)
    x = layers.BatchNormalization(axis=bn_axis, name=f"{name}bn")(x)
    x = layers.Activation(activation, name=f"{name}activation")(x)
    if 0 < se_ratio <= 1:
        x = squeeze_excite(x, filters, filters_in, se_ratio, activation, name)
    x = layers.Conv2D(filters_out, 1, padding="same", use_bias=False,
                      kernel_initializer=CONV_KERNEL_INITIALIZER,
                      name=f"{name}project_conv")(x)
    x = layers.BatchNormalization(axis=bn_axis, name=f"{name}project_bn")(x)
    if id_skip and strides == 1 and filters_in == filters_out:
        x = residual(x, inputs, drop_rate, name)
    return x


# (width, depth, default input size, top dropout) of B0..B7
_VARIANTS = {"b0": (1.0, 1.0, 224, 0.2), "b1": (1.0, 1.1, 240, 0.2),
             "b2": (1.1, 1.2, 260, 0.3), "b3": (1.2, 1.4, 300, 0.3),
             "b4": (1.4, 1.8, 380, 0.4), "b5": (1.6, 2.2, 456, 0.4),
             "b6": (1.8, 2.6, 528, 0.5), "b7": (2.0, 3.1, 600, 0.5)}


def _variant(key):
    width, depth, size, dropout = _VARIANTS[key]

    def builder(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
                pooling=None, classes=1000, classifier_activation="softmax",
                name=f"efficientnet{key}"):
        return EfficientNet(width, depth, size, dropout, name=name, include_top=include_top,
                            weights=weights, input_tensor=input_tensor,
                            input_shape=input_shape, pooling=pooling, classes=classes,
                            classifier_activation=classifier_activation, weights_name=key)

    builder.__name__ = builder.__qualname__ = f"EfficientNet{key.upper()}"
    builder.__doc__ = (
        f"Instantiate EfficientNet{key.upper()} (default input {size}x{size}x3, at least "
        "32x32). The model rescales and normalizes its inputs itself: give it float pixels "
        "in [0, 255] (``preprocess_input`` is the identity).")
    return builder


EfficientNetB0 = _variant("b0")
EfficientNetB1 = _variant("b1")
EfficientNetB2 = _variant("b2")
EfficientNetB3 = _variant("b3")
EfficientNetB4 = _variant("b4")
EfficientNetB5 = _variant("b5")
EfficientNetB6 = _variant("b6")
EfficientNetB7 = _variant("b7")


def preprocess_input(x, data_format=None):
    """The identity (kept for Keras' API): EfficientNet models preprocess inside, from
    float pixels in [0, 255]."""
    return x


def decode_predictions(preds, top=5):
    return imagenet_utils.decode_predictions(preds, top=top)


decode_predictions.__doc__ = imagenet_utils.decode_predictions.__doc__
