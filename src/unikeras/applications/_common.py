"""What every application builder shares: Keras' argument checks, the input tensor, the
pooling/classifier head and the weights (a local file; "imagenet" only from the Keras
cache, since unikeras downloads no weights)."""

from __future__ import annotations

import os

from . import imagenet_utils


def image_data_format():
    from ..config import image_data_format as fmt

    return fmt()


def check_weights(weights, include_top, classes):
    if not (weights in {"imagenet", None} or os.path.exists(os.fspath(weights))):
        raise ValueError("The `weights` argument should be either `None` (random "
                         "initialization), 'imagenet' (pre-training on ImageNet), or the "
                         "path to the weights file to be loaded.  Received: "
                         f"weights={weights}")
    if weights == "imagenet" and include_top and classes != 1000:
        raise ValueError("If using `weights='imagenet'` with `include_top=True`, `classes` "
                         f"should be 1000.  Received classes={classes}")


def image_input(input_tensor, input_shape):
    from ..layers import Input
    from ..utils.general import is_keras_tensor

    if input_tensor is None:
        return Input(shape=input_shape)
    if not is_keras_tensor(input_tensor):
        return Input(tensor=input_tensor, shape=input_shape)
    return input_tensor


def pooled(x, include_top, pooling, classes, classifier_activation, weights, names=None):
    """Keras' head: with ``include_top`` a global average pooling and the
    ``predictions`` Dense; else the optional ``pooling`` ("avg"/"max")."""
    from .. import layers

    avg_name, max_name = names or (None, None)
    if include_top:
        x = layers.GlobalAveragePooling2D(name=avg_name)(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        return layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    if pooling == "avg":
        return layers.GlobalAveragePooling2D(name=avg_name)(x)
    if pooling == "max":
        return layers.GlobalMaxPooling2D(name=max_name)(x)
    return x


def finish(img_input, input_tensor, x, name, weights, file_name, origin):
    """The Functional model from ``img_input`` (or ``input_tensor``'s sources) to ``x``,
    with ``weights`` loaded: a path (``.weights.h5``, ``.keras`` or Keras' legacy
    ``.h5``), or "imagenet": Keras' file ``file_name`` from the Keras cache."""
    from ..models import Model

    if input_tensor is not None:
        from ..utils.general import get_source_inputs

        inputs = get_source_inputs(input_tensor)
    else:
        inputs = img_input
    model = Model(inputs, x, name=name)
    if weights == "imagenet":
        model.load_weights(cached_weights(name, file_name, origin))
    elif weights is not None:
        model.load_weights(weights)
    return model


def keras_weights_file(base_url, key, include_top):
    """``(file_name, origin)`` of Keras' ImageNet file for ``key`` (e.g. "xception"):
    ``{key}_weights_tf_dim_ordering_tf_kernels[_notop].h5`` under ``base_url``."""
    file_name = f"{key}_weights_tf_dim_ordering_tf_kernels{'' if include_top else '_notop'}.h5"
    return file_name, base_url + file_name


def cached_weights(name, file_name, origin):
    """The path of Keras' pretrained weights file in the Keras cache
    (``$KERAS_HOME/models``, where ``keras.utils.get_file`` puts it); unikeras cannot
    download it."""
    from ..data.file_utils import keras_home

    path = os.path.join(keras_home(), "models", file_name)
    if file_name is None or not os.path.isfile(path):
        what = (f"Keras's file {file_name!r}" if file_name else "a Keras weights file")
        where = (f"from {origin}" if origin else "")
        raise ValueError(
            f"{name}: weights='imagenet' needs {what}, and unikeras cannot download it "
            "(no network access). Download it elsewhere "
            f"{where}, then place it at {path!r} (the Keras cache, $KERAS_HOME/models) "
            "or pass its local path as `weights=`.")
    return path


def module_functions(mode):
    """A module's ``preprocess_input(x, data_format=None)`` (``imagenet_utils``'
    ``mode``) and ``decode_predictions(preds, top=5)``, as every Keras application
    module has them."""
    docs = {"caffe": "Caffe preprocessing: RGB -> BGR, minus the ImageNet channel means.",
            "tf": "\"tf\" preprocessing: pixels scaled to [-1, 1].",
            "torch": "\"torch\" preprocessing: pixels scaled to [0, 1], then normalized "
                     "with the ImageNet channel means and stds."}

    def preprocess_input(x, data_format=None):
        return imagenet_utils.preprocess_input(x, data_format=data_format, mode=mode)

    def decode_predictions(preds, top=5):
        return imagenet_utils.decode_predictions(preds, top=top)

    preprocess_input.__doc__ = docs[mode]
    decode_predictions.__doc__ = imagenet_utils.decode_predictions.__doc__
    return preprocess_input, decode_predictions


def input_shape_for(weights, include_top, classes, input_shape, default_size=224,
                    min_size=32):
    """Keras' weights/classes checks, then ``obtain_input_shape``."""
    check_weights(weights, include_top, classes)
    return imagenet_utils.obtain_input_shape(
        input_shape, default_size=default_size, min_size=min_size,
        data_format=image_data_format(), require_flatten=include_top, weights=weights)
