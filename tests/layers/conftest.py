"""Fixtures shared by the layer tests (on top of ``tests/conftest.py``).

``keras``      Keras 3, the numerical reference (imported with KERAS_BACKEND set only
               for the import, so unikeras' default framework is left alone).
``keras_np``   a Keras output (tensor, or nested list/tuple of them) -> NumPy (lists).
``fw_arr``     ``fw_arr(value, fw)``: NumPy arrays, also inside lists/tuples, -> ``fw``'s
               arrays; anything else (None, bools, strings) unchanged; "numpy" unchanged.
``np_out``     a unikeras output (array, or nested list/tuple of them) -> NumPy (lists).
``run_layer``  ``run_layer(layer, x, fw, **kwargs)``: call ``layer`` on ``x`` and kwargs
               converted with ``fw_arr`` (NumPy made the default framework for "numpy"),
               assert the output is ``fw``'s, return it as NumPy.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

from unikeras.xp import asarray, framework_of, set_default_framework, to_numpy


@pytest.fixture(scope="session")
def keras():
    # Keras fixes its backend at import; set it only for the import so that unikeras'
    # default framework (which also honours KERAS_BACKEND) is left alone.
    old = os.environ.get("KERAS_BACKEND")
    os.environ["KERAS_BACKEND"] = old or "tensorflow"
    try:
        import keras as k
    finally:
        if old is None:
            del os.environ["KERAS_BACKEND"]
    return k


def _keras_np(out):
    if isinstance(out, (list, tuple)):
        return [_keras_np(o) for o in out]
    from keras import ops

    return np.asarray(ops.convert_to_numpy(out))


@pytest.fixture
def keras_np(keras):
    return _keras_np


def _fw_arr(value, fw):
    if isinstance(value, (list, tuple)):
        return type(value)(_fw_arr(v, fw) for v in value)
    if fw == "numpy" or not isinstance(value, np.ndarray):
        return value
    return asarray(value, framework=fw)


@pytest.fixture
def fw_arr():
    return _fw_arr


def _np_out(out):
    if isinstance(out, (list, tuple)):
        return [_np_out(o) for o in out]
    return np.asarray(to_numpy(out))


@pytest.fixture
def np_out():
    return _np_out


def _check_fw(out, fw):
    if isinstance(out, (list, tuple)):
        for o in out:
            _check_fw(o, fw)
    else:
        assert framework_of(out) == fw, (framework_of(out), fw)


def _run_layer(layer, x, fw, **kwargs):
    if fw == "numpy":
        set_default_framework("numpy")
    out = layer(_fw_arr(x, fw), **{k: _fw_arr(v, fw) for k, v in kwargs.items()})
    _check_fw(out, fw)
    return _np_out(out)


@pytest.fixture
def run_layer():
    return _run_layer
