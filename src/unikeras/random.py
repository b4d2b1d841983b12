"""Keras' ``keras.random``: seeded random numbers on every framework."""

from .state import SeedGenerator  # noqa: F401
from .xp.random import (  # noqa: F401
    bernoulli,
    categorical,
    dropout,
    normal,
    randint,
    shuffle,
    truncated_normal,
    uniform,
)
