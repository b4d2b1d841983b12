"""Helpers for the nn_ops unit tests (fixtures from tests/conftest.py apply too)."""

from __future__ import annotations

import numpy as np
import pytest

from unikeras.xp import asarray, to_numpy


def tf_namespace_problem():
    """None when the TensorFlow Array API namespace is usable, else why not."""
    try:
        import unikeras.xp.tensorflow.array_api as ns  # noqa: F401
    except ImportError as e:
        return f"unikeras.xp.tensorflow.array_api does not import yet ({e})"
    return None


def call_generic(op, framework, *args, **kwargs):
    """``op.generic(*args)``; on TensorFlow, skip the test while its Array API
    namespace is missing or incomplete (it is being written)."""
    if framework == "tensorflow":
        why = tf_namespace_problem()
        if why:
            pytest.skip(why)
        try:
            return op.generic(*args, **kwargs)
        except (AttributeError, NotImplementedError) as e:
            if "array_api" in repr(e) or "tensorflow" in str(type(e)).lower() or "module" in str(e):
                pytest.skip(f"TF Array API namespace incomplete: {e}")
            raise
    return op.generic(*args, **kwargs)


@pytest.fixture
def generic():
    return call_generic


@pytest.fixture
def fw_array():
    def conv(a, framework):
        if framework == "array_api_strict":
            import array_api_strict

            return array_api_strict.asarray(np.asarray(a))
        return asarray(np.asarray(a), framework=framework)

    return conv


@pytest.fixture
def np_of():
    return to_numpy
