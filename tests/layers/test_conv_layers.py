"""Convolution layers against Keras 3 (the reference): weights copied with
``set_weights(keras_layer.get_weights())``, outputs compared on every framework."""

from __future__ import annotations

import numpy as np
import pytest

from unikeras import layers
from unikeras.models import Sequential

CASES = [
    ("Conv1D", {"filters": 4, "kernel_size": 3}, (2, 7, 3)),
    ("Conv1D", {"filters": 4, "kernel_size": 3, "strides": 2, "padding": "same",
                "activation": "relu"}, (2, 8, 2)),
    ("Conv1D", {"filters": 3, "kernel_size": 2, "padding": "causal", "dilation_rate": 2},
     (2, 6, 2)),
    ("Conv1D", {"filters": 4, "kernel_size": 3, "groups": 2, "data_format": "channels_first"},
     (2, 4, 6)),
    ("Conv2D", {"filters": 3, "kernel_size": (3, 2)}, (2, 5, 6, 2)),
    ("Conv2D", {"filters": 4, "kernel_size": 3, "strides": (2, 1), "padding": "same",
                "use_bias": False}, (1, 7, 6, 3)),
    ("Conv2D", {"filters": 2, "kernel_size": 2, "dilation_rate": (2, 1), "padding": "same",
                "data_format": "channels_first"}, (2, 3, 5, 5)),
    ("Conv2D", {"filters": 6, "kernel_size": 3, "groups": 3, "activation": "tanh"},
     (1, 5, 5, 3)),
    ("Conv3D", {"filters": 2, "kernel_size": 2, "strides": (1, 2, 1), "padding": "same"},
     (1, 3, 4, 3, 2)),
    ("Conv1DTranspose", {"filters": 3, "kernel_size": 3, "strides": 2}, (2, 4, 2)),
    ("Conv1DTranspose", {"filters": 2, "kernel_size": 4, "strides": 2, "padding": "same",
                         "output_padding": 1}, (1, 5, 3)),
    ("Conv2DTranspose", {"filters": 3, "kernel_size": (3, 2), "strides": (2, 1)},
     (1, 3, 4, 2)),
    ("Conv2DTranspose", {"filters": 2, "kernel_size": 3, "strides": 2, "padding": "same"},
     (2, 3, 3, 2)),
    ("Conv2DTranspose", {"filters": 2, "kernel_size": 3, "dilation_rate": 2,
                         "data_format": "channels_first"}, (1, 2, 4, 4)),
    ("Conv3DTranspose", {"filters": 2, "kernel_size": 2, "strides": 2}, (1, 2, 2, 3, 2)),
    ("DepthwiseConv1D", {"kernel_size": 3, "depth_multiplier": 2}, (2, 6, 3)),
    ("DepthwiseConv2D", {"kernel_size": 3}, (2, 5, 5, 3)),
    ("DepthwiseConv2D", {"kernel_size": (2, 3), "strides": 2, "padding": "same",
                         "depth_multiplier": 2, "data_format": "channels_first"},
     (1, 2, 5, 6)),
    ("SeparableConv1D", {"filters": 4, "kernel_size": 3, "padding": "same"}, (2, 5, 3)),
    ("SeparableConv2D", {"filters": 4, "kernel_size": 3, "depth_multiplier": 2,
                         "activation": "relu"}, (1, 5, 6, 2)),
    ("SeparableConv2D", {"filters": 3, "kernel_size": 2, "strides": 2, "padding": "same",
                         "data_format": "channels_first"}, (1, 2, 5, 5)),
]
IDS = [f"{c}-{i}" for i, (c, _, _) in enumerate(CASES)]


def _input(shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype("float32")


def _keras_reference(keras, name, kwargs, x):
    """(output, weights) of the Keras layer. channels_first is computed by Keras in
    channels_last on transposed data (TF has no channels_first CPU convolution); the
    kernel layout does not depend on data_format."""
    kw = dict(kwargs)
    cf = kw.pop("data_format", None) == "channels_first"
    nd = x.ndim
    to_last = (0, *range(2, nd), 1)
    to_first = (0, nd - 1, *range(1, nd - 1))
    xin = np.transpose(x, to_last) if cf else x
    klayer = getattr(keras.layers, name)(**kw, bias_initializer="random_normal")
    klayer.build(xin.shape)
    weights = [np.asarray(w) for w in klayer.get_weights()]
    if name.endswith("Transpose") and kw.get("dilation_rate", 1) != 1:
        # TF has no dilated transposed convolution on CPU: a dilated kernel is the same
        # as the kernel with (d - 1) zeros between taps and no dilation.
        d = kw.pop("dilation_rate")
        k = weights[0]
        rank = k.ndim - 2
        d = (d,) * rank if isinstance(d, int) else tuple(d)
        eff = tuple((n - 1) * di + 1 for n, di in zip(k.shape[:rank], d))
        big = np.zeros(eff + k.shape[rank:], k.dtype)
        big[tuple(slice(None, None, di) for di in d)] = k
        kw["kernel_size"] = eff
        dense = getattr(keras.layers, name)(**kw)
        dense.build(xin.shape)
        dense.set_weights([big] + weights[1:])
        out = np.asarray(dense(xin))
    else:
        out = np.asarray(klayer(xin))
    if cf:
        out = np.transpose(out, to_first)
    return out, weights, klayer


@pytest.fixture(scope="module")
def references(keras):
    return {i: _keras_reference(keras, n, kw, _input(s)) for i, (n, kw, s) in enumerate(CASES)}


@pytest.mark.parametrize("index", range(len(CASES)), ids=IDS)
def test_matches_keras_on_every_framework(index, references, any_framework, run_layer):
    name, kwargs, shape = CASES[index]
    ref, weights, klayer = references[index]
    layer = getattr(layers, name)(**kwargs)
    layer.build(shape)
    assert [tuple(w.shape) for w in layer.get_weights()] == [w.shape for w in weights]
    assert [v.path.rpartition("/")[2] for v in layer.weights] == \
        [v.path.rpartition("/")[2] for v in klayer.weights]
    layer.set_weights(weights)
    out = run_layer(layer, _input(shape), any_framework)
    np.testing.assert_allclose(out, ref, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("index", range(len(CASES)), ids=IDS)
def test_runs_on_array_api_strict(index, references):
    import array_api_strict as xps

    name, kwargs, shape = CASES[index]
    ref, weights, _ = references[index]
    layer = getattr(layers, name)(**kwargs)
    layer.build(shape)
    layer.set_weights(weights)
    out = layer(xps.asarray(_input(shape)))
    assert type(out).__module__.startswith("array_api_strict")
    np.testing.assert_allclose(np.asarray(out._array), ref, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("index", range(len(CASES)), ids=IDS)
def test_shapes_and_config(index, keras):
    name, kwargs, shape = CASES[index]
    cls = getattr(layers, name)
    layer = cls(**kwargs)
    kshape = (None,) + shape[1:]
    want = tuple(getattr(keras.layers, name)(**kwargs).compute_output_shape(kshape))
    assert tuple(layer.compute_output_shape(kshape)) == want
    y = cls(**kwargs)(layers.Input(shape=shape[1:]))
    assert tuple(y.shape) == want
    cfg = layer.get_config()
    again = cls.from_config(cfg)
    assert again.get_config() == cfg
    kcfg = getattr(keras.layers, name)(**kwargs).get_config()
    base = {"name", "trainable", "dtype"}
    assert set(cfg) - base == set(kcfg) - base
    for k in ("filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate",
              "groups", "use_bias", "depth_multiplier", "output_padding", "activation"):
        if k in kcfg:
            v = kcfg[k]
            assert cfg[k] == (tuple(v) if isinstance(v, list) else v), (k, cfg[k], v)


def test_sequential_cnn(any_framework, run_layer):
    model = Sequential([
        layers.Input(shape=(8, 8, 1)),
        layers.Conv2D(4, 3, padding="same", activation="relu"),
        layers.MaxPooling2D(),
        layers.SeparableConv2D(6, 3),
        layers.GlobalAveragePooling2D(),
    ])
    assert [tuple(w.shape) for w in model.get_weights()] == [
        (3, 3, 1, 4), (4,), (3, 3, 4, 1), (1, 1, 4, 6), (6,)]
    out = run_layer(model, _input((2, 8, 8, 1)), any_framework)
    assert out.shape == (2, 6)


def test_causal_conv_is_causal(any_framework, run_layer):
    layer = layers.Conv1D(2, 3, padding="causal", dilation_rate=2)
    x = _input((1, 9, 2))
    base = run_layer(layer, x, any_framework)
    x2 = x.copy()
    x2[0, 6:] += 1.0
    moved = run_layer(layer, x2, any_framework)
    np.testing.assert_allclose(base[0, :6], moved[0, :6], rtol=1e-6)
    assert not np.allclose(base[0, 6:], moved[0, 6:])


def test_regularizers_and_constraints_are_wired():
    layer = layers.Conv2D(2, 2, kernel_regularizer="l2", bias_regularizer="l1",
                          kernel_constraint="non_neg")
    layer.build((None, 4, 4, 1))
    assert len(layer.losses) == 2
    assert layer.kernel.constraint is not None


@pytest.mark.parametrize("make, shape, match", [
    (lambda: layers.Conv2D(0, 3), None, "filters"),
    (lambda: layers.Conv2D(4, (3, 3, 3)), None, "kernel_size"),
    (lambda: layers.Conv2D(4, 3, padding="causal"), None, "padding"),
    (lambda: layers.Conv1D(4, 3, padding="full"), None, "padding"),
    (lambda: layers.Conv2D(5, 3, groups=2), None, "divisible"),
    (lambda: layers.Conv2D(4, 3, strides=2, dilation_rate=2), None, "dilation_rate"),
    (lambda: layers.Conv2DTranspose(4, 3, strides=2, output_padding=2), None,
     "output_padding"),
    (lambda: layers.DepthwiseConv2D(3, depth_multiplier=0), None, "depth_multiplier"),
    (lambda: layers.Conv2D(4, 3, data_format="NHWC"), None, "data_format"),
    (lambda: layers.Conv2D(4, 3), (2, 8, 3), "expected inputs of rank 4"),
    (lambda: layers.Conv2D(4, 3, groups=2), (1, 5, 5, 3), "groups"),
    (lambda: layers.Conv2D(4, 5), (1, 3, 3, 1), "zero or negative"),
])
def test_errors(make, shape, match):
    with pytest.raises(ValueError, match=match):
        make()(np.zeros(shape, "float32"))


def test_channel_mismatch_after_build():
    layer = layers.Conv1D(2, 2)
    layer(np.zeros((1, 4, 3), "float32"))
    with pytest.raises(ValueError, match="axis -1 of input shape to have value 3"):
        layer(np.zeros((1, 4, 2), "float32"))
