"""``keras.saving``: weights files (``.weights.h5``) and whole models (``.keras``).

Loading never executes code from a file: configs are JSON, weights are HDF5 datasets,
and only registered classes (or ``custom_objects``) are instantiated.
"""

from __future__ import annotations

import os

from ..utils.serialization import lookup as _lookup
from ..utils.serialization import register_keras_serializable
from .keras_file import load_model, save_model

__all__ = ["save_weights", "load_weights", "save_model", "load_model",
           "register_keras_serializable", "get_registered_object", "get_custom_objects"]


def save_weights(model, filepath, overwrite=True):
    """Write ``model``'s variables (and its built optimizer's) to ``*.weights.h5``."""
    import h5py

    from . import weights_h5

    filepath = os.fspath(filepath)
    if not filepath.endswith(".weights.h5"):
        raise ValueError("save_weights: the file name must end in .weights.h5; received "
                         f"{filepath!r}")
    if not overwrite and os.path.exists(filepath):
        raise FileExistsError(f"save_weights: {filepath!r} exists and overwrite=False")
    with h5py.File(filepath, "w") as f:
        weights_h5.write(model, f)


def load_weights(model, filepath, skip_mismatch=False):
    """Load ``*.weights.h5`` (or the weights inside a ``.keras`` file) into ``model``."""
    import io
    import zipfile

    import h5py

    from . import keras_file, weights_h5

    filepath = os.fspath(filepath)
    if filepath.endswith(".keras"):
        with zipfile.ZipFile(filepath) as z:
            data = z.read(keras_file.WEIGHTS)
        with h5py.File(io.BytesIO(data), "r") as f:
            weights_h5.read(model, f, skip_mismatch=skip_mismatch)
        return
    if not filepath.endswith(".weights.h5"):
        raise ValueError("load_weights: expected a file ending in .weights.h5 or .keras; "
                         f"received {filepath!r}")
    with h5py.File(filepath, "r") as f:
        weights_h5.read(model, f, skip_mismatch=skip_mismatch)


def get_registered_object(name, custom_objects=None, module_objects=None):
    for source in (custom_objects, module_objects):
        if source and name in source:
            return source[name]
    return _lookup(name)


def get_custom_objects():
    from ..utils.serialization import _registry

    return _registry
