"""Keras 3 core ops: conversion, dtypes, shapes, gradient stopping, functional index
updates, scatter, control flow."""

from __future__ import annotations

import builtins
import functools
import re

import numpy as np

from .. import xp as _xp
from .._nest import flatten_nested, map_nested
from ..xp import framework_of
from ..xp.dtypes import index_dtype
from ._common import (
    cast_to, dtype_name, ops_shim, op_error, resolve, standardize_dtype, to_array,
    _Variable,
)

__all__ = [
    "cast", "convert_to_tensor", "convert_to_numpy", "shape", "dtype", "is_tensor",
    "stop_gradient", "slice", "slice_update", "scatter", "scatter_update", "unstack",
    "cond", "while_loop", "fori_loop", "map", "scan", "switch", "saturate_cast",
    "vectorized_map", "get_item", "associative_scan", "vectorize",
]


def convert_to_tensor(x, dtype=None, sparse=None, ragged=None):
    """``x`` as an array of its own framework, or of the default framework for host
    data (NumPy arrays, lists, scalars). Python floats become floatx, ints int32."""
    if sparse:
        raise op_error("convert_to_tensor", "sparse tensors are not supported; received sparse=True")
    if ragged:
        raise op_error("convert_to_tensor", "ragged tensors are not supported; received ragged=True")
    xp, fw = resolve("convert_to_tensor", x)
    d = None if dtype is None else standardize_dtype(dtype)
    try:
        return to_array(xp, fw, x, d)
    except (TypeError, ValueError) as e:
        raise op_error("convert_to_tensor",
                       f"expected array-like data; received {type(x).__name__}: {e}", TypeError) from None


def convert_to_numpy(x):
    """A NumPy array with the value of ``x``."""
    if isinstance(x, _Variable):
        x = x.value
    return _xp.to_numpy(x)


def cast(x, dtype):
    """``x`` cast to ``dtype`` (same framework)."""
    xp, fw = resolve("cast", x)
    x = to_array(xp, fw, x)
    return cast_to(xp, fw, x, standardize_dtype(dtype))


def saturate_cast(x, dtype):
    """Cast with values clipped to the range of ``dtype`` first (no wrap-around)."""
    xp, fw = resolve("saturate_cast", x)
    x = to_array(xp, fw, x)
    target = standardize_dtype(dtype)
    src = dtype_name(x)
    if target in ("bool",) or src == "bool":
        return cast_to(xp, fw, x, target)
    if target.startswith("float") or target == "bfloat16":
        info_t = np.finfo(np.float32 if target == "bfloat16" else target)
    else:
        info_t = np.iinfo(target)
    lo, hi = info_t.min, info_t.max
    if src.startswith("float") or src == "bfloat16":
        info_s = np.finfo(np.float32 if src == "bfloat16" else src)
    else:
        info_s = np.iinfo(src)
    lo, hi = builtins.max(lo, info_s.min), builtins.min(hi, info_s.max)
    x = xp.clip(x, to_array(xp, fw, lo, src), to_array(xp, fw, hi, src)) if src != target else x
    return cast_to(xp, fw, x, target)


def shape(x):
    """The static shape of ``x`` as a tuple (None for unknown dimensions)."""
    if isinstance(x, _Variable):
        x = x.value
    if not hasattr(x, "shape"):
        x = np.asarray(x)
    return tuple(None if d is None else int(d) if isinstance(d, (int, np.integer)) else d
                 for d in x.shape)


def dtype(x):
    """The Keras dtype name of ``x``."""
    if isinstance(x, _Variable):
        return x.dtype
    if hasattr(x, "dtype"):
        return standardize_dtype(x.dtype)
    xp, fw = resolve("dtype", x)
    return dtype_name(to_array(xp, fw, x))


def is_tensor(x):
    """True for an array of any framework (not Python scalars, lists or Variables)."""
    return framework_of(x) is not None


def stop_gradient(variable):
    """``variable`` with gradients blocked."""
    xp, fw = resolve("stop_gradient", variable)
    x = to_array(xp, fw, variable)
    mod = ops_shim(fw)
    return x if mod is None else mod.stop_gradient(x)


def _index_update(xp, fw, x, key, value):
    mod = ops_shim(fw)
    if mod is not None:
        return mod.index_update(x, key, value)
    # generic: a mask-and-where update (array_api_strict and other libraries)
    out = xp.asarray(x, copy=True)
    out[key] = value
    return out


def slice(inputs, start_indices, shape):
    """The block of ``inputs`` starting at ``start_indices`` with the given ``shape``."""
    xp, fw = resolve("slice", inputs)
    x = to_array(xp, fw, inputs)
    starts = [int(s) for s in (_xp.to_numpy(start_indices) if framework_of(start_indices) else start_indices)]
    if len(starts) != x.ndim or len(shape) != x.ndim:
        raise op_error("slice", f"expected start_indices and shape of length {x.ndim} (the rank of "
                       f"inputs); received {len(starts)} and {len(shape)}")
    key = tuple(builtins.slice(s, s + int(n) if int(n) >= 0 else None) for s, n in zip(starts, shape))
    return x[key]


def slice_update(inputs, start_indices, updates):
    """``inputs`` with the block at ``start_indices`` replaced by ``updates``."""
    xp, fw = resolve("slice_update", inputs, updates)
    x = to_array(xp, fw, inputs)
    u = to_array(xp, fw, updates, dtype_name(x))
    starts = [int(s) for s in (_xp.to_numpy(start_indices) if framework_of(start_indices) else start_indices)]
    if len(starts) != x.ndim or u.ndim != x.ndim:
        raise op_error("slice_update", f"expected start_indices of length {x.ndim} and updates of rank "
                       f"{x.ndim}; received {len(starts)} indices and updates of shape {tuple(u.shape)}")
    key = tuple(builtins.slice(s, s + n) for s, n in zip(starts, u.shape))
    return _index_update(xp, fw, x, key, u)


def _index_tuple(xp, fw, indices):
    idx = to_array(xp, fw, indices)
    if not (dtype_name(idx).startswith("int") or dtype_name(idx).startswith("uint")):
        raise op_error("scatter", f"expected integer indices; received dtype {dtype_name(idx)}", TypeError)
    idx = cast_to(xp, fw, idx, index_dtype(fw))
    return idx, tuple(idx[..., i] for i in range(idx.shape[-1]))


def scatter(indices, values, shape):
    """A zeros array of ``shape`` with ``values`` added at ``indices`` (duplicates sum)."""
    xp, fw = resolve("scatter", indices, values)
    v = to_array(xp, fw, values)
    idx, tup = _index_tuple(xp, fw, indices)
    zeros = xp.zeros(tuple(int(s) for s in shape), dtype=v.dtype)
    mod = ops_shim(fw)
    if mod is not None:
        return mod.scatter_add(zeros, tup, v)
    # generic: one-hot accumulation over flat positions
    flat_shape = tuple(int(s) for s in shape)
    k = idx.shape[-1]
    strides = [int(np.prod(flat_shape[i + 1:k], dtype=np.int64)) for i in range(k)]
    flat = builtins.sum(t * s for t, s in zip(tup, strides))
    n_rows = int(np.prod(flat_shape[:k], dtype=np.int64))
    rows = xp.reshape(flat, (-1,))
    vals = xp.reshape(v, (rows.shape[0], -1))
    onehot = xp.astype(rows[:, None] == xp.arange(n_rows)[None, :], v.dtype)
    return xp.reshape(xp.matmul(xp.matrix_transpose(onehot), vals), flat_shape)


def scatter_update(inputs, indices, updates):
    """``inputs`` with the entries at ``indices`` (an (N, k) array) set to ``updates``."""
    xp, fw = resolve("scatter_update", inputs, indices, updates)
    x = to_array(xp, fw, inputs)
    u = to_array(xp, fw, updates, dtype_name(x))
    _, tup = _index_tuple(xp, fw, indices)
    return _index_update(xp, fw, x, tup, u)


def unstack(x, num=None, axis=0):
    """The list of slices of ``x`` along ``axis``."""
    xp, fw = resolve("unstack", x)
    x = to_array(xp, fw, x)
    if num is not None and x.shape[axis] != num:
        raise op_error("unstack", f"expected num={num} to equal the size of axis {axis}; received "
                       f"shape {tuple(x.shape)}")
    return list(xp.unstack(x, axis=axis))


def _eager_cond(pred, true_fn, false_fn):
    return true_fn() if bool(pred) else false_fn()


def _eager_while_loop(cond_fn, body_fn, loop_vars, maximum_iterations=None):
    i = 0
    while (maximum_iterations is None or i < maximum_iterations) and bool(cond_fn(*loop_vars)):
        loop_vars = tuple(body_fn(*loop_vars))
        i += 1
    return loop_vars


def cond(pred, true_fn, false_fn):
    """``true_fn()`` if ``pred`` else ``false_fn()``, traceable under jax.jit/tf.function
    (the ops shim's ``cond``; eager frameworks evaluate ``pred`` in Python)."""
    fw = framework_of(pred)
    mod = ops_shim(fw) if fw is not None else None
    return getattr(mod, "cond", _eager_cond)(pred, true_fn, false_fn)


def _loop_fw(values):
    for v in flatten_nested(values):
        f = framework_of(v)
        if f not in (None, "numpy"):
            return f
    return None


def while_loop(cond, body, loop_vars, maximum_iterations=None):
    """Keras' while_loop: repeat ``loop_vars = body(*loop_vars)`` while ``cond(*loop_vars)``.
    A single (non-tuple) loop variable is returned unwrapped, as in Keras."""
    single = not isinstance(loop_vars, (list, tuple))
    lv = (loop_vars,) if single else tuple(loop_vars)

    def body_t(*v):
        out = body(*v)
        return (out,) if single or not isinstance(out, (list, tuple)) else tuple(out)

    fw = _loop_fw(lv) or _xp.default_framework()
    loop = getattr(ops_shim(fw), "while_loop", _eager_while_loop)
    out = loop(cond, body_t, lv, maximum_iterations)
    out = tuple(out)
    return out[0] if single else out


def fori_loop(lower, upper, body_fun, init_val):
    """``for i in range(lower, upper): val = body_fun(i, val)``; traceable in JAX."""
    fw = _loop_fw([init_val, lower, upper])
    mod = ops_shim(fw) if fw else None
    if mod is not None and hasattr(mod, "fori_loop"):
        return mod.fori_loop(lower, upper, body_fun, init_val)
    val = init_val
    for i in range(int(lower), int(upper)):
        val = body_fun(i, val)
    return val


def map(f, xs):
    """``stack([f(x) for x in xs])`` along the leading axis (pytree outputs allowed)."""
    xp, fw = resolve("map", *flatten_nested(xs))
    if isinstance(xs, (list, tuple)) and xs and not is_tensor(xs[0]) and not isinstance(xs[0], (int, float)):
        raise op_error("map", "expected an array (or a nested structure handled by the framework); "
                       f"received {type(xs).__name__} of {type(xs[0]).__name__}", TypeError)
    x = to_array(xp, fw, xs)
    outs = [f(x[i]) for i in range(x.shape[0])]
    return _stack_tree(xp, fw, outs)


def _stack_tree(xp, fw, outs):
    first = outs[0]
    if isinstance(first, (list, tuple)):
        return type(first)(_stack_tree(xp, fw, [o[i] for o in outs]) for i in range(len(first)))
    if isinstance(first, dict):
        return {k: _stack_tree(xp, fw, [o[k] for o in outs]) for k in first}
    return xp.stack([to_array(xp, fw, o) for o in outs])


def scan(f, init, xs=None, length=None, reverse=False, unroll=1):
    """Keras/JAX scan: ``carry, y = f(carry, x)`` over the leading axis of ``xs``; returns
    ``(carry, stacked ys)``. Runs as an unrolled Python loop (static lengths)."""
    if xs is None:
        if length is None:
            raise op_error("scan", "expected xs or length; received neither")
        items = [None] * int(length)
        n = int(length)
    else:
        xp, fw = resolve("scan", *flatten_nested(xs))
        n = int(next(iter(flatten_nested(xs))).shape[0]) if not is_tensor(xs) else int(xs.shape[0])

        def item(i, t=xs):
            if isinstance(t, (list, tuple)):
                return type(t)(item(i, e) for e in t)
            if isinstance(t, dict):
                return {k: item(i, e) for k, e in t.items()}
            return t[i]

        items = [item(i) for i in range(n)]
    order = range(n - 1, -1, -1) if reverse else range(n)
    carry, ys = init, [None] * n
    for i in order:
        carry, ys[i] = f(carry, items[i])
    if n == 0 or ys[0] is None:
        return carry, None
    xp, fw = resolve("scan", *flatten_nested(ys))
    return carry, _stack_tree(xp, fw, ys)


def associative_scan(f, elems, reverse=False, axis=0):
    """Inclusive scan of the associative binary ``f`` along ``axis`` (sequential)."""
    xp, fw = resolve("associative_scan", elems)
    x = to_array(xp, fw, elems)
    x = xp.moveaxis(x, axis, 0)
    n = x.shape[0]
    order = range(n - 1, -1, -1) if reverse else range(n)
    outs, acc = [None] * n, None
    for i in order:
        acc = x[i] if acc is None else f(acc, x[i])
        outs[i] = acc
    return xp.moveaxis(xp.stack(outs), 0, axis)


def switch(index, branches, *operands):
    """``branches[index](*operands)`` with index clamped to the valid range."""
    fw = framework_of(index)
    mod = ops_shim(fw) if fw not in (None, "numpy") else None
    if mod is not None and hasattr(mod, "switch"):
        return mod.switch(index, branches, *operands)
    i = builtins.min(builtins.max(int(index), 0), len(branches) - 1)
    return branches[i](*operands)


def _slice_tree(t, i):
    if isinstance(t, (list, tuple)):
        return type(t)(_slice_tree(e, i) for e in t)
    if isinstance(t, dict):
        return {k: _slice_tree(e, i) for k, e in t.items()}
    return t[i]


def vectorized_map(function, elements):
    """``function`` applied to each slice of ``elements`` (an array or a nested structure
    of arrays) along axis 0, results stacked: ``jax.vmap``, ``torch.vmap`` and
    ``tf.vectorized_map`` where the framework has one, a loop otherwise."""
    leaves = list(flatten_nested(elements))
    if not leaves:
        raise op_error("vectorized_map", "expected at least one array in elements; received none")
    xp, fw = resolve("vectorized_map", *leaves)
    elements = map_nested(lambda a: to_array(xp, fw, a), elements)
    mod = ops_shim(fw)
    if mod is not None and hasattr(mod, "vectorized_map"):
        return mod.vectorized_map(function, elements)
    n = next(iter(flatten_nested(elements))).shape[0]
    if n == 0:
        raise op_error("vectorized_map", "cannot map over an empty leading axis without a "
                       "vectorizing framework (the output shape is unknown)")
    return _stack_tree(xp, fw, [function(_slice_tree(elements, i)) for i in range(n)])


_ARG = r"\((?:\w+(?:,\w+)*)?\)"
_SIDE = re.compile(rf"^{_ARG}(?:,{_ARG})*$")
_CORE = re.compile(r"\(([^()]*)\)")


def _parse_signature(signature):
    """``"(m,n),(n)->(m)"`` -> ([("m", "n"), ("n",)], [("m",)])."""
    text = signature.replace(" ", "") if isinstance(signature, str) else ""
    parts = text.split("->")
    if len(parts) != 2 or not all(_SIDE.match(p) for p in parts):
        raise op_error("vectorize", f"expected a signature like '(m,n),(n)->(m)'; received "
                       f"{signature!r}")
    return [[tuple(n for n in g.split(",") if n) for g in _CORE.findall(p)] for p in parts]


def vectorize(pyfunc, *, excluded=None, signature=None):
    """``pyfunc`` (written for single items) applied over the leading (loop) dimensions of
    its array arguments, NumPy's ``vectorize`` semantics: arguments broadcast against each
    other; with ``signature`` (e.g. ``"(m,n),(n)->(m)"``) the trailing core dimensions go to
    ``pyfunc`` whole, else every element is a 0-d array. Positions or names in ``excluded``
    are passed through as they are. Runs through ``vectorized_map`` (the framework's vmap)."""
    if not callable(pyfunc):
        raise op_error("vectorize", f"expected a function; received {type(pyfunc).__name__}",
                       TypeError)
    excluded = set(excluded or ())
    in_cores, out_cores = _parse_signature(signature) if signature is not None else (None, None)

    @functools.wraps(pyfunc)
    def wrapped(*args, **kwargs):
        # Python numbers are 0-d and broadcast anyway: they pass through unchanged, so they
        # stay weakly typed (int64 array + 2 stays int64)
        scalar = (bool, int, float, complex)
        pos = [i for i in range(len(args))
               if i not in excluded and not isinstance(args[i], scalar)]
        names = [k for k in kwargs if k not in excluded and not isinstance(kwargs[k], scalar)]
        values = [args[i] for i in pos] + [kwargs[k] for k in names]
        if not values:
            return pyfunc(*args, **kwargs)
        xp, fw = resolve("vectorize", *values)
        arrays = [to_array(xp, fw, v) for v in values]
        cores = in_cores if in_cores is not None else [()] * len(arrays)
        if len(cores) != len(arrays):
            raise op_error("vectorize", f"signature {signature!r} names {len(cores)} inputs; "
                           f"received {len(arrays)} vectorized arguments")
        sizes, loops = {}, []
        for a, core in zip(arrays, cores):
            if a.ndim < len(core):
                raise op_error("vectorize", f"an argument of shape {tuple(a.shape)} has fewer "
                               f"dimensions than its core dimensions {core}")
            shape = tuple(a.shape)
            for name, d in zip(core, shape[len(shape) - len(core):]):
                if sizes.setdefault(name, d) != d:
                    raise op_error("vectorize", f"core dimension {name!r} is {sizes[name]} in one "
                                   f"argument and {d} in another")
            loops.append(shape[:len(shape) - len(core)])
        loop = tuple(np.broadcast_shapes(*loops))
        n = int(np.prod(loop, dtype=np.int64))
        flat = tuple(
            xp.reshape(xp.broadcast_to(a, loop + tuple(a.shape)[a.ndim - len(c):]),
                       (n,) + tuple(a.shape)[a.ndim - len(c):])
            for a, c in zip(arrays, cores))

        def one(items):
            call_args = list(args)
            call_kwargs = dict(kwargs)
            for i, v in zip(pos, items[:len(pos)]):
                call_args[i] = v
            for k, v in zip(names, items[len(pos):]):
                call_kwargs[k] = v
            return pyfunc(*call_args, **call_kwargs)

        out = vectorized_map(one, flat)
        return map_nested(lambda o: xp.reshape(o, loop + tuple(o.shape)[1:]), out)

    return wrapped


def get_item(x, key):
    """``x[key]``."""
    xp, fw = resolve("get_item", x)
    return to_array(xp, fw, x)[key]


def is_tensor_like(x):  # pragma: no cover - helper for other modules
    return is_tensor(x) or isinstance(x, _Variable)
