"""Keras' ``keras.models``."""

from .training import Functional, Model, Sequential  # noqa: F401
