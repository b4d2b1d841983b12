"""Framework-neutral helpers shared by the per-framework trainers."""

from __future__ import annotations

import inspect


def uses_pure_signature(model, method: str) -> bool:
    """True when ``model.<method>`` was overridden with JAX's pure ``(state, data)``
    signature rather than the stateful ``(data)`` one."""
    from .model import Model

    fn = getattr(type(model), method)
    if fn is getattr(Model, method):
        return False
    params = [p for p in inspect.signature(fn).parameters.values()
              if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return len(params) == 3  # self, state, data


def state_variables(model, training: bool):
    """The variables a step reads and writes, in a fixed order: trainable, non-trainable,
    optimizer, metrics (Keras' state tuple)."""
    tv = model.trainable_variables
    ntv = model.non_trainable_variables
    ov = model.optimizer.variables if (training and model.optimizer is not None) else []
    mv = model.metrics_variables
    return tv, ntv, ov, mv


def _signature(obj):
    """A hashable key for a batch's structure and its leaves' shapes and dtypes."""
    if obj is None:
        return None
    if isinstance(obj, (list, tuple)):
        return (type(obj).__name__, tuple(_signature(o) for o in obj))
    if isinstance(obj, dict):
        return ("dict", tuple((k, _signature(v)) for k, v in obj.items()))
    return (tuple(obj.shape), str(obj.dtype))


def equal_shape_runs(batches):
    """Split a group of consecutive batches (``steps_per_execution``) into runs of batches
    with the same structure, shapes and dtypes, in order: a run can be stacked into one
    array per leaf and stepped through in a loop (a partial last batch makes its own run)."""
    runs, last = [], object()
    for b in batches:
        sig = _signature(b)
        if runs and sig == last:
            runs[-1].append(b)
        else:
            runs.append([b])
            last = sig
    return runs
