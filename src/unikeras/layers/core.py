"""Core layers: Dense, Activation, Identity, Lambda, InputLayer re-export."""

from __future__ import annotations

from .. import activations, constraints, initializers, nn_ops, regularizers
from ..utils.serialization import register, serialize_simple
from ..xp import namespace
from ._arguments import numeric_input
from .input_spec import InputSpec
from .layer import Layer
from .lora import LoRA
from .quantize import QuantizedDense
from .quantize_gptq import WeightOnlyQuant


@register
class Dense(WeightOnlyQuant, QuantizedDense, LoRA, Layer):
    """``Dense(units, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
    bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
    activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
    lora_rank=None, lora_alpha=None)``: ``activation(inputs @ kernel + bias)``, kernel of
    shape (input_dim, units). LoRA: ``layers/lora.py`` (``enable_lora``)."""

    _quantizable = True  # layers/quantize.py

    def __init__(self, units, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, lora_rank=None,
                 lora_alpha=None, quantization_config=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        if not isinstance(units, int) or units <= 0:
            raise ValueError(f"Dense: units must be a positive int; received units={units!r}")
        self._init_lora(lora_rank, lora_alpha)
        self.quantization_config = quantization_config
        self.units = units
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.input_spec = InputSpec(min_ndim=2)
        self.supports_masking = True

    def build(self, input_shape):
        input_dim = input_shape[-1]
        if input_dim is None:
            raise ValueError(f'Dense layer "{self.name}": the last dimension of the inputs '
                             f"must be known; received input_shape={input_shape}")
        mode = self.quantization_mode
        if mode in ("gptq", "awq"):  # layers/quantize_gptq.py
            self._wq_build((input_dim, self.units), mode, policy=self.dtype_policy)
        elif mode is not None:  # a quantized model being loaded (layers/quantize.py)
            self._q_build(mode, (input_dim, self.units), self.quantization_config)
        if mode not in ("int8", "int4", "gptq", "awq"):
            self.kernel = self.add_weight(shape=(input_dim, self.units), name="kernel",
                                          initializer=self.kernel_initializer,
                                          regularizer=self.kernel_regularizer,
                                          constraint=self.kernel_constraint)
        if self.use_bias:
            self.bias = self.add_weight(shape=(self.units,), name="bias",
                                        initializer=self.bias_initializer,
                                        regularizer=self.bias_regularizer,
                                        constraint=self.bias_constraint)
        else:
            self.bias = None
        self.input_spec = InputSpec(min_ndim=2, axes={-1: input_dim})
        self.built = True
        if self.lora_rank:
            self.enable_lora(self.lora_rank)  # alpha = rank, as Keras 3.15's Dense.build

    def call(self, inputs, training=None):
        if self._wq is not None:  # GPTQ / AWQ (layers/quantize_gptq.py)
            x = inputs @ self._wq_kernel(inputs)
            return self._wq_bias_activation(x)
        if self._q_mode is not None:  # quantized: layers/quantize.py (bias included)
            x = self._q_call(inputs, training)
        else:
            kernel, bias = self._call_reads("kernel", "bias")
            if self.lora_enabled:
                kernel = self._lora_weight(kernel)
            x = nn_ops.dense(numeric_input(inputs, kernel), kernel, bias)
        return self.activation(x) if self.activation is not activations.linear else x

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        config = super().get_config()
        config.update({
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": serialize_simple(self.kernel_initializer),
            "bias_initializer": serialize_simple(self.bias_initializer),
            "kernel_regularizer": serialize_simple(self.kernel_regularizer),
            "bias_regularizer": serialize_simple(self.bias_regularizer),
            "activity_regularizer": serialize_simple(self.activity_regularizer),
            "kernel_constraint": serialize_simple(self.kernel_constraint),
            "bias_constraint": serialize_simple(self.bias_constraint),
            "quantization_config": serialize_simple(self.quantization_config),
        })
        return self._lora_config(config)


@register
class Activation(Layer):
    """``Activation(activation)``: apply an activation function."""

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = activations.get(activation)
        self.supports_masking = True

    def call(self, inputs):
        return self.activation(inputs)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config["activation"] = activations.serialize(self.activation)
        return config


@register
class Identity(Layer):
    """``Identity()``: returns its input."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape


@register
class Lambda(Layer):
    """``Lambda(function, output_shape=None, mask=None, arguments=None)``: wraps a
    function of the inputs. Not serializable to a config that runs code on load: a
    Lambda config names the function, and loading it needs ``custom_objects``."""

    def __init__(self, function, output_shape=None, mask=None, arguments=None, **kwargs):
        super().__init__(**kwargs)
        if not callable(function):
            raise ValueError(f"Lambda: function must be callable; received {function!r}")
        self.function = function
        self._output_shape = output_shape
        self.mask = mask
        self.arguments = arguments or {}

    def call(self, inputs, mask=None, training=None):
        return self.function(inputs, **self.arguments)

    def compute_mask(self, inputs, mask=None):
        if callable(self.mask):
            return self.mask(inputs, mask)
        return self.mask

    def get_config(self):
        from ..utils.serialization import serialize_function

        config = super().get_config()
        config.update({"function": serialize_function(self.function),
                       "output_shape": self._output_shape, "arguments": self.arguments})
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None, safe_mode=None):
        """A named function comes from ``custom_objects`` or the registry; a Python
        lambda saved by Keras (its bytecode) is refused under safe mode (the default)
        and rebuilt only with ``safe_mode=False`` or after
        ``unikeras.config.enable_unsafe_deserialization()``, as in Keras."""
        from ..utils.serialization import deserialize_function

        config = dict(config)
        config["function"] = deserialize_function(
            config.get("function"), custom_objects, safe_mode,
            what=f"Lambda layer '{config.get('name')}'")
        return cls(**config)
