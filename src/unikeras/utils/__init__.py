"""Keras' ``keras.utils``.

The data helpers follow Keras: ``pad_sequences``, ``to_categorical``, ``normalize`` and
the image file helpers work on the host (NumPy/Pillow), from ``unikeras.data``; the ``*_dataset_from_directory``
loaders, ``timeseries_dataset_from_array`` and ``split_dataset`` return tf.data datasets
(``data/dataset_utils.py`` says why); ``get_file`` is the Keras cache."""

from __future__ import annotations

from .general import (  # noqa: F401
    Config,
    clear_session,
    get_source_inputs,
    is_keras_tensor,
    pack_x_y_sample_weight,
    unpack_x_y_sample_weight,
)
from ..xp.random import set_random_seed
from ..xp.dtypes import standardize_dtype  # noqa: F401
from .io import (  # noqa: F401
    Progbar,
    disable_interactive_logging,
    enable_interactive_logging,
    is_interactive_logging_enabled,
)
from . import bounding_boxes  # noqa: F401  (keras.utils.bounding_boxes)
from .serialization import (  # noqa: F401
    CustomObjectScope,
    custom_object_scope,
    deserialize_keras_object,
    get_custom_objects,
    get_registered_name,
    get_registered_object,
    register_keras_serializable,
    serialize_keras_object,
)


from .py_dataset import PyDataset  # noqa: E402,F401

Sequence = PyDataset  # Keras 3's name for the same class

# The data helpers live in ``unikeras.data`` (they use ops and config, which sit above
# this package); keras.utils exposes them, loaded on first access.
_DATA = {
    "audio_dataset_from_directory": "dataset_utils",
    "image_dataset_from_directory": "dataset_utils",
    "split_dataset": "dataset_utils",
    "text_dataset_from_directory": "dataset_utils",
    "timeseries_dataset_from_array": "dataset_utils",
    "get_file": "file_utils",
    "array_to_img": "image_utils",
    "img_to_array": "image_utils",
    "load_img": "image_utils",
    "save_img": "image_utils",
    "normalize": "numerical_utils",
    "to_categorical": "numerical_utils",
    "pad_sequences": "sequence_utils",
}


# Layers-based utilities (``layers`` sits above this package): loaded on first access.
_LAYERS = {"FeatureSpace": "unikeras.layers.preprocessing.feature_space",
           "model_to_dot": "unikeras.training.model_visualization",
           "plot_model": "unikeras.training.model_visualization"}


def __getattr__(name):
    if name in _LAYERS:
        import importlib

        value = getattr(importlib.import_module(_LAYERS[name]), name)
        globals()[name] = value
        return value
    if name in _DATA:
        import importlib

        value = getattr(importlib.import_module("unikeras.data." + _DATA[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'unikeras.utils' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_DATA) | set(_LAYERS))
