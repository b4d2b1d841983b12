"""Bad input gets Keras' behaviour or a clear error (issue 12's list): int data into a
float model is cast as Keras' Functional models cast it, strings are refused with an
error saying so, fit(epochs=0) returns a History, batch_size <= 0 is refused, and
np.asarray works on scalar variables of every framework."""

from __future__ import annotations

import numpy as np
import pytest

import unikeras as keras
from unikeras import layers
from unikeras.xp import to_numpy


def _model(functional=False):
    if functional:
        i = layers.Input((4,))
        m = keras.Model(i, layers.Dense(2, kernel_initializer="ones")(i))
    else:
        m = keras.Sequential([layers.Input((4,)), layers.Dense(2, kernel_initializer="ones")])
    m.compile("sgd", "mse")
    return m


@pytest.mark.parametrize("functional", [False, True])
def test_int_inputs_are_cast_to_the_input_dtype(framework, to_fw, functional):
    m = _model(functional)
    xi = np.arange(12, dtype="int32").reshape(3, 4)
    expected = xi.astype("float32") @ np.ones((4, 2), "float32")
    out = m(to_fw(xi, framework))
    assert str(to_numpy(out).dtype) == "float32"
    np.testing.assert_allclose(to_numpy(out), expected)
    np.testing.assert_allclose(np.asarray(m.predict(to_fw(xi, framework), verbose=0)), expected)
    h = m.fit(to_fw(xi, framework), to_fw(np.zeros((3, 2), "float32"), framework),
              epochs=1, verbose=0)
    assert np.isfinite(h.history["loss"][0])


def test_string_inputs_are_refused_clearly(framework, to_fw):
    m = _model()
    xs = np.array([["a", "b", "c", "d"]] * 3)
    for call in (lambda: m.fit(xs, np.zeros((3, 2)), verbose=0),
                 lambda: m.predict(xs, verbose=0),
                 lambda: m.evaluate(xs, np.zeros((3, 2)), verbose=0),
                 lambda: m(xs)):
        with pytest.raises(ValueError, match=r"strings \(dtype <U1\).*numeric|numeric.*strings"):
            call()


def test_epochs_zero_returns_a_history(framework, to_fw):
    m = _model()
    x = to_fw(np.ones((4, 4), "float32"), framework)
    before = [np.array(w) for w in m.get_weights()]
    h = m.fit(x, x[:, :2], epochs=0, verbose=0)
    assert isinstance(h, keras.callbacks.History)
    assert h.history == {} and h.epoch == []
    for a, b in zip(m.get_weights(), before):
        np.testing.assert_array_equal(np.asarray(a), b)


@pytest.mark.parametrize("bad", [-1, 0, 2.5, True])
def test_bad_batch_size_is_refused(bad):
    m = _model()
    with pytest.raises(ValueError, match=f"batch_size must be a positive integer.*{bad!r}"):
        m.fit(np.ones((4, 4)), np.ones((4, 2)), batch_size=bad, verbose=0)
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        m.predict(np.ones((4, 4)), batch_size=bad, verbose=0)


def test_np_asarray_of_scalar_variables(any_framework, to_fw):
    v = keras.Variable(to_fw(np.float32(3.5), any_framework))
    a = np.asarray(v)
    assert isinstance(a, np.ndarray) and a.shape == () and a == np.float32(3.5)
    assert np.asarray(v, dtype="float64").dtype == np.float64
