"""Where ``unikeras.ops`` learns about symbolic tensors without importing the layers.

``unikeras.layers.symbolic`` calls ``register(KerasTensor, symbolic_op)`` at import; every
public op (wrapped in ``unikeras.ops._symbolic``) reads ``handler`` and, when one of its
arguments is such a tensor, records a graph node instead of computing. No KerasTensor
can exist before the layers register, so an unset handler means "no symbolic tensors".
The dependency runs one way: layers -> this module <- ops.
"""

from __future__ import annotations

#: ``[tensor_type, make_node]``, or ``[None, None]`` before the layers are imported.
handler: list = [None, None]


def register(tensor_type, make_node) -> None:
    """Route op calls with a ``tensor_type`` argument to ``make_node(name, *args, **kwargs)``."""
    handler[:] = [tensor_type, make_node]
