"""Data type functions: astype, can_cast, finfo, iinfo, isdtype, result_type."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import tensorflow as tf

from . import _base as B

__all__ = ["astype", "can_cast", "finfo", "iinfo", "isdtype", "result_type"]


def astype(x, dtype, /, *, copy=True, device=None):
    x = B.tensor(x)
    dtype = B.as_dtype(dtype)
    with B.device_scope(device):
        if x.dtype == dtype:
            return tf.identity(x) if copy else x
        if B.is_complex(x.dtype) and not B.is_complex(dtype):
            x = tf.math.real(x)
            if x.dtype == dtype:
                return x
        if dtype == tf.bool:
            return tf.not_equal(x, tf.zeros_like(x))
        if x.dtype == tf.bool and B.is_complex(dtype):
            return tf.cast(tf.cast(x, B.real_dtype(dtype)), dtype)
        return tf.cast(x, dtype)


def can_cast(from_, to, /):
    src = B.dtype_of(from_)
    to = B.as_dtype(to)
    if src == to:
        return True
    for other in B.ALL_DTYPES:
        if B.strict_promote(src, other) == to:
            return True
    return False


@dataclass(frozen=True)
class finfo_object:
    bits: int
    eps: float
    max: float
    min: float
    smallest_normal: float
    dtype: tf.DType


@dataclass(frozen=True)
class iinfo_object:
    bits: int
    max: int
    min: int
    dtype: tf.DType


def finfo(type, /):
    dt = B.dtype_of(type)
    if not B.is_inexact(dt):
        raise ValueError(f"finfo needs a floating dtype, got {dt!r}")
    r = B.real_dtype(dt)
    info = np.finfo(r.as_numpy_dtype)
    return finfo_object(
        bits=int(info.bits),
        eps=float(info.eps),
        max=float(info.max),
        min=float(info.min),
        smallest_normal=float(info.smallest_normal),
        dtype=r,
    )


def iinfo(type, /):
    dt = B.dtype_of(type)
    if not B.is_int(dt):
        raise ValueError(f"iinfo needs an integer dtype, got {dt!r}")
    info = np.iinfo(dt.as_numpy_dtype)
    return iinfo_object(bits=int(info.bits), max=int(info.max), min=int(info.min), dtype=dt)


_KINDS = {
    "bool": (tf.bool,),
    "signed integer": B.SIGNED,
    "unsigned integer": B.UNSIGNED,
    "integral": B.INTEGRAL,
    "real floating": B.REAL_FLOAT,
    "complex floating": B.COMPLEX,
    "numeric": B.NUMERIC,
}


def isdtype(dtype, kind):
    dtype = B.as_dtype(dtype)
    if isinstance(kind, tuple):
        return any(isdtype(dtype, k) for k in kind)
    if isinstance(kind, str):
        if kind not in _KINDS:
            raise ValueError(f"unknown dtype kind {kind!r}")
        return dtype in _KINDS[kind]
    return dtype == B.as_dtype(kind)


def result_type(*arrays_and_dtypes):
    return B.result_type(*arrays_and_dtypes)
