"""Keras' ``keras.callbacks``."""

from .training.callbacks import *  # noqa: F401,F403
from .training.callbacks import get
