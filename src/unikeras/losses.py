"""Keras' ``keras.losses``."""

from .training.losses import *  # noqa: F401,F403
from .training.losses import get
