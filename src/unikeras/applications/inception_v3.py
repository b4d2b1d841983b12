"""``keras.applications.inception_v3``: InceptionV3 (Szegedy et al., "Rethinking the
Inception Architecture for Computer Vision", CVPR 2016), Keras 3.15's layers, names and
weight layout (its convolutions and batch norms are unnamed in Keras, so they carry the
automatic names ``conv2d_N`` / ``batch_normalization_N`` of a fresh session)."""

from __future__ import annotations

from . import _common

BASE_WEIGHTS_PATH = ("https://storage.googleapis.com/tensorflow/keras-applications/"
                     "inception_v3/")


def _channel_axis():
    return 1 if _common.image_data_format() == "channels_first" else 3


def conv2d_bn(x, filters, num_row, num_col, padding="same", strides=(1, 1), name=None):
    """A bias-free ``num_row`` x ``num_col`` convolution (``name_conv``), its batch norm
    without scale (``name_bn``) and a ReLU (``name``)."""
    from .. import layers

    x = layers.Conv2D(filters, (num_row, num_col), strides=strides, padding=padding,
                      use_bias=False, name=None if name is None else f"{name}_conv")(x)
    x = layers.BatchNormalization(axis=_channel_axis(), scale=False,
                                  name=None if name is None else f"{name}_bn")(x)
    return layers.Activation("relu", name=name)(x)


def _chain(x, *convs):
    """``conv2d_bn`` applied in turn: each of ``convs`` is ``(filters, rows, cols)``,
    optionally followed by ``strides`` and ``padding``."""
    for c in convs:
        x = conv2d_bn(x, *c[:3], **({"strides": c[3], "padding": c[4]} if len(c) > 3
                                    else {}))
    return x


def _avg_pool_branch(x, filters):
    from .. import layers

    p = layers.AveragePooling2D((3, 3), strides=(1, 1), padding="same")(x)
    return conv2d_bn(p, filters, 1, 1)


def _concat(branches, name=None):
    from .. import layers

    return layers.concatenate(branches, axis=_channel_axis(), name=name)


def _block_a(x, pool_filters, name):
    """35x35 module: 1x1, 1x1-5x5, 1x1-3x3-3x3 and average pooling-1x1 branches."""
    return _concat([_chain(x, (64, 1, 1)),
                    _chain(x, (48, 1, 1), (64, 5, 5)),
                    _chain(x, (64, 1, 1), (96, 3, 3), (96, 3, 3)),
                    _avg_pool_branch(x, pool_filters)], name)


def _block_c(x, n, name):
    """17x17 module with factorized 7x7 convolutions of ``n`` inner filters."""
    return _concat([_chain(x, (192, 1, 1)),
                    _chain(x, (n, 1, 1), (n, 1, 7), (192, 7, 1)),
                    _chain(x, (n, 1, 1), (n, 7, 1), (n, 1, 7), (n, 7, 1), (192, 1, 7)),
                    _avg_pool_branch(x, 192)], name)


def _block_e(x, i):
    """8x8 module with the expanded 1x3/3x1 filter banks."""
    b1 = _chain(x, (320, 1, 1))
    b3 = _chain(x, (384, 1, 1))
    b3 = _concat([_chain(b3, (384, 1, 3)), _chain(b3, (384, 3, 1))], f"mixed9_{i}")
    bd = _chain(x, (448, 1, 1), (384, 3, 3))
    bd = _concat([_chain(bd, (384, 1, 3)), _chain(bd, (384, 3, 1))])
    return _concat([b1, b3, bd, _avg_pool_branch(x, 192)], f"mixed{9 + i}")


def InceptionV3(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
                pooling=None, classes=1000, classifier_activation="softmax",
                name="inception_v3"):
    """Instantiate InceptionV3 (default input 299x299x3, at least 75x75). ``weights``:
    None, "imagenet" (Keras' file, from the Keras cache) or a path to a weights file;
    use ``inception_v3.preprocess_input`` (pixels to [-1, 1]) on its inputs."""
    from .. import layers

    input_shape = _common.input_shape_for(weights, include_top, classes, input_shape,
                                          default_size=299, min_size=75)
    img_input = _common.image_input(input_tensor, input_shape)
    x = _chain(img_input, (32, 3, 3, (2, 2), "valid"), (32, 3, 3, (1, 1), "valid"),
               (64, 3, 3))
    x = layers.MaxPooling2D((3, 3), strides=(2, 2))(x)
    x = _chain(x, (80, 1, 1, (1, 1), "valid"), (192, 3, 3, (1, 1), "valid"))
    x = layers.MaxPooling2D((3, 3), strides=(2, 2))(x)
    x = _block_a(x, 32, "mixed0")
    x = _block_a(x, 64, "mixed1")
    x = _block_a(x, 64, "mixed2")
    # reduction to 17x17
    x = _concat([_chain(x, (384, 3, 3, (2, 2), "valid")),
                 _chain(x, (64, 1, 1), (96, 3, 3), (96, 3, 3, (2, 2), "valid")),
                 layers.MaxPooling2D((3, 3), strides=(2, 2))(x)], "mixed3")
    x = _block_c(x, 128, "mixed4")
    x = _block_c(x, 160, "mixed5")
    x = _block_c(x, 160, "mixed6")
    x = _block_c(x, 192, "mixed7")
    # reduction to 8x8
    x = _concat([_chain(x, (192, 1, 1), (320, 3, 3, (2, 2), "valid")),
                 _chain(x, (192, 1, 1), (192, 1, 7), (192, 7, 1),
                        (192, 3, 3, (2, 2), "valid")),
                 layers.MaxPooling2D((3, 3), strides=(2, 2))(x)], "mixed8")
    x = _block_e(x, 0)
    x = _block_e(x, 1)
    x = _common.pooled(x, include_top, pooling, classes, classifier_activation, weights,
                       names=("avg_pool", None) if include_top else None)
    file_name, origin = _common.keras_weights_file(BASE_WEIGHTS_PATH, "inception_v3", include_top)
    return _common.finish(img_input, input_tensor, x, name, weights, file_name, origin)


preprocess_input, decode_predictions = _common.module_functions("tf")
