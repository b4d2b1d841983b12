"""Linear algebra: the main-namespace functions (matmul, tensordot, vecdot,
matrix_transpose) and the ``linalg`` extension."""

from __future__ import annotations

import builtins
from collections import namedtuple

import tensorflow as tf

from . import _base as B
from ._manipulation import broadcast_shapes_of

__all__ = [
    "cholesky",
    "cross",
    "det",
    "diagonal",
    "eig",
    "eigh",
    "eigvals",
    "eigvalsh",
    "inv",
    "matmul",
    "matrix_norm",
    "matrix_power",
    "matrix_rank",
    "matrix_transpose",
    "outer",
    "pinv",
    "qr",
    "slogdet",
    "solve",
    "svd",
    "svdvals",
    "tensordot",
    "trace",
    "vecdot",
    "vector_norm",
]

_MATMUL_OK = (tf.int32, tf.int64, tf.float32, tf.float64, tf.complex64, tf.complex128)


def _carrier(dt):
    if dt == tf.bool:
        return tf.int32
    return B.int_carrier(dt)


def matmul(x1, x2, /):
    (a, b), dt = B.promote(x1, x2)
    na, nb = B.ndim(a), B.ndim(b)
    if na == 0 or nb == 0:
        raise ValueError("matmul does not accept 0-d arrays")
    if na == 1:
        a = tf.expand_dims(a, 0)
    if nb == 1:
        b = tf.expand_dims(b, -1)
    ka, kb = a.shape[-1], b.shape[-2]
    if ka is not None and kb is not None and ka != kb:
        raise ValueError(f"matmul: inner dimensions differ ({ka} vs {kb})")
    if dt not in _MATMUL_OK:
        c = _carrier(dt)
        out = tf.linalg.matmul(tf.cast(a, c), tf.cast(b, c))
        out = tf.not_equal(out, 0) if dt == tf.bool else tf.cast(out, dt)
    else:
        out = tf.linalg.matmul(a, b)
    if na == 1:
        out = tf.squeeze(out, -2)
    if nb == 1:
        out = tf.squeeze(out, -1)
    return out


def matrix_transpose(x, /):
    x = B.tensor(x)
    if B.ndim(x) < 2:
        raise ValueError("matrix_transpose needs at least 2 dimensions")
    return tf.linalg.matrix_transpose(x)


def tensordot(x1, x2, /, *, axes=2):
    (a, b), dt = B.promote(x1, x2)
    if isinstance(axes, int):
        if axes < 0:
            raise ValueError("axes must be non-negative")
        ax_a = list(range(B.ndim(a) - axes, B.ndim(a)))
        ax_b = list(range(axes))
    else:
        ax_a, ax_b = list(axes[0]), list(axes[1])
        if len(ax_a) != len(ax_b):
            raise ValueError("axes sequences must have equal length")
        ax_a = [B.normalize_axis(i, B.ndim(a)) for i in ax_a]
        ax_b = [B.normalize_axis(i, B.ndim(b)) for i in ax_b]
    for i, j in zip(ax_a, ax_b):
        da, db = a.shape[i], b.shape[j]
        if da is not None and db is not None and da != db:
            raise ValueError("tensordot: contracted dimensions differ")
    if dt not in _MATMUL_OK:
        c = _carrier(dt)
        out = tf.tensordot(tf.cast(a, c), tf.cast(b, c), [ax_a, ax_b])
        return tf.not_equal(out, 0) if dt == tf.bool else tf.cast(out, dt)
    return tf.tensordot(a, b, [ax_a, ax_b])


def vecdot(x1, x2, /, *, axis=-1):
    (a, b), dt = B.promote(x1, x2)
    shape = broadcast_shapes_of([a, b])
    n = len(shape) if isinstance(shape, list) else builtins.max(B.ndim(a), B.ndim(b))
    if axis >= 0 or axis < -n:
        if axis >= 0:
            axis = axis - n
        if axis < -n or axis >= 0:
            raise ValueError("axis out of range")
    if B.ndim(a) >= -axis and B.ndim(b) >= -axis:
        da, db = a.shape[axis], b.shape[axis]
        if da is not None and db is not None and da != db:
            raise ValueError("vecdot: dimensions along axis differ")
    if B.is_complex(dt):
        a = tf.math.conj(a)
    if dt == tf.bool:
        a, b = tf.cast(a, tf.int32), tf.cast(b, tf.int32)
    out = tf.reduce_sum(a * b, axis=axis)
    return tf.not_equal(out, 0) if dt == tf.bool else out


def outer(x1, x2, /):
    (a, b), _ = B.promote(x1, x2)
    if B.ndim(a) != 1 or B.ndim(b) != 1:
        raise ValueError("outer needs 1-d arrays")
    if a.dtype == tf.bool:
        return tf.logical_and(a[:, None], b[None, :])
    return a[:, None] * b[None, :]


def cholesky(x, /, *, upper=False):
    x = B.tensor(x)
    L = tf.linalg.cholesky(x)
    if upper:
        return tf.linalg.adjoint(L)
    return L


def cross(x1, x2, /, *, axis=-1):
    (a, b), _ = B.promote(x1, x2)
    if B.ndim(a) != B.ndim(b):  # the standard broadcasts the non-vector dims
        shape = broadcast_shapes_of([a, b])
        a, b = tf.broadcast_to(a, shape), tf.broadcast_to(b, shape)
    n = B.ndim(a)
    axis = B.normalize_axis(axis, n, ValueError)
    if a.shape[axis] != 3 or b.shape[axis] != 3:
        raise ValueError("cross needs size-3 vectors along axis")
    a1, a2, a3 = tf.unstack(a, axis=axis)
    b1, b2, b3 = tf.unstack(b, axis=axis)
    c = [a2 * b3 - a3 * b2, a3 * b1 - a1 * b3, a1 * b2 - a2 * b1]
    shape = broadcast_shapes_of([a1, b1])
    c = [tf.broadcast_to(t, shape) for t in c]
    return tf.stack(c, axis=axis)


def det(x, /):
    return tf.linalg.det(B.tensor(x))


def _diag_part(x, offset):
    m, n = x.shape[-2], x.shape[-1]
    if (n is not None and offset >= n) or (m is not None and -offset >= m):
        # TF refuses offsets outside the matrix; the standard gives an empty diagonal
        return tf.zeros(B.shape_list(x)[:-2] + [0], x.dtype)
    return tf.linalg.diag_part(x, k=offset)


def diagonal(x, /, *, offset=0):
    return _diag_part(B.tensor(x), offset)


EigResult = namedtuple("EigResult", ["eigenvalues", "eigenvectors"])
EighResult = namedtuple("EighResult", ["eigenvalues", "eigenvectors"])
QRResult = namedtuple("QRResult", ["Q", "R"])
SlogdetResult = namedtuple("SlogdetResult", ["sign", "logabsdet"])
SVDResult = namedtuple("SVDResult", ["U", "S", "Vh"])


def _general_matrix(x):
    x = B.tensor(x)
    return x if B.is_inexact(x.dtype) else tf.cast(x, B.DEFAULT_FLOAT)


def eig(x, /):
    """Eigenvalues and eigenvectors of general square matrices: complex, of ``x``'s
    precision (complex64 for float32, complex128 for float64)."""
    w, v = tf.linalg.eig(_general_matrix(x))
    return EigResult(w, v)


def eigvals(x, /):
    return tf.linalg.eigvals(_general_matrix(x))


def eigh(x, /):
    w, v = tf.linalg.eigh(B.tensor(x))
    return EighResult(w, v)


def eigvalsh(x, /):
    return tf.linalg.eigvalsh(B.tensor(x))


def inv(x, /):
    return tf.linalg.inv(B.tensor(x))


def svdvals(x, /):
    return tf.linalg.svd(B.tensor(x), compute_uv=False)


def svd(x, /, *, full_matrices=True):
    s, u, v = tf.linalg.svd(B.tensor(x), full_matrices=full_matrices, compute_uv=True)
    return SVDResult(u, s, tf.linalg.adjoint(v))


def qr(x, /, *, mode="reduced"):
    if mode not in ("reduced", "complete"):
        raise ValueError("mode must be 'reduced' or 'complete'")
    q, r = tf.linalg.qr(B.tensor(x), full_matrices=(mode == "complete"))
    # TF leaves NaNs below the diagonal of R for non-finite input: R must be triangular
    rows = tf.range(B.dim(r, -2))[:, None]
    cols = tf.range(B.dim(r, -1))[None, :]
    r = tf.where(cols >= rows, r, tf.zeros_like(r))
    return QRResult(q, r)


def slogdet(x, /):
    x = B.tensor(x)
    sign, logabs = tf.linalg.slogdet(x)
    if B.is_complex(x.dtype):
        logabs = tf.math.real(logabs)
    return SlogdetResult(sign, logabs)


def solve(x1, x2, /):
    (a, b), _ = B.promote(x1, x2)
    vector = B.ndim(b) == 1
    if vector:
        b = tf.expand_dims(b, -1)
    batch_a = a.shape[:-2]
    batch_b = b.shape[:-2]
    if batch_a != batch_b or not (batch_a.is_fully_defined() and batch_b.is_fully_defined()):
        ba = tf.shape(a)[:-2]
        bb = tf.shape(b)[:-2]
        bshape = tf.broadcast_dynamic_shape(ba, bb)
        a = tf.broadcast_to(a, tf.concat([bshape, tf.shape(a)[-2:]], 0))
        b = tf.broadcast_to(b, tf.concat([bshape, tf.shape(b)[-2:]], 0))
    out = tf.linalg.solve(a, b)
    if vector:
        out = tf.squeeze(out, -1)
    return out


def pinv(x, /, *, rtol=None):
    """Pseudo-inverse from the SVD (tf.linalg.pinv rejects complex inputs)."""
    x = B.tensor(x)
    rd = B.real_dtype(x.dtype)
    s, u, v = tf.linalg.svd(x, full_matrices=False, compute_uv=True)
    if rtol is None:
        eps = {tf.float32: 1.1920929e-07, tf.float64: 2.220446049250313e-16}[rd]
        rtol = tf.cast(tf.maximum(B.dim(x, -2), B.dim(x, -1)), rd) * eps
    else:
        rtol = tf.cast(B.tensor(rtol) if not B.is_pyscalar(rtol) else rtol, rd)
        if rtol.shape.rank:
            rtol = tf.expand_dims(rtol, -1)
    cutoff = tf.reduce_max(s, axis=-1, keepdims=True) * rtol
    keep = s > cutoff
    s_inv = tf.where(keep, 1 / tf.where(keep, s, tf.ones_like(s)), tf.zeros_like(s))
    return tf.linalg.matmul(v * tf.cast(s_inv[..., None, :], x.dtype), u, adjoint_b=True)


def matrix_rank(x, /, *, rtol=None):
    x = B.tensor(x)
    s = svdvals(x)
    rd = s.dtype
    if rtol is None:
        eps = {tf.float32: 1.1920929e-07, tf.float64: 2.220446049250313e-16}[rd]
        m, n = B.dim(x, -2), B.dim(x, -1)
        rtol = tf.cast(tf.maximum(m, n), rd) * eps
    else:
        rtol = tf.cast(B.tensor(rtol) if not B.is_pyscalar(rtol) else rtol, rd)
        if rtol.shape.rank:
            rtol = tf.expand_dims(rtol, -1)
    tol = tf.reduce_max(s, axis=-1, keepdims=True) * rtol
    return tf.reduce_sum(tf.cast(s > tol, B.DEFAULT_INDEX), axis=-1)


def matrix_power(x, n, /):
    x = B.tensor(x)
    n = int(n)
    if n == 0:
        eye = tf.eye(B.dim(x, -1), dtype=x.dtype)
        return tf.broadcast_to(eye, B.shape_list(x))
    if n < 0:
        x = tf.linalg.inv(x)
        n = -n
    result = None
    base = x
    while n:
        if n & 1:
            result = base if result is None else matmul(result, base)
        n >>= 1
        if n:
            base = matmul(base, base)
    return result


def trace(x, /, *, offset=0, dtype=None):
    x = B.tensor(x)
    d = _diag_part(x, offset)
    if dtype is None:
        if x.dtype in B.SIGNED:
            dtype = B.DEFAULT_INT
        elif x.dtype in B.UNSIGNED:
            dtype = tf.uint64
        else:
            dtype = x.dtype
    dtype = B.as_dtype(dtype)
    if d.dtype != dtype:
        d = tf.cast(d, dtype)
    return tf.reduce_sum(d, axis=-1)


def vector_norm(x, /, *, axis=None, keepdims=False, ord=2):
    x = B.tensor(x)
    if not B.is_inexact(x.dtype):
        x = tf.cast(x, B.DEFAULT_FLOAT)
    n = B.ndim(x)
    axes = B.normalize_axes(axis, n)
    a = tf.math.abs(x)
    if ord == float("inf"):
        out = tf.reduce_max(a, axis=axes, keepdims=keepdims)
    elif ord == float("-inf"):
        out = tf.reduce_min(a, axis=axes, keepdims=keepdims)
    elif ord == 0:
        out = tf.reduce_sum(tf.cast(tf.not_equal(a, 0), a.dtype), axis=axes, keepdims=keepdims)
    elif ord == 1:
        out = tf.reduce_sum(a, axis=axes, keepdims=keepdims)
    elif ord == 2:
        out = tf.math.sqrt(tf.reduce_sum(tf.math.square(a), axis=axes, keepdims=keepdims))
    else:
        p = tf.cast(ord, a.dtype)
        out = tf.math.pow(tf.reduce_sum(tf.math.pow(a, p), axis=axes, keepdims=keepdims), 1 / p)
    return out


def matrix_norm(x, /, *, keepdims=False, ord="fro"):
    x = B.tensor(x)
    if not B.is_inexact(x.dtype):
        x = tf.cast(x, B.DEFAULT_FLOAT)
    if ord == "fro":
        a = tf.math.abs(x)
        out = tf.math.sqrt(tf.reduce_sum(tf.math.square(a), axis=[-2, -1]))
    elif ord == "nuc":
        out = tf.reduce_sum(svdvals(x), axis=-1)
    elif ord in (2, -2):
        s = svdvals(x)
        out = tf.reduce_max(s, axis=-1) if ord == 2 else tf.reduce_min(s, axis=-1)
    elif ord in (1, -1):
        col = tf.reduce_sum(tf.math.abs(x), axis=-2)
        out = tf.reduce_max(col, axis=-1) if ord == 1 else tf.reduce_min(col, axis=-1)
    elif ord in (float("inf"), float("-inf")):
        row = tf.reduce_sum(tf.math.abs(x), axis=-1)
        out = tf.reduce_max(row, axis=-1) if ord > 0 else tf.reduce_min(row, axis=-1)
    else:
        raise ValueError(f"unsupported matrix norm order {ord!r}")
    if keepdims:
        out = tf.expand_dims(tf.expand_dims(out, -1), -1)
    return out
