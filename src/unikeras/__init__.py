"""unikeras: the Keras 3 API, written once against the Python Array API standard.

``import unikeras as keras`` imports no framework: jax, torch and tensorflow are
imported the first time their arrays are seen or they are asked for.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

_SUBMODULES = {
    "xp", "state", "nn_ops", "ops", "layers", "models", "training", "losses", "metrics",
    "optimizers", "callbacks", "activations", "initializers", "regularizers",
    "constraints", "random", "utils", "backend", "config", "saving",
    "dtype_policies", "mixed_precision", "export", "distribution", "tree",
    "wrappers", "datasets", "distillation", "quantizers", "applications",
    "preprocessing", "visualization",
}

_ATTRS = {
    "Variable": ("unikeras.state", "Variable"),
    "Layer": ("unikeras.layers", "Layer"),
    "Input": ("unikeras.layers", "Input"),
    "KerasTensor": ("unikeras.layers", "KerasTensor"),
    "InputSpec": ("unikeras.layers", "InputSpec"),
    "Model": ("unikeras.models", "Model"),
    "Sequential": ("unikeras.models", "Sequential"),
    "StatelessScope": ("unikeras.state", "StatelessScope"),
    "RematScope": ("unikeras._remat", "RematScope"),
    "remat": ("unikeras._remat", "remat"),
    "framework_scope": ("unikeras.xp", "framework_scope"),
    "device": ("unikeras.xp", "device"),
    "Loss": ("unikeras.losses", "Loss"),
    "Metric": ("unikeras.metrics", "Metric"),
    "Optimizer": ("unikeras.optimizers", "Optimizer"),
    "Initializer": ("unikeras.initializers", "Initializer"),
    "Regularizer": ("unikeras.regularizers", "Regularizer"),
    "DTypePolicy": ("unikeras.dtype_policies", "DTypePolicy"),
    "FloatDTypePolicy": ("unikeras.dtype_policies", "FloatDTypePolicy"),
    "Operation": ("unikeras.layers.operation", "Operation"),
    "SymbolicScope": ("unikeras.layers.symbolic", "SymbolicScope"),
    "Function": ("unikeras.training.functional", "Function"),
    "name_scope": ("unikeras.state.variables", "name_scope"),
    "Quantizer": ("unikeras.quantizers", "Quantizer"),
}


def version():
    """Keras' ``keras.version()``: this package's version string."""
    return __version__


def __getattr__(name):
    if name in _SUBMODULES:
        return importlib.import_module(f"unikeras.{name}")
    if name in _ATTRS:
        mod, attr = _ATTRS[name]
        return getattr(importlib.import_module(mod), attr)
    raise AttributeError(f"module 'unikeras' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | _SUBMODULES | set(_ATTRS))
