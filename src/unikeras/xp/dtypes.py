"""Dtype names as Keras spells them, floatx, epsilon and result-type rules.

Dtypes are named by strings everywhere in unikeras ("float32", "bfloat16", "int64",
"bool"); each framework's shim maps a name to its own dtype object.
"""

from __future__ import annotations

import numpy as np

ALLOWED = (
    "bool",
    "uint8", "uint16", "uint32", "uint64",
    "int8", "int16", "int32", "int64",
    "bfloat16", "float16", "float32", "float64",
    "complex64", "complex128",
)
FLOATS = ("bfloat16", "float16", "float32", "float64")
INTS = ("uint8", "uint16", "uint32", "uint64", "int8", "int16", "int32", "int64")

_ALIASES = {
    "float": None,  # floatx
    "double": "float64",
    "half": "float16",
    "int": "int64",
    "long": "int64",
    "uint": "uint32",
    "boolean": "bool",
    "complex": "complex128",
    "cfloat": "complex64",
    "cdouble": "complex128",
}

_config = {"floatx": "float32", "epsilon": 1e-7}
_cache: dict[object, str] = {}


def floatx() -> str:
    """The default float dtype name ("float32" unless set)."""
    return _config["floatx"]


def set_floatx(value: str) -> None:
    value = standardize_dtype(value)
    if value not in FLOATS:
        raise ValueError(f"floatx must be one of {FLOATS}; received {value!r}")
    _config["floatx"] = value
    _cache.clear()  # None, float and "float" name floatx: cached under the old value


def epsilon() -> float:
    return _config["epsilon"]


def set_epsilon(value: float) -> None:
    _config["epsilon"] = float(value)


def _name_of(dtype) -> str:
    if dtype is None:
        return floatx()
    if isinstance(dtype, str):
        name = dtype.lower().strip()
        if name.startswith("torch."):
            name = name[len("torch."):]
        if name in _ALIASES:
            return _ALIASES[name] or floatx()
        return name
    if dtype is float:
        return floatx()
    if dtype is int:
        return "int64"
    if dtype is bool:
        return "bool"
    if dtype is complex:
        return "complex128"
    mod = type(dtype).__module__.partition(".")[0]
    if mod == "torch":
        return str(dtype).rpartition(".")[2]
    if mod == "tensorflow" or (hasattr(dtype, "as_numpy_dtype") and hasattr(dtype, "name")):
        return dtype.name
    if hasattr(dtype, "name") and not isinstance(dtype, (type, np.dtype)) and mod != "numpy":
        # e.g. array_api_strict dtypes, keras' policies
        return str(dtype.name) if not callable(dtype.name) else str(dtype)
    try:
        return np.dtype(dtype).name
    except TypeError:
        return str(dtype)


def standardize_dtype(dtype) -> str:
    """Any dtype spelling (string, Python type, NumPy, JAX, torch, TF or array-API
    dtype) to its Keras name. Raises ValueError naming the received value otherwise."""
    if type(dtype).__module__.startswith("array_api_strict"):
        # Its dtypes hash like NumPy's but warn when compared with them: no cache, and
        # no ``.name`` (str is "array_api_strict.float32").
        name = str(dtype).rpartition(".")[2]
        if name not in ALLOWED:
            raise ValueError(f"Invalid dtype: expected one of {ALLOWED}; received {dtype!r}")
        return name
    try:
        return _cache[dtype]
    except (KeyError, TypeError):
        pass
    name = _name_of(dtype)
    if name not in ALLOWED:
        raise ValueError(f"Invalid dtype: expected one of {ALLOWED}; received {dtype!r}")
    try:
        _cache[dtype] = name
    except TypeError:
        pass
    return name


def is_float_dtype(dtype) -> bool:
    return standardize_dtype(dtype) in FLOATS


def is_int_dtype(dtype) -> bool:
    return standardize_dtype(dtype) in INTS


# Keras 3's promotion lattice (keras/src/backend/common/dtypes.py describes it): ints and
# floats promote like JAX's "weak" rules but bfloat16 + float16 -> float32 and
# int64 + float -> that float (not float64).
_FLOAT_RANK = {"bfloat16": 1, "float16": 1, "float32": 2, "float64": 3}


def result_dtype(*dtypes) -> str:
    """The Keras 3 result dtype of combining ``dtypes`` (Python scalars' types as weak)."""
    strong = []
    weak_float = weak_int = weak_bool = False
    for d in dtypes:
        if d is float:
            weak_float = True
        elif d is int:
            weak_int = True
        elif d is bool:
            weak_bool = True
        elif d is not None:
            strong.append(standardize_dtype(d))
    if not strong:
        if weak_float:
            return floatx()
        if weak_int:
            return "int32"
        return "bool" if weak_bool else floatx()
    res = strong[0]
    for d in strong[1:]:
        res = _promote2(res, d)
    if weak_float and res not in FLOATS and not res.startswith("complex"):
        res = floatx()
    return res


def _promote2(a: str, b: str) -> str:
    if a == b:
        return a
    if a == "bool":
        return b
    if b == "bool":
        return a
    fa, fb = a in FLOATS, b in FLOATS
    if fa and fb:
        if {a, b} == {"bfloat16", "float16"}:
            return "float32"
        return a if _FLOAT_RANK[a] >= _FLOAT_RANK[b] else b
    if fa:
        return a
    if fb:
        return b
    if a.startswith("complex") or b.startswith("complex"):
        return str(np.promote_types(a, b))
    r = np.promote_types(a, b).name
    return "int64" if r == "float64" else r  # uint64 + int64


_index_dtypes: dict = {}


def index_dtype(framework) -> str:
    """The integer dtype indices are gathered with on ``framework``: its xp shim's
    ``INDEX_DTYPE`` ("int32" on jax, whose 64-bit types are off), else "int64" (torch
    gathers want it)."""
    try:
        return _index_dtypes[framework]
    except KeyError:
        from ._registry import shim

        mod = shim(framework, "xp") if framework else None
        name = _index_dtypes[framework] = getattr(mod, "INDEX_DTYPE", "int64")
        return name
