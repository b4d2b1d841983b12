"""``layer.quantize("int8")`` / ``model.quantize("int8")`` for Dense and Embedding
(Keras 3.15's scheme). Embedding: an int8 ``embeddings`` table with one
``embeddings_scale`` per row (abs-max over the output axis); a lookup gives
``take(q, ids) / take(scale, ids)[..., None]``; weights embeddings, embeddings_scale.

The float kernel ``(input_dim, units)`` becomes an int8 ``kernel`` with a per-output-
channel ``kernel_scale`` (``AbsMaxQuantizer(axis=0)``: ``scale = 127 / (max |k| over the
input axis + 1e-7)``, ``k_q = clip(round(k * scale), -127, 127)``, computed on the host
as Keras does), both non-trainable; the layer's policy becomes
``QuantizedDTypePolicy("int8", source)`` (``"int8_from_float32"``), which is also what
rebuilds the int8 variables when a quantized model is loaded. A call quantizes its inputs
per row the same way (``Int8QuantizationConfig(activation_quantizer=None)`` turns that
off) and computes ``(x_q @ k_q) / (scale_k * scale_x)`` in the compute dtype (the int8
products summed in float: exact for input_dim up to about 1,000, then float32 rounding of
an int32 sum). Gradients reach the inputs through the dequantized kernel, as Keras'
custom gradient (a straight-through round). Weight order is Keras': bias (trainable),
kernel, kernel_scale; a weights file stores kernel, bias, kernel_scale (Keras'
``variable_serialization_spec``).
"""

from __future__ import annotations

import numpy as np

from .. import dtype_policies, quantizers
from ..xp import namespace, standardize_dtype
from .normalization import dtype_obj


class Int8:
    """Mixin of the quantizable layers: ``quantize`` and the int8 build. A subclass names
    its base weight, its scale weight, the axis the weight quantizer reduces and the order of its stored
    variables; the class that may be quantized sets ``_quantizable = True`` in its own
    body (``type_check``, as Keras: its subclasses are not quantized)."""

    _q_base, _q_scale, _q_axis = "kernel", "kernel_scale", 0
    _q_saved = ("kernel", "bias", "kernel_scale")

    @classmethod
    def from_config(cls, config):
        """The config's ``quantization_config`` (a serialized QuantizationConfig) rebuilt."""
        config = dict(config)
        config["quantization_config"] = quantizers.deserialize(
            config.get("quantization_config"))
        return cls(**config)

    def quantize(self, mode=None, type_check=True, config=None):
        """Keras 3's ``Layer.quantize(mode, config=None)``: quantize the built layer's
        weights in place (modes: ``"int8"``)."""
        cls = type(self).__dict__.get("_uk_torch_base") or type(self)
        if type_check and not cls.__dict__.get("_quantizable", False):
            raise NotImplementedError(f"Layer {cls.__name__} does not have a `quantize()` "
                                      "method implemented.")
        if config is not None and mode is None:
            mode = config.mode
        if mode != "int8":
            raise ValueError(f'Layer "{self.name}": unikeras implements quantization mode '
                             f"'int8'; received mode={mode!r}")
        if config is not None and config.mode != mode:
            raise ValueError(f"Contradictory arguments: mode={mode} but config.mode="
                             f"{config.mode}")
        if not self.built:
            raise ValueError(f"Cannot quantize a layer that isn't yet built. Layer "
                             f"'{self.name}' (of type '{type(self).__name__}') is not built "
                             "yet.")
        if self.quantization_mode is not None:
            raise ValueError(f"Layer '{self.name}' is already quantized with "
                             f"dtype_policy='{self.dtype_policy.name}'. Received: "
                             f"mode={mode}")
        if getattr(self, "lora_enabled", False):
            raise ValueError(f'Layer "{self.name}": quantizing a LoRA-enabled layer is not '
                             "supported by unikeras; merge or quantize before enable_lora")
        self.quantization_config = config
        base = self._vars_by_attr[self._q_base]
        wq = quantizers.QuantizationConfig.weight_quantizer_or_default(
            config, quantizers.AbsMaxQuantizer(axis=self._q_axis))
        q, scale = wq(base.numpy(), to_numpy=True)
        scale = np.squeeze(np.asarray(scale), axis=self._q_axis)
        self._untrack(base)
        policy = dtype_policies.QuantizedDTypePolicy(mode, self.dtype_policy.name)
        self.dtype_policy = policy
        self._int8_build(tuple(base.shape), config)
        self._vars_by_attr[self._q_base].assign(np.asarray(q))
        self._vars_by_attr[self._q_scale].assign(scale)

    def _untrack(self, v):
        from ..state.tree import bump_structure_version

        for lst in (self._trainable_vars, self._non_trainable_vars):
            lst[:] = [w for w in lst if w is not v]
        for name, w in list(self._vars_by_attr.items()):
            if w is v:
                del self._vars_by_attr[name]
        if type(self).__dict__.get("_uk_torch_base") is not None:
            from .layer import _state_shim_layers

            _state_shim_layers("torch").sync(self)
        bump_structure_version()

    def _int8_build(self, shape, config=None):
        self._int8 = True
        setattr(self, self._q_base, self.add_weight(
            name=self._q_base, shape=shape, initializer="zeros", dtype="int8",
            trainable=False))
        setattr(self, self._q_scale, self.add_weight(
            name=self._q_scale, shape=(shape[self._q_axis - 1],), initializer="ones",
            trainable=False))

    def _saved_variables(self):
        if not self._int8:
            return super()._saved_variables()
        by = self._vars_by_attr
        return [by[n] for n in self._q_saved if n in by]

    def _saved_values(self):
        if not self._int8:
            return super()._saved_values()
        return [np.asarray(v.numpy()) for v in self._saved_variables()]


class Int8Dense(Int8):
    """Dense's int8: the inputs quantizer and the matmul."""

    def _int8_build(self, kernel_shape, config=None):
        self.inputs_quantizer = quantizers.QuantizationConfig.activation_quantizer_or_default(
            config, quantizers.AbsMaxQuantizer())
        super()._int8_build(kernel_shape, config)

    def _int8_matmul(self, x, kernel, kernel_scale):
        from ..ops import stop_gradient

        xp = namespace(x)
        cd = dtype_obj(xp, x, self.compute_dtype)
        if standardize_dtype(x.dtype) != self.compute_dtype:
            x = xp.astype(x, cd)
        k = xp.astype(kernel, cd)
        scale = kernel_scale
        if self.inputs_quantizer is not None:
            xq, xs = self.inputs_quantizer(x, axis=-1)
            xs = stop_gradient(xs)
            xq = xp.astype(xq, cd)
            # straight-through: the value of x_q, the gradient of x * scale_x
            x = x * xs + stop_gradient(xq - x * xs)
            scale = scale * xs
        return xp.matmul(x, k) / scale


class Int8Embedding(Int8):
    """Embedding's int8: one scale per row."""

    _q_base, _q_scale, _q_axis = "embeddings", "embeddings_scale", -1
    _q_saved = ("embeddings", "embeddings_scale")

    def _int8_lookup(self, table, scale, ids):
        xp = namespace(table)
        cd = dtype_obj(xp, table, self.compute_dtype)
        rows = xp.astype(xp.take(table, ids, axis=0), cd)
        return rows / xp.astype(xp.take(scale, ids, axis=0), cd)[:, None]
