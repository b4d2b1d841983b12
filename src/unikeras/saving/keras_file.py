"""``.keras`` files: a zip holding ``config.json`` (the model's ``get_config`` in Keras'
``{"module", "class_name", "config", ...}`` form, plus ``build_config`` and
``compile_config``), ``metadata.json`` and ``model.weights.h5`` (see ``weights_h5``).

Loading never executes code from the file: JSON is parsed, and only classes that are
registered in this process (built-in classes, Layer subclasses the program defined,
``register_keras_serializable``) or passed in ``custom_objects`` are instantiated. No
pickle; a Lambda layer's function is looked up by name in ``custom_objects`` or the
registry, and a Python lambda saved by Keras (marshalled bytecode) is refused unless
``safe_mode=False`` (Keras 3's rule).

The archive is untrusted input (``_files``): its directory is checked before any member
is read, JSON members are size-capped, the weights are streamed, a file without
``model.weights.h5`` for a model that has variables is refused, and every error is a
``ValueError`` that names the file and what is wrong. Writing is atomic.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import tempfile
import zipfile

import numpy as np

from .. import __version__
from ..utils.serialization import (SafeModeScope, builtin, deserialize_function, get_object,
                                   in_safe_mode, keras_class, keras_identity, lookup,
                                   serialize_function, serialize_keras_object,
                                   serialize_simple)
from . import _files, weights_h5

CONFIG = "config.json"
METADATA = "metadata.json"
WEIGHTS = "model.weights.h5"


def _json_default(obj):
    if callable(obj) and not isinstance(obj, type):
        fn = serialize_function(obj)  # a registered function (or a lambda) in a config
        if isinstance(fn, dict):
            return fn
    if isinstance(obj, tuple):
        return list(obj)
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    raise TypeError(f"save: cannot serialize {type(obj).__name__} to JSON ({obj!r}); give "
                    "the object a get_config() or use a registered name")


def _serialize_any(obj):
    """Strings and numbers stay; objects with get_config become Keras dicts; functions
    Keras' function form (``utils.serialize_keras_object``)."""
    return serialize_keras_object(obj)


def compile_config(model):
    if not getattr(model, "compiled", False) or model.optimizer is None:
        return None
    cm = model._compile_metrics
    return {
        "optimizer": serialize_simple(model.optimizer),
        "loss": _serialize_any(model._user_loss),
        "loss_weights": _serialize_any(getattr(model._compile_loss, "loss_weights", None)),
        "metrics": _serialize_any(getattr(cm, "_metrics_spec", None)),
        "weighted_metrics": _serialize_any(getattr(cm, "_weighted_spec", None)),
        "run_eagerly": bool(getattr(model, "run_eagerly", False)),
        "steps_per_execution": int(getattr(model, "steps_per_execution", 1)),
        "jit_compile": bool(getattr(model, "jit_compile", True)),
    }


def model_config(model):
    cls = type(model)
    module, registered = keras_identity(cls)
    out = {"module": module, "class_name": keras_class(cls).__name__, "config": model.get_config(),
           "registered_name": registered}
    build = getattr(model, "_build_shape", None)
    if build is not None:
        out["build_config"] = {"input_shape": build}
    cc = compile_config(model)
    if cc is not None:
        out["compile_config"] = cc
    return out


def config_json(model):
    """The model's config (``config.json`` of a ``.keras`` file) as a JSON string."""
    return json.dumps(model_config(model), default=_json_default)


def save_model(model, filepath, overwrite=True, include_optimizer=True):
    """Write ``model`` to a ``.keras`` zip, atomically: the archive is built in a
    temporary file next to ``filepath`` (the weights streamed into it from another one),
    fsynced and renamed over it, so an interrupted save leaves the previous file intact."""
    import os

    import h5py

    filepath = os.fspath(filepath)
    if not filepath.endswith(".keras"):
        raise ValueError(f"model.save: the file name must end in .keras; received {filepath!r} "
                         "(use save_weights(...'.weights.h5') for weights only)")
    if not overwrite and os.path.exists(filepath):
        raise FileExistsError(f"model.save: {filepath!r} exists and overwrite=False")
    config = config_json(model)
    metadata = json.dumps({"keras_version": f"unikeras-{__version__}",
                           "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S")})
    with _files.atomic_write(filepath) as tmp:
        fd, tmp_h5 = tempfile.mkstemp(dir=os.path.dirname(tmp), prefix=".weights-",
                                      suffix=".h5.tmp")
        os.close(fd)
        try:
            with h5py.File(tmp_h5, "w") as f:
                weights_h5.write(model, f, include_optimizer=include_optimizer)
            with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_STORED) as z:
                z.writestr(METADATA, metadata)
                z.writestr(CONFIG, config)
                z.write(tmp_h5, WEIGHTS)
        finally:
            with contextlib.suppress(OSError):
                os.remove(tmp_h5)


def _check_spec(spec, what="config.json"):
    if not isinstance(spec, dict):
        raise ValueError(f"{what}: expected a JSON object with 'class_name' and 'config'; "
                         f"received {type(spec).__name__} {spec!r:.200}")
    name = spec.get("class_name")
    if not isinstance(name, str):
        raise ValueError(f"{what}: 'class_name' must be a string; received {name!r:.200}")
    registered = spec.get("registered_name")
    if registered is not None and not isinstance(registered, str):
        raise ValueError(f"{what}: 'registered_name' must be a string or null; received "
                         f"{registered!r:.200}")
    cfg = spec.get("config", {})
    if not isinstance(cfg, dict):
        raise ValueError(f"{what}: the 'config' of {name!r} must be a JSON object; received "
                         f"{type(cfg).__name__} {cfg!r:.200}")
    layers = cfg.get("layers")
    if "layers" in cfg:
        if not isinstance(layers, list):
            raise ValueError(f"{what}: 'layers' of {name!r} must be a list of layer configs; "
                             f"received {type(layers).__name__} {layers!r:.200}")
        for i, layer in enumerate(layers):
            if not isinstance(layer, dict) or not isinstance(layer.get("class_name"), str) \
                    or not isinstance(layer.get("config", {}), dict):
                raise ValueError(f"{what}: layers[{i}] of {name!r} must be an object with a "
                                 f"'class_name' string and a 'config' object; received "
                                 f"{layer!r:.200}")
    for key in ("build_config", "compile_config"):
        if spec.get(key) is not None and not isinstance(spec[key], dict):
            raise ValueError(f"{what}: '{key}' must be a JSON object; received "
                             f"{spec[key]!r:.200}")


def _resolve_class(spec, custom_objects):
    name = spec.get("class_name")
    registered = spec.get("registered_name")
    custom_objects = custom_objects or {}
    for key in (registered, name):
        if key and key in custom_objects:
            return custom_objects[key]
    for key in (registered, name):
        if key:
            cls = lookup(key)
            if cls is not None:
                if not isinstance(cls, type):
                    raise ValueError(f"load_model: {key!r} names a function, not a model class")
                return cls
    if name == "Functional" or name == "Model":
        return builtin("Functional")
    raise ValueError(f"load_model: unknown class {name!r} in the file. Only registered classes "
                     "are instantiated (loading never runs code from the file): define or "
                     "import it, decorate it with @unikeras.saving.register_keras_serializable(), "
                     "or pass custom_objects={" + repr(name) + ": TheClass}")


def deserialize_model(spec, custom_objects=None, safe_mode=None):
    """A model from its ``{"class_name", "config", "build_config"}`` spec. Every error is a
    ValueError naming the class."""
    _check_spec(spec)
    cls = _resolve_class(spec, custom_objects)
    layer_cls = builtin("Layer")
    if not (isinstance(cls, type) and issubclass(cls, layer_cls)):
        raise ValueError(f"load_model: {spec['class_name']!r} resolves to {cls!r}, which is not "
                         "a Layer or Model class")
    cfg = spec.get("config", {})
    with SafeModeScope(safe_mode) if safe_mode is not None else contextlib.nullcontext():
        try:
            try:
                model = cls.from_config(cfg, custom_objects=custom_objects)
            except TypeError as e:
                if "custom_objects" not in str(e):
                    raise
                model = cls.from_config(cfg)
            build = (spec.get("build_config") or {}).get("input_shape")
            if not model.built and build is not None:
                _build_from_shape(model, build)
        except ValueError:
            raise
        except Exception as e:  # noqa: BLE001 - the file decides what breaks; say so clearly
            raise ValueError(f"load_model: cannot rebuild {spec['class_name']!r} from the "
                             f"file's config: {type(e).__name__}: {e}") from e
    return model


def _build_from_shape(model, shape):
    from ..xp import floatx

    def zeros(s):
        if isinstance(s, dict):
            return {k: zeros(v) for k, v in s.items()}
        if isinstance(s, (list, tuple)) and s and isinstance(s[0], (list, tuple, dict)):
            return [zeros(v) for v in s]
        if not isinstance(s, (list, tuple)) or not all(
                d is None or (isinstance(d, int) and not isinstance(d, bool) and 0 <= d < 2**31)
                for d in s):
            raise ValueError(f"build_config: bad input shape {s!r:.200}")
        return np.zeros(tuple(1 if d is None else int(d) for d in s), dtype=floatx())

    model._symbolic_build(zeros(shape)) if hasattr(model, "_symbolic_build") else model(zeros(shape))


def _compile_from_config(model, cc, custom_objects):
    def de(obj, kind):
        if isinstance(obj, dict) and obj.get("class_name") == "function":
            # a function (Keras writes built-in ones this way too): custom_objects and the
            # registry first, then the built-in loss/metric functions by name
            name = obj.get("config")
            if isinstance(name, str) and not (custom_objects or {}).get(name) \
                    and lookup(name) is None:
                return get_object(kind, name)
            return deserialize_function(obj, custom_objects, what=f"the compiled {kind}")
        if isinstance(obj, dict) and "class_name" in obj:
            return get_object(kind, obj)
        if isinstance(obj, list):
            return [de(o, kind) for o in obj]
        if isinstance(obj, dict):
            return {k: de(v, kind) for k, v in obj.items()}
        if isinstance(obj, str) and obj in (custom_objects or {}):
            return custom_objects[obj]
        return obj

    optimizer = cc.get("optimizer")
    if optimizer is None:
        raise ValueError("compile_config has no 'optimizer'")
    model.compile(optimizer=get_object("optimizer", optimizer),
                  loss=de(cc.get("loss"), "loss"),
                  loss_weights=cc.get("loss_weights"),
                  metrics=de(cc.get("metrics"), "metric"),
                  weighted_metrics=de(cc.get("weighted_metrics"), "metric"),
                  run_eagerly=bool(cc.get("run_eagerly", False)),
                  steps_per_execution=cc.get("steps_per_execution", 1))


def _count_variables(model):
    return sum(len(weights_h5.own_variables(layer)) for _, layer in weights_h5.walk(model))


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """Rebuild a model from a ``.keras`` file (see the module docstring for the checks).
    ``safe_mode=True`` (Keras' default) refuses a Python lambda's bytecode. As in Keras,
    an ambient setting wins over the argument: after
    ``unikeras.config.enable_unsafe_deserialization()`` (or inside
    ``SafeModeScope(False)``) lambdas load whatever ``safe_mode`` says."""
    import os

    ambient = in_safe_mode()
    safe_mode = ambient if ambient is not None else safe_mode

    filepath = os.fspath(filepath)
    if os.path.isdir(filepath):
        from . import orbax_checkpoint

        if orbax_checkpoint.is_orbax_checkpoint(filepath):
            step_dir, spec = orbax_checkpoint.load_config(filepath)
            model = deserialize_model(spec, custom_objects, safe_mode=safe_mode)
            cc = spec.get("compile_config")
            if compile and cc:
                with SafeModeScope(safe_mode):
                    _compile_from_config(model, cc, custom_objects)
            orbax_checkpoint.load_state(model, step_dir)
            return model
    if filepath.endswith(".h5") or filepath.endswith(".hdf5"):
        raise ValueError(f"load_model: {filepath!r} is a legacy HDF5 file; unikeras reads .keras "
                         "files (and .weights.h5 through model.load_weights)")
    if not zipfile.is_zipfile(filepath):
        raise ValueError(f"load_model: {filepath!r} is not a .keras (zip) file")
    if custom_objects is not None and not isinstance(custom_objects, dict):
        raise ValueError(f"load_model: custom_objects must be a dict; received "
                         f"{type(custom_objects).__name__}")
    with _files.open_archive(filepath) as z:
        names = set(z.namelist())
        if CONFIG not in names:
            raise ValueError(f"load_model: {filepath!r} has no {CONFIG}; found "
                             f"{sorted(names)[:20]}")
        spec = _files.read_json_member(z, CONFIG, filepath)
        try:
            model = deserialize_model(spec, custom_objects, safe_mode=safe_mode)
        except ValueError as e:
            msg = str(e).removeprefix("load_model: ")
            raise ValueError(f"load_model: {filepath!r}: {msg}") from e.__cause__
        cc = spec.get("compile_config")
        if compile and cc:
            try:
                with SafeModeScope(safe_mode):
                    _compile_from_config(model, cc, custom_objects)
            except Exception as e:  # noqa: BLE001
                raise ValueError(f"load_model: {filepath!r}: cannot compile the model from the "
                                 f"file's compile_config: {type(e).__name__}: {e}") from e
        if WEIGHTS not in names:
            if _count_variables(model):
                raise ValueError(f"load_model: {filepath!r} has no {WEIGHTS}, but the model "
                                 f"has {_count_variables(model)} variables: refusing to return "
                                 "a model with random weights")
            _load_assets(model, z, names, filepath)
            return model
        with _files.weights_member(z, WEIGHTS, filepath) as f:
            try:
                weights_h5.read(model, f, include_optimizer=bool(compile and cc))
            except ValueError as e:
                raise ValueError(f"load_model: {filepath!r}: {WEIGHTS}: {e}") from None
        _load_assets(model, z, names, filepath)
    return model


MAX_ASSET_BYTES = 256 << 20  # one asset file (a vocabulary); the archive checks apply too


def _load_assets(model, z, names, filepath):
    """Keras' assets (``assets/<layer path>/<file>``, e.g. the ``vocabulary.txt`` of an
    adapted StringLookup/TextVectorization): each layer with ``load_assets`` gets a
    temporary directory holding copies of its own asset files, read as data with a size
    limit (the archive was checked by ``open_archive``: no links, duplicates or bombs).
    Runs after the weights, as in Keras (tf_idf weights before the vocabulary)."""
    import os
    import tempfile

    if not any(n.startswith("assets/") for n in names):
        return
    for path, layer in weights_h5.walk(model):
        load = getattr(layer, "load_assets", None)
        if load is None:
            continue
        prefix = f"assets/{path}/" if path else "assets/"
        files = [n for n in names if n.startswith(prefix) and n != prefix
                 and "/" not in n[len(prefix):]]
        if not files:
            continue
        with tempfile.TemporaryDirectory(prefix="unikeras-assets-") as d:
            for n in files:
                base = n[len(prefix):]
                info = z.getinfo(n)
                if base in (".", "..") or "\\" in base or info.file_size > MAX_ASSET_BYTES:
                    raise ValueError(f"load_model: {filepath!r}: asset member {n!r} refused "
                                     f"({_files._size(info.file_size)}; limit "
                                     f"{_files._size(MAX_ASSET_BYTES)})")
                with z.open(info) as src:
                    data = src.read(MAX_ASSET_BYTES + 1)
                if len(data) > MAX_ASSET_BYTES:
                    raise ValueError(f"load_model: {filepath!r}: asset member {n!r} is over "
                                     f"{_files._size(MAX_ASSET_BYTES)}")
                with open(os.path.join(d, base), "wb") as dst:
                    dst.write(data)
            try:
                load(d)
            except (ValueError, OSError, UnicodeDecodeError) as e:
                raise ValueError(f"load_model: {filepath!r}: the assets of layer "
                                 f"{getattr(layer, 'name', path)!r}: {e}") from None
