"""``keras.applications.imagenet_utils``: ImageNet preprocessing, decoding and the
shared argument checks of the application builders (Keras 3.15's behaviour)."""

from __future__ import annotations

import json
import os
import warnings

import numpy as np

CLASS_INDEX = None
CLASS_INDEX_FILE = "imagenet_class_index.json"
CLASS_INDEX_PATH = ("https://storage.googleapis.com/download.tensorflow.org/"
                    "data/imagenet_class_index.json")

_CAFFE_MEAN = (103.939, 116.779, 123.68)
_TORCH_MEAN = (0.485, 0.456, 0.406)
_TORCH_STD = (0.229, 0.224, 0.225)


def _image_data_format():
    from ..config import image_data_format

    return image_data_format()


def preprocess_input(x, data_format=None, mode="caffe"):
    """Preprocess a batch of images (a NumPy array, a framework array or a KerasTensor;
    3D or 4D, 3 colour channels, values in [0, 255]).

    ``mode``: "caffe" (RGB -> BGR, minus the ImageNet channel means, no scaling), "tf"
    (scaled to [-1, 1]) or "torch" (scaled to [0, 1], then normalized per channel with
    the ImageNet mean and std). NumPy float arrays are modified in place, as in Keras.
    """
    if mode not in {"caffe", "tf", "torch"}:
        raise ValueError("Expected mode to be one of `caffe`, `tf` or `torch`. "
                         f"Received: mode={mode}")
    if data_format is None:
        data_format = _image_data_format()
    elif data_format not in {"channels_first", "channels_last"}:
        raise ValueError("Expected data_format to be one of `channels_first` or "
                         f"`channels_last`. Received: data_format={data_format}")
    if isinstance(x, np.ndarray):
        return _preprocess_numpy(x, data_format, mode)
    return _preprocess_tensor(x, data_format, mode)


def _channel_axis(ndim, data_format):
    if data_format == "channels_last":
        return ndim - 1
    return 0 if ndim == 3 else 1


def _preprocess_numpy(x, data_format, mode):
    from ..xp.dtypes import floatx

    if not issubclass(x.dtype.type, np.floating):
        x = x.astype(floatx(), copy=False)
    if mode == "tf":
        x /= 127.5
        x -= 1.0
        return x
    axis = _channel_axis(x.ndim, data_format)
    if mode == "torch":
        x /= 255.0
        mean, std = _TORCH_MEAN, _TORCH_STD
    else:
        x = np.flip(x, axis=axis)
        mean, std = _CAFFE_MEAN, None
    for c in range(3):
        idx = [slice(None)] * x.ndim
        idx[axis] = c
        idx = tuple(idx)
        x[idx] -= mean[c]
        if std is not None:
            x[idx] /= std[c]
    return x


def _preprocess_tensor(x, data_format, mode):
    from .. import ops
    from ..xp.dtypes import floatx

    ndim = len(x.shape)
    dtype = str(ops.dtype(x))
    if "float" not in dtype:
        x = ops.cast(x, floatx())
        dtype = floatx()
    if mode == "tf":
        return ops.subtract(ops.divide(x, 127.5), 1.0)
    axis = _channel_axis(ndim, data_format)
    shape = [1] * ndim
    shape[axis] = 3
    if mode == "torch":
        x = ops.divide(x, 255.0)
        mean, std = _TORCH_MEAN, _TORCH_STD
    else:
        x = ops.flip(x, axis=axis)
        mean, std = _CAFFE_MEAN, None
    x = ops.subtract(x, np.asarray(mean, dtype=dtype).reshape(shape))
    if std is not None:
        x = ops.divide(x, np.asarray(std, dtype=dtype).reshape(shape))
    return x


def _class_index():
    global CLASS_INDEX
    if CLASS_INDEX is None:
        from ..data.file_utils import keras_home

        path = os.path.join(keras_home(), "models", CLASS_INDEX_FILE)
        if not os.path.isfile(path):
            raise ValueError(
                "decode_predictions needs the ImageNet class index file "
                f"{CLASS_INDEX_FILE!r}, which unikeras cannot download here. Download it "
                f"from {CLASS_INDEX_PATH} and place it at {path!r} (the Keras cache), or "
                "load it yourself into keras.applications.imagenet_utils.CLASS_INDEX "
                "(json.load of that file).")
        with open(path) as f:
            CLASS_INDEX = json.load(f)
    return CLASS_INDEX


def decode_predictions(preds, top=5):
    """Decode a batch of ImageNet predictions (shape ``(samples, 1000)``) into lists of
    the ``top`` ``(class_name, class_description, score)`` tuples, best first. The class
    index is read from the Keras cache (``$KERAS_HOME/models/imagenet_class_index.json``)
    or from ``imagenet_utils.CLASS_INDEX`` if set."""
    if len(preds.shape) != 2 or preds.shape[1] != 1000:
        raise ValueError("`decode_predictions` expects a batch of predictions (i.e. a 2D "
                         "array of shape (samples, 1000)). Received array with shape: "
                         f"{tuple(preds.shape)}")
    index = _class_index()
    from ..xp import to_numpy

    preds = np.asarray(to_numpy(preds))
    results = []
    for pred in preds:
        top_indices = pred.argsort()[-top:][::-1]
        result = [tuple(index[str(i)]) + (pred[i],) for i in top_indices]
        result.sort(key=lambda t: t[2], reverse=True)
        results.append(result)
    return results


def obtain_input_shape(input_shape, default_size, min_size, data_format, require_flatten,
                       weights=None):
    """Compute/validate a model's input shape (Keras' rules and messages)."""
    if weights != "imagenet" and input_shape and len(input_shape) == 3:
        if data_format == "channels_first":
            if input_shape[0] not in {1, 3}:
                warnings.warn("This model usually expects 1 or 3 input channels. However, "
                              "it was passed an input_shape with "
                              f"{input_shape[0]} input channels.", stacklevel=3)
            default_shape = (input_shape[0], default_size, default_size)
        else:
            if input_shape[-1] not in {1, 3}:
                warnings.warn("This model usually expects 1 or 3 input channels. However, "
                              "it was passed an input_shape with "
                              f"{input_shape[-1]} input channels.", stacklevel=3)
            default_shape = (default_size, default_size, input_shape[-1])
    elif data_format == "channels_first":
        default_shape = (3, default_size, default_size)
    else:
        default_shape = (default_size, default_size, 3)
    if weights == "imagenet" and require_flatten:
        if input_shape is not None:
            if tuple(input_shape) != default_shape:
                raise ValueError("When setting `include_top=True` and loading `imagenet` "
                                 f"weights, `input_shape` should be {default_shape}.  "
                                 f"Received: input_shape={input_shape}")
        return default_shape
    if input_shape:
        input_shape = tuple(input_shape)
        if data_format == "channels_first":
            if len(input_shape) != 3:
                raise ValueError("`input_shape` must be a tuple of three integers.")
            if input_shape[0] != 3 and weights == "imagenet":
                raise ValueError("The input must have 3 channels; Received "
                                 f"`input_shape={input_shape}`")
            spatial = input_shape[1:]
        else:
            if len(input_shape) != 3:
                raise ValueError("`input_shape` must be a tuple of three integers.")
            if input_shape[-1] != 3 and weights == "imagenet":
                raise ValueError("The input must have 3 channels; Received "
                                 f"`input_shape={input_shape}`")
            spatial = input_shape[:2]
        if any(s is not None and s < min_size for s in spatial):
            raise ValueError(f"Input size must be at least {min_size}x{min_size}; Received: "
                             f"input_shape={input_shape}")
    elif require_flatten:
        input_shape = default_shape
    elif data_format == "channels_first":
        input_shape = (3, None, None)
    else:
        input_shape = (None, None, 3)
    if require_flatten and None in input_shape:
        raise ValueError("If `include_top` is True, you should specify a static "
                         f"`input_shape`. Received: input_shape={input_shape}")
    return input_shape


def correct_pad(inputs, kernel_size):
    """The zero padding ``((top, bottom), (left, right))`` of a strided 2D convolution
    with ``kernel_size`` on ``inputs``, as Keras computes it."""
    img_dim = 2 if _image_data_format() == "channels_first" else 1
    input_size = tuple(inputs.shape[img_dim:img_dim + 2])
    if isinstance(kernel_size, int):
        kernel_size = (kernel_size, kernel_size)
    if input_size[0] is None:
        adjust = (1, 1)
    else:
        adjust = (1 - input_size[0] % 2, 1 - input_size[1] % 2)
    correct = (kernel_size[0] // 2, kernel_size[1] // 2)
    return ((correct[0] - adjust[0], correct[0]), (correct[1] - adjust[1], correct[1]))


def validate_activation(classifier_activation, weights):
    """With pretrained weights only ``None`` and ``"softmax"`` classifiers are allowed."""
    if weights is None:
        return
    from .. import activations

    act = activations.get(classifier_activation)
    if act not in {activations.get("softmax"), activations.get(None)}:
        raise ValueError("Only `None` and `softmax` activations are allowed for the "
                         "`classifier_activation` argument when using pretrained weights, "
                         "with `include_top=True`; Received: "
                         f"classifier_activation={classifier_activation}")
