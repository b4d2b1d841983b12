"""Keras' ``keras.metrics``."""

from .training.metrics import *  # noqa: F401,F403
from .training.metrics import get
