"""Keras 3 ``keras.ops.linalg``, on the Array API ``linalg`` extension."""

from __future__ import annotations

from .autodiff import jvp  # noqa: F401  (keras.ops.linalg.jvp is ops.jvp)
from ._common import cast_to, dtype_name, op_error, ops_shim, resolve, to_array, to_float

__all__ = [
    "cholesky", "cholesky_inverse", "det", "eig", "eigh", "inv", "lstsq", "matrix_rank",
    "norm", "pinv", "qr", "slogdet", "solve", "solve_triangular", "svd", "lu_factor", "jvp",
]


def _mat(op, x, min_ndim=2, square=True):
    xp, fw = resolve(op, x)
    x = to_float(xp, fw, to_array(xp, fw, x))
    if x.ndim < min_ndim:
        raise op_error(op, f"expected an array of rank >= {min_ndim}; received shape {tuple(x.shape)}")
    if square and x.shape[-1] != x.shape[-2]:
        raise op_error(op, f"expected square matrices (..., n, n); received shape {tuple(x.shape)}")
    return xp, fw, x


def cholesky(x, upper=False):
    """Cholesky factor: lower ``L`` with ``L @ L^H = x`` (upper ``U`` when ``upper``)."""
    xp, fw, x = _mat("cholesky", x)
    return xp.linalg.cholesky(x, upper=upper)


def cholesky_inverse(x, upper=False):
    """Inverse of ``A`` from its Cholesky factor ``x``."""
    xp, fw, x = _mat("cholesky_inverse", x)
    a = xp.matmul(xp.matrix_transpose(x), x) if upper else xp.matmul(x, xp.matrix_transpose(x))
    return xp.linalg.inv(a)


def det(x):
    """Determinant of (batched) square matrices."""
    xp, fw, x = _mat("det", x)
    return xp.linalg.det(x)


def slogdet(x):
    """``(sign, log|det|)`` of (batched) square matrices."""
    xp, fw, x = _mat("slogdet", x)
    return tuple(xp.linalg.slogdet(x))


def eig(x):
    """Eigenvalues and eigenvectors of general square matrices (needs the framework's
    own ``linalg.eig``; not in the Array API standard)."""
    xp, fw, x = _mat("eig", x)
    fn = getattr(xp.linalg, "eig", None)
    if fn is None:
        raise op_error("eig", f"the {fw} namespace has no linalg.eig", NotImplementedError)
    return tuple(fn(x))


def eigh(x):
    """Eigenvalues (ascending) and eigenvectors of symmetric/Hermitian matrices."""
    xp, fw, x = _mat("eigh", x)
    return tuple(xp.linalg.eigh(x))


def inv(x):
    """Inverse of (batched) square matrices."""
    xp, fw, x = _mat("inv", x)
    return xp.linalg.inv(x)


def pinv(x, rtol=1e-15):
    """Moore-Penrose pseudo-inverse."""
    xp, fw, x = _mat("pinv", x, square=False)
    return xp.linalg.pinv(x, rtol=rtol)


def matrix_rank(x, rtol=None):
    """Rank by SVD (int32... as the namespace returns it)."""
    xp, fw, x = _mat("matrix_rank", x, square=False)
    return xp.linalg.matrix_rank(x, rtol=rtol)


def lstsq(a, b, rcond=None):
    """Least-squares solution of ``a @ x = b``."""
    xp, fw = resolve("lstsq", a, b)
    a = to_float(xp, fw, to_array(xp, fw, a))
    b = cast_to(xp, fw, to_array(xp, fw, b), dtype_name(a))
    if a.ndim != 2:
        raise op_error("lstsq", f"expected a 2-D matrix a; received shape {tuple(a.shape)}")
    if b.shape[0] != a.shape[0]:
        raise op_error("lstsq", f"expected b with {a.shape[0]} rows; received shape {tuple(b.shape)}")
    vec = b.ndim == 1
    b2 = b[:, None] if vec else b
    out = xp.matmul(xp.linalg.pinv(a, rtol=rcond if rcond is not None else max(a.shape) * float(xp.finfo(a.dtype).eps)), b2)
    return out[:, 0] if vec else out


def norm(x, ord=None, axis=None, keepdims=False):
    """Vector or matrix norm, NumPy semantics (ints give floatx)."""
    xp, fw = resolve("norm", x)
    x = to_float(xp, fw, to_array(xp, fw, x))
    if axis is None:
        if ord is None:
            return xp.linalg.vector_norm(x, axis=None, keepdims=keepdims, ord=2)
        axis = tuple(range(x.ndim)) if x.ndim in (1, 2) else None
        if axis is None:
            raise op_error("norm", f"expected axis for ord={ord!r} on an array of rank {x.ndim}")
    if isinstance(axis, int):
        axis = (axis,)
    axis = tuple(int(a) for a in axis)
    if len(axis) == 1:
        if isinstance(ord, str):
            raise op_error("norm", f"expected a numeric ord for a vector norm; received {ord!r}")
        return xp.linalg.vector_norm(x, axis=axis[0], keepdims=keepdims, ord=2 if ord is None else ord)
    if len(axis) != 2:
        raise op_error("norm", f"expected 1 or 2 axes; received {axis}")
    a0, a1 = (a % x.ndim for a in axis)
    rest = [i for i in range(x.ndim) if i not in (a0, a1)]
    xm = xp.permute_dims(x, tuple(rest) + (a0, a1))
    o = "fro" if ord is None else ord
    if o in ("fro", "nuc") or o in (2, -2):
        out = xp.linalg.matrix_norm(xm, ord=o)
    elif o in (1, -1, float("inf"), float("-inf")):
        red_axis = -2 if o in (1, -1) else -1
        sums = xp.sum(xp.abs(xm), axis=red_axis)
        out = xp.max(sums, axis=-1) if o > 0 else xp.min(sums, axis=-1)
    else:
        raise op_error("norm", f"expected ord in (None, 'fro', 'nuc', 1, -1, 2, -2, inf, -inf) for a "
                       f"matrix norm; received {ord!r}")
    if keepdims:
        for a in sorted((a0, a1)):
            out = xp.expand_dims(out, axis=a)
    return out


def qr(x, mode="reduced"):
    """QR decomposition ``(q, r)``; mode "reduced" or "complete"."""
    if mode not in ("reduced", "complete"):
        raise op_error("qr", f"expected mode 'reduced' or 'complete'; received {mode!r}")
    xp, fw, x = _mat("qr", x, square=False)
    return tuple(xp.linalg.qr(x, mode=mode))


def solve(a, b):
    """Solution of ``a @ x = b``."""
    xp, fw = resolve("solve", a, b)
    a = to_float(xp, fw, to_array(xp, fw, a))
    b = cast_to(xp, fw, to_array(xp, fw, b), dtype_name(a))
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise op_error("solve", f"expected square matrices a; received shape {tuple(a.shape)}")
    if b.ndim == 1:
        return xp.linalg.solve(a, b[:, None])[..., 0]
    return xp.linalg.solve(a, b)


def solve_triangular(a, b, lower=False):
    """Solution of ``a @ x = b`` for triangular ``a`` (only its ``lower``/upper triangle
    is read)."""
    xp, fw = resolve("solve_triangular", a, b)
    a = to_float(xp, fw, to_array(xp, fw, a))
    n, m = a.shape[-2], a.shape[-1]
    rows = xp.arange(n)[:, None]
    cols = xp.arange(m)[None, :]
    mask = (cols <= rows) if lower else (cols >= rows)
    a = xp.where(mask, a, xp.zeros((), dtype=a.dtype))
    return solve(a, b)


def svd(x, full_matrices=True, compute_uv=True):
    """Singular value decomposition ``(u, s, vh)`` (just ``s`` without ``compute_uv``)."""
    xp, fw, x = _mat("svd", x, square=False)
    if not compute_uv:
        return xp.linalg.svdvals(x)
    return tuple(xp.linalg.svd(x, full_matrices=full_matrices))


def lu_factor(x):
    """LU decomposition with partial pivoting of (batched) square matrices, LAPACK's
    ``getrf`` layout as ``scipy.linalg.lu_factor`` (and Keras) return it: ``(lu, pivots)``,
    ``lu`` holding U on and above the diagonal and L's multipliers below it (unit diagonal
    implied), ``pivots`` (int32, 0-based) saying row ``i`` was swapped with row
    ``pivots[i]``."""
    xp, fw, x = _mat("lu_factor", x)
    mod = ops_shim(fw)
    if mod is not None and hasattr(mod, "lu_factor"):
        lu, piv = mod.lu_factor(x)
        return lu, cast_to(xp, fw, piv, "int32")
    return _lu_generic(xp, fw, x)


def _lu_generic(xp, fw, a):
    """Right-looking unblocked elimination (LAPACK's getf2), one column per step, with
    masks instead of in-place writes so every namespace (TF's included) runs it."""
    n = a.shape[-1]
    rows = xp.arange(n)
    below_cols = rows[None, :]
    pivots = []
    for k in range(n):
        col = xp.where(rows >= k, xp.abs(a[..., :, k]), -1.0)
        p = xp.argmax(col, axis=-1)                          # first largest, as idamax
        pivots.append(p)
        pe = xp.astype(p, rows.dtype)[..., None]
        src = xp.where(rows == k, pe, xp.where(rows == pe, k, rows))
        a = xp.take_along_axis(a, xp.broadcast_to(src[..., :, None], a.shape), axis=-2)
        pivot = a[..., k, k]
        below = rows > k
        safe = xp.where(pivot == 0, xp.ones_like(pivot), pivot)
        lcol = xp.where(below, a[..., :, k] / safe[..., None], xp.zeros_like(a[..., :, k]))
        trailing = below[:, None] & (below_cols > k)
        a = xp.where(trailing, a - lcol[..., :, None] * a[..., k, :][..., None, :], a)
        a = xp.where(below[:, None] & (below_cols == k), lcol[..., :, None], a)
    piv = xp.stack(pivots, axis=-1) if pivots else xp.zeros(a.shape[:-1], dtype=rows.dtype)
    return a, cast_to(xp, fw, piv, "int32")
