"""What GPTQ and AWQ share (Keras 3.15's ``quantizers.quantizers`` zero-point helpers,
``gptq_core.get_dataloader`` and the block-by-block calibration driver), written once
against the Array API: the calibration runs eagerly on the framework the model lives on.

Zero-point quantization of a ``[out_features, in_features]`` matrix with ``bits`` bits:
per group of ``group_size`` input columns (or per row), ``scale = (max - min) / maxq``
(``maxq = 2**bits - 1``; a constant group widened by +-1), ``zero = round(-min / scale)``
(symmetric: ``(maxq + 1) / 2``), ``q = clip(round(w / scale + zero), 0, maxq)`` and
``w ~ scale * (q - zero)``. Zero points are stored as uint8; a negative zero point (a
group whose values are all positive) is clipped to 0, which is what Keras gives on its
JAX backend (its torch and TensorFlow backends wrap it modulo 256).
"""

from __future__ import annotations

import math
import re

import numpy as np

from ..quantizers import (  # noqa: F401  (shared with int4 in unikeras.quantizers)
    compute_quantization_parameters, dequantize_with_sz_map, quantize_with_sz_map)
from ..xp import namespace, to_numpy


def _float(xp, x, like):
    return xp.astype(x, like.dtype)


def quantize_with_zero_point(x, scale, zero, maxq):
    """``clip(round(x / scale + zero), 0, maxq)`` in ``scale``'s float dtype."""
    xp = namespace(x, scale)
    safe = xp.where(scale == 0, xp.asarray(1e-8, dtype=scale.dtype), scale)
    q = xp.round(x / safe + _float(xp, zero, scale))
    return xp.clip(q, 0.0, float(maxq))


def dequantize_with_zero_point(q, scale, zero):
    """``scale * (q - zero)``."""
    xp = namespace(q, scale)
    return scale * (_float(xp, q, scale) - _float(xp, zero, scale))


def kernel_rows_columns(shape):
    """The 2-D ``(rows, columns)`` view Keras' GPTQ/AWQ take of a kernel: a 2-D kernel as
    it is; a 3-D one by where its largest dimension is: first (``[in, heads, head_dim]``,
    a query/key/value projection) -> ``(in, heads * head_dim)``; else (``[heads,
    head_dim, out]``, an attention output) -> ``(heads * head_dim, out)``."""
    shape = tuple(int(d) for d in shape)
    if len(shape) == 2:
        return shape
    if len(shape) == 3:
        if shape.index(max(shape)) == 0:
            return shape[0], shape[1] * shape[2]
        return shape[0] * shape[1], shape[2]
    raise ValueError(f"GPTQ/AWQ quantization supports 2-D or 3-D kernels; received a kernel "
                     f"of shape {shape}")


# ----------------------------------------------------------------------------- data
def get_dataloader(tokenizer, sequence_length, dataset, num_samples=128, *,
                   strategy="strided", seed=42, stride=None, eos_id=None):
    """Keras' ``gptq_core.get_dataloader``: ``num_samples`` windows of
    ``sequence_length`` tokens (int32, shape ``(num_samples, 1, sequence_length)``) cut
    from the dataset's tokens, concatenated (strings through ``tokenizer.tokenize``) and
    repeated when too short. ``"strided"`` starts at an offset from Python's
    ``hash(("gptq-calib", seed))`` as Keras does (so it varies between processes unless
    ``PYTHONHASHSEED`` is set, and equals Keras' in a process with the same seed)."""
    if not hasattr(dataset, "__iter__") or isinstance(dataset, (str, bytes)):
        raise TypeError("The `dataset` argument must be an iterable (e.g., a list of "
                        "strings, a generator, or a NumPy array). Got type: "
                        f"{type(dataset).__name__}. Please pass the loaded dataset directly.")
    items = list(dataset)
    if not items:
        raise ValueError("Provided dataset is empty.")
    pieces = []
    if isinstance(items[0], str):
        for i, s in enumerate(items):
            pieces.append(np.asarray(to_numpy(tokenizer.tokenize(s))).reshape(-1))
            if eos_id is not None and i < len(items) - 1:
                pieces.append(np.array([eos_id], dtype=np.int32))
    else:
        for s in items:
            pieces.append(np.asarray(to_numpy(s)).reshape(-1).astype(np.int32, copy=False))
    tokens = (pieces[0] if len(pieces) == 1 else np.concatenate(pieces)).astype(np.int32,
                                                                                copy=False)
    need = num_samples * sequence_length
    if tokens.size < need:
        tokens = np.tile(tokens, math.ceil(need / max(1, tokens.size)))
    max_start = tokens.size - sequence_length
    if max_start < 0:
        raise ValueError(f"Not enough tokens to form one sample of length {sequence_length} "
                         f"(have {tokens.size}).")
    if strategy == "random":
        starts = np.random.default_rng(seed).integers(0, max_start + 1, size=num_samples,
                                                       dtype=np.int64)
    elif strategy == "linspace":
        starts = np.linspace(0, max_start, num_samples, dtype=np.int64)
    elif strategy == "strided":
        if stride is None:
            stride = max(1, (max_start + 1) // num_samples)
        offset = abs(hash(("gptq-calib", seed))) % (max_start + 1) if max_start > 0 else 0
        starts = (offset + np.arange(num_samples, dtype=np.int64) * stride) % (max_start + 1)
    else:
        raise ValueError(f"Unknown strategy: {strategy}")
    windows = np.lib.stride_tricks.sliding_window_view(tokens, sequence_length)
    return windows[starts].astype(np.int32)[:, None, :]


# ----------------------------------------------------------------------------- driver
def should_quantize_layer(layer, filters):
    """Keras' filter rule: None (all), a regex or list of regexes searched in the layer's
    name, or a callable ``layer -> bool``."""
    if filters is None:
        return True
    if isinstance(filters, str):
        return bool(re.search(filters, layer.name))
    if isinstance(filters, (list, tuple)):
        return any(re.search(p, layer.name) for p in filters)
    if callable(filters):
        return filters(layer)
    return True


def _leaves(block):
    """The leaf layers under ``block`` (itself included), depth first in attribute order,
    as Keras' ``_flatten_layers``."""
    out, seen = [], set()

    def walk(layer):
        if id(layer) in seen:
            return
        seen.add(id(layer))
        if not layer._layers:
            out.append(layer)
        for sub in layer._layers:
            walk(sub)

    walk(block)
    return out


def find_layers_in_block(block):
    """Keras' ``find_layers_in_block``: the Dense and EinsumDense leaves of ``block``
    (those ``quantize("gptq" | "awq")`` prepared), keyed by their path."""
    return {_layer_path(layer): layer for layer in _leaves(block)
            if getattr(layer, "_wq", None) is not None}


def _layer_path(layer):
    return getattr(layer, "path", None) or layer.name


def apply_layerwise(dataloader, config, structure, filters, make, finish):
    """Keras' ``apply_gptq_layerwise`` / ``apply_awq_layerwise``: the calibration inputs
    run through the ``pre_block_layers``; then block by block, every selected Dense and
    EinsumDense of the block gets a statistics object (``make(layer)``) fed with its
    inputs while the block runs on each sample, is quantized (``finish(obj)``), and the
    block's outputs (quantized) become the next block's inputs."""
    from ..utils import Progbar

    pre = structure.get("pre_block_layers", [])
    blocks = structure.get("sequential_blocks", [])
    if not blocks:
        raise ValueError("No sequential blocks found in the provided structure to quantize.")
    inputs = []
    for batch in dataloader:
        batch = np.asarray(batch, dtype=np.int32)
        for layer in pre:
            batch = layer(batch)
        inputs.append(batch)
    n = min(config.num_samples, len(inputs))
    bar = Progbar(target=len(blocks))

    def expand(x):
        if len(x.shape) == 2:
            return namespace(x).expand_dims(x, axis=0)
        return x

    for i, block in enumerate(blocks):
        targets = {k: v for k, v in find_layers_in_block(block).items()
                   if should_quantize_layer(v, filters)}
        if targets:
            objs = {k: make(v) for k, v in targets.items()}
            for k, layer in targets.items():
                layer.__dict__["_uk_calibration"] = objs[k]
            try:
                for s in range(n):
                    block(expand(inputs[s]))
            finally:
                for layer in targets.values():
                    layer.__dict__.pop("_uk_calibration", None)
            for obj in objs.values():
                finish(obj)
        if i < len(blocks) - 1:
            inputs = [block(expand(inputs[s]))[0] for s in range(n)]
        bar.update(i + 1)


def resolve_layer_setting(layer, config, config_cls, policy_cls, attr, algo):
    """``config.<attr>`` when quantizing with a ``config_cls``, else the layer's
    ``policy_cls`` policy's (a loaded model); Keras' error otherwise."""
    from ..dtype_policies import DTypePolicyMap

    if config is not None and isinstance(config, config_cls):
        return getattr(config, attr)
    policy = layer.dtype_policy
    if isinstance(policy, DTypePolicyMap):
        policy = policy[_layer_path(layer)]
    if isinstance(policy, policy_cls):
        return getattr(policy, attr)
    raise ValueError(f"For {algo} quantization, the {attr} must be specified either through "
                     f"a `dtype_policy` of type `{policy_cls.__name__}` or the `config` "
                     "argument.")
