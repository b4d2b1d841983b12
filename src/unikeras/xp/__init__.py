"""Array namespaces: the one door from written-once code to a framework's arrays.

``namespace(*arrays)`` gives the Array API namespace of its arguments (array-api-compat's
for numpy, jax, torch and any other compliant library; unikeras's own for TensorFlow).
Also here: conversion between frameworks, dtype names as Keras spells them, ``floatx``,
device helpers and seeded random numbers (``unikeras.xp.random``).
"""

from __future__ import annotations

import numpy as np

from ._registry import (
    default_framework,
    device,
    framework_of,
    framework_scope,
    global_default_framework,
    scope_framework,
    installed_frameworks,
    is_installed,
    set_default_framework,
    shim,
)
from .dtypes import (
    epsilon,
    floatx,
    is_float_dtype,
    is_int_dtype,
    set_epsilon,
    set_floatx,
    standardize_dtype,
    result_dtype,
)

__all__ = [
    "namespace",
    "framework_of",
    "frameworks_of",
    "default_framework",
    "global_default_framework",
    "set_default_framework",
    "framework_scope",
    "scope_framework",
    "device",
    "installed_frameworks",
    "is_installed",
    "is_array",
    "to_numpy",
    "to_framework",
    "asarray",
    "dtype_of",
    "native_dtype",
    "standardize_dtype",
    "result_dtype",
    "floatx",
    "set_floatx",
    "epsilon",
    "set_epsilon",
    "is_float_dtype",
    "is_int_dtype",
    "device_of",
    "to_device",
    "split_rows",
    "host_view",
    "concat_rows",
]

_ns_cache: dict[str, object] = {}


def _namespace_for(framework: str, example=None):
    try:
        return _ns_cache[framework]
    except KeyError:
        pass
    mod = shim(framework, "xp")
    if mod is not None:
        ns = mod.namespace()
    else:
        import array_api_compat

        if example is None:
            # A compliant library named by its module (e.g. "array_api_strict"): make
            # a tiny array of it to ask array-api-compat for its namespace.
            import importlib

            try:
                lib = importlib.import_module(framework)
            except ImportError:
                lib = None
            if lib is None or not hasattr(lib, "__array_api_version__"):
                raise TypeError(f"No Array API namespace is known for framework {framework!r}")
            example = lib.asarray(0)
        ns = array_api_compat.array_namespace(example)
    _ns_cache[framework] = ns
    return ns


def frameworks_of(*arrays) -> set[str]:
    """The set of frameworks among ``arrays`` (Python scalars and None ignored)."""
    found = set()
    for a in arrays:
        fw = framework_of(a)
        if fw is not None:
            found.add(fw)
    return found


def namespace(*arrays, framework: str | None = None):
    """The Array API namespace of ``arrays``.

    Python scalars (and None) are allowed beside arrays. Arrays of two frameworks in one
    call raise a TypeError naming both. With no array at all, the namespace of
    ``framework`` (default: the default framework) is returned.
    """
    fw = None
    example = None
    for a in arrays:
        f = framework_of(a)
        if f is None:
            continue
        if fw is None:
            fw, example = f, a
        elif f != fw:
            raise TypeError(
                f"Arrays from two frameworks in one call: {fw} ({type(example).__name__}) and "
                f"{f} ({type(a).__name__}). Convert one explicitly with "
                f"unikeras.xp.to_framework(x, {fw!r})."
            )
    if fw is None:
        fw = framework or default_framework()
    return _namespace_for(fw, example)


def namespace_of_framework(framework: str):
    """The Array API namespace of a framework given by name."""
    return _namespace_for(framework)


def is_array(x) -> bool:
    """True for an array of any known framework (not Python scalars or lists)."""
    return framework_of(x) is not None


def to_numpy(x) -> np.ndarray:
    """A NumPy array with the value of ``x`` (any framework, list or scalar).
    Zero-copy where the framework allows (CPU torch/jax/tf)."""
    fw = framework_of(x)
    if fw is None or fw == "numpy":
        return np.asarray(x)
    mod = shim(fw, "xp")
    if mod is not None:
        return mod.to_numpy(x)
    try:
        return np.from_dlpack(x)
    except Exception:
        return np.asarray(x)


def asarray(value, dtype=None, framework: str | None = None):
    """An array of ``framework`` (default: the default framework) from host data, a
    Python scalar/list or another framework's array."""
    framework = framework or default_framework()
    src = framework_of(value)
    if src is not None and src != framework and src != "numpy":
        value = to_framework(value, framework)
        src = framework
    if src == framework and dtype is None:
        return value
    dt = None if dtype is None else standardize_dtype(dtype)
    mod = shim(framework, "xp")
    if mod is not None:
        return mod.asarray(value, dt)
    ns = _namespace_for(framework)
    arr = np.asarray(value)
    return ns.asarray(arr, dtype=None if dt is None else getattr(ns, dt))


def to_framework(x, framework: str):
    """Move an array to another framework: zero-copy through DLPack where both allow,
    else through host memory. Arrays already in ``framework`` are returned as they are."""
    src = framework_of(x)
    if src == framework:
        return x
    if src is None:
        return asarray(x, framework=framework)
    mod = shim(framework, "xp")
    if mod is not None:
        return mod.convert_from(x, src)
    ns = _namespace_for(framework)
    try:
        return ns.from_dlpack(x)
    except Exception:
        return ns.asarray(to_numpy(x))


def native_dtype(framework: str, name: str):
    """The framework's dtype object for a Keras dtype name (bfloat16 included, which the
    Array API standard does not name)."""
    mod = shim(framework, "xp")
    if mod is not None:
        return mod.dtype(name)
    return getattr(_namespace_for(framework), name)


def dtype_of(x) -> str:
    """The Keras-style dtype name of ``x`` ("float32", "int64", ...)."""
    return standardize_dtype(x.dtype)


def device_of(x) -> str:
    """A string naming the device ``x`` lives on ("cpu", "cuda:0", ...)."""
    fw = framework_of(x)
    mod = shim(fw, "xp") if fw else None
    if mod is not None:
        return mod.device_of(x)
    return "cpu"


def to_device(x, device: str):
    """``x`` moved to ``device`` within its own framework."""
    fw = framework_of(x)
    mod = shim(fw, "xp") if fw else None
    if mod is None:
        if device.startswith("cpu"):
            return x
        raise ValueError(f"Framework {fw!r} has no device support; asked for {device!r}")
    return mod.to_device(x, device)


def host_view(x):
    """A zero-copy NumPy view of framework array ``x`` where its shim offers one (jax
    arrays in host memory), else None."""
    fw = framework_of(x)
    mod = shim(fw, "xp") if fw else None
    view = getattr(mod, "host_view", None) if mod is not None else None
    return view(x) if view is not None else None


def concat_rows(arrays):
    """Arrays of one framework joined along the first axis: the shim's ``concat_rows``
    where it has one (jax: on the host, no compile per list of shapes), else the
    namespace's ``concat``."""
    if len(arrays) == 1:
        return arrays[0]
    fw = framework_of(arrays[0])
    mod = shim(fw, "xp") if fw else None
    concat = getattr(mod, "concat_rows", None) if mod is not None else None
    if concat is not None:
        return concat(arrays)
    return namespace(arrays[0]).concat(arrays, axis=0)


def split_rows(x, sizes, start=0, indices=None):
    """Rows of ``x`` cut into consecutive pieces of ``sizes`` rows (a list of arrays of
    ``x``'s framework): the rows ``start:start + sum(sizes)``, or the rows ``indices``
    (a NumPy integer array) when given. The data adapters cut batches with it, a chunk
    of batches per call: eager jax / TensorFlow slicing costs 0.1-0.4 ms per slice in
    Python (and jax compiles each distinct static slice), so a shim's ``split`` does
    it in one or two framework calls; plain slicing / indexing otherwise."""
    fw = framework_of(x)
    mod = shim(fw, "xp") if fw else None
    split = getattr(mod, "split", None) if mod is not None else None
    sizes = [int(n) for n in sizes]
    if split is not None:
        return split(x, sizes, int(start), indices)
    if indices is not None:
        ns = namespace(x)
        x = ns.take(x, ns.asarray(np.asarray(indices)), axis=0)
        start = 0
    out, lo = [], int(start)
    for n in sizes:
        # The standard indexes every axis or ends with an ellipsis (array_api_strict
        # refuses x[a:b] on a 2-D array).
        out.append(x[lo:lo + n, ...])
        lo += n
    return out
