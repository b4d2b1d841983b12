"""Keras' ``keras.optimizers``."""

from .training.optimizers import *  # noqa: F401,F403
from .training.optimizers import get
