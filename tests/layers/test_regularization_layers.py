"""Dropout-family and noise layers on every installed framework: identity in inference,
the right statistics in training, reproducible seeds, state threaded through
stateless_call, config round trips, errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

from unikeras import layers
from unikeras.xp import asarray, set_default_framework, to_numpy


RNG = np.random.default_rng(3)
X = RNG.uniform(1.0, 2.0, size=(64, 8, 16)).astype("float32")

ALL = [
    lambda: layers.Dropout(0.3, seed=1),
    lambda: layers.Dropout(0.3, noise_shape=(None, 1, 16), seed=1),
    lambda: layers.SpatialDropout1D(0.3, seed=1),
    lambda: layers.GaussianNoise(0.5, seed=1),
    lambda: layers.GaussianDropout(0.3, seed=1),
    lambda: layers.AlphaDropout(0.3, seed=1),
]


@pytest.mark.parametrize("make", ALL, ids=["dropout", "dropout_noise_shape", "spatial1d",
                                           "gaussian_noise", "gaussian_dropout", "alpha"])
def test_identity_in_inference(any_framework, make, run_layer):
    layer = make()
    np.testing.assert_array_equal(run_layer(layer, X, any_framework), X)
    np.testing.assert_array_equal(run_layer(layer, X, any_framework, training=False), X)


@pytest.mark.parametrize("rate", [0.2, 0.6])
def test_dropout_training_statistics_and_seed(any_framework, rate, run_layer):
    out = run_layer(layers.Dropout(rate, seed=7), X, any_framework, training=True)
    dropped = out == 0
    assert abs(dropped.mean() - rate) < 0.03
    np.testing.assert_allclose(out[~dropped], X[~dropped] / (1 - rate), rtol=1e-6)
    # same seed, fresh layer -> same mask; the generator advances between calls
    again = run_layer(layers.Dropout(rate, seed=7), X, any_framework, training=True)
    np.testing.assert_array_equal(out, again)
    layer = layers.Dropout(rate, seed=7)
    first = run_layer(layer, X, any_framework, training=True)
    second = run_layer(layer, X, any_framework, training=True)
    assert not np.array_equal(first == 0, second == 0)


def test_noise_shape_and_spatial_share_masks(framework, run_layer):
    out = run_layer(layers.Dropout(0.5, noise_shape=(None, 1, 16), seed=3), X, framework,
                    training=True)
    z = out == 0
    assert (z == z[:, :1, :]).all()
    assert 0.4 < z.mean() < 0.6
    out = run_layer(layers.SpatialDropout1D(0.5, seed=3), X, framework, training=True)
    z = out == 0
    assert (z == z[:, :1, :]).all()
    x4 = RNG.uniform(1, 2, size=(16, 4, 5, 6)).astype("float32")
    z = run_layer(layers.SpatialDropout2D(0.5, data_format="channels_first", seed=3), x4,
                  framework, training=True) == 0
    assert (z == z[:, :, :1, :1]).all() and 0.3 < z.mean() < 0.7
    x5 = RNG.uniform(1, 2, size=(16, 2, 3, 2, 6)).astype("float32")
    z = run_layer(layers.SpatialDropout3D(0.5, seed=3), x5, framework, training=True) == 0
    assert (z == z[:, :1, :1, :1, :]).all() and 0.3 < z.mean() < 0.7


def test_noise_layer_statistics(framework, run_layer):
    x = np.ones((200, 100), "float32")
    out = run_layer(layers.GaussianNoise(0.5, seed=2), x, framework, training=True)
    assert abs((out - 1).mean()) < 0.02 and abs((out - 1).std() - 0.5) < 0.02
    out = run_layer(layers.GaussianDropout(0.2, seed=2), x, framework, training=True)
    assert abs(out.mean() - 1) < 0.02 and abs(out.std() - math.sqrt(0.2 / 0.8)) < 0.02
    # AlphaDropout keeps mean 0 / variance 1 of standardized inputs
    xs = RNG.normal(size=(200, 100)).astype("float32")
    out = run_layer(layers.AlphaDropout(0.2, seed=2), xs, framework, training=True)
    assert abs(out.mean()) < 0.05 and abs(out.var() - 1) < 0.06
    alpha_p = -1.6732632423543772 * 1.0507009873554805
    a = ((1 - 0.2) * (1 + 0.2 * alpha_p**2)) ** -0.5
    b = -a * alpha_p * 0.2
    dropped = np.isclose(out, a * alpha_p + b)
    assert abs(dropped.mean() - 0.2) < 0.02
    np.testing.assert_allclose(out[~dropped], a * xs[~dropped] + b, rtol=1e-5, atol=1e-6)


def test_dropout_stateless_call_threads_the_seed(framework):
    layer = layers.Dropout(0.5, seed=11)
    layer(asarray(X[:2], framework=framework))
    ntv = [v.value if framework != "tensorflow" else v.value.read_value()
           for v in layer.non_trainable_variables]
    x = asarray(X, framework=framework)
    out1, ntv1 = layer.stateless_call([], ntv, x, training=True)
    out1b, _ = layer.stateless_call([], ntv, x, training=True)
    out2, _ = layer.stateless_call([], ntv1, x, training=True)
    np.testing.assert_array_equal(to_numpy(out1), to_numpy(out1b))   # pure
    assert not np.array_equal(to_numpy(out1), to_numpy(out2))        # state advanced


def test_dropout_under_jax_jit_via_stateless_call():
    jax = pytest.importorskip("jax")
    layer = layers.Dropout(0.5, seed=5)
    x = asarray(X, framework="jax")
    layer(x)

    @jax.jit
    def step(ntv, x):
        return layer.stateless_call([], ntv, x, training=True)

    ntv = [v.value for v in layer.non_trainable_variables]
    o1, ntv = step(ntv, x)
    o2, ntv = step(ntv, x)
    assert abs(float((np.asarray(o1) == 0).mean()) - 0.5) < 0.05
    assert not np.array_equal(np.asarray(o1), np.asarray(o2))


def test_activity_regularization_adds_loss(framework, run_layer):
    layer = layers.ActivityRegularization(l1=0.1, l2=0.01)
    x = RNG.normal(size=(4, 3)).astype("float32")
    np.testing.assert_array_equal(run_layer(layer, x, framework), x)
    (loss,) = layer.losses
    want = (0.1 * np.abs(x).sum() + 0.01 * (x * x).sum()) / 4
    np.testing.assert_allclose(float(to_numpy(loss)), want, rtol=1e-5)


def test_regularization_layers_on_array_api_strict():
    import array_api_strict as xps

    x = xps.asarray(X[:4])
    for layer in [layers.Dropout(0.5, seed=1), layers.GaussianNoise(0.1, seed=1),
                  layers.GaussianDropout(0.3, seed=1), layers.AlphaDropout(0.3, seed=1)]:
        out = layer(x, training=True)
        assert type(out).__module__.startswith("array_api_strict")
        assert out.shape == x.shape
        assert not np.array_equal(np.asarray(out._array), X[:4])


def test_errors_and_config():
    with pytest.raises(ValueError, match=r"Dropout: rate must be a float in \[0, 1\]; received rate=1.5"):
        layers.Dropout(1.5)
    with pytest.raises(ValueError, match="GaussianNoise: stddev must be a non-negative"):
        layers.GaussianNoise(-1)
    with pytest.raises(ValueError, match="data_format must be"):
        layers.SpatialDropout2D(0.1, data_format="nhwc")
    set_default_framework("numpy")
    with pytest.raises(ValueError, match=r'Input 0 of layer ".*" \(SpatialDropout1D\).*expected ndim=3, found ndim=2'):
        layers.SpatialDropout1D(0.2)(np.ones((2, 3), "float32"))
    with pytest.raises(ValueError, match="noise_shape .* must have the rank of the inputs"):
        layers.Dropout(0.2, noise_shape=(None, 1))(np.ones((2, 3, 4), "float32"), training=True)
    for layer in [layers.Dropout(0.2, noise_shape=(None, 1), seed=4),
                  layers.SpatialDropout2D(0.1, data_format="channels_first", seed=2),
                  layers.GaussianNoise(0.3, seed=1), layers.GaussianDropout(0.1),
                  layers.AlphaDropout(0.2, seed=3), layers.ActivityRegularization(0.1, 0.2)]:
        back = layers.deserialize(layers.serialize(layer))
        assert type(back) is type(layer)
        assert back.get_config() == layer.get_config()
