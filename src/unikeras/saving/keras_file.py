"""``.keras`` files: a zip holding ``config.json`` (the model's ``get_config`` in Keras'
``{"module", "class_name", "config", ...}`` form, plus ``build_config`` and
``compile_config``), ``metadata.json`` and ``model.weights.h5`` (see ``weights_h5``).

Loading never executes code from the file: JSON is parsed, and only classes that are
registered in this process (built-in classes, Layer subclasses the program defined,
``register_keras_serializable``) or passed in ``custom_objects`` are instantiated. No
pickle, no marshalled bytecode; a Lambda layer's function is looked up by name in
``custom_objects`` and refused otherwise.
"""

from __future__ import annotations

import datetime
import io
import json
import zipfile

import numpy as np

from .. import __version__
from ..utils.serialization import keras_identity, lookup
from . import weights_h5

CONFIG = "config.json"
METADATA = "metadata.json"
WEIGHTS = "model.weights.h5"


def _json_default(obj):
    if isinstance(obj, tuple):
        return list(obj)
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    raise TypeError(f"save: cannot serialize {type(obj).__name__} to JSON ({obj!r}); give "
                    "the object a get_config() or use a registered name")


def _serialize_any(obj):
    """Strings stay; objects with get_config become Keras dicts; functions their names."""
    from ..utils.serialization import serialize_simple

    if obj is None or isinstance(obj, (str, int, float, bool)):
        return obj
    if isinstance(obj, (list, tuple)):
        return [_serialize_any(o) for o in obj]
    if isinstance(obj, dict):
        return {k: _serialize_any(v) for k, v in obj.items()}
    if hasattr(obj, "get_config"):
        return serialize_simple(obj)
    if callable(obj) and hasattr(obj, "__name__"):
        return obj.__name__
    raise TypeError(f"save: cannot serialize {obj!r}")


def compile_config(model):
    if not getattr(model, "compiled", False) or model.optimizer is None:
        return None
    from ..training import optimizers

    cm = model._compile_metrics
    return {
        "optimizer": optimizers.serialize(model.optimizer),
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
    out = {"module": module, "class_name": cls.__name__, "config": model.get_config(),
           "registered_name": registered}
    build = getattr(model, "_build_shape", None)
    if build is not None:
        out["build_config"] = {"input_shape": build}
    cc = compile_config(model)
    if cc is not None:
        out["compile_config"] = cc
    return out


def save_model(model, filepath, overwrite=True, include_optimizer=True):
    import os

    import h5py

    filepath = os.fspath(filepath)
    if not filepath.endswith(".keras"):
        raise ValueError(f"model.save: the file name must end in .keras; received {filepath!r} "
                         "(use save_weights(...'.weights.h5') for weights only)")
    if not overwrite and os.path.exists(filepath):
        raise FileExistsError(f"model.save: {filepath!r} exists and overwrite=False")
    config = json.dumps(model_config(model), default=_json_default)
    metadata = json.dumps({"keras_version": f"unikeras-{__version__}",
                           "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S")})
    buf = io.BytesIO()
    with h5py.File(buf, "w") as f:
        weights_h5.write(model, f, include_optimizer=include_optimizer)
    with zipfile.ZipFile(filepath, "w", compression=zipfile.ZIP_STORED) as z:
        z.writestr(METADATA, metadata)
        z.writestr(CONFIG, config)
        z.writestr(WEIGHTS, buf.getvalue())


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
                return cls
    if name == "Functional" or name == "Model":
        from ..training.functional import Functional

        return Functional
    raise ValueError(f"load_model: unknown class {name!r} in the file. Only registered classes "
                     "are instantiated (loading never runs code from the file): define or "
                     "import it, decorate it with @unikeras.saving.register_keras_serializable(), "
                     "or pass custom_objects={" + repr(name) + ": TheClass}")


def deserialize_model(spec, custom_objects=None):
    cls = _resolve_class(spec, custom_objects)
    cfg = spec.get("config", {})
    try:
        model = cls.from_config(cfg, custom_objects=custom_objects)
    except TypeError as e:
        if "custom_objects" not in str(e):
            raise
        model = cls.from_config(cfg)
    build = (spec.get("build_config") or {}).get("input_shape")
    if not model.built and build is not None:
        _build_from_shape(model, build)
    return model


def _build_from_shape(model, shape):
    from ..xp import floatx

    def zeros(s):
        if isinstance(s, dict):
            return {k: zeros(v) for k, v in s.items()}
        if isinstance(s, (list, tuple)) and s and isinstance(s[0], (list, tuple, dict)):
            return [zeros(v) for v in s]
        return np.zeros(tuple(1 if d is None else int(d) for d in s), dtype=floatx())

    model._symbolic_build(zeros(shape)) if hasattr(model, "_symbolic_build") else model(zeros(shape))


def _compile_from_config(model, cc, custom_objects):
    from ..training import optimizers

    def de(obj, getter):
        if isinstance(obj, dict) and "class_name" in obj:
            return getter(obj)
        if isinstance(obj, list):
            return [de(o, getter) for o in obj]
        if isinstance(obj, dict):
            return {k: de(v, getter) for k, v in obj.items()}
        if isinstance(obj, str) and obj in (custom_objects or {}):
            return custom_objects[obj]
        return obj

    from .. import losses, metrics

    model.compile(optimizer=optimizers.get(cc["optimizer"]),
                  loss=de(cc.get("loss"), losses.get),
                  loss_weights=cc.get("loss_weights"),
                  metrics=de(cc.get("metrics"), metrics.get),
                  weighted_metrics=de(cc.get("weighted_metrics"), metrics.get),
                  run_eagerly=cc.get("run_eagerly", False),
                  steps_per_execution=cc.get("steps_per_execution", 1))


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    import os

    import h5py

    filepath = os.fspath(filepath)
    if filepath.endswith(".h5") or filepath.endswith(".hdf5"):
        raise ValueError(f"load_model: {filepath!r} is a legacy HDF5 file; unikeras reads .keras "
                         "files (and .weights.h5 through model.load_weights)")
    if not zipfile.is_zipfile(filepath):
        raise ValueError(f"load_model: {filepath!r} is not a .keras (zip) file")
    with zipfile.ZipFile(filepath, "r") as z:
        names = set(z.namelist())
        if CONFIG not in names:
            raise ValueError(f"load_model: {filepath!r} has no {CONFIG}; found {sorted(names)}")
        spec = json.loads(z.read(CONFIG).decode("utf-8"))
        weights = z.read(WEIGHTS) if WEIGHTS in names else None
    model = deserialize_model(spec, custom_objects)
    cc = spec.get("compile_config")
    if compile and cc:
        _compile_from_config(model, cc, custom_objects)
    if weights is not None:
        with h5py.File(io.BytesIO(weights), "r") as f:
            weights_h5.read(model, f, include_optimizer=bool(compile and cc))
    return model
