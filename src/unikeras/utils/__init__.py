"""Keras' ``keras.utils``."""

from __future__ import annotations

import numpy as np

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


def to_categorical(x, num_classes=None):
    """One-hot encode integer labels (NumPy, like Keras)."""
    from ..xp import to_numpy

    x = np.asarray(to_numpy(x)).astype("int64")
    shape = x.shape
    if shape and shape[-1] == 1 and len(shape) > 1:
        shape = shape[:-1]
    x = x.reshape(-1)
    if num_classes is None:
        num_classes = int(x.max()) + 1
    out = np.zeros((x.shape[0], num_classes), dtype="float32")
    out[np.arange(x.shape[0]), x] = 1
    return out.reshape(shape + (num_classes,))

from .py_dataset import PyDataset  # noqa: E402,F401

Sequence = PyDataset  # Keras 3's name for the same class
