"""Keras 3's products (part of ``keras.ops.numpy``): matmul, dot, vdot, inner, outer,
tensordot, kron, cross, einsum, correlate, and the differences/integrals diff and
trapezoid.
"""

from __future__ import annotations

import builtins

import numpy as np

from ..xp.dtypes import index_dtype
from ._common import (
    _bmax, cast_to, dtype_name, _one, op_error, ops_shim, resolve, result_type,
    to_array, to_float,
)
from .creation import full
from .manipulation import pad, size

__all__: list[str] = []


def _export(fn):
    __all__.append(fn.__name__)
    return fn


# --------------------------------------------------------------------------------------
# products

def _product_operands(op, x1, x2):
    xp, fw = resolve(op, x1, x2)
    a = to_array(xp, fw, x1)
    b = to_array(xp, fw, x2)
    da, db = dtype_name(a), dtype_name(b)
    d = result_type(da, db)
    a, b = cast_to(xp, fw, a, d), cast_to(xp, fw, b, d)
    out_d = "int32" if da == db == "int8" else d
    if out_d != d:
        a, b = cast_to(xp, fw, a, out_d), cast_to(xp, fw, b, out_d)
    return xp, fw, a, b, out_d


@_export
def matmul(x1, x2):
    """Matrix product with broadcasting (int8 x int8 gives int32)."""
    xp, fw, a, b, d = _product_operands("matmul", x1, x2)
    if a.ndim == 0 or b.ndim == 0:
        raise op_error("matmul", f"expected arrays of rank >= 1; received shapes {tuple(a.shape)} "
                       f"and {tuple(b.shape)}")
    ka = a.shape[-1]
    kb = b.shape[-2] if b.ndim > 1 else b.shape[0]
    if ka is not None and kb is not None and ka != kb:
        raise op_error("matmul", f"expected x1.shape[-1] == x2.shape[-2]; received shapes "
                       f"{tuple(a.shape)} and {tuple(b.shape)}")
    if d == "bool":
        return xp.matmul(cast_to(xp, fw, a, "int32"), cast_to(xp, fw, b, "int32")) != 0
    return xp.matmul(a, b)


@_export
def dot(x1, x2):
    """NumPy ``dot``: products of scalars, inner products of vectors, matmul of
    matrices, and sums over the last axis of x1 and second-to-last of x2 otherwise."""
    xp, fw, a, b, d = _product_operands("dot", x1, x2)
    if a.ndim == 0 or b.ndim == 0:
        return a * b
    if b.ndim == 1:
        return xp.tensordot(a, b, axes=([a.ndim - 1], [0]))
    if a.ndim <= 2 and b.ndim == 2:
        return xp.matmul(a, b)
    return xp.tensordot(a, b, axes=([a.ndim - 1], [b.ndim - 2]))


@_export
def vdot(x1, x2):
    """Dot product of the flattened arrays (``x1`` conjugated)."""
    xp, fw, a, b, d = _product_operands("vdot", x1, x2)
    a, b = xp.reshape(a, (-1,)), xp.reshape(b, (-1,))
    if d.startswith("complex"):
        a = xp.conj(a)
    return xp.sum(a * b)


@_export
def inner(x1, x2):
    """Inner product over the last axes."""
    xp, fw, a, b, d = _product_operands("inner", x1, x2)
    if a.ndim == 0 or b.ndim == 0:
        return a * b
    return xp.tensordot(a, b, axes=([a.ndim - 1], [b.ndim - 1]))


@_export
def outer(x1, x2):
    """Outer product of the flattened arrays."""
    xp, fw, a, b, d = _product_operands("outer", x1, x2)
    return xp.reshape(a, (-1, 1)) * xp.reshape(b, (1, -1))


@_export
def tensordot(x1, x2, axes=2):
    """Sum of products over ``axes`` (an int or a pair of axis sequences)."""
    xp, fw, a, b, d = _product_operands("tensordot", x1, x2)
    if not isinstance(axes, int):
        axes = tuple(tuple(ax) if isinstance(ax, (list, tuple)) else (int(ax),) for ax in axes)
    return xp.tensordot(a, b, axes=axes)


@_export
def kron(x1, x2):
    """Kronecker product."""
    xp, fw, a, b, d = _product_operands("kron", x1, x2)
    nd = _bmax(a.ndim, b.ndim)
    a = xp.reshape(a, (1,) * (nd - a.ndim) + tuple(a.shape))
    b = xp.reshape(b, (1,) * (nd - b.ndim) + tuple(b.shape))
    ea = xp.reshape(a, tuple(s for dim in a.shape for s in (dim, 1)))
    eb = xp.reshape(b, tuple(s for dim in b.shape for s in (1, dim)))
    return xp.reshape(ea * eb, tuple(p * q for p, q in zip(a.shape, b.shape)))


@_export
def cross(x1, x2, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """Cross product of 2- or 3-vectors."""
    if axis is not None:
        axisa = axisb = axisc = axis
    xp, fw, a, b, d = _product_operands("cross", x1, x2)
    a = xp.moveaxis(a, axisa, -1)
    b = xp.moveaxis(b, axisb, -1)
    na, nb = a.shape[-1], b.shape[-1]
    if na not in (2, 3) or nb not in (2, 3):
        raise op_error("cross", f"expected vectors of dimension 2 or 3; received {na} and {nb}")
    a0, a1 = a[..., 0], a[..., 1]
    b0, b1 = b[..., 0], b[..., 1]
    if na == 2 and nb == 2:
        return a0 * b1 - a1 * b0
    a2 = a[..., 2] if na == 3 else xp.zeros_like(a0)
    b2 = b[..., 2] if nb == 3 else xp.zeros_like(b0)
    out = xp.stack([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0], axis=-1)
    return xp.moveaxis(out, -1, axisc)


def _einsum_generic(xp, subscripts, *ops):
    lhs, _, rhs = subscripts.replace(" ", "").partition("->")
    ins = lhs.split(",")
    if "..." in subscripts:
        raise NotImplementedError("einsum with '...' needs a framework einsum")
    if not _:
        letters = "".join(ins)
        rhs = "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    order = sorted(set("".join(ins)), key=lambda c: (c not in rhs, rhs.index(c) if c in rhs else 0, c))
    total = None
    for term, o in zip(ins, ops):
        # collapse repeated letters in one term to their diagonal
        while len(set(term)) != len(term):
            c = next(ch for ch in term if term.count(ch) > 1)
            i, j = term.index(c), term.index(c, term.index(c) + 1)
            rest = [k for k in range(o.ndim) if k not in (i, j)]
            o = xp.linalg.diagonal(xp.permute_dims(o, tuple(rest) + (i, j)))
            term = "".join(term[k] for k in rest) + c
        perm = sorted(range(len(term)), key=lambda k: order.index(term[k]))
        o = xp.permute_dims(o, tuple(perm))
        placed = "".join(term[k] for k in perm)
        shape = [o.shape[placed.index(c)] if c in placed else 1 for c in order]
        o = xp.reshape(o, tuple(shape))
        total = o if total is None else total * o
    summed = tuple(i for i, c in enumerate(order) if c not in rhs)
    if summed:
        total = xp.sum(total, axis=summed)
    return total


@_export
def einsum(subscripts, *operands, **kwargs):
    """Einstein summation (int8 operands give int32)."""
    xp, fw = resolve("einsum", *operands)
    arrs = [to_array(xp, fw, o) for o in operands]
    dts = [dtype_name(a) for a in arrs]
    d = result_type(*dts)
    if d == "int8":
        d = "int32"
    arrs = [cast_to(xp, fw, a, d) for a in arrs]
    mod = ops_shim(fw)
    if mod is not None:
        return mod.einsum(subscripts, *arrs)
    return _einsum_generic(xp, subscripts, *arrs)


@_export
def trapezoid(y, x=None, dx=1.0, axis=-1):
    """Integral of ``y`` by the trapezoidal rule along ``axis``."""
    xp, fw = resolve("trapezoid", y, x)
    y = to_float(xp, fw, to_array(xp, fw, y))
    y = xp.moveaxis(y, axis, -1)
    avg = (y[..., 1:] + y[..., :-1]) * 0.5
    if x is None:
        return xp.sum(avg, axis=-1) * dx
    xv = to_array(xp, fw, x, dtype_name(y))
    if xv.ndim == 1:
        dxv = xv[1:] - xv[:-1]
    else:
        xv = xp.moveaxis(xv, axis, -1)
        dxv = xv[..., 1:] - xv[..., :-1]
    return xp.sum(avg * dxv, axis=-1)


@_export
def diff(a, n=1, axis=-1):
    """``n``-th discrete difference along ``axis``."""
    xp, fw, x = _one("diff", a)
    for _ in range(int(n)):
        x = xp.moveaxis(x, axis, -1)
        if dtype_name(x) == "bool":
            x = xp.not_equal(x[..., 1:], x[..., :-1])
        else:
            x = x[..., 1:] - x[..., :-1]
        x = xp.moveaxis(x, -1, axis)
    return x


@_export
def correlate(x1, x2, mode="valid"):
    """Cross-correlation of two 1-D arrays, ``c[k] = sum_n x1[n + k] * conj(x2[n])``, with
    NumPy's modes 'valid', 'same' and 'full' (ints give floatx)."""
    if mode not in ("valid", "same", "full"):
        raise op_error("correlate", f"expected mode in ('valid', 'same', 'full'); received {mode!r}")
    xp, fw = resolve("correlate", x1, x2)
    a, v = to_array(xp, fw, x1), to_array(xp, fw, x2)
    if a.ndim != 1 or v.ndim != 1:
        raise op_error("correlate", f"expected 1-D arrays; received shapes {tuple(a.shape)} and "
                       f"{tuple(v.shape)}")
    m, n = a.shape[0], v.shape[0]
    if m == 0 or n == 0:
        raise op_error("correlate", f"expected non-empty arrays; received lengths {m} and {n}")
    d = result_type(a, v, float)
    a, v = cast_to(xp, fw, a, d), cast_to(xp, fw, v, d)
    if d.startswith("complex"):
        v = xp.conj(v)
    pad = xp.zeros((n - 1,), dtype=a.dtype)
    ap = xp.concat([pad, a, pad])
    length = m + n - 1
    idx = (np.arange(length)[:, None] + np.arange(n)[None, :]).reshape(-1)
    frames = xp.reshape(xp.take(ap, to_array(xp, fw, idx, index_dtype(fw)), axis=0), (length, n))
    full = xp.sum(frames * v, axis=-1)
    if mode == "full":
        return full
    if mode == "valid":
        start, size = builtins.min(m, n) - 1, builtins.max(m, n) - builtins.min(m, n) + 1
    else:
        size = builtins.max(m, n)
        start = (length - size) // 2 if m >= n else (length - size + 1) // 2
    return full[start:start + size]


