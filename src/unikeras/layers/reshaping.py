"""Reshaping layers, written once against the Array API standard: Flatten, Reshape,
Permute, RepeatVector, ZeroPadding1D/2D/3D, Cropping1D/2D/3D, UpSampling1D/2D/3D.
(Their argument helpers, shared with convolution and pooling, are in ``_arguments.py``.)
"""

from __future__ import annotations

import math

from ..utils.serialization import register
from ..xp import namespace
from ._arguments import (
    ShapeSpecMixin, _pad_axes, _pairs, _spatial_axes, _who, normalize_data_format,
    normalize_tuple,
)
from .input_spec import InputSpec
from .layer import Layer


def _repeat_along(x, axis: int, n: int, xp):
    """Repeat each element ``n`` times along ``axis`` (``np.repeat`` with a scalar)."""
    if n == 1:
        return x
    shape = tuple(x.shape)
    y = xp.expand_dims(x, axis=axis + 1)
    y = xp.broadcast_to(y, shape[:axis + 1] + (n,) + shape[axis + 1:])
    return xp.reshape(y, shape[:axis] + (_mul(shape[axis], n),) + shape[axis + 1:])


def _mul(d, n):
    return None if d is None else d * n


def _bilinear_along(x, axis: int, n: int, xp):
    """Upsample by the integer factor ``n`` along ``axis`` with linear interpolation,
    half-pixel centers and edge clamping (``tf.image.resize`` / ``jax.image.resize``
    "bilinear" for integer upscaling). Output ``o = i*n + k`` samples the input at
    ``i + d_k`` with ``d_k = (k + 0.5) / n - 0.5``, so it mixes ``x[i]`` with the
    previous (``d_k < 0``) or next (``d_k > 0``) element, clamped at the ends."""
    if n == 1:
        return x
    size = x.shape[axis]

    def sl(a, b):
        idx = [slice(None)] * x.ndim
        idx[axis] = slice(a, b)
        return x[tuple(idx)]

    if size > 1:
        prev = xp.concat([sl(0, 1), sl(0, size - 1)], axis=axis)
        nxt = xp.concat([sl(1, size), sl(size - 1, size)], axis=axis)
    else:
        prev = nxt = x
    parts = []
    for k in range(n):
        d = (k + 0.5) / n - 0.5
        if d < 0:
            parts.append(x * (1.0 + d) + prev * (-d))
        elif d > 0:
            parts.append(x * (1.0 - d) + nxt * d)
        else:
            parts.append(x)
    y = xp.stack(parts, axis=axis + 1)
    shape = tuple(x.shape)
    return xp.reshape(y, shape[:axis] + (size * n,) + shape[axis + 1:])


# ---------------------------------------------------------------------------- Flatten
@register
class Flatten(ShapeSpecMixin, Layer):
    """``Flatten(data_format=None)``: flattens all but the batch axis. With
    ``channels_first`` the channel axis is moved last first, so the result matches a
    ``channels_last`` model's Flatten."""

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = normalize_data_format(data_format, f"Flatten layer {self.name!r}")
        self.input_spec = InputSpec(min_ndim=1)

    def call(self, inputs):
        xp = namespace(inputs)
        ndim = inputs.ndim
        if self.data_format == "channels_first" and ndim > 2:
            inputs = xp.permute_dims(inputs, (0, *range(2, ndim), 1))
        rest = tuple(inputs.shape[1:])
        batch = inputs.shape[0]
        if any(d is None for d in rest):
            return xp.reshape(inputs, (-1 if batch is None else batch, -1))
        flat = math.prod(rest)
        return xp.reshape(inputs, (-1 if batch is None else batch, flat))

    def compute_output_shape(self, input_shape):
        rest = tuple(input_shape[1:])
        flat = None if any(d is None for d in rest) else math.prod(rest)
        return (input_shape[0], flat)

    def get_config(self):
        config = super().get_config()
        config["data_format"] = self.data_format
        return config


# ---------------------------------------------------------------------------- Reshape
def _resolve_target(in_dims, target, who):
    """``target`` (with at most one -1) resolved against the non-batch input dims."""
    unknown = [i for i, d in enumerate(target) if d == -1]
    if len(unknown) > 1:
        raise ValueError(f"{who}: target_shape can have at most one -1; received {target}")
    if any(d is None for d in in_dims):
        return tuple(None if d == -1 else d for d in target)
    total = math.prod(in_dims)
    known = math.prod(d for d in target if d != -1)
    if unknown:
        if known == 0 or total % known:
            raise ValueError(f"{who}: cannot reshape input of non-batch shape {tuple(in_dims)} "
                             f"({total} values) into target_shape {tuple(target)}")
        out = list(target)
        out[unknown[0]] = total // known
        return tuple(out)
    if known != total:
        raise ValueError(f"{who}: total size of the new array must be unchanged: input "
                         f"non-batch shape {tuple(in_dims)} has {total} values, "
                         f"target_shape {tuple(target)} has {known}")
    return tuple(target)


@register
class Reshape(ShapeSpecMixin, Layer):
    """``Reshape(target_shape)``: reshape the non-batch axes; one entry may be -1."""

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        try:
            target = tuple(int(d) for d in target_shape)
        except (TypeError, ValueError):
            raise ValueError(f"Reshape layer {self.name!r}: target_shape must be a tuple of "
                             f"ints; received target_shape={target_shape!r}") from None
        if any(d < -1 or d == 0 for d in target) or sum(d == -1 for d in target) > 1:
            raise ValueError(f"Reshape layer {self.name!r}: target_shape entries must be "
                             f"positive, with at most one -1; received {target_shape!r}")
        self.target_shape = target
        self.built = True

    def call(self, inputs):
        xp = namespace(inputs)
        target = _resolve_target(tuple(inputs.shape[1:]), self.target_shape, _who(self))
        batch = inputs.shape[0]
        if batch is None or any(d is None for d in target):
            if batch is not None:
                return xp.reshape(inputs, (batch,) + tuple(-1 if d is None else d for d in target))
            return xp.reshape(inputs, (-1,) + target)
        return xp.reshape(inputs, (batch,) + target)

    def compute_output_shape(self, input_shape):
        return (input_shape[0],) + _resolve_target(tuple(input_shape[1:]), self.target_shape,
                                                   _who(self))

    def get_config(self):
        config = super().get_config()
        config["target_shape"] = self.target_shape
        return config


# ---------------------------------------------------------------------------- Permute
@register
class Permute(ShapeSpecMixin, Layer):
    """``Permute(dims)``: permute the non-batch axes; ``dims`` is 1-indexed, e.g.
    ``(2, 1)`` swaps the first two non-batch axes."""

    def __init__(self, dims, **kwargs):
        super().__init__(**kwargs)
        self.dims = tuple(dims)
        if sorted(self.dims) != list(range(1, len(self.dims) + 1)):
            raise ValueError(f"Permute layer {self.name!r}: invalid permutation dims="
                             f"{dims!r}; the set of indices in dims must be consecutive and "
                             f"start from 1.")
        self.input_spec = InputSpec(ndim=len(self.dims) + 1)

    def call(self, inputs):
        xp = namespace(inputs)
        return xp.permute_dims(inputs, (0,) + self.dims)

    def compute_output_shape(self, input_shape):
        return (input_shape[0],) + tuple(input_shape[d] for d in self.dims)

    def get_config(self):
        config = super().get_config()
        config["dims"] = self.dims
        return config


# ---------------------------------------------------------------------------- RepeatVector
@register
class RepeatVector(ShapeSpecMixin, Layer):
    """``RepeatVector(n)``: (batch, features) -> (batch, n, features)."""

    def __init__(self, n, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(n, int) or isinstance(n, bool):
            raise TypeError(f"RepeatVector layer {self.name!r}: n must be an int; received "
                            f"n={n!r} of type {type(n).__name__}")
        if n <= 0:
            raise ValueError(f"RepeatVector layer {self.name!r}: n must be positive; received "
                             f"n={n}")
        self.n = n
        self.input_spec = InputSpec(ndim=2)

    def call(self, inputs):
        xp = namespace(inputs)
        b, f = inputs.shape
        return xp.broadcast_to(xp.expand_dims(inputs, axis=1), (b, self.n, f))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.n, input_shape[1])

    def get_config(self):
        config = super().get_config()
        config["n"] = self.n
        return config


# ---------------------------------------------------------------------------- ZeroPadding
class _ZeroPadding(ShapeSpecMixin, Layer):
    _rank = 1

    def __init__(self, padding, data_format=None, **kwargs):
        super().__init__(**kwargs)
        who = _who(self)
        self.data_format = normalize_data_format(data_format, who)
        self.padding = self._parse(padding, who)
        self.input_spec = InputSpec(ndim=self._rank + 2)

    def _parse(self, padding, who):
        return _pairs(padding, self._rank, "padding", who)

    def call(self, inputs):
        xp = namespace(inputs)
        return _pad_axes(inputs, self.padding, _spatial_axes(inputs.ndim, self.data_format), xp)

    def compute_output_shape(self, input_shape):
        out = list(input_shape)
        for (lo, hi), axis in zip(self.padding, _spatial_axes(len(out), self.data_format)):
            if out[axis] is not None:
                out[axis] = out[axis] + lo + hi
        return tuple(out)

    def get_config(self):
        config = super().get_config()
        config.update({"padding": self._config_padding(), "data_format": self.data_format})
        return config

    def _config_padding(self):
        return self.padding


@register
class ZeroPadding1D(_ZeroPadding):
    """``ZeroPadding1D(padding=1, data_format=None)``: zeros at both ends of the steps
    axis; ``padding`` an int or ``(left, right)``."""

    _rank = 1

    def __init__(self, padding=1, data_format=None, **kwargs):
        super().__init__(padding, data_format, **kwargs)

    def _parse(self, padding, who):
        return (normalize_tuple(padding, 2, "padding", who, allow_zero=True),)

    def _config_padding(self):
        return self.padding[0]


@register
class ZeroPadding2D(_ZeroPadding):
    """``ZeroPadding2D(padding=(1, 1), data_format=None)``: ``padding`` an int,
    ``(sym_h, sym_w)`` or ``((top, bottom), (left, right))``."""

    _rank = 2

    def __init__(self, padding=(1, 1), data_format=None, **kwargs):
        super().__init__(padding, data_format, **kwargs)


@register
class ZeroPadding3D(_ZeroPadding):
    """``ZeroPadding3D(padding=((1, 1), (1, 1), (1, 1)), data_format=None)``."""

    _rank = 3

    def __init__(self, padding=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(padding, data_format, **kwargs)


# ---------------------------------------------------------------------------- Cropping
class _Cropping(ShapeSpecMixin, Layer):
    _rank = 1

    def __init__(self, cropping, data_format=None, **kwargs):
        super().__init__(**kwargs)
        who = _who(self)
        self.data_format = normalize_data_format(data_format, who)
        self.cropping = self._parse(cropping, who)
        self.input_spec = InputSpec(ndim=self._rank + 2)

    def _parse(self, cropping, who):
        return _pairs(cropping, self._rank, "cropping", who)

    def _check(self, shape):
        for (lo, hi), axis in zip(self.cropping, _spatial_axes(len(shape), self.data_format)):
            d = shape[axis]
            if d is not None and lo + hi >= d:
                raise ValueError(
                    f"{_who(self)}: cropping {self._config_cropping()} is too large for input "
                    f"shape {tuple(shape)}: it would leave axis {axis} (size {d}) empty")

    def call(self, inputs):
        shape = tuple(inputs.shape)
        self._check(shape)
        idx = [slice(None)] * len(shape)
        for (lo, hi), axis in zip(self.cropping, _spatial_axes(len(shape), self.data_format)):
            idx[axis] = slice(lo, shape[axis] - hi)
        return inputs[tuple(idx)]

    def compute_output_shape(self, input_shape):
        self._check(input_shape)
        out = list(input_shape)
        for (lo, hi), axis in zip(self.cropping, _spatial_axes(len(out), self.data_format)):
            if out[axis] is not None:
                out[axis] = out[axis] - lo - hi
        return tuple(out)

    def get_config(self):
        config = super().get_config()
        config.update({"cropping": self._config_cropping(), "data_format": self.data_format})
        return config

    def _config_cropping(self):
        return self.cropping


@register
class Cropping1D(_Cropping):
    """``Cropping1D(cropping=(1, 1))``: crop the steps axis of (batch, steps, features)."""

    _rank = 1

    def __init__(self, cropping=(1, 1), **kwargs):
        super().__init__(cropping, "channels_last", **kwargs)

    def _parse(self, cropping, who):
        return (normalize_tuple(cropping, 2, "cropping", who, allow_zero=True),)

    def _config_cropping(self):
        return self.cropping[0]

    def get_config(self):
        config = super().get_config()
        config.pop("data_format")
        return config


@register
class Cropping2D(_Cropping):
    """``Cropping2D(cropping=((0, 0), (0, 0)), data_format=None)``."""

    _rank = 2

    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, **kwargs):
        super().__init__(cropping, data_format, **kwargs)


@register
class Cropping3D(_Cropping):
    """``Cropping3D(cropping=((1, 1), (1, 1), (1, 1)), data_format=None)``."""

    _rank = 3

    def __init__(self, cropping=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(cropping, data_format, **kwargs)


# ---------------------------------------------------------------------------- UpSampling
class _UpSampling(ShapeSpecMixin, Layer):
    _rank = 1

    def __init__(self, size, data_format=None, **kwargs):
        super().__init__(**kwargs)
        who = _who(self)
        self.data_format = normalize_data_format(data_format, who)
        self.size = normalize_tuple(size, self._rank, "size", who)
        self.input_spec = InputSpec(ndim=self._rank + 2)
        self.interpolation = "nearest"

    def call(self, inputs):
        xp = namespace(inputs)
        x = inputs
        along = _bilinear_along if self.interpolation == "bilinear" else _repeat_along
        for n, axis in zip(self.size, _spatial_axes(inputs.ndim, self.data_format)):
            x = along(x, axis, n, xp)
        return x

    def compute_output_shape(self, input_shape):
        out = list(input_shape)
        for n, axis in zip(self.size, _spatial_axes(len(out), self.data_format)):
            out[axis] = _mul(out[axis], n)
        return tuple(out)

    def get_config(self):
        config = super().get_config()
        config.update({"size": self.size, "data_format": self.data_format})
        return config


@register
class UpSampling1D(_UpSampling):
    """``UpSampling1D(size=2)``: repeat each step ``size`` times."""

    _rank = 1

    def __init__(self, size=2, **kwargs):
        super().__init__(size, "channels_last", **kwargs)

    def get_config(self):
        config = super().get_config()
        config.pop("data_format")
        config["size"] = self.size[0]
        return config


@register
class UpSampling2D(_UpSampling):
    """``UpSampling2D(size=(2, 2), data_format=None, interpolation="nearest")``:
    "nearest" repeats rows and columns; "bilinear" interpolates with half-pixel centers
    (as Keras' ``ops.image.resize``)."""

    _rank = 2

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", **kwargs):
        super().__init__(size, data_format, **kwargs)
        interp = str(interpolation).lower()
        if interp not in ("nearest", "bilinear"):
            raise ValueError(f"{_who(self)}: interpolation must be 'nearest' or 'bilinear'; "
                             f"received interpolation={interpolation!r}")
        self.interpolation = interp

    def get_config(self):
        config = super().get_config()
        config["interpolation"] = self.interpolation
        return config


@register
class UpSampling3D(_UpSampling):
    """``UpSampling3D(size=(2, 2, 2), data_format=None)``: nearest-neighbour repeat."""

    _rank = 3

    def __init__(self, size=(2, 2, 2), data_format=None, **kwargs):
        super().__init__(size, data_format, **kwargs)
