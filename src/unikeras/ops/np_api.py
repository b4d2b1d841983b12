"""``keras.ops.numpy``: Keras 3's NumPy-named ops, written once against the Array API.

This module is only the namespace; the ops live in modules by concept:
``elementwise`` (unary/binary math, comparisons, logical and bitwise ops, gcd/lcm, i0),
``reductions`` (sums, statistics, arg-reductions, quantiles, histogram),
``creation`` (arange, zeros, linspace, eye, window functions, ...),
``manipulation`` (shapes, joining/splitting, indexing, sorting, padding, unique, view)
and ``products`` (matmul, einsum, tensordot, correlate, diff, trapezoid).

Dtype rules follow Keras 3 (which follows JAX without x64): Python scalars are weak
types; int/bool inputs of float functions give floatx; int + Python float gives floatx;
``mean`` of ints gives float32; ``sum``/``prod`` of bool/int8/int16 give int32 (uint8,
uint16: uint32); indices (argmax, argsort, nonzero, ...) are int32.
"""

from __future__ import annotations

from . import creation, elementwise, manipulation, products, reductions
from .creation import *  # noqa: F401,F403
from .elementwise import *  # noqa: F401,F403
from .manipulation import *  # noqa: F401,F403
from .products import *  # noqa: F401,F403
from .reductions import *  # noqa: F401,F403

#: The modules the NumPy-named ops are defined in.
MODULES = (elementwise, reductions, creation, manipulation, products)

from .core import get_item, vectorize  # noqa: E402,F401  (keras.ops.numpy has them too)
from .linalg import slogdet  # noqa: E402,F401

__all__ = [name for mod in MODULES for name in mod.__all__] + ["get_item", "slogdet", "vectorize"]
