"""Python operators and ``unikeras.ops`` on KerasTensors record graph nodes (OpLayer), as
Keras 3 records Operations: ``h + a``, ``x[:, 0]``, ``ops.mean(h, axis=1)`` inside a
Functional model definition."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

import unikeras as keras
from unikeras import layers, ops
from unikeras.xp import framework_of, to_numpy

rng = np.random.default_rng(3)
X = rng.normal(size=(5, 6, 4)).astype("float32")


def _model():
    inp = keras.Input((6, 4), name="seq")
    h = layers.Dense(8, name="proj")(inp)
    r = h + layers.Dense(8, name="side")(inp)          # operator between two tensors
    r = 0.5 * r - 1.0                                   # reflected and scalar operands
    first = r[:, 0, ...]                                # slice + int + Ellipsis
    pooled = ops.mean(r, axis=1, keepdims=False)        # an op with static arguments
    both = ops.concatenate([pooled, -first, abs(first) ** 2], axis=-1)
    out = layers.Dense(3, name="head")(both[:, None, :])  # None (new axis) in a key
    return keras.Model(inp, ops.squeeze(out, axis=1))


def _reference(m, x):
    """The same graph in NumPy, from the model's weights."""
    w = {layer.name: [to_numpy(v) for v in layer.get_weights()] for layer in m.layers
         if layer.get_weights()}
    h = x @ w["proj"][0] + w["proj"][1]
    r = 0.5 * (h + x @ w["side"][0] + w["side"][1]) - 1.0
    first = r[:, 0]
    both = np.concatenate([r.mean(1), -first, np.abs(first) ** 2], -1)
    return both @ w["head"][0] + w["head"][1]


def test_graph_of_operators_and_ops(any_framework, to_fw):
    m = _model()
    assert m.output.shape == (None, 3)
    kinds = [type(layer).__name__ for layer in m.layers]
    assert kinds.count("OpLayer") >= 8 and kinds.count("Dense") == 3
    out = m(to_fw(X, any_framework))
    assert framework_of(out) == any_framework
    np.testing.assert_allclose(to_numpy(out), _reference(m, X), rtol=1e-5, atol=1e-5)


def test_symbolic_shapes_and_dtypes():
    x = keras.Input((6, 4))
    assert (x + 1).shape == (None, 6, 4)
    assert (x @ keras.Input((4, 2), batch_size=None)).shape == (None, 6, 2)
    assert x[:, 1:3].shape == (None, 2, 4) and x[..., 0].shape == (None, 6)
    assert (x > 0).dtype == "bool" and (x != 0).dtype == "bool"
    assert ops.argmax(x, axis=-1).dtype == "int32"
    assert ops.shape(x) == (None, 6, 4)  # static shape, not a node
    assert x.T.shape == (4, 6, None) and x.reshape((-1, 24)).shape == (None, 24)


def test_round_trip_and_training(framework, to_fw, tmp_path):
    m = _model()
    y = rng.normal(size=(5, 3)).astype("float32")
    rebuilt = keras.Model.from_config(m.get_config())
    rebuilt.set_weights(m.get_weights())
    x = to_fw(X, framework)
    np.testing.assert_allclose(to_numpy(rebuilt(x)), to_numpy(m(x)), rtol=1e-6)
    m.compile("adam", "mse")
    hist = m.fit(x, to_fw(y, framework), epochs=3, verbose=0)
    assert hist.history["loss"][-1] < hist.history["loss"][0]
    path = str(tmp_path / "ops.keras")
    m.save(path)
    loaded = keras.saving.load_model(path)
    np.testing.assert_allclose(to_numpy(loaded(x)), to_numpy(m(x)), rtol=1e-6)


def test_errors():
    x = keras.Input((3,))
    with pytest.raises(TypeError, match="Indexing a KerasTensor with another KerasTensor"):
        x[x]
    with pytest.raises(TypeError, match="has no value"):
        np.asarray(x)
    with pytest.raises(TypeError, match="Python bool"):
        bool(x > 0)
    with pytest.raises(ValueError, match="unknown op 'no_such_op'"):
        layers.symbolic.OpLayer("no_such_op")


def test_loads_a_keras_written_graph_with_operations(tmp_path):
    """Keras 3 saves ops as Operation nodes (module keras.src.ops.*); they load as ops."""
    pytest.importorskip("keras")
    np.save(tmp_path / "x.npy", X)
    script = f"""
import os; os.environ["KERAS_BACKEND"] = "numpy"
import numpy as np, keras
from keras import ops, layers
inp = keras.Input((6, 4))
h = layers.Dense(8)(inp)
p = ops.mean(h, axis=1) * 2.0 - h[:, 0, :]
p = ops.concatenate([p, ops.max(h, axis=1)], axis=-1)
p = ops.reshape(p, (-1, 4, 4))[..., 1:3]
m = keras.Model(inp, layers.Dense(2)(-layers.Flatten()(p)))
m.save({str(tmp_path / 'k.keras')!r})
np.save({str(tmp_path / 'y.npy')!r}, m.predict(np.load({str(tmp_path / 'x.npy')!r}), verbose=0))
"""
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    m = keras.saving.load_model(str(tmp_path / "k.keras"))
    assert {"mean", "get_item", "concatenate", "reshape"} <= {
        layer.op for layer in m.layers if type(layer).__name__ == "OpLayer"}
    np.testing.assert_allclose(to_numpy(m.predict(X, verbose=0)), np.load(tmp_path / "y.npy"),
                               rtol=1e-5, atol=1e-6)
