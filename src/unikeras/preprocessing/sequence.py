"""Keras' ``keras.preprocessing.sequence``."""

from ..data.sequence_utils import pad_sequences  # noqa: F401
