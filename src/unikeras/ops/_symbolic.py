"""Ops on KerasTensors: ``ops.mean(x, axis=1)`` inside a Functional model definition
records an ``OpLayer`` node (see ``unikeras.layers.symbolic``), as Keras 3 records an
Operation. Every public op is wrapped once, at import; the wrapper's cost on arrays is a
type check of the top-level arguments (and of the items of list/tuple arguments)."""

from __future__ import annotations

import functools

from .._symbolic_hook import handler as _handler

# These take or return Python structure rather than computing on the tensor, or trace
# callables: they are never graph nodes.
_NOT_NODES = {"cond", "while_loop", "fori_loop", "switch", "scan", "map", "vectorized_map",
              "associative_scan", "custom_gradient", "convert_to_numpy", "is_tensor", "shape",
              "dtype", "ndim", "size", "jvp", "vectorize"}


def _has_symbolic(args, kwargs, kt):
    for a in (*args, *kwargs.values()):
        t = type(a)
        if t is kt:
            return True
        if t is list or t is tuple:
            for b in a:
                if type(b) is kt:
                    return True
    return False


def _wrap(name, fn):
    @functools.wraps(fn)
    def op(*args, **kwargs):
        kt = _handler[0]
        if kt is not None and _has_symbolic(args, kwargs, kt):
            return _handler[1](name, *args, **kwargs)
        return fn(*args, **kwargs)

    op._symbolic_dispatch = True
    return op


def install(namespace: dict, names, modules, prefix: str = "") -> None:
    """Wrap each public op in ``namespace`` (``unikeras.ops``' globals) and rebind the same
    wrapper in the submodules that define it (``ops.numpy.add is ops.add``). Ops of a
    submodule that ``unikeras.ops`` does not re-export (``ops.image.resize``) record the
    dotted name (``prefix="image."``)."""
    for name in names:
        fn = namespace.get(name)
        if (name in _NOT_NODES or not callable(fn) or isinstance(fn, type)
                or getattr(fn, "_symbolic_dispatch", False) or type(fn).__name__ == "module"):
            continue
        wrapped = _wrap(prefix + name, fn)
        namespace[name] = wrapped
        for mod in modules:
            if getattr(mod, name, None) is fn:
                setattr(mod, name, wrapped)
