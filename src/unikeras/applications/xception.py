"""``keras.applications.xception``: Xception (Chollet, "Xception: Deep Learning with
Depthwise Separable Convolutions", CVPR 2017), Keras 3.15's layers, names and weight
layout."""

from __future__ import annotations

from . import _common

BASE_WEIGHTS_PATH = ("https://storage.googleapis.com/tensorflow/keras-applications/"
                     "xception/")


def _channel_axis():
    return 1 if _common.image_data_format() == "channels_first" else -1


def _sepconv_bn(x, filters, name, act_name=None):
    """(ReLU named ``act_name``,) a 3x3 separable convolution ``name``, its batch norm
    ``name_bn``."""
    from .. import layers

    if act_name is not None:
        x = layers.Activation("relu", name=act_name)(x)
    x = layers.SeparableConv2D(filters, (3, 3), padding="same", use_bias=False,
                               name=name)(x)
    return layers.BatchNormalization(axis=_channel_axis(), name=f"{name}_bn")(x)


def _shortcut(x, filters):
    """The strided 1x1 projection of a downsampling block (unnamed in Keras)."""
    from .. import layers

    r = layers.Conv2D(filters, (1, 1), strides=(2, 2), padding="same", use_bias=False)(x)
    return layers.BatchNormalization(axis=_channel_axis())(r)


def _pool_add(x, residual, name):
    from .. import layers

    x = layers.MaxPooling2D((3, 3), strides=(2, 2), padding="same", name=name)(x)
    return layers.add([x, residual])


def Xception(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
             pooling=None, classes=1000, classifier_activation="softmax", name="xception"):
    """Instantiate Xception (default input 299x299x3, at least 71x71). ``weights``:
    None, "imagenet" (Keras' file, from the Keras cache) or a path to a weights file;
    use ``xception.preprocess_input`` (pixels to [-1, 1]) on its inputs."""
    from .. import layers

    input_shape = _common.input_shape_for(weights, include_top, classes, input_shape,
                                          default_size=299, min_size=71)
    img_input = _common.image_input(input_tensor, input_shape)
    axis = _channel_axis()
    # entry flow
    x = layers.Conv2D(32, (3, 3), strides=(2, 2), use_bias=False,
                      name="block1_conv1")(img_input)
    x = layers.BatchNormalization(axis=axis, name="block1_conv1_bn")(x)
    x = layers.Activation("relu", name="block1_conv1_act")(x)
    x = layers.Conv2D(64, (3, 3), use_bias=False, name="block1_conv2")(x)
    x = layers.BatchNormalization(axis=axis, name="block1_conv2_bn")(x)
    x = layers.Activation("relu", name="block1_conv2_act")(x)
    residual = _shortcut(x, 128)
    x = _sepconv_bn(x, 128, "block2_sepconv1")
    x = _sepconv_bn(x, 128, "block2_sepconv2", act_name="block2_sepconv2_act")
    x = _pool_add(x, residual, "block2_pool")
    for block, filters in ((3, 256), (4, 728)):
        residual = _shortcut(x, filters)
        for i in (1, 2):
            x = _sepconv_bn(x, filters, f"block{block}_sepconv{i}",
                            act_name=f"block{block}_sepconv{i}_act")
        x = _pool_add(x, residual, f"block{block}_pool")
    # middle flow: eight residual blocks of three separable convolutions
    for block in range(5, 13):
        residual = x
        for i in (1, 2, 3):
            x = _sepconv_bn(x, 728, f"block{block}_sepconv{i}",
                            act_name=f"block{block}_sepconv{i}_act")
        x = layers.add([x, residual])
    # exit flow
    residual = _shortcut(x, 1024)
    x = _sepconv_bn(x, 728, "block13_sepconv1", act_name="block13_sepconv1_act")
    x = _sepconv_bn(x, 1024, "block13_sepconv2", act_name="block13_sepconv2_act")
    x = _pool_add(x, residual, "block13_pool")
    x = _sepconv_bn(x, 1536, "block14_sepconv1")
    x = layers.Activation("relu", name="block14_sepconv1_act")(x)
    x = _sepconv_bn(x, 2048, "block14_sepconv2")
    x = layers.Activation("relu", name="block14_sepconv2_act")(x)
    x = _common.pooled(x, include_top, pooling, classes, classifier_activation, weights,
                       names=("avg_pool", None) if include_top else None)
    file_name, origin = _common.keras_weights_file(BASE_WEIGHTS_PATH, "xception", include_top)
    return _common.finish(img_input, input_tensor, x, name, weights, file_name, origin)


preprocess_input, decode_predictions = _common.module_functions("tf")
