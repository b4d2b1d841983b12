"""``keras.applications.mobilenet_v3``: MobileNetV3Small/Large (Howard et al., "Searching
for MobileNetV3", ICCV 2019), Keras 3.15's layers, names and weight layout.

Inverted residual blocks with hard-swish activations and squeeze-and-excite (hard
sigmoid gate); ``minimalistic`` drops both (ReLU, 3x3 kernels, no SE). The scaling of
[0, 255] pixels to [-1, 1] is the model's first layer (``include_preprocessing``), so
``preprocess_input`` returns its input.
"""

from __future__ import annotations

import warnings

from . import _common, imagenet_utils
from .mobilenet_v2 import _make_divisible

BASE_WEIGHT_PATH = ("https://storage.googleapis.com/tensorflow/keras-applications/"
                    "mobilenet_v3/")
# the blocks: (expansion, filters, kernel, stride, squeeze-excite, activation); a kernel
# or SE of None takes the model's (5 and 0.25, or 3 and none when minimalistic), an
# activation of None the model's (hard-swish, or ReLU when minimalistic)
_SMALL = ((1, 16, 3, 2, True, "relu"), (72 / 16, 24, 3, 2, False, "relu"),
          (88 / 24, 24, 3, 1, False, "relu"), (4, 40, None, 2, True, None),
          (6, 40, None, 1, True, None), (6, 40, None, 1, True, None),
          (3, 48, None, 1, True, None), (3, 48, None, 1, True, None),
          (6, 96, None, 2, True, None), (6, 96, None, 1, True, None),
          (6, 96, None, 1, True, None))
_LARGE = ((1, 16, 3, 1, False, "relu"), (4, 24, 3, 2, False, "relu"),
          (3, 24, 3, 1, False, "relu"), (3, 40, None, 2, True, "relu"),
          (3, 40, None, 1, True, "relu"), (3, 40, None, 1, True, "relu"),
          (6, 80, 3, 2, False, None), (2.5, 80, 3, 1, False, None),
          (2.3, 80, 3, 1, False, None), (2.3, 80, 3, 1, False, None),
          (6, 112, 3, 1, True, None), (6, 112, 3, 1, True, None),
          (6, 160, None, 2, True, None), (6, 160, None, 1, True, None),
          (6, 160, None, 1, True, None))


def _depth(v, divisor=8, min_value=None):
    """``v`` rounded to a multiple of 8 (never down by more than 10%)."""
    return _make_divisible(v, divisor, min_value)


def relu(x):
    from .. import layers

    return layers.ReLU()(x)


def hard_sigmoid(x):
    from .. import layers

    return layers.ReLU(6.0)(x + 3.0) * (1.0 / 6.0)


def hard_swish(x):
    from .. import layers

    return layers.Activation("hard_swish")(x)


def _bn(name):
    from .. import layers

    axis = 1 if _common.image_data_format() == "channels_first" else -1
    return layers.BatchNormalization(axis=axis, epsilon=1e-3, momentum=0.999, name=name)


def _se_block(inputs, filters, se_ratio, prefix):
    """Squeeze-and-excite: global average, 1x1 reduce (ReLU), 1x1 expand, hard-sigmoid
    gate multiplied into the input."""
    from .. import layers

    x = layers.GlobalAveragePooling2D(keepdims=True,
                                      name=f"{prefix}squeeze_excite_avg_pool")(inputs)
    x = layers.Conv2D(_depth(filters * se_ratio), kernel_size=1, padding="same",
                      name=f"{prefix}squeeze_excite_conv")(x)
    x = layers.ReLU(name=f"{prefix}squeeze_excite_relu")(x)
    x = layers.Conv2D(filters, kernel_size=1, padding="same",
                      name=f"{prefix}squeeze_excite_conv_1")(x)
    x = hard_sigmoid(x)
    return layers.Multiply(name=f"{prefix}squeeze_excite_mul")([inputs, x])


def _inverted_res_block(x, expansion, filters, kernel_size, stride, se_ratio, activation,
                        block_id):
    """Expand (1x1, except block 0), depthwise (Keras' correct padding at stride 2), the
    optional SE, project (1x1, linear); the residual Add when shapes allow."""
    from .. import layers

    channel_axis = 1 if _common.image_data_format() == "channels_first" else -1
    shortcut = x
    prefix = "expanded_conv_"
    infilters = x.shape[channel_axis]
    if block_id:
        prefix = f"expanded_conv_{block_id}_"
        x = layers.Conv2D(_depth(infilters * expansion), kernel_size=1, padding="same",
                          use_bias=False, name=f"{prefix}expand")(x)
        x = _bn(f"{prefix}expand_bn")(x)
        x = activation(x)
    if stride == 2:
        x = layers.ZeroPadding2D(padding=imagenet_utils.correct_pad(x, kernel_size),
                                 name=f"{prefix}depthwise_pad")(x)
    x = layers.DepthwiseConv2D(kernel_size, strides=stride,
                               padding="same" if stride == 1 else "valid", use_bias=False,
                               name=f"{prefix}depthwise")(x)
    x = _bn(f"{prefix}depthwise_bn")(x)
    x = activation(x)
    if se_ratio:
        x = _se_block(x, _depth(infilters * expansion), se_ratio, prefix)
    x = layers.Conv2D(filters, kernel_size=1, padding="same", use_bias=False,
                      name=f"{prefix}project")(x)
    x = _bn(f"{prefix}project_bn")(x)
    if stride == 1 and infilters == filters:
        x = layers.Add(name=f"{prefix}add")([shortcut, x])
    return x


def _check_input(input_shape, input_tensor):
    """Keras' agreement checks of ``input_shape`` and ``input_tensor``; the input shape
    (from the tensor when not given, else (None, None, 3))."""
    from ..utils.general import is_keras_tensor

    channels_first = _common.image_data_format() == "channels_first"
    if input_tensor is not None and not is_keras_tensor(input_tensor):
        if input_shape is not None:
            raise ValueError(f"input_tensor specified: {input_tensor} is not a keras tensor")
    if input_shape is not None and input_tensor is not None:
        if channels_first and input_tensor.shape[1] != input_shape[1]:
            raise ValueError("When backend.image_data_format()=channels_first, "
                             "input_shape[1] must equal input_tensor.shape[1].  Received "
                             f"input_shape={input_shape}, "
                             f"input_tensor.shape={input_tensor.shape}")
        if not channels_first and input_tensor.shape[2] != input_shape[1]:
            raise ValueError("input_shape[1] must equal input_tensor.shape[2].  Received "
                             f"input_shape={input_shape}, "
                             f"input_tensor.shape={input_tensor.shape}")
    if input_shape is None and input_tensor is not None and is_keras_tensor(input_tensor):
        if channels_first:
            rows, cols = input_tensor.shape[2], input_tensor.shape[3]
            input_shape = (3, cols, rows)
        else:
            rows, cols = input_tensor.shape[1], input_tensor.shape[2]
            input_shape = (cols, rows, 3)
    if input_shape is None:
        input_shape = (3, None, None) if channels_first else (None, None, 3)
    return input_shape


def MobileNetV3(stack, last_point_ch, input_shape=None, alpha=1.0, model_type="large",
                minimalistic=False, include_top=True, weights="imagenet", input_tensor=None,
                classes=1000, pooling=None, dropout_rate=0.2,
                classifier_activation="softmax", include_preprocessing=True, name=None):
    """The MobileNetV3 of the blocks ``stack`` (``_SMALL`` or ``_LARGE``) and
    ``last_point_ch`` channels before the classifier."""
    from .. import layers

    _common.check_weights(weights, include_top, classes)
    input_shape = _check_input(input_shape, input_tensor)
    channels_first = _common.image_data_format() == "channels_first"
    rows, cols = (input_shape[1], input_shape[2]) if channels_first else input_shape[:2]
    if rows and cols and (rows < 32 or cols < 32):
        raise ValueError("Input size must be at least 32x32; Received "
                         f"`input_shape={input_shape}`")
    file_name = origin = None
    if weights == "imagenet":
        if (not minimalistic and alpha not in [0.75, 1.0]
                or minimalistic and alpha != 1.0):
            raise ValueError("If imagenet weights are being loaded, alpha can be one of "
                             "`0.75`, `1.0` for non minimalistic or `1.0` for minimalistic "
                             "only.")
        if rows != cols or rows != 224:
            warnings.warn("`input_shape` is undefined or non-square, or `rows` is not 224. "
                          "Weights for input shape (224, 224) will be loaded as the "
                          "default.", stacklevel=3)
        model_name = (f"{model_type}{'_minimalistic' if minimalistic else ''}_224_"
                      f"{alpha}_float")
        file_name = (f"weights_mobilenet_v3_{model_name}.h5" if include_top
                     else f"weights_mobilenet_v3_{model_name}_no_top_v2.h5")
        origin = BASE_WEIGHT_PATH + file_name
    img_input = _common.image_input(input_tensor, input_shape)
    channel_axis = 1 if channels_first else -1
    if minimalistic:
        kernel, activation, se_ratio = 3, relu, None
    else:
        kernel, activation, se_ratio = 5, hard_swish, 0.25

    x = img_input
    if include_preprocessing:
        x = layers.Rescaling(scale=1.0 / 127.5, offset=-1.0)(x)
    x = layers.Conv2D(16, kernel_size=3, strides=(2, 2), padding="same", use_bias=False,
                      name="conv")(x)
    x = _bn("conv_bn")(x)
    x = activation(x)
    for block_id, (expansion, filters, k, stride, se, act) in enumerate(stack):
        x = _inverted_res_block(
            x, expansion, _depth(filters * alpha), kernel if k is None else k, stride,
            se_ratio if se else None,
            relu if act == "relu" else activation, block_id)
    last_conv_ch = _depth(x.shape[channel_axis] * 6)
    if alpha > 1.0:  # a width multiplier above 1 widens the last layer too
        last_point_ch = _depth(last_point_ch * alpha)
    x = layers.Conv2D(last_conv_ch, kernel_size=1, padding="same", use_bias=False,
                      name="conv_1")(x)
    x = _bn("conv_1_bn")(x)
    x = activation(x)
    if include_top:
        x = layers.GlobalAveragePooling2D(keepdims=True)(x)
        x = layers.Conv2D(last_point_ch, kernel_size=1, padding="same", use_bias=True,
                          name="conv_2")(x)
        x = activation(x)
        if dropout_rate > 0:
            x = layers.Dropout(dropout_rate)(x)
        x = layers.Conv2D(classes, kernel_size=1, padding="same", name="logits")(x)
        x = layers.Flatten()(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = layers.Activation(activation=classifier_activation, name="predictions")(x)
    elif pooling == "avg":
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
    elif pooling == "max":
        x = layers.GlobalMaxPooling2D(name="max_pool")(x)
    return _common.finish(img_input, input_tensor, x, name, weights, file_name, origin)


def _variant(stack, last_point_ch, model_type, doc_name):
    def build(input_shape=None, alpha=1.0, minimalistic=False, include_top=True,
              weights="imagenet", input_tensor=None, classes=1000, pooling=None,
              dropout_rate=0.2, classifier_activation="softmax",
              include_preprocessing=True, name=doc_name):
        return MobileNetV3(stack, last_point_ch, input_shape, alpha, model_type,
                           minimalistic, include_top, weights, input_tensor, classes,
                           pooling, dropout_rate, classifier_activation,
                           include_preprocessing, name=name)

    build.__name__ = build.__qualname__ = doc_name
    build.__doc__ = (
        f"Instantiate {doc_name} (any input of at least 32x32; ImageNet weights for "
        "224x224). Takes pixels in [0, 255] (``include_preprocessing``); ``alpha`` is the "
        "width multiplier, ``minimalistic`` the variant without hard-swish and SE.")
    return build


MobileNetV3Small = _variant(_SMALL, 1024, "small", "MobileNetV3Small")
MobileNetV3Large = _variant(_LARGE, 1280, "large", "MobileNetV3Large")


def preprocess_input(x, data_format=None):
    """Returns ``x`` unchanged: MobileNetV3 scales its input inside the model (kept, as in
    Keras, so every application module has the same functions)."""
    return x


def decode_predictions(preds, top=5):
    return imagenet_utils.decode_predictions(preds, top=top)


decode_predictions.__doc__ = imagenet_utils.decode_predictions.__doc__
