"""Fixtures for the unikeras.ops tests: every installed framework, NumPy included."""

import importlib.util

import numpy as np
import pytest

from unikeras import xp


def _available():
    out = []
    for fw in xp.installed_frameworks(include_numpy=True):
        if fw == "tensorflow" and importlib.util.find_spec("unikeras.xp.tensorflow.array_api") is None:
            continue  # our TF Array API namespace has not landed yet
        out.append(fw)
    return out


FRAMEWORKS = _available()


class FW:
    """A framework under test: ``T(np_array)`` makes one of its arrays."""

    def __init__(self, name):
        self.name = name
        # JAX runs without x64 (as Keras' JAX backend): no 64-bit arrays
        self.x64 = name != "jax"

    def T(self, a, dtype=None):
        a = np.asarray(a)
        if dtype is not None:
            a = a.astype(dtype)
        return xp.asarray(a, framework=self.name)

    def __repr__(self):
        return self.name


@pytest.fixture(params=FRAMEWORKS)
def fw(request):
    name = request.param
    xp.set_default_framework(name)
    try:
        yield FW(name)
    finally:
        xp.set_default_framework(None)
