"""``keras.applications.vgg19``: VGG19, Keras 3.15's layers, names and weight layout."""

from __future__ import annotations

from . import _common
from .vgg16 import build_vgg

WEIGHTS_PATH = ("https://storage.googleapis.com/tensorflow/keras-applications/vgg19/"
                "vgg19_weights_tf_dim_ordering_tf_kernels.h5")
WEIGHTS_PATH_NO_TOP = ("https://storage.googleapis.com/tensorflow/keras-applications/"
                       "vgg19/vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5")


def VGG19(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
          pooling=None, classes=1000, classifier_activation="softmax", name="vgg19"):
    """Instantiate VGG19 (default input 224x224x3, at least 32x32)."""
    return build_vgg((2, 2, 4, 4, 4), include_top, weights, input_tensor, input_shape,
                     pooling, classes, classifier_activation, name,
                     (WEIGHTS_PATH, WEIGHTS_PATH_NO_TOP))


preprocess_input, decode_predictions = _common.module_functions("caffe")
