"""Keras 3's shape, indexing and sorting ops (part of ``keras.ops.numpy``): reshape,
transpose, concatenate/stack/split, flip/roll/repeat/tile, take/where/nonzero,
sort/argsort/argpartition, searchsorted, bincount, unique, diagonal/tril/triu, pad,
select and view (bit reinterpretation).
"""

from __future__ import annotations

import builtins

import numpy as np

from .. import xp as _xp
from ..xp import framework_of, to_numpy
from ..xp.dtypes import index_dtype
from ._common import (
    _axis, _babs, _bmax, _bmin, cast_to, dtype_name, dtype_obj, floatx, _nelems,
    _one, op_error, ops_shim, resolve, result_type, standardize_dtype, to_array, _xfn,
)
from .creation import _shape, array
from .elementwise import _to_bool
from .segment import segment_sum

__all__: list[str] = []


def _export(fn):
    __all__.append(fn.__name__)
    return fn


# --------------------------------------------------------------------------------------
# shapes and indexing

@_export
def ndim(x):
    """The number of dimensions of ``x``."""
    if hasattr(x, "ndim"):
        return x.ndim
    return np.ndim(x)


@_export
def size(x):
    """The number of elements of ``x``."""
    if hasattr(x, "shape"):
        return int(np.prod([int(s) for s in x.shape], dtype=np.int64))
    return int(np.size(x))


@_export
def reshape(x, newshape):
    """``x`` with shape ``newshape`` (one -1 allowed)."""
    xp, fw, x = _one("reshape", x)
    shp = _shape(newshape)
    try:
        return xp.reshape(x, shp)
    except Exception as e:  # framework errors differ; give Keras-style context
        raise op_error("reshape", f"cannot reshape an array of shape {tuple(x.shape)} "
                       f"({size(x)} elements) into {shp} ({e})") from None


@_export
def ravel(x):
    """``x`` flattened to 1-D."""
    xp, fw, x = _one("ravel", x)
    return xp.reshape(x, (-1,))


@_export
def transpose(x, axes=None):
    """``x`` with axes permuted (reversed when None)."""
    xp, fw, x = _one("transpose", x)
    if axes is None:
        axes = tuple(range(x.ndim))[::-1]
    axes = tuple(int(a) % x.ndim for a in axes) if x.ndim else tuple(axes)
    if sorted(axes) != list(range(x.ndim)):
        raise op_error("transpose", f"expected a permutation of range({x.ndim}); received axes {axes}")
    return xp.permute_dims(x, axes)


@_export
def swapaxes(x, axis1, axis2):
    """``x`` with ``axis1`` and ``axis2`` exchanged."""
    xp, fw, x = _one("swapaxes", x)
    perm = list(range(x.ndim))
    a, b = int(axis1) % x.ndim, int(axis2) % x.ndim
    perm[a], perm[b] = perm[b], perm[a]
    return xp.permute_dims(x, tuple(perm))


@_export
def moveaxis(x, source, destination):
    """``x`` with axes moved from ``source`` to ``destination``."""
    xp, fw, x = _one("moveaxis", x)
    return xp.moveaxis(x, source if isinstance(source, int) else tuple(source),
                       destination if isinstance(destination, int) else tuple(destination))


@_export
def expand_dims(x, axis):
    """``x`` with new size-1 axes at ``axis`` (an int or tuple)."""
    xp, fw, x = _one("expand_dims", x)
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    out_ndim = x.ndim + len(axes)
    axes = sorted(a % out_ndim for a in axes)
    for a in axes:
        x = xp.expand_dims(x, axis=a)
    return x


@_export
def squeeze(x, axis=None):
    """``x`` without size-1 axes (those in ``axis`` when given)."""
    xp, fw, x = _one("squeeze", x)
    if axis is None:
        axes = tuple(i for i, s in enumerate(x.shape) if s == 1)
    else:
        axes = (axis,) if isinstance(axis, int) else tuple(axis)
        axes = tuple(a % x.ndim for a in axes)
        bad = [a for a in axes if x.shape[a] != 1]
        if bad:
            raise op_error("squeeze", f"expected axis {bad[0]} to have size 1; received shape "
                           f"{tuple(x.shape)}")
    if not axes:
        return x
    return xp.squeeze(x, axis=axes)


@_export
def broadcast_to(x, shape):
    """``x`` broadcast to ``shape``."""
    xp, fw, x = _one("broadcast_to", x)
    try:
        return xp.broadcast_to(x, _shape(shape))
    except Exception:
        raise op_error("broadcast_to", f"cannot broadcast shape {tuple(x.shape)} to "
                       f"{_shape(shape)}") from None


def _seq(op, xs):
    if framework_of(xs) is not None:
        xp, fw = resolve(op, xs)
        return xp, fw, [xs[i] for i in range(xs.shape[0])]
    xp, fw = resolve(op, *xs)
    arrs = [to_array(xp, fw, v) if framework_of(v) is not None or isinstance(v, (list, tuple))
            else v for v in xs]
    d = result_type(*arrs) if arrs else floatx()
    return xp, fw, [to_array(xp, fw, a, d) for a in arrs]


@_export
def concatenate(xs, axis=0):
    """Join arrays along an existing ``axis`` (None: flatten first)."""
    xp, fw, arrs = _seq("concatenate", xs)
    if axis is None:
        arrs, axis = [xp.reshape(a, (-1,)) for a in arrs], 0
    ndims = {a.ndim for a in arrs}
    if len(ndims) > 1:
        raise op_error("concatenate", f"expected arrays of the same rank; received shapes "
                       f"{[tuple(a.shape) for a in arrs]}")
    try:
        return xp.concat(arrs, axis=int(axis))
    except Exception:
        raise op_error("concatenate", f"expected shapes equal except on axis {axis}; received "
                       f"{[tuple(a.shape) for a in arrs]}") from None


@_export
def append(x1, x2, axis=None):
    """``x2`` appended to ``x1`` along ``axis`` (flattened when None)."""
    return concatenate([x1, x2], axis=axis)


@_export
def stack(x, axis=0):
    """Join arrays along a new ``axis``."""
    xp, fw, arrs = _seq("stack", x)
    shapes = {tuple(a.shape) for a in arrs}
    if len(shapes) > 1:
        raise op_error("stack", f"expected arrays of one shape; received {[tuple(a.shape) for a in arrs]}")
    return xp.stack(arrs, axis=int(axis))


def _atleast(xp, a, n):
    if a.ndim >= n:
        return a
    if n == 1:
        return xp.reshape(a, (1,))
    if n == 2:
        return xp.reshape(a, (1, -1)) if a.ndim <= 1 else a
    if a.ndim == 0:
        return xp.reshape(a, (1, 1, 1))
    if a.ndim == 1:
        return xp.reshape(a, (1, -1, 1))
    return xp.expand_dims(a, axis=-1)


@_export
def hstack(xs):
    """Stack horizontally (axis 1, or 0 for 1-D arrays)."""
    xp, fw, arrs = _seq("hstack", xs)
    arrs = [_atleast(xp, a, 1) for a in arrs]
    return xp.concat(arrs, axis=0 if arrs[0].ndim == 1 else 1)


@_export
def vstack(xs):
    """Stack vertically (axis 0 of at-least-2-D arrays)."""
    xp, fw, arrs = _seq("vstack", xs)
    return xp.concat([_atleast(xp, a, 2) for a in arrs], axis=0)


@_export
def dstack(xs):
    """Stack along the third axis."""
    xp, fw, arrs = _seq("dstack", xs)
    return xp.concat([_atleast(xp, a, 3) for a in arrs], axis=2)


@_export
def column_stack(xs):
    """Stack 1-D arrays as columns."""
    xp, fw, arrs = _seq("column_stack", xs)
    arrs = [xp.reshape(a, (-1, 1)) if a.ndim < 2 else a for a in arrs]
    return xp.concat(arrs, axis=1)


def _split_points(n, indices_or_sections, op, even=True):
    if isinstance(indices_or_sections, (int, np.integer)):
        k = int(indices_or_sections)
        if k <= 0:
            raise op_error(op, f"expected a positive number of sections; received {k}")
        if even and n % k:
            raise op_error(op, f"expected a number of sections that divides the axis size {n}; "
                           f"received {k}")
        q, r = divmod(n, k)
        sizes = [q + 1] * r + [q] * (k - r)
        pts, acc = [], 0
        for s in sizes[:-1]:
            acc += s
            pts.append(acc)
        return pts
    return [int(i) for i in indices_or_sections]


def _split(op, x, indices_or_sections, axis, even):
    xp, fw, x = _one(op, x)
    axis = int(axis) % x.ndim
    n = x.shape[axis]
    pts = [0] + _split_points(n, indices_or_sections, op, even) + [n]
    out = []
    for a, b in zip(pts[:-1], pts[1:]):
        key = (builtins.slice(None),) * axis + (builtins.slice(_bmin(a, n), _bmax(_bmin(b, n), _bmin(a, n))),)
        out.append(x[key])
    return out


@_export
def split(x, indices_or_sections, axis=0):
    """Split ``x`` into equal sections or at indices along ``axis``."""
    return _split("split", x, indices_or_sections, axis, True)


@_export
def array_split(x, indices_or_sections, axis=0):
    """``split`` allowing unequal sections."""
    return _split("array_split", x, indices_or_sections, axis, False)


@_export
def hsplit(x, indices_or_sections):
    """``split`` along axis 1 (0 for 1-D)."""
    return _split("hsplit", x, indices_or_sections, 0 if ndim(x) == 1 else 1, True)


@_export
def vsplit(x, indices_or_sections):
    """``split`` along axis 0."""
    return _split("vsplit", x, indices_or_sections, 0, True)


@_export
def dsplit(x, indices_or_sections):
    """``split`` along axis 2."""
    return _split("dsplit", x, indices_or_sections, 2, True)


@_export
def flip(x, axis=None):
    """``x`` reversed along ``axis`` (all axes when None)."""
    xp, fw, x = _one("flip", x)
    return xp.flip(x, axis=_axis(axis))


@_export
def fliplr(x):
    """``x`` reversed along axis 1."""
    return flip(x, axis=1)


@_export
def flipud(x):
    """``x`` reversed along axis 0."""
    return flip(x, axis=0)


@_export
def rot90(array, k=1, axes=(0, 1)):
    """Rotate by 90 degrees ``k`` times in the plane of ``axes``."""
    xp, fw, x = _one("rot90", array)
    a0, a1 = (int(a) % x.ndim for a in axes)
    if a0 == a1:
        raise op_error("rot90", f"expected two different axes; received {axes}")
    k = int(k) % 4
    if k == 0:
        return x
    if k == 2:
        return xp.flip(xp.flip(x, axis=a0), axis=a1)
    perm = list(range(x.ndim))
    perm[a0], perm[a1] = perm[a1], perm[a0]
    if k == 1:
        return xp.permute_dims(xp.flip(x, axis=a1), tuple(perm))
    return xp.flip(xp.permute_dims(x, tuple(perm)), axis=a1)


@_export
def roll(x, shift, axis=None):
    """Roll elements along ``axis`` (flattened when None)."""
    xp, fw, x = _one("roll", x)
    if isinstance(shift, (list, tuple)):
        shift = tuple(int(s) for s in shift)
    else:
        shift = int(shift)
    return xp.roll(x, shift, axis=_axis(axis))


@_export
def repeat(x, repeats, axis=None):
    """Repeat elements of ``x`` (flattened when ``axis`` is None)."""
    xp, fw, x = _one("repeat", x)
    if axis is None:
        x, axis = xp.reshape(x, (-1,)), 0
    if framework_of(repeats) is not None or isinstance(repeats, (list, tuple)):
        repeats = to_array(xp, fw, repeats, index_dtype(fw))
    else:
        repeats = int(repeats)
    return xp.repeat(x, repeats, axis=int(axis))


@_export
def tile(x, repeats):
    """``x`` repeated ``repeats`` times along each axis."""
    xp, fw, x = _one("tile", x)
    reps = (int(repeats),) if isinstance(repeats, (int, np.integer)) else tuple(int(r) for r in repeats)
    if len(reps) > x.ndim:
        x = xp.reshape(x, (1,) * (len(reps) - x.ndim) + tuple(x.shape))
    return xp.tile(x, reps)


@_export
def take(x, indices, axis=None):
    """Elements of ``x`` at ``indices`` along ``axis`` (flattened when None); negative
    indices count from the end."""
    xp, fw = resolve("take", x, indices)
    x = to_array(xp, fw, x)
    idx = to_array(xp, fw, indices)
    if not dtype_name(idx).startswith(("int", "uint")):
        raise op_error("take", f"expected integer indices; received dtype {dtype_name(idx)}", TypeError)
    if axis is None:
        x, axis = xp.reshape(x, (-1,)), 0
    axis = int(axis) % x.ndim
    n = x.shape[axis]
    idx = cast_to(xp, fw, idx, index_dtype(fw))
    idx = xp.where(idx < 0, idx + n, idx)
    flat = xp.reshape(idx, (-1,))
    out = xp.take(x, flat, axis=axis)
    return xp.reshape(out, tuple(x.shape[:axis]) + tuple(idx.shape) + tuple(x.shape[axis + 1:]))


@_export
def take_along_axis(x, indices, axis=None):
    """Elements of ``x`` picked by ``indices`` along ``axis`` (other axes broadcast)."""
    xp, fw = resolve("take_along_axis", x, indices)
    x = to_array(xp, fw, x)
    idx = cast_to(xp, fw, to_array(xp, fw, indices), index_dtype(fw))
    if axis is None:
        x, axis = xp.reshape(x, (-1,)), 0
        idx = xp.reshape(idx, (-1,))
    axis = int(axis) % x.ndim
    if idx.ndim != x.ndim:
        raise op_error("take_along_axis", f"expected indices of rank {x.ndim}; received shape "
                       f"{tuple(idx.shape)}")
    n = x.shape[axis]
    idx = xp.where(idx < 0, idx + n, idx)
    xs, is_ = list(x.shape), list(idx.shape)
    xs[axis] = is_[axis] = 1
    b = list(np.broadcast_shapes(tuple(xs), tuple(is_)))
    bx, bi = list(b), list(b)
    bx[axis], bi[axis] = x.shape[axis], idx.shape[axis]
    x = xp.broadcast_to(x, tuple(bx))
    idx = xp.broadcast_to(idx, tuple(bi))
    fn = _xfn(xp, fw, "take_along_axis")
    if fn is not None:
        return fn(x, idx, axis=axis)
    return _take_along_generic(xp, fw, x, idx, axis)


def _take_along_generic(xp, fw, x, idx, axis):
    """take_along_axis from a flat ``take`` (namespaces before the 2024.12 standard)."""
    it = dtype_obj(xp, fw, index_dtype(fw))
    shape = tuple(idx.shape)
    lin = None
    stride = 1
    for d in range(x.ndim - 1, -1, -1):
        if d == axis:
            coord = idx
        else:
            coord = xp.reshape(xp.arange(shape[d], dtype=it), tuple(shape[d] if k == d else 1 for k in range(x.ndim)))
        term = coord * stride
        lin = term if lin is None else lin + term
        stride *= int(x.shape[d])
    out = xp.take(xp.reshape(x, (-1,)), xp.reshape(lin, (-1,)), axis=0)
    return xp.reshape(out, shape)


@_export
def where(condition, x1=None, x2=None):
    """``x1`` where ``condition`` else ``x2``; with one argument, ``nonzero(condition)``."""
    if x1 is None and x2 is None:
        return nonzero(condition)
    if x1 is None or x2 is None:
        raise op_error("where", "expected both x1 and x2, or neither; received one of them")
    xp, fw = resolve("where", condition, x1, x2)
    c = to_array(xp, fw, condition)
    c = _to_bool(xp, fw, c)
    if framework_of(x1) is None and not isinstance(x1, (bool, int, float)):
        x1 = to_array(xp, fw, x1)
    if framework_of(x2) is None and not isinstance(x2, (bool, int, float)):
        x2 = to_array(xp, fw, x2)
    d = result_type(x1, x2)
    return xp.where(c, to_array(xp, fw, x1, d), to_array(xp, fw, x2, d))


@_export
def nonzero(x):
    """Tuple of int32 index arrays of the non-zero elements (data-dependent shape)."""
    xp, fw, x = _one("nonzero", x)
    if x.ndim == 0:
        raise op_error("nonzero", "expected an array of rank >= 1; received a 0-d array")
    return tuple(cast_to(xp, fw, i, "int32") for i in xp.nonzero(_to_bool(xp, fw, x)))


@_export
def argwhere(x):
    """Indices of non-zero elements, one row each (int32)."""
    xp, fw, x = _one("argwhere", x)
    return xp.stack(nonzero(x), axis=-1)


@_export
def sort(x, axis=-1):
    """``x`` sorted along ``axis`` (flattened when None)."""
    xp, fw, x = _one("sort", x)
    if axis is None:
        x, axis = xp.reshape(x, (-1,)), -1
    if dtype_name(x) == "bool":
        return cast_to(xp, fw, xp.sort(cast_to(xp, fw, x, "int8"), axis=int(axis)), "bool")
    return xp.sort(x, axis=int(axis))


@_export
def argsort(x, axis=-1):
    """Indices that sort ``x`` along ``axis`` (stable; int32)."""
    xp, fw, x = _one("argsort", x)
    if axis is None:
        x, axis = xp.reshape(x, (-1,)), -1
    if dtype_name(x) == "bool":
        x = cast_to(xp, fw, x, "int8")
    return cast_to(xp, fw, xp.argsort(x, axis=int(axis), stable=True), "int32")


@_export
def searchsorted(sorted_sequence, values, side="left"):
    """Insertion indices of ``values`` into the 1-D ``sorted_sequence`` (int32)."""
    if side not in ("left", "right"):
        raise op_error("searchsorted", f"expected side 'left' or 'right'; received {side!r}")
    xp, fw = resolve("searchsorted", sorted_sequence, values)
    s = to_array(xp, fw, sorted_sequence)
    if s.ndim != 1:
        raise op_error("searchsorted", f"expected a 1-D sorted_sequence; received shape {tuple(s.shape)}")
    v = to_array(xp, fw, values)
    d = result_type(s, v)
    s, v = cast_to(xp, fw, s, d), cast_to(xp, fw, v, d)
    return cast_to(xp, fw, xp.searchsorted(s, v, side=side), "int32")


@_export
def digitize(x, bins):
    """Index of the bin each element of ``x`` falls in (increasing ``bins``; int32)."""
    return searchsorted(bins, x, side="right")


@_export
def bincount(x, weights=None, minlength=0, sparse=False):
    """Counts (or summed ``weights``) of each non-negative int in ``x``; a 2-D ``x`` counts
    per row. Output length is ``max(x) + 1`` or ``minlength`` (data-dependent)."""
    if sparse:
        raise op_error("bincount", "sparse outputs are not supported; received sparse=True")
    xp, fw = resolve("bincount", x, weights)
    x = to_array(xp, fw, x)
    if not dtype_name(x).startswith(("int", "uint")):
        raise op_error("bincount", f"expected an integer array; received dtype {dtype_name(x)}", TypeError)
    if x.ndim not in (1, 2):
        raise op_error("bincount", f"expected a 1-D or 2-D array; received shape {tuple(x.shape)}")
    n = int(xp.max(x)) + 1 if _nelems(x) else 0
    n = _bmax(n, int(minlength))
    if weights is None:
        w = xp.ones_like(x, dtype=dtype_obj(xp, fw, "int32"))
    else:
        w = to_array(xp, fw, weights)
        if dtype_name(w) == "bool":
            w = cast_to(xp, fw, w, "int32")
    if x.ndim == 1:
        return segment_sum(w, x, num_segments=n)
    rows = x.shape[0]
    ids = x + xp.arange(rows, dtype=x.dtype)[:, None] * n
    out = segment_sum(xp.reshape(w, (-1,)), xp.reshape(ids, (-1,)), num_segments=rows * n)
    return xp.reshape(out, (rows, n))


@_export
def isin(x1, x2, assume_unique=False, invert=False):
    """True where elements of ``x1`` occur in ``x2``."""
    xp, fw = resolve("isin", x1, x2)
    a = to_array(xp, fw, x1)
    b = xp.reshape(to_array(xp, fw, x2), (-1,))
    d = result_type(a, b)
    a, b = cast_to(xp, fw, a, d), cast_to(xp, fw, b, d)
    out = xp.any(a[..., None] == b, axis=-1)
    return xp.logical_not(out) if invert else out


@_export
def unravel_index(indices, shape):
    """Tuple of coordinate arrays for flat ``indices`` into ``shape``."""
    xp, fw = resolve("unravel_index", indices)
    idx = to_array(xp, fw, indices)
    out = []
    for s in reversed(_shape(shape)):
        out.append(idx % s)
        idx = idx // s
    return tuple(reversed(out))


@_export
def diagonal(x, offset=0, axis1=0, axis2=1):
    """The ``offset`` diagonal of the ``(axis1, axis2)`` planes, as a last axis."""
    xp, fw, x = _one("diagonal", x)
    if x.ndim < 2:
        raise op_error("diagonal", f"expected an array of rank >= 2; received shape {tuple(x.shape)}")
    a1, a2 = int(axis1) % x.ndim, int(axis2) % x.ndim
    rest = [i for i in range(x.ndim) if i not in (a1, a2)]
    x = xp.permute_dims(x, tuple(rest) + (a1, a2))
    return xp.linalg.diagonal(x, offset=int(offset))


@_export
def diag(x, k=0):
    """Diagonal of a 2-D array, or a 2-D array with the 1-D ``x`` on its diagonal."""
    xp, fw, x = _one("diag", x)
    k = int(k)
    if x.ndim == 2:
        return xp.linalg.diagonal(x, offset=k)
    if x.ndim != 1:
        raise op_error("diag", f"expected a 1-D or 2-D array; received shape {tuple(x.shape)}")
    n = x.shape[0] + _babs(k)
    pad_ = xp.zeros((_babs(k),), dtype=x.dtype)
    v = xp.concat([x, pad_] if k >= 0 else [pad_, x])
    mask = xp.eye(n, k=k, dtype=xp.bool)
    return xp.where(mask, v[:, None], xp.zeros((), dtype=x.dtype))


@_export
def diagflat(x, k=0):
    """A 2-D array with the flattened ``x`` on its ``k``-th diagonal."""
    return diag(ravel(x), k=k)


def _tri_mask(xp, x, k, lower):
    n, m = x.shape[-2], x.shape[-1]
    rows = xp.arange(n)[:, None]
    cols = xp.arange(m)[None, :]
    return (cols - rows <= k) if lower else (cols - rows >= k)


@_export
def tril(x, k=0):
    """``x`` with elements above the ``k``-th diagonal zeroed."""
    xp, fw, x = _one("tril", x)
    if x.ndim < 2:
        raise op_error("tril", f"expected an array of rank >= 2; received shape {tuple(x.shape)}")
    return xp.where(_tri_mask(xp, x, int(k), True), x, xp.zeros((), dtype=x.dtype))


@_export
def triu(x, k=0):
    """``x`` with elements below the ``k``-th diagonal zeroed."""
    xp, fw, x = _one("triu", x)
    if x.ndim < 2:
        raise op_error("triu", f"expected an array of rank >= 2; received shape {tuple(x.shape)}")
    return xp.where(_tri_mask(xp, x, int(k), False), x, xp.zeros((), dtype=x.dtype))


def _pad_index(n, before, after, mode):
    """Host index array mapping padded positions to source positions."""
    pos = np.arange(-before, n + after)
    if mode == "edge":
        return np.clip(pos, 0, n - 1)
    if mode == "wrap":
        return pos % n
    if mode == "reflect":
        if n == 1:
            return np.zeros_like(pos)
        period = 2 * (n - 1)
        p = np.abs(pos) % period
        return np.where(p >= n, period - p, p)
    if mode == "symmetric":
        period = 2 * n
        p = pos % period
        return np.where(p >= n, period - 1 - p, p)
    raise ValueError(mode)


@_export
def pad(x, pad_width, mode="constant", constant_values=None):
    """``x`` padded by ``pad_width`` (NumPy spellings) with ``mode`` in constant, edge,
    reflect, symmetric, wrap."""
    modes = ("constant", "edge", "reflect", "symmetric", "wrap")
    if mode not in modes:
        raise op_error("pad", f"expected mode in {modes}; received {mode!r}")
    if constant_values is not None and mode != "constant":
        raise op_error("pad", f"constant_values only applies to mode='constant'; received mode={mode!r}")
    xp, fw, x = _one("pad", x)
    pw = np.asarray(_xp.to_numpy(pad_width) if framework_of(pad_width) else pad_width, dtype=np.int64)
    pw = np.broadcast_to(pw.reshape((-1, 2)) if pw.size > 1 or pw.ndim else pw, (x.ndim, 2)) \
        if pw.ndim < 2 or pw.shape[0] != x.ndim else pw
    if pw.shape != (x.ndim, 2):
        raise op_error("pad", f"expected pad_width of shape ({x.ndim}, 2); received {pw.shape}")
    if (pw < 0).any():
        raise op_error("pad", f"expected non-negative pad widths; received {pw.tolist()}")
    d = dtype_name(x)
    for ax in range(x.ndim):
        b, a = int(pw[ax, 0]), int(pw[ax, 1])
        if b == 0 and a == 0:
            continue
        if mode == "constant":
            val = 0 if constant_values is None else constant_values
            parts = []
            shp = list(x.shape)
            if b:
                shp[ax] = b
                parts.append(xp.full(tuple(shp), val, dtype=x.dtype))
            parts.append(x)
            if a:
                shp[ax] = a
                parts.append(xp.full(tuple(shp), val, dtype=x.dtype))
            x = xp.concat(parts, axis=ax)
        else:
            idx = _pad_index(x.shape[ax], b, a, mode)
            x = xp.take(x, to_array(xp, fw, idx, index_dtype(fw)), axis=ax)
    return cast_to(xp, fw, x, d)


# ------------------------------------------------------------------ partition, histogram

@_export
def argpartition(x, kth, axis=-1):
    """Indices that partition ``x`` along ``axis`` around its ``kth`` element (int32): the
    element at ``kth`` is where it would be sorted, smaller ones before, larger after. This
    returns the stable sort order, one valid partition (NumPy's introselect order differs,
    as it does between Keras' backends)."""
    xp, fw = resolve("argpartition", x)
    x = to_array(xp, fw, x)
    if axis is None:
        x, axis = xp.reshape(x, (-1,)), 0
    if x.ndim == 0:
        raise op_error("argpartition", "expected an array of rank >= 1; received a scalar")
    axis = int(axis)
    if not -x.ndim <= axis < x.ndim:
        raise op_error("argpartition", f"axis {axis} is out of bounds for rank {x.ndim}")
    n = x.shape[axis]
    for k in (kth if isinstance(kth, (list, tuple)) else (kth,)):
        if not -n <= int(k) < n:
            raise op_error("argpartition", f"expected kth in [{-n}, {n}); received {k}")
    return argsort(x, axis=axis)


@_export
def select(condlist, choicelist, default=0):
    """Elements from ``choicelist`` where the first matching ``condlist`` entry holds."""
    if len(condlist) != len(choicelist):
        raise op_error("select", f"expected condlist and choicelist of one length; received "
                       f"{len(condlist)} and {len(choicelist)}")
    xp, fw = resolve("select", *condlist, *choicelist, default)
    choices = [to_array(xp, fw, c) for c in choicelist]
    d = result_type(*choices, default)
    out = to_array(xp, fw, default, d)
    for c, v in zip(reversed(condlist), reversed(choices)):
        out = xp.where(_to_bool(xp, fw, to_array(xp, fw, c)), cast_to(xp, fw, v, d), out)
    return out


# ----------------------------------------------------------------------------- unique

@_export
def unique(x, sorted=True, return_index=False, return_inverse=False, return_counts=False,
           axis=None, size=None, fill_value=None):
    """The sorted unique values of ``x`` (flattened, or unique slices along ``axis``), with
    optionally the first indices, the inverse indices and the counts (int32), as in Keras
    (its JAX backend). ``size`` pads (with ``fill_value``, default the smallest unique
    value; indices with 0, counts with 0) or truncates the result to a static length.
    The output shape depends on the values: they are read on the host (not traceable
    under jax.jit / tf.function without ``size``, as in Keras)."""
    xp, fw = resolve("unique", x)
    x = to_array(xp, fw, x)
    it = dtype_obj(xp, fw, index_dtype(fw))
    host = np.asarray(to_numpy(x))
    if axis is None:
        flat = host.reshape(-1)
        _, first, inv, counts = np.unique(flat, return_index=True, return_inverse=True,
                                          return_counts=True)
        values = xp.take(xp.reshape(x, (-1,)), to_array(xp, fw, first, index_dtype(fw)), axis=0)
        inv = inv.reshape(host.shape)
    else:
        ax = int(axis)
        if not -x.ndim <= ax < x.ndim:
            raise op_error("unique", f"axis {ax} is out of bounds for an array of rank {x.ndim}")
        ax %= x.ndim
        _, first, inv, counts = np.unique(host, return_index=True, return_inverse=True,
                                          return_counts=True, axis=ax)
        values = xp.take(x, to_array(xp, fw, first, index_dtype(fw)), axis=ax)
        inv = inv.reshape(-1)
    ax = 0 if axis is None else int(axis) % x.ndim
    nu = first.shape[0]
    if size is not None:
        size = int(size)
        if size < nu:
            values = xp.take(values, xp.arange(size, dtype=it), axis=ax)
            first, counts = first[:size], counts[:size]
        elif size > nu:
            pad_shape = list(values.shape)
            pad_shape[ax] = size - nu
            if fill_value is None:
                if nu == 0:
                    raise op_error("unique", "fill_value is needed to pad an empty array to size")
                fill = xp.take(values, xp.asarray([0], dtype=it), axis=ax)
                pad = xp.broadcast_to(fill, tuple(pad_shape))
            else:
                pad = xp.full(tuple(pad_shape), fill_value, dtype=values.dtype)
            values = xp.concat([values, pad], axis=ax)
            first = np.concatenate([first, np.zeros(size - nu, first.dtype)])
            counts = np.concatenate([counts, np.zeros(size - nu, counts.dtype)])
    extras = []
    if return_index:
        extras.append(to_array(xp, fw, first.astype(np.int32), "int32"))
    if return_inverse:
        extras.append(to_array(xp, fw, inv.astype(np.int32), "int32"))
    if return_counts:
        extras.append(to_array(xp, fw, counts.astype(np.int32), "int32"))
    return (values, *extras) if extras else values


# ------------------------------------------------------------------------------ view

_ITEMSIZE = {"bool": 1, "int8": 1, "uint8": 1, "int16": 2, "uint16": 2, "float16": 2,
             "bfloat16": 2, "int32": 4, "uint32": 4, "float32": 4, "int64": 8,
             "uint64": 8, "float64": 8, "complex64": 8, "complex128": 16}


@_export
def view(x, dtype=None):
    """The bits of ``x`` reinterpreted as ``dtype`` (NumPy's ``ndarray.view``): with a
    different item size the last dimension shrinks or grows by the ratio."""
    xp, fw = resolve("view", x)
    x = to_array(xp, fw, x)
    if dtype is None:
        return x
    src, dst = dtype_name(x), standardize_dtype(dtype)
    if dst not in _ITEMSIZE:
        raise op_error("view", f"expected a numeric dtype; received {dtype!r}", TypeError)
    a, b = _ITEMSIZE[src], _ITEMSIZE[dst]
    if a != b:
        last = x.shape[-1] if x.ndim else None
        if last is None or (b > a and last * a % b):
            raise op_error("view", f"viewing {src} as {dst} changes the item size, which needs "
                           f"a last dimension whose bytes divide into {dst} items; received "
                           f"shape {tuple(x.shape)}")
    return ops_shim(fw).view(x, dtype_obj(xp, fw, dst))
