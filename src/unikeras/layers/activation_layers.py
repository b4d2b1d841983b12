"""Advanced activation layers: ReLU, LeakyReLU, ELU, PReLU, Softmax."""

from __future__ import annotations

import warnings

from .. import constraints, initializers, nn_ops, regularizers
from ..utils.serialization import register, serialize_simple
from ..xp import namespace, standardize_dtype
from .input_spec import InputSpec
from .layer import Layer


class _Elementwise(Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.built = True

    def compute_output_shape(self, input_shape):
        return input_shape


def relu_with_options(x, negative_slope=0.0, max_value=None, threshold=0.0):
    """Keras 3's ``activations.relu`` with its options, formula for formula:
    ``x`` above ``threshold`` (else 0), clipped to ``[0, max_value]``, minus
    ``negative_slope * relu(threshold - x)``."""
    if negative_slope == 0.0 and max_value is None and threshold == 0.0:
        return nn_ops.relu(x)
    if negative_slope != 0.0 and max_value is None and threshold == 0.0:
        return nn_ops.leaky_relu(x, negative_slope=negative_slope)
    xp = namespace(x)
    zero = xp.zeros_like(x)
    out = xp.where(x > threshold, x, zero) if threshold != 0 else xp.maximum(x, zero)
    if max_value is not None:
        out = xp.clip(out, 0.0, float(max_value))
    if negative_slope != 0.0:
        out = out - negative_slope * xp.maximum(threshold - x, zero)
    return out


@register
class ReLU(_Elementwise):
    """Keras 3's ``ReLU(max_value=None, negative_slope=0.0, threshold=0.0)``:
    ``f(x) = max_value`` for ``x >= max_value``, ``x`` for ``threshold < x < max_value``,
    ``negative_slope * (x - threshold)`` otherwise."""

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, **kwargs):
        super().__init__(**kwargs)
        if max_value is not None and max_value < 0.0:
            raise ValueError("ReLU: max_value cannot be negative; expected None or a value "
                             f">= 0, received max_value={max_value!r}")
        if negative_slope is None or negative_slope < 0.0:
            raise ValueError("ReLU: negative_slope cannot be None or negative; received "
                             f"negative_slope={negative_slope!r}")
        if threshold is None or threshold < 0.0:
            raise ValueError("ReLU: threshold cannot be None or negative; received "
                             f"threshold={threshold!r}")
        self.max_value = max_value
        self.negative_slope = negative_slope
        self.threshold = threshold

    def call(self, inputs):
        return relu_with_options(inputs, self.negative_slope, self.max_value, self.threshold)

    def get_config(self):
        config = super().get_config()
        config.update({"max_value": self.max_value, "negative_slope": self.negative_slope,
                       "threshold": self.threshold})
        return config


@register
class LeakyReLU(_Elementwise):
    """Keras 3's ``LeakyReLU(negative_slope=0.3)``: ``x`` for ``x >= 0``,
    ``negative_slope * x`` otherwise (``alpha=`` is accepted as a deprecated alias)."""

    def __init__(self, negative_slope=0.3, **kwargs):
        if "alpha" in kwargs:
            negative_slope = kwargs.pop("alpha")
            warnings.warn("LeakyReLU: argument `alpha` is deprecated; use `negative_slope`.",
                          stacklevel=2)
        super().__init__(**kwargs)
        if negative_slope is None or negative_slope < 0:
            raise ValueError("LeakyReLU: negative_slope cannot be None or negative; expected a "
                             f"float >= 0, received negative_slope={negative_slope!r}")
        self.negative_slope = negative_slope

    def call(self, inputs):
        return nn_ops.leaky_relu(inputs, negative_slope=self.negative_slope)

    def get_config(self):
        config = super().get_config()
        config["negative_slope"] = self.negative_slope
        return config


@register
class ELU(_Elementwise):
    """Keras 3's ``ELU(alpha=1.0)``: ``x`` for ``x > 0``, ``alpha * (exp(x) - 1)``
    otherwise."""

    def __init__(self, alpha=1.0, **kwargs):
        super().__init__(**kwargs)
        self.alpha = alpha

    def call(self, inputs):
        return nn_ops.elu(inputs, alpha=self.alpha)

    def get_config(self):
        config = super().get_config()
        config["alpha"] = self.alpha
        return config


@register
class PReLU(Layer):
    """Keras 3's ``PReLU(alpha_initializer="Zeros", alpha_regularizer=None,
    alpha_constraint=None, shared_axes=None)``: ``max(x, 0) - alpha * max(-x, 0)`` with a
    learned ``alpha`` of shape ``input_shape[1:]`` (1 along ``shared_axes``)."""

    def __init__(self, alpha_initializer="Zeros", alpha_regularizer=None,
                 alpha_constraint=None, shared_axes=None, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.alpha_initializer = initializers.get(alpha_initializer)
        self.alpha_regularizer = regularizers.get(alpha_regularizer)
        self.alpha_constraint = constraints.get(alpha_constraint)
        if shared_axes is None:
            self.shared_axes = None
        elif not isinstance(shared_axes, (list, tuple)):
            self.shared_axes = [shared_axes]
        else:
            self.shared_axes = list(shared_axes)

    def build(self, input_shape):
        param_shape = list(input_shape[1:])
        if self.shared_axes is not None:
            for i in self.shared_axes:
                if not 1 <= i < len(input_shape):
                    raise ValueError(f'PReLU layer "{self.name}": shared_axes must name '
                                     f"non-batch axes 1..{len(input_shape) - 1}; received "
                                     f"shared_axes={self.shared_axes} for input_shape="
                                     f"{input_shape}")
                param_shape[i - 1] = 1
        if any(d is None for d in param_shape):
            raise ValueError(f'PReLU layer "{self.name}": every non-shared axis must have a '
                             f"known size; received input_shape={input_shape}")
        self.alpha = self.add_weight(shape=param_shape, name="alpha",
                                     initializer=self.alpha_initializer,
                                     regularizer=self.alpha_regularizer,
                                     constraint=self.alpha_constraint)
        axes = {}
        if self.shared_axes:
            for i in range(1, len(input_shape)):
                if i not in self.shared_axes:
                    axes[i] = input_shape[i]
        else:
            axes = {i: input_shape[i] for i in range(1, len(input_shape))}
        self.input_spec = InputSpec(ndim=len(input_shape), axes=axes)
        self.built = True

    def call(self, inputs):
        xp = namespace(inputs)
        zero = xp.zeros_like(inputs)
        return xp.maximum(inputs, zero) - self.alpha * xp.maximum(-inputs, zero)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update({"alpha_initializer": serialize_simple(self.alpha_initializer),
                       "alpha_regularizer": serialize_simple(self.alpha_regularizer),
                       "alpha_constraint": serialize_simple(self.alpha_constraint),
                       "shared_axes": self.shared_axes})
        return config


def _large_negative(dtype):
    return -3e4 if standardize_dtype(dtype) == "float16" else -1e9


@register
class Softmax(_Elementwise):
    """Keras 3's ``Softmax(axis=-1)``: softmax over ``axis`` (an int or a list of ints).
    ``mask`` (broadcastable to the inputs; True/1 = keep) excludes entries: they get
    probability 0."""

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis

    def call(self, inputs, mask=None):
        xp = namespace(inputs)
        if mask is not None:
            if mask.ndim > inputs.ndim or any(
                    m is not None and i is not None and m != 1 and m != i
                    for m, i in zip(tuple(mask.shape)[::-1], tuple(inputs.shape)[::-1])):
                raise ValueError(
                    f'Softmax layer "{self.name}": the mask must be broadcastable to the '
                    f"inputs; received inputs.shape={tuple(inputs.shape)}, "
                    f"mask.shape={tuple(mask.shape)}")
            if standardize_dtype(mask.dtype) != "bool":
                mask = mask > 0.5
            inputs = xp.where(mask, inputs, xp.full_like(inputs, _large_negative(inputs.dtype)))
        axis = self.axis
        if isinstance(axis, (list, tuple)) and len(axis) == 1:
            axis = axis[0]
        if isinstance(axis, (list, tuple)):
            out = xp.exp(inputs - nn_ops.logsumexp(inputs, axis=tuple(axis), keepdims=True))
        else:
            out = nn_ops.softmax(inputs, axis=axis)
        if mask is not None:
            out = xp.where(mask, out, xp.zeros_like(out))
        return out

    def get_config(self):
        config = super().get_config()
        config["axis"] = self.axis
        return config
