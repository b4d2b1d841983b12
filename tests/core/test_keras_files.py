"""Whole-model files shared with Keras 3 itself, and keras.models' helpers.

Keras 3 (in a subprocess, JAX backend) trains a convnet with BatchNormalization, Dropout and
Adam(amsgrad) and saves a .keras file; unikeras loads it on every framework, predicts what
Keras predicts, restores the optimizer state, and one more training step gives the weights
Keras' own next step gives. The other way round, Keras loads what unikeras saved.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

import unikeras as keras
from unikeras import layers
from unikeras.xp import to_numpy

pytest.importorskip("keras")

rng = np.random.default_rng(7)
X = rng.normal(size=(16, 6, 6, 2)).astype("float32")
Y = rng.integers(0, 3, size=(16,)).astype("int32")

_KERAS_SIDE = """
import os, sys, json; os.environ["KERAS_BACKEND"] = "jax"
import numpy as np, keras
d = sys.argv[1]
x, y = np.load(d + "/x.npy"), np.load(d + "/y.npy")
keras.utils.set_random_seed(0)
m = keras.Sequential([keras.Input((6, 6, 2)), keras.layers.Conv2D(4, 3, padding="same", use_bias=False),
                      keras.layers.BatchNormalization(), keras.layers.ReLU(),
                      keras.layers.Flatten(), keras.layers.Dropout(0.25),
                      keras.layers.Dense(3)])
m.compile(keras.optimizers.Adam(0.01, amsgrad=True),
          keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
m.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
m.save(d + "/k.keras")
np.save(d + "/pred.npy", m.predict(x, verbose=0))
np.save(d + "/iterations.npy", np.asarray(m.optimizer.iterations))
# one more step without dropout noise: the reference for the loaded optimizer state
m.layers[4].rate = 0.0
m.train_on_batch(x[:8], y[:8])
for i, w in enumerate(m.get_weights()):
    np.save(d + f"/next_{i}.npy", w)
"""


@pytest.fixture(scope="module")
def keras_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("kerasfile")
    np.save(d / "x.npy", X)
    np.save(d / "y.npy", Y)
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", JAX_PLATFORMS="cpu")
    subprocess.run([sys.executable, "-c", _KERAS_SIDE, str(d)], check=True, env=env,
                   capture_output=True)
    return d


def test_loads_a_keras_written_model_and_its_optimizer(framework, keras_dir, to_fw):
    m = keras.models.load_model(str(keras_dir / "k.keras"))
    assert [type(layer).__name__ for layer in m.layers] == [
        "Conv2D", "BatchNormalization", "ReLU", "Flatten", "Dropout", "Dense"]
    pred = to_numpy(m.predict(to_fw(X, framework), verbose=0))
    np.testing.assert_allclose(pred, np.load(keras_dir / "pred.npy"), rtol=1e-4, atol=1e-5)
    assert int(to_numpy(m.optimizer.iterations.value)) == int(np.load(keras_dir / "iterations.npy"))
    # the restored Adam moments drive the next step exactly as in Keras
    m.layers[4].rate = 0.0
    m.train_on_batch(to_fw(X[:8], framework), to_fw(Y[:8], framework))
    for i, w in enumerate(m.get_weights()):
        np.testing.assert_allclose(to_numpy(w), np.load(keras_dir / f"next_{i}.npy"),
                                   rtol=2e-4, atol=2e-5, err_msg=f"weight {i}")


def test_keras_loads_a_unikeras_written_model(tmp_path):
    i = keras.Input((5,), name="features")
    h = layers.Dense(8, activation="relu")(i)
    h = layers.LayerNormalization()(h)
    m = keras.Model(i, [layers.Dense(2, name="a")(h), layers.Dense(1, name="b")(h)])
    m.compile("adam", ["mse", "mae"])
    x = rng.normal(size=(10, 5)).astype("float32")
    m.fit(x, [x[:, :2], x[:, :1]], epochs=1, verbose=0)
    m.save(str(tmp_path / "u.keras"))
    np.save(tmp_path / "x.npy", x)
    expected = [to_numpy(p) for p in m.predict(x, verbose=0)]
    script = f"""
import os; os.environ["KERAS_BACKEND"] = "numpy"
import numpy as np, keras
import warnings
with warnings.catch_warnings():
    warnings.simplefilter("error", UserWarning)  # e.g. "Skipping variable loading"
    m = keras.saving.load_model({str(tmp_path / 'u.keras')!r})
p = m.predict(np.load({str(tmp_path / 'x.npy')!r}), verbose=0)
np.save({str(tmp_path / 'p0.npy')!r}, p[0]); np.save({str(tmp_path / 'p1.npy')!r}, p[1])
assert type(m.optimizer).__name__ == "Adam", m.optimizer
print(int(m.optimizer.iterations), float(np.asarray(m.optimizer.variables[-1].value).ravel()[0]))
"""
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    iterations, last_slot = out.stdout.split()[-2:]
    assert int(iterations) == int(to_numpy(m.optimizer.iterations.value)) == 1
    np.testing.assert_allclose(float(last_slot),
                               to_numpy(m.optimizer.variables[-1].value).ravel()[0], rtol=1e-6)
    np.testing.assert_allclose(np.load(tmp_path / "p0.npy"), expected[0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np.load(tmp_path / "p1.npy"), expected[1], rtol=1e-5, atol=1e-6)


def _functional():
    i = keras.Input((4,), name="x")
    shared = layers.Dense(3, name="shared")
    a, b = shared(i), shared(layers.Dense(4, name="pre")(i))
    return keras.Model(i, layers.Add(name="sum")([a, b]), name="f")


@pytest.mark.parametrize("kind", ["sequential", "functional"])
def test_clone_model_same_architecture_new_weights(any_framework, to_fw, kind):
    m = (keras.Sequential([layers.Input((4,)), layers.Dense(3), layers.Dense(2)])
         if kind == "sequential" else _functional())
    x = to_fw(rng.normal(size=(3, 4)).astype("float32"), any_framework)
    m(x)
    c = keras.models.clone_model(m)
    # (on torch, m's class is its torch.nn.Module subclass of the same name)
    assert c is not m and isinstance(m, type(c)) and type(c).__name__ == type(m).__name__
    assert [type(layer).__name__ for layer in c.layers] == [type(layer).__name__ for layer in m.layers]
    assert [w.shape for w in c.get_weights()] == [w.shape for w in m.get_weights()]
    assert len(c.get_weights()) == len(m.get_weights())  # a shared layer stays shared
    c.set_weights(m.get_weights())
    np.testing.assert_allclose(to_numpy(c(x)), to_numpy(m(x)), rtol=1e-6)
    c.set_weights([w + 1.0 for w in m.get_weights()])  # the clone owns its variables
    assert not np.allclose(to_numpy(c(x)), to_numpy(m(x)))


def test_clone_model_clone_and_call_functions():
    m = _functional()
    seen = []

    def clone_fn(layer):
        new = layer.__class__.from_config(layer.get_config())
        seen.append(layer.name)
        return new

    calls = []

    def call_fn(layer, *args, **kwargs):
        calls.append(layer.name)
        return layer(*args, **kwargs)

    c = keras.models.clone_model(m, clone_function=clone_fn, call_function=call_fn)
    assert len(seen) == 3 and {"pre", "shared"} <= set(seen)  # the shared layer cloned once
    assert calls.count("shared") == 2 and "sum" in calls
    assert c.output.shape == m.output.shape
    with pytest.raises(ValueError, match="call_function is only supported for Functional"):
        keras.models.clone_model(keras.Sequential([layers.Dense(1)]), call_function=call_fn)
    with pytest.raises(TypeError, match="expected a unikeras Model"):
        keras.models.clone_model(layers.Dense(1))


def test_model_from_json_round_trip():
    m = _functional()
    text = m.to_json()
    assert json.loads(text)["class_name"] == "Functional"
    r = keras.models.model_from_json(text)
    assert [layer.name for layer in r.layers] == [layer.name for layer in m.layers]
    r.set_weights(m.get_weights())
    x = rng.normal(size=(2, 4)).astype("float32")
    np.testing.assert_allclose(to_numpy(r(x)), to_numpy(m(x)), rtol=1e-6)
    with pytest.raises(ValueError, match="model_from_json: expected"):
        keras.models.model_from_json("not json")


_KERAS_LAMBDA = """
import os, sys; os.environ["KERAS_BACKEND"] = "numpy"
import numpy as np, keras
d = sys.argv[1]
m = keras.Sequential([keras.Input((4,)), keras.layers.Lambda(lambda t: t * 3.0 + 1.0),
                      keras.layers.Dense(2)])
m.save(d + "/lambda.keras")
np.save(d + "/lambda_pred.npy", m.predict(np.ones((2, 4), "float32"), verbose=0))
"""


def test_keras_saved_lambda_safe_mode(tmp_path):
    """A Lambda saved by Keras 3 (its bytecode): refused with Keras' message under safe
    mode (the default), loaded and run with safe_mode=False or after
    enable_unsafe_deserialization(), predicting what Keras predicted."""
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    subprocess.run([sys.executable, "-c", _KERAS_LAMBDA, str(tmp_path)], check=True, env=env,
                   capture_output=True)
    path = str(tmp_path / "lambda.keras")
    expected = np.load(tmp_path / "lambda_pred.npy")
    with pytest.raises(ValueError, match="Python lambda.*safe_mode=False.*"
                                         "enable_unsafe_deserialization"):
        keras.saving.load_model(path)
    x = np.ones((2, 4), "float32")
    m = keras.saving.load_model(path, safe_mode=False)
    np.testing.assert_allclose(np.asarray(m.predict(x, verbose=0)), expected, rtol=1e-6)
    from unikeras.utils import serialization

    try:
        keras.config.enable_unsafe_deserialization()
        m = keras.saving.load_model(path)  # the global opt-out wins, as in Keras
        np.testing.assert_allclose(np.asarray(m.predict(x, verbose=0)), expected, rtol=1e-6)
    finally:
        serialization._safe_mode[0] = None
    with pytest.raises(ValueError, match="Python lambda"):
        keras.saving.load_model(path)
