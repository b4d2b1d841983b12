"""Reshaping layers against Keras 3 (the reference), on every installed framework."""

from __future__ import annotations

import numpy as np
import pytest

from unikeras import layers
from unikeras.models import Sequential
from unikeras.xp import to_numpy


# (class name, constructor kwargs, input shape)
CASES = [
    ("Flatten", {}, (2, 3, 4)),
    ("Flatten", {"data_format": "channels_first"}, (2, 3, 4, 5)),
    ("Flatten", {}, (2,)),
    ("Reshape", {"target_shape": (6, -1)}, (2, 3, 4)),
    ("Reshape", {"target_shape": (12,)}, (2, 3, 4)),
    ("Permute", {"dims": (3, 1, 2)}, (2, 3, 4, 5)),
    ("RepeatVector", {"n": 3}, (2, 4)),
    ("ZeroPadding1D", {"padding": (1, 2)}, (2, 3, 4)),
    ("ZeroPadding1D", {"padding": 2, "data_format": "channels_first"}, (2, 3, 4)),
    ("ZeroPadding2D", {"padding": ((1, 0), (2, 3))}, (2, 3, 4, 2)),
    ("ZeroPadding2D", {"padding": (1, 2), "data_format": "channels_first"}, (2, 2, 3, 4)),
    ("ZeroPadding3D", {"padding": 1}, (1, 2, 3, 2, 2)),
    ("Cropping1D", {"cropping": (1, 2)}, (2, 6, 3)),
    ("Cropping2D", {"cropping": ((1, 0), (2, 1))}, (2, 5, 6, 2)),
    ("Cropping2D", {"cropping": 1, "data_format": "channels_first"}, (2, 2, 4, 5)),
    ("Cropping3D", {"cropping": ((1, 1), (0, 1), (1, 0))}, (1, 4, 3, 3, 2)),
    ("UpSampling1D", {"size": 3}, (2, 3, 4)),
    ("UpSampling2D", {"size": (2, 3)}, (2, 3, 4, 2)),
    ("UpSampling2D", {"size": 2, "data_format": "channels_first"}, (2, 2, 3, 4)),
    ("UpSampling2D", {"size": (2, 3), "interpolation": "bilinear"}, (2, 3, 4, 2)),
    ("UpSampling2D", {"size": (4, 1), "interpolation": "bilinear",
                      "data_format": "channels_first"}, (1, 2, 3, 1)),
    ("UpSampling3D", {"size": (1, 2, 3)}, (1, 2, 3, 2, 2)),
]
IDS = [f"{c}-{i}" for i, (c, _, _) in enumerate(CASES)]


def _input(shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype("float32")


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_matches_keras_on_every_framework(case, keras, any_framework, to_fw, run_layer):
    name, kwargs, shape = case
    x = _input(shape)
    ref = np.asarray(getattr(keras.layers, name)(**kwargs)(x))
    out = run_layer(getattr(layers, name)(**kwargs), x, any_framework)
    np.testing.assert_allclose(out, ref, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_runs_on_array_api_strict(case):
    import array_api_strict as xps

    name, kwargs, shape = case
    x = _input(shape, seed=1)
    ref = np.asarray(getattr(layers, name)(**kwargs)(x))
    out = getattr(layers, name)(**kwargs)(xps.asarray(x))
    assert type(out).__module__.startswith("array_api_strict")
    np.testing.assert_allclose(np.asarray(out._array), ref, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_shapes_and_config(case, keras):
    name, kwargs, shape = case
    cls = getattr(layers, name)
    layer = cls(**kwargs)
    kshape = (None,) + shape[1:]
    want = tuple(getattr(keras.layers, name)(**kwargs).compute_output_shape(kshape))
    assert tuple(layer.compute_output_shape(kshape)) == want
    # Symbolic: Functional-style and Sequential
    y = cls(**kwargs)(layers.Input(shape=shape[1:]))
    assert tuple(y.shape) == want
    model = Sequential([layers.Input(shape=shape[1:]), cls(**kwargs)])
    out = model(_input(shape))
    assert tuple(to_numpy(out).shape) == (shape[0],) + want[1:]
    # Config: round trip, and the same layer-specific keys and values as Keras
    cfg = layer.get_config()
    again = cls.from_config(cfg)
    assert again.get_config() == cfg
    kcfg = getattr(keras.layers, name)(**kwargs).get_config()
    base = {"name", "trainable", "dtype"}
    assert set(cfg) - base == set(kcfg) - base
    for k in set(kcfg) - base:
        v = kcfg[k]
        norm = (lambda t: tuple(tuple(e) if isinstance(e, (list, tuple)) else e for e in t)
                if isinstance(t, (list, tuple)) else t)
        assert norm(cfg[k]) == norm(v), (k, cfg[k], v)


def test_none_dims_symbolic():
    x = layers.Input(shape=(None, 4))
    assert layers.Flatten()(x).shape == (None, None)
    assert layers.Reshape((-1, 2))(x).shape == (None, None, 2)
    assert layers.UpSampling1D(2)(x).shape == (None, None, 4)
    assert layers.ZeroPadding1D(1)(x).shape == (None, None, 4)
    assert layers.Cropping1D(1)(x).shape == (None, None, 4)


def test_reshape_variable_batch(framework, to_fw):
    layer = layers.Reshape((-1, 2))
    for b in (1, 3):
        out = layer(to_fw(np.ones((b, 4, 3), "float32"), framework))
        assert tuple(out.shape) == (b, 6, 2)


def test_upsampling_bilinear_values():
    # Half-pixel centers with edge clamping: [0, 1] -> [0, .25, .75, 1].
    x = np.array([0.0, 1.0], "float32").reshape(1, 2, 1, 1)
    out = layers.UpSampling2D((2, 1), interpolation="bilinear")(x)
    np.testing.assert_allclose(np.asarray(out).ravel(), [0, 0.25, 0.75, 1.0])


def test_gradients_flow(framework, to_fw):
    x = _input((2, 3, 4, 2))
    model = Sequential([layers.ZeroPadding2D(1), layers.UpSampling2D(interpolation="bilinear"),
                        layers.Cropping2D(1), layers.Flatten()])
    if framework == "jax":
        import jax

        g = jax.jit(jax.grad(lambda a: model(a).sum()))(to_fw(x, "jax"))
    elif framework == "torch":
        t = to_fw(x, "torch").requires_grad_(True)
        model(t).sum().backward()
        g = t.grad
    else:
        import tensorflow as tf

        t = tf.constant(x)
        with tf.GradientTape() as tape:
            tape.watch(t)
            s = tf.reduce_sum(model(t))
        g = tape.gradient(s, t)
    # The model is linear and acts per sample: d sum(model(x)) / d x[b, i] is
    # sum(model(e_i)) for the basis input e_i, computed with NumPy in one batch.
    from unikeras.xp import set_default_framework

    set_default_framework("numpy")
    n = int(np.prod(x.shape[1:]))
    basis = np.eye(n, dtype="float32").reshape((n,) + x.shape[1:])
    want = to_numpy(model(basis)).sum(axis=1).reshape(x.shape[1:])
    np.testing.assert_allclose(to_numpy(g), np.broadcast_to(want, x.shape), rtol=1e-5,
                               atol=1e-5)


@pytest.mark.parametrize("make, shape, match", [
    (lambda: layers.Permute((1, 3)), None, "consecutive"),
    (lambda: layers.Reshape((2, -1, -1)), None, "at most one -1"),
    (lambda: layers.RepeatVector(0), None, "positive"),
    (lambda: layers.ZeroPadding2D((1, 2, 3)), None, "padding"),
    (lambda: layers.Cropping2D(((1, -1), (0, 0))), None, "non-negative"),
    (lambda: layers.UpSampling2D(interpolation="bicubic"), None, "interpolation"),
    (lambda: layers.Flatten(data_format="channels_middle"), None, "data_format"),
    (lambda: layers.ZeroPadding2D(1), (2, 3, 4), "expected ndim=4, found ndim=3"),
    (lambda: layers.Cropping1D((2, 2)), (1, 4, 2), "too large"),
    (lambda: layers.Reshape((5,)), (2, 3, 4), "unchanged"),
    (lambda: layers.RepeatVector(2), (2, 3, 4), "expected ndim=2"),
])
def test_errors(make, shape, match):
    with pytest.raises((ValueError, TypeError), match=match):
        layer = make()
        layer(np.zeros(shape, "float32"))
