"""``model.summary()``: the table Keras prints (layer, output shape, parameters)."""

from __future__ import annotations

import numpy as np


def _count(weights):
    return int(sum(int(np.prod(v.shape)) for v in weights))


def _fmt_shape(shape):
    if shape is None:
        return "?"
    if isinstance(shape, list):
        return ", ".join(_fmt_shape(s) for s in shape)
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + ")"


def _rows(model):
    from ..layers.symbolic import InputLayer

    rows = []
    if hasattr(model, "_nodes"):  # Functional
        for layer in model.layers:
            if isinstance(layer, InputLayer):
                shape = layer.batch_shape
            else:
                nodes = model._layer_nodes.get(id(layer), [])
                shape = [t.shape for t in nodes[0].outputs] if nodes else None
                if isinstance(shape, list) and len(shape) == 1:
                    shape = shape[0]
            rows.append((layer, shape))
        return rows
    for layer in model.layers:
        shape = None
        spec = getattr(layer, "_last_output_shape", None)
        if spec is not None:
            shape = spec
        rows.append((layer, shape))
    return rows


def print_summary(model, line_length=None, print_fn=None, show_trainable=False):
    print_fn = print_fn or print
    shapes = _output_shapes(model)
    rows = _rows(model)
    width = line_length or 80
    cols = (max(30, width * 4 // 10), max(26, width * 35 // 100), 12)
    def line(a, b, c):
        return f"{a:<{cols[0]}}{b:<{cols[1]}}{c:>{cols[2]}}"
    kind = "Functional" if hasattr(model, "_nodes") else type(model).__name__
    print_fn(f'Model: "{model.name}"' + ("" if kind == type(model).__name__ else ""))
    sep = "─" * (sum(cols))
    print_fn(sep)
    print_fn(line("Layer (type)", "Output Shape", "Param #"))
    print_fn("━" * sum(cols))
    for layer, shape in rows:
        shape = shapes.get(id(layer), shape)
        print_fn(line(f"{layer.name} ({type(layer).__name__})"[: cols[0] - 1], _fmt_shape(shape)[: cols[1] - 1],
                      f"{_count(layer.weights):,}" if layer.built else "0 (unbuilt)"))
    print_fn(sep)
    total = _count(model.weights)
    trainable = _count(model.trainable_weights)
    print_fn(f" Total params: {total:,}")
    print_fn(f" Trainable params: {trainable:,}")
    print_fn(f" Non-trainable params: {total - trainable:,}")
    if model.optimizer is not None and model.optimizer.built:
        print_fn(f" Optimizer params: {_count(model.optimizer.variables):,}")


def _output_shapes(model):
    """Per-layer output shapes of a Sequential model, from a symbolic pass."""
    from ..layers.symbolic import KerasTensor

    out = {}
    if hasattr(model, "_nodes") or not hasattr(model, "_build_shape"):
        return out
    x = KerasTensor(model._build_shape)
    for layer in model.layers:
        x = layer.compute_output_spec(x)
        out[id(layer)] = x.shape if isinstance(x, KerasTensor) else None
    return out
