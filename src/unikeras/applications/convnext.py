"""``keras.applications.convnext``: ConvNeXt Tiny/Small/Base/Large/XLarge (Liu et al.,
"A ConvNet for the 2020s", CVPR 2022), Keras 3.15's layers, names and weight layout.

The ImageNet normalization is the model's first layer (a ``Normalization`` named
``<name>_prestem_normalization``), so the models take pixels in [0, 255] and
``preprocess_input`` returns its input. The stem and the three downsampling blocks are
nested ``Sequential`` models, as in Keras (their weights' paths start with the
Sequential's name). ``LayerScale`` and ``StochasticDepth`` are written to ``.keras``
files as Keras writes its own (module ``keras.src.applications.convnext``), so either
library loads the other's files.
"""

from __future__ import annotations

import numpy as np

from .. import initializers
from ..layers.layer import Layer
from ..state import SeedGenerator
from ..state.variables import name_scope
from ..utils import serialization as _serialization
from . import _common, imagenet_utils

BASE_WEIGHTS_PATH = ("https://storage.googleapis.com/tensorflow/keras-applications/"
                     "convnext/")
MODEL_CONFIGS = {
    "tiny": {"depths": [3, 3, 9, 3], "projection_dims": [96, 192, 384, 768],
             "default_size": 224},
    "small": {"depths": [3, 3, 27, 3], "projection_dims": [96, 192, 384, 768],
              "default_size": 224},
    "base": {"depths": [3, 3, 27, 3], "projection_dims": [128, 256, 512, 1024],
             "default_size": 224},
    "large": {"depths": [3, 3, 27, 3], "projection_dims": [192, 384, 768, 1536],
              "default_size": 224},
    "xlarge": {"depths": [3, 3, 27, 3], "projection_dims": [256, 512, 1024, 2048],
               "default_size": 224},
}
# ImageNet-1k channel statistics of [0, 255] pixels (the PreStem normalization)
_MEAN = [0.485 * 255, 0.456 * 255, 0.406 * 255]
_VARIANCE = [(0.229 * 255) ** 2, (0.224 * 255) ** 2, (0.225 * 255) ** 2]


class StochasticDepth(Layer):
    """Keras' ConvNeXt ``StochasticDepth(drop_path_rate)``: in training, drops the whole
    residual branch of each sample with probability ``drop_path_rate`` (and scales the
    kept ones by ``1 / (1 - drop_path_rate)``); the identity otherwise. Its draws come
    from the layer's own seed generator, so it also runs inside compiled train steps."""

    def __init__(self, drop_path_rate, **kwargs):
        super().__init__(**kwargs)
        self.drop_path_rate = drop_path_rate
        self.seed_generator = SeedGenerator(None)
        self.built = True

    def call(self, x, training=None):
        if not training or not self.drop_path_rate:
            return x
        from .. import random

        keep_prob = 1 - self.drop_path_rate
        shape = (x.shape[0],) + (1,) * (len(x.shape) - 1)
        keep = (keep_prob + random.uniform(shape, 0, 1, dtype=x.dtype,
                                           seed=self.seed_generator)) // 1
        return (x / keep_prob) * keep

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update({"drop_path_rate": self.drop_path_rate})
        return config


class LayerScale(Layer):
    """Keras' ConvNeXt ``LayerScale(init_values, projection_dim)``: multiplies the last
    axis by a learned vector (``gamma``, initialized to ``init_values``; CaiT,
    arXiv:2103.17239)."""

    def __init__(self, init_values, projection_dim, **kwargs):
        super().__init__(**kwargs)
        self.init_values = init_values
        self.projection_dim = projection_dim

    def build(self, _):
        # unnamed, as in Keras: its name is "variable"/"variable_<n>"
        self.gamma = self.add_weight(shape=(self.projection_dim,),
                                     initializer=initializers.Constant(self.init_values),
                                     trainable=True)
        self.built = True

    def call(self, x):
        return x * self.gamma

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update({"init_values": self.init_values,
                       "projection_dim": self.projection_dim})
        return config


# Keras writes and reads these two under its own module and registered name; they stay
# out of the registry's plain names (a user's own "LayerScale" keeps its name).
for _cls in (StochasticDepth, LayerScale):
    _serialization.register_keras_src(_cls)
del _cls


def ConvNeXtBlock(projection_dim, drop_path_rate=0.0, layer_scale_init_value=1e-6,
                  name=None):
    """The ConvNeXt block as a function of its input: a 7x7 depthwise convolution,
    LayerNorm, two pointwise ``Dense`` layers around a GELU, the layer scale, then the
    residual sum (through ``StochasticDepth`` when ``drop_path_rate``)."""
    from .. import layers

    if name is None:
        name = f"prestem{_uid('prestem')}"

    def apply(inputs):
        x = layers.Conv2D(filters=projection_dim, kernel_size=7, padding="same",
                          groups=projection_dim, name=f"{name}_depthwise_conv")(inputs)
        x = layers.LayerNormalization(epsilon=1e-6, name=f"{name}_layernorm")(x)
        x = layers.Dense(4 * projection_dim, name=f"{name}_pointwise_conv_1")(x)
        x = layers.Activation("gelu", name=f"{name}_gelu")(x)
        x = layers.Dense(projection_dim, name=f"{name}_pointwise_conv_2")(x)
        if layer_scale_init_value is not None:
            x = LayerScale(layer_scale_init_value, projection_dim,
                           name=f"{name}_layer_scale")(x)
        if drop_path_rate:
            layer = StochasticDepth(drop_path_rate, name=f"{name}_stochastic_depth")
        else:
            layer = layers.Activation("linear", name=f"{name}_identity")
        return inputs + layer(x)

    return apply


def PreStem(name=None):
    """The ImageNet normalization of [0, 255] pixels (a ``Normalization`` layer)."""
    from .. import layers

    if name is None:
        name = f"prestem{_uid('prestem')}"

    def apply(x):
        return layers.Normalization(mean=_MEAN, variance=_VARIANCE,
                                    name=f"{name}_prestem_normalization")(x)

    return apply


def Head(num_classes=1000, classifier_activation=None, name=None):
    """The classification head: global average pooling, LayerNorm, ``Dense``."""
    from .. import layers

    if name is None:
        name = str(_uid("head"))

    def apply(x):
        x = layers.GlobalAveragePooling2D(name=f"{name}_head_gap")(x)
        x = layers.LayerNormalization(epsilon=1e-6, name=f"{name}_head_layernorm")(x)
        return layers.Dense(num_classes, activation=classifier_activation,
                            name=f"{name}_head_dense")(x)

    return apply


def _uid(prefix):
    from ..backend import get_uid

    return get_uid(prefix)


def ConvNeXt(depths, projection_dims, drop_path_rate=0.0, layer_scale_init_value=1e-6,
             default_size=224, name="convnext", include_preprocessing=True,
             include_top=True, weights=None, input_tensor=None, input_shape=None,
             pooling=None, classes=1000, classifier_activation="softmax",
             weights_name=None):
    """A ConvNeXt of four stages with ``depths`` blocks of ``projection_dims`` channels
    (channels_last only, as in Keras); ``drop_path_rate`` is the stochastic depth of
    the last block (linear from 0 over the blocks)."""
    from .. import layers
    from ..models import Sequential

    if _common.image_data_format() == "channels_first":
        raise ValueError("ConvNeXt does not support the `channels_first` image data "
                         "format. Switch to `channels_last` by editing your local config "
                         "file at ~/.keras/keras.json")
    input_shape = _common.input_shape_for(weights, include_top, classes, input_shape,
                                          default_size=default_size)
    file_name = origin = None
    if weights == "imagenet":  # (Keras checks these after building; the same errors)
        expected = MODEL_CONFIGS[weights_name.split("convnext_")[-1]]
        if (list(depths) != expected["depths"]
                or list(projection_dims) != expected["projection_dims"]):
            raise ValueError(
                f"Architecture configuration does not match {weights_name} variant. When "
                "using pre-trained weights, the model architecture must match the "
                "pre-trained configuration exactly. Expected depths: "
                f"{expected['depths']}, got: {depths}. Expected projection_dims: "
                f"{expected['projection_dims']}, got: {projection_dims}.")
        if weights_name not in name:
            raise ValueError(
                f'Model name "{name}" does not match weights variant "{weights_name}". '
                "When using imagenet weights, model name must contain the weights "
                f'variant (e.g., "convnext_{weights_name.split("convnext_")[-1]}").')
        file_name = name + (".h5" if include_top else "_notop.h5")
        origin = BASE_WEIGHTS_PATH + file_name
        _common.cached_weights(name, file_name, origin)  # no file: say so before building
    img_input = _common.image_input(input_tensor, input_shape)
    x = img_input
    if include_preprocessing and input_shape[-1] == 3:
        x = PreStem(name=name)(x)

    stem = Sequential([
        layers.Conv2D(projection_dims[0], kernel_size=4, strides=4,
                      name=f"{name}_stem_conv"),
        layers.LayerNormalization(epsilon=1e-6, name=f"{name}_stem_layernorm"),
    ], name=f"{name}_stem")
    downsample_layers = [stem]
    for i in range(3):
        downsample_layers.append(Sequential([
            layers.LayerNormalization(epsilon=1e-6,
                                      name=f"{name}_downsampling_layernorm_{i}"),
            layers.Conv2D(projection_dims[i + 1], kernel_size=2, strides=2,
                          name=f"{name}_downsampling_conv_{i}"),
        ], name=f"{name}_downsampling_block_{i}"))

    # the stochastic depth rate grows linearly over the blocks (the reference schedule)
    rates = [float(r) for r in np.linspace(0.0, drop_path_rate, sum(depths))]
    cur = 0
    for i in range(4):
        # a nested model's weights have paths under its name, as in Keras
        with name_scope(downsample_layers[i].name):
            x = downsample_layers[i](x)
        for j in range(depths[i]):
            x = ConvNeXtBlock(projection_dim=projection_dims[i],
                              drop_path_rate=rates[cur + j],
                              layer_scale_init_value=layer_scale_init_value,
                              name=f"{name}_stage_{i}_block_{j}")(x)
        cur += depths[i]

    if include_top:
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = Head(num_classes=classes, classifier_activation=classifier_activation,
                 name=name)(x)
    else:
        if pooling == "avg":
            x = layers.GlobalAveragePooling2D()(x)
        elif pooling == "max":
            x = layers.GlobalMaxPooling2D()(x)
        x = layers.LayerNormalization(epsilon=1e-6)(x)

    return _common.finish(img_input, input_tensor, x, name, weights, file_name, origin)


def _variant(size, doc_name):
    config = MODEL_CONFIGS[size]

    def build(include_top=True, include_preprocessing=True, weights="imagenet",
              input_tensor=None, input_shape=None, pooling=None, classes=1000,
              classifier_activation="softmax", name=f"convnext_{size}"):
        return ConvNeXt(weights_name=f"convnext_{size}", depths=config["depths"],
                        projection_dims=config["projection_dims"], drop_path_rate=0.0,
                        layer_scale_init_value=1e-6, default_size=config["default_size"],
                        name=name, include_top=include_top,
                        include_preprocessing=include_preprocessing, weights=weights,
                        input_tensor=input_tensor, input_shape=input_shape,
                        pooling=pooling, classes=classes,
                        classifier_activation=classifier_activation)

    build.__name__ = build.__qualname__ = doc_name
    build.__doc__ = (
        f"Instantiate {doc_name} (default input 224x224x3, at least 32x32; "
        f"depths {config['depths']}, widths {config['projection_dims']}). Takes pixels in "
        "[0, 255]: the ImageNet normalization is the model's first layer (set "
        "``include_preprocessing=False`` to leave it out). ``weights``: None, "
        "\"imagenet\" (Keras' file from the Keras cache) or a weights file's path.")
    return build


ConvNeXtTiny = _variant("tiny", "ConvNeXtTiny")
ConvNeXtSmall = _variant("small", "ConvNeXtSmall")
ConvNeXtBase = _variant("base", "ConvNeXtBase")
ConvNeXtLarge = _variant("large", "ConvNeXtLarge")
ConvNeXtXLarge = _variant("xlarge", "ConvNeXtXLarge")


def preprocess_input(x, data_format=None):
    """Returns ``x`` unchanged: ConvNeXt normalizes inside the model (kept, as in Keras,
    so every application module has the same functions)."""
    return x


def decode_predictions(preds, top=5):
    return imagenet_utils.decode_predictions(preds, top=top)


decode_predictions.__doc__ = imagenet_utils.decode_predictions.__doc__
