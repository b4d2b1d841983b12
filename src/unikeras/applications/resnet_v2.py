"""``keras.applications.resnet_v2``: ResNet50V2/101V2/152V2 (He et al., "Identity Mappings
in Deep Residual Networks", 2016), Keras 3.15's layers, names and weight layout."""

from __future__ import annotations

from . import _common
from .resnet import ResNet, stack_residual_blocks_v2


def _resnet_v2(depths, weights_name, kwargs):
    def stack_fn(x):
        x = stack_residual_blocks_v2(x, 64, depths[0], name="conv2")
        x = stack_residual_blocks_v2(x, 128, depths[1], name="conv3")
        x = stack_residual_blocks_v2(x, 256, depths[2], name="conv4")
        return stack_residual_blocks_v2(x, 512, depths[3], stride1=1, name="conv5")

    return ResNet(stack_fn, preact=True, use_bias=True, weights_name=weights_name, **kwargs)


def ResNet50V2(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
               pooling=None, classes=1000, classifier_activation="softmax",
               name="resnet50v2"):
    """Instantiate ResNet50V2 (default input 224x224x3, at least 32x32)."""
    return _resnet_v2((3, 4, 6, 3), "resnet50v2", locals())


def ResNet101V2(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
                pooling=None, classes=1000, classifier_activation="softmax",
                name="resnet101v2"):
    """Instantiate ResNet101V2 (default input 224x224x3, at least 32x32)."""
    return _resnet_v2((3, 4, 23, 3), "resnet101v2", locals())


def ResNet152V2(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
                pooling=None, classes=1000, classifier_activation="softmax",
                name="resnet152v2"):
    """Instantiate ResNet152V2 (default input 224x224x3, at least 32x32)."""
    return _resnet_v2((3, 8, 36, 3), "resnet152v2", locals())


preprocess_input, decode_predictions = _common.module_functions("tf")
