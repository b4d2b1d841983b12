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

Reading is all-or-nothing and checks before it reads: every group and dataset the
model needs is checked (``_files.check_dataset``: no links, external storage, virtual
datasets, bombs) and compared in shape with its variable, then read and converted; only
when every value is ready are the variables assigned (and put back as they were if an
assignment fails). Classes are resolved through the serialization registry, so this
module imports neither ``layers`` nor ``training``.
"""

from __future__ import annotations

import re
import warnings

import numpy as np

from ..utils.serialization import builtin
from . import _files

_ATTR_SKIP = {"_layers", "_input_layer", "optimizer", "_trainers", "_compile_loss",
              "_compile_metrics", "_loss_tracker", "history", "_output_layers",
              "_inputs_struct", "_outputs_struct", "_layer_nodes", "_nodes",
              # torch.nn.Module's registries of a layer living on torch (layers/torch.py)
              "_modules", "_parameters", "_buffers"}


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
    return isinstance(obj, builtin("Layer"))


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
    if isinstance(obj, (builtin("Sequential"), builtin("Functional"))):
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
    """The variables a weights file stores for ``layer``, in Keras' order: its own weights,
    or what its ``_saved_variables()`` names (a LoRA layer: all but the LoRA factors)."""
    saved = getattr(layer, "_saved_variables", None)
    return list(saved() if saved is not None else layer._own_weights())


def _own_values(layer):
    """The arrays written for ``own_variables(layer)`` (a LoRA layer's ``_saved_values``:
    its base weight merged with the LoRA delta, as Keras saves it)."""
    values = getattr(layer, "_saved_values", None)
    if values is not None:
        return values()
    return [v.numpy() for v in own_variables(layer)]


# ------------------------------------------------------------------ writing
def write(model, h5file, include_optimizer=True):
    """Write the model's (and its built optimizer's) variables into an open h5py File."""
    for path, layer in walk(model):
        group = h5file.require_group(_join(path, "vars"))
        group.attrs["name"] = layer.name
        save_own = getattr(layer, "save_own_variables", None)
        if save_own is not None:  # Keras 3's per-layer hook: named arrays (TorchModuleWrapper)
            store = {}
            save_own(store)
            for key, value in store.items():
                group.create_dataset(str(key), data=np.asarray(value))
            continue
        for i, value in enumerate(_own_values(layer)):
            group.create_dataset(str(i), data=np.asarray(value))
    opt = getattr(model, "optimizer", None)
    if include_optimizer and opt is not None and getattr(opt, "built", False):
        group = h5file.require_group("optimizer/vars")
        group.attrs["name"] = opt.name
        for i, v in enumerate(opt.variables):
            group.create_dataset(str(i), data=np.asarray(v.numpy()))
        inner = getattr(opt, "inner_optimizer", None)
        if inner is not None and getattr(inner, "built", False):
            # Keras also writes a LossScaleOptimizer's inner optimizer on its own (and
            # warns when the group is missing); the reader uses optimizer/vars
            group = h5file.require_group("optimizer/inner_optimizer/vars")
            for i, v in enumerate(inner.variables):
                group.create_dataset(str(i), data=np.asarray(v.numpy()))


# ------------------------------------------------------------------ reading
def _where(path):
    return f"{path}/vars" if path else "vars"


def _stage(h5file, path, variables, owner, skip_mismatch, problems):
    """Check the group of ``owner`` against ``variables`` and read its values (nothing is
    assigned). Returns ``[(variable, numpy value)]``, or None when skipped / absent."""
    where = _where(path)
    group = _files.get_group(h5file, where)
    if group is None:
        if variables:
            problems.append(f"{owner} expects {len(variables)} variables at '{where}', but "
                            f"the file has no such group. Groups in the file: "
                            f"{_groups(h5file)}")
        return None
    names = _files.dataset_names(group, where)
    if len(names) != len(variables):
        msg = (f"{owner} expects {len(variables)} variables, but the file stores "
               f"{len(names)} at '{where}'")
        if owner.startswith("layer") and not variables:
            msg += " (the layer is not built: build the model before loading weights)"
        problems.append(msg)
        return None
    datasets = []
    for v, name in zip(variables, names):
        d = _files.check_dataset(group, name, f"{where}/{name}")
        if tuple(d.shape) != tuple(v.shape):
            problems.append(f"{owner}, variable '{v.path}': expected shape {tuple(v.shape)}, "
                            f"the file stores {tuple(d.shape)} at '{where}/{name}'")
            return None
        datasets.append(d)
    out = []
    for v, name, d in zip(variables, names, datasets):
        value = _files.read_dataset(d, f"{where}/{name}")
        out.append((v, value.astype(np.dtype(_np_dtype(v)), copy=False)))
    return out


def read(model, h5file, skip_mismatch=False, include_optimizer=True):
    """Assign the variables stored in an open h5py File to ``model``: all of them or,
    on any error, none (the model keeps every weight it had)."""
    pending, own = [], []
    for path, layer in walk(model):
        problems = []
        owner = f"layer '{layer.name}' ({type(layer).__name__})"
        named = getattr(layer, "load_own_variables", None) is not None
        if named:  # Keras 3's per-layer hook: named arrays (TorchModuleWrapper)
            staged = _stage_named(h5file, path, owner, problems)
        else:
            staged = _stage(h5file, path, own_variables(layer), owner, skip_mismatch, problems)
        if problems:
            msg = "load_weights: " + problems[0]
            if skip_mismatch:
                warnings.warn(msg + "; skipped", stacklevel=3)
                continue
            raise ValueError(msg)
        if named:
            check = getattr(layer, "check_own_variables", None)
            if check is not None:
                check(staged)   # raises before anything is assigned
            own.append((layer, staged))
        else:
            pending.extend(staged or ())
    if include_optimizer:
        pending.extend(_stage_optimizer(model, h5file))
    assign_all(pending)
    for layer, store in own:
        layer.load_own_variables(store)
    for _, layer in walk(model):
        after = getattr(layer, "_after_load", None)
        if after is not None:  # a LoRA layer zeroes its factors (Keras' load_own_variables)
            after()


def _stage_named(h5file, path, owner, problems):
    """The named arrays of a layer with Keras 3's ``load_own_variables`` hook (a
    TorchModuleWrapper's state_dict), each dataset checked before it is read."""
    where = _where(path)
    group = _files.get_group(h5file, where)
    if group is None:
        problems.append(f"{owner} expects its tensors at '{where}', but the file has no such "
                        f"group. Groups in the file: {_groups(h5file)}")
        return None
    store = {}
    for name in sorted(group.keys()):
        d = _files.check_dataset(group, name, f"{where}/{name}")
        store[name] = _files.read_dataset(d, f"{where}/{name}")
    return store


def assign_all(pending):
    """Assign every ``(variable, value)``; if one assignment fails, put back the values
    already overwritten and re-raise, so a load changes all variables or none."""
    done = []
    try:
        for v, value in pending:
            old = np.array(v.numpy(), copy=True)
            v.assign(value)
            done.append((v, old))
    except BaseException:
        for v, old in reversed(done):
            v.assign(old)
        raise


def _np_dtype(v):
    from ..xp import standardize_dtype

    return standardize_dtype(v.dtype)


def _stage_optimizer(model, h5file):
    opt = getattr(model, "optimizer", None)
    if opt is None or _files.get_group(h5file, "optimizer") is None or \
            _files.get_group(h5file, "optimizer/vars") is None:
        return []
    if not getattr(opt, "built", False):
        opt.build(model.trainable_variables)
    variables = list(opt.variables)
    problems = []
    staged = _stage(h5file, "optimizer", variables, f"optimizer '{opt.name}'", False, problems)
    if problems:
        warnings.warn(f"load_weights: the optimizer state in the file does not match the "
                      f"optimizer '{opt.name}' ({len(variables)} variables): {problems[0]}; "
                      "the optimizer state was not restored", stacklevel=4)
        return []
    return staged or []


def _groups(h5file):
    out = []

    def visit(name):
        if len(out) < 50 and (name.endswith("/vars") or name == "vars"):
            out.append(name)

    try:
        h5file.visit(visit)
    except Exception:  # only for the message
        pass
    return out
