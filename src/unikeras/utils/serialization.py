"""Name registry and simple ``{"class_name": ..., "config": ...}`` serialization, the
format Keras uses. Deserialization only instantiates registered classes: loading a
config never runs code from it."""

from __future__ import annotations

_registry: dict[str, type] = {}


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
        return c
    return deco


def lookup(name):
    return _registry.get(name)


def serialize_simple(obj):
    if obj is None:
        return None
    if isinstance(obj, str):
        return obj
    return {"module": type(obj).__module__, "class_name": type(obj).__name__,
            "config": obj.get_config(), "registered_name": type(obj).__name__}


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
