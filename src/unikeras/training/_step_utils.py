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
