"""``keras.applications.densenet``: DenseNet121/169/201 (Huang et al., CVPR 2017), Keras
3.15's layers, names and weight layout."""

from __future__ import annotations

from . import _common

BASE_WEIGHTS_PATH = ("https://storage.googleapis.com/tensorflow/keras-applications/"
                     "densenet/")
_NAMES = {(6, 12, 24, 16): "densenet121", (6, 12, 32, 32): "densenet169",
          (6, 12, 48, 32): "densenet201"}


def _bn(name):
    from .. import layers

    return layers.BatchNormalization(axis=3, epsilon=1.001e-5, name=name)


def dense_block(x, blocks, name):
    for i in range(blocks):
        x = conv_block(x, 32, name=f"{name}_block{i + 1}")
    return x


def transition_block(x, reduction, name):
    """BN-ReLU, a 1x1 convolution to ``reduction`` of the channels, 2x2 average pooling."""
    from .. import layers

    x = _bn(f"{name}_bn")(x)
    x = layers.Activation("relu", name=f"{name}_relu")(x)
    x = layers.Conv2D(int(x.shape[3] * reduction), 1, use_bias=False,
                      name=f"{name}_conv")(x)
    return layers.AveragePooling2D(2, strides=2, name=f"{name}_pool")(x)


def conv_block(x, growth_rate, name):
    """BN-ReLU-1x1 (4 x growth), BN-ReLU-3x3 (growth), concatenated to the input."""
    from .. import layers

    x1 = _bn(f"{name}_0_bn")(x)
    x1 = layers.Activation("relu", name=f"{name}_0_relu")(x1)
    x1 = layers.Conv2D(4 * growth_rate, 1, use_bias=False, name=f"{name}_1_conv")(x1)
    x1 = _bn(f"{name}_1_bn")(x1)
    x1 = layers.Activation("relu", name=f"{name}_1_relu")(x1)
    x1 = layers.Conv2D(growth_rate, 3, padding="same", use_bias=False,
                       name=f"{name}_2_conv")(x1)
    return layers.Concatenate(axis=3, name=f"{name}_concat")([x, x1])


def DenseNet(blocks, include_top=True, weights="imagenet", input_tensor=None,
             input_shape=None, pooling=None, classes=1000, classifier_activation="softmax",
             name="densenet"):
    """The DenseNet with ``blocks`` conv blocks in its four dense blocks (channels_last
    only, as in Keras)."""
    from .. import layers

    if _common.image_data_format() == "channels_first":
        raise ValueError("DenseNet does not support the `channels_first` image data "
                         "format. Switch to `channels_last` by editing your local config "
                         "file at ~/.keras/keras.json")
    input_shape = _common.input_shape_for(weights, include_top, classes, input_shape)
    img_input = _common.image_input(input_tensor, input_shape)
    x = layers.ZeroPadding2D(padding=((3, 3), (3, 3)))(img_input)
    x = layers.Conv2D(64, 7, strides=2, use_bias=False, name="conv1_conv")(x)
    x = _bn("conv1_bn")(x)
    x = layers.Activation("relu", name="conv1_relu")(x)
    x = layers.ZeroPadding2D(padding=((1, 1), (1, 1)))(x)
    x = layers.MaxPooling2D(3, strides=2, name="pool1")(x)
    for i, n in enumerate(blocks):
        x = dense_block(x, n, name=f"conv{i + 2}")
        if i < 3:
            x = transition_block(x, 0.5, name=f"pool{i + 2}")
    x = _bn("bn")(x)
    x = layers.Activation("relu", name="relu")(x)
    x = _common.pooled(x, include_top, pooling, classes, classifier_activation, weights,
                       names=("avg_pool", "max_pool"))
    key = _NAMES.get(tuple(blocks))
    file_name = origin = None
    if key is not None:
        file_name = (f"{key}_weights_tf_dim_ordering_tf_kernels"
                     f"{'' if include_top else '_notop'}.h5")
        origin = BASE_WEIGHTS_PATH + file_name
    return _common.finish(img_input, input_tensor, x, name, weights, file_name, origin)


def DenseNet121(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
                pooling=None, classes=1000, classifier_activation="softmax",
                name="densenet121"):
    """Instantiate DenseNet121 (default input 224x224x3, at least 32x32)."""
    return DenseNet([6, 12, 24, 16], include_top, weights, input_tensor, input_shape,
                    pooling, classes, classifier_activation, name=name)


def DenseNet169(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
                pooling=None, classes=1000, classifier_activation="softmax",
                name="densenet169"):
    """Instantiate DenseNet169 (default input 224x224x3, at least 32x32)."""
    return DenseNet([6, 12, 32, 32], include_top, weights, input_tensor, input_shape,
                    pooling, classes, classifier_activation, name=name)


def DenseNet201(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
                pooling=None, classes=1000, classifier_activation="softmax",
                name="densenet201"):
    """Instantiate DenseNet201 (default input 224x224x3, at least 32x32)."""
    return DenseNet([6, 12, 48, 32], include_top, weights, input_tensor, input_shape,
                    pooling, classes, classifier_activation, name=name)


preprocess_input, decode_predictions = _common.module_functions("torch")
