"""Keras 3 callbacks (``unikeras.callbacks``)."""

from .base import Callback, CallbackList, History, ProgbarLogger, flatten_logs, logs_to_floats
from .early_stopping import EarlyStopping
from .ema_remote import RemoteMonitor, SwapEMAWeights
from .model_checkpoint import BackupAndRestore, ModelCheckpoint
from .orbax_checkpoint import OrbaxCheckpoint
from .simple import (CSVLogger, LambdaCallback, LearningRateScheduler, ReduceLROnPlateau,
                     TerminateOnNaN)
from .tensorboard import TensorBoard

__all__ = ["Callback", "CallbackList", "History", "ProgbarLogger", "EarlyStopping",
           "ModelCheckpoint", "BackupAndRestore", "OrbaxCheckpoint", "CSVLogger", "LambdaCallback",
           "LearningRateScheduler", "ReduceLROnPlateau", "TerminateOnNaN", "TensorBoard",
           "SwapEMAWeights", "RemoteMonitor", "get"]

_BY_NAME = {n: globals()[n] for n in __all__ if n not in ("get", "CallbackList")}


def get(identifier):
    """A callback instance from an instance or a class name."""
    if isinstance(identifier, Callback):
        return identifier
    if isinstance(identifier, str) and identifier in _BY_NAME:
        return _BY_NAME[identifier]()
    raise ValueError(f"callbacks.get: expected a Callback instance or one of "
                     f"{sorted(_BY_NAME)}; received {identifier!r}")
