"""SeedGenerator: a seed held as state, so random layers are reproducible and pure.

Its state is an int Variable ``[seed, counter]``. Each ``next()`` returns the current
pair and advances the counter by assignment, so under ``stateless_call`` the advance is
returned with the rest of the non-trainable state and under jax.jit nothing is lost.
"""

from __future__ import annotations

import numpy as np

from ..xp import namespace
from .tree import Trackable, bump_structure_version
from .variables import Variable, unique_name

class SeedGenerator(Trackable):
    """Keras' ``keras.random.SeedGenerator(seed=None, name=None)``."""

    def __init__(self, seed=None, name=None, **kwargs):
        if seed is None:
            seed = int(np.random.randint(0, 2**31 - 1))
        if not isinstance(seed, (int, np.integer)):
            raise ValueError(f"SeedGenerator: seed must be an int or None; received {seed!r}")
        self.name = name or unique_name("seed_generator")
        self._initial_seed = int(seed)
        self.state = Variable(np.array([seed, 0], dtype=np.int64), dtype="int64",
                              trainable=False, name=f"{self.name}_state")
        bump_structure_version()

    def _own_variables(self):
        return [self.state]

    @property
    def framework(self):
        return self.state.framework

    def next(self, framework=None):
        """Return the current seed pair (a framework array) and advance the state."""
        state = self.state
        if framework is not None and framework != state.framework:
            state._move_to(framework)
        # A snapshot: torch assigns in place, and a pair returned as the Parameter
        # itself would change under the caller when the next draw advances the state.
        value = state._snapshot()
        xp = namespace(value)
        state.assign(value + xp.asarray([0, 1], dtype=value.dtype))
        return value

    def get_config(self):
        return {"seed": self._initial_seed, "name": self.name}
