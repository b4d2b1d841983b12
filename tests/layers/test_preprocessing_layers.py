"""Rescaling, Normalization (given statistics and adapt) and CategoryEncoding against
Keras 3, on every installed framework."""

from __future__ import annotations

import numpy as np
import pytest

from unikeras import layers
from unikeras.xp import asarray, set_default_framework


RNG = np.random.default_rng(5)
X = (RNG.normal(size=(6, 4, 3)) * 3 + 2).astype("float32")


@pytest.mark.parametrize("kwargs", [{"scale": 1 / 255.0}, {"scale": 2.0, "offset": -1.0},
                                    {"scale": [1.0, 2.0, 3.0], "offset": [0.0, 1.0, -1.0]}])
def test_rescaling_matches_keras(keras, any_framework, kwargs, keras_np, run_layer):
    want = keras_np(keras.layers.Rescaling(**kwargs)(X))
    layer = layers.Rescaling(**kwargs)
    np.testing.assert_allclose(run_layer(layer, X, any_framework), want, rtol=1e-6)
    # again: cached constants
    np.testing.assert_allclose(run_layer(layer, X, any_framework), want, rtol=1e-6)
    xi = (X * 10).astype("uint8")
    np.testing.assert_allclose(run_layer(layers.Rescaling(**kwargs), xi, any_framework),
                               keras_np(keras.layers.Rescaling(**kwargs)(xi)), rtol=1e-6)


@pytest.mark.parametrize("kwargs", [
    {"mean": 2.0, "variance": 4.0},
    {"axis": -1, "mean": [1.0, 2.0, 3.0], "variance": [1.0, 4.0, 9.0]},
    {"axis": -1, "mean": [1.0, 2.0, 3.0], "variance": [1.0, 4.0, 9.0], "invert": True},
    {"axis": (1, 2), "mean": 0.5, "variance": 2.0},
])
def test_normalization_given_stats_matches_keras(keras, any_framework, kwargs, keras_np,
                                                 run_layer):
    k = keras.layers.Normalization(**kwargs)
    want = keras_np(k(X))
    u = layers.Normalization(**kwargs)
    np.testing.assert_allclose(run_layer(u, X, any_framework), want, rtol=1e-5, atol=1e-6)
    assert u.get_weights() == [] and k.get_weights() == []


@pytest.mark.parametrize("axis", [-1, None, (1, 2)])
def test_normalization_adapt_matches_keras(keras, any_framework, axis, keras_np, run_layer):
    k = keras.layers.Normalization(axis=axis)
    k.adapt(X)
    u = layers.Normalization(axis=axis)
    u.adapt(X)
    for a, b in zip(u.get_weights(), k.get_weights()):
        np.testing.assert_allclose(a, keras_np(b), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(run_layer(u, X, any_framework), keras_np(k(X)),
                               rtol=1e-5, atol=1e-5)


def test_normalization_adapt_batches_framework_arrays_and_datasets(framework, run_layer):
    ref_mean, ref_var = X.reshape(-1, 3).mean(0), X.reshape(-1, 3).var(0)
    sources = {
        "framework array": asarray(X, framework=framework),
        "list of batches": [X[:2], X[2:5], X[5:]],
        "generator of (x, y)": ((X[i:i + 2], None) for i in range(0, 6, 2)),
    }
    if framework == "tensorflow":
        import tensorflow as tf

        sources["tf.data"] = tf.data.Dataset.from_tensor_slices(X).batch(4)
    if framework == "torch":
        import torch

        sources["torch DataLoader"] = torch.utils.data.DataLoader(torch.tensor(X), batch_size=4)
    for what, data in sources.items():
        u = layers.Normalization()
        u.adapt(data)
        mean, var, count = u.get_weights()
        np.testing.assert_allclose(mean, ref_mean, rtol=1e-5, err_msg=what)
        np.testing.assert_allclose(var, ref_var, rtol=1e-5, err_msg=what)
        assert int(count) == 0, what  # Keras 3 never updates it either
    out = run_layer(u, X, framework)
    np.testing.assert_allclose(out.reshape(-1, 3).mean(0), 0, atol=1e-5)
    np.testing.assert_allclose(out.reshape(-1, 3).std(0), 1, rtol=1e-4)


@pytest.mark.parametrize("mode,ids,kw", [
    ("one_hot", np.array([3, 0, 2]), {}),
    ("one_hot", np.array([[3], [1]]), {}),
    ("multi_hot", np.array([[0, 1, 1], [3, 2, 0]]), {}),
    ("multi_hot", np.array([1, 3]), {}),
    ("count", np.array([[0, 1, 1, 1], [3, 2, 0, 3]]), {}),
    ("count", np.array([[0, 1, 1], [3, 2, 0]]),
     {"count_weights": np.array([[0.5, 1.0, 2.0], [1.0, 1.0, 3.0]], "float32")}),
])
def test_category_encoding_matches_keras(keras, any_framework, mode, ids, kw, keras_np, run_layer):
    want = keras_np(keras.layers.CategoryEncoding(num_tokens=4, output_mode=mode)(ids, **kw))
    u = layers.CategoryEncoding(num_tokens=4, output_mode=mode)
    got = run_layer(u, ids.astype("int64"), any_framework, **kw)
    np.testing.assert_allclose(got, want)
    assert u.compute_output_shape(ids.shape) == want.shape


def test_preprocessing_on_array_api_strict():
    import array_api_strict as xps

    x = xps.asarray(X)
    out = layers.Rescaling(0.5, 1.0)(x)
    np.testing.assert_allclose(np.asarray(out._array), X * 0.5 + 1, rtol=1e-6)
    n = layers.Normalization(mean=[1.0, 2.0, 3.0], variance=[1.0, 4.0, 9.0])
    np.testing.assert_allclose(np.asarray(n(x)._array),
                               (X - [1, 2, 3]) / np.array([1, 2, 3]), rtol=1e-5)
    a = layers.Normalization()
    a.adapt(X)
    np.testing.assert_allclose(np.asarray(a(x)._array).reshape(-1, 3).mean(0), 0, atol=1e-5)
    c = layers.CategoryEncoding(4, "multi_hot")(xps.asarray(np.array([[0, 3]])))
    np.testing.assert_array_equal(np.asarray(c._array), [[1, 0, 0, 1]])


def test_errors_and_config():
    with pytest.raises(ValueError, match="both mean and variance must be set"):
        layers.Normalization(mean=1.0)
    with pytest.raises(ValueError, match="output_mode must be one of"):
        layers.CategoryEncoding(3, output_mode="tf_idf")
    with pytest.raises(ValueError, match="num_tokens must be set"):
        layers.CategoryEncoding()
    n = layers.Normalization()
    n.build((None, 3))
    with pytest.raises(ValueError, match=r'built with input_shape=\(None, 3\); adapt\(\) received a batch of incompatible shape \(2, 4\)'):
        n.adapt(np.ones((2, 4), "float32"))
    with pytest.raises(ValueError, match="empty iterable"):
        layers.Normalization().adapt([])
    set_default_framework("numpy")
    with pytest.raises(ValueError, match="count_weights is only used with output_mode='count'"):
        layers.CategoryEncoding(3, "one_hot")(np.array([1]), count_weights=np.array([1.0]))
    for layer in [layers.Rescaling([1.0, 2.0], offset=0.5),
                  layers.Normalization(axis=(1, 2), mean=[1.0, 2.0], variance=[3.0, 4.0],
                                       invert=True),
                  layers.Normalization(axis=None),
                  layers.CategoryEncoding(5, "count")]:
        back = layers.deserialize(layers.serialize(layer))
        assert type(back) is type(layer)
        assert back.get_config() == layer.get_config()
