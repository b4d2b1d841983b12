"""Name registry and simple ``{"class_name": ..., "config": ...}`` serialization, the
format Keras uses. Deserialization only instantiates registered classes: loading a
config never runs code from it."""

from __future__ import annotations

_registry: dict[str, type] = {}
_registered_as: dict[type, str] = {}  # class -> "package>name" (register_keras_serializable)

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
)


def keras_identity(cls):
    """``(module, registered_name)`` as Keras 3 writes them for ``cls``: the public Keras
    module and None for a built-in, the defining module and ``package>name`` (or the class
    name) for a user's class."""
    mod = cls.__module__
    if mod == "unikeras.training.functional" and cls.__name__ == "Functional":
        return "keras.src.models.functional", "Functional"
    for prefix, public in _PUBLIC_MODULES:
        if mod == prefix or mod.startswith(prefix + "."):
            return public, None
    return mod, _registered_as.get(cls, cls.__name__)


def register(cls=None, *, name=None):
    """Register a class under its name (and ``package>name``) for deserialization."""
    def deco(c):
        _registry[name or c.__name__] = c
        return c
    return deco(cls) if cls is not None else deco


def register_keras_serializable(package="Custom", name=None):
    def deco(c):
        n = name or c.__name__
        _registry[n] = c
        _registry[f"{package}>{n}"] = c
        _registered_as[c] = f"{package}>{n}"
        return c
    return deco


def lookup(name):
    return _registry.get(name)


def serialize_simple(obj):
    if obj is None:
        return None
    if isinstance(obj, str):
        return obj
    module, registered = keras_identity(type(obj))
    return {"module": module, "class_name": type(obj).__name__,
            "config": obj.get_config(), "registered_name": registered}


def deserialize_simple(config, aliases=None, custom_objects=None):
    if config is None:
        return None
    name = config.get("class_name")
    # The caller's own table first: class names repeat across kinds of object (the loss
    # MeanSquaredError and the metric MeanSquaredError).
    cls = (custom_objects or {}).get(name) or (aliases or {}).get(name) or _registry.get(name)
    if cls is None and aliases:
        cls = aliases.get(str(name).lower())
    if cls is None:
        raise ValueError(f"Unknown object {name!r}: register it with "
                         "unikeras.saving.register_keras_serializable or pass custom_objects")
    return cls.from_config(config.get("config", {}))
