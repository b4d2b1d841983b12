"""``.weights.h5`` files in Keras 3's layout (h5py).

Keras 3 stores each saveable object's own variables in a group ``<path>/vars`` with
datasets ``"0"``, ``"1"``, ... in the object's variable order, and an attribute
``name``. Paths: the model's own variables at ``vars``; a Sequential / Functional
model's layers under ``layers/<name>``, where ``<name>`` is the snake-cased class name
made unique by a counter in ``model.layers`` order (``dense``, ``dense_1``, ...), never
the layer's own (auto-generated) name; sublayers held in attributes under
``<path>/<attribute>``, lists of them as containers the same way; the optimizer's
variables at ``optimizer/vars`` (iterations, learning rate, then its slots). Files
written by Keras 3 for the same architecture load here, and the other way round.
"""

from __future__ import annotations

import re
import warnings

import numpy as np

_ATTR_SKIP = {"_layers", "_input_layer", "optimizer", "_trainers", "_compile_loss",
              "_compile_metrics", "_loss_tracker", "history", "_output_layers",
              "_inputs_struct", "_outputs_struct", "_layer_nodes", "_nodes"}


def _snake(name):
    # exactly Keras' naming.to_snake_case (its file paths): "Conv2D" -> "conv2d",
    # "ReLU" -> "re_lu", "Conv2DTranspose" -> "conv2d_transpose"
    s = re.sub(r"\W+", "", name)
    s = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", s)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", s).lower()


def _unique(base, used):
    n = used.get(base, 0)
    used[base] = n + 1
    return base if n == 0 else f"{base}_{n}"


def _is_layer(obj):
    from ..layers.layer import Layer

    return isinstance(obj, Layer)


def _name_key(name):
    return "~" + name if name.startswith("_") else name


def walk(model):
    """Yield ``(path, layer)`` for every layer reachable from ``model`` (the model
    itself first, at path ""), in Keras 3's order and with its paths."""
    seen = set()
    yield from _walk(model, "", seen)


def _join(a, b):
    return f"{a}/{b}" if a else b


def _walk(obj, path, seen):
    if id(obj) in seen:
        return
    seen.add(id(obj))
    yield path, obj
    from ..training.functional import Functional
    from ..training.sequential import Sequential

    if isinstance(obj, (Sequential, Functional)):
        yield from _walk_container(obj.layers, _join(path, "layers"), seen)
    for attr in sorted(vars(obj), key=_name_key):
        if attr.startswith("__") or attr in _ATTR_SKIP:
            continue
        child = vars(obj)[attr]
        if _is_layer(child):
            yield from _walk(child, _join(path, attr), seen)
        elif isinstance(child, (list, tuple, dict)) and _has_layer(child):
            yield from _walk_container(child, _join(path, attr), seen)
    # Layers tracked only in _layers (not reachable through an attribute).
    rest = [c for c in getattr(obj, "_layers", []) if id(c) not in seen]
    if rest:
        yield from _walk_container(rest, _join(path, "layers"), seen)


def _has_layer(container):
    items = container.values() if isinstance(container, dict) else container
    return any(_is_layer(c) or (isinstance(c, (list, tuple, dict)) and _has_layer(c)) for c in items)


def _walk_container(container, path, seen):
    used = {}
    items = list(container.values()) if isinstance(container, dict) else list(container)
    for item in items:
        if _is_layer(item):
            name = _unique(_snake(type(item).__name__), used)
            yield from _walk(item, _join(path, name), seen)
        elif isinstance(item, (list, tuple, dict)):
            yield from _walk_container(item, _join(path, _unique("container", used)), seen)


def own_variables(layer):
    return list(layer._own_weights())


# ------------------------------------------------------------------ writing
def write(model, h5file, include_optimizer=True):
    """Write the model's (and its built optimizer's) variables into an open h5py File."""
    for path, layer in walk(model):
        group = h5file.require_group(_join(path, "vars"))
        group.attrs["name"] = layer.name
        for i, v in enumerate(own_variables(layer)):
            group.create_dataset(str(i), data=np.asarray(v.numpy()))
    opt = getattr(model, "optimizer", None)
    if include_optimizer and opt is not None and getattr(opt, "built", False):
        group = h5file.require_group("optimizer/vars")
        group.attrs["name"] = opt.name
        for i, v in enumerate(opt.variables):
            group.create_dataset(str(i), data=np.asarray(v.numpy()))


# ------------------------------------------------------------------ reading
def _read_group(h5file, path):
    key = _join(path, "vars")
    if key not in h5file:
        return None
    group = h5file[key]
    names = sorted(group.keys(), key=lambda k: int(k) if k.isdigit() else k)
    return [np.asarray(group[k]) for k in names]


def read(model, h5file, skip_mismatch=False, include_optimizer=True):
    """Assign the variables stored in an open h5py File to ``model``."""
    pending = []
    for path, layer in walk(model):
        variables = own_variables(layer)
        values = _read_group(h5file, path)
        where = f"'{path}/vars'" if path else "'vars'"
        if values is None:
            if not variables:
                continue
            msg = (f"load_weights: layer '{layer.name}' ({type(layer).__name__}) expects "
                   f"{len(variables)} variables at {where}, but the file has no such group. "
                   f"Groups in the file: {_groups(h5file)}")
            if skip_mismatch:
                warnings.warn(msg + "; skipped", stacklevel=3)
                continue
            raise ValueError(msg)
        if len(values) != len(variables):
            msg = (f"load_weights: layer '{layer.name}' ({type(layer).__name__}) expects "
                   f"{len(variables)} variables, but the file stores {len(values)} at {where}")
            if not variables and not layer.built:
                msg += " (the layer is not built: build the model before loading weights)"
            if skip_mismatch:
                warnings.warn(msg + "; skipped", stacklevel=3)
                continue
            raise ValueError(msg)
        ok = True
        for v, value in zip(variables, values):
            if tuple(value.shape) != tuple(v.shape):
                msg = (f"load_weights: layer '{layer.name}' ({type(layer).__name__}), variable "
                       f"'{v.path}': expected shape {tuple(v.shape)}, the file stores "
                       f"{tuple(value.shape)} at {where}")
                if skip_mismatch:
                    warnings.warn(msg + "; skipped", stacklevel=3)
                    ok = False
                    break
                raise ValueError(msg)
        if ok:
            pending.extend(zip(variables, values))
    for v, value in pending:
        v.assign(value.astype(np.dtype(_np_dtype(v)), copy=False))
    if include_optimizer:
        _read_optimizer(model, h5file)


def _np_dtype(v):
    from ..xp import standardize_dtype

    return standardize_dtype(v.dtype)


def _read_optimizer(model, h5file):
    opt = getattr(model, "optimizer", None)
    if opt is None or "optimizer/vars" not in h5file:
        return
    values = _read_group(h5file, "optimizer")
    if not getattr(opt, "built", False):
        opt.build(model.trainable_variables)
    variables = opt.variables
    if len(values) != len(variables) or any(
            tuple(a.shape) != tuple(v.shape) for a, v in zip(values, variables)):
        warnings.warn(f"load_weights: the optimizer state in the file ({len(values)} variables) "
                      f"does not match the optimizer '{opt.name}' ({len(variables)} variables); "
                      "the optimizer state was not restored", stacklevel=4)
        return
    for v, value in zip(variables, values):
        v.assign(value.astype(np.dtype(_np_dtype(v)), copy=False))


def _groups(h5file):
    out = []
    h5file.visit(lambda name: out.append(name) if name.endswith("/vars") or name == "vars" else None)
    return out
