"""Convolution layers, written once: Conv1D/2D/3D, Conv1D/2D/3DTranspose,
DepthwiseConv1D/2D and SeparableConv1D/2D.

The arithmetic is ``unikeras.nn_ops.conv`` / ``conv_transpose`` / ``depthwise_conv`` /
``separable_conv`` (Keras 3 signatures, kernel layout ``(*spatial, in/groups, out)``);
these layers own the weights (Keras 3 shapes and order), the bias, the activation,
argument checking and shape inference.
"""

from __future__ import annotations

from .. import activations, constraints, initializers, nn_ops, regularizers
from ..utils.serialization import register, serialize_simple
from ..nn_ops.conv import add_channel_bias
from ..xp import namespace
from .input_spec import InputSpec
from .layer import Layer
from .lora import LoRA
from ._arguments import (ShapeSpecMixin, _pad_axes, _who, normalize_data_format,
                         normalize_padding, normalize_tuple, numeric_input)


def conv_output_length(size, kernel, stride, padding, dilation):
    """Keras' output length of a convolution along one axis (None stays None)."""
    if size is None:
        return None
    if padding in ("same", "causal"):
        return (size + stride - 1) // stride
    eff = dilation * (kernel - 1) + 1
    return (size - eff) // stride + 1


def conv_transpose_output_length(size, kernel, stride, padding, output_padding, dilation):
    """Keras' output length of a transposed convolution along one axis."""
    if size is None:
        return None
    eff = (kernel - 1) * dilation + 1
    if padding == "valid":
        extra = max(eff, stride) - eff if output_padding is None else output_padding
        return (size - 1) * stride + eff + extra
    if output_padding is None:
        return size * stride
    return (size - 1) * stride + eff % 2 + output_padding


class _BaseConv(ShapeSpecMixin, Layer):
    """Shared argument handling, bias and activation of every convolution layer."""

    _spec_dtype = "compute"
    _allow_causal = False
    _kernel_names = ("kernel",)

    def __init__(self, rank, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, activation=None, use_bias=True, bias_initializer="zeros",
                 bias_regularizer=None, activity_regularizer=None, bias_constraint=None,
                 **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        who = _who(self)
        self.rank = rank
        if filters is not None and (not isinstance(filters, int) or isinstance(filters, bool)
                                    or filters <= 0):
            raise ValueError(f"{who}: invalid value for argument `filters`; expected a "
                             f"strictly positive int, received filters={filters!r}")
        self.filters = filters
        self.kernel_size = normalize_tuple(kernel_size, rank, "kernel_size", who)
        self.strides = normalize_tuple(strides, rank, "strides", who)
        self.dilation_rate = normalize_tuple(dilation_rate, rank, "dilation_rate", who)
        allowed = ("valid", "same", "causal") if self._allow_causal else ("valid", "same")
        self.padding = normalize_padding(padding, allowed, who)
        self.data_format = normalize_data_format(data_format, who)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.bias_initializer = initializers.get(bias_initializer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.bias_constraint = constraints.get(bias_constraint)
        self.input_spec = InputSpec(ndim=rank + 2)

    # -- helpers
    @property
    def _channel_axis(self):
        return -1 if self.data_format == "channels_last" else 1

    def _spatial_axes(self, ndim):
        return (list(range(1, ndim - 1)) if self.data_format == "channels_last"
                else list(range(2, ndim)))

    def _input_channels(self, input_shape):
        if input_shape is None or len(input_shape) != self.rank + 2:
            raise ValueError(
                f"{_who(self)}: expected inputs of rank {self.rank + 2} (batch, "
                f"{'spatial..., channels' if self.data_format == 'channels_last' else 'channels, spatial...'}"
                f"); received input_shape={input_shape}")
        c = input_shape[self._channel_axis]
        if c is None:
            raise ValueError(f"{_who(self)}: the channel dimension of the inputs must be known "
                             f"(data_format={self.data_format!r}); received input_shape="
                             f"{tuple(input_shape)}")
        return int(c)

    def _add_bias(self, outputs):
        if self.use_bias:
            outputs = add_channel_bias(outputs, self.bias, self.data_format)
        return self._activate(outputs)

    def _activate(self, outputs):
        if self.activation is not activations.linear:
            outputs = self.activation(outputs)
        return outputs

    def _make_bias(self, n):
        if self.use_bias:
            self.bias = self.add_weight(shape=(n,), name="bias",
                                        initializer=self.bias_initializer,
                                        regularizer=self.bias_regularizer,
                                        constraint=self.bias_constraint)
        else:
            self.bias = None

    def _set_input_spec(self, channels):
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={self._channel_axis: channels})

    def _check_valid_size(self, input_shape):
        if self.padding != "valid":
            return
        for axis, k, d in zip(self._spatial_axes(len(input_shape)), self.kernel_size,
                              self.dilation_rate):
            size = input_shape[axis]
            if size is not None and size < d * (k - 1) + 1:
                raise ValueError(
                    f"{_who(self)}: computed output size would be zero or negative: input "
                    f"shape {tuple(input_shape)} is smaller than the (dilated) kernel "
                    f"kernel_size={self.kernel_size}, dilation_rate={self.dilation_rate} "
                    "with padding='valid'")

    def _check_strides_with_dilation(self):
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(f"{_who(self)}: `strides > 1` is not supported in conjunction "
                             f"with `dilation_rate > 1`; received strides={self.strides} and "
                             f"dilation_rate={self.dilation_rate}")

    def _set_kernel_args(self, initializer, regularizer, constraint):
        self.kernel_initializer = initializers.get(initializer)
        self.kernel_regularizer = regularizers.get(regularizer)
        self.kernel_constraint = constraints.get(constraint)

    def _set_depthwise_args(self, depth_multiplier, initializer, regularizer, constraint):
        if not isinstance(depth_multiplier, int) or depth_multiplier <= 0:
            raise ValueError(f"{_who(self)}: invalid value for argument `depth_multiplier`; "
                             f"expected a strictly positive int, received depth_multiplier="
                             f"{depth_multiplier!r}")
        self.depth_multiplier = depth_multiplier
        self.depthwise_initializer = initializers.get(initializer)
        self.depthwise_regularizer = regularizers.get(regularizer)
        self.depthwise_constraint = constraints.get(constraint)

    def _output_channels(self, channels):
        """Channels of the output for ``channels`` input channels."""
        return self.filters

    def compute_output_shape(self, input_shape):
        """Output shape of a (not transposed) convolution."""
        input_shape = tuple(input_shape)
        channels = self._input_channels(input_shape)
        self._check_valid_size(input_shape)
        out = list(input_shape)
        for axis, k, s, d in zip(self._spatial_axes(len(out)), self.kernel_size, self.strides,
                                 self.dilation_rate):
            out[axis] = conv_output_length(out[axis], k, s, self.padding, d)
        out[self._channel_axis] = self._output_channels(channels)
        return tuple(out)

    def _base_config(self):
        config = super().get_config()
        config.update({
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "bias_initializer": serialize_simple(self.bias_initializer),
            "bias_regularizer": serialize_simple(self.bias_regularizer),
            "activity_regularizer": serialize_simple(self.activity_regularizer),
            "bias_constraint": serialize_simple(self.bias_constraint),
        })
        return config


# ---------------------------------------------------------------------------- Conv
class BaseConv(LoRA, _BaseConv):
    """``ConvND``: ``activation(conv(inputs, kernel) + bias)``, kernel of shape
    ``kernel_size + (input_channels // groups, filters)``. LoRA as Keras 3.15's BaseConv
    (layers/lora.py): ``lora_kernel_a`` of shape ``kernel.shape[:-1] + (rank,)``,
    ``lora_kernel_b`` of shape ``(rank, filters)``; built with ``lora_rank=`` it keeps the
    ``lora_alpha`` given (Dense does not)."""

    def __init__(self, rank, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, groups=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, lora_rank=None,
                 lora_alpha=None, **kwargs):
        super().__init__(rank, filters, kernel_size, strides=strides, padding=padding,
                         data_format=data_format, dilation_rate=dilation_rate,
                         activation=activation, use_bias=use_bias,
                         bias_initializer=bias_initializer, bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer,
                         bias_constraint=bias_constraint, **kwargs)
        who = _who(self)
        if not isinstance(groups, int) or groups <= 0:
            raise ValueError(f"{who}: the number of groups must be a positive integer; "
                             f"received groups={groups!r}")
        if filters % groups:
            raise ValueError(f"{who}: the number of filters must be evenly divisible by the "
                             f"number of groups; received groups={groups}, filters={filters}")
        self._check_strides_with_dilation()
        self.groups = groups
        self._set_kernel_args(kernel_initializer, kernel_regularizer, kernel_constraint)
        self._init_lora(lora_rank, lora_alpha)

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        if channels % self.groups:
            raise ValueError(
                f"{_who(self)}: the number of input channels must be evenly divisible by the "
                f"number of groups; received groups={self.groups}, but the input has "
                f"{channels} channels (full input shape is {tuple(input_shape)})")
        self._check_valid_size(input_shape)
        self.kernel = self.add_weight(
            shape=self.kernel_size + (channels // self.groups, self.filters), name="kernel",
            initializer=self.kernel_initializer, regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint)
        self._make_bias(self.filters)
        self._set_input_spec(channels)
        self.built = True
        if self.lora_rank:
            self.enable_lora(self.lora_rank, lora_alpha=self.lora_alpha)

    def call(self, inputs):
        self._check_valid_size(tuple(inputs.shape))
        kernel = self.kernel  # one read (layers/_varread.py)
        if self.lora_enabled:
            kernel = self._lora_weight(kernel)
        inputs = numeric_input(inputs, kernel)
        padding = self.padding
        if padding == "causal":
            xp = namespace(inputs)
            left = self.dilation_rate[0] * (self.kernel_size[0] - 1)
            inputs = _pad_axes(inputs, ((left, 0),), self._spatial_axes(inputs.ndim), xp)
            padding = "valid"
        if self.use_bias:  # one op: torch's convolution adds the bias itself
            outputs = nn_ops.conv_bias(inputs, kernel, self.bias, strides=self.strides,
                                       padding=padding, data_format=self.data_format,
                                       dilation_rate=self.dilation_rate)
            return self._activate(outputs)
        outputs = nn_ops.conv(inputs, kernel, strides=self.strides, padding=padding,
                              data_format=self.data_format, dilation_rate=self.dilation_rate)
        return self._activate(outputs)

    def get_config(self):
        config = self._base_config()
        config.update({
            "filters": self.filters,
            "groups": self.groups,
            "kernel_initializer": serialize_simple(self.kernel_initializer),
            "kernel_regularizer": serialize_simple(self.kernel_regularizer),
            "kernel_constraint": serialize_simple(self.kernel_constraint),
        })
        return self._lora_config(config)


@register
class Conv1D(BaseConv):
    """``Conv1D(filters, kernel_size, strides=1, padding="valid", data_format=None,
    dilation_rate=1, groups=1, activation=None, use_bias=True, ...)``; padding may also be
    "causal" (left-padded so output t sees inputs <= t)."""

    _allow_causal = True

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, groups=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, lora_rank=None, lora_alpha=None,
                 **kwargs):
        super().__init__(1, filters=filters, kernel_size=kernel_size, strides=strides,
                         padding=padding, data_format=data_format,
                         dilation_rate=dilation_rate, groups=groups,
                         activation=activation, use_bias=use_bias,
                         kernel_initializer=kernel_initializer,
                         bias_initializer=bias_initializer,
                         kernel_regularizer=kernel_regularizer,
                         bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer,
                         kernel_constraint=kernel_constraint,
                         bias_constraint=bias_constraint, lora_rank=lora_rank,
                         lora_alpha=lora_alpha, **kwargs)


@register
class Conv2D(BaseConv):
    """``Conv2D(filters, kernel_size, strides=(1, 1), padding="valid", data_format=None,
    dilation_rate=(1, 1), groups=1, activation=None, use_bias=True, ...)``."""

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", data_format=None,
                 dilation_rate=(1, 1), groups=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, lora_rank=None, lora_alpha=None,
                 **kwargs):
        super().__init__(2, filters=filters, kernel_size=kernel_size, strides=strides,
                         padding=padding, data_format=data_format,
                         dilation_rate=dilation_rate, groups=groups,
                         activation=activation, use_bias=use_bias,
                         kernel_initializer=kernel_initializer,
                         bias_initializer=bias_initializer,
                         kernel_regularizer=kernel_regularizer,
                         bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer,
                         kernel_constraint=kernel_constraint,
                         bias_constraint=bias_constraint, lora_rank=lora_rank,
                         lora_alpha=lora_alpha, **kwargs)


@register
class Conv3D(BaseConv):
    """``Conv3D(filters, kernel_size, strides=(1, 1, 1), padding="valid", data_format=None,
    dilation_rate=(1, 1, 1), groups=1, activation=None, use_bias=True, ...)``."""

    def __init__(self, filters, kernel_size, strides=(1, 1, 1), padding="valid",
                 data_format=None, dilation_rate=(1, 1, 1), groups=1, activation=None,
                 use_bias=True, kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, lora_rank=None, lora_alpha=None,
                 **kwargs):
        super().__init__(3, filters=filters, kernel_size=kernel_size, strides=strides,
                         padding=padding, data_format=data_format,
                         dilation_rate=dilation_rate, groups=groups,
                         activation=activation, use_bias=use_bias,
                         kernel_initializer=kernel_initializer,
                         bias_initializer=bias_initializer,
                         kernel_regularizer=kernel_regularizer,
                         bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer,
                         kernel_constraint=kernel_constraint,
                         bias_constraint=bias_constraint, lora_rank=lora_rank,
                         lora_alpha=lora_alpha, **kwargs)


# ---------------------------------------------------------------------------- ConvTranspose
class BaseConvTranspose(_BaseConv):
    """``ConvNDTranspose``: the gradient of a convolution with respect to its input, kernel
    of shape ``kernel_size + (filters, input_channels)``."""

    def __init__(self, rank, filters, kernel_size, strides=1, padding="valid",
                 output_padding=None, data_format=None, dilation_rate=1, activation=None,
                 use_bias=True, kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(rank, filters, kernel_size, strides=strides, padding=padding,
                         data_format=data_format, dilation_rate=dilation_rate,
                         activation=activation, use_bias=use_bias,
                         bias_initializer=bias_initializer, bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer,
                         bias_constraint=bias_constraint, **kwargs)
        who = _who(self)
        if output_padding is None:
            self.output_padding = None
        else:
            self.output_padding = normalize_tuple(output_padding, rank, "output_padding", who,
                                                  allow_zero=True)
            for i, (op, s) in enumerate(zip(self.output_padding, self.strides)):
                if op >= s:
                    raise ValueError(
                        f"{who}: each value in `output_padding` must be strictly less than "
                        f"the corresponding `strides` value; at index {i}, output_padding is "
                        f"{op} and strides is {s} (received output_padding="
                        f"{self.output_padding}, strides={self.strides})")
        self._check_strides_with_dilation()
        self._set_kernel_args(kernel_initializer, kernel_regularizer, kernel_constraint)

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        self.kernel = self.add_weight(
            shape=self.kernel_size + (self.filters, channels), name="kernel",
            initializer=self.kernel_initializer, regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint)
        self._make_bias(self.filters)
        self._set_input_spec(channels)
        self.built = True

    def call(self, inputs):
        inputs = numeric_input(inputs, self.kernel)
        outputs = nn_ops.conv_transpose(
            inputs, self.kernel, strides=self.strides, padding=self.padding,
            output_padding=self.output_padding, data_format=self.data_format,
            dilation_rate=self.dilation_rate)
        return self._add_bias(outputs)

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        self._input_channels(input_shape)
        out = list(input_shape)
        ops_ = self.output_padding or (None,) * self.rank
        for axis, k, s, op, d in zip(self._spatial_axes(len(out)), self.kernel_size,
                                     self.strides, ops_, self.dilation_rate):
            out[axis] = conv_transpose_output_length(out[axis], k, s, self.padding, op, d)
        out[self._channel_axis] = self.filters
        return tuple(out)

    def get_config(self):
        config = self._base_config()
        config.update({
            "filters": self.filters,
            "output_padding": self.output_padding,
            "kernel_initializer": serialize_simple(self.kernel_initializer),
            "kernel_regularizer": serialize_simple(self.kernel_regularizer),
            "kernel_constraint": serialize_simple(self.kernel_constraint),
        })
        return config


@register
class Conv1DTranspose(BaseConvTranspose):
    """``Conv1DTranspose(filters, kernel_size, strides=1, padding="valid",
    output_padding=None, data_format=None, dilation_rate=1, activation=None, ...)``."""

    def __init__(self, filters, kernel_size, strides=1, padding="valid", output_padding=None,
                 data_format=None, dilation_rate=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(1, filters=filters, kernel_size=kernel_size, strides=strides,
                         padding=padding, output_padding=output_padding,
                         data_format=data_format, dilation_rate=dilation_rate,
                         activation=activation, use_bias=use_bias,
                         kernel_initializer=kernel_initializer,
                         bias_initializer=bias_initializer,
                         kernel_regularizer=kernel_regularizer,
                         bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer,
                         kernel_constraint=kernel_constraint,
                         bias_constraint=bias_constraint, **kwargs)


@register
class Conv2DTranspose(BaseConvTranspose):
    """``Conv2DTranspose(filters, kernel_size, strides=(1, 1), padding="valid",
    output_padding=None, data_format=None, dilation_rate=(1, 1), activation=None, ...)``."""

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid",
                 output_padding=None, data_format=None, dilation_rate=(1, 1), activation=None,
                 use_bias=True, kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(2, filters=filters, kernel_size=kernel_size, strides=strides,
                         padding=padding, output_padding=output_padding,
                         data_format=data_format, dilation_rate=dilation_rate,
                         activation=activation, use_bias=use_bias,
                         kernel_initializer=kernel_initializer,
                         bias_initializer=bias_initializer,
                         kernel_regularizer=kernel_regularizer,
                         bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer,
                         kernel_constraint=kernel_constraint,
                         bias_constraint=bias_constraint, **kwargs)


@register
class Conv3DTranspose(BaseConvTranspose):
    """``Conv3DTranspose(filters, kernel_size, strides=(1, 1, 1), padding="valid",
    data_format=None, output_padding=None, dilation_rate=(1, 1, 1), ...)`` (Keras 3's
    argument order: data_format before output_padding)."""

    def __init__(self, filters, kernel_size, strides=(1, 1, 1), padding="valid",
                 data_format=None, output_padding=None, dilation_rate=(1, 1, 1),
                 activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
                 **kwargs):
        super().__init__(3, filters=filters, kernel_size=kernel_size, strides=strides,
                         padding=padding, output_padding=output_padding,
                         data_format=data_format, dilation_rate=dilation_rate,
                         activation=activation, use_bias=use_bias,
                         kernel_initializer=kernel_initializer,
                         bias_initializer=bias_initializer,
                         kernel_regularizer=kernel_regularizer,
                         bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer,
                         kernel_constraint=kernel_constraint,
                         bias_constraint=bias_constraint, **kwargs)


# ---------------------------------------------------------------------------- Depthwise
class BaseDepthwiseConv(_BaseConv):
    """``DepthwiseConvND``: each input channel convolved with its own ``depth_multiplier``
    filters; kernel ``kernel_size + (input_channels, depth_multiplier)``, bias
    ``(input_channels * depth_multiplier,)``."""

    def __init__(self, rank, kernel_size, strides=1, padding="valid", depth_multiplier=1,
                 data_format=None, dilation_rate=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", bias_initializer="zeros",
                 depthwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(rank, None, kernel_size, strides=strides, padding=padding,
                         data_format=data_format, dilation_rate=dilation_rate,
                         activation=activation, use_bias=use_bias,
                         bias_initializer=bias_initializer, bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer,
                         bias_constraint=bias_constraint, **kwargs)
        self._set_depthwise_args(depth_multiplier, depthwise_initializer,
                                 depthwise_regularizer, depthwise_constraint)

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        self._check_valid_size(input_shape)
        self.kernel = self.add_weight(
            shape=self.kernel_size + (channels, self.depth_multiplier), name="kernel",
            initializer=self.depthwise_initializer, regularizer=self.depthwise_regularizer,
            constraint=self.depthwise_constraint)
        self._make_bias(channels * self.depth_multiplier)
        self._set_input_spec(channels)
        self.built = True

    def call(self, inputs):
        self._check_valid_size(tuple(inputs.shape))
        inputs = numeric_input(inputs, self.kernel)
        outputs = nn_ops.depthwise_conv(inputs, self.kernel, strides=self.strides,
                                        padding=self.padding, data_format=self.data_format,
                                        dilation_rate=self.dilation_rate)
        return self._add_bias(outputs)

    def _output_channels(self, channels):
        return channels * self.depth_multiplier

    def get_config(self):
        config = self._base_config()
        config.update({
            "depth_multiplier": self.depth_multiplier,
            "depthwise_initializer": serialize_simple(self.depthwise_initializer),
            "depthwise_regularizer": serialize_simple(self.depthwise_regularizer),
            "depthwise_constraint": serialize_simple(self.depthwise_constraint),
        })
        return config


@register
class DepthwiseConv1D(BaseDepthwiseConv):
    """``DepthwiseConv1D(kernel_size, strides=1, padding="valid", depth_multiplier=1,
    data_format=None, dilation_rate=1, activation=None, use_bias=True, ...)``."""

    def __init__(self, kernel_size, strides=1, padding="valid", depth_multiplier=1,
                 data_format=None, dilation_rate=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", bias_initializer="zeros",
                 depthwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(1, kernel_size=kernel_size, strides=strides, padding=padding,
                         depth_multiplier=depth_multiplier, data_format=data_format,
                         dilation_rate=dilation_rate, activation=activation,
                         use_bias=use_bias, depthwise_initializer=depthwise_initializer,
                         bias_initializer=bias_initializer,
                         depthwise_regularizer=depthwise_regularizer,
                         bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer,
                         depthwise_constraint=depthwise_constraint,
                         bias_constraint=bias_constraint, **kwargs)


@register
class DepthwiseConv2D(BaseDepthwiseConv):
    """``DepthwiseConv2D(kernel_size, strides=(1, 1), padding="valid", depth_multiplier=1,
    data_format=None, dilation_rate=(1, 1), activation=None, use_bias=True, ...)``."""

    def __init__(self, kernel_size, strides=(1, 1), padding="valid", depth_multiplier=1,
                 data_format=None, dilation_rate=(1, 1), activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", bias_initializer="zeros",
                 depthwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(2, kernel_size=kernel_size, strides=strides, padding=padding,
                         depth_multiplier=depth_multiplier, data_format=data_format,
                         dilation_rate=dilation_rate, activation=activation,
                         use_bias=use_bias, depthwise_initializer=depthwise_initializer,
                         bias_initializer=bias_initializer,
                         depthwise_regularizer=depthwise_regularizer,
                         bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer,
                         depthwise_constraint=depthwise_constraint,
                         bias_constraint=bias_constraint, **kwargs)


# ---------------------------------------------------------------------------- Separable
class BaseSeparableConv(_BaseConv):
    """``SeparableConvND``: a depthwise convolution followed by a 1x1 pointwise one.
    Weights in Keras order: depthwise_kernel ``kernel_size + (input_channels,
    depth_multiplier)``, pointwise_kernel ``(1,)*rank + (input_channels*depth_multiplier,
    filters)``, bias ``(filters,)``."""

    def __init__(self, rank, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, depth_multiplier=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", pointwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None,
                 pointwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, pointwise_constraint=None, bias_constraint=None,
                 **kwargs):
        super().__init__(rank, filters, kernel_size, strides=strides, padding=padding,
                         data_format=data_format, dilation_rate=dilation_rate,
                         activation=activation, use_bias=use_bias,
                         bias_initializer=bias_initializer, bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer,
                         bias_constraint=bias_constraint, **kwargs)
        self._set_depthwise_args(depth_multiplier, depthwise_initializer,
                                 depthwise_regularizer, depthwise_constraint)
        self.pointwise_initializer = initializers.get(pointwise_initializer)
        self.pointwise_regularizer = regularizers.get(pointwise_regularizer)
        self.pointwise_constraint = constraints.get(pointwise_constraint)

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        self._check_valid_size(input_shape)
        self.depthwise_kernel = self.add_weight(
            shape=self.kernel_size + (channels, self.depth_multiplier), name="depthwise_kernel",
            initializer=self.depthwise_initializer, regularizer=self.depthwise_regularizer,
            constraint=self.depthwise_constraint)
        self.pointwise_kernel = self.add_weight(
            shape=(1,) * self.rank + (channels * self.depth_multiplier, self.filters),
            name="pointwise_kernel", initializer=self.pointwise_initializer,
            regularizer=self.pointwise_regularizer, constraint=self.pointwise_constraint)
        self._make_bias(self.filters)
        self._set_input_spec(channels)
        self.built = True

    def call(self, inputs):
        self._check_valid_size(tuple(inputs.shape))
        inputs = numeric_input(inputs, self.depthwise_kernel)
        outputs = nn_ops.separable_conv(inputs, self.depthwise_kernel, self.pointwise_kernel,
                                        strides=self.strides, padding=self.padding,
                                        data_format=self.data_format,
                                        dilation_rate=self.dilation_rate)
        return self._add_bias(outputs)

    def get_config(self):
        config = self._base_config()
        config.update({
            "filters": self.filters,
            "depth_multiplier": self.depth_multiplier,
            "depthwise_initializer": serialize_simple(self.depthwise_initializer),
            "pointwise_initializer": serialize_simple(self.pointwise_initializer),
            "depthwise_regularizer": serialize_simple(self.depthwise_regularizer),
            "pointwise_regularizer": serialize_simple(self.pointwise_regularizer),
            "depthwise_constraint": serialize_simple(self.depthwise_constraint),
            "pointwise_constraint": serialize_simple(self.pointwise_constraint),
        })
        return config


@register
class SeparableConv1D(BaseSeparableConv):
    """``SeparableConv1D(filters, kernel_size, strides=1, padding="valid",
    data_format=None, dilation_rate=1, depth_multiplier=1, activation=None, ...)``."""

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, depth_multiplier=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", pointwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None,
                 pointwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, pointwise_constraint=None, bias_constraint=None,
                 **kwargs):
        super().__init__(1, filters=filters, kernel_size=kernel_size, strides=strides,
                         padding=padding, data_format=data_format,
                         dilation_rate=dilation_rate, depth_multiplier=depth_multiplier,
                         activation=activation, use_bias=use_bias,
                         depthwise_initializer=depthwise_initializer,
                         pointwise_initializer=pointwise_initializer,
                         bias_initializer=bias_initializer,
                         depthwise_regularizer=depthwise_regularizer,
                         pointwise_regularizer=pointwise_regularizer,
                         bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer,
                         depthwise_constraint=depthwise_constraint,
                         pointwise_constraint=pointwise_constraint,
                         bias_constraint=bias_constraint, **kwargs)


@register
class SeparableConv2D(BaseSeparableConv):
    """``SeparableConv2D(filters, kernel_size, strides=(1, 1), padding="valid",
    data_format=None, dilation_rate=(1, 1), depth_multiplier=1, activation=None, ...)``."""

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", data_format=None,
                 dilation_rate=(1, 1), depth_multiplier=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", pointwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None,
                 pointwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, pointwise_constraint=None, bias_constraint=None,
                 **kwargs):
        super().__init__(2, filters=filters, kernel_size=kernel_size, strides=strides,
                         padding=padding, data_format=data_format,
                         dilation_rate=dilation_rate, depth_multiplier=depth_multiplier,
                         activation=activation, use_bias=use_bias,
                         depthwise_initializer=depthwise_initializer,
                         pointwise_initializer=pointwise_initializer,
                         bias_initializer=bias_initializer,
                         depthwise_regularizer=depthwise_regularizer,
                         pointwise_regularizer=pointwise_regularizer,
                         bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer,
                         depthwise_constraint=depthwise_constraint,
                         pointwise_constraint=pointwise_constraint,
                         bias_constraint=bias_constraint, **kwargs)


# Keras aliases
Convolution1D, Convolution2D, Convolution3D = Conv1D, Conv2D, Conv3D
Convolution1DTranspose, Convolution2DTranspose, Convolution3DTranspose = (
    Conv1DTranspose, Conv2DTranspose, Conv3DTranspose)
SeparableConvolution1D, SeparableConvolution2D = SeparableConv1D, SeparableConv2D
