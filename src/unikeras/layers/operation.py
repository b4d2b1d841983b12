"""Keras' ``keras.Operation``: the base class of every layer (and model).

As in Keras 3, ``Layer`` derives from ``Operation``, so ``isinstance(layer,
keras.Operation)`` holds and the Operation API is the layers' API: ``name``,
``symbolic_call`` (an Operation's call on ``KerasTensor``s, recording a graph node; a
Layer's gives the output spec and its ``__call__`` records the node, as in Keras),
``compute_output_spec``,
``input`` / ``output`` (the first symbolic call's tensors), ``get_config`` (with Keras'
automatic config: the constructor's arguments, when they are plain Python values and the
class does not define ``get_config`` itself) and ``from_config``.

A class written by a user as ``class MyOp(keras.Operation)`` becomes, at its creation, a
subclass of ``OperationLayer`` (layers/layer.py): a weightless layer called directly (on
arrays ``__call__`` is ``call``: no build, no autocast, no framework move; on
KerasTensors it records a graph node). So a user's Operation is a node of Functional
graphs with nothing special in the graph code; unlike Keras it is also a ``Layer``.

``layer.py`` imports this module (which imports nothing of it); its methods reach the
symbolic machinery (layers/symbolic.py) at call time, as ``Layer`` does.
"""

from __future__ import annotations

import inspect

from ..state.variables import unique_name
from ..utils.naming import to_snake_case

#: set by layers/layer.py once its classes exist
_LAYER = None
_OPERATION_LAYER = None

_SIGNATURES: dict[type, tuple] = {}
_AUTO_CONFIG_TYPES = (str, int, float, bool, type(None))


def _init_signature(cls):
    try:
        return _SIGNATURES[cls]
    except KeyError:
        try:
            sig = inspect.signature(cls.__init__)
        except (TypeError, ValueError):
            sig = None
        _SIGNATURES[cls] = sig
        return sig


def _plain(value):
    """True for a value Keras' automatic config keeps (nests of str/int/float/bool/None)."""
    if isinstance(value, (list, tuple)):
        return all(_plain(v) for v in value)
    if isinstance(value, dict):
        return all(_plain(v) for v in value.values())
    return isinstance(value, _AUTO_CONFIG_TYPES)


def _default(fn):
    """Marks a ``get_config`` that a subclass may leave in place (Keras'
    ``python_utils.default``): then the automatic config is used."""
    fn._is_default = True
    return fn


class Operation:
    """Keras' ``keras.Operation(name=None)``. Subclasses define ``call(*args, **kwargs)``
    and, optionally, ``compute_output_spec`` (returning ``KerasTensor``s)."""

    def __new__(cls, *args, **kwargs):
        instance = super().__new__(cls)
        # Keras' automatic config: the constructor's arguments, when all are plain values.
        # Only for classes defined outside unikeras (its own classes define get_config).
        if cls.__module__.startswith("unikeras."):
            return instance
        auto = None
        sig = _init_signature(cls)
        if sig is not None:
            params = list(sig.parameters.values())[1:]
            try:
                bound = sig.bind(None, *args, **kwargs)
            except TypeError:
                bound = None
            if bound is not None and not any(
                    p.kind in (p.POSITIONAL_ONLY, p.VAR_POSITIONAL) and bound.arguments.get(p.name)
                    for p in params):
                bound.apply_defaults()
                values = dict(bound.arguments)
                values.pop(next(iter(sig.parameters)))  # self
                for p in params:
                    if p.kind is p.VAR_KEYWORD:
                        values.update(values.pop(p.name, {}))
                    elif p.kind is p.VAR_POSITIONAL:
                        values.pop(p.name, None)
                values.pop("name", None)
                if _plain(values):
                    auto = values
        instance.__dict__["_auto_config"] = auto
        return instance

    def __init__(self, name=None):
        if name is None:
            name = unique_name(to_snake_case(type(self).__name__))
        if not isinstance(name, str) or "/" in name:
            raise ValueError("Argument `name` must be a string and cannot contain character "
                             f"`/`. Received: name={name} (of type {type(name)})")
        self.name = name

    def __init_subclass__(cls, **kwargs):
        if _OPERATION_LAYER is not None and not issubclass(cls, _LAYER):
            # a user's Operation: a weightless layer (see the module docstring); the
            # registrations every layer class gets (pytree, serialization) run now
            cls.__bases__ = tuple(_OPERATION_LAYER if b is Operation else b
                                  for b in cls.__bases__)
            _LAYER.__dict__["__init_subclass__"].__func__(cls, **kwargs)
            return
        super().__init_subclass__(**kwargs)

    def __call__(self, *args, **kwargs):
        from .symbolic import any_symbolic

        if any_symbolic(args) or any_symbolic(kwargs):
            return self.symbolic_call(*args, **kwargs)
        return self.call(*args, **kwargs)

    def call(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} does not implement call()")

    def symbolic_call(self, *args, **kwargs):
        """The call on KerasTensors: infers the output spec and records a node of the
        graph being defined."""
        from .symbolic import symbolic_call

        return symbolic_call(self, args, kwargs)

    def compute_output_spec(self, *args, **kwargs):
        """The outputs' ``KerasTensor``s (shape and dtype) for these inputs; by default
        ``call`` runs once on zeros (twice with an unknown dimension)."""
        from .symbolic import run_for_spec

        return run_for_spec(self, args, kwargs)

    # ------------------------------------------------------------------ graph
    @property
    def input(self):
        """Keras' ``op.input``: the KerasTensor(s) of its first call on symbolic inputs
        (a list when it took several)."""
        return self._first_node_tensors("inputs", "input")

    @property
    def output(self):
        """Keras' ``op.output``: the KerasTensor(s) its first symbolic call made."""
        fixed = self.__dict__.get("_fixed_output")
        if fixed is not None:
            return fixed
        return self._first_node_tensors("outputs", "output")

    @output.setter
    def output(self, value):  # InputLayer: its tensor exists before any call
        self.__dict__["_fixed_output"] = value

    def _first_node_tensors(self, attr, what):
        nodes = self.__dict__.get("_inbound_nodes")
        if not nodes:
            raise AttributeError(f"The layer {self.name} has never been called and thus has "
                                 f"no defined {what}.")
        values = list(getattr(nodes[0], attr))
        return values[0] if len(values) == 1 else values

    # ------------------------------------------------------------------ config
    @_default
    def get_config(self):
        """``{"name": ...}``; for a class that does not define ``get_config``, Keras'
        automatic config (its constructor's arguments) is added, or, where those are not
        plain values, NotImplementedError asks for a ``get_config``."""
        config = {"name": self.name}
        if not getattr(type(self).get_config, "_is_default", False):
            return config
        if type(self).__module__.startswith("unikeras."):
            return config
        auto = self.__dict__.get("_auto_config")
        if auto is None:
            raise NotImplementedError(
                f"Object {type(self).__name__} was created by passing non-serializable "
                "argument values (or variadic positional arguments) in `__init__()`, and "
                "therefore the object must override `get_config()` in order to be "
                "serializable. Please implement `get_config()`.")
        config.update(auto)
        params = _init_signature(type(self)).parameters
        if "name" not in params and not any(p.kind is p.VAR_KEYWORD for p in params.values()):
            config.pop("name", None)  # __init__ could not take it back
        return config

    @classmethod
    def from_config(cls, config):
        """``cls(**config)`` (a serialized dtype policy in ``config`` deserialized first);
        a failure is a TypeError naming the class and the config, as in Keras."""
        if isinstance(config.get("dtype"), dict):
            from .. import dtype_policies

            config = dict(config)
            policy = dtype_policies.deserialize(config["dtype"])
            if (not isinstance(policy, dtype_policies.DTypePolicyMap)
                    and policy.quantization_mode is None):
                policy = policy.name
            config["dtype"] = policy
        try:
            return cls(**config)
        except Exception as e:
            raise TypeError(f"Error when deserializing class '{cls.__name__}' using "
                            f"config={config}.\n\nException encountered: {e}") from e

    def __repr__(self):
        return f"<Operation name={self.name}>"
