"""``keras.applications.nasnet``: NASNetMobile and NASNetLarge (Zoph et al., "Learning
Transferable Architectures for Scalable Image Recognition", CVPR 2018), Keras 3.15's
layers, names, name scopes and weight layout (channels_last only, as in Keras).

The network is NASNet-A's normal and reduction cells. Keras builds each cell, and each
separable-convolution block and adjustment inside it, under a ``name_scope``, so the
weights' paths carry the cells' names
(``normal_A_block_0/block_1/separable_conv_block_normal_left1_0/...``); unikeras opens
the same scopes.
"""

from __future__ import annotations

from ..state.variables import name_scope
from . import _common, imagenet_utils

BASE_WEIGHTS_PATH = ("https://storage.googleapis.com/tensorflow/keras-applications/"
                     "nasnet/")
NASNET_MOBILE_WEIGHT_PATH = f"{BASE_WEIGHTS_PATH}NASNet-mobile.h5"
NASNET_MOBILE_WEIGHT_PATH_NO_TOP = f"{BASE_WEIGHTS_PATH}NASNet-mobile-no-top.h5"
NASNET_LARGE_WEIGHT_PATH = f"{BASE_WEIGHTS_PATH}NASNet-large.h5"
NASNET_LARGE_WEIGHT_PATH_NO_TOP = f"{BASE_WEIGHTS_PATH}NASNet-large-no-top.h5"
# default size -> (file name, URL) with and without the top, as Keras caches them
_IMAGENET_FILES = {
    224: (("nasnet_mobile.h5", NASNET_MOBILE_WEIGHT_PATH),
          ("nasnet_mobile_no_top.h5", NASNET_MOBILE_WEIGHT_PATH_NO_TOP)),
    331: (("nasnet_large.h5", NASNET_LARGE_WEIGHT_PATH),
          ("nasnet_large_no_top.h5", NASNET_LARGE_WEIGHT_PATH_NO_TOP)),
}


def _bn(name):
    from .. import layers

    return layers.BatchNormalization(axis=-1, momentum=0.9997, epsilon=1e-3, name=name)


def NASNet(input_shape=None, penultimate_filters=4032, num_blocks=6, stem_block_filters=96,
           skip_reduction=True, filter_multiplier=2, include_top=True, weights="imagenet",
           input_tensor=None, pooling=None, classes=1000, default_size=None,
           classifier_activation="softmax", name="NASNet"):
    """A NASNet-A: a stem of two reduction cells, then three stacks of ``num_blocks``
    normal cells separated by reduction cells; ``penultimate_filters`` (a multiple of
    24 * ``filter_multiplier`` ** 2) sets the widths."""
    from .. import layers

    if _common.image_data_format() == "channels_first":
        raise ValueError("NASNet does not support the `channels_first` image data format. "
                         "Switch to `channels_last` by editing your local config file at "
                         "~/.keras/keras.json")
    _common.check_weights(weights, include_top, classes)
    if isinstance(input_shape, tuple) and None in input_shape and weights == "imagenet":
        raise ValueError("When specifying the input shape of a NASNet and loading "
                         "`ImageNet` weights, the input_shape argument must be static (no "
                         f"None entries). Got: `input_shape={input_shape}`.")
    if default_size is None:
        default_size = 331
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape, default_size=default_size, min_size=32,
        data_format=_common.image_data_format(), require_flatten=include_top,
        weights=weights)
    file_name = origin = None
    if weights == "imagenet":
        if default_size not in _IMAGENET_FILES:
            raise ValueError("ImageNet weights can only be loaded with NASNetLarge or "
                             "NASNetMobile")
        file_name, origin = _IMAGENET_FILES[default_size][0 if include_top else 1]
    img_input = _common.image_input(input_tensor, input_shape)
    if penultimate_filters % (24 * (filter_multiplier ** 2)) != 0:
        raise ValueError("For NASNet-A models, the `penultimate_filters` must be a multiple "
                         "of 24 * (`filter_multiplier` ** 2). Current value: "
                         f"{penultimate_filters}")
    filters = penultimate_filters // 24

    x = layers.Conv2D(stem_block_filters, (3, 3), strides=(2, 2), padding="valid",
                      use_bias=False, name="stem_conv1",
                      kernel_initializer="he_normal")(img_input)
    x = _bn("stem_bn1")(x)
    p = None
    x, p = _reduction_a_cell(x, p, filters // (filter_multiplier ** 2), block_id="stem_1")
    x, p = _reduction_a_cell(x, p, filters // filter_multiplier, block_id="stem_2")
    for stack in range(3):  # normal cells 0.., reduce_N, N+1.., reduce_2N, 2N+1..
        width = filters * filter_multiplier ** stack
        if stack:
            x, p0 = _reduction_a_cell(x, p, width, block_id=f"reduce_{stack * num_blocks}")
            p = p if skip_reduction else p0
        for i in range(num_blocks):
            x, p = _normal_a_cell(x, p, width,
                                  block_id=f"{stack * num_blocks + i + (1 if stack else 0)}")
    x = layers.Activation("relu")(x)
    x = _common.pooled(x, include_top, pooling, classes, classifier_activation, weights)
    return _common.finish(img_input, input_tensor, x, name, weights, file_name, origin)


def NASNetMobile(input_shape=None, include_top=True, weights="imagenet", input_tensor=None,
                 pooling=None, classes=1000, classifier_activation="softmax",
                 name="nasnet_mobile"):
    """Instantiate NASNetMobile (default input 224x224x3, at least 32x32; pixels
    preprocessed by ``nasnet.preprocess_input``, scaled to [-1, 1])."""
    if not include_top and input_shape is None:
        input_shape = (224, 224, 3)
    return NASNet(input_shape, penultimate_filters=1056, num_blocks=4,
                  stem_block_filters=32, skip_reduction=False, filter_multiplier=2,
                  include_top=include_top, weights=weights, input_tensor=input_tensor,
                  pooling=pooling, classes=classes, default_size=224,
                  classifier_activation=classifier_activation, name=name)


def NASNetLarge(input_shape=None, include_top=True, weights="imagenet", input_tensor=None,
                pooling=None, classes=1000, classifier_activation="softmax",
                name="nasnet_large"):
    """Instantiate NASNetLarge (default input 331x331x3, at least 32x32; pixels
    preprocessed by ``nasnet.preprocess_input``, scaled to [-1, 1])."""
    return NASNet(input_shape, penultimate_filters=4032, num_blocks=6,
                  stem_block_filters=96, skip_reduction=True, filter_multiplier=2,
                  include_top=include_top, weights=weights, input_tensor=input_tensor,
                  pooling=pooling, classes=classes, default_size=331,
                  classifier_activation=classifier_activation, name=name)


def _separable_conv_block(ip, filters, kernel_size=(3, 3), strides=(1, 1), block_id=None):
    """Twice ReLU, separable convolution, batch norm (the first one strided, with
    Keras' correct padding at stride 2)."""
    from .. import layers

    with name_scope(f"separable_conv_block_{block_id}"):
        x = layers.Activation("relu")(ip)
        if strides == (2, 2):
            x = layers.ZeroPadding2D(padding=imagenet_utils.correct_pad(x, kernel_size),
                                     name=f"separable_conv_1_pad_{block_id}")(x)
            conv_pad = "valid"
        else:
            conv_pad = "same"
        x = layers.SeparableConv2D(filters, kernel_size, strides=strides,
                                   name=f"separable_conv_1_{block_id}", padding=conv_pad,
                                   use_bias=False)(x)
        x = _bn(f"separable_conv_1_bn_{block_id}")(x)
        x = layers.Activation("relu")(x)
        x = layers.SeparableConv2D(filters, kernel_size, name=f"separable_conv_2_{block_id}",
                                   padding="same", use_bias=False)(x)
        x = _bn(f"separable_conv_2_bn_{block_id}")(x)
    return x


def _adjust_block(p, ip, filters, block_id=None):
    """The previous cell's output ``p`` made to match ``ip``: halved spatially (two
    offset 1x1 average-pool paths, concatenated) or projected to ``filters``."""
    from .. import layers

    with name_scope("adjust_block"):
        if p is None:
            p = ip
        elif p.shape[-2] != ip.shape[-2]:
            with name_scope(f"adjust_reduction_block_{block_id}"):
                p = layers.Activation("relu", name=f"adjust_relu_1_{block_id}")(p)
                p1 = layers.AveragePooling2D((1, 1), strides=(2, 2), padding="valid",
                                             name=f"adjust_avg_pool_1_{block_id}")(p)
                p1 = layers.Conv2D(filters // 2, (1, 1), padding="same", use_bias=False,
                                   name=f"adjust_conv_1_{block_id}",
                                   kernel_initializer="he_normal")(p1)
                p2 = layers.ZeroPadding2D(padding=((0, 1), (0, 1)))(p)
                p2 = layers.Cropping2D(cropping=((1, 0), (1, 0)))(p2)
                p2 = layers.AveragePooling2D((1, 1), strides=(2, 2), padding="valid",
                                             name=f"adjust_avg_pool_2_{block_id}")(p2)
                p2 = layers.Conv2D(filters // 2, (1, 1), padding="same", use_bias=False,
                                   name=f"adjust_conv_2_{block_id}",
                                   kernel_initializer="he_normal")(p2)
                p = layers.concatenate([p1, p2], axis=-1)
                p = _bn(f"adjust_bn_{block_id}")(p)
        elif p.shape[-1] != filters:
            with name_scope(f"adjust_projection_block_{block_id}"):
                p = layers.Activation("relu")(p)
                p = layers.Conv2D(filters, (1, 1), strides=(1, 1), padding="same",
                                  name=f"adjust_conv_projection_{block_id}", use_bias=False,
                                  kernel_initializer="he_normal")(p)
                p = _bn(f"adjust_bn_{block_id}")(p)
    return p


def _cell_input(ip, p, filters, kind, block_id):
    """The adjusted previous output and the ReLU-1x1-BN of the cell's input."""
    from .. import layers

    p = _adjust_block(p, ip, filters, block_id)
    h = layers.Activation("relu")(ip)
    h = layers.Conv2D(filters, (1, 1), strides=(1, 1), padding="same",
                      name=f"{kind}_conv_1_{block_id}", use_bias=False,
                      kernel_initializer="he_normal")(h)
    return p, _bn(f"{kind}_bn_1_{block_id}")(h)


def _avg3(stride, name):
    from .. import layers

    return layers.AveragePooling2D((3, 3), strides=(stride, stride),
                                   padding="same" if stride == 1 else "valid", name=name)


def _normal_a_cell(ip, p, filters, block_id=None):
    """NASNet-A's normal cell: five combinations of the input ``h`` and the previous
    output ``p``, concatenated with ``p``; returns ``(output, ip)``."""
    from .. import layers

    with name_scope(f"normal_A_block_{block_id}"):
        p, h = _cell_input(ip, p, filters, "normal", block_id)
        with name_scope("block_1"):
            x1_1 = _separable_conv_block(h, filters, kernel_size=(5, 5),
                                         block_id=f"normal_left1_{block_id}")
            x1_2 = _separable_conv_block(p, filters, block_id=f"normal_right1_{block_id}")
            x1 = layers.add([x1_1, x1_2], name=f"normal_add_1_{block_id}")
        with name_scope("block_2"):
            x2_1 = _separable_conv_block(p, filters, (5, 5),
                                         block_id=f"normal_left2_{block_id}")
            x2_2 = _separable_conv_block(p, filters, (3, 3),
                                         block_id=f"normal_right2_{block_id}")
            x2 = layers.add([x2_1, x2_2], name=f"normal_add_2_{block_id}")
        with name_scope("block_3"):
            x3 = _avg3(1, f"normal_left3_{block_id}")(h)
            x3 = layers.add([x3, p], name=f"normal_add_3_{block_id}")
        with name_scope("block_4"):
            x4_1 = _avg3(1, f"normal_left4_{block_id}")(p)
            x4_2 = _avg3(1, f"normal_right4_{block_id}")(p)
            x4 = layers.add([x4_1, x4_2], name=f"normal_add_4_{block_id}")
        with name_scope("block_5"):
            x5 = _separable_conv_block(h, filters, block_id=f"normal_left5_{block_id}")
            x5 = layers.add([x5, h], name=f"normal_add_5_{block_id}")
        x = layers.concatenate([p, x1, x2, x3, x4, x5], axis=-1,
                               name=f"normal_concat_{block_id}")
    return x, ip


def _reduction_a_cell(ip, p, filters, block_id=None):
    """NASNet-A's reduction cell (stride 2): four combinations, concatenated; returns
    ``(output, ip)``."""
    from .. import layers

    with name_scope(f"reduction_A_block_{block_id}"):
        p, h = _cell_input(ip, p, filters, "reduction", block_id)
        h3 = layers.ZeroPadding2D(padding=imagenet_utils.correct_pad(h, 3),
                                  name=f"reduction_pad_1_{block_id}")(h)
        with name_scope("block_1"):
            x1_1 = _separable_conv_block(h, filters, (5, 5), strides=(2, 2),
                                         block_id=f"reduction_left1_{block_id}")
            x1_2 = _separable_conv_block(p, filters, (7, 7), strides=(2, 2),
                                         block_id=f"reduction_right1_{block_id}")
            x1 = layers.add([x1_1, x1_2], name=f"reduction_add_1_{block_id}")
        with name_scope("block_2"):
            x2_1 = layers.MaxPooling2D((3, 3), strides=(2, 2), padding="valid",
                                       name=f"reduction_left2_{block_id}")(h3)
            x2_2 = _separable_conv_block(p, filters, (7, 7), strides=(2, 2),
                                         block_id=f"reduction_right2_{block_id}")
            x2 = layers.add([x2_1, x2_2], name=f"reduction_add_2_{block_id}")
        with name_scope("block_3"):
            x3_1 = _avg3(2, f"reduction_left3_{block_id}")(h3)
            x3_2 = _separable_conv_block(p, filters, (5, 5), strides=(2, 2),
                                         block_id=f"reduction_right3_{block_id}")
            x3 = layers.add([x3_1, x3_2], name=f"reduction_add3_{block_id}")
        with name_scope("block_4"):
            x4 = _avg3(1, f"reduction_left4_{block_id}")(x1)
            x4 = layers.add([x2, x4])
        with name_scope("block_5"):
            x5_1 = _separable_conv_block(x1, filters, (3, 3),
                                         block_id=f"reduction_left4_{block_id}")
            x5_2 = layers.MaxPooling2D((3, 3), strides=(2, 2), padding="valid",
                                       name=f"reduction_right5_{block_id}")(h3)
            x5 = layers.add([x5_1, x5_2], name=f"reduction_add4_{block_id}")
        x = layers.concatenate([x2, x3, x4, x5], axis=-1,
                               name=f"reduction_concat_{block_id}")
    return x, ip


preprocess_input, decode_predictions = _common.module_functions("tf")
