"""``keras.applications.vgg16``: VGG16 (Simonyan & Zisserman, ICLR 2015), Keras 3.15's
layers, names and weight layout."""

from __future__ import annotations

from . import _common, imagenet_utils

WEIGHTS_PATH = ("https://storage.googleapis.com/tensorflow/keras-applications/vgg16/"
                "vgg16_weights_tf_dim_ordering_tf_kernels.h5")
WEIGHTS_PATH_NO_TOP = ("https://storage.googleapis.com/tensorflow/keras-applications/"
                       "vgg16/vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5")


def build_vgg(blocks, include_top, weights, input_tensor, input_shape, pooling, classes,
              classifier_activation, name, weights_file):
    """The VGG network: ``blocks`` = convolutions per block (filters 64, 128, 256, 512,
    512), each block ending in a 2x2 max pooling; the top is Flatten, fc1, fc2 (4096,
    relu) and ``predictions``."""
    from .. import layers

    input_shape = _common.input_shape_for(weights, include_top, classes, input_shape)
    img_input = _common.image_input(input_tensor, input_shape)
    x = img_input
    for b, (n, filters) in enumerate(zip(blocks, (64, 128, 256, 512, 512)), start=1):
        for i in range(1, n + 1):
            x = layers.Conv2D(filters, (3, 3), activation="relu", padding="same",
                              name=f"block{b}_conv{i}")(x)
        x = layers.MaxPooling2D((2, 2), strides=(2, 2), name=f"block{b}_pool")(x)
    if include_top:
        x = layers.Flatten(name="flatten")(x)
        x = layers.Dense(4096, activation="relu", name="fc1")(x)
        x = layers.Dense(4096, activation="relu", name="fc2")(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    elif pooling == "avg":
        x = layers.GlobalAveragePooling2D()(x)
    elif pooling == "max":
        x = layers.GlobalMaxPooling2D()(x)
    top, notop = weights_file
    origin = top if include_top else notop
    return _common.finish(img_input, input_tensor, x, name, weights,
                          origin.rsplit("/", 1)[-1], origin)


def VGG16(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
          pooling=None, classes=1000, classifier_activation="softmax", name="vgg16"):
    """Instantiate VGG16 (default input 224x224x3, at least 32x32). ``weights``: None,
    "imagenet" (Keras' file, from the Keras cache) or a path to a weights file."""
    return build_vgg((2, 2, 3, 3, 3), include_top, weights, input_tensor, input_shape,
                     pooling, classes, classifier_activation, name,
                     (WEIGHTS_PATH, WEIGHTS_PATH_NO_TOP))


preprocess_input, decode_predictions = _common.module_functions("caffe")
