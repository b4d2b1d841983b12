"""``keras.applications.inception_resnet_v2``: Inception-ResNet-v2 (Szegedy et al.,
"Inception-v4, Inception-ResNet and the Impact of Residual Connections on Learning", AAAI
2017), Keras 3.15's layers, names and weight layout (most convolutions are unnamed in
Keras, so they carry the automatic names of a fresh session)."""

from __future__ import annotations

from ..layers.layer import Layer
from ..utils.serialization import register_keras_src
from . import _common

BASE_WEIGHT_URL = ("https://storage.googleapis.com/tensorflow/keras-applications/"
                   "inception_resnet_v2/")


def _channel_axis():
    return 1 if _common.image_data_format() == "channels_first" else 3


def conv2d_bn(x, filters, kernel_size, strides=1, padding="same", activation="relu",
              use_bias=False, name=None):
    """A convolution ``name``; without bias, its batch norm without scale
    (``name_bn``); then ``activation`` (``name_ac``)."""
    from .. import layers

    x = layers.Conv2D(filters, kernel_size, strides=strides, padding=padding,
                      use_bias=use_bias, name=name)(x)
    if not use_bias:
        x = layers.BatchNormalization(axis=_channel_axis(), scale=False,
                                      name=None if name is None else f"{name}_bn")(x)
    if activation is not None:
        x = layers.Activation(activation, name=None if name is None else f"{name}_ac")(x)
    return x


class CustomScaleLayer(Layer):
    """``inputs[0] + inputs[1] * scale``: the shortcut plus the scaled residual (Keras'
    class of the same name, in files under Keras' module
    ``keras.src.applications.inception_resnet_v2``)."""

    def __init__(self, scale, **kwargs):
        super().__init__(**kwargs)
        self.scale = scale

    def get_config(self):
        config = super().get_config()
        config.update({"scale": self.scale})
        return config

    def call(self, inputs):
        return inputs[0] + inputs[1] * self.scale


# Keras writes and reads it under its own module and registered name; it stays out of
# the registry's plain names (a user's own "CustomScaleLayer" keeps its name)
register_keras_src(CustomScaleLayer)


def _chain(x, *convs):
    """``conv2d_bn`` in turn: ``(filters, kernel_size)`` or with ``strides``,
    ``padding``."""
    for c in convs:
        x = conv2d_bn(x, *c[:2], **({"strides": c[2], "padding": c[3]} if len(c) > 2
                                    else {}))
    return x


_BRANCHES = {
    "block35": (((32, 1),), ((32, 1), (32, 3)), ((32, 1), (48, 3), (64, 3))),
    "block17": (((192, 1),), ((128, 1), (160, (1, 7)), (192, (7, 1)))),
    "block8": (((192, 1),), ((192, 1), (224, (1, 3)), (256, (3, 1)))),
}


def inception_resnet_block(x, scale, block_type, block_idx, activation="relu"):
    """An Inception-ResNet block (``block35``, ``block17`` or ``block8``): its branches
    concatenated (``{block_type}_{block_idx}_mixed``), a 1x1 convolution with bias back
    to the input's channels (``..._conv``), ``x + scale * r``, then ``activation``
    (``..._ac``)."""
    from .. import layers

    if block_type not in _BRANCHES:
        raise ValueError("Unknown Inception-ResNet block type. Expects \"block35\", "
                         f"\"block17\" or \"block8\", but got: {block_type}")
    branches = [_chain(x, *convs) for convs in _BRANCHES[block_type]]
    block_name = f"{block_type}_{block_idx}"
    axis = _channel_axis()
    mixed = layers.Concatenate(axis=axis, name=f"{block_name}_mixed")(branches)
    up = conv2d_bn(mixed, x.shape[axis], 1, activation=None, use_bias=True,
                   name=f"{block_name}_conv")
    x = CustomScaleLayer(scale)([x, up])
    if activation is not None:
        x = layers.Activation(activation, name=f"{block_name}_ac")(x)
    return x


def InceptionResNetV2(include_top=True, weights="imagenet", input_tensor=None,
                      input_shape=None, pooling=None, classes=1000,
                      classifier_activation="softmax", name="inception_resnet_v2"):
    """Instantiate InceptionResNetV2 (default input 299x299x3, at least 75x75).
    ``weights``: None, "imagenet" (Keras' file, from the Keras cache) or a path to a
    weights file; use ``inception_resnet_v2.preprocess_input`` (pixels to [-1, 1])."""
    from .. import layers

    input_shape = _common.input_shape_for(weights, include_top, classes, input_shape,
                                          default_size=299, min_size=75)
    img_input = _common.image_input(input_tensor, input_shape)
    # stem
    x = _chain(img_input, (32, 3, 2, "valid"), (32, 3, 1, "valid"), (64, 3))
    x = layers.MaxPooling2D(3, strides=2)(x)
    x = _chain(x, (80, 1, 1, "valid"), (192, 3, 1, "valid"))
    x = layers.MaxPooling2D(3, strides=2)(x)
    axis = _channel_axis()
    # mixed 5b (Inception-A)
    branches = [_chain(x, (96, 1)), _chain(x, (48, 1), (64, 5)),
                _chain(x, (64, 1), (96, 3), (96, 3))]
    branches.append(conv2d_bn(layers.AveragePooling2D(3, strides=1, padding="same")(x),
                              64, 1))
    x = layers.Concatenate(axis=axis, name="mixed_5b")(branches)
    for block_idx in range(1, 11):
        x = inception_resnet_block(x, scale=0.17, block_type="block35",
                                   block_idx=block_idx)
    # mixed 6a (Reduction-A)
    branches = [_chain(x, (384, 3, 2, "valid")),
                _chain(x, (256, 1), (256, 3), (384, 3, 2, "valid")),
                layers.MaxPooling2D(3, strides=2, padding="valid")(x)]
    x = layers.Concatenate(axis=axis, name="mixed_6a")(branches)
    for block_idx in range(1, 21):
        x = inception_resnet_block(x, scale=0.1, block_type="block17",
                                   block_idx=block_idx)
    # mixed 7a (Reduction-B)
    branches = [_chain(x, (256, 1), (384, 3, 2, "valid")),
                _chain(x, (256, 1), (288, 3, 2, "valid")),
                _chain(x, (256, 1), (288, 3), (320, 3, 2, "valid")),
                layers.MaxPooling2D(3, strides=2, padding="valid")(x)]
    x = layers.Concatenate(axis=axis, name="mixed_7a")(branches)
    for block_idx in range(1, 10):
        x = inception_resnet_block(x, scale=0.2, block_type="block8", block_idx=block_idx)
    x = inception_resnet_block(x, scale=1.0, activation=None, block_type="block8",
                               block_idx=10)
    x = conv2d_bn(x, 1536, 1, name="conv_7b")
    x = _common.pooled(x, include_top, pooling, classes, classifier_activation, weights,
                       names=("avg_pool", None) if include_top else None)
    file_name, origin = _common.keras_weights_file(BASE_WEIGHT_URL, "inception_resnet_v2",
                                                   include_top)
    return _common.finish(img_input, input_tensor, x, name, weights, file_name, origin)


preprocess_input, decode_predictions = _common.module_functions("tf")
