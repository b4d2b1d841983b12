"""A standard-conforming Array API (2025.12) namespace for TensorFlow, with its own array
object: ``unikeras.xp.tensorflow.compliant``.

It is the plain namespace (``unikeras.xp.tensorflow.array_api``, which takes and returns
raw ``tf.Tensor``) with every function wrapped so that it takes Arrays, tf.Tensors, Python
scalars and nested sequences and returns ``Array`` objects (see ``_array.Array``): tuple
shapes, ``__setitem__``, boolean masks, promoting operators, ``.mT``, ``__dlpack__`` with
``copy=``/``dl_device=``, ... Opt in where code needs the array object API; the rest of
unikeras keeps using plain tensors. See docs/tf_array_api.md.
"""

from __future__ import annotations

import types as _types

from .. import array_api as _plain
from ..array_api._info import Info as _PlainInfo
from ._array import Array
from ._wrap import unwrap, wrap, wrap_module as _wrap_module

__array_api_version__ = _plain.__array_api_version__

e, inf, nan, pi, newaxis = _plain.e, _plain.inf, _plain.nan, _plain.pi, _plain.newaxis
_DTYPES = ("bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
           "float32", "float64", "complex64", "complex128")
globals().update({_n: getattr(_plain, _n) for _n in _DTYPES})

_FUNCTIONS = sorted(
    n for n, v in vars(_plain).items()
    if isinstance(v, _types.FunctionType) and not n.startswith("_")
)
_wrap_module(_plain, _FUNCTIONS, globals())

from . import fft, linalg  # noqa: E402

_wrapped_asarray = asarray  # noqa: F821 (defined by _wrap_module above)


def asarray(obj, /, *, dtype=None, device=None, copy=None):
    # An Array is a mutable box: sharing its memory (copy=False, and copy=None where
    # nothing changes) means returning the same object, so that writes are seen.
    if (isinstance(obj, Array) and not copy and device is None
            and (dtype is None or dtype == obj.dtype)):
        return obj
    return _wrapped_asarray(obj, dtype=dtype, device=device, copy=copy)


asarray.__doc__ = _plain.asarray.__doc__


class Info(_PlainInfo):
    __module__ = __name__

    def capabilities(self):
        return {"boolean indexing": True, "data-dependent shapes": True, "max dimensions": 254}


def __array_namespace_info__():
    return Info()


__all__ = (["Array", "__array_namespace_info__", "__array_api_version__", "e", "inf", "nan", "pi",
            "newaxis", "fft", "linalg"] + list(_DTYPES) + _FUNCTIONS)
