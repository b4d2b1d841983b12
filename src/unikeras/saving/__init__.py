"""``keras.saving``: weights files (``.weights.h5``) and whole models (``.keras``).

Loading never executes code from a file: configs are JSON, weights are HDF5 datasets,
and only registered classes (or ``custom_objects``) are instantiated. Files are
untrusted input: see ``_files`` and docs/security.md for what is refused and why. Every
write is atomic (temporary file in the same directory, fsync, ``os.replace``).
"""

from __future__ import annotations

import os

from ..utils.serialization import SafeModeScope, enable_unsafe_deserialization, in_safe_mode
from ..utils.serialization import lookup as _lookup
from ..utils.serialization import register_keras_serializable
from ..utils.serialization import (  # noqa: F401
    CustomObjectScope,
    custom_object_scope,
    deserialize_keras_object,
    get_registered_name,
    serialize_keras_object,
)
from . import _files
from .keras_file import load_model, save_model
from .file_editor import KerasFileEditor

__all__ = ["save_weights", "load_weights", "save_model", "load_model",
           "register_keras_serializable", "get_registered_object", "get_custom_objects",
           "SafeModeScope", "in_safe_mode", "enable_unsafe_deserialization",
           "CustomObjectScope", "custom_object_scope", "deserialize_keras_object",
           "get_registered_name", "serialize_keras_object", "KerasFileEditor"]


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
    with _files.atomic_write(filepath) as tmp:
        with h5py.File(tmp, "w") as f:
            weights_h5.write(model, f)


def load_weights(model, filepath, skip_mismatch=False):
    """Load ``*.weights.h5`` (or the weights inside a ``.keras`` file, or Keras' legacy
    ``.h5`` weights: ``legacy_h5``) into ``model``:
    every variable or, on any error (a ValueError naming the dataset), none."""
    from . import keras_file, weights_h5

    filepath = os.fspath(filepath)
    if os.path.isdir(filepath):
        from . import orbax_checkpoint

        if orbax_checkpoint.is_orbax_checkpoint(filepath):
            orbax_checkpoint.load_weights(model, filepath)
            return
    if filepath.endswith(".keras"):
        with _files.open_archive(filepath, "load_weights") as z:
            if keras_file.WEIGHTS not in z.namelist():
                raise ValueError(f"load_weights: {filepath!r} has no {keras_file.WEIGHTS}")
            with _files.weights_member(z, keras_file.WEIGHTS, filepath, "load_weights") as f:
                _read(weights_h5, model, f, filepath, skip_mismatch)
        return
    if not filepath.endswith(".weights.h5") and filepath.endswith((".h5", ".hdf5")):
        # Keras' legacy HDF5 weights (Keras 2's files, the keras.applications ones)
        from . import legacy_h5

        if not os.path.isfile(filepath):
            raise FileNotFoundError(f"load_weights: no file {filepath!r}")
        with _files.open_h5(filepath) as f:
            legacy_h5.read(model, f, filepath)
        return
    if not filepath.endswith(".weights.h5"):
        raise ValueError("load_weights: expected a file ending in .weights.h5, .keras or "
                         "(Keras' legacy format) .h5/.hdf5, or an Orbax checkpoint "
                         f"directory; received {filepath!r}")
    if not os.path.isfile(filepath):
        raise FileNotFoundError(f"load_weights: no file {filepath!r}")
    with _files.open_h5(filepath) as f:
        _read(weights_h5, model, f, filepath, skip_mismatch)


def _read(weights_h5, model, f, filepath, skip_mismatch):
    try:
        weights_h5.read(model, f, skip_mismatch=skip_mismatch)
    except ValueError as e:
        msg = str(e)
        if not msg.startswith("load_weights"):
            msg = f"load_weights: {filepath!r}: {msg}"
        raise ValueError(msg) from None


def get_registered_object(name, custom_objects=None, module_objects=None):
    for source in (custom_objects, module_objects):
        if source and name in source:
            return source[name]
    return _lookup(name)


def get_custom_objects():
    from ..utils.serialization import _registry

    return _registry
