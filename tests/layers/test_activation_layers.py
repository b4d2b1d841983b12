"""Activation layers (ReLU, LeakyReLU, ELU, PReLU, Softmax) against Keras 3, on every
installed framework."""

from __future__ import annotations

import numpy as np
import pytest

from unikeras import layers
from unikeras.xp import asarray, set_default_framework


RNG = np.random.default_rng(2)
X = (RNG.normal(size=(3, 4, 5)) * 4).astype("float32")

CASES = [
    ("ReLU", {}),
    ("ReLU", {"max_value": 2.5}),
    ("ReLU", {"max_value": 6.0}),
    ("ReLU", {"negative_slope": 0.2}),
    ("ReLU", {"threshold": 1.0}),
    ("ReLU", {"max_value": 3.0, "negative_slope": 0.1, "threshold": 0.5}),
    ("LeakyReLU", {}),
    ("LeakyReLU", {"negative_slope": 0.05}),
    ("ELU", {}),
    ("ELU", {"alpha": 0.5}),
    ("Softmax", {}),
    ("Softmax", {"axis": 1}),
    ("Softmax", {"axis": [1, 2]}),
    ("PReLU", {"alpha_initializer": "random_uniform"}),
    ("PReLU", {"shared_axes": [1]}),
]


@pytest.mark.parametrize("name,kwargs", CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES)])
def test_activation_layer_matches_keras(keras, keras_np, run_layer, any_framework, name, kwargs):
    k = getattr(keras.layers, name)(**kwargs)
    u = getattr(layers, name)(**kwargs)
    if name == "PReLU":
        k.build(X.shape)
        u.build(X.shape)
        w = RNG.uniform(0.1, 0.9, size=k.get_weights()[0].shape).astype("float32")
        k.set_weights([w])
        u.set_weights([w])
        assert u.weights[0].shape == tuple(k.weights[0].shape)
    np.testing.assert_allclose(run_layer(u, X, any_framework), keras_np(k(X)),
                               rtol=1e-5, atol=1e-6)


def test_softmax_mask_matches_keras(keras, keras_np, run_layer, any_framework):
    mask = RNG.uniform(size=(3, 4, 5)) > 0.3
    want = keras_np(keras.layers.Softmax()(X, mask=mask))
    got = run_layer(layers.Softmax(), X, any_framework, mask=mask)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-7)
    # broadcastable mask
    m2 = RNG.uniform(size=(3, 1, 5)) > 0.3
    np.testing.assert_allclose(run_layer(layers.Softmax(), X, any_framework, mask=m2),
                               keras_np(keras.layers.Softmax()(X, mask=m2)),
                               rtol=1e-5, atol=1e-7)


def test_activation_layers_on_array_api_strict():
    import array_api_strict as xps

    set_default_framework("numpy")
    for layer in [layers.ReLU(max_value=2.0, negative_slope=0.1, threshold=0.3),
                  layers.LeakyReLU(), layers.ELU(), layers.Softmax(axis=[1, 2])]:
        ref = layer(X)
        out = layer(xps.asarray(X))
        np.testing.assert_allclose(np.asarray(out._array), ref, rtol=1e-6, atol=1e-7)
    p = layers.PReLU(alpha_initializer="ones")
    p.build(X.shape)
    out = p(xps.asarray(X))
    np.testing.assert_allclose(np.asarray(out._array), X, rtol=1e-6)


def test_prelu_trains(framework):
    """PReLU's alpha gets gradients under each framework's trainer."""
    import unikeras as uk

    model = uk.Sequential([layers.Input(shape=(5,)), layers.PReLU(alpha_initializer="zeros")])
    model.compile(optimizer=uk.optimizers.SGD(learning_rate=0.1), loss="mse")
    x = -np.abs(RNG.normal(size=(8, 5))).astype("float32")
    model.fit(asarray(x, framework=framework), asarray(x, framework=framework), epochs=1,
              batch_size=8, verbose=0)
    alpha = model.layers[0].alpha.numpy()
    # d/dalpha mean((alpha*x - x)^2) at alpha=0: -2 mean(x^2) per column / 5 outputs
    np.testing.assert_allclose(alpha, 0.1 * 2 * (x * x).mean(0) / 5, rtol=1e-4)


def test_activation_errors_and_config():
    with pytest.raises(ValueError, match="ReLU: max_value cannot be negative"):
        layers.ReLU(max_value=-1)
    with pytest.raises(ValueError, match="ReLU: negative_slope cannot be None or negative"):
        layers.ReLU(negative_slope=-0.1)
    with pytest.raises(ValueError, match="LeakyReLU: negative_slope cannot be None"):
        layers.LeakyReLU(negative_slope=None)
    with pytest.warns(UserWarning, match="alpha"):
        assert layers.LeakyReLU(alpha=0.1).negative_slope == 0.1
    set_default_framework("numpy")
    with pytest.raises(ValueError, match='Softmax layer ".*": the mask must be broadcastable'):
        layers.Softmax()(X, mask=np.ones((3, 4, 2), bool))
    with pytest.raises(ValueError, match='PReLU layer ".*": shared_axes must name non-batch'):
        layers.PReLU(shared_axes=[0]).build((2, 3))
    for layer in [layers.ReLU(max_value=1.0, threshold=0.2), layers.LeakyReLU(0.2),
                  layers.ELU(alpha=0.3), layers.Softmax(axis=[1, 2]),
                  layers.PReLU(alpha_initializer="ones", shared_axes=[1, 2])]:
        back = layers.deserialize(layers.serialize(layer))
        assert type(back) is type(layer)
        assert back.get_config() == layer.get_config()
