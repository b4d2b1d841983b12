"""Argument helpers shared by the convolution, pooling and reshaping layers: Keras'
``data_format`` / ``padding`` / int-or-tuple arguments with errors naming the layer and
the argument, padding specs, and ``ShapeSpecMixin`` (symbolic calls get their output spec
from ``compute_output_shape`` instead of running the layer on zeros)."""

from __future__ import annotations

from ..config import image_data_format
from ..xp import namespace

__all__ = ["normalize_data_format", "normalize_tuple", "normalize_padding", "ShapeSpecMixin",
           "numeric_input"]


def numeric_input(x, kernel):
    """An integer or bool input of a weight layer (Dense, EinsumDense, convolutions) in
    the kernel's dtype: Keras' ops promote ``uint8`` images against a float kernel, the
    frameworks' raw matmul/conv do not (TF has no uint8 MatMul). One dtype comparison
    when the dtypes agree."""
    if x.dtype == kernel.dtype:
        return x
    xp = namespace(x)
    if xp.isdtype(x.dtype, ("integral", "bool")):
        return xp.astype(x, kernel.dtype)
    return x


def normalize_data_format(value, who: str) -> str:
    if value is None:
        return image_data_format()
    v = str(value).lower()
    if v not in ("channels_last", "channels_first"):
        raise ValueError(f"{who}: data_format must be 'channels_last' or 'channels_first'; "
                         f"received data_format={value!r}")
    return v


def normalize_tuple(value, n: int, arg: str, who: str, allow_zero: bool = False) -> tuple:
    """An int or an iterable of ``n`` ints as a tuple of ``n`` ints (Keras'
    ``standardize_tuple``), with an error naming the layer and argument."""
    if isinstance(value, int) and not isinstance(value, bool):
        out = (value,) * n
    else:
        try:
            out = tuple(value)
        except TypeError:
            raise ValueError(f"{who}: `{arg}` must be an int or a tuple of {n} ints; "
                             f"received {arg}={value!r}") from None
        if len(out) != n or not all(isinstance(v, int) and not isinstance(v, bool) for v in out):
            raise ValueError(f"{who}: `{arg}` must be an int or a tuple of {n} ints; "
                             f"received {arg}={value!r}")
    bad = [v for v in out if (v < 0 if allow_zero else v <= 0)]
    if bad:
        need = "non-negative" if allow_zero else "positive"
        raise ValueError(f"{who}: `{arg}` values must be {need}; received {arg}={value!r}")
    return out


def normalize_padding(value, allowed, who: str) -> str:
    v = str(value).lower()
    if v not in allowed:
        raise ValueError(f"{who}: padding must be one of {list(allowed)}; received "
                         f"padding={value!r}")
    return v


def _pairs(value, n: int, arg: str, who: str) -> tuple:
    """Keras' padding/cropping spec: int, tuple of n ints (symmetric) or tuple of n pairs."""
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 0:
            raise ValueError(f"{who}: `{arg}` must be non-negative; received {arg}={value!r}")
        return ((value, value),) * n
    try:
        items = tuple(value)
    except TypeError:
        items = None
    if items is None or len(items) != n:
        raise ValueError(f"{who}: `{arg}` must be an int, a tuple of {n} ints or a tuple of "
                         f"{n} tuples of 2 ints; received {arg}={value!r}")
    out = []
    for item in items:
        if isinstance(item, int) and not isinstance(item, bool):
            out.append((item, item))
        else:
            out.append(normalize_tuple(item, 2, arg, who, allow_zero=True))
    if any(v < 0 for p in out for v in p):
        raise ValueError(f"{who}: `{arg}` must be non-negative; received {arg}={value!r}")
    return tuple(out)


def _who(layer) -> str:
    return f'{type(layer).__name__} layer "{layer.name}"'


class ShapeSpecMixin:
    """Symbolic output spec from ``compute_output_shape`` (no run on zeros). The output
    dtype is the input's (``_spec_dtype = "input"``) or the compute dtype."""

    _spec_dtype = "input"

    def compute_output_spec(self, inputs, *args, **kwargs):
        from .symbolic import KerasTensor

        dtype = inputs.dtype if self._spec_dtype == "input" else self.compute_dtype
        return KerasTensor(self.compute_output_shape(tuple(inputs.shape)), dtype=dtype)


def _spatial_axes(ndim: int, data_format: str) -> list[int]:
    return list(range(2, ndim)) if data_format == "channels_first" else list(range(1, ndim - 1))


def _zeros_along(x, axis: int, width: int, xp):
    """Zeros like ``x`` but of size ``width`` along ``axis`` (same dtype and device)."""
    shape = list(x.shape)
    idx = [slice(None)] * x.ndim
    idx[axis] = slice(0, 1)
    z = xp.zeros_like(x[tuple(idx)])
    shape[axis] = width
    return xp.broadcast_to(z, tuple(shape))


def _pad_axes(x, pads, axes, xp):
    for (lo, hi), axis in zip(pads, axes):
        if lo == 0 and hi == 0:
            continue
        if x.shape[axis] == 0:
            raise ValueError(f"ZeroPadding: cannot pad an empty axis {axis} of shape {x.shape}")
        parts = []
        if lo:
            parts.append(_zeros_along(x, axis, lo, xp))
        parts.append(x)
        if hi:
            parts.append(_zeros_along(x, axis, hi, xp))
        x = xp.concat(parts, axis=axis)
    return x
