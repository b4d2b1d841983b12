"""``__array_namespace_info__`` (inspection API)."""

from __future__ import annotations

import tensorflow as tf

from . import _base as B

_NAMES = {
    "bool": tf.bool,
    "int8": tf.int8,
    "int16": tf.int16,
    "int32": tf.int32,
    "int64": tf.int64,
    "uint8": tf.uint8,
    "uint16": tf.uint16,
    "uint32": tf.uint32,
    "uint64": tf.uint64,
    "float32": tf.float32,
    "float64": tf.float64,
    "complex64": tf.complex64,
    "complex128": tf.complex128,
}

_KIND_MEMBERS = {
    "bool": ("bool",),
    "signed integer": ("int8", "int16", "int32", "int64"),
    "unsigned integer": ("uint8", "uint16", "uint32", "uint64"),
    "integral": ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"),
    "real floating": ("float32", "float64"),
    "complex floating": ("complex64", "complex128"),
    "numeric": tuple(n for n in _NAMES if n != "bool"),
}


def _canonical(device_string):
    return tf.DeviceSpec.from_string(device_string).to_string() if device_string else device_string


class Info:
    __module__ = "unikeras.xp.tensorflow.array_api"

    def capabilities(self):
        # tf.Tensor.__getitem__ rejects boolean masks (without numpy behaviour).
        return {"boolean indexing": False, "data-dependent shapes": True, "max dimensions": 254}

    def default_device(self):
        return tf.zeros([]).device or "/job:localhost/replica:0/task:0/device:CPU:0"

    def default_dtypes(self, *, device=None):
        return {
            "real floating": B.DEFAULT_FLOAT,
            "complex floating": B.DEFAULT_COMPLEX,
            "integral": B.DEFAULT_INT,
            "indexing": B.DEFAULT_INDEX,
        }

    def dtypes(self, *, device=None, kind=None):
        if kind is None:
            return dict(_NAMES)
        if isinstance(kind, tuple):
            out = {}
            for k in kind:
                out.update(self.dtypes(kind=k))
            return out
        if isinstance(kind, str):
            if kind not in _KIND_MEMBERS:
                raise ValueError(f"unknown dtype kind {kind!r}")
            return {n: _NAMES[n] for n in _KIND_MEMBERS[kind]}
        dt = B.as_dtype(kind)
        return {dt.name: dt}

    def devices(self):
        devs = []
        for d in tf.config.list_logical_devices():
            name = d.name
            if not name.startswith("/job:"):
                name = "/job:localhost/replica:0/task:0" + name
            devs.append(name)
        return tuple(devs) or (self.default_device(),)


def __array_namespace_info__():
    return Info()
