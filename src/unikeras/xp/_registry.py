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
import threading

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


class _Scope(threading.local):
    """The framework scope of this thread: the framework of the layer/model call in
    progress (set by ``Layer.__call__`` and the fit/evaluate/predict steps), or the one a
    user chose with ``framework_scope``; None outside both."""

    fw = None


#: Read and set directly by ``Layer.__call__`` (an attribute access, no call).
SCOPE = _Scope()


def scope_framework() -> str | None:
    """The framework of the innermost active scope (a call, a fit step or
    ``framework_scope``), or None outside all of them."""
    return SCOPE.fw


class framework_scope:
    """``with unikeras.framework_scope("torch"): ...``: inside the block, arrays created
    without array inputs (``ops.arange``, ``ops.zeros``, ``keras.random.*``, initializer
    calls) and host data (NumPy, lists, pandas) given to a model, ``predict``,
    ``evaluate`` or ``fit`` land on that framework. Scopes nest; the innermost wins (a
    layer call inside the block opens its own scope on the framework of its arrays)."""

    __slots__ = ("framework", "_prev")

    def __init__(self, framework: str):
        if framework in _valid_scope_names:
            self.framework = framework
            self._prev = None
            return
        name = _check_name(framework)
        if name not in SHIMMED and not is_installed(name):
            raise ValueError(f"framework_scope: unknown framework {framework!r}; expected one "
                             f"of {SHIMMED} or an installed Array API library")
        if not is_installed(name):
            raise ImportError(f"framework_scope: the framework {name!r} is not installed")
        self.framework = name
        self._prev = None
        if name == framework:
            _valid_scope_names.add(name)

    def __enter__(self):
        self._prev = SCOPE.fw
        SCOPE.fw = self.framework
        return self

    def __exit__(self, *exc):
        SCOPE.fw = self._prev
        return False

    def __repr__(self):
        return f"framework_scope({self.framework!r})"


_valid_scope_names: set[str] = set()


def _check_name(name) -> str:
    if not isinstance(name, str):
        raise TypeError(f"A framework is named by a string such as 'jax' or 'torch'; "
                        f"received {name!r}")
    name = name.strip().lower()
    return "tensorflow" if name == "tf" else name


class device:
    """Keras 3's ``keras.device("gpu:0")`` / ``keras.device("cpu")``: inside the block,
    arrays that frameworks create (unikeras ops without array inputs, the frameworks'
    own factory functions) land on that device. Enters the framework's own device
    context (``jax.default_device``, ``torch.device``, ``tf.device``) of every framework
    imported when the block opens (it imports none). Names: ``cpu``, ``gpu``/``cuda``
    with an optional ``:index``."""

    def __init__(self, device_name: str):
        kind, _, idx = str(device_name).strip().lower().partition(":")
        if kind == "cuda":
            kind = "gpu"
        if kind not in ("cpu", "gpu") or (idx and not idx.isdigit()):
            raise ValueError(f"Invalid device name {device_name!r}: expected 'cpu', 'gpu' or "
                             "'cuda', optionally with ':index' (e.g. 'gpu:0')")
        self.kind, self.index = kind, int(idx or 0)
        self._entered = []

    def __enter__(self):
        try:
            for fw in SHIMMED:
                if fw == "numpy" or not is_imported(fw):
                    continue
                mod = shim(fw, "xp")
                scope = getattr(mod, "device_scope", None) if mod is not None else None
                if scope is not None:
                    cm = scope(self.kind, self.index)
                    cm.__enter__()
                    self._entered.append(cm)
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc):
        while self._entered:
            self._entered.pop().__exit__(*exc)
        return False


def default_framework() -> str:
    """The framework array-less ops and host data run on: the innermost framework scope
    (the call in progress, or ``framework_scope``), else an open framework-level scope
    (``scoped_framework``: a tf.distribute strategy's), else the global default:
    UNIKERAS_BACKEND, else KERAS_BACKEND, else the first installed of jax, torch,
    tensorflow, else numpy."""
    fw = SCOPE.fw
    if fw is not None:
        return fw
    if "tensorflow" in sys.modules:
        scoped = scoped_framework()
        if scoped is not None:
            return scoped
    return global_default_framework()


def global_default_framework() -> str:
    """The process-wide default framework, whatever scope is active."""
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
