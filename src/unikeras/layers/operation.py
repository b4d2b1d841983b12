"""Keras' ``keras.Operation`` and ``keras.SymbolicScope``.

``Operation`` is the base Keras 3 gives to ops and layers: a named callable with
``call`` (on arrays) and ``compute_output_spec`` (on ``KerasTensor``s), usable in a
Functional graph. Here it is a weightless ``Layer`` that is called directly: on arrays
``__call__`` is ``call`` (no build, no autocast, no framework move; the op's own code
works on whatever arrays it gets), on KerasTensors it records a graph node whose output
spec comes from ``compute_output_spec`` (by default: ``call`` run once on zeros, as for
layers). ``Layer`` itself does not derive from it (a layer already has everything an
Operation has), so ``isinstance(Dense(1), keras.Operation)`` is False here.
"""

from __future__ import annotations

from .layer import Layer
from .symbolic import any_symbolic, run_for_spec, symbolic_call


class Operation(Layer):
    """Keras' ``keras.Operation(name=None)``. Subclasses define ``call(*args, **kwargs)``
    and, optionally, ``compute_output_spec`` (returning ``KerasTensor``s)."""

    def __init__(self, name=None, **kwargs):
        kwargs.pop("dtype", None)
        super().__init__(name=name, autocast=False, **kwargs)
        self.built = True

    def __call__(self, *args, **kwargs):
        if any_symbolic(args) or any_symbolic(kwargs):
            return self.symbolic_call(*args, **kwargs)
        return self.call(*args, **kwargs)

    def symbolic_call(self, *args, **kwargs):
        """The call on KerasTensors: a node of the graph being defined."""
        return symbolic_call(self, args, kwargs)

    def compute_output_spec(self, *args, **kwargs):
        return run_for_spec(self, args, kwargs)

    def get_config(self):
        return {"name": self.name}
