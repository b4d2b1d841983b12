"""Keras' layer (de)serialization: ``serialize(layer)`` gives ``{"module", "class_name",
"config", "build_config"}``; ``deserialize`` rebuilds a registered class from it (never
running code from the config)."""

from __future__ import annotations

from ..utils.serialization import keras_src_class, lookup, serialize_simple


def serialize(layer):
    """Keras' layer serialization: ``{"module", "class_name", "config", ...}``."""
    out = serialize_simple(layer)
    if layer.built and hasattr(layer, "_build_shape"):
        out["build_config"] = {"input_shape": layer._build_shape}
    return out


def deserialize(config, custom_objects=None):
    """Rebuild a layer from ``serialize``'s output. Only classes that are registered
    (every Layer subclass defined in this process, or passed in ``custom_objects``) can
    be rebuilt: a config never runs code."""
    name = config["class_name"]
    if str(config.get("module") or "").startswith("keras.src.ops."):
        from .symbolic import OpLayer  # a Keras 3 Operation node (x + y, ops.mean(x))

        return OpLayer.from_keras_operation(config)
    cls = ((custom_objects or {}).get(name)
           or keras_src_class(str(config.get("module") or ""), name) or lookup(name))
    if cls is None:
        raise ValueError(f"Unknown layer class {name!r}: define or register it, or pass it "
                         "in custom_objects")
    cfg = config.get("config", {})
    try:
        return cls.from_config(cfg, custom_objects=custom_objects)
    except TypeError:
        return cls.from_config(cfg)
