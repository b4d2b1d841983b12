"""``keras.quantizers`` (Keras 3.15): abs-max quantization and its configs.

``abs_max_quantize(x, axis, value_range=(-127, 127), dtype="int8", epsilon=1e-7)``:
``scale = value_range[1] / (max(|x|, axis, keepdims) + epsilon)`` and
``clip(round(x * scale), *value_range)`` cast to ``dtype`` (round half to even, as every
framework's round). Written once against the Array API (or in NumPy with
``to_numpy=True``, as Keras does for weights: the work stays on the host). Dequantize
with ``q / scale``. Layers use it through ``layer.quantize("int8")`` (layers/quantize.py). Also Keras'
int4 packing (``pack_int4``/``unpack_int4``, two values per byte) and the float8 scale
helpers (``compute_float8_scale``, ``compute_float8_amax_history``).
"""

from __future__ import annotations

import numpy as np

from .utils.serialization import (deserialize_simple, register, serialize_keras_object,
                                  serialize_simple)
from .xp import framework_of, namespace, native_dtype, to_numpy as _host
from .xp.dtypes import epsilon as _epsilon, standardize_dtype


def _axes(axis, ndim):
    axis = (axis,) if isinstance(axis, int) else tuple(axis)
    return tuple(a % ndim for a in axis)


def abs_max_quantize(inputs, axis, value_range=(-127, 127), dtype="int8", epsilon=None,
                     to_numpy=False):
    """Keras' ``abs_max_quantize``: ``(quantized, scale)`` with the scale kept (keepdims)
    along ``axis`` in the input's dtype."""
    eps = _epsilon() if epsilon is None else epsilon
    if to_numpy or isinstance(inputs, (np.ndarray, list, tuple, float, int)):
        x = np.asarray(_host(inputs))
        dt = x.dtype
        axes = _axes(axis, x.ndim)
        scale = value_range[1] / (np.max(np.abs(x), axis=axes, keepdims=True) + eps)
        out = np.clip(np.round(x * scale), value_range[0], value_range[1]).astype(dtype)
        return out, scale.astype(dt)
    xp = namespace(inputs)
    axes = _axes(axis, inputs.ndim)
    scale = value_range[1] / (xp.max(xp.abs(inputs), axis=axes, keepdims=True) + eps)
    scale = xp.astype(scale, inputs.dtype)
    out = xp.clip(xp.round(inputs * scale), float(value_range[0]), float(value_range[1]))
    return xp.astype(out, getattr(xp, standardize_dtype(dtype))), scale


def abs_max_quantize_grouped_with_zero_point(inputs, block_size, value_range=(-8, 7),
                                             dtype="int8", epsilon=None, to_numpy=False):
    """Keras' ``abs_max_quantize_grouped_with_zero_point``: asymmetric quantization of a 2D
    ``(input_dim, output_dim)`` tensor in groups of ``block_size`` rows (the last group
    zero-padded). Per group and column: ``scale = (max - min + epsilon) / (qmax - qmin)``,
    ``zero = clip(round(-min / scale) + qmin, qmin, qmax)`` and
    ``q = clip(round(x / scale) + zero, qmin, qmax)``. Returns ``(q, scale, zero)``:
    ``q`` like ``inputs`` in ``dtype``, ``scale`` ``(n_groups, output_dim)`` in the inputs'
    dtype, ``zero`` the same shape in int8. ``to_numpy=True`` computes on the host (as
    Keras does for weights); otherwise on the array's framework, through
    ``compute_quantization_parameters`` (which widens a constant group's range by one on
    each side, as Keras' tensor path does)."""
    eps = _epsilon() if epsilon is None else epsilon
    qmin, qmax = value_range
    if isinstance(inputs, (list, tuple)):
        inputs = np.asarray(inputs, np.float32)
    if to_numpy:
        x = np.asarray(_host(inputs))
        dt = x.dtype
        rows, cols = x.shape
        n_groups = -(-rows // block_size)
        pad = n_groups * block_size - rows
        if pad:
            x = np.concatenate([x, np.zeros((pad, cols), x.dtype)], axis=0)
        g = x.reshape(n_groups, block_size, cols)
        lo, hi = g.min(axis=1, keepdims=True), g.max(axis=1, keepdims=True)
        scale = (hi - lo + eps) / (qmax - qmin)
        zero = np.clip(np.round(-lo / scale) + qmin, qmin, qmax)
        q = np.clip(np.round(g / scale) + zero, qmin, qmax).astype(dtype)
        q = q.reshape(n_groups * block_size, cols)[:rows]
        return q, np.squeeze(scale, 1).astype(dt), np.squeeze(zero, 1).astype("int8")
    xp = namespace(inputs)
    dt = standardize_dtype(inputs.dtype)
    rows, cols = inputs.shape
    bits = int(np.log2(qmax - qmin + 1))
    scale_t, zero_t, _ = compute_quantization_parameters(
        xp.permute_dims(inputs, (1, 0)), bits=bits, symmetric=False, per_channel=True,
        group_size=block_size, compute_dtype=dt, epsilon=eps, signed=True)
    scale, zero = xp.permute_dims(scale_t, (1, 0)), xp.permute_dims(zero_t, (1, 0))
    n_groups = -(-rows // block_size)
    pad = n_groups * block_size - rows
    x = inputs
    if pad:
        x = xp.concat([x, xp.zeros((pad, cols), dtype=x.dtype)], axis=0)
    g = xp.reshape(x, (n_groups, block_size, cols))
    q = xp.round(g / scale[:, None, :]) + xp.astype(zero, x.dtype)[:, None, :]
    q = xp.clip(q, float(qmin), float(qmax))
    q = xp.astype(xp.reshape(q, (n_groups * block_size, cols))[:rows],
                  getattr(xp, standardize_dtype(dtype)))
    return q, scale, zero


def compute_quantization_parameters(x, *, bits, symmetric=False, per_channel=False,
                                    group_size=-1, compute_dtype="float32", epsilon=0.0,
                                    signed=False):
    """Keras' ``compute_quantization_parameters`` (keras.src.quantizers): the ``(scale,
    zero, maxq)`` that quantize a weight ``x`` of shape ``(out_features, in_features)`` to
    ``bits`` bits, per tensor, per output channel or (``per_channel`` and ``group_size >
    0``) per group of ``group_size`` inputs; ``scale``/``zero`` are ``(out_features,
    n_groups)`` (``n_groups`` 1 unless grouped), ``scale`` in ``x``'s dtype (Keras' only
    use of ``compute_dtype`` is ``maxq``'s, a Python float here); ``zero`` int8 when
    ``signed`` (range ``[-2**(bits-1), 2**(bits-1) - 1]``), else uint8 (``[0, 2**bits -
    1]``; a negative zero point saturates to 0, as Keras on JAX gives). GPTQ/AWQ
    (``unikeras/quantization``) use it too."""
    if x is None:
        raise ValueError(f"Input tensor {x} cannot be None.")
    if len(x.shape) < 2:
        raise ValueError(f"Input weight tensor {x} must have a rank of at least 2, but got "
                         f"rank {len(x.shape)}.")
    xp = namespace(x)
    out_f, in_f = x.shape[0], x.shape[1]
    if out_f * in_f == 0:
        raise ValueError("Input tensor 'x' cannot be empty.")
    n_groups = -(-in_f // group_size) if per_channel and group_size > 0 else 1
    if n_groups > 1:
        rem = in_f % group_size
        if rem:
            x = xp.concat([x, xp.zeros((out_f, group_size - rem), dtype=x.dtype)], axis=1)
        g = xp.reshape(x, (out_f, n_groups, group_size))
        lo, hi = xp.min(g, axis=2), xp.max(g, axis=2)
    else:
        r = xp.reshape(x, (out_f, -1) if per_channel else (1, -1))
        lo, hi = xp.min(r, axis=1), xp.max(r, axis=1)
    if symmetric:
        m = xp.maximum(xp.abs(lo), hi)
        lo = xp.where(lo < 0, -m, lo)
        hi = m
    same = lo == hi
    lo = xp.where(same, lo - 1, lo)
    hi = xp.where(same, hi + 1, hi)
    maxq = float(2 ** bits - 1)
    rng = hi - lo
    if epsilon > 0:
        rng = rng + epsilon
    scale = rng / maxq
    scale = xp.where(scale <= 0, xp.asarray(1e-8, dtype=scale.dtype), scale)
    if signed:
        qmin, qmax = -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
        zero = (xp.full_like(scale, (maxq + 1) / 2 + qmin) if symmetric
                else xp.round(-lo / scale) + qmin)
        zero = xp.clip(zero, float(qmin), float(qmax))
    else:
        zero = xp.full_like(scale, (maxq + 1) / 2) if symmetric else xp.round(-lo / scale)
        zero = xp.clip(zero, 0.0, 255.0)  # Keras-on-JAX's saturating cast to uint8
    if n_groups == 1:
        if per_channel:
            scale, zero = xp.reshape(scale, (-1, 1)), xp.reshape(zero, (-1, 1))
        else:
            scale = xp.tile(xp.reshape(scale, (1, 1)), (out_f, 1))
            zero = xp.tile(xp.reshape(zero, (1, 1)), (out_f, 1))
    return scale, xp.astype(zero, xp.int8 if signed else xp.uint8), maxq


def dequantize_with_sz_map(weights_matrix, scale, zero, g_idx, group_axis=-1):
    """Keras' ``dequantize_with_sz_map``: ``(w - zero[g]) * scale[g]`` where each position
    along the weights' grouped axis takes the group ``g_idx`` names for it (``scale`` and
    ``zero`` indexed along ``group_axis``)."""
    xp = namespace(weights_matrix, scale)
    groups = xp.astype(g_idx, xp.int32)
    s = xp.take(scale, groups, axis=group_axis % len(scale.shape))
    z = xp.astype(xp.take(zero, groups, axis=group_axis % len(zero.shape)), s.dtype)
    if standardize_dtype(weights_matrix.dtype) != standardize_dtype(s.dtype):
        weights_matrix = xp.astype(weights_matrix, s.dtype)  # Keras' promotion (to float)
    return (weights_matrix - z) * s


def quantize_with_sz_map(weights_matrix, scale, zero, g_idx, maxq, group_axis=-1):
    """Keras' ``quantize_with_sz_map``: ``clip(round(w / scale[g] + zero[g]), 0, maxq)``
    with the group parameters taken along ``group_axis`` by ``g_idx``."""
    xp = namespace(weights_matrix, scale)
    groups = xp.astype(g_idx, xp.int32)
    s = xp.take(scale, groups, axis=group_axis % len(scale.shape))
    z = xp.astype(xp.take(zero, groups, axis=group_axis % len(zero.shape)), s.dtype)
    s = xp.where(s == 0, xp.asarray(1e-8, dtype=s.dtype), s)
    return xp.clip(xp.round(weights_matrix / s + z), 0.0, float(maxq))


def _adjust_and_nudge(xp, lo, hi, num_bits, narrow_range):
    quant_max = (1 << num_bits) - 1
    quant_min = 1 if narrow_range else 0
    diff = hi - lo
    scale = diff / (quant_max - quant_min)
    inv_scale = (quant_max - quant_min) / diff
    zp = xp.clip(quant_min - lo / scale, float(quant_min), float(quant_max))
    zp = xp.round(zp)
    return (quant_min - zp) * scale, (quant_max - zp) * scale, scale, inv_scale


def fake_quant_with_min_max_vars(inputs, min_vals, max_vals, num_bits=8, narrow_range=False,
                                 axis=None):
    """Keras' ``fake_quant_with_min_max_vars``: ``inputs`` clamped to the nudged
    ``[min_vals, max_vals]`` range (per tensor, or per channel along ``axis``), quantized
    to ``num_bits`` levels (``[0, 2**num_bits - 1]``, or from 1 with ``narrow_range``) and
    dequantized, in the inputs' dtype. Its gradient is Keras': the upstream gradient
    passes to ``inputs`` inside the nudged range; where an input is at or below the
    nudged minimum (at or above the maximum) it goes to ``min_vals`` (``max_vals``),
    summed over every axis but ``axis``. The arithmetic runs in float32 (or wider)."""
    from ._symbolic_hook import handler

    kt = handler[0]  # KerasTensor, once layers are imported
    if kt is not None and isinstance(inputs, kt):  # the output spec (Keras' symbolic call)
        return kt(tuple(inputs.shape), dtype=inputs.dtype)
    fw = framework_of(inputs) or framework_of(min_vals) or framework_of(max_vals)
    if fw is None:
        inputs = np.asarray(inputs)
    from .xp import asarray as _asarray

    def conv(v):
        if fw is not None and framework_of(v) == fw:
            return v
        v = np.asarray(_host(v)) if hasattr(v, "dtype") else np.asarray(v, np.float32)
        return _asarray(v, framework=fw or "numpy")

    inputs, min_vals, max_vals = conv(inputs), conv(min_vals), conv(max_vals)
    xp = namespace(inputs)
    num_bits = int(num_bits)
    ndim = len(inputs.shape)
    if axis is not None:
        axis = axis % ndim
    dtype = inputs.dtype
    wide = "float64" if standardize_dtype(min_vals.dtype) == "float64" else "float32"
    wd = native_dtype(framework_of(inputs) or "numpy", wide)

    def shaped(v):  # per-channel values broadcast along ``axis``
        v = xp.astype(v, wd)
        if axis is None or len(v.shape) == 0:
            return v
        return xp.reshape(v, tuple(-1 if i == axis else 1 for i in range(ndim)))

    def forward(x, lo, hi):
        nmin, nmax, scale, inv_scale = _adjust_and_nudge(xp, shaped(lo), shaped(hi),
                                                         num_bits, narrow_range)
        qzero = xp.floor(-nmin * inv_scale + 0.5)
        xc = xp.minimum(xp.maximum(xp.astype(x, wd), nmin), nmax)
        out = xp.floor((xc - nmin) * inv_scale - qzero + 0.5) * scale
        return xp.astype(out, dtype), nmin, nmax

    from .ops._common import ops_shim
    from .ops import custom_gradient

    if not hasattr(ops_shim(fw or "numpy"), "custom_gradient"):  # no autodiff: NumPy
        return forward(inputs, min_vals, max_vals)[0]

    @custom_gradient
    def fq(x, lo, hi):
        out, nmin, nmax = forward(x, lo, hi)
        xw = xp.astype(x, wd)

        def grad(*args, upstream=None):
            if upstream is None:
                (upstream,) = args
            zero = xp.zeros_like(upstream)
            dx = xp.where((xw >= nmin) & (xw <= nmax), upstream, zero)
            axes = tuple(i for i in range(ndim) if i != axis)
            gmin = xp.where(xw <= nmin, upstream, zero)
            gmax = xp.where(xw >= nmax, upstream, zero)
            gmin = xp.sum(gmin, axis=axes) if axis is not None else xp.sum(gmin)
            gmax = xp.sum(gmax, axis=axes) if axis is not None else xp.sum(gmax)
            return (dx, xp.astype(xp.reshape(gmin, tuple(lo.shape)), lo.dtype),
                    xp.astype(xp.reshape(gmax, tuple(hi.shape)), hi.dtype))

        return out, grad

    return fq(inputs, min_vals, max_vals)


# float8 formats: (mantissa bits, smallest normal exponent, largest finite value)
_FLOAT8 = {"float8_e4m3fn": (3, -6, 448.0), "float8_e5m2": (2, -14, 57344.0)}


def _round_to_float8(xp, x, fmt):
    """``x`` (already within the format's finite range) rounded to the nearest value of
    the float8 format ``fmt``, ties to even, subnormals included: the value a cast to that
    dtype gives, computed in the float dtype of ``x`` (no framework needs float8)."""
    nmant, minexp, _ = _FLOAT8[fmt]
    mag = xp.abs(x)
    tiny = xp.asarray(2.0 ** minexp, dtype=x.dtype)
    e = xp.floor(xp.log2(xp.where(mag > tiny, mag, tiny)))
    step = xp.pow(xp.asarray(2.0, dtype=x.dtype), e - nmant)
    return xp.round(x / step) * step


def quantize_and_dequantize(inputs, scale, quantized_dtype, compute_dtype):
    """Keras' ``quantize_and_dequantize`` (its float8 training path): ``inputs / scale``
    clipped to the float8 format's finite range, rounded to that format as a cast does,
    and multiplied back by ``scale``, in ``compute_dtype``. ``quantized_dtype``:
    ``"float8_e4m3fn"`` or ``"float8_e5m2"``."""
    if quantized_dtype not in _FLOAT8:
        raise ValueError(f"quantize_and_dequantize: quantized_dtype must be one of "
                         f"{sorted(_FLOAT8)}; received {quantized_dtype!r}")
    xp = namespace(inputs)
    cd = native_dtype(framework_of(inputs), standardize_dtype(compute_dtype))
    qmax = _FLOAT8[quantized_dtype][2]
    scale = xp.asarray(np.asarray(_host(scale)), dtype=cd) if not hasattr(scale, "dtype") \
        or isinstance(scale, np.ndarray | np.generic) else xp.astype(scale, cd)
    x = xp.astype(inputs, cd) / scale
    x = xp.clip(x, -qmax, qmax)
    x = _round_to_float8(xp, x, quantized_dtype)
    return x * scale


def compute_float8_scale(amax, scale, dtype_max, margin=0):
    """Keras' ``compute_float8_scale`` (Transformer Engine's rule): the new scale
    ``1 / (dtype_max / amax / 2**margin)`` where ``amax`` is positive and finite, else the
    old ``scale``."""
    xp = namespace(amax, scale)
    old = 1.0 / scale
    ok = amax > 0.0
    sf = (dtype_max / xp.where(ok, amax, xp.ones_like(amax))) / (2.0 ** margin)
    sf = xp.where(ok, sf, old)
    sf = xp.where(xp.isfinite(amax), sf, old)
    return 1.0 / sf


def compute_float8_amax_history(x, amax_history):
    """Keras' ``compute_float8_amax_history``: the history rolled one step back
    (``roll(h, -1)``) with its first entry replaced by ``max(|x|)``."""
    xp = namespace(x, amax_history)
    amax = xp.reshape(xp.astype(xp.max(xp.abs(x)), amax_history.dtype), (1,))
    rolled = xp.roll(amax_history, shift=-1)
    return xp.concat([amax, rolled[1:]])


def _check_int4_dtype(dtype):
    if dtype not in ("int8", "uint8"):
        raise ValueError(f"Expected dtype to be 'int8' or 'uint8', but got '{dtype}'.")


def pack_int4(arr, axis=0, dtype="int8"):
    """Keras' ``pack_int4``: int4 values (an int8 array in ``[-8, 7]``) packed two per
    byte along ``axis`` (row ``2i`` in the low nibble, ``2i + 1`` in the high one; an odd
    count padded with a zero). Returns ``(packed, packed_shape, orig_len)``. Packing runs
    on the host, as in Keras; ``packed`` is on the framework of ``arr``."""
    _check_int4_dtype(dtype)
    got = standardize_dtype(arr.dtype)
    if got != dtype:
        raise ValueError(f"Expected {dtype} tensor for packing, got {got}.")
    a = np.asarray(_host(arr))
    axis = axis % a.ndim
    a = np.moveaxis(a, axis, 0)
    n = a.shape[0]
    if n % 2:
        a = np.concatenate([a, np.zeros((1,) + a.shape[1:], a.dtype)], axis=0)
    low = a[::2].astype(np.uint8) & 0x0F
    high = a[1::2].astype(np.uint8) & 0x0F
    packed = np.moveaxis((low | (high << 4)).astype(np.uint8).view(np.dtype(dtype)), 0, axis)
    fw = framework_of(arr)
    if fw not in (None, "numpy"):
        from .xp import asarray

        packed = asarray(np.ascontiguousarray(packed), framework=fw)
    return packed, tuple(packed.shape), n


def unpack_int4(packed, orig_len, axis=0, dtype="int8"):
    """Keras' ``unpack_int4``: the inverse of ``pack_int4`` (nibbles back to values in
    ``[-8, 7]`` for ``dtype="int8"``, ``[0, 15]`` for ``"uint8"``), the padding dropped;
    Array API on the array's device."""
    _check_int4_dtype(dtype)
    got = standardize_dtype(packed.dtype)
    if got not in ("int8", "uint8"):
        raise ValueError(f"Expected int8 or uint8 tensor for unpacking, got {packed.dtype}")
    xp = namespace(packed)
    rank = len(packed.shape)
    axis = axis % rank
    out_dt = getattr(xp, dtype)
    b = packed if got == dtype else xp.astype(packed, out_dt)  # the same byte (mod 256)
    if dtype == "int8":  # arithmetic shifts sign-extend each nibble
        low = xp.bitwise_right_shift(xp.bitwise_left_shift(b, 4), 4)
        high = xp.bitwise_right_shift(b, 4)
    else:
        low = xp.bitwise_and(b, 15)
        high = xp.bitwise_right_shift(b, 4)
    both = xp.stack([low, high], axis=axis + 1)   # (..., n, 2, ...)
    shape = tuple(b.shape)
    out = xp.reshape(both, shape[:axis] + (2 * shape[axis],) + shape[axis + 1:])
    if orig_len != 2 * shape[axis]:
        out = out[(slice(None),) * axis + (slice(0, orig_len),)]
    return out


@register
class Quantizer:
    """Keras' base ``Quantizer(output_dtype="int8")``: ``__call__(x)`` returns ``x``;
    subclasses quantize."""

    def __init__(self, output_dtype="int8"):
        self.output_dtype = output_dtype

    def __call__(self, x):
        return x

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def get_config(self):
        raise NotImplementedError(f"{self} does not implement get_config()")


@register
class AbsMaxQuantizer(Quantizer):
    """Keras' ``AbsMaxQuantizer(axis=None, value_range=(-127, 127), epsilon=1e-7,
    output_dtype="int8")``: ``quantizer(x, axis=None, to_numpy=False)`` ->
    ``abs_max_quantize(x, axis or self.axis or -1, ...)``."""

    def __init__(self, axis=None, value_range=(-127, 127), epsilon=None, output_dtype="int8"):
        super().__init__(output_dtype=output_dtype)
        self.axis = None if axis is None else ((axis,) if isinstance(axis, int) else tuple(axis))
        self.value_range = tuple(value_range)
        self.epsilon = _epsilon() if epsilon is None else epsilon
        if output_dtype == "int8" and (value_range[0] < -128 or value_range[1] > 127):
            raise ValueError("Quantizer with output_dtype='int8' requires value_range to be "
                             "within the interval [-128, 127]. Received: "
                             f"value_range={value_range}")

    def __call__(self, x, axis=None, to_numpy=False):
        axis = axis if axis is not None else (self.axis if self.axis is not None else -1)
        return abs_max_quantize(x, axis, self.value_range, self.output_dtype, self.epsilon,
                                to_numpy)

    def get_config(self):
        config = {"value_range": self.value_range, "epsilon": self.epsilon,
                  "output_dtype": self.output_dtype}
        if self.axis is not None:
            config["axis"] = self.axis
        return config


@register
class QuantizationConfig:
    """Keras' base ``QuantizationConfig(weight_quantizer=None,
    activation_quantizer=None)``; subclasses name their ``mode``."""

    def __init__(self, weight_quantizer=None, activation_quantizer=None):
        self.weight_quantizer = weight_quantizer
        self.activation_quantizer = activation_quantizer

    @property
    def mode(self):
        raise NotImplementedError("Subclasses must implement this property. Do not "
                                  "instantiate QuantizationConfig directly.")

    def get_config(self):
        return {"weight_quantizer": serialize_keras_object(self.weight_quantizer),
                "activation_quantizer": serialize_keras_object(self.activation_quantizer)}

    @classmethod
    def from_config(cls, config):
        return cls(weight_quantizer=deserialize(config.get("weight_quantizer")),
                   activation_quantizer=deserialize(config.get("activation_quantizer")))

    @staticmethod
    def weight_quantizer_or_default(config, default):
        if config is not None and config.weight_quantizer is not None:
            return config.weight_quantizer
        return default

    @staticmethod
    def activation_quantizer_or_default(config, default):
        if config is not None:
            return config.activation_quantizer
        return default


@register
class Int8QuantizationConfig(QuantizationConfig):
    """Keras' ``Int8QuantizationConfig(weight_quantizer=None,
    activation_quantizer="default")`` ("default": ``AbsMaxQuantizer()`` on the inputs'
    last axis; None: inputs not quantized)."""

    def __init__(self, weight_quantizer=None, activation_quantizer="default"):
        if isinstance(activation_quantizer, str) and activation_quantizer == "default":
            activation_quantizer = AbsMaxQuantizer()
        super().__init__(weight_quantizer, activation_quantizer)
        if self.weight_quantizer is not None and self.weight_quantizer.output_dtype != "int8":
            raise ValueError("Int8QuantizationConfig requires a weight_quantizer with "
                             "output_dtype='int8'. Received: "
                             f"output_dtype={self.weight_quantizer.output_dtype}")

    @property
    def mode(self):
        return "int8"


@register
class Int4QuantizationConfig(QuantizationConfig):
    """Keras' ``Int4QuantizationConfig(weight_quantizer=None, activation_quantizer="default",
    block_size=128)``: int4 weights; ``block_size`` > 0 quantizes in groups of that many
    inputs with a zero point per group (sub-channel, asymmetric), ``None`` or -1 per output
    channel (symmetric abs-max in ``[-8, 7]``). "default" activation quantizer: none
    (weight-only). Custom quantizers need per-channel mode."""

    def __init__(self, weight_quantizer=None, activation_quantizer="default", block_size=128):
        if isinstance(activation_quantizer, str) and activation_quantizer == "default":
            activation_quantizer = None
        super().__init__(weight_quantizer, activation_quantizer)
        if block_size is not None and block_size != -1 and block_size <= 0:
            raise ValueError("block_size must be None, -1, or a positive integer. "
                             f"Received: block_size={block_size}")
        self.block_size = block_size
        custom = self.weight_quantizer is not None or self.activation_quantizer is not None
        if block_size is not None and block_size > 0 and custom:
            raise ValueError(
                "Int4 sub-channel quantization (block_size > 0) does not support custom "
                "quantizers. Either set block_size to None or -1 for per-channel "
                "quantization, or remove the custom quantizer arguments. Received: "
                f"block_size={block_size}")
        if self.weight_quantizer is not None:
            if tuple(self.weight_quantizer.value_range) != (-8, 7):
                raise ValueError("Int4QuantizationConfig requires a weight_quantizer with "
                                 "value_range=(-8, 7). Received: value_range="
                                 f"{self.weight_quantizer.value_range}")
            if self.weight_quantizer.output_dtype != "int8":
                raise ValueError("Int4QuantizationConfig requires a weight_quantizer with "
                                 "output_dtype='int8'. Received: output_dtype="
                                 f"{self.weight_quantizer.output_dtype}")

    @property
    def mode(self):
        return "int4"

    def get_config(self):
        config = super().get_config()
        config["block_size"] = self.block_size
        return config

    @classmethod
    def from_config(cls, config):
        # files written before block_size existed were per-channel
        return cls(weight_quantizer=deserialize(config.get("weight_quantizer")),
                   activation_quantizer=deserialize(config.get("activation_quantizer")),
                   block_size=config.get("block_size", None))


@register
class Float8QuantizationConfig(QuantizationConfig):
    """Keras' ``Float8QuantizationConfig()``: float8 (e4m3 forward, e5m2 gradients) with
    delayed scaling; takes no quantizers."""

    def __init__(self):
        super().__init__(None, None)

    @property
    def mode(self):
        return "float8"

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls()


def validate_and_resolve_config(mode, config):
    """Keras' ``validate_and_resolve_config``: the ``QuantizationConfig`` for ``mode``
    and/or ``config`` (a string config is a mode; a missing config is the mode's default
    config), checked against each other."""
    from .dtype_policies import QUANTIZATION_MODES

    def check(m):
        if m is not None and m not in QUANTIZATION_MODES:
            raise ValueError(f"Invalid quantization mode. Expected one of "
                             f"{QUANTIZATION_MODES}. Received: mode={m}")

    if isinstance(config, str):
        mode, config = config, None
    check(mode)
    if config is None:
        defaults = {"int8": Int8QuantizationConfig, "int4": Int4QuantizationConfig,
                    "float8": Float8QuantizationConfig}
        if mode in defaults:
            config = defaults[mode]()
        elif mode in ("gptq", "awq"):
            what = "a `GPTQConfig`" if mode == "gptq" else "an `AWQConfig`"
            raise ValueError(f"For {mode.upper()}, you must pass {what} object in the "
                             "`config` argument.")
        elif mode is not None:
            raise ValueError(f"Invalid quantization mode. Received: mode={mode}")
        else:
            raise ValueError("You must provide either `mode` or `config` to `quantize`.")
    elif not isinstance(config, QuantizationConfig):
        raise ValueError("Argument `config` must be an instance of `QuantizationConfig`. "
                         f"Received: config={config} (of type {type(config)})")
    if mode is not None and config.mode != mode:
        raise ValueError(f"Contradictory arguments: mode='{mode}' but "
                         f"config.mode='{config.mode}'")
    check(config.mode)
    for m, name in (("gptq", "GPTQConfig"), ("awq", "AWQConfig")):
        if config.mode == m and type(config).__name__ != name \
                and not isinstance(config, globals()[name]):
            raise ValueError(f"Mode '{m}' requires a valid `config` argument of type "
                             f"`{name}`. Received: {type(config)}")
    return config


def get_block_size_for_layer(layer, config):
    """Keras' ``get_block_size_for_layer``: the int4 block size of ``layer``, from an
    ``Int4QuantizationConfig``, else from its ``Int4DTypePolicy`` (-1 read as None), else
    None (per-channel: a layer quantized before block sizes existed)."""
    from .dtype_policies import DTypePolicyMap, Int4DTypePolicy

    if config is not None and isinstance(config, Int4QuantizationConfig):
        return config.block_size
    policy = layer.dtype_policy
    if isinstance(policy, DTypePolicyMap):
        policy = policy[layer.path]
    if isinstance(policy, Int4DTypePolicy):
        return None if policy.block_size == -1 else policy.block_size
    return None


_ALL = {c.__name__: c for c in (Quantizer, AbsMaxQuantizer, QuantizationConfig,
                                 Int8QuantizationConfig, Int4QuantizationConfig,
                                 Float8QuantizationConfig)}
_ALL.update({"abs_max_quantizer": AbsMaxQuantizer, "quantizer": Quantizer,
             "int8_quantization_config": Int8QuantizationConfig,
             "int4_quantization_config": Int4QuantizationConfig,
             "float8_quantization_config": Float8QuantizationConfig,
             "quantization_config": QuantizationConfig})


def serialize(initializer):
    """Keras' ``quantizers.serialize``: ``{"module", "class_name", "config",
    "registered_name"}``."""
    return serialize_simple(initializer)


def deserialize(config, custom_objects=None):
    """Keras' ``quantizers.deserialize``: the quantizer (or config) a ``serialize`` dict
    describes."""
    if config is None or isinstance(config, (Quantizer, QuantizationConfig)):
        return config
    return deserialize_simple(config, aliases=_ALL, custom_objects=custom_objects)


def get(identifier, **kwargs):
    """Keras' ``quantizers.get``: None, a quantizer, its config dict, or a name
    (``"abs_max_quantizer"``, ``"AbsMaxQuantizer"``) built with ``kwargs``."""
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        cls = _ALL.get(identifier)
        if cls is None:
            raise ValueError(f"Could not interpret quantizer identifier: {identifier}")
        return cls(**kwargs)
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret quantizer identifier: {identifier}")




# ----------------------------------------------------------------------------- GPTQ, AWQ
# The configs of the two modes model.quantize calibrates on data; the algorithms are in
# unikeras/quantization/ (gptq.py, awq.py), the layer side in layers/quantize_gptq.py.
@register
class GPTQConfig(QuantizationConfig):
    """Keras 3's ``GPTQConfig(dataset, tokenizer, *, weight_bits=4, num_samples=128,
    per_channel=True, sequence_length=512, hessian_damping=0.01, group_size=128,
    symmetric=False, activation_order=False, quantization_layer_structure=None)``.

    ``dataset``: an iterable of strings (tokenized with ``tokenizer.tokenize``) or of
    token arrays; ``quantization_layer_structure``: ``{"pre_block_layers": [...],
    "sequential_blocks": [...]}`` (else ``model.get_quantization_layer_structure``).
    ``model.quantize("gptq", config=...)`` calibrates on ``num_samples`` windows of
    ``sequence_length`` tokens."""

    def __init__(self, dataset, tokenizer, *, weight_bits: int = 4, num_samples: int = 128,
                 per_channel: bool = True, sequence_length: int = 512,
                 hessian_damping: float = 0.01, group_size: int = 128,
                 symmetric: bool = False, activation_order: bool = False,
                 quantization_layer_structure: dict = None):
        super().__init__()
        if weight_bits not in [2, 3, 4, 8]:
            raise ValueError(f"Unsupported weight_bits {weight_bits}. Supported values are 2, "
                             "3, 4, and 8.")
        if num_samples <= 0:
            raise ValueError("num_samples must be a positive integer.")
        if sequence_length <= 0:
            raise ValueError("sequence_length must be a positive integer.")
        if hessian_damping < 0 or hessian_damping > 1:
            raise ValueError("hessian_damping must be between 0 and 1.")
        if group_size < -1 or group_size == 0:
            raise ValueError("Invalid group_size. Supported values are -1 (whole-tensor) or a "
                             f"positive integer, but got {group_size}.")
        self.dataset, self.tokenizer = dataset, tokenizer
        self.num_samples = num_samples
        self.per_channel = per_channel
        self.sequence_length = sequence_length
        self.hessian_damping = hessian_damping
        self.weight_bits = weight_bits
        self.group_size = group_size
        self.symmetric = symmetric
        self.activation_order = activation_order
        self.quantization_layer_structure = quantization_layer_structure

    def get_config(self):
        # the dataset and tokenizer serve one calibration and are not saved (as Keras)
        return {"dataset": None, "tokenizer": None, "weight_bits": self.weight_bits,
                "num_samples": self.num_samples, "per_channel": self.per_channel,
                "sequence_length": self.sequence_length,
                "hessian_damping": self.hessian_damping, "group_size": self.group_size,
                "symmetric": self.symmetric, "activation_order": self.activation_order,
                "quantization_layer_structure": self.quantization_layer_structure}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    @property
    def mode(self):
        return "gptq"

    def dtype_policy_string(self):
        """The policy mode this config gives, ``"gptq/<weight_bits>/<group_size>"``."""
        return f"gptq/{self.weight_bits}/{self.group_size}"


@register
class AWQConfig(QuantizationConfig):
    """Keras 3's ``AWQConfig(dataset, tokenizer, *, weight_bits=4, num_samples=128,
    sequence_length=512, group_size=128, num_grid_points=20,
    quantization_layer_structure=None)`` (AWQ is 4-bit only)."""

    def __init__(self, dataset, tokenizer, *, weight_bits: int = 4, num_samples: int = 128,
                 sequence_length: int = 512, group_size: int = 128,
                 num_grid_points: int = 20, quantization_layer_structure: dict = None):
        super().__init__()
        if weight_bits != 4:
            raise ValueError("AWQ only supports 4-bit quantization. Received "
                             f"weight_bits={weight_bits}.")
        if num_samples <= 0:
            raise ValueError("num_samples must be a positive integer.")
        if sequence_length <= 0:
            raise ValueError("sequence_length must be a positive integer.")
        if group_size < -1 or group_size == 0:
            raise ValueError("Invalid group_size. Supported values are -1 (per-channel) or a "
                             f"positive integer, but got {group_size}.")
        if num_grid_points <= 0:
            raise ValueError("num_grid_points must be a positive integer.")
        self.dataset, self.tokenizer = dataset, tokenizer
        self.weight_bits = weight_bits
        self.num_samples = num_samples
        self.sequence_length = sequence_length
        self.group_size = group_size
        self.num_grid_points = num_grid_points
        self.quantization_layer_structure = quantization_layer_structure

    @property
    def mode(self):
        return "awq"

    def dtype_policy_string(self):
        """The policy mode this config gives, ``"awq/<weight_bits>/<group_size>"``."""
        return f"awq/{self.weight_bits}/{self.group_size}"

    def get_config(self):
        return {"dataset": None, "tokenizer": None, "weight_bits": self.weight_bits,
                "num_samples": self.num_samples, "sequence_length": self.sequence_length,
                "group_size": self.group_size, "num_grid_points": self.num_grid_points,
                "quantization_layer_structure": self.quantization_layer_structure}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


_ALL.update({"GPTQConfig": GPTQConfig, "AWQConfig": AWQConfig, "gptq_config": GPTQConfig,
             "awq_config": AWQConfig})
