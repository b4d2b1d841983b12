"""Name registry and simple ``{"class_name": ..., "config": ...}`` serialization, the
format Keras uses. Deserialization only instantiates registered classes: loading a
config never runs code from it (the one exception is a Keras ``__lambda__`` function,
whose bytecode runs only with ``safe_mode=False``, as in Keras).

The registry does not depend on import order: a name that is not registered yet makes
``lookup`` import the modules that define the built-in classes (``_BUILTIN_MODULES``,
once per process) and look again, so ``unikeras.saving.load_model`` works in a fresh
process before ``unikeras.models`` or ``unikeras.layers`` were touched. Those modules are
named here as strings and imported with ``importlib``, so ``saving`` never imports
``training`` or ``layers``."""

from __future__ import annotations

import importlib

_registry: dict[str, type] = {}
_registered_as: dict[type, str] = {}  # class -> "package>name" (register_keras_serializable)
# the same by (module, qualname): a class that stands in for a registered one under the
# same name (a layer living on torch is an instance of a torch.nn.Module subclass)
_registered_by_name: dict[tuple, str] = {}

# Where Keras 3 exports the built-in classes: a file whose built-ins carry these modules
# (and registered_name None) is read by Keras itself.
_PUBLIC_MODULES = (
    ("unikeras.training.optimizers.schedules", "keras.optimizers.schedules"),
    ("unikeras.training.optimizers", "keras.optimizers"),
    ("unikeras.training.losses", "keras.losses"),
    ("unikeras.training.metrics", "keras.metrics"),
    ("unikeras.training.sequential", "keras"),
    ("unikeras.layers", "keras.layers"),
    ("unikeras.initializers", "keras.initializers"),
    ("unikeras.regularizers", "keras.regularizers"),
    ("unikeras.constraints", "keras.constraints"),
    ("unikeras.quantizers", "keras.quantizers"),
)


def keras_class(cls):
    """The class Keras knows ``cls`` by: for a layer living on torch, the layer class its
    ``torch.nn.Module`` subclass was made from (layers/torch.py), also under a torch
    wrapper's subclass of that (FSDP2's ``FSDP<name>``); else ``cls``."""
    return getattr(cls, "_uk_torch_base", None) or cls


# An application's own layer class (ConvNeXt's LayerScale), which Keras writes with
# its keras.src module (keras_identity below) and its class name as registered name,
# can be looked up by (Keras module, class name) only, out of the plain-name registry,
# so that a user's class of the same name keeps its name. A file naming such a module
# imports the unikeras application module of that name (and nothing else).
_keras_src: dict[tuple, type] = {}
_APPLICATIONS = "keras.src.applications."


def register_keras_src(cls):
    """Register ``cls`` (defined in ``unikeras.applications.<m>``) as Keras' class of
    its name in ``keras.src.applications.<m>`` only."""
    if _registry.get(cls.__name__) is cls:
        del _registry[cls.__name__]
    _keras_src[("keras.src" + cls.__module__[len("unikeras"):], cls.__name__)] = cls
    return cls


def keras_src_class(module, name):
    """The class a file names by a ``keras.src.applications.<m>`` module and class
    name (registered with ``register_keras_src``), or None."""
    if not module.startswith(_APPLICATIONS):
        return None
    sub = module[len(_APPLICATIONS):]
    if sub not in importlib.import_module("unikeras.applications")._MODULES:
        return None
    importlib.import_module("unikeras.applications." + sub)
    return _keras_src.get((module, name))


def keras_identity(cls):
    """``(module, registered_name)`` as Keras 3 writes them for ``cls``: the public Keras
    module and None for a built-in, the defining module and ``package>name`` (or the class
    name) for a user's class."""
    cls = keras_class(cls)
    mod = cls.__module__
    if mod == "unikeras.training.functional" and cls.__name__ == "Functional":
        return "keras.src.models.functional", "Functional"
    for prefix, public in _PUBLIC_MODULES:
        if mod == prefix or mod.startswith(prefix + "."):
            return public, None
    registered = _registered_as.get(cls) or _registered_by_name.get(
        (mod, getattr(cls, "__qualname__", cls.__name__)))
    if mod.startswith("unikeras.applications."):
        # an application's own layer (InceptionResNetV2's CustomScaleLayer): Keras names
        # it by its module under keras.src, which Keras imports when loading
        mod = "keras.src" + mod[len("unikeras"):]
    return mod, registered or cls.__name__


def register(cls=None, *, name=None):
    """Register a class under its name (and ``package>name``) for deserialization."""
    def deco(c):
        _registry[name or c.__name__] = c
        return c
    return deco(cls) if cls is not None else deco


# Keras' global custom objects (``get_custom_objects()``: what the user added, and what
# register_keras_serializable registered, under "package>name") and the stack of open
# ``custom_object_scope``s; lookup consults both before the registry.
_custom_objects: dict = {}
_custom_scopes: list = []


def register_keras_serializable(package="Custom", name=None):
    def deco(c):
        n = name or c.__name__
        _registry[n] = c
        _registry[f"{package}>{n}"] = c
        _custom_objects[f"{package}>{n}"] = c
        _registered_as[c] = f"{package}>{n}"
        _registered_by_name[(c.__module__, c.__qualname__)] = f"{package}>{n}"
        return c
    return deco


# The modules whose import registers every built-in class (and the getters of the
# objects whose names repeat across kinds: the loss and the metric MeanSquaredError).
_BUILTIN_MODULES = (
    "unikeras.layers",
    "unikeras.training.model",
    "unikeras.training.functional",
    "unikeras.training.sequential",
    "unikeras.training.optimizers",
    "unikeras.training.losses",
    "unikeras.training.metrics",
    "unikeras.initializers",
    "unikeras.regularizers",
    "unikeras.constraints",
)
_GETTERS = {
    "optimizer": ("unikeras.training.optimizers", "get"),
    "loss": ("unikeras.training.losses", "get"),
    "metric": ("unikeras.training.metrics", "get"),
    "layer": ("unikeras.layers", "deserialize"),
}
_builtins_loaded = [False]


def load_builtins():
    """Import the modules that define the built-in classes (once)."""
    if not _builtins_loaded[0]:
        _builtins_loaded[0] = True
        for mod in _BUILTIN_MODULES:
            importlib.import_module(mod)


def lookup(name):
    """The class (or function) registered under ``name``, or None. A miss imports the
    built-in modules once and looks again, so the answer never depends on what the
    program happened to import before."""
    if not isinstance(name, str):
        return None
    for scope in reversed(_custom_scopes):
        if name in scope:
            return scope[name]
    obj = _custom_objects.get(name) or _registry.get(name)
    if obj is None and not _builtins_loaded[0]:
        load_builtins()
        obj = _registry.get(name)
    return obj


def builtin(name):
    """A built-in class by name (``"Layer"``, ``"Functional"``, ``"Sequential"``,
    ``"Model"``): what ``saving`` uses instead of importing ``training`` / ``layers``."""
    load_builtins()
    if name == "Layer":
        return importlib.import_module("unikeras.layers").Layer
    cls = _registry.get(name)
    if cls is None:
        raise LookupError(f"no built-in class {name!r}")
    return cls


def get_object(kind, identifier, **kwargs):
    """``unikeras.<kind>s.get(identifier)`` (optimizer, loss, metric, layer) through the
    registry's table of getters."""
    module, attr = _GETTERS[kind]
    return getattr(importlib.import_module(module), attr)(identifier, **kwargs)


# ------------------------------------------------------------------ safe mode (Keras 3)
_safe_mode = [None]  # None: not set (safe); False after enable_unsafe_deserialization()


def enable_unsafe_deserialization():
    """``keras.config.enable_unsafe_deserialization()``: allow, for the rest of the
    process, what ``safe_mode=False`` allows (a Keras-saved Python lambda's bytecode)."""
    _safe_mode[0] = False


def in_safe_mode():
    """The ambient safe mode: True / False inside a ``SafeModeScope`` or after
    ``enable_unsafe_deserialization()``, None when nothing set it (which means safe)."""
    return _safe_mode[0]


class SafeModeScope:
    """``with SafeModeScope(safe_mode):`` the safe mode of the deserializations inside
    (what ``load_model(..., safe_mode=...)`` opens around the whole load)."""

    def __init__(self, safe_mode=True):
        self.safe_mode = safe_mode

    def __enter__(self):
        self._saved = _safe_mode[0]
        _safe_mode[0] = self.safe_mode
        return self

    def __exit__(self, *exc):
        _safe_mode[0] = self._saved
        return False


def effective_safe_mode(safe_mode=None):
    """Keras' rule: an explicit argument wins, then the ambient scope / global setting,
    and unset means safe (fails closed)."""
    if safe_mode is None:
        safe_mode = _safe_mode[0]
    return safe_mode is not False


_LAMBDA_REFUSED = (
    "Requested the deserialization of a Python lambda ({what}). This carries a potential "
    "risk of arbitrary code execution and thus it is disallowed by default (safe_mode). If "
    "you trust the source of the file, pass `safe_mode=False` to the loading function, or "
    "call `unikeras.config.enable_unsafe_deserialization()`.")


def serialize_function(fn):
    """A function in a config, as Keras writes it: a Python lambda as
    ``{"class_name": "__lambda__", "config": {"code", "defaults", "closure"}}`` (its
    marshalled bytecode), a registered function as ``{"class_name": "function",
    "config": "package>name"}``, any other function by its name."""
    if getattr(fn, "__name__", None) == "<lambda>" and hasattr(fn, "__code__"):
        import base64
        import marshal

        closure = fn.__closure__
        return {"module": "builtins", "class_name": "__lambda__", "config": {
            "code": base64.encodebytes(marshal.dumps(fn.__code__)).decode("ascii"),
            "defaults": list(fn.__defaults__) if fn.__defaults__ else None,
            "closure": [c.cell_contents for c in closure] if closure else None},
            "registered_name": None}
    registered = _registered_as.get(fn)
    if registered is not None:
        # a @register_keras_serializable function, as Keras 3 writes it
        return {"module": "builtins", "class_name": "function", "config": registered,
                "registered_name": "function"}
    return getattr(fn, "__name__", repr(fn))


def deserialize_function(config, custom_objects=None, safe_mode=None, what="a function"):
    """A function from a config: a name (looked up in ``custom_objects`` and the
    registry), Keras' ``{"class_name": "function", "config": name}``, or a Keras
    ``__lambda__`` (bytecode: refused unless safe mode is off). Never imports a module
    named by the file."""
    custom_objects = custom_objects or {}
    if isinstance(config, dict):
        cls = config.get("class_name")
        if cls == "__lambda__":
            if effective_safe_mode(safe_mode):
                raise ValueError(_LAMBDA_REFUSED.format(what=what))
            return _load_lambda(config.get("config"), custom_objects, what)
        if cls != "function":
            raise ValueError(f"{what}: expected a function name or a function config; "
                             f"received an object of class {cls!r}")
        names = [config.get("registered_name"), config.get("config")]
    elif isinstance(config, str):
        names = [config]
    else:
        raise ValueError(f"{what}: expected a function name; received {config!r:.200}")
    for name in names:
        if isinstance(name, str):
            fn = custom_objects.get(name) or lookup(name)
            if fn is not None and callable(fn):
                return fn
    name = next((n for n in names if isinstance(n, str)), None)
    raise ValueError(f"{what}: unknown function {name!r:.200}. Loading never imports or "
                     "runs code named by a file: pass it in custom_objects={"
                     f"{name!r:.100}: fn}} or register it with "
                     "@unikeras.saving.register_keras_serializable()")


def _load_lambda(cfg, custom_objects, what):
    import base64
    import binascii
    import builtins
    import marshal
    import types

    if not isinstance(cfg, dict) or not isinstance(cfg.get("code"), str):
        raise ValueError(f"{what}: a __lambda__ config needs a 'code' string")
    try:
        raw = base64.decodebytes(cfg["code"].encode("ascii"))
    except (UnicodeEncodeError, binascii.Error):
        raw = cfg["code"].encode("raw_unicode_escape")
    try:
        code = marshal.loads(raw)
    except (ValueError, EOFError, TypeError) as e:
        raise ValueError(f"{what}: the lambda's bytecode cannot be read by this Python "
                         f"({e}); it was saved by another Python version?") from None
    if not isinstance(code, types.CodeType):
        raise ValueError(f"{what}: the lambda's 'code' is not Python bytecode")
    defaults = cfg.get("defaults")
    closure = cfg.get("closure")
    cells = tuple(types.CellType(v) for v in closure) if closure else None
    if cells is not None and len(cells) != len(code.co_freevars):
        raise ValueError(f"{what}: the lambda's closure has {len(cells)} values for "
                         f"{len(code.co_freevars)} free variables")
    unikeras = importlib.import_module("unikeras")
    globs = {"__builtins__": builtins, "keras": unikeras, "ops": unikeras.ops,
             **dict(custom_objects)}
    try:
        return types.FunctionType(code, globs, code.co_name,
                                  tuple(defaults) if defaults else None, cells)
    except (TypeError, ValueError) as e:
        raise ValueError(f"{what}: cannot rebuild the lambda: {e}") from None


def serialize_simple(obj):
    if obj is None:
        return None
    if isinstance(obj, str):
        return obj
    module, registered = keras_identity(type(obj))
    return {"module": module, "class_name": keras_class(type(obj)).__name__,
            "config": obj.get_config(), "registered_name": registered}


def deserialize_simple(config, aliases=None, custom_objects=None):
    if config is None:
        return None
    if not isinstance(config, dict):
        raise ValueError(f"Expected an object config (a dict with 'class_name' and 'config'); "
                         f"received {config!r:.200}")
    name = config.get("class_name")
    if not isinstance(name, str):
        raise ValueError(f"An object config needs a 'class_name' string; received {name!r:.200}")
    # The caller's own table first: class names repeat across kinds of object (the loss
    # MeanSquaredError and the metric MeanSquaredError).
    cls = (custom_objects or {}).get(name) or (aliases or {}).get(name) or lookup(name)
    if cls is None and aliases:
        cls = aliases.get(name.lower())
    if cls is None:
        raise ValueError(f"Unknown object {name!r}: register it with "
                         "unikeras.saving.register_keras_serializable or pass custom_objects")
    inner = config.get("config", {})
    if not isinstance(inner, dict):
        raise ValueError(f"{name}: its 'config' must be a dict; received {inner!r:.200}")
    return cls.from_config(inner)


# ------------------------------------------------------------------ keras.utils / saving API
class CustomObjectScope:
    """Keras' ``CustomObjectScope(*dicts)`` / ``custom_object_scope``: inside ``with``,
    the names of the given dicts resolve in every deserialization (load_model, from_config,
    get_registered_object)."""

    def __init__(self, *custom_objects):
        merged = {}
        for objects in custom_objects:
            if objects is None:
                continue
            if not isinstance(objects, dict):
                raise TypeError(f"CustomObjectScope: expected dicts of name -> object; "
                                f"received {type(objects).__name__}")
            merged.update(objects)
        self.custom_objects = merged

    def __enter__(self):
        _custom_scopes.append(self.custom_objects)
        return self

    def __exit__(self, *exc):
        _custom_scopes.remove(self.custom_objects)
        return False


custom_object_scope = CustomObjectScope


def get_custom_objects():
    """Keras' global custom-objects dict (mutable: what is put there resolves by name)."""
    return _custom_objects


def get_registered_name(obj):
    """The name ``obj`` is registered under (``"package>name"``), else its ``__name__``."""
    return _registered_as.get(obj) or getattr(obj, "__name__", None) or type(obj).__name__


def get_registered_object(name, custom_objects=None, module_objects=None):
    """Keras' lookup order: open custom-object scopes, the global custom objects, then
    ``custom_objects``, then ``module_objects``; None when nowhere."""
    for scope in reversed(_custom_scopes):
        if name in scope:
            return scope[name]
    if name in _custom_objects:
        return _custom_objects[name]
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    if module_objects and name in module_objects:
        return module_objects[name]
    return None


def serialize_keras_object(obj):
    """Keras' ``serialize_keras_object``: an object with ``get_config`` as ``{"module",
    "class_name", "config", "registered_name"}``, a function in Keras' function form,
    containers element by element, plain values as they are."""
    if obj is None or isinstance(obj, (str, int, float, bool)):
        return obj
    if isinstance(obj, (list, tuple)):
        return [serialize_keras_object(o) for o in obj]
    if isinstance(obj, dict):
        return {k: serialize_keras_object(v) for k, v in obj.items()}
    if hasattr(obj, "get_config") and not isinstance(obj, type):
        return serialize_simple(obj)
    if callable(obj):
        fn = serialize_function(obj)
        if isinstance(fn, str):
            fn = {"module": "builtins", "class_name": "function", "config": fn,
                  "registered_name": "function"}
        return fn
    raise TypeError(f"serialize_keras_object: cannot serialize {obj!r:.200}")


def deserialize_keras_object(config, custom_objects=None, safe_mode=True, **kwargs):
    """Keras' ``deserialize_keras_object``: the object a config describes, built only from
    registered classes/functions, ``custom_objects`` and open custom-object scopes (never
    importing the module a config names); a lambda's bytecode only with ``safe_mode=False``."""
    if config is None or isinstance(config, (int, float, bool)):
        return config
    if isinstance(config, (list, tuple)):
        return [deserialize_keras_object(c, custom_objects, safe_mode) for c in config]
    if isinstance(config, str):
        obj = get_registered_object(config, custom_objects) or lookup(config)
        return obj if obj is not None else config
    if not isinstance(config, dict):
        raise TypeError(f"deserialize_keras_object: expected a config dict; received "
                        f"{config!r:.200}")
    if config.get("class_name") in ("function", "__lambda__"):
        scoped = {k: v for s in _custom_scopes for k, v in s.items()}
        return deserialize_function(config, {**scoped, **(custom_objects or {})},
                                    safe_mode=safe_mode, what="deserialize_keras_object")
    if "class_name" not in config:
        return {k: deserialize_keras_object(v, custom_objects, safe_mode)
                for k, v in config.items()}
    names = [config.get("registered_name"), config.get("class_name")]
    cls = None
    for n in names:
        if isinstance(n, str):
            cls = get_registered_object(n, custom_objects) or lookup(n)
            if cls is not None:
                break
    if cls is None:
        raise ValueError(f"deserialize_keras_object: unknown class {names[-1]!r:.200}: "
                         "register it with @register_keras_serializable or pass "
                         "custom_objects")
    inner = config.get("config", {})
    with SafeModeScope(safe_mode):
        return cls.from_config(inner)
