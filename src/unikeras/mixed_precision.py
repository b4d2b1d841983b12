"""Keras' ``keras.mixed_precision``."""

from .dtype_policies import (  # noqa: F401
    DTypePolicy,
    Policy,
    dtype_policy,
    global_policy,
    set_dtype_policy,
    set_global_policy,
)
from .training.optimizers import LossScaleOptimizer  # noqa: F401,E402
