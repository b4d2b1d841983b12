"""InputSpec and the input checks that give Keras-level error messages."""

from __future__ import annotations


class InputSpec:
    """Keras' ``InputSpec(dtype=None, shape=None, ndim=None, max_ndim=None,
    min_ndim=None, axes=None, allow_last_axis_squeeze=False, name=None)``."""

    def __init__(self, dtype=None, shape=None, ndim=None, max_ndim=None, min_ndim=None,
                 axes=None, allow_last_axis_squeeze=False, name=None, optional=False):
        self.dtype = dtype
        self.shape = None if shape is None else tuple(shape)
        self.ndim = len(self.shape) if self.shape is not None else ndim
        self.max_ndim = max_ndim
        self.min_ndim = min_ndim
        self.axes = {int(k): v for k, v in (axes or {}).items()}
        self.allow_last_axis_squeeze = allow_last_axis_squeeze
        self.name = name
        self.optional = optional

    def __repr__(self):
        parts = [f"{k}={v}" for k, v in (("dtype", self.dtype), ("shape", self.shape),
                 ("ndim", self.ndim), ("max_ndim", self.max_ndim), ("min_ndim", self.min_ndim),
                 ("axes", self.axes or None)) if v is not None]
        return f"InputSpec({', '.join(parts)})"


class _Who:
    __slots__ = ("layer", "index")

    def __init__(self, layer, index):
        self.layer, self.index = layer, index

    def __format__(self, spec):
        return f'Input {self.index} of layer "{self.layer.name}" ({type(self.layer).__name__})'


def check_input(layer, spec: InputSpec, x, index=0) -> None:
    """Raise a ValueError naming the layer, the expected and the received shape/dtype."""
    if spec is None or x is None:
        return
    shape = tuple(x.shape)
    ndim = len(shape)
    who = _Who(layer, index)  # formatted only into an error message (called every step)
    if spec.ndim is not None and ndim != spec.ndim:
        raise ValueError(f"{who} is incompatible with the layer: expected ndim={spec.ndim}, "
                         f"found ndim={ndim}. Full shape received: {shape}")
    if spec.min_ndim is not None and ndim < spec.min_ndim:
        raise ValueError(f"{who} is incompatible with the layer: expected min_ndim={spec.min_ndim}, "
                         f"found ndim={ndim}. Full shape received: {shape}")
    if spec.max_ndim is not None and ndim > spec.max_ndim:
        raise ValueError(f"{who} is incompatible with the layer: expected max_ndim={spec.max_ndim}, "
                         f"found ndim={ndim}. Full shape received: {shape}")
    for axis, value in spec.axes.items():
        if value is None:
            continue
        a = axis if axis >= 0 else ndim + axis
        if not 0 <= a < ndim or (shape[a] is not None and shape[a] != value):
            raise ValueError(f"{who} is incompatible with the layer: expected axis {axis} of "
                             f"input shape to have value {value}, but received input with "
                             f"shape {shape}")
    if spec.shape is not None:
        for want, got in zip(spec.shape, shape):
            if want is not None and got is not None and want != got:
                raise ValueError(f"{who} is incompatible with the layer: expected shape="
                                 f"{spec.shape}, found shape={shape}")
    if spec.dtype is not None:
        from ..xp import standardize_dtype

        got = standardize_dtype(x.dtype)
        if got != standardize_dtype(spec.dtype):
            raise ValueError(f"{who} is incompatible with the layer: expected dtype="
                             f"{spec.dtype}, found dtype={got}")
