"""Wrapping the plain namespace once: inputs are unwrapped (Array -> tf.Tensor, also
inside lists/tuples), outputs are wrapped (tf.Tensor -> Array, also inside tuples, lists
and namedtuples such as ``unique_all`` / ``eigh`` / ``svd`` results)."""

from __future__ import annotations

import functools
import types

import tensorflow as tf

from ._array import Array


def unwrap(obj):
    if isinstance(obj, Array):
        return obj._t
    if isinstance(obj, (list, tuple)) and not hasattr(obj, "_fields"):
        return type(obj)(unwrap(o) for o in obj)
    return obj


def wrap(obj):
    if isinstance(obj, tf.Tensor):
        return Array._new(obj)
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):
        return type(obj)(*(wrap(o) for o in obj))
    if isinstance(obj, (list, tuple)):
        return type(obj)(wrap(o) for o in obj)
    return obj


def wrap_function(fn):
    """``fn`` taking and returning Arrays. ``functools.wraps`` keeps the name, the doc and
    (through ``__wrapped__``) the signature the conformance suite inspects."""

    @functools.wraps(fn)
    def wrapped(*args, **kwargs):
        args = tuple(unwrap(a) for a in args)
        if kwargs:
            kwargs = {k: unwrap(v) for k, v in kwargs.items()}
        return wrap(fn(*args, **kwargs))

    return wrapped


def wrap_module(module, names, into):
    """Put wrapped versions of ``module``'s functions ``names`` into the dict ``into``."""
    for name in names:
        fn = getattr(module, name)
        if not isinstance(fn, types.FunctionType):
            raise TypeError(f"{module.__name__}.{name} is not a function")
        w = wrap_function(fn)
        w.__module__ = into.get("__name__", w.__module__)
        into[name] = w
    return list(names)
