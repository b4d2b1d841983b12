"""Pooling layers against Keras 3 (the reference), on every installed framework."""

from __future__ import annotations

import numpy as np
import pytest

from unikeras import layers
from unikeras.models import Sequential
from unikeras.xp import to_numpy

CASES = [
    ("MaxPooling1D", {}, (2, 7, 3)),
    ("MaxPooling1D", {"pool_size": 3, "strides": 2, "padding": "same"}, (2, 8, 3)),
    ("MaxPooling2D", {"pool_size": (2, 3), "strides": (1, 2)}, (2, 5, 7, 3)),
    ("MaxPooling2D", {"pool_size": 3, "strides": 2, "padding": "same",
                      "data_format": "channels_first"}, (2, 3, 6, 5)),
    ("MaxPooling3D", {"pool_size": 2, "padding": "same"}, (1, 3, 4, 5, 2)),
    ("AveragePooling1D", {"pool_size": 3, "strides": 1}, (2, 6, 3)),
    ("AveragePooling2D", {"pool_size": (2, 2)}, (2, 4, 6, 3)),
    ("AveragePooling2D", {"pool_size": 3, "strides": 2, "padding": "same"}, (2, 5, 6, 2)),
    ("AveragePooling2D", {"pool_size": (2, 2), "padding": "same",
                          "data_format": "channels_first"}, (1, 2, 5, 5)),
    ("AveragePooling3D", {"pool_size": (2, 1, 2), "strides": 1}, (1, 3, 3, 4, 2)),
    ("GlobalMaxPooling1D", {}, (2, 5, 3)),
    ("GlobalMaxPooling1D", {"data_format": "channels_first", "keepdims": True}, (2, 3, 5)),
    ("GlobalMaxPooling2D", {"keepdims": True}, (2, 3, 4, 2)),
    ("GlobalMaxPooling3D", {"data_format": "channels_first"}, (1, 2, 3, 4, 2)),
    ("GlobalAveragePooling1D", {}, (2, 5, 3)),
    ("GlobalAveragePooling2D", {"data_format": "channels_first"}, (2, 3, 4, 2)),
    ("GlobalAveragePooling2D", {"keepdims": True}, (2, 3, 4, 2)),
    ("GlobalAveragePooling3D", {"keepdims": True, "data_format": "channels_first"},
     (1, 2, 3, 2, 2)),
]
IDS = [f"{c}-{i}" for i, (c, _, _) in enumerate(CASES)]


def _input(shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype("float32")


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_matches_keras_on_every_framework(case, keras, any_framework, run_layer):
    name, kwargs, shape = case
    x = _input(shape)
    ref = np.asarray(getattr(keras.layers, name)(**kwargs)(x))
    out = run_layer(getattr(layers, name)(**kwargs), x, any_framework)
    np.testing.assert_allclose(out, ref, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_runs_on_array_api_strict(case):
    import array_api_strict as xps

    name, kwargs, shape = case
    x = _input(shape, seed=1)
    from unikeras.xp import set_default_framework

    set_default_framework("numpy")
    ref = np.asarray(getattr(layers, name)(**kwargs)(x))
    out = getattr(layers, name)(**kwargs)(xps.asarray(x))
    assert type(out).__module__.startswith("array_api_strict")
    np.testing.assert_allclose(np.asarray(out._array), ref, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_shapes_and_config(case, keras):
    name, kwargs, shape = case
    cls = getattr(layers, name)
    layer = cls(**kwargs)
    kshape = (None,) + shape[1:]
    want = tuple(getattr(keras.layers, name)(**kwargs).compute_output_shape(kshape))
    assert tuple(layer.compute_output_shape(kshape)) == want
    y = cls(**kwargs)(layers.Input(shape=shape[1:]))
    assert tuple(y.shape) == want
    cfg = layer.get_config()
    assert cls.from_config(cfg).get_config() == cfg
    kcfg = getattr(keras.layers, name)(**kwargs).get_config()
    base = {"name", "trainable", "dtype"}
    assert set(cfg) - base == set(kcfg) - base
    for k in set(kcfg) - base:
        want_v = tuple(kcfg[k]) if isinstance(kcfg[k], list) else kcfg[k]
        assert cfg[k] == want_v, (k, cfg[k], kcfg[k])


def test_sequential_unknown_spatial_dims():
    from unikeras.xp import set_default_framework

    set_default_framework("numpy")
    model = Sequential([layers.Input(shape=(None, None, 3)), layers.GlobalMaxPooling2D()])
    assert to_numpy(model(np.ones((2, 5, 4, 3), "float32"))).shape == (2, 3)
    assert layers.GlobalMaxPooling2D()(layers.Input(shape=(None, None, 3))).shape == (None, 3)
    x = layers.Input(shape=(None, 4))
    assert layers.MaxPooling1D(2)(x).shape == (None, None, 4)
    assert layers.GlobalAveragePooling1D(keepdims=True)(x).shape == (None, 1, 4)


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_global_average_pooling1d_mask(keras, any_framework, data_format, run_layer):
    shape = (3, 5, 2) if data_format == "channels_last" else (3, 2, 5)
    x = _input(shape)
    mask = np.array([[1, 1, 1, 0, 0], [1, 0, 1, 0, 1], [1, 1, 1, 1, 1]], dtype=bool)
    ref = np.asarray(keras.layers.GlobalAveragePooling1D(data_format=data_format)(x, mask=mask))
    out = run_layer(layers.GlobalAveragePooling1D(data_format=data_format), x, any_framework,
                    mask=mask)
    np.testing.assert_allclose(out, ref, rtol=1e-6, atol=1e-6)


def test_global_average_pooling1d_mask_from_embedding_like_layer(any_framework, run_layer):
    # A mask produced upstream in a Sequential model reaches the pooling layer.
    from unikeras.layers import Layer
    from unikeras.xp import namespace

    class Masker(Layer):
        def __init__(self, **kw):
            super().__init__(**kw)
            self._produces_mask = True

        def call(self, x):
            return x

        def compute_mask(self, x, mask=None):
            xp = namespace(x)
            return xp.any(x != 0, axis=-1)

    x = _input((2, 4, 3))
    x[0, 2:] = 0
    model = Sequential([layers.Input(shape=(4, 3)), Masker(), layers.GlobalAveragePooling1D()])
    out = run_layer(model, x, any_framework)
    np.testing.assert_allclose(out[0], x[0, :2].mean(axis=0), rtol=1e-6)
    np.testing.assert_allclose(out[1], x[1].mean(axis=0), rtol=1e-6)


@pytest.mark.parametrize("make, shape, match", [
    (lambda: layers.MaxPooling2D(padding="causal"), None, "padding"),
    (lambda: layers.MaxPooling2D(pool_size=(2, 2, 2)), None, "pool_size"),
    (lambda: layers.AveragePooling1D(2, strides=0), None, "positive"),
    (lambda: layers.AveragePooling2D(), None, "pool_size"),
    (lambda: layers.GlobalMaxPooling2D(data_format="nchw"), None, "data_format"),
    (lambda: layers.MaxPooling2D(), (2, 4, 4), "expected ndim=4, found ndim=3"),
    (lambda: layers.MaxPooling2D(3), (1, 2, 5, 1), "at least pool_size"),
    (lambda: layers.GlobalAveragePooling2D(), (2, 3, 4), "expected ndim=4"),
])
def test_errors(make, shape, match):
    with pytest.raises((ValueError, TypeError), match=match):
        make()(np.zeros(shape, "float32"))
