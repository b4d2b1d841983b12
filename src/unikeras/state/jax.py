"""JAX shim for unikeras.state: variables are jax arrays swapped functionally, and
layers are registered with jax.tree_util."""

import jax
import jax.numpy as jnp

from . import tree as _tree
from .variables import warn_lost_assignment


def make_variable(value, variable):
    return jnp.asarray(value)


def storage_dtype(dtype):
    """64-bit dtypes are stored as 32-bit ones unless jax's x64 mode is on."""
    if not jax.config.jax_enable_x64 and dtype in ("int64", "uint64", "float64", "complex128"):
        return {"int64": "int32", "uint64": "uint32", "float64": "float32", "complex128": "complex64"}[dtype]
    return dtype


def raw_array(native):
    return native


def assign(native, value, variable):
    value = jnp.asarray(value, dtype=native.dtype)
    if value.shape != native.shape:
        raise ValueError(f"Variable {variable.path!r}: assigned value has shape {value.shape}, expected {native.shape}")
    if isinstance(value, jax.core.Tracer):
        warn_lost_assignment(variable)
    return value


def _flatten(obj):
    return _tree.flatten(obj, "jax")


_FLOAT0 = jax.dtypes.float0


def _unflatten(treedef, leaves):
    """``jax.grad(..., allow_int=True)`` returns ``float0`` cotangents for integer leaves
    (seed counters, step counts); a gradient tree holds zeros of the variable's dtype
    there instead, so optax (``update``, ``apply_updates``) and ``tree_map`` arithmetic
    treat integer state as "no update" instead of failing on float0."""
    leaves = list(leaves)
    for i, leaf in enumerate(leaves):
        if getattr(leaf, "dtype", None) == _FLOAT0:
            leaves[i] = jnp.zeros(leaf.shape, treedef.variables[i].dtype)
    return _tree.unflatten(treedef, leaves)


def _register(cls):
    jax.tree_util.register_pytree_node(cls, _flatten, _unflatten)


_tree.on_register(_register)


def read_value(native):
    """The value a call returns for ``return self.v``: jax arrays are immutable."""
    return native
