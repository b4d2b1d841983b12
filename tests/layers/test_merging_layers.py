"""Merging layers against Keras 3 and NumPy, on every installed framework."""

from __future__ import annotations

import numpy as np
import pytest

import unikeras as uk
from unikeras import layers
from unikeras.xp import asarray, set_default_framework, to_numpy


RNG = np.random.default_rng(1)

CASES = [
    ("Add", {}, [(2, 3), (2, 3), (2, 3)]),
    ("Add", {}, [(2, 3, 4), (2, 4)]),          # lower rank: size-1 axis after batch
    ("Subtract", {}, [(2, 3), (2, 3)]),
    ("Multiply", {}, [(2, 1, 4), (2, 3, 4)]),
    ("Average", {}, [(2, 3), (2, 3), (2, 3)]),
    ("Maximum", {}, [(2, 3), (2, 3)]),
    ("Minimum", {}, [(2, 3), (2, 3), (2, 3)]),
    ("Concatenate", {}, [(2, 3), (2, 5)]),
    ("Concatenate", {"axis": 1}, [(2, 3, 4), (2, 1, 4)]),
    ("Dot", {"axes": 1}, [(3, 4), (3, 4)]),
    ("Dot", {"axes": (2, 1)}, [(2, 3, 4), (2, 4, 5)]),
    ("Dot", {"axes": (1, 1)}, [(2, 3, 4), (2, 3, 5)]),
    ("Dot", {"axes": -1, "normalize": True}, [(2, 3, 4), (2, 5, 4)]),
    ("Dot", {"axes": (1, 2)}, [(2, 4), (2, 3, 4)]),
]


@pytest.mark.parametrize("name,kwargs,shapes", CASES,
                         ids=[f"{n}-{i}" for i, (n, _, _) in enumerate(CASES)])
def test_merge_matches_keras(keras, any_framework, name, kwargs, shapes, keras_np, run_layer):
    xs = [RNG.normal(size=s).astype("float32") for s in shapes]
    want = keras_np(getattr(keras.layers, name)(**kwargs)(xs))
    u = getattr(layers, name)(**kwargs)
    got = run_layer(u, xs, any_framework)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    assert tuple(u.compute_output_shape([tuple(s) for s in shapes])) == want.shape


@pytest.mark.parametrize("name", ["Maximum", "Minimum", "Multiply"])
def test_masked_merge_matches_keras(keras, framework, name, keras_np, run_layer, fw_arr):
    """Masked entries are ignored like Keras' (its masks ride on the tensors; ours are
    passed as ``mask=[...]``, as a Functional model does)."""
    from keras.src import backend as kb

    xs = [RNG.normal(size=(2, 4, 3)).astype("float32") for _ in range(2)]
    masks = [np.array([[1, 1, 0, 0], [1, 0, 1, 0]], bool),
             np.array([[1, 0, 1, 0], [0, 0, 1, 1]], bool)]
    kxs = [keras.ops.convert_to_tensor(x) for x in xs]
    for t, m in zip(kxs, masks):
        kb.set_keras_mask(t, keras.ops.convert_to_tensor(m))
    want = keras_np(getattr(keras.layers, name)()(kxs))
    got = run_layer(getattr(layers, name)(), xs, framework, mask=masks)
    np.testing.assert_allclose(got, want, rtol=1e-6)
    u = getattr(layers, name)()
    out_mask = to_numpy(u.compute_mask(fw_arr(xs, framework), fw_arr(masks, framework)))
    np.testing.assert_array_equal(out_mask, masks[0] | masks[1])


def test_concatenate_mask():
    set_default_framework("numpy")
    xs = [np.ones((2, 3, 2), "float32"), np.ones((2, 3, 4), "float32")]
    m = np.array([[1, 0, 1], [0, 0, 1]], bool)
    out = layers.Concatenate().compute_mask(xs, [m, None])
    np.testing.assert_array_equal(out, np.ones((2, 3), bool))
    out = layers.Concatenate(axis=1).compute_mask(xs[:1] * 2, [m, m])
    np.testing.assert_array_equal(out, np.concatenate([m, m], axis=1))


def test_merge_in_functional_model_on_every_framework(framework):
    a = layers.Input(shape=(3,))
    b = layers.Input(shape=(3,))
    s = layers.add([a, b])
    d = layers.subtract([a, b])
    c = layers.concatenate([s, d, layers.multiply([a, b])])
    p = layers.Dot(axes=1)([a, b])
    out = layers.Concatenate()([c, p, layers.average([a, b]), layers.maximum([a, b]),
                                layers.minimum([a, b])])
    model = uk.Model([a, b], out)
    x1 = RNG.normal(size=(4, 3)).astype("float32")
    x2 = RNG.normal(size=(4, 3)).astype("float32")
    got = to_numpy(model([asarray(x1, framework=framework), asarray(x2, framework=framework)]))
    want = np.concatenate([x1 + x2, x1 - x2, x1 * x2, (x1 * x2).sum(1, keepdims=True),
                           (x1 + x2) / 2, np.maximum(x1, x2), np.minimum(x1, x2)], axis=1)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_merge_runs_on_array_api_strict():
    import array_api_strict as xps

    xs = [RNG.normal(size=(2, 3, 4)).astype("float32") for _ in range(2)]
    sx = [xps.asarray(x) for x in xs]
    for layer, ref in [(layers.Add(), xs[0] + xs[1]),
                       (layers.Maximum(), np.maximum(*xs)),
                       (layers.Concatenate(axis=1), np.concatenate(xs, 1)),
                       (layers.Dot(axes=(2, 2)), np.einsum("bij,bkj->bik", *xs))]:
        out = layer(sx)
        np.testing.assert_allclose(np.asarray(out._array), ref, rtol=1e-5, atol=1e-6)


def test_merge_gradients_flow(framework):
    from unikeras import ops

    def f(a, b):
        return ops.sum(layers.Dot(axes=1, normalize=True)([a, b]) + layers.Multiply()([a, b]))

    a = RNG.normal(size=(2, 3)).astype("float32")
    b = RNG.normal(size=(2, 3)).astype("float32")
    if framework == "jax":
        import jax

        g = np.asarray(jax.grad(f)(asarray(a, framework="jax"), asarray(b, framework="jax")))
    elif framework == "torch":
        import torch

        ta = torch.tensor(a, requires_grad=True)
        f(ta, torch.tensor(b)).backward()
        g = ta.grad.numpy()
    else:
        import tensorflow as tf

        ta = tf.constant(a)
        with tf.GradientTape() as tape:
            tape.watch(ta)
            y = f(ta, tf.constant(b))
        g = tape.gradient(y, ta).numpy()
    na = np.linalg.norm(a, axis=1, keepdims=True)
    nb = np.linalg.norm(b, axis=1, keepdims=True)
    cos_grad = b / (na * nb) - (a * (a * b).sum(1, keepdims=True)) / (na ** 3 * nb)
    # the (batch, 1) dot broadcasts over the 3 columns of the product
    np.testing.assert_allclose(g, 3 * cos_grad + b, rtol=1e-4, atol=1e-5)


def test_merge_errors():
    set_default_framework("numpy")
    x = np.ones((2, 3), "float32")
    with pytest.raises(ValueError, match='Add layer ".*" should be called on a list of inputs'):
        layers.Add()(x)
    with pytest.raises(ValueError, match=r'Subtract layer ".*" should be called on exactly 2 inputs; received 3'):
        layers.Subtract()([x, x, x])
    with pytest.raises(ValueError, match=r'Add layer ".*": inputs have incompatible shapes.*\(3,\) and \(4,\)'):
        layers.Add()([x, np.ones((2, 4), "float32")])
    with pytest.raises(ValueError, match="different batch sizes"):
        layers.Add()([x, np.ones((3, 3), "float32")])
    with pytest.raises(ValueError, match=r'Concatenate layer ".*" requires inputs with matching shapes'):
        layers.Concatenate(axis=1)([np.ones((2, 3, 4)), np.ones((2, 3, 5))])
    with pytest.raises(ValueError, match=r'Dot layer ".*": incompatible input shapes: axis values 3 \(at axis 1\) != 4'):
        layers.Dot(axes=1)([x, np.ones((2, 4), "float32")])
    with pytest.raises(ValueError, match="Dot: axes must be an int or a list of 2 ints"):
        layers.Dot(axes=(1, 2, 3))
    with pytest.raises(TypeError, match="two frameworks"):
        import torch

        layers.Add()([torch.ones(2, 3), np.ones((2, 3), "float32") + asarray(x, framework="jax")])


def test_merge_config_round_trip():
    for layer in [layers.Add(), layers.Concatenate(axis=1), layers.Dot(axes=[1, 2], normalize=True),
                  layers.Maximum(name="mx")]:
        back = layers.deserialize(layers.serialize(layer))
        assert type(back) is type(layer)
        a, b = layer.get_config(), back.get_config()
        assert a == b
