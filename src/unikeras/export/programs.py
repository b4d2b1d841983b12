"""Native programs for serving without unikeras: a ``torch.export`` ExportedProgram
(``format="torch"``, a ``.pt2`` file) and a serialized ``jax.export.Exported``
(``format="jax"``, StableHLO). Written once; the framework calls sit in
``export/torch.py`` and ``export/jax.py``.

Both run the model on their framework's copies of its weights (``ServingState``), so a
model trained on any framework exports to either; the weights are those at export time.
Inputs are the flattened signature (one tensor per input, dicts by sorted key), every
None dimension of the signature is dynamic (the batch dimensions share one symbol).
"""

from __future__ import annotations

import os

from ..xp import shim
from ._common import (ServingState, atomic_path, flatten_specs, get_input_signature,
                      host_values, make_input_spec, map_specs)


def _shim(framework):
    mod = shim(framework, "export")
    if mod is None:
        raise ImportError(f"This export needs {framework}: pip install 'unikeras[{framework}]'")
    return mod


def _signature(model, input_signature):
    if input_signature is None:
        input_signature = get_input_signature(model)
    if not isinstance(input_signature, (list, tuple)):
        input_signature = [input_signature]
    signature = map_specs(make_input_spec, list(input_signature))
    flat, treespec = flatten_specs(signature)
    return signature, flat, treespec


def _caller(model, treespec):
    def call(*flat):
        args = treespec.unflatten(list(flat))
        return model(*args, training=False)

    return call


def torch_program(model, input_signature=None, **kwargs):
    """The model as a ``torch.export.ExportedProgram`` taking the flat inputs."""
    tm = _shim("torch")
    _, flat, treespec = _signature(model, input_signature)
    state = ServingState([model], "torch")
    module = tm.ServedModule(state, host_values(state.variables), _caller(model, treespec))
    module.eval()
    dynamic = kwargs.pop("dynamic_shapes", None)
    batch = 2 if dynamic is not None or any(None in s.shape for s in flat) else 1
    args = [tm.sample(s, batch) for s in flat]
    if dynamic is None:
        one = tm.dynamic_shapes_for(flat)
        dynamic = {"args": tuple(one(s, i) for i, s in enumerate(flat))}
    return tm.export_program(module, args, dynamic, **kwargs), [s.name or f"input_{i}" for i, s in enumerate(flat)]


def export_torch(model, filepath, verbose=None, input_signature=None, **kwargs):
    """``model.export(path, format="torch")``: a ``.pt2`` file for
    ``torch.export.load(path).module()(x)``. ``kwargs`` go to ``torch.export.export``
    (``strict``, ``dynamic_shapes``, ...)."""
    filepath = os.fspath(filepath)
    if not filepath.endswith(".pt2"):
        raise ValueError("The PyTorch export requires the filepath to end with '.pt2'. "
                         f"Got: {filepath}")
    program, _ = torch_program(model, input_signature, **kwargs)
    with atomic_path(filepath) as tmp:
        _shim("torch").save_program(program, tmp)
    if verbose is None or verbose:
        print(f"Saved PyTorch ExportedProgram at '{filepath}'.")
    return filepath


def jax_exported(model, input_signature=None, platforms=None):
    """The model as a ``jax.export.Exported`` with its weights embedded as constants."""
    jm = _shim("jax")
    _, flat, treespec = _signature(model, input_signature)
    state = ServingState([model], "jax")
    weights = jm.constants(host_values(state.variables))
    call = _caller(model, treespec)

    def served(*inputs):
        with state.active(weights):
            return call(*inputs)

    return jm.export(served, jm.abstract_args(flat), platforms=platforms)


def export_jax(model, filepath, verbose=None, input_signature=None, platforms=None,
               **kwargs):
    """``model.export(path, format="jax")``: the serialized ``jax.export.Exported``
    (StableHLO bytes) for ``jax.export.deserialize(open(path, "rb").read()).call(x)``.
    ``platforms`` (e.g. ``("cpu", "cuda")``) lowers for several platforms at once."""
    if kwargs:
        raise ValueError(f"Unsupported arguments for format='jax': {sorted(kwargs)}. "
                         "Supported: platforms.")
    filepath = os.fspath(filepath)
    exported = jax_exported(model, input_signature, platforms)
    with atomic_path(filepath) as tmp:
        with open(tmp, "wb") as f:
            f.write(_shim("jax").serialize(exported))
    if verbose is None or verbose:
        print(f"Saved jax.export.Exported (StableHLO) at '{filepath}' "
              f"for platforms {list(exported.platforms)}.")
    return filepath
