"""Keras 3 optimizers (``unikeras.optimizers``)."""

from __future__ import annotations

from ...utils.serialization import deserialize_simple
from . import legacy, schedules
from .adam import SGD, Adam, Adamax, AdamW, Nadam
from .base import Optimizer
from .ftrl_lamb import Ftrl, Lamb, ScheduleFreeAdamW
from .lion import Adafactor, Lion
from .loss_scale import LossScaleOptimizer
from .multi import MultiOptimizer, OptimizerMap
from .muon import Muon
from .rmsprop import Adadelta, Adagrad, RMSprop

_ALIASES = {"sgd": SGD, "adam": Adam, "adamw": AdamW, "adamax": Adamax, "nadam": Nadam,
            "rmsprop": RMSprop, "adagrad": Adagrad, "adadelta": Adadelta, "lion": Lion,
            "adafactor": Adafactor, "ftrl": Ftrl, "muon": Muon,
            "schedulefreeadamw": ScheduleFreeAdamW}
_CLASSES = {c.__name__: c for c in [*set(_ALIASES.values()), Lamb, LossScaleOptimizer,
                                     MultiOptimizer]}


def get(identifier):
    """An optimizer from a name ("adam"), a config dict or an instance."""
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, str):
        cls = _ALIASES.get(identifier.lower())
        if cls is None:
            raise ValueError(f"Could not interpret optimizer identifier: {identifier!r}. "
                             f"Expected one of {sorted(_ALIASES)}")
        return cls()
    if isinstance(identifier, dict):
        return deserialize_simple(identifier, {**_ALIASES, **_CLASSES})
    raise ValueError(f"Could not interpret optimizer identifier: {identifier!r}")


def serialize(optimizer):
    from ...utils.serialization import serialize_simple

    return serialize_simple(optimizer)


def deserialize(config):
    return get(config)
