"""The GPTQ and AWQ modes of Dense and EinsumDense (Keras 3.15's weight-only 2/3/4/8-bit
quantization calibrated on data; the algorithms are in ``unikeras/quantization/``).

``layer.quantize("gptq" | "awq", config=...)`` (what ``model.quantize`` calls on every
leaf first) only prepares the layer, as in Keras: it adds the quantized variables
(``quantized_kernel``, named ``kernel``: uint8 ``[columns, rows]``, 4-bit values packed
two per byte along the first axis; ``kernel_scale`` ``[columns, n_groups]``;
``kernel_zero`` uint8, named ``kernel_zero`` on Dense and ``zero_point`` on EinsumDense;
AWQ's ``awq_scales`` ``[rows]``; ``g_idx`` float32 ``[rows]``), sets the
``GPTQDTypePolicy``/``AWQDTypePolicy`` and keeps computing with the float kernel until
``model.quantize`` has calibrated it, which then drops the float kernel. ``rows`` x
``columns`` is the kernel's 2-D view (``quantization.common.kernel_rows_columns``). A
calibrated call dequantizes ``scale[:, g_idx] * (q - zero[:, g_idx])`` (AWQ: divided by
``awq_scales``) and runs the float layer with it. Files store Keras'
``variable_serialization_spec`` order: bias, kernel, kernel_scale, kernel_zero,
(awq_scales,) g_idx.
"""

from __future__ import annotations

import math

import numpy as np

from ..xp import namespace, standardize_dtype
from .quantize import Quantizable

_MODES = ("gptq", "awq")


def resolve_weight_only_config(mode, config):
    """Keras' ``validate_and_resolve_config`` for the two calibrated modes: ``(mode,
    config)``, with Keras' errors for a missing or mismatched config."""
    from ..quantizers import validate_and_resolve_config

    config = validate_and_resolve_config(mode, config)
    return config.mode, config


class WeightOnlyQuant:
    """Mixin of Dense, EinsumDense (and Embedding, which refuses the two modes as Keras
    does): ``quantize("gptq" | "awq")``, the variables and the call. ``_wq`` is None on a
    layer not in these modes, else a dict (mode, bits, rows, columns, kernel shape,
    calibrated)."""

    _wq = None
    _wq_supported = True        # Embedding: False
    _wq_zero_name = "kernel_zero"
    from_config = Quantizable.__dict__["from_config"]   # the quantization_config deserialized

    def quantize(self, mode=None, type_check=True, config=None):
        cmode = getattr(config, "mode", None) if config is not None else None
        if (mode if mode is not None else cmode) not in _MODES:
            return super().quantize(mode, type_check=type_check, config=config)
        mode, config = resolve_weight_only_config(mode, config)
        if not self.built:
            raise ValueError(f"Cannot quantize a layer that isn't yet built. Layer "
                             f"'{self.name}' (of type '{type(self).__name__}') is not built "
                             "yet.")
        if self.quantization_mode is not None:
            raise ValueError(f"Layer '{self.name}' is already quantized with "
                             f"dtype_policy='{self.dtype_policy.name}'. Received: "
                             f"mode={mode}")
        cls = type(self).__dict__.get("_uk_torch_base") or type(self)
        if type_check and not cls.__dict__.get("_quantizable", False):
            raise NotImplementedError(f"Layer {cls.__name__} does not have a `quantize()` "
                                      "method implemented.")
        self.quantization_config = config
        if not self._wq_supported:
            raise NotImplementedError("Invalid quantization mode. Expected one of ('int8', "
                                      f"'int4'). Received: quantization_mode={mode}")
        if getattr(self, "lora_enabled", False):
            raise ValueError(f'Layer "{self.name}": quantizing a LoRA-enabled layer is not '
                             "supported by unikeras; merge or quantize before enable_lora")
        from .. import dtype_policies

        shape = tuple(self._vars_by_attr["kernel"].shape)
        policy = dtype_policies.get(
            f"{config.dtype_policy_string()}_from_{self.dtype_policy.name}")
        self._wq_build(shape, mode, config, calibrated=False, policy=policy)
        self.dtype_policy = policy

    def enable_lora(self, rank, *args, **kwargs):
        """LoRA on a GPTQ layer is Keras' NotImplementedError; on an AWQ layer (Keras
        would add the factors to the packed integer kernel) unikeras refuses too."""
        st = self._wq
        if st is not None:
            if st["mode"] == "gptq":
                raise NotImplementedError("lora is not currently supported with GPTQ "
                                          "quantization.")
            raise NotImplementedError(f'Layer "{self.name}": LoRA on an AWQ-quantized layer '
                                      "is not supported by unikeras; enable LoRA before "
                                      "quantizing, or merge it first")
        return super().enable_lora(rank, *args, **kwargs)

    # ------------------------------------------------------------------ variables
    def _wq_settings(self, mode, config, policy=None):
        from ..dtype_policies import AWQDTypePolicy, GPTQDTypePolicy
        from ..quantizers import AWQConfig, GPTQConfig
        from ..quantization.common import resolve_layer_setting

        cfg_cls, pol_cls, algo = ((GPTQConfig, GPTQDTypePolicy, "GPTQ") if mode == "gptq"
                                  else (AWQConfig, AWQDTypePolicy, "AWQ"))
        if policy is not None and config is None:
            return policy.weight_bits, policy.group_size
        bits = resolve_layer_setting(self, config, cfg_cls, pol_cls, "weight_bits", algo) \
            if mode == "gptq" else 4
        group = resolve_layer_setting(self, config, cfg_cls, pol_cls, "group_size", algo)
        return bits, group

    def _wq_build(self, kernel_shape, mode, config=None, calibrated=True, policy=None):
        """The quantized variables of ``mode`` for a float kernel of ``kernel_shape``
        (``calibrated=True``: a quantized model being loaded, no float kernel)."""
        from ..quantization.common import kernel_rows_columns

        bits, group = self._wq_settings(mode, config, policy)
        rows, columns = kernel_rows_columns(kernel_shape)
        n_groups = 1 if group == -1 else math.ceil(rows / group)
        self.__dict__["_wq"] = {"mode": mode, "bits": bits, "rows": rows,
                                "columns": columns, "shape": tuple(kernel_shape),
                                "calibrated": calibrated}
        packed = (columns + 1) // 2 if bits == 4 else columns
        self.quantized_kernel = self.add_weight(name="kernel", shape=(packed, rows),
                                                initializer="zeros", dtype="uint8",
                                                trainable=False)
        self.kernel_scale = self.add_weight(name="kernel_scale", shape=(columns, n_groups),
                                            initializer="ones", trainable=False)
        self.kernel_zero = self.add_weight(name=self._wq_zero_name, shape=(columns, n_groups),
                                           initializer="zeros", dtype="uint8",
                                           trainable=False)
        if mode == "awq":
            self.awq_scales = self.add_weight(name="awq_scales", shape=(rows,),
                                              initializer="ones", trainable=False)
        self.g_idx = self.add_weight(name="g_idx", shape=(rows,), initializer="zeros",
                                     dtype="float32", trainable=False)

    def _wq_float_kernel(self):
        """The float kernel (the raw framework array) awaiting calibration."""
        return self._vars_by_attr["kernel"]._raw_array()

    def _wq_float_kernel_2d(self):
        k = self._wq_float_kernel()
        st = self._wq
        return namespace(k).reshape(k, (st["rows"], st["columns"]))

    def _wq_finish(self, q, scale, zero, g_idx, awq_scales=None):
        """Store a calibration's result and drop the float kernel (Keras' ``del
        layer._kernel``)."""
        from ..quantizers import pack_int4

        xp = namespace(q)
        st = self._wq
        q = xp.astype(q, xp.uint8)
        if st["bits"] == 4:
            q, _, _ = pack_int4(q, axis=0, dtype="uint8")
        by = self._vars_by_attr
        by["quantized_kernel"].assign(q)
        by["kernel_scale"].assign(scale)
        by["kernel_zero"].assign(zero)
        if awq_scales is not None:
            by["awq_scales"].assign(awq_scales)
        by["g_idx"].assign(g_idx)
        if "kernel" in by:
            Quantizable._untrack(self, by["kernel"])
        st["calibrated"] = True

    def _saved_variables(self):
        st = self._wq
        if st is None:
            return super()._saved_variables()
        by = self._vars_by_attr
        names = ["bias", "quantized_kernel", "kernel_scale", "kernel_zero"]
        names += ["awq_scales", "g_idx"] if st["mode"] == "awq" else ["g_idx"]
        return [by[n] for n in names if n in by]

    def _saved_values(self):
        if self._wq is None:
            return super()._saved_values()
        return [np.asarray(v.numpy()) for v in self._saved_variables()]

    # ------------------------------------------------------------------ call
    def _wq_kernel(self, inputs):
        """Inside ``call``: the kernel to compute with (float, before calibration, with
        the inputs fed to a calibration in progress; else dequantized)."""
        st = self._wq
        if not st["calibrated"]:
            cal = self.__dict__.get("_uk_calibration")
            if cal is not None:
                from ..ops import stop_gradient

                cal.update(stop_gradient(inputs))
            k = self.kernel
            return k
        from ..quantization.common import dequantize_with_sz_map
        from ..quantizers import unpack_int4

        xp = namespace(inputs)
        # TensorFlow's raw reads are tf.Variables: read them as tensors
        q, scale, zero, g_idx = (xp.asarray(a) for a in (
            self.quantized_kernel, self.kernel_scale, self.kernel_zero, self.g_idx))
        if st["bits"] == 4:
            q = unpack_int4(q, st["columns"], axis=0, dtype="uint8")
        w = xp.matrix_transpose(dequantize_with_sz_map(q, scale, zero, g_idx))
        if st["mode"] == "awq":
            w = w / xp.asarray(self.awq_scales)[:, None]
        w = xp.reshape(w, st["shape"])
        dt = standardize_dtype(inputs.dtype)
        if dt.startswith(("float", "bfloat")) and standardize_dtype(w.dtype) != dt:
            w = xp.astype(w, inputs.dtype)
        return w

    def _wq_bias_activation(self, x):
        from .. import activations

        bias = self.bias
        if bias is not None:
            x = x + bias
        return self.activation(x) if self.activation is not activations.linear else x
