"""Pooling layers, written once: MaxPooling1D/2D/3D and AveragePooling1D/2D/3D (through
``unikeras.nn_ops.max_pool`` / ``average_pool``), GlobalMaxPooling1D/2D/3D and
GlobalAveragePooling1D/2D/3D (Array API reductions; GlobalAveragePooling1D takes a
mask)."""

from __future__ import annotations

from .. import nn_ops
from ..utils.serialization import register
from ..xp import namespace
from .input_spec import InputSpec
from .layer import Layer
from ._arguments import (ShapeSpecMixin, _who, normalize_data_format, normalize_padding,
                         normalize_tuple)


def pooled_length(size, pool, stride, padding):
    """Output length of a pooling window along one axis (None stays None)."""
    if size is None:
        return None
    if padding == "same":
        return (size + stride - 1) // stride
    return max(0, (size - pool) // stride + 1)


# ---------------------------------------------------------------------------- windowed
class _Pooling(ShapeSpecMixin, Layer):
    _rank = 1
    _op = None  # "max_pool" / "average_pool"

    def __init__(self, pool_size, strides=None, padding="valid", data_format=None, name=None,
                 **kwargs):
        super().__init__(name=name, **kwargs)
        who = _who(self)
        self.pool_size = normalize_tuple(pool_size, self._rank, "pool_size", who)
        strides = self.pool_size if strides is None else strides
        self.strides = normalize_tuple(strides, self._rank, "strides", who)
        self.padding = normalize_padding(padding, ("valid", "same"), who)
        self.data_format = normalize_data_format(data_format, who)
        self.input_spec = InputSpec(ndim=self._rank + 2)

    def _spatial(self, shape):
        return (list(range(2, len(shape))) if self.data_format == "channels_first"
                else list(range(1, len(shape) - 1)))

    def _check(self, shape):
        if self.padding != "valid":
            return
        for axis, p in zip(self._spatial(shape), self.pool_size):
            if shape[axis] is not None and shape[axis] < p:
                raise ValueError(
                    f"{_who(self)}: with padding='valid' every spatial dimension must be at "
                    f"least pool_size={self.pool_size}; received input shape {tuple(shape)}")

    def call(self, inputs):
        self._check(tuple(inputs.shape))
        op = getattr(nn_ops, self._op)
        return op(inputs, self.pool_size, strides=self.strides, padding=self.padding,
                  data_format=self.data_format)

    def compute_output_shape(self, input_shape):
        self._check(tuple(input_shape))
        out = list(input_shape)
        for axis, p, s in zip(self._spatial(out), self.pool_size, self.strides):
            out[axis] = pooled_length(out[axis], p, s, self.padding)
        return tuple(out)

    def get_config(self):
        config = super().get_config()
        config.update({"pool_size": self.pool_size, "padding": self.padding,
                       "strides": self.strides, "data_format": self.data_format})
        return config


_REQUIRED = object()


def _pool_class(name, rank, op, default_pool, doc):
    # Keras 3: MaxPooling has a default pool_size, AveragePooling requires one.
    def __init__(self, pool_size=default_pool, strides=None, padding="valid", data_format=None,
                 name=None, **kwargs):
        if pool_size is _REQUIRED:
            raise TypeError(f"{type(self).__name__}.__init__() missing 1 required argument: "
                            "'pool_size'")
        _Pooling.__init__(self, pool_size, strides=strides, padding=padding,
                          data_format=data_format, name=name, **kwargs)

    cls = type(name, (_Pooling,), {"_rank": rank, "_op": op, "__init__": __init__,
                                   "__doc__": doc, "__module__": __name__})
    return register(cls)


MaxPooling1D = _pool_class(
    "MaxPooling1D", 1, "max_pool", 2,
    "``MaxPooling1D(pool_size=2, strides=None, padding='valid', data_format=None)``: "
    "maximum over windows of the steps axis (strides default to pool_size).")
MaxPooling2D = _pool_class(
    "MaxPooling2D", 2, "max_pool", (2, 2),
    "``MaxPooling2D(pool_size=(2, 2), strides=None, padding='valid', data_format=None)``.")
MaxPooling3D = _pool_class(
    "MaxPooling3D", 3, "max_pool", (2, 2, 2),
    "``MaxPooling3D(pool_size=(2, 2, 2), strides=None, padding='valid', data_format=None)``.")
AveragePooling1D = _pool_class(
    "AveragePooling1D", 1, "average_pool", _REQUIRED,
    "``AveragePooling1D(pool_size, strides=None, padding='valid', data_format=None)``: "
    "mean over windows; with padding='same' the padded positions are not counted.")
AveragePooling2D = _pool_class(
    "AveragePooling2D", 2, "average_pool", _REQUIRED,
    "``AveragePooling2D(pool_size, strides=None, padding='valid', "
    "data_format=None)``.")
AveragePooling3D = _pool_class(
    "AveragePooling3D", 3, "average_pool", _REQUIRED,
    "``AveragePooling3D(pool_size, strides=None, padding='valid', "
    "data_format=None)``.")


# ---------------------------------------------------------------------------- global
class _GlobalPooling(ShapeSpecMixin, Layer):
    _rank = 1
    _reduce = "mean"

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        self.data_format = normalize_data_format(data_format, _who(self))
        self.keepdims = bool(keepdims)
        self.input_spec = InputSpec(ndim=self._rank + 2)

    def _axes(self, ndim):
        return (tuple(range(2, ndim)) if self.data_format == "channels_first"
                else tuple(range(1, ndim - 1)))

    def call(self, inputs):
        xp = namespace(inputs)
        fn = xp.max if self._reduce == "max" else xp.mean
        return fn(inputs, axis=self._axes(inputs.ndim), keepdims=self.keepdims)

    def compute_output_shape(self, input_shape):
        n = len(input_shape) - 2
        if self.data_format == "channels_last":
            c = input_shape[-1]
            return (input_shape[0],) + (1,) * n + (c,) if self.keepdims else (input_shape[0], c)
        c = input_shape[1]
        return (input_shape[0], c) + (1,) * n if self.keepdims else (input_shape[0], c)

    def get_config(self):
        config = super().get_config()
        config.update({"data_format": self.data_format, "keepdims": self.keepdims})
        return config


@register
class GlobalAveragePooling1D(_GlobalPooling):
    """``GlobalAveragePooling1D(data_format=None, keepdims=False)``: mean over the steps
    axis; with a mask (batch, steps), the mean over the unmasked steps."""

    _rank = 1

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(data_format, keepdims, **kwargs)
        self.supports_masking = True

    def call(self, inputs, mask=None):
        if mask is None:
            return super().call(inputs)
        xp = namespace(inputs)
        steps = 1 if self.data_format == "channels_last" else 2
        if tuple(mask.shape) != (inputs.shape[0], inputs.shape[steps]):
            raise ValueError(f"{_who(self)}: expected a mask of shape (batch, steps) = "
                             f"{(inputs.shape[0], inputs.shape[steps])}; received mask of "
                             f"shape {tuple(mask.shape)}")
        m = xp.expand_dims(xp.astype(mask, xp.bool), axis=2 if steps == 1 else 1)
        x = xp.where(m, inputs, xp.zeros_like(inputs))
        count = xp.sum(xp.astype(m, inputs.dtype), axis=steps, keepdims=self.keepdims)
        return xp.sum(x, axis=steps, keepdims=self.keepdims) / count

    def compute_mask(self, inputs, mask=None):
        return None


@register
class GlobalAveragePooling2D(_GlobalPooling):
    """``GlobalAveragePooling2D(data_format=None, keepdims=False)``."""

    _rank = 2


@register
class GlobalAveragePooling3D(_GlobalPooling):
    """``GlobalAveragePooling3D(data_format=None, keepdims=False)``."""

    _rank = 3


@register
class GlobalMaxPooling1D(_GlobalPooling):
    """``GlobalMaxPooling1D(data_format=None, keepdims=False)``: max over the steps axis."""

    _rank = 1
    _reduce = "max"


@register
class GlobalMaxPooling2D(_GlobalPooling):
    """``GlobalMaxPooling2D(data_format=None, keepdims=False)``."""

    _rank = 2
    _reduce = "max"


@register
class GlobalMaxPooling3D(_GlobalPooling):
    """``GlobalMaxPooling3D(data_format=None, keepdims=False)``."""

    _rank = 3
    _reduce = "max"


# Keras aliases
MaxPool1D, MaxPool2D, MaxPool3D = MaxPooling1D, MaxPooling2D, MaxPooling3D
AvgPool1D, AvgPool2D, AvgPool3D = AveragePooling1D, AveragePooling2D, AveragePooling3D
GlobalAvgPool1D, GlobalAvgPool2D, GlobalAvgPool3D = (
    GlobalAveragePooling1D, GlobalAveragePooling2D, GlobalAveragePooling3D)
GlobalMaxPool1D, GlobalMaxPool2D, GlobalMaxPool3D = (
    GlobalMaxPooling1D, GlobalMaxPooling2D, GlobalMaxPooling3D)


# ---------------------------------------------------------------------------- adaptive
class _AdaptivePooling(ShapeSpecMixin, Layer):
    """Pooling to a fixed spatial ``output_size`` whatever the input size (window i
    covers ``floor(i * L / out)`` to ``ceil((i + 1) * L / out)``), through
    ``ops.adaptive_average_pool`` / ``ops.adaptive_max_pool``."""

    _rank = 1
    _op = "adaptive_average_pool"

    def __init__(self, output_size, data_format=None, **kwargs):
        rank = self._rank
        if isinstance(output_size, int) and not isinstance(output_size, bool):
            size = (output_size,) * rank
        elif isinstance(output_size, (tuple, list)) and len(output_size) == rank:
            size = tuple(output_size)
        else:
            names = {1: "an integer or (length,) tuple", 2: "an integer or (height, width) "
                     "tuple", 3: "an integer or (depth, height, width) tuple"}[rank]
            raise TypeError(f"`output_size` must be {names}. Received: {output_size} of type "
                            f"{type(output_size)}")
        super().__init__(**kwargs)
        self.output_size = size
        self.data_format = normalize_data_format(data_format, _who(self))
        self.input_spec = InputSpec(ndim=rank + 2)

    def call(self, inputs):
        from .. import ops

        return getattr(ops, self._op)(inputs, output_size=self.output_size,
                                      data_format=self.data_format)

    def compute_output_shape(self, input_shape):
        if self.data_format == "channels_last":
            return (input_shape[0], *self.output_size, input_shape[-1])
        return (input_shape[0], input_shape[1], *self.output_size)

    def get_config(self):
        config = super().get_config()
        config.update({"output_size": self.output_size, "data_format": self.data_format})
        return config


def _adaptive_class(name, rank, op):
    kind = "average" if "average" in op else "max"
    cls = type(name, (_AdaptivePooling,), {
        "_rank": rank, "_op": op, "__module__": __name__,
        "__doc__": (f"Keras' ``{name}(output_size, data_format=None)``: adaptive {kind} "
                    f"pooling of {rank}-D spatial data to ``output_size`` (an int or "
                    f"{rank} ints).")})
    return register(cls)


AdaptiveAveragePooling1D = _adaptive_class("AdaptiveAveragePooling1D", 1, "adaptive_average_pool")
AdaptiveAveragePooling2D = _adaptive_class("AdaptiveAveragePooling2D", 2, "adaptive_average_pool")
AdaptiveAveragePooling3D = _adaptive_class("AdaptiveAveragePooling3D", 3, "adaptive_average_pool")
AdaptiveMaxPooling1D = _adaptive_class("AdaptiveMaxPooling1D", 1, "adaptive_max_pool")
AdaptiveMaxPooling2D = _adaptive_class("AdaptiveMaxPooling2D", 2, "adaptive_max_pool")
AdaptiveMaxPooling3D = _adaptive_class("AdaptiveMaxPooling3D", 3, "adaptive_max_pool")
