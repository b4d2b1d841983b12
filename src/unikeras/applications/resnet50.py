"""``keras.applications.resnet50``: ResNet50 (the same builder as ``resnet``)."""

from .resnet import ResNet50, decode_predictions, preprocess_input  # noqa: F401
