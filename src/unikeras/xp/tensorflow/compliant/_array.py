"""``Array``: a standard-conforming (Array API 2025.12) array object holding one tf.Tensor.

The object is a thin, mutable box: ``a.tensor`` is the tf.Tensor (eager or symbolic),
operators delegate to the plain namespace's functions (which promote with the standard's
table and carry the kernels TF lacks), and ``a[key] = v`` rebinds the inner tensor to a
functionally updated one (``tensor_scatter_nd_update``), so it is differentiable and works
inside ``tf.function``. TF sees it through ``__tf_tensor__`` (``tf.convert_to_tensor(a)``
and TF ops accept it) and through ``__tf_flatten__`` (``tf.nest``, ``tf.function``
arguments and return values, ``tf.GradientTape.gradient``).
"""

from __future__ import annotations

import builtins

import numpy as np
import tensorflow as tf

from .. import array_api as _xp
from ..array_api import _base as B

_API_VERSIONS = ("2021.12", "2022.12", "2023.12", "2024.12", "2025.12")
_OPERAND_TYPES = (tf.Tensor, tf.Variable, np.ndarray, np.generic, builtins.bool, int, float, complex)


def _operand(other):
    """The raw value of an operator's other operand, or NotImplemented."""
    if isinstance(other, Array):
        return other._t
    if isinstance(other, _OPERAND_TYPES):
        return other
    return NotImplemented


class Array:
    """A TensorFlow array with the Array API standard's array object API."""

    __slots__ = ("_t",)
    __hash__ = None  # mutable and compared elementwise, like numpy arrays

    def __init__(self, value, /):
        if isinstance(value, Array):
            value = value._t
        if not isinstance(value, tf.Tensor):
            value = _xp.asarray(value) if not isinstance(value, tf.Variable) else tf.convert_to_tensor(value)
        self._t = value

    @classmethod
    def _new(cls, t):
        out = object.__new__(cls)
        out._t = t
        return out

    # ---------------------------------------------------------------- TF integration

    @property
    def tensor(self):
        """The inner tf.Tensor."""
        return self._t

    def __tf_tensor__(self, dtype=None, name=None):
        if dtype is not None and tf.as_dtype(dtype) != self._t.dtype:
            raise ValueError(
                f"Tensor conversion requested dtype {tf.as_dtype(dtype).name} for an Array of "
                f"dtype {self._t.dtype.name}; use xp.astype"
            )
        return self._t

    def __tf_flatten__(self):
        return None, (self._t,)

    @classmethod
    def __tf_unflatten__(cls, metadata, components):
        # tf.function unflattens with TensorSpecs too: store the component as it is.
        return cls._new(components[0])

    def __tf_tracing_type__(self, context):
        # tf.function would take any object with __array__ for a NumPy array (and pass a
        # plain tensor in); this keeps Array arguments Arrays, like __tf_flatten__ intends.
        from tensorflow.core.function.trace_type import custom_nest_trace_type, trace_type_builder

        component = trace_type_builder.from_value(self._t, context)
        return custom_nest_trace_type.CustomNestTraceType(Array, None, (component,))

    def __array__(self, dtype=None, copy=None):
        out = self._t.numpy()
        return out if dtype is None else out.astype(dtype)

    # ---------------------------------------------------------------- attributes

    @property
    def dtype(self):
        return self._t.dtype

    @property
    def shape(self):
        """A tuple; None for dims unknown inside tf.function (None if the rank is unknown)."""
        dims = self._t.shape
        return None if dims.rank is None else tuple(dims.as_list())

    @property
    def ndim(self):
        return self._t.shape.rank

    @property
    def size(self):
        shape = self.shape
        if shape is None or None in shape:
            return None
        n = 1
        for d in shape:
            n *= d
        return n

    @property
    def device(self):
        return self._t.device

    @property
    def T(self):
        if self.ndim != 2:
            raise ValueError(f"x.T expects a 2-d array; received {self.ndim}-d (use x.mT for stacks)")
        return Array._new(tf.transpose(self._t))

    @property
    def mT(self):
        if self.ndim is None or self.ndim < 2:
            raise ValueError(f"x.mT expects an array of at least 2 dimensions; received {self.ndim}-d")
        return Array._new(_xp.matrix_transpose(self._t))

    def to_device(self, device, /, *, stream=None):
        if stream is not None:
            raise ValueError("TensorFlow has no streams: stream must be None")
        with B.device_scope(device):
            return Array._new(tf.identity(self._t))

    def __array_namespace__(self, /, *, api_version=None):
        if api_version is not None and api_version not in _API_VERSIONS:
            raise ValueError(f"api_version must be one of {_API_VERSIONS} or None; received {api_version!r}")
        from .. import compliant

        return compliant

    # ---------------------------------------------------------------- conversion to Python

    def _item(self, what):
        if self.size != 1:
            raise TypeError(f"{what}() needs an array with one element; received shape {self.shape}")
        if not tf.executing_eagerly() or not hasattr(self._t, "numpy"):
            raise TypeError(f"{what}() of a symbolic array inside tf.function; use xp functions instead")
        return self._t.numpy().reshape(()).item()

    def __bool__(self):
        return builtins.bool(self._item("bool"))

    def __complex__(self):
        return complex(self._item("complex"))

    def __float__(self):
        if B.is_complex(self.dtype):
            raise TypeError("float() of a complex array; use complex() or xp.real")
        return float(self._item("float"))

    def __int__(self):
        if B.is_complex(self.dtype):
            raise TypeError("int() of a complex array")
        return int(self._item("int"))

    def __index__(self):
        if not (B.is_int(self.dtype)):
            raise TypeError(f"only integer arrays can be used as an index; received dtype {self.dtype.name}")
        return int(self._item("index"))

    # ---------------------------------------------------------------- DLPack

    def __dlpack_device__(self):
        spec = tf.DeviceSpec.from_string(self._t.device or "/CPU:0")
        if spec.device_type == "GPU":
            return (2, spec.device_index or 0)
        return (1, 0)

    def __dlpack__(self, /, *, stream=None, max_version=None, dl_device=None, copy=None):
        if not tf.executing_eagerly():
            raise BufferError("__dlpack__ of a symbolic array inside tf.function")
        t = self._t
        if dl_device is not None and tuple(dl_device) != self.__dlpack_device__():
            if copy is False:
                raise BufferError(f"dl_device={tuple(dl_device)} needs a copy but copy=False")
            if int(dl_device[0]) != 1:
                raise BufferError(f"can only export to the CPU (1, 0) or {self.__dlpack_device__()}")
            with tf.device("/CPU:0"):
                t = tf.raw_ops.DeepCopy(x=t)
        elif copy:
            t = tf.raw_ops.DeepCopy(x=t)
        # TF exports the unversioned (pre-1.0) capsule, which every consumer accepts.
        return tf.experimental.dlpack.to_dlpack(t)

    # ---------------------------------------------------------------- indexing

    def __getitem__(self, key, /):
        return Array._new(_getitem(self._t, key))

    def __setitem__(self, key, value, /):
        t = self._t
        positions = _getitem(tf.reshape(tf.range(tf.size(t, out_type=tf.int64)), B.shape_list(t)), key)
        value = value._t if isinstance(value, Array) else value
        if B.is_pyscalar(value):
            value = B.convert_scalar(value, t.dtype)
        else:
            value = B.tensor(value, t.dtype)
        try:
            value = tf.broadcast_to(value, tf.shape(positions))
        except (tf.errors.InvalidArgumentError, ValueError) as e:
            raise ValueError(
                f"x[key] = value: value of shape {tuple(value.shape)} does not broadcast to the "
                f"selection's shape {tuple(positions.shape)}"
            ) from e
        flat = tf.tensor_scatter_nd_update(
            tf.reshape(t, [-1]), tf.reshape(positions, [-1, 1]), tf.reshape(value, [-1])
        )
        self._t = tf.reshape(flat, B.shape_list(t))

    # ---------------------------------------------------------------- misc

    def __repr__(self):
        if hasattr(self._t, "numpy") and tf.executing_eagerly():
            body = np.array2string(self._t.numpy(), separator=", ", prefix="Array(")
            return f"Array({body}, dtype={self.dtype.name})"
        return f"Array(<symbolic shape={self.shape} dtype={self.dtype.name}>)"


# -------------------------------------------------------------------- operator table

# dunder name -> plain namespace function; each gets the reflected (__r*__) and in-place
# (__i*__) forms unless listed in _NO_REFLECTED.
_BINARY = {
    "add": _xp.add,
    "sub": _xp.subtract,
    "mul": _xp.multiply,
    "truediv": _xp.divide,
    "floordiv": _xp.floor_divide,
    "mod": _xp.remainder,
    "pow": _xp.pow,
    "matmul": _xp.matmul,
    "and": _xp.bitwise_and,
    "or": _xp.bitwise_or,
    "xor": _xp.bitwise_xor,
    "lshift": _xp.bitwise_left_shift,
    "rshift": _xp.bitwise_right_shift,
}
_COMPARISON = {
    "eq": _xp.equal,
    "ne": _xp.not_equal,
    "lt": _xp.less,
    "le": _xp.less_equal,
    "gt": _xp.greater,
    "ge": _xp.greater_equal,
}
_UNARY = {"neg": _xp.negative, "pos": _xp.positive, "abs": _xp.abs, "invert": _xp.bitwise_invert}


def _binary(fn):
    def op(self, other, /):
        other = _operand(other)
        if other is NotImplemented:
            return other
        return Array._new(fn(self._t, other))

    return op


def _reflected(fn):
    def op(self, other, /):
        other = _operand(other)
        if other is NotImplemented:
            return other
        return Array._new(fn(other, self._t))

    return op


def _inplace(fn, name):
    def op(self, other, /):
        other = _operand(other)
        if other is NotImplemented:
            return other
        out = fn(self._t, other)
        if out.dtype != self._t.dtype:
            raise TypeError(
                f"x {name}= y would change x's dtype from {self._t.dtype.name} to {out.dtype.name}"
            )
        if out.shape.rank != self._t.shape.rank or not out.shape.is_compatible_with(self._t.shape):
            raise ValueError(
                f"x {name}= y would change x's shape from {self.shape} to {tuple(out.shape.as_list())}"
            )
        self._t = out
        return self

    return op


def _unary(fn):
    def op(self, /):
        return Array._new(fn(self._t))

    return op


_SYMBOLS = {"add": "+", "sub": "-", "mul": "*", "truediv": "/", "floordiv": "//", "mod": "%", "pow": "**",
            "matmul": "@", "and": "&", "or": "|", "xor": "^", "lshift": "<<", "rshift": ">>"}

for _name, _fn in _BINARY.items():
    setattr(Array, f"__{_name}__", _binary(_fn))
    setattr(Array, f"__r{_name}__", _reflected(_fn))
    setattr(Array, f"__i{_name}__", _inplace(_fn, _SYMBOLS[_name]))
for _name, _fn in _COMPARISON.items():
    setattr(Array, f"__{_name}__", _binary(_fn))
for _name, _fn in _UNARY.items():
    setattr(Array, f"__{_name}__", _unary(_fn))
for _name in [n for n in vars(Array) if n.startswith("__") and callable(vars(Array)[n])]:
    getattr(Array, _name).__name__ = _name
    getattr(Array, _name).__qualname__ = f"Array.{_name}"
del _name, _fn


# -------------------------------------------------------------------- indexing helpers


def _is_int_tensor(k):
    return isinstance(k, tf.Tensor) and B.is_int(k.dtype)


def _scalar_index(v):
    """A slice bound or a 0-d integer index: a Python int where the value is known,
    else an int64 tensor (TF's strided slice takes int32/int64 only)."""
    if isinstance(v, Array):
        v = v._t
    if isinstance(v, (tf.Tensor, tf.Variable)):
        if not B.is_int(v.dtype) or v.shape.rank != 0:
            raise IndexError(f"slice bounds must be integers; received a {v.dtype.name} array of shape {tuple(v.shape)}")
        return int(v.numpy()) if hasattr(v, "numpy") and tf.executing_eagerly() else tf.cast(v, tf.int64)
    if isinstance(v, np.integer):
        return int(v)
    return v


def _as_index_value(k):
    """Unwrap Arrays; numpy index arrays and numpy integer scalars become tensors / ints."""
    if isinstance(k, slice):
        return slice(_scalar_index(k.start), _scalar_index(k.stop), _scalar_index(k.step))
    if isinstance(k, Array):
        k = k._t
    if isinstance(k, tf.Tensor) and k.shape.rank == 0 and B.is_int(k.dtype):
        return _scalar_index(k)
    if isinstance(k, tf.Tensor):
        return k
    if isinstance(k, tf.Variable):
        return tf.convert_to_tensor(k)
    if isinstance(k, np.ndarray):
        return tf.constant(k)
    if isinstance(k, np.integer):
        return int(k)
    if isinstance(k, np.bool_):
        return builtins.bool(k)
    return k


def _getitem(t, key):
    keys = key if isinstance(key, tuple) else (key,)
    keys = tuple(_as_index_value(k) for k in keys)
    masks = [k for k in keys if isinstance(k, builtins.bool) or (isinstance(k, tf.Tensor) and k.dtype == tf.bool)]
    if masks:
        if len(keys) != 1:
            raise IndexError("a boolean array index must be the sole index")
        return _mask(t, keys[0])
    if any(_is_int_tensor(k) and k.shape.rank != 0 for k in keys):
        return _integer_arrays(t, keys)
    _check_basic(t, keys)
    if B.ndim(t) > _MAX_STRIDED_SLICE_DIMS:
        return _basic_by_axes(t, keys)
    return t[keys if isinstance(key, tuple) else keys[0]]


# TF's CPU strided-slice kernel handles at most 8 dimensions.
_MAX_STRIDED_SLICE_DIMS = 8


def _basic_by_axes(t, keys):
    """Basic indexing one axis at a time (gather / expand_dims), for ranks TF's
    strided slice refuses."""
    n = B.ndim(t)
    consuming = builtins.sum(1 for k in keys if k is not None and k is not Ellipsis)
    fill = [slice(None)] * (n - consuming)
    if Ellipsis in keys:
        i = keys.index(Ellipsis)
        keys = keys[:i] + tuple(fill) + keys[i + 1:]
    else:
        keys = keys + tuple(fill)
    axis = 0
    for k in keys:
        if k is None:
            t = tf.expand_dims(t, axis)
            axis += 1
        elif isinstance(k, slice):
            d = t.shape[axis]
            if k != slice(None):
                if d is None or not builtins.all(isinstance(v, (int, type(None))) for v in (k.start, k.stop, k.step)):
                    raise IndexError(f"slicing an array of more than {_MAX_STRIDED_SLICE_DIMS} dims needs static sizes and bounds")
                t = tf.gather(t, list(range(*k.indices(d))), axis=axis)
            axis += 1
        else:  # an integer (Python or 0-d tensor)
            if isinstance(k, tf.Tensor):
                k = tf.cast(k, tf.int64)
                k = tf.where(k < 0, k + tf.cast(B.dim(t, axis), tf.int64), k)
            elif k < 0:
                k = k + B.dim(t, axis)
            t = tf.gather(t, k, axis=axis)
    return t


def _mask(t, mask):
    mask = tf.constant(mask) if isinstance(mask, builtins.bool) else mask
    k = mask.shape.rank
    if k == 0:
        return tf.boolean_mask(t[tf.newaxis], mask[tf.newaxis])
    if k <= (t.shape.rank or 0) and 0 in mask.shape.as_list() and builtins.all(
        m in (0, d) for m, d in zip(mask.shape.as_list(), t.shape.as_list())
    ):
        # an empty mask selects nothing (array-api-tests accepts a 0 against any size)
        return tf.zeros([0] + B.shape_list(t)[k:], t.dtype)
    if k > t.shape.rank or not mask.shape.is_compatible_with(t.shape[:k]):
        raise IndexError(
            f"boolean index of shape {tuple(mask.shape.as_list())} does not match the indexed "
            f"array's leading dims {tuple(t.shape.as_list()[:k])}"
        )
    return tf.boolean_mask(t, mask)


def _check_basic(t, keys):
    n = B.ndim(t)
    if builtins.sum(k is Ellipsis for k in keys) > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    for k in keys:
        ok = k is None or k is Ellipsis or isinstance(k, (int, slice)) or (isinstance(k, tf.Tensor) and k.shape.rank == 0 and B.is_int(k.dtype))
        if not ok:
            raise IndexError(
                f"only integers, slices, ..., None, integer arrays and boolean arrays are valid "
                f"indices; received {type(k).__name__}"
            )
    consuming = [k for k in keys if k is not None and k is not Ellipsis]
    if len(consuming) > n:
        raise IndexError(f"too many indices: {len(consuming)} for an array of {n} dimensions")
    # bounds of Python ints, where the dimension is static
    try:
        split = keys.index(Ellipsis)
    except ValueError:
        split = len(keys)
    dims = t.shape.as_list()
    head = [k for k in keys[:split] if k is not None]
    tail = [k for k in keys[split + 1:] if k is not None]
    for k, d in list(zip(head, dims)) + list(zip(tail, dims[n - len(tail):])):
        if isinstance(k, int) and not isinstance(k, builtins.bool) and d is not None and not -d <= k < d:
            raise IndexError(f"index {k} is out of bounds for a dimension of size {d}")


def _integer_arrays(t, keys):
    """Integer-array indexing with integers and integer arrays only (one index per
    leading dimension); the remaining dimensions are kept."""
    if builtins.any(not (isinstance(k, int) or _is_int_tensor(k)) for k in keys):
        raise IndexError(
            "integer-array indexing supports integers and integer arrays only (no slices, "
            "None or ... beside them)"
        )
    n = B.ndim(t)
    if len(keys) > n:
        raise IndexError(f"too many indices: {len(keys)} for an array of {n} dimensions")
    idx = []
    for i, k in enumerate(keys):
        k = tf.cast(k, tf.int64) if isinstance(k, tf.Tensor) else tf.constant(k, tf.int64)
        d = tf.cast(B.dim(t, i), tf.int64)
        idx.append(tf.where(k < 0, k + d, k))
    idx = _xp.broadcast_arrays(*idx)
    return tf.gather_nd(t, tf.stack(idx, axis=-1))
