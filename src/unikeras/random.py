"""Keras' ``keras.random``: seeded random numbers on every framework."""

from .state import SeedGenerator  # noqa: F401
from .xp.random import (  # noqa: F401
    bernoulli,
    beta,
    binomial,
    categorical,
    dropout,
    gamma,
    normal,
    randint,
    shuffle,
    truncated_normal,
    uniform,
)
