"""Keras' legacy HDF5 weights (``.h5``: Keras 2's ``save_weights``/``model.save`` layout,
the format of the ``keras.applications`` ImageNet files), read as Keras 3's
``legacy_h5_format.load_weights_from_hdf5_group`` reads them: the file lists its layers
(``layer_names``) and, per layer, its arrays (``weight_names``); they are matched to the
model's layers that have weights in order, each layer's arrays to its trainable then
non-trainable weights. Every dataset is checked (``_files``) before it is read, and all
variables are assigned or none.
"""

from __future__ import annotations

import numpy as np

from . import _files


def _strings(values):
    return [v.decode("utf8") if isinstance(v, bytes) else str(v) for v in values]


def _attr_list(group, name, where):
    try:
        values = group.attrs[name] if name in group.attrs else []
    except (OSError, ValueError, KeyError, RuntimeError, TypeError) as e:
        raise ValueError(f"{where}: unreadable attribute {name!r} ({e})") from None
    return _strings(np.asarray(values).reshape(-1).tolist()) if len(values) else []


def _legacy_weights(layer):
    return list(layer.trainable_weights) + list(layer.non_trainable_weights)


def read(model, f, filepath):
    """Assign the weights of the open legacy HDF5 file ``f`` to ``model``."""
    from .weights_h5 import assign_all

    root = f
    if _files.get_group(f, "model_weights") is not None:
        root = _files.get_group(f, "model_weights")
    if "layer_names" not in root.attrs:
        raise ValueError(f"load_weights: {filepath!r} is not a Keras HDF5 weights file (no "
                         "'layer_names' attribute)")
    names = []
    for name in _attr_list(root, "layer_names", filepath):
        group = _files.get_group(root, name)
        if group is None:
            raise ValueError(f"load_weights: {filepath!r} lists layer {name!r} but has no "
                             "such group")
        if _attr_list(group, "weight_names", f"{filepath!r}/{name}"):
            names.append(name)
    layers = [layer for layer in model.layers if _legacy_weights(layer)]
    if len(layers) != len(names):
        raise ValueError("Layer count mismatch when loading weights from file. Model "
                         f"expected {len(layers)} layers, found {len(names)} saved layers "
                         f"({filepath!r}).")
    pending = []
    for layer, name in zip(layers, names):
        group = _files.get_group(root, name)
        weight_names = _attr_list(group, "weight_names", f"{filepath!r}/{name}")
        variables = _legacy_weights(layer)
        if len(weight_names) != len(variables):
            raise ValueError(f"Weight count mismatch for layer '{layer.name}' "
                             f"({type(layer).__name__}): the model has {len(variables)} "
                             f"weights, the file's layer {name!r} has {len(weight_names)} "
                             f"({filepath!r}).")
        for v, wname in zip(variables, weight_names):
            parent, _, leaf = wname.rpartition("/")
            sub = _files.get_group(group, parent) if parent else group
            if sub is None:
                raise ValueError(f"load_weights: {filepath!r}: no group '{name}/{parent}'")
            d = _files.check_dataset(sub, leaf, f"{name}/{wname}")
            value = _files.read_dataset(d, f"{name}/{wname}")
            if tuple(value.shape) != tuple(v.shape):
                raise ValueError(f"load_weights: the shape of weight '{v.path}' of layer "
                                 f"'{layer.name}' ({type(layer).__name__}) is "
                                 f"{tuple(v.shape)}; the file's '{name}/{wname}' is "
                                 f"{tuple(value.shape)} ({filepath!r})")
            pending.append((v, np.asarray(value)))
    assign_all(pending)
