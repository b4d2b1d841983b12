"""Framework-neutral pieces of export: input signatures, running a model on another
framework's copies of its weights without moving it, and atomic writes.

Nothing here imports a framework; the exporters in ``export/<framework>.py`` call in.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile

import optree

from ..layers.input_spec import InputSpec  # noqa: F401  (re-exported for export/)
from ..state import StatelessScope
from ..xp import framework_of, standardize_dtype


# ----------------------------------------------------------------------- signatures
def _is_tf_tensor_spec(x) -> bool:
    t = type(x)
    return t.__name__ == "TensorSpec" and t.__module__.startswith("tensorflow")


def make_input_spec(x) -> InputSpec:
    """An ``InputSpec`` with a shape and a dtype from an ``InputSpec``, a ``KerasTensor``,
    a ``tf.TensorSpec`` or an array. As in Keras, a KerasTensor's or an array's first
    dimension becomes the dynamic batch dimension (None); an explicit spec is kept."""
    from ..layers.symbolic import KerasTensor

    if isinstance(x, InputSpec):
        if x.shape is None or x.dtype is None:
            raise ValueError(f"The `shape` and `dtype` must be provided. Received: x={x}")
        return InputSpec(shape=x.shape, dtype=standardize_dtype(x.dtype), name=x.name)
    if _is_tf_tensor_spec(x):
        shape = None if x.shape.rank is None else tuple(x.shape.as_list())
        return InputSpec(shape=shape, dtype=x.dtype.name, name=x.name)
    if isinstance(x, KerasTensor):
        return InputSpec(shape=(None,) + tuple(x.shape[1:]), dtype=x.dtype, name=x.name)
    if framework_of(x) is not None:
        return InputSpec(shape=(None,) + tuple(int(d) for d in x.shape[1:]),
                         dtype=standardize_dtype(x.dtype), name=None)
    raise TypeError(
        f"Unsupported x={x} of the type ({type(x)}). Supported types are: "
        "`keras.InputSpec`, `keras.KerasTensor`, `tf.TensorSpec` and backend tensor.")


def map_specs(fn, signature):
    """Map ``fn`` over the leaves of a nested list/tuple/dict signature."""
    return optree.tree_map(fn, signature, none_is_leaf=False,
                           is_leaf=lambda s: not isinstance(s, (list, tuple, dict)))


def flatten_specs(signature):
    """(leaves, treespec); dicts are flattened by sorted key, as Keras' ``tree``."""
    return optree.tree_flatten(signature, none_is_leaf=False,
                               is_leaf=lambda s: not isinstance(s, (list, tuple, dict)))


def get_input_signature(model) -> list:
    """Keras 3's input signature of a built model: a list with one entry per positional
    argument of ``model.__call__``. Functional: ``[inputs structure]``; Sequential:
    ``[spec]``; subclassed: the arguments of the first call (batch dimension None)."""
    # Duck-typed (export does not import training/, which imports export for Model.export)
    from ..layers.layer import Layer

    if not (isinstance(model, Layer) and callable(getattr(model, "fit", None))):
        raise TypeError("The model must be a `keras.Model`. "
                        f"Received: model={model} of the type {type(model)}")
    if not model.built:
        raise ValueError("The model provided has not yet been built. "
                         "It must be built before export.")
    if hasattr(model, "_inputs_struct"):  # Functional
        return [map_specs(make_input_spec, model._inputs_struct)]
    if callable(getattr(model, "_input_shape", None)):  # Sequential
        shape, dtype = model._input_shape()
        if shape is None:
            shape = getattr(model, "_build_shape", None)
        if shape is None:
            raise ValueError("The Sequential model has no known input shape: give it an "
                             "Input layer, build it, or pass `input_signature`.")
        return [InputSpec(shape=(None,) + tuple(shape[1:]),
                          dtype=standardize_dtype(dtype or model.compute_dtype))]
    recorded = model.__dict__.get("_export_call_args")
    if recorded is None:
        raise ValueError("The model provided has never called. "
                         "It must be called at least once before export.")
    return list(recorded)


def record_call_args(args) -> list | None:
    """What a subclassed model remembers of its first call for export: one InputSpec
    structure per positional argument (None when an argument is not arrays)."""
    out = []
    for a in args:
        leaves, _ = flatten_specs(a)
        if not leaves or any(framework_of(leaf) is None for leaf in leaves):
            break
        out.append(map_specs(make_input_spec, a))
    return out or None


def input_names(signature) -> list[str]:
    leaves, _ = flatten_specs(signature)
    return [getattr(s, "name", None) or f"input_{i}" for i, s in enumerate(leaves)]


# ------------------------------------------------- a model on another framework's copies
class ServingState:
    """The layers an export runs and copies of their variables on one framework.

    ``with state.active(values):`` puts ``values`` (one per variable) into the variables
    and marks every layer as living on ``framework``, so calling the model traces on that
    framework without moving it (its own torch Parameters, jax arrays or tf.Variables are
    back in place on exit, and handles a training loop holds stay valid). By default
    assignments inside only rebind (a ``StatelessScope``), so tracing never changes the
    model."""

    def __init__(self, layers, framework):
        self.framework = framework
        self.layers = []
        seen = set()
        for layer in layers:
            for sub in layer._iter_layers():
                if id(sub) not in seen:
                    seen.add(id(sub))
                    self.layers.append(sub)
        variables, vseen = [], set()
        for layer in layers:
            for v in layer._tree_variables():
                if id(v) not in vseen:
                    vseen.add(id(v))
                    variables.append(v)
        self.variables = variables

    @contextlib.contextmanager
    def active(self, values, stateless=True):
        """Run with ``values`` in the variables. ``stateless=False`` lets assignments
        reach the values themselves (tf.Variable copies: a training-mode SavedModel
        endpoint updates its own BatchNormalization statistics, as in Keras)."""
        saved_layers = [(layer, layer.__dict__.get("_framework")) for layer in self.layers]
        saved_vars = [(v, v._value, v._framework) for v in self.variables]
        scope = StatelessScope() if stateless else None
        try:
            for v, value in zip(self.variables, values):
                v._value = value
                v._framework = self.framework
            for layer in self.layers:
                layer.__dict__["_framework"] = self.framework
            if scope is not None:
                scope.__enter__()
            yield
        finally:
            if scope is not None:
                scope.__exit__(None, None, None)
            for v, value, fw in saved_vars:
                v._value = value
                v._framework = fw
            for layer, fw in saved_layers:
                layer.__dict__["_framework"] = fw


def host_values(variables):
    """NumPy copies of the variables' current values (export snapshots the weights)."""
    return [v.numpy() for v in variables]


# ----------------------------------------------------------------------- atomic writes
@contextlib.contextmanager
def atomic_path(filepath, directory=False):
    """Yield a temporary path beside ``filepath``; on success it replaces ``filepath``
    (a file with ``os.replace``; a directory by two renames), on error it is removed,
    so an interrupted export never leaves a half-written artifact at ``filepath``."""
    filepath = os.fspath(filepath)
    parent = os.path.dirname(os.path.abspath(filepath))
    os.makedirs(parent, exist_ok=True)
    tmpdir = tempfile.mkdtemp(prefix=".export-", dir=parent)
    tmp = os.path.join(tmpdir, os.path.basename(filepath) or "artifact")
    try:
        yield tmp
        if directory:
            old = None
            if os.path.exists(filepath):
                old = os.path.join(tmpdir, "previous")
                os.rename(filepath, old)
            os.rename(tmp, filepath)
        else:
            os.replace(tmp, filepath)
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)
