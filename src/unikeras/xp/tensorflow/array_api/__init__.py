"""A Python Array API (2025.12) namespace for TensorFlow.

Functions take and return plain ``tf.Tensor`` objects; they work eagerly, inside
``tf.function`` (XLA included where TF's kernels allow) and under ``tf.GradientTape``.
TensorFlow itself refuses mixed dtypes, so every multi-argument function promotes
explicitly with the standard's type-promotion table (see ``_base.promote``).

This module never changes TF's global behaviour (no numpy-behaviour switch, no patching).
See docs/tf_array_api.md.
"""

from __future__ import annotations

import math as _math

import tensorflow as _tf

__array_api_version__ = "2025.12"

# -- constants
e = _math.e
inf = _math.inf
nan = _math.nan
pi = _math.pi
newaxis = None

# -- data types (the tf.dtypes objects themselves)
bool = _tf.bool
int8 = _tf.int8
int16 = _tf.int16
int32 = _tf.int32
int64 = _tf.int64
uint8 = _tf.uint8
uint16 = _tf.uint16
uint32 = _tf.uint32
uint64 = _tf.uint64
float32 = _tf.float32
float64 = _tf.float64
complex64 = _tf.complex64
complex128 = _tf.complex128

from ._creation import *  # noqa: E402,F401,F403
from ._dtype_functions import *  # noqa: E402,F401,F403
from ._elementwise import *  # noqa: E402,F401,F403
from ._manipulation import *  # noqa: E402,F401,F403
from ._searching import *  # noqa: E402,F401,F403
from ._statistical import *  # noqa: E402,F401,F403
from ._info import __array_namespace_info__  # noqa: E402,F401
from .linalg import matmul, matrix_transpose, tensordot, vecdot  # noqa: E402,F401
from . import linalg  # noqa: E402,F401
from . import fft  # noqa: E402,F401
