"""EinsumDense: a dense layer whose contraction is an einsum equation (Keras 3).

The two-operand einsum is computed with Array API primitives only (sum out the axes
that appear in one operand alone, permute, reshape, one batched ``matmul``, reshape,
permute), so it runs on every namespace, array_api_strict included, and lands on each
framework's batched-matmul kernel.
"""

from __future__ import annotations

import re

import numpy as np

from .. import activations, constraints, initializers, regularizers
from ..utils.serialization import register, serialize_simple
from ..xp import namespace
from ._arguments import numeric_input
from .input_spec import InputSpec
from .layer import Layer
from .lora import LoRA
from .quantize import QuantizedEinsumDense
from .quantize_gptq import WeightOnlyQuant


# ----------------------------------------------------------------------------- einsum
_plans: dict = {}


def _expand_ellipsis(equation, x_ndim):
    eq = equation.replace(" ", "")
    try:
        lhs, out = eq.split("->")
        a, b = lhs.split(",")
    except ValueError:
        raise ValueError(f"einsum: expected an equation 'x,w->out' with two operands; "
                         f"received {equation!r}") from None
    if "..." in b:
        raise ValueError(f"einsum: an ellipsis is only supported in the first operand and "
                         f"the output; received {equation!r}")
    if "..." in a:
        explicit = a.replace("...", "")
        n = x_ndim - len(explicit)
        if n < 0:
            raise ValueError(f"einsum: equation {equation!r} needs an input of rank >= "
                             f"{len(explicit)}; received rank {x_ndim}")
        used = set(eq)
        fill = "".join([c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ" if c not in used][:n])
        a = a.replace("...", fill)
        out = out.replace("...", fill)
    return a, b, out


def _plan(equation, x_ndim):
    key = (equation, x_ndim)
    try:
        return _plans[key]
    except KeyError:
        pass
    a, b, out = _expand_ellipsis(equation, x_ndim)
    for term in (a, b, out):
        if len(set(term)) != len(term):
            raise ValueError(f"einsum: repeated subscripts within one operand (diagonals) are "
                             f"not supported; received {equation!r}")
    if len(a) != x_ndim:
        raise ValueError(f"einsum: equation {equation!r} names {len(a)} input axes; received "
                         f"an input of rank {x_ndim}")
    for c in out:
        if c not in a and c not in b:
            raise ValueError(f"einsum: output subscript {c!r} appears in no operand of "
                             f"{equation!r}")
    batch = [c for c in out if c in a and c in b]
    contract = [c for c in a if c in b and c not in out]
    x_free = [c for c in out if c in a and c not in b]
    w_free = [c for c in out if c in b and c not in a]
    x_sum = tuple(i for i, c in enumerate(a) if c not in b and c not in out)
    w_sum = tuple(i for i, c in enumerate(b) if c not in a and c not in out)
    a2 = [c for i, c in enumerate(a) if i not in x_sum]
    b2 = [c for i, c in enumerate(b) if i not in w_sum]
    x_perm = tuple(a2.index(c) for c in batch + x_free + contract)
    w_perm = tuple(b2.index(c) for c in batch + contract + w_free)
    mid = batch + x_free + w_free
    out_perm = tuple(mid.index(c) for c in out)
    plan = (x_sum, w_sum, x_perm, w_perm, len(batch), len(x_free), len(contract),
            len(w_free), out_perm)
    _plans[key] = plan
    return plan


def _size(dims):
    if any(d is None for d in dims):
        return -1
    p = 1
    for d in dims:
        p *= int(d)
    return p


def einsum2(equation, x, w):
    """``einsum(equation, x, w)`` for two operands, written with Array API primitives."""
    xp = namespace(x, w)
    x_sum, w_sum, x_perm, w_perm, nb, nxf, nk, nwf, out_perm = _plan(equation, x.ndim)
    if x_sum:
        x = xp.sum(x, axis=x_sum)
    if w_sum:
        w = xp.sum(w, axis=w_sum)
    if x_perm != tuple(range(len(x_perm))):
        x = xp.permute_dims(x, x_perm)
    if w_perm != tuple(range(len(w_perm))):
        w = xp.permute_dims(w, w_perm)
    xs, ws = tuple(x.shape), tuple(w.shape)
    bdims, xfdims, kdims = xs[:nb], xs[nb:nb + nxf], xs[nb + nxf:]
    wfdims = ws[nb + nk:]
    K = _size(kdims) if kdims else 1
    x3 = xp.reshape(x, ((_size(bdims),) if nb else ()) + (_size(xfdims), K))
    w3 = xp.reshape(w, ((_size(ws[:nb]),) if nb else ()) + (K, _size(wfdims)))
    y = xp.matmul(x3, w3)
    y = xp.reshape(y, tuple(-1 if d is None else d for d in bdims + xfdims)
                   + tuple(wfdims))
    if out_perm != tuple(range(len(out_perm))):
        y = xp.permute_dims(y, out_perm)
    return y


# ----------------------------------------------------------------------------- shapes
def analyze_einsum_string(equation, bias_axes, input_shape, output_shape):
    """Keras' shape analysis: (kernel_shape, bias_shape, full_output_shape, input_axes,
    output_axes) for an EinsumDense equation ``x,w->out`` (with ``...`` allowed at the
    left or right of the input and output)."""
    dot_replaced = re.sub(r"\.\.\.", "0", equation)
    m = re.match(r"([a-zA-Z]+),([a-zA-Z]+)->([a-zA-Z]+)", dot_replaced)
    if m:
        return _analyze_split(m, bias_axes, input_shape, output_shape)
    m = re.match(r"0([a-zA-Z]+),([a-zA-Z]+)->0([a-zA-Z]+)", dot_replaced)
    if m:
        return _analyze_split(m, bias_axes, input_shape, output_shape, left_elided=True)
    m = re.match(r"([a-zA-Z]{2,})0,([a-zA-Z]+)->([a-zA-Z]+)0", dot_replaced)
    if m:
        return _analyze_split(m, bias_axes, input_shape, output_shape)
    raise ValueError(f"EinsumDense: invalid einsum equation {equation!r}; equations must be "
                     "of the form [X],[Y]->[Z], ...[X],[Y]->...[Z], or [X]...,[Y]->[Z]...")


def _analyze_split(m, bias_axes, input_shape, output_shape, left_elided=False):
    input_spec, weight_spec, output_spec = m.group(1), m.group(2), m.group(3)
    input_shape = list(input_shape)
    elided = len(input_shape) - len(input_spec)
    output_shape = [output_shape] if isinstance(output_shape, int) else list(output_shape)
    output_shape.insert(0, input_shape[0])
    if elided > 0 and left_elided:
        for i in range(1, elided):
            output_shape.insert(1, input_shape[i])
    elif elided > 0:
        for i in range(len(input_shape) - elided, len(input_shape)):
            output_shape.append(input_shape[i])
    if left_elided:
        input_dim_map = {d: i + elided - len(input_shape) for i, d in enumerate(input_spec)}
        output_dim_map = {d: i + elided for i, d in enumerate(output_spec)}
    else:
        input_dim_map = {d: i for i, d in enumerate(input_spec)}
        output_dim_map = {d: i for i, d in enumerate(output_spec)}
    for d in input_spec:
        in_size = input_shape[input_dim_map[d]]
        if d in output_dim_map:
            out_size = output_shape[output_dim_map[d]]
            if out_size is not None and out_size != in_size:
                raise ValueError(f"EinsumDense: input shape and output shape do not match at "
                                 f"shared dimension {d!r}: input has {in_size}, output_shape "
                                 f"has {out_size}")
    for d in output_spec:
        if d not in input_spec and d not in weight_spec:
            raise ValueError(f"EinsumDense: dimension {d!r} of the output {output_spec!r} "
                             f"appears in neither the input spec {input_spec!r} nor the "
                             f"weight spec {weight_spec!r}")
    kernel_shape, input_axes, output_axes = [], [], []
    for i, d in enumerate(weight_spec):
        if d in output_dim_map:
            kernel_shape.append(output_shape[output_dim_map[d]])
            output_axes.append(i)
        elif d in input_dim_map:
            kernel_shape.append(input_shape[input_dim_map[d]])
            input_axes.append(i)
        else:
            raise ValueError(f"EinsumDense: weight dimension {d!r} matches neither the input "
                             f"spec {input_spec!r} nor the output spec {output_spec!r}")
    if bias_axes is not None:
        n_left = elided if left_elided else 0
        idx_map = {c: output_shape[i + n_left] for i, c in enumerate(output_spec)}
        for c in bias_axes:
            if c not in output_spec:
                raise ValueError(f"EinsumDense: bias dimension {c!r} is not part of the "
                                 f"output spec {output_spec!r}")
        first = min(output_spec.find(c) for c in bias_axes)
        bias_spec = output_spec[first:]
        bias_shape = [idx_map[c] if c in bias_axes else 1 for c in bias_spec]
        if not left_elided:
            bias_shape.extend([1] * elided)
    else:
        bias_shape = None
    return kernel_shape, bias_shape, output_shape, input_axes, output_axes


def _fan_aware(init, kernel_shape, input_axes, output_axes):
    """A variance-scaling initializer whose fans are the products of the kernel's input
    and output axes (Keras' ``input_axes``/``output_axes``): draw a (fan_in, fan_out)
    matrix and lay it out in the kernel's shape (the entries are i.i.d.)."""
    fan_in = int(np.prod([kernel_shape[i] for i in input_axes])) if input_axes else 1
    fan_out = int(np.prod([kernel_shape[i] for i in output_axes])) if output_axes else 1

    def initializer(shape, dtype=None):
        return np.reshape(init((fan_in, fan_out), dtype), tuple(shape))
    return initializer


@register
class EinsumDense(WeightOnlyQuant, QuantizedEinsumDense, LoRA, Layer):
    """Keras 3's ``EinsumDense(equation, output_shape, activation=None, bias_axes=None,
    kernel_initializer="glorot_uniform", bias_initializer="zeros", kernel_regularizer=None,
    bias_regularizer=None, kernel_constraint=None, bias_constraint=None)``: computes
    ``activation(einsum(equation, inputs, kernel) + bias)``; the kernel and bias shapes
    follow from the equation, the input shape and ``output_shape`` (the output without
    its batch axis). Weights: kernel, then bias. LoRA (``lora_rank``, ``lora_alpha``,
    ``enable_lora``): ``layers/lora.py``; ``quantize("int8" | "int4" | "float8")``:
    ``layers/quantize.py``; GPTQ/AWQ: ``layers/quantize_gptq.py``
    (``gptq_unpacked_column_size``: the 2-D kernel view's column count, in a GPTQ layer's
    config)."""

    _quantizable = True  # layers/quantize.py
    _wq_zero_name = "zero_point"

    def __init__(self, equation, output_shape, activation=None, bias_axes=None,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 bias_constraint=None, lora_rank=None, lora_alpha=None,
                 gptq_unpacked_column_size=None, quantization_config=None, **kwargs):
        super().__init__(**kwargs)
        self._init_lora(lora_rank, lora_alpha)
        self.gptq_unpacked_column_size = gptq_unpacked_column_size
        self.quantization_config = quantization_config
        if not isinstance(equation, str):
            raise TypeError(f"EinsumDense: equation must be a string; received {equation!r}")
        self.equation = equation
        self.partial_output_shape = ((output_shape,) if isinstance(output_shape, int)
                                     else tuple(output_shape))
        self.bias_axes = bias_axes
        self.activation = activations.get(activation)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)

    def build(self, input_shape):
        kernel_shape, bias_shape, full_output_shape, in_axes, out_axes = analyze_einsum_string(
            self.equation, self.bias_axes, input_shape, self.partial_output_shape)
        if any(d is None for d in kernel_shape):
            raise ValueError(f'EinsumDense layer "{self.name}": the kernel shape '
                             f"{kernel_shape} has unknown dimensions for input_shape="
                             f"{tuple(input_shape)}")
        self.full_output_shape = tuple(full_output_shape)
        self.input_spec = InputSpec(ndim=len(input_shape))
        init = self.kernel_initializer
        if isinstance(init, initializers.VarianceScaling) and len(kernel_shape) > 2:
            init = _fan_aware(init, kernel_shape, in_axes, out_axes)
        mode = self.quantization_mode
        if mode in ("gptq", "awq"):  # a quantized model being loaded
            self._wq_build(tuple(kernel_shape), mode, policy=self.dtype_policy)
        elif mode is not None:  # a quantized model being loaded (layers/quantize.py)
            self._q_build(mode, tuple(kernel_shape), self.quantization_config)
        if mode not in ("int8", "int4", "gptq", "awq"):
            self.kernel = self.add_weight(name="kernel", shape=tuple(kernel_shape),
                                          initializer=init,
                                          regularizer=self.kernel_regularizer,
                                          constraint=self.kernel_constraint, trainable=True)
        if bias_shape is not None:
            self.bias = self.add_weight(name="bias", shape=tuple(bias_shape),
                                        initializer=self.bias_initializer,
                                        regularizer=self.bias_regularizer,
                                        constraint=self.bias_constraint, trainable=True)
        else:
            self.bias = None
        self.built = True
        if self.lora_rank:
            self.enable_lora(self.lora_rank, lora_alpha=self.lora_alpha)

    def call(self, inputs, training=None):
        if self._wq is not None:  # GPTQ / AWQ
            return self._wq_bias_activation(
                einsum2(self.equation, inputs, self._wq_kernel(inputs)))
        if self._q_mode is not None:  # quantized: layers/quantize.py (bias included)
            x = self._q_call(inputs, training)
        else:
            kernel = self.kernel
            if self.lora_enabled:
                kernel = self._lora_weight(kernel)
            x = einsum2(self.equation, numeric_input(inputs, kernel), kernel)
            if self.bias is not None:
                x = x + self.bias
        if self.activation is not activations.linear:
            x = self.activation(x)
        return x

    def _q_einsum(self, x, kernel):
        """The equation's product (the quantized calls, layers/quantize.py)."""
        return einsum2(self.equation, x, kernel)

    def compute_output_shape(self, input_shape):
        return tuple(analyze_einsum_string(self.equation, self.bias_axes, input_shape,
                                           self.partial_output_shape)[2])

    def get_config(self):
        config = super().get_config()
        config.update({
            "output_shape": self.partial_output_shape,
            "equation": self.equation,
            "activation": activations.serialize(self.activation),
            "bias_axes": self.bias_axes,
            "kernel_initializer": serialize_simple(self.kernel_initializer),
            "bias_initializer": serialize_simple(self.bias_initializer),
            "kernel_regularizer": serialize_simple(self.kernel_regularizer),
            "bias_regularizer": serialize_simple(self.bias_regularizer),
            "activity_regularizer": serialize_simple(self.activity_regularizer),
            "kernel_constraint": serialize_simple(self.kernel_constraint),
            "bias_constraint": serialize_simple(self.bias_constraint),
            "quantization_config": serialize_simple(self.quantization_config),
        })
        if self._wq is not None and self._wq["mode"] == "gptq":
            config["gptq_unpacked_column_size"] = self._wq["columns"]
        return self._lora_config(config)
