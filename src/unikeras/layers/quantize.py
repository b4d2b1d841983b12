"""``layer.quantize(mode)`` / ``model.quantize(mode)``: Keras 3.15's int8, int4 and float8
quantization of Dense, EinsumDense, Embedding and ReversibleEmbedding.

One mixin, ``Quantizable``, holds what every mode and layer share: the checks of
``quantize``, the float weight replaced by the quantized variables (``_q_compute`` gives
their values on the host, ``_<mode>_build`` creates them, Keras' variable names, shapes
and order), the dtype policy set afterwards (``int8_from_float32``,
``int4/128_from_float32``, ``float8_from_float32``; rebuilding from that policy is how a
quantized file loads), and the stored variables in Keras' ``variable_serialization_spec``
order (``_q_spec``). A layer class lists the modes it implements in ``_q_modes``; a new
mode (GPTQ, AWQ) adds its name there and its ``_q_compute`` branch, ``_<mode>_build`` and
``_<mode>_call``. The per-layer mixins below hold each layer's formulas:

* **int8** (abs-max, symmetric, ``[-127, 127]``): Dense ``kernel`` int8 with one
  ``kernel_scale`` per output unit (``scale = 127 / (max |k| over the inputs + 1e-7)``);
  the inputs are quantized per row the same way (``Int8QuantizationConfig(
  activation_quantizer=None)``: weight-only) and ``y = (x_q @ k_q) / (scale_x *
  scale_k)``. EinsumDense: the same over the equation's contracted axes, the scales laid
  out to broadcast against the output (Keras' ``kernel_scale`` shape, e.g. ``(1, 1, D,
  E)`` for ``abc,cde->abde``). Embedding: an int8 table, one ``embeddings_scale`` per
  row. ReversibleEmbedding: the same, and its reverse matmul quantizes the hidden states.
* **int4** (values in ``[-8, 7]``, two per byte, Keras' ``pack_int4`` along the last
  axis: Dense ``kernel`` ``(input_dim, ceil(units / 2))``): per output channel
  (``block_size`` None or -1: symmetric abs-max, ``kernel_scale (units,)``), or in
  groups of ``block_size`` inputs (``Int4QuantizationConfig(block_size=128)``:
  asymmetric, ``kernel_scale``/``kernel_zero`` ``(n_groups, units)``, ``g_idx`` the group
  of each input row). A call unpacks (Array API bit arithmetic) and multiplies.
* **float8**: the float kernel stays; six float32 variables (``inputs_scale``,
  ``inputs_amax_history``, ``kernel_scale``, ``kernel_amax_history``,
  ``outputs_grad_scale``, ``outputs_grad_amax_history``, histories of
  ``amax_history_length``) hold Transformer Engine's delayed scaling. A call rounds the
  inputs and kernel to float8_e4m3fn at their scales (quantize-dequantize, emulated in
  the compute dtype, exact) and multiplies; the output gradient is rounded to
  float8_e5m2. In training the custom gradient of each of these returns the *new* scale
  and amax history as the "gradient" of the scale and history variables, which are
  ``overwrite_with_gradient`` variables: the optimizer assigns them instead of stepping
  (training/optimizers/base.py). The bias is rounded to bfloat16 under float32 compute,
  as Keras does.

Gradients reach the inputs through the dequantized kernel (int8/int4: a straight-through
round of the inputs; float8: Keras' custom gradient). The quantized variables are not
trainable. LoRA on a quantized layer adds ``(alpha / rank) * (x @ A) @ B`` in float; its
file stores the merged weight re-quantized (Keras' ``_get_kernel_with_merged_lora``).
float8 with LoRA raises as in Keras.

Cost: int8/int4 quantization happens once, on the host; an int4 call unpacks its kernel
(about four elementwise passes over the packed bytes) before the matmul; a float8 call
adds two quantize-dequantize passes (inputs, kernel) of about ten elementwise ops each.
"""

from __future__ import annotations

import math

import numpy as np

from .. import dtype_policies, quantizers
from ..xp import framework_of, namespace, standardize_dtype
from .normalization import dtype_obj

_E4M3_MAX, _E5M2_MAX = 448.0, 57344.0


def _bf16_round(xp, b):
    """``b`` (float32) rounded to bfloat16 and back (Keras' float8 bias), nearest-even."""
    fw = framework_of(b)
    if fw in (None, "numpy"):
        a = np.asarray(b, np.float32)
        u = a.view(np.uint32).astype(np.uint64)
        u = ((u + 0x7FFF + ((u >> 16) & 1)) & 0xFFFF0000).astype(np.uint32)
        return u.view(np.float32)
    return xp.astype(xp.astype(b, dtype_obj(xp, b, "bfloat16")), b.dtype)


def _has_autodiff(x):
    from ..ops._common import ops_shim

    return hasattr(ops_shim(framework_of(x) or "numpy"), "custom_gradient")


class Quantizable:
    """Mixin of the quantizable layers (see the module docstring). The class that may be
    quantized sets ``_quantizable = True`` in its own body (``type_check``, as Keras: its
    subclasses are not quantized unless ``type_check=False``)."""

    _q_base = "kernel"
    _q_modes = ("int8", "int4", "float8")
    _q_spec = {None: ("kernel", "bias"), "int8": ("kernel", "bias", "kernel_scale"),
               "int4": ("kernel", "bias", "kernel_scale", "kernel_zero", "g_idx"),
               "float8": ("kernel", "bias", "inputs_scale", "inputs_amax_history",
                          "kernel_scale", "kernel_amax_history", "outputs_grad_scale",
                          "outputs_grad_amax_history")}
    _q_mode = None  # the mode whose variables this layer holds (set by _q_build)

    @classmethod
    def from_config(cls, config):
        """The config's ``quantization_config`` (a serialized QuantizationConfig) rebuilt."""
        config = dict(config)
        config["quantization_config"] = quantizers.deserialize(
            config.get("quantization_config"))
        return cls(**config)

    # ------------------------------------------------------------------ quantize
    def quantize(self, mode=None, type_check=True, config=None):
        """Keras 3's ``Layer.quantize(mode, type_check=True, config=None)``: quantize the
        built layer's weights in place (modes: the class's ``_q_modes``)."""
        # as Keras' quantize wrapper: the mode's default config when none is given
        # (``"int4"``: Int4QuantizationConfig(block_size=128)), then the layer's checks
        config = quantizers.validate_and_resolve_config(mode, config)
        mode = config.mode
        if not self.built:
            raise ValueError(f"Cannot quantize a layer that isn't yet built. Layer "
                             f"'{self.name}' (of type '{type(self).__name__}') is not built "
                             "yet.")
        if self.quantization_mode is not None or self._q_mode is not None:
            raise ValueError(f"Layer '{self.name}' is already quantized with "
                             f"dtype_policy='{self.dtype_policy.name}'. Received: "
                             f"mode={mode}")
        if mode == "int8" and self.compute_dtype == "float16":
            raise ValueError(f"Quantization mode='{mode}' doesn't work well with "
                             "compute_dtype='float16'. Consider loading model/layer with "
                             "another dtype policy such as 'mixed_bfloat16' or "
                             "'mixed_float16' before calling `quantize()`.")
        cls = type(self).__dict__.get("_uk_torch_base") or type(self)
        if type_check and not cls.__dict__.get("_quantizable", False):
            raise NotImplementedError(f"Layer {cls.__name__} does not have a `quantize()` "
                                      "method implemented.")
        if mode not in self._q_modes:
            raise ValueError(f"Invalid quantization mode. Expected one of {self._q_modes}. "
                             f"Received: quantization_mode={mode} (layer '{self.name}')")
        self.quantization_config = config
        floats = {n: np.asarray(self._vars_by_attr[n].numpy()) for n in self._q_replaced()}
        values = self._q_compute(mode, floats, config)
        if mode != "float8":
            for n in self._q_replaced():
                self._untrack(self._vars_by_attr[n])
        self._q_build(mode, tuple(floats[self._q_base].shape), config)
        for name, value in values.items():
            self._vars_by_attr[name].assign(np.asarray(value))
        policy = mode
        if mode == "int4":
            bs = quantizers.get_block_size_for_layer(self, config)
            policy = f"int4/{-1 if bs is None else bs}"
        self.dtype_policy = dtype_policies.get(f"{policy}_from_{self.dtype_policy.name}")

    def _q_replaced(self):
        """The float weights int8/int4 replace (ReversibleEmbedding: two)."""
        return (self._q_base,)

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

    def _q_build(self, mode, shape, config=None):
        """Create the variables of ``mode`` for a float base weight of ``shape``."""
        if mode not in self._q_modes:
            raise ValueError(f"Invalid quantization mode. Expected one of {self._q_modes}. "
                             f"Received: quantization_mode={mode} (layer '{self.name}')")
        self._q_mode = mode
        self._q_shape = tuple(shape)
        getattr(self, f"_{mode}_build")(tuple(shape), config)

    def _q_weight(self, name, shape, dtype=None, initializer="zeros"):
        v = self.add_weight(name=name, shape=shape, initializer=initializer, dtype=dtype,
                            trainable=False)
        setattr(self, name, v)
        return v

    def _float8_build(self, shape, config=None):
        n = getattr(self.dtype_policy, "amax_history_length",
                    dtype_policies.QuantizedFloat8DTypePolicy.default_amax_history_length)
        for name in self._q_spec["float8"][2:]:
            hist = name.endswith("history")
            v = self.add_weight(name=name, shape=(n,) if hist else (),
                                initializer="zeros" if hist else "ones", dtype="float32",
                                trainable=True, autocast=False)
            v.overwrite_with_gradient = True
            setattr(self, name, v)

    def _int4_group(self, config):
        bs = quantizers.get_block_size_for_layer(self, config)
        self._int4_block_size = None if bs == -1 else bs
        return self._int4_block_size

    # ------------------------------------------------------------------ saving
    def _saved_variables(self):
        if self._q_mode is None:
            return super()._saved_variables()
        by = self._vars_by_attr
        return [by[n] for n in self._q_spec[self._q_mode] if n in by]

    def _saved_values(self):
        if self._q_mode is None:
            return super()._saved_values()
        saved = self._saved_variables()
        values = [np.asarray(v.numpy()) for v in saved]
        if getattr(self, "lora_enabled", False) and self._q_mode in ("int8", "int4"):
            merged = self._q_compute(self._q_mode, self._q_merged_floats(),
                                     self.quantization_config, lora_merge=True)
            names = {id(self._vars_by_attr[n]): n for n in merged}
            values = [np.asarray(merged[names[id(v)]]) if id(v) in names else val
                      for v, val in zip(saved, values)]
        return values

    def _q_merged_floats(self):
        """The dequantized base weight(s) plus the LoRA delta, on the host."""
        a, b = (np.asarray(getattr(self, n).numpy(), np.float32) for n in self._lora_names)
        base = self._q_dequantized()
        return {self._q_base: base + (self.lora_alpha / self.lora_rank) * (a @ b)}


# ------------------------------------------------------------------------ host helpers
def _int4_values(w, config, axis, block_size, base, pack_axis=-1, grouped_t=False):
    """int4 values of the host float ``w``: ``{base, base_scale[, base_zero]}`` (Keras'
    names: ``kernel_scale``/``embeddings_scale``), packed along ``pack_axis``."""
    if block_size is None:
        wq = quantizers.QuantizationConfig.weight_quantizer_or_default(
            config, quantizers.AbsMaxQuantizer(axis=axis, value_range=(-8, 7)))
        q, s = wq(w, to_numpy=True)
        out = {f"{base}_scale": np.squeeze(np.asarray(s), axis=axis)}
    elif grouped_t:  # groups along the last axis: quantize the transpose
        q, s, z = quantizers.abs_max_quantize_grouped_with_zero_point(
            w.T, block_size=block_size, to_numpy=True)
        q, out = q.T, {f"{base}_scale": s.T, f"{base}_zero": z.T}
    else:
        q, s, z = quantizers.abs_max_quantize_grouped_with_zero_point(
            w, block_size=block_size, to_numpy=True)
        out = {f"{base}_scale": s, f"{base}_zero": z}
    out[base] = quantizers.pack_int4(np.asarray(q), axis=pack_axis)[0]
    return out


def _int8_values(w, config, axis, base):
    wq = quantizers.QuantizationConfig.weight_quantizer_or_default(
        config, quantizers.AbsMaxQuantizer(axis=axis))
    q, s = wq(w, to_numpy=True)
    return {base: np.asarray(q), f"{base}_scale": np.asarray(s)}


def _dequantize_grouped(q, scale, zero, block_size):
    """Host: ``(q - zero[g]) * scale[g]`` with groups of ``block_size`` rows."""
    g = np.arange(q.shape[0]) // block_size
    return (q.astype(np.float32) - zero[g].astype(np.float32)) * scale[g]


def _block_int4(config, block_size):
    if isinstance(config, quantizers.Int4QuantizationConfig):
        bs = config.block_size
        return None if bs == -1 else bs
    return block_size


# ------------------------------------------------------------------------ call helpers
def _cast(xp, x, dtype):
    if standardize_dtype(x.dtype) != dtype:
        x = xp.astype(x, dtype_obj(xp, x, dtype))
    return x


def _quantize_inputs(quantizer, x, axis):
    """``(x_q as float, scale_x)`` with a straight-through gradient: the value of
    ``x_q``, the gradient of ``x * scale_x`` (Keras' custom gradient, which passes the
    upstream gradient to the inputs through the dequantized kernel)."""
    from ..ops import stop_gradient

    xp = namespace(x)
    xq, xs = quantizer(x, axis=axis)
    xs = stop_gradient(xs)
    xq = xp.astype(xq, x.dtype)
    return x * xs + stop_gradient(xq - x * xs), xs


def _qdq(x, scale, fmt, cd):
    return quantizers.quantize_and_dequantize(x, scale, fmt, cd)


def _float8_product(layer, product, x, kernel, training):
    """Keras' float8 forward: ``product(qdq_e4m3(x), qdq_e4m3(kernel))`` with its output
    gradient rounded to e5m2, and (in training) the delayed-scaling updates returned as
    the gradients of the scale and amax-history variables."""
    if getattr(layer, "lora_enabled", False):
        raise NotImplementedError("Currently, `_float8_call` doesn't support LoRA")
    cd = layer.compute_dtype
    x_s, x_h = layer.inputs_scale, layer.inputs_amax_history
    k_s, k_h = layer.kernel_scale, layer.kernel_amax_history
    g_s, g_h = layer.outputs_grad_scale, layer.outputs_grad_amax_history
    if not _has_autodiff(x):
        return product(_qdq(x, x_s, "float8_e4m3fn", cd), _qdq(kernel, k_s, "float8_e4m3fn", cd))
    from ..ops import custom_gradient

    xp = namespace(x)

    @custom_gradient
    def qdq_in(v, scale, hist):
        if training:  # computed here, from the arguments (no tracer escapes under jax)
            new_scale = quantizers.compute_float8_scale(xp.max(hist, axis=0), scale,
                                                        _E4M3_MAX)
            new_hist = quantizers.compute_float8_amax_history(v, hist)
        else:
            new_scale, new_hist = xp.zeros_like(scale), xp.zeros_like(hist)

        def grad(*args, upstream=None):
            if upstream is None:
                (upstream,) = args
            return upstream, new_scale, new_hist
        return _qdq(v, scale, "float8_e4m3fn", cd), grad

    @custom_gradient
    def qdq_out(y, scale, hist):
        def grad(*args, upstream=None):
            if upstream is None:
                (upstream,) = args
            new_scale = quantizers.compute_float8_scale(xp.max(hist, axis=0), scale,
                                                        _E5M2_MAX)
            new_hist = quantizers.compute_float8_amax_history(upstream, hist)
            return _qdq(upstream, scale, "float8_e5m2", cd), new_scale, new_hist
        return y, grad

    y = product(qdq_in(x, x_s, x_h), qdq_in(kernel, k_s, k_h))
    return qdq_out(y, g_s, g_h)


def _float8_bias(layer, xp, bias):
    if layer.dtype_policy.compute_dtype == "float32":
        return _bf16_round(xp, bias)
    return bias


# ------------------------------------------------------------------------ Dense
class QuantizedDense(Quantizable):
    """Dense's modes: the matmul of each, Keras' variable shapes."""

    def _q_compute(self, mode, floats, config, lora_merge=False):
        w = floats["kernel"]
        if mode == "int8":
            if lora_merge:
                q, s = quantizers.abs_max_quantize(w, axis=0, to_numpy=True)
                return {"kernel": q, "kernel_scale": np.squeeze(s, 0)}
            out = _int8_values(w, config, 0, "kernel")
            out["kernel_scale"] = np.squeeze(out["kernel_scale"], axis=0)
            return out
        if mode == "int4":
            bs = (getattr(self, "_int4_block_size", None) if lora_merge
                  else _block_int4(config, None))
            return _int4_values(w, None if lora_merge else config, 0, bs, "kernel")
        return {}

    def _q_dequantized(self):
        q = np.asarray(self.kernel.numpy())
        s = np.asarray(self.kernel_scale.numpy())
        if self._q_mode == "int4":
            q = np.asarray(quantizers.unpack_int4(q, self._q_cols, axis=-1))
            if self._int4_block_size is not None:
                return _dequantize_grouped(q, s, np.asarray(self.kernel_zero.numpy()),
                                           self._int4_block_size)
        return q.astype(np.float32) / s

    def _int8_build(self, shape, config=None):
        self.inputs_quantizer = quantizers.QuantizationConfig.activation_quantizer_or_default(
            config, quantizers.AbsMaxQuantizer())
        self._q_weight("kernel", shape, "int8")
        self._q_weight("kernel_scale", (shape[1],), initializer="ones")

    def _int4_build(self, shape, config=None):
        self.inputs_quantizer = quantizers.QuantizationConfig.activation_quantizer_or_default(
            config, None)
        rows, cols = shape
        self._q_cols = cols
        self._q_weight("kernel", (rows, (cols + 1) // 2), "int8")
        bs = self._int4_group(config)
        sshape = (cols,) if bs is None else (math.ceil(rows / bs), cols)
        self._q_weight("kernel_scale", sshape, initializer="ones")
        if bs is not None:
            self._q_weight("kernel_zero", sshape, "int8")
            g = self._q_weight("g_idx", (rows,), "float32")
            g.assign(np.floor_divide(np.arange(rows, dtype=np.float32), bs))

    def _q_matmul(self, x, kernel, scale):
        """``(x @ k) / scale`` in the compute dtype, the inputs quantized per row when
        the layer has an inputs quantizer."""
        xp = namespace(x)
        cd = self.compute_dtype
        x = _cast(xp, x, cd)
        if self.inputs_quantizer is not None:
            x, xs = _quantize_inputs(self.inputs_quantizer, x, -1)
            scale = scale * xs
        return xp.matmul(x, _cast(xp, kernel, cd)) / scale

    def _int8_call(self, x, training=None):
        return self._q_matmul(x, self.kernel, self.kernel_scale)

    def _int4_call(self, x, training=None):
        k = quantizers.unpack_int4(self.kernel, self._q_cols, axis=-1)
        if self._int4_block_size is None:
            return self._q_matmul(x, k, self.kernel_scale)
        xp = namespace(x)
        cd = self.compute_dtype
        k = quantizers.dequantize_with_sz_map(k, self.kernel_scale, self.kernel_zero,
                                              self.g_idx, group_axis=0)
        return xp.matmul(_cast(xp, x, cd), _cast(xp, k, cd))

    def _float8_call(self, x, training=None):
        xp = namespace(x)
        return _float8_product(self, xp.matmul, _cast(xp, x, self.compute_dtype),
                               self.kernel, training)

    def _q_lora_in(self, x, a):
        """The inputs' product with LoRA's A factor (EinsumDense: its equation)."""
        return namespace(x).matmul(x, a)

    def _q_call(self, inputs, training=None):
        """The quantized mode's product, LoRA's term, then the bias."""
        x = getattr(self, f"_{self._q_mode}_call")(inputs, training)
        xp = namespace(x)
        if getattr(self, "lora_enabled", False):
            a, b = self._lora_factors()
            lx = xp.matmul(self._q_lora_in(_cast(xp, inputs, "float32"), a), b)
            x = _cast(xp, x + (self.lora_alpha / self.lora_rank) * lx, self.compute_dtype)
        bias = self.bias
        if bias is not None:
            x = x + (_float8_bias(self, xp, bias) if self._q_mode == "float8" else bias)
        return x


# ------------------------------------------------------------------------ Embedding
class QuantizedEmbedding(Quantizable):
    """Embedding's modes: int8 and int4 tables, one scale (and zero point) per row or
    per group of ``block_size`` columns of a row."""

    _q_base = "embeddings"
    _q_modes = ("int8", "int4")
    _q_spec = {None: ("embeddings",), "int8": ("embeddings", "embeddings_scale"),
               "int4": ("embeddings", "embeddings_scale", "embeddings_zero", "g_idx")}

    def _q_compute(self, mode, floats, config, lora_merge=False):
        w = floats["embeddings"]
        if lora_merge:
            config = None
        if mode == "int8":
            out = _int8_values(w, config, -1, "embeddings")
            out["embeddings_scale"] = np.squeeze(out["embeddings_scale"], axis=-1)
            return out
        bs = self._int4_block_size if lora_merge else _block_int4(config, None)
        return _int4_values(w, config, -1, bs, "embeddings", grouped_t=True)

    def _q_dequantized(self):
        q = np.asarray(self.embeddings.numpy())
        s = np.asarray(self.embeddings_scale.numpy())
        if self._q_mode == "int4":
            q = np.asarray(quantizers.unpack_int4(q, self.output_dim, axis=-1))
            if self._int4_block_size is not None:
                z = np.asarray(self.embeddings_zero.numpy())
                return _dequantize_grouped(q.T, s.T, z.T, self._int4_block_size).T
        return q.astype(np.float32) / s[:, None]

    def _int8_build(self, shape, config=None):
        self._q_weight("embeddings", shape, "int8")
        self._q_weight("embeddings_scale", (shape[0],), initializer="ones")

    def _int4_build(self, shape, config=None):
        rows, cols = shape
        self._q_weight("embeddings", (rows, (cols + 1) // 2), "int8")
        bs = self._int4_group(config)
        sshape = (rows,) if bs is None else (rows, math.ceil(cols / bs))
        self._q_weight("embeddings_scale", sshape, initializer="ones")
        if bs is not None:
            self._q_weight("embeddings_zero", sshape, "int8")
            g = self._q_weight("g_idx", (cols,), "float32")
            g.assign(np.floor_divide(np.arange(cols, dtype=np.float32), bs))

    def _q_lookup(self, ids):
        """The dequantized rows of the flat ``ids`` (int8/int4), then LoRA's rows."""
        table = self.embeddings
        xp = namespace(table)
        cd = self.compute_dtype
        if self._q_mode == "int4":
            table = quantizers.unpack_int4(table, self.output_dim, axis=-1)
        rows = _cast(xp, xp.take(table, ids, axis=0), cd)
        scale = xp.take(self.embeddings_scale, ids, axis=0)
        if self._q_mode == "int4" and self._int4_block_size is not None:
            zero = xp.take(self.embeddings_zero, ids, axis=0)
            out = quantizers.dequantize_with_sz_map(rows, scale, zero, self.g_idx,
                                                    group_axis=-1)
        else:
            out = rows / _cast(xp, scale, cd)[:, None]
        if getattr(self, "lora_enabled", False):
            a, b = self._lora_factors()
            lo = xp.matmul(xp.take(a, ids, axis=0), b)
            out = _cast(xp, out + (self.lora_alpha / self.lora_rank) * lo, cd)
        return out


class QuantizedReversibleEmbedding(QuantizedEmbedding):
    """ReversibleEmbedding's modes: the table as Embedding's; untied, also the
    ``reverse_embeddings`` ``(output_dim, input_dim)`` quantized per column (int4: packed
    along its first axis); the reverse matmul quantizes the hidden states per row."""

    _q_spec_tied = QuantizedEmbedding._q_spec
    _q_spec_untied = {
        None: ("embeddings", "reverse_embeddings"),
        "int8": ("embeddings", "embeddings_scale", "reverse_embeddings",
                 "reverse_embeddings_scale"),
        "int4": ("embeddings", "embeddings_scale", "embeddings_zero", "g_idx",
                 "reverse_embeddings", "reverse_embeddings_scale", "reverse_embeddings_zero")}

    @property
    def _q_spec(self):
        return self._q_spec_tied if self.tie_weights else self._q_spec_untied

    def _q_replaced(self):
        return ("embeddings",) if self.tie_weights else ("embeddings", "reverse_embeddings")

    def _q_compute(self, mode, floats, config, lora_merge=False):
        out = super()._q_compute(mode, floats, config, lora_merge)
        if self.tie_weights or "reverse_embeddings" not in floats:
            return out
        r = floats["reverse_embeddings"]
        if mode == "int8":
            rev = _int8_values(r, config, 0, "reverse_embeddings")
            rev["reverse_embeddings_scale"] = np.squeeze(rev["reverse_embeddings_scale"], 0)
        else:
            bs = _block_int4(config, None)
            rev = _int4_values(r, config, 0, bs, "reverse_embeddings", pack_axis=0)
        out.update(rev)
        return out

    def _q_merged_floats(self):
        return {"embeddings": super()._q_merged_floats()["embeddings"]}

    def _int8_build(self, shape, config=None):
        super()._int8_build(shape, config)
        self.inputs_quantizer = quantizers.QuantizationConfig.activation_quantizer_or_default(
            config, quantizers.AbsMaxQuantizer(axis=-1))
        if not self.tie_weights:
            self._q_weight("reverse_embeddings", (shape[1], shape[0]), "int8")
            self._q_weight("reverse_embeddings_scale", (shape[0],), initializer="ones")

    def _int4_build(self, shape, config=None):
        super()._int4_build(shape, config)
        self.inputs_quantizer = quantizers.QuantizationConfig.activation_quantizer_or_default(
            config, quantizers.AbsMaxQuantizer(axis=-1))
        if not self.tie_weights:
            rows, cols = shape
            self._q_weight("reverse_embeddings", ((cols + 1) // 2, rows), "int8")
            bs = self._int4_block_size
            sshape = (rows,) if bs is None else (math.ceil(cols / bs), rows)
            self._q_weight("reverse_embeddings_scale", sshape, initializer="ones")
            if bs is not None:  # float32, as Keras creates it
                self._q_weight("reverse_embeddings_zero", sshape)

    def _q_reverse(self, x):
        """The logits ``x @ embeddings.T`` (or ``@ reverse_embeddings``) of int8/int4."""
        xp = namespace(x)
        cd = self.compute_dtype
        x = _cast(xp, x, cd)
        bs = self._int4_block_size if self._q_mode == "int4" else None
        if self.tie_weights:
            k = xp.matrix_transpose(self.embeddings)
            scale = self.embeddings_scale
            zero = self.embeddings_zero if bs is not None else None
            if bs is not None:
                scale, zero = xp.matrix_transpose(scale), xp.matrix_transpose(zero)
        else:
            k, scale = self.reverse_embeddings, self.reverse_embeddings_scale
            zero = self.reverse_embeddings_zero if bs is not None else None
        if self._q_mode == "int4":
            k = quantizers.unpack_int4(k, self.output_dim, axis=0)
        xs = None
        if self.inputs_quantizer is not None:
            x, xs = _quantize_inputs(self.inputs_quantizer, x, None)
        if bs is None:
            logits = xp.matmul(x, _cast(xp, k, cd))
            return logits / (scale if xs is None else xs * scale)
        k = quantizers.dequantize_with_sz_map(_cast(xp, k, cd), scale, zero, self.g_idx,
                                              group_axis=0)
        logits = xp.matmul(x, k)
        return logits if xs is None else logits / xs


# ------------------------------------------------------------------------ EinsumDense
def einsum_quant_info(equation, ndim):
    """Keras' quantization analysis of an EinsumDense equation for inputs of rank
    ``ndim``: the input's and kernel's contracted axes and, for each, how its abs-max
    scale (kept dims) is laid out to broadcast against the output: the permutation of
    its axes, the axes to insert and the axes to drop (Keras' transpose/expand/squeeze
    axes, with its pairing of contracted axes to the output axes the tensor lacks)."""
    eq = equation.replace(" ", "")
    lhs, out = eq.split("->")
    a, b = lhs.split(",")
    free = [c for c in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
            if c not in eq]
    if a.startswith("..."):
        n = ndim - (len(a) - 3)
        fill = "".join(free[:n])
        a, out = fill + a[3:], fill + out[3:]
    elif a.endswith("..."):
        n = ndim - (len(a) - 3)
        fill = "".join(free[:n])
        a, out = a[:-3] + fill, out[:-3] + fill

    def layout(t):
        reduced = [i for i, c in enumerate(t) if c not in out]
        expand = [i for i, c in enumerate(out) if c not in t]
        perm = [t.index(c) for c in out if c in t]
        squeeze = []
        idx = None
        for r in reduced:
            if expand:
                idx = expand.pop(0)
            else:
                squeeze.append(r)
                if idx is None:
                    raise ValueError(f"EinsumDense: cannot quantize the equation "
                                     f"{equation!r} (no output axis for its scale)")
            perm.insert(idx, r)
        return tuple(reduced), tuple(perm), tuple(expand), tuple(squeeze)

    return layout(a), layout(b)


def _lay_out(xp, s, perm, expand, squeeze):
    if perm and tuple(perm) != tuple(range(len(perm))):
        s = xp.permute_dims(s, perm)
    for ax in sorted(expand):
        s = xp.expand_dims(s, axis=ax)
    if squeeze:
        s = xp.squeeze(s, axis=tuple(squeeze))
    return s


def _lay_out_np(s, perm, expand, squeeze):
    s = np.transpose(s, perm) if perm else s
    for ax in sorted(expand):
        s = np.expand_dims(s, ax)
    return np.squeeze(s, axis=tuple(squeeze)) if squeeze else s


def _lay_back(xp, s, perm, expand, squeeze):
    """The inverse of ``_lay_out``: a laid-out scale back in the kernel's axis order."""
    if squeeze:
        for ax in sorted(squeeze):
            s = xp.expand_dims(s, axis=ax)
    if expand:
        s = xp.squeeze(s, axis=tuple(expand))
    if perm:
        inv = tuple(sorted(range(len(perm)), key=perm.__getitem__))
        if inv != tuple(range(len(inv))):
            s = xp.permute_dims(s, inv)
    return s


class QuantizedEinsumDense(QuantizedDense):
    """EinsumDense's modes: int8 scales laid out against the output; int4 on the kernel
    viewed as ``(contracted, other)`` (Keras' reshape of the kernel in its own axis
    order), packed along its columns; float8 as Dense's with the einsum. The layer
    gives ``_q_einsum(x, kernel)``, its equation's product."""

    def _q_info(self):
        info = getattr(self, "_q_info_cache", None)
        if info is None:
            info = self._q_info_cache = einsum_quant_info(self.equation, self.input_spec.ndim)
        return info

    def _q_2d(self, shape):
        red = self._q_info()[1][0]
        rows = int(np.prod([d for i, d in enumerate(shape) if i in red]))
        return rows, int(np.prod(shape)) // rows

    def _q_compute(self, mode, floats, config, lora_merge=False):
        w = floats["kernel"]
        if lora_merge:
            config = None
        _, (red, perm, expand, squeeze) = self._q_info()
        if mode == "int8":
            wq = quantizers.QuantizationConfig.weight_quantizer_or_default(
                config, quantizers.AbsMaxQuantizer(axis=red))
            q, s = wq(w, to_numpy=True)
            return {"kernel": np.asarray(q),
                    "kernel_scale": _lay_out_np(np.asarray(s), perm, expand, squeeze)}
        if mode == "int4":
            bs = self._int4_block_size if lora_merge else _block_int4(config, None)
            return _int4_values(w.reshape(self._q_2d(w.shape)), None, 0, bs, "kernel")
        return {}

    def _q_dequantized(self):
        shape = self._q_shape
        if self._q_mode == "int4":
            flat = super()._q_dequantized()
            return flat.reshape(shape)
        _, (red, perm, expand, squeeze) = self._q_info()
        s = np.asarray(_lay_back(np, np.asarray(self.kernel_scale.numpy()), perm, expand,
                                 squeeze))
        return np.asarray(self.kernel.numpy()).astype(np.float32) / s

    def _int8_build(self, shape, config=None):
        self.inputs_quantizer = quantizers.QuantizationConfig.activation_quantizer_or_default(
            config, quantizers.AbsMaxQuantizer())
        _, (red, perm, expand, squeeze) = self._q_info()
        self._q_weight("kernel", shape, "int8")
        sshape = tuple(1 if i in red else d for i, d in enumerate(shape))
        sshape = _lay_out_np(np.zeros(sshape, np.float32), perm, expand, squeeze).shape
        self._q_weight("kernel_scale", tuple(sshape), initializer="ones")

    def _int4_build(self, shape, config=None):
        super()._int4_build(self._q_2d(shape), config)

    def _int8_call(self, x, training=None):
        xp = namespace(x)
        cd = self.compute_dtype
        x = _cast(xp, x, cd)
        scale = self.kernel_scale
        if self.inputs_quantizer is not None:
            (red, perm, expand, squeeze), _ = self._q_info()
            x, xs = _quantize_inputs(self.inputs_quantizer, x, red)
            scale = scale * _lay_out(xp, xs, perm, expand, squeeze)
        return self._q_einsum(x, _cast(xp, self.kernel, cd)) / scale

    def _int4_call(self, x, training=None):
        xp = namespace(x)
        cd = self.compute_dtype
        k = quantizers.unpack_int4(self.kernel, self._q_cols, axis=-1)
        if self._int4_block_size is None:
            k = _cast(xp, k, cd) / self.kernel_scale
        else:
            k = _cast(xp, quantizers.dequantize_with_sz_map(
                k, self.kernel_scale, self.kernel_zero, self.g_idx, group_axis=0), cd)
        k = xp.reshape(k, self._q_shape)
        x = _cast(xp, x, cd)
        if self._int4_block_size is None and self.inputs_quantizer is not None:
            (red, perm, expand, squeeze), _ = self._q_info()
            x, xs = _quantize_inputs(self.inputs_quantizer, x, red)
            return self._q_einsum(x, k) / _lay_out(xp, xs, perm, expand, squeeze)
        return self._q_einsum(x, k)

    def _float8_call(self, x, training=None):
        xp = namespace(x)
        return _float8_product(self, self._q_einsum, _cast(xp, x, self.compute_dtype),
                               self.kernel, training)

    def _q_lora_in(self, x, a):
        return self._q_einsum(x, a)
