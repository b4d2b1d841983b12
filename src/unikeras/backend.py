"""Keras' ``keras.backend`` helpers that make sense with several frameworks at once."""

from .config import backend, epsilon, floatx, image_data_format, set_epsilon, set_floatx  # noqa: F401
from .xp import standardize_dtype, to_numpy as convert_to_numpy  # noqa: F401
