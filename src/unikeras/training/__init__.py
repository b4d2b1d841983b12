"""Model, training loop, optimizers, losses, metrics, callbacks and data adapters."""

from .model import Model
from .functional import Functional
from .sequential import Sequential
