"""Embedding and Masking layers (both can produce a mask)."""

from __future__ import annotations

from .. import constraints, initializers, nn_ops, regularizers
from ..utils.serialization import register, serialize_simple
from ..xp import namespace, standardize_dtype
from .layer import Layer
from .lora import LoRA
from .quantize import QuantizedEmbedding, QuantizedReversibleEmbedding
from .quantize_gptq import WeightOnlyQuant
from .normalization import dtype_obj

_INIT_ALIASES = {"uniform": "random_uniform", "normal": "random_normal"}


@register
class Embedding(WeightOnlyQuant, QuantizedEmbedding, LoRA, Layer):
    """Keras 3's ``Embedding(input_dim, output_dim, embeddings_initializer="uniform",
    embeddings_regularizer=None, embeddings_constraint=None, mask_zero=False,
    weights=None)``: maps integer indices in ``[0, input_dim)`` to rows of the
    ``(input_dim, output_dim)`` weight ``embeddings``. With ``mask_zero=True`` the layer
    produces a mask, ``inputs != 0``, for the layers after it.

    LoRA (``lora_rank``, ``lora_alpha``, ``enable_lora``; weights ``lora_embeddings_a/_b``):
    ``layers/lora.py``.

    Out-of-range indices are not checked (checking would need a device-to-host sync per
    call); each framework does what its gather does with them."""

    _quantizable = True  # layers/quantize.py
    _wq_supported = False  # GPTQ/AWQ refused as Keras does (layers/quantize_gptq.py)
    _lora_base = "embeddings"
    _lora_names = ("lora_embeddings_a", "lora_embeddings_b")
    _lora_constraint = "embeddings_constraint"
    _lora_regularizer = "embeddings_regularizer"

    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform",
                 embeddings_regularizer=None, embeddings_constraint=None, mask_zero=False,
                 weights=None, lora_rank=None, lora_alpha=None, quantization_config=None,
                 **kwargs):
        for arg, v in (("input_dim", input_dim), ("output_dim", output_dim)):
            if not isinstance(v, int) or isinstance(v, bool) or v <= 0:
                raise ValueError(f"Embedding: {arg} must be a positive integer; received "
                                 f"{arg}={v!r} (of type {type(v).__name__})")
        kwargs.pop("input_length", None)
        super().__init__(**kwargs)
        self._init_lora(lora_rank, lora_alpha)
        self.quantization_config = quantization_config
        self.input_dim = input_dim
        self.output_dim = output_dim
        if isinstance(embeddings_initializer, str):
            embeddings_initializer = _INIT_ALIASES.get(embeddings_initializer,
                                                       embeddings_initializer)
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.embeddings_constraint = constraints.get(embeddings_constraint)
        self.mask_zero = bool(mask_zero)
        self.supports_masking = self.mask_zero
        self._produces_mask = self.mask_zero
        self.autocast = False
        if weights is not None:
            self.build()
            if not (isinstance(weights, list) and len(weights) == 1):
                weights = [weights]
            self.set_weights(weights)

    def build(self, input_shape=None):
        if self.built:
            return
        if self.quantization_mode is not None:  # a quantized model being loaded
            self._q_build(self.quantization_mode, (self.input_dim, self.output_dim),
                          self.quantization_config)
        else:
            self.embeddings = self.add_weight(shape=(self.input_dim, self.output_dim),
                                              initializer=self.embeddings_initializer,
                                              name="embeddings",
                                              regularizer=self.embeddings_regularizer,
                                              constraint=self.embeddings_constraint,
                                              trainable=True)
        self.built = True
        if self.lora_rank:
            self.enable_lora(self.lora_rank)  # alpha = rank, as Keras 3.15's build

    def call(self, inputs):
        xp = namespace(inputs)
        dt = standardize_dtype(inputs.dtype)
        if dt not in ("int32", "int64"):
            if dt.startswith("complex"):
                raise TypeError(f'Embedding layer "{self.name}": expected integer indices; '
                                f"received dtype {dt}")
            inputs = xp.astype(inputs, xp.int32)
        table = self.embeddings
        if self._q_mode is not None:  # layers/quantize.py
            out = self._q_lookup(xp.reshape(inputs, (-1,)))
            shape = tuple(inputs.shape)
            if sum(d is None for d in shape) == 1:  # traced with a dynamic batch (export)
                shape = tuple(-1 if d is None else d for d in shape)
            out = xp.reshape(out, shape + (self.output_dim,))
        else:
            if self.lora_enabled:
                table = self._lora_weight(table)
            out = nn_ops.embedding_lookup(table, inputs)
        if standardize_dtype(out.dtype) != self.compute_dtype:
            out = xp.astype(out, dtype_obj(xp, out, self.compute_dtype))
        return out

    def compute_mask(self, inputs, mask=None):
        if not self.mask_zero:
            return None
        return inputs != 0

    def compute_output_shape(self, input_shape):
        return tuple(input_shape) + (self.output_dim,)

    def get_config(self):
        config = super().get_config()
        config.update({
            "input_dim": self.input_dim,
            "output_dim": self.output_dim,
            "embeddings_initializer": serialize_simple(self.embeddings_initializer),
            "embeddings_regularizer": serialize_simple(self.embeddings_regularizer),
            "activity_regularizer": serialize_simple(self.activity_regularizer),
            "embeddings_constraint": serialize_simple(self.embeddings_constraint),
            "mask_zero": self.mask_zero,
            "quantization_config": serialize_simple(self.quantization_config),
        })
        return self._lora_config(config)


@register
class Masking(Layer):
    """Keras 3's ``Masking(mask_value=0.0)``: time steps whose features all equal
    ``mask_value`` are zeroed and masked out (mask = any feature != mask_value, over the
    last axis)."""

    def __init__(self, mask_value=0.0, **kwargs):
        super().__init__(**kwargs)
        self.mask_value = mask_value
        self.supports_masking = True
        self._produces_mask = True
        self.built = True

    def compute_mask(self, inputs, mask=None):
        xp = namespace(inputs)
        return xp.any(inputs != self.mask_value, axis=-1)

    def call(self, inputs):
        xp = namespace(inputs)
        keep = xp.any(inputs != self.mask_value, axis=-1, keepdims=True)
        return xp.where(keep, inputs, xp.zeros_like(inputs))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config["mask_value"] = self.mask_value
        return config


@register
class ReversibleEmbedding(QuantizedReversibleEmbedding, Embedding):
    """Keras' ``ReversibleEmbedding(input_dim, output_dim, tie_weights=True,
    embeddings_initializer="uniform", embeddings_regularizer=None,
    embeddings_constraint=None, mask_zero=False, reverse_dtype=None,
    logit_soft_cap=None)``: an ``Embedding`` that can also be called with
    ``reverse=True`` on hidden states ``(..., output_dim)`` to give logits over the
    vocabulary ``(..., input_dim)``: ``inputs @ embeddings.T`` when ``tie_weights``, else
    ``inputs @ reverse_embeddings`` (a second weight of shape ``(output_dim,
    input_dim)``, after ``embeddings`` in the weight order, as in Keras). ``reverse_dtype``
    casts both operands of that matmul; ``logit_soft_cap`` gives
    ``tanh(logits / cap) * cap``. ``quantize("int8" | "int4")``: layers/quantize.py."""

    _quantizable = True  # layers/quantize.py

    def __init__(self, input_dim, output_dim, tie_weights=True,
                 embeddings_initializer="uniform", embeddings_regularizer=None,
                 embeddings_constraint=None, mask_zero=False, reverse_dtype=None,
                 logit_soft_cap=None, **kwargs):
        weights = kwargs.pop("weights", None)
        super().__init__(input_dim, output_dim,
                         embeddings_initializer=embeddings_initializer,
                         embeddings_regularizer=embeddings_regularizer,
                         embeddings_constraint=embeddings_constraint, mask_zero=mask_zero,
                         **kwargs)
        self.tie_weights = bool(tie_weights)
        self.reverse_dtype = None if reverse_dtype is None else standardize_dtype(reverse_dtype)
        self.logit_soft_cap = logit_soft_cap
        if weights is not None:
            self.build()
            self.set_weights(list(weights))

    def build(self, input_shape=None):
        if self.built:
            return
        super().build(input_shape)
        if not self.tie_weights and self._q_mode is None:
            self.reverse_embeddings = self.add_weight(
                shape=(self.output_dim, self.input_dim),
                initializer=self.embeddings_initializer, name="reverse_embeddings",
                trainable=True)

    def call(self, inputs, reverse=False):
        if not reverse:
            return super().call(inputs)
        xp = namespace(inputs)
        if self._q_mode is not None:  # layers/quantize.py
            logits = self._q_reverse(inputs)
        else:
            if self.tie_weights:
                kernel = xp.matrix_transpose(self.embeddings)
            else:
                kernel = self.reverse_embeddings
            dtype = self.reverse_dtype or self.compute_dtype
            if standardize_dtype(inputs.dtype) != dtype:
                inputs = xp.astype(inputs, dtype_obj(xp, inputs, dtype))
            if standardize_dtype(kernel.dtype) != dtype:
                kernel = xp.astype(kernel, dtype_obj(xp, kernel, dtype))
            logits = xp.matmul(inputs, kernel)
        if self.logit_soft_cap is not None:
            cap = self.logit_soft_cap
            logits = xp.tanh(logits / cap) * cap
        return logits

    def compute_mask(self, inputs, mask=None):
        # forward calls on indices give Embedding's mask; hidden states (reverse) none
        dt = standardize_dtype(inputs.dtype)
        if dt.startswith("float") or dt.startswith("bfloat"):
            return None
        return super().compute_mask(inputs, mask)

    def compute_output_shape(self, input_shape, reverse=False):
        if reverse:
            return tuple(input_shape[:-1]) + (self.input_dim,)
        return tuple(input_shape) + (self.output_dim,)

    def compute_output_spec(self, inputs, reverse=False):
        from .symbolic import KerasTensor

        return KerasTensor(self.compute_output_shape(tuple(inputs.shape), reverse=reverse),
                           dtype=self.reverse_dtype if reverse and self.reverse_dtype
                           else self.compute_dtype)

    def get_config(self):
        config = super().get_config()
        config.update({"tie_weights": self.tie_weights, "reverse_dtype": self.reverse_dtype,
                       "logit_soft_cap": self.logit_soft_cap})
        return config
