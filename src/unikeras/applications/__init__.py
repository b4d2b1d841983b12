"""``keras.applications``: Keras 3.15's pretrained-architecture builders, with its
function and module names, layer names and weight layout. ``weights=None`` builds the
network; ``weights=<path>`` loads a Keras weights file (``.weights.h5``, ``.keras`` or
Keras' legacy ``.h5``, the format of the ImageNet files); ``weights="imagenet"`` loads
Keras' file from the Keras cache (``$KERAS_HOME/models``): unikeras downloads nothing.

Submodules are imported on first use (``import unikeras`` imports no framework).
"""

from __future__ import annotations

import importlib

_MODULES = ("imagenet_utils", "vgg16", "vgg19", "resnet", "resnet50", "resnet_v2",
            "mobilenet_v2", "densenet", "mobilenet", "xception", "inception_v3",
            "inception_resnet_v2", "convnext", "mobilenet_v3", "nasnet", "efficientnet",
            "efficientnet_v2")

_FUNCTIONS = {
    "VGG16": "vgg16", "VGG19": "vgg19",
    "ResNet50": "resnet", "ResNet101": "resnet", "ResNet152": "resnet",
    "ResNet50V2": "resnet_v2", "ResNet101V2": "resnet_v2", "ResNet152V2": "resnet_v2",
    "MobileNetV2": "mobilenet_v2", "MobileNet": "mobilenet",
    "DenseNet121": "densenet", "DenseNet169": "densenet", "DenseNet201": "densenet",
    "Xception": "xception", "InceptionV3": "inception_v3",
    "InceptionResNetV2": "inception_resnet_v2",
    "ConvNeXtTiny": "convnext", "ConvNeXtSmall": "convnext", "ConvNeXtBase": "convnext",
    "ConvNeXtLarge": "convnext", "ConvNeXtXLarge": "convnext",
    "MobileNetV3Small": "mobilenet_v3", "MobileNetV3Large": "mobilenet_v3",
    "NASNetMobile": "nasnet", "NASNetLarge": "nasnet",
    **{f"EfficientNetB{i}": "efficientnet" for i in range(8)},
    **{f"EfficientNetV2{v}": "efficientnet_v2"
       for v in ("B0", "B1", "B2", "B3", "S", "M", "L")},
}


def __getattr__(name):
    if name in _MODULES:
        return importlib.import_module(f"{__name__}.{name}")
    if name in _FUNCTIONS:
        return getattr(importlib.import_module(f"{__name__}.{_FUNCTIONS[name]}"), name)
    raise AttributeError(f"module 'unikeras.applications' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_MODULES) | set(_FUNCTIONS))
