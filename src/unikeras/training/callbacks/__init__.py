"""Keras 3 callbacks (``unikeras.callbacks``)."""

from .base import Callback, CallbackList, History, ProgbarLogger, logs_to_floats
