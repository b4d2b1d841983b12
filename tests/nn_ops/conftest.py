"""Helpers for the nn_ops unit tests (fixtures from tests/conftest.py apply too)."""

from __future__ import annotations

import numpy as np
import pytest

from unikeras.xp import asarray, to_numpy


def call_generic(op, framework, *args, **kwargs):
    """``op.generic(*args)``: the array-API implementation, bypassing fast paths. No
    guard: a namespace that lacks a function the generic code calls fails the test."""
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
