"""JAX side of export: a ``jax.export.Exported`` (StableHLO) of the model with its weights
embedded as constants and symbolic (dynamic) dimensions where the signature has None."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from ..xp import standardize_dtype


def abstract_args(specs_flat):
    """ShapeDtypeStructs with one shared symbol ``b`` for every batch dimension and one
    symbol per other None dimension."""
    names = []
    for i, spec in enumerate(specs_flat):
        for j, d in enumerate(spec.shape):
            if d is None:
                names.append("b" if j == 0 else f"d{i}_{j}")
    symbols = dict(zip(dict.fromkeys(names), jax.export.symbolic_shape(
        ", ".join(dict.fromkeys(names))))) if names else {}
    out = []
    for i, spec in enumerate(specs_flat):
        shape = tuple(symbols["b" if j == 0 else f"d{i}_{j}"] if d is None else d
                      for j, d in enumerate(spec.shape))
        out.append(jax.ShapeDtypeStruct(shape, jnp.dtype(standardize_dtype(spec.dtype))))
    return out


def export(fn, abstract, platforms=None):
    kwargs = {} if platforms is None else {"platforms": tuple(platforms)}
    return jax.export.export(jax.jit(fn), **kwargs)(*abstract)


def constants(values):
    return [jnp.asarray(v) for v in values]


def serialize(exported) -> bytes:
    return bytes(exported.serialize())
