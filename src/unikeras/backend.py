"""Keras' ``keras.backend`` helpers that make sense with several frameworks at once."""

from .config import (backend, epsilon, floatx, image_data_format, set_epsilon,  # noqa: F401
                     set_floatx, set_image_data_format)
from .utils.general import clear_session, get_uid, is_keras_tensor  # noqa: F401
from .xp import standardize_dtype, to_numpy as convert_to_numpy  # noqa: F401


def is_float_dtype(dtype):
    """Keras' ``backend.is_float_dtype``: float16/32/64 and bfloat16."""
    name = standardize_dtype(dtype)
    return name.startswith("float") or name.startswith("bfloat")


def is_int_dtype(dtype):
    """Keras' ``backend.is_int_dtype``: signed and unsigned integers."""
    name = standardize_dtype(dtype)
    return name.startswith("int") or name.startswith("uint")


def result_type(*dtypes):
    """Keras' ``backend.result_type``: the dtype Keras 3 promotes ``dtypes`` to."""
    from .xp import result_dtype

    return result_dtype(*dtypes)

