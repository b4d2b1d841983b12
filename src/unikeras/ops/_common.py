"""Shared plumbing of unikeras.ops: which framework an op runs in, conversion of its
inputs, and Keras 3 dtype rules.

Every op resolves its framework once: the framework of its array inputs (NumPy arrays,
lists and Python scalars are host data and go to that framework); with no framework
array, the default framework (``unikeras.xp.default_framework()``). Arrays of two
frameworks in one call raise the TypeError of ``unikeras.xp.namespace``, prefixed with
the op's name.
"""

from __future__ import annotations

import builtins

import numpy as np

from .. import xp as _xp
from ..xp import default_framework, floatx, framework_of, shim, standardize_dtype
from ..state.variables import Variable as _Variable
from ..xp.dtypes import FLOATS, INTS, result_dtype as _result_dtype

__all__ = [
    "resolve", "to_array", "dtype_name", "dtype_obj", "cast_to", "result_type",
    "to_float", "op_error", "is_float", "is_int", "FLOATS", "INTS", "floatx",
    "standardize_dtype", "ops_shim", "axis_tuple",
]

_SCALARS = (bool, int, float, complex)


def op_error(op: str, msg: str, cls=ValueError):
    return cls(f"ops.{op}: {msg}")


def resolve(op: str, *values):
    """(xp, framework) for a call of ``op`` on ``values``.

    NumPy arrays, lists and scalars are host data: they run on the one other framework
    among the values, else on the default framework.
    """
    fw = example = None
    for v in values:
        f = framework_of(v)
        if f is None and isinstance(v, _Variable):
            v = v.value
            f = framework_of(v)
        if f is None or f == "numpy":
            continue
        if fw is None:
            fw, example = f, v
        elif f != fw:
            try:
                _xp.namespace(example, v)
            except TypeError as e:
                raise TypeError(f"ops.{op}: {e}") from None
    if fw is None:
        return _xp.namespace(framework=default_framework()), default_framework()
    return _xp.namespace(example), fw


def dtype_obj(xp, fw: str, name: str):
    """The framework's dtype object for a Keras dtype name."""
    mod = shim(fw, "xp")
    if mod is not None:
        return mod.dtype(name)
    try:
        return getattr(xp, name)
    except AttributeError:
        raise ValueError(f"The framework {fw!r} has no dtype {name!r}") from None


def _infer_host_dtype(value) -> str | None:
    """Keras' dtype for Python data: floats -> floatx, ints -> int32, bools -> bool."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int32"
    if isinstance(value, float):
        return floatx()
    if isinstance(value, complex):
        return "complex64" if floatx() != "float64" else "complex128"
    if isinstance(value, (list, tuple)):
        arr = np.asarray(value)
        kind = arr.dtype.kind
        if arr.size == 0:
            return floatx()
        if kind == "b":
            return "bool"
        if kind in "iu":
            return "int32" if arr.dtype == np.int64 else arr.dtype.name
        if kind == "f":
            return floatx() if arr.dtype == np.float64 else arr.dtype.name
        if kind == "c":
            return arr.dtype.name
        return None
    return None


def _contains_arrays(value) -> bool:
    return isinstance(value, (list, tuple)) and any(
        framework_of(v) not in (None, "numpy") or isinstance(v, (list, tuple)) and _contains_arrays(v)
        for v in value
    )


def to_array(xp, fw: str, value, dtype: str | None = None):
    """``value`` as an array of ``fw`` (cast to ``dtype`` when given)."""
    f = framework_of(value)
    if f is None and isinstance(value, _Variable):
        value = value.value
        f = framework_of(value)
    if f is not None and not hasattr(value, "ndim") and hasattr(value, "read_value"):
        value = value.read_value()  # a raw tf.Variable (a layer's weight inside call())
    if f == fw:
        if dtype is not None and standardize_dtype(value.dtype) != dtype:
            return xp.astype(value, dtype_obj(xp, fw, dtype))
        return value
    if f is None:
        if _contains_arrays(value):
            # a list of framework arrays: stack them
            parts = [to_array(xp, fw, v) for v in value]
            out = xp.stack(parts)
            return out if dtype is None else cast_to(xp, fw, out, dtype)
        if dtype is None:
            dtype = _infer_host_dtype(value)
        if hasattr(value, "__array__") and not isinstance(value, (list, tuple)):
            value = np.asarray(value)
        return _xp.asarray(value, dtype=dtype, framework=fw)
    if f == "numpy" and hasattr(value, "dtype") and value.dtype.kind in "OUS":
        raise TypeError(f"Cannot convert an array of dtype {value.dtype} to a tensor")
    return _xp.asarray(value, dtype=dtype, framework=fw)


def dtype_name(x) -> str:
    return standardize_dtype(x.dtype)


def cast_to(xp, fw, x, name: str):
    if standardize_dtype(x.dtype) == name:
        return x
    return xp.astype(x, dtype_obj(xp, fw, name))


def is_float(name: str) -> bool:
    return name in FLOATS


def is_int(name: str) -> bool:
    return name in INTS


def weak_or_dtype(value):
    """A Python scalar's type (a weak dtype), else the value's Keras dtype name."""
    if isinstance(value, _SCALARS):
        return type(value)
    if hasattr(value, "dtype"):
        return standardize_dtype(value.dtype)
    d = _infer_host_dtype(value)
    return d


def result_type(*values_or_dtypes) -> str:
    """Keras 3's result dtype; Python scalars count as weak types."""
    items = [weak_or_dtype(v) if not isinstance(v, (str, type)) else v for v in values_or_dtypes]
    res = _result_dtype(*items)
    if res == "bool" and int in items:
        return "int32"
    return res


def to_float(xp, fw, x, name: str | None = None):
    """``x`` cast to floatx when it is bool or integer (Keras: int/bool -> float)."""
    name = name or standardize_dtype(x.dtype)
    if name in FLOATS or name.startswith("complex"):
        return x
    return xp.astype(x, dtype_obj(xp, fw, floatx()))


def ops_shim(fw: str):
    """The per-framework helper module ``unikeras.ops._shims.<fw>`` (or None)."""
    return shim(fw, "ops._shims")


def axis_tuple(axis, ndim=None):
    if axis is None:
        return None
    if isinstance(axis, (list, tuple)):
        return tuple(int(a) for a in axis)
    return int(axis)


# ---------------------------------------------------------- helpers of the NumPy-named ops

_bmax, _bmin, _babs, _bround, _bsum, _ball, _bany = (
    builtins.max, builtins.min, builtins.abs, builtins.round, builtins.sum, builtins.all, builtins.any)


def _xfn(xp, fw, name):
    """``xp.<name>``, else the ops shim's function of that name, else None."""
    fn = getattr(xp, name, None)
    if fn is None:
        fn = getattr(ops_shim(fw), name, None)
    return fn


def _need(xp, fw, name):
    fn = _xfn(xp, fw, name)
    if fn is None:
        raise op_error(name, f"the {fw} array namespace has no {name}", NotImplementedError)
    return fn


def _keep(xp, fw, out, d):
    """``out`` cast back to the float dtype ``d`` when a namespace widened it (TF's
    float16 kernels, NumPy's bfloat16 with Python floats)."""
    if d in FLOATS and dtype_name(out) in FLOATS and dtype_name(out) != d:
        return cast_to(xp, fw, out, d)
    return out


def _nelems(x):
    n = 1
    for s in x.shape:
        n *= int(s)
    return n


def _one(op, x):
    xp, fw = resolve(op, x)
    return xp, fw, to_array(xp, fw, x)


def _axis(axis):
    if axis is None:
        return None
    if isinstance(axis, (list, tuple)):
        return tuple(int(a) for a in axis)
    return int(axis)


def _is_float_name(d):
    return d in FLOATS or d.startswith("complex")


_brange = builtins.range


def _is_floatish(d):
    return d.startswith(("float", "bfloat"))
