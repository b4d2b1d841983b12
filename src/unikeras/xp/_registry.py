"""Which framework an array belongs to, and lazy loading of per-framework shim modules.

Framework detection reads ``type(x).__module__`` and never imports a framework: a
framework is imported the first time one of its arrays is seen (its shim module imports
it) or when it is asked for by name.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys

from .._shims import ARRAY_MODULES, FRAMEWORKS, TRAINABLE

#: Frameworks that have shim modules, in the order the default is chosen from (the
#: contract in unikeras/_shims.py).
SHIMMED = FRAMEWORKS

_ROOT_TO_FRAMEWORK = {root: fw for fw, roots in ARRAY_MODULES.items() for root in roots}
_ROOT_TO_FRAMEWORK.update({
    "keras": None,  # keras' own tensors are not ours
    "array_api_strict": "array_api_strict",
    "builtins": None,
})

_type_cache: dict[type, str | None] = {}
_shim_cache: dict[tuple[str, str], object] = {}


def _classify(t: type) -> str | None:
    root = t.__module__.partition(".")[0]
    if root in _ROOT_TO_FRAMEWORK:
        return _ROOT_TO_FRAMEWORK[root]
    if hasattr(t, "__array_namespace__"):
        return root
    return None


def framework_of(x) -> str | None:
    """The name of the framework ``x`` belongs to, or None for Python scalars and
    containers. Never imports anything."""
    t = type(x)
    try:
        return _type_cache[t]
    except KeyError:
        fw = _type_cache[t] = _classify(t)
        return fw


def shim(framework: str, area: str):
    """The module ``unikeras.<area>.<framework>``, or None if that framework has no
    shim for the area (e.g. array_api_strict, or numpy's training shim)."""
    key = (framework, area)
    try:
        return _shim_cache[key]
    except KeyError:
        pass
    name = f"unikeras.{area}.{framework}"
    mod = None
    if framework in SHIMMED and importlib.util.find_spec(name) is not None:
        mod = importlib.import_module(name)
    _shim_cache[key] = mod
    return mod


def is_imported(framework: str) -> bool:
    """Whether ``framework`` has been imported in this process (by anyone); never
    imports it."""
    return framework in sys.modules


def is_installed(framework: str) -> bool:
    if framework == "numpy":
        return True
    return importlib.util.find_spec(framework) is not None


def installed_frameworks(include_numpy: bool = False) -> list[str]:
    names = [f for f in TRAINABLE if is_installed(f)]
    return names + ["numpy"] if include_numpy else names


_default: list[str] = []


def scoped_framework() -> str | None:
    """The framework an open framework-level scope selects, else None: inside a
    ``tf.distribute`` strategy's ``scope()`` that is TensorFlow (new variables are made
    by the strategy, host data runs there). One dict lookup while TF is not imported."""
    if "tensorflow" not in sys.modules:
        return None
    state = shim("tensorflow", "state")
    return "tensorflow" if state.strategy_scope_open() else None


def default_framework() -> str:
    """The framework of an open scope (``scoped_framework``), else UNIKERAS_BACKEND,
    else KERAS_BACKEND, else the first installed of jax, torch, tensorflow, else numpy."""
    if "tensorflow" in sys.modules:
        scoped = scoped_framework()
        if scoped is not None:
            return scoped
    if _default:
        return _default[0]
    name = os.environ.get("UNIKERAS_BACKEND") or os.environ.get("KERAS_BACKEND")
    if name:
        name = name.strip().lower()
        if name == "tf":
            name = "tensorflow"
        if name not in SHIMMED:
            raise ValueError(
                f"UNIKERAS_BACKEND/KERAS_BACKEND must be one of {SHIMMED}; received {name!r}"
            )
        if not is_installed(name):
            raise ImportError(f"The backend {name!r} was asked for but is not installed.")
    else:
        name = next((f for f in TRAINABLE if is_installed(f)), "numpy")
    _default.append(name)
    return name


def set_default_framework(name: str | None) -> None:
    """Set (or, with None, reset) the framework NumPy data and array-less ops run on."""
    _default.clear()
    if name is not None:
        if name not in SHIMMED:
            raise ValueError(f"Expected one of {SHIMMED}; received {name!r}")
        _default.append(name)
