"""PyTorch side of export: a ``torch.export`` ExportedProgram of the model (its weights
lifted as the program's buffers), saved with ``torch.export.save``, and ONNX through
``torch.onnx.export(..., dynamo=True)`` of that program."""

from __future__ import annotations

import re
import warnings

import torch

from ..xp import standardize_dtype


class ServedModule(torch.nn.Module):
    """A ``torch.nn.Module`` whose buffers are the model's weights and whose ``forward``
    runs the unikeras model on them (``ServingState.active``). Traced by torch.export,
    it becomes a program that needs neither this class nor unikeras."""

    def __init__(self, state, values, call):
        super().__init__()
        self._state = state
        self._call = call
        self._names = []
        used = set()
        for v, value in zip(state.variables, values):
            base = re.sub(r"\W", "_", v.path or v.name) or "variable"
            name, i = base, 1
            while name in used:
                name, i = f"{base}_{i}", i + 1
            used.add(name)
            self._names.append(name)
            self.register_buffer(name, torch.from_numpy(value.copy()))

    def forward(self, *args):
        values = [getattr(self, n) for n in self._names]
        with self._state.active(values):
            return self._call(*args)


def sample(spec, batch):
    shape = tuple(batch if d is None else d for d in spec.shape)
    return torch.ones(shape, dtype=getattr(torch, standardize_dtype(spec.dtype)))


def dynamic_shapes_for(specs):
    """``dynamic_shapes`` for torch.export: every None dimension of a spec is dynamic
    (all batch dimensions share one symbol)."""
    batch = torch.export.Dim("batch")

    def one(spec, idx):
        dims = {}
        for j, d in enumerate(spec.shape):
            if d is None:
                dims[j] = batch if j == 0 else torch.export.Dim(f"dim_{idx}_{j}")
        return dims or None

    return one


def export_program(module, args, dynamic_shapes, **kwargs):
    kwargs.setdefault("strict", False)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r".*not properly registered as a submodule.*")
        return torch.export.export(module, tuple(args), dynamic_shapes=dynamic_shapes, **kwargs)


def save_program(program, path):
    torch.export.save(program, path)


def to_onnx(program, path, input_names, opset=None, verbose=False):
    kwargs = {"input_names": input_names, "dynamo": True, "verbose": verbose}
    if opset is not None:
        kwargs["opset_version"] = opset
    onnx_program = torch.onnx.export(program, (), **kwargs)
    onnx_program.optimize()
    onnx_program.save(path)
