"""EinsumDense against Keras 3 (weights copied) and its array-API einsum against
numpy.einsum, on every installed framework."""

from __future__ import annotations

import numpy as np
import pytest

from unikeras import layers
from unikeras.layers.einsum_dense import einsum2
from unikeras.xp import asarray, set_default_framework, to_numpy


RNG = np.random.default_rng(6)

# equation, output_shape, bias_axes, input shape  (Keras' own test cases, mostly)
CASES = [
    ("ab,bc->ac", 4, "c", (2, 3)),
    ("ab,bc->ac", 4, None, (2, 3)),
    ("abc,cd->abd", (3, 4), "d", (2, 3, 5)),
    ("abc,cde->abde", (3, 2, 4), "de", (2, 3, 5)),
    ("abc,cd->abd", (3, 4), "bd", (2, 3, 5)),
    ("abc,dce->abde", (3, 2, 4), "e", (2, 3, 5)),       # kernel axis order != input
    ("abcd,cde->abe", (3, 6), "e", (2, 3, 4, 5)),       # two contracted axes
    ("...b,bc->...c", 4, "c", (2, 3, 5)),                # left ellipsis
    ("ab...,bc->ac...", (4, 6), "c", (2, 5, 6)),         # right ellipsis
    ("BTNH,HND->BTD", (3, 6), "D", (2, 3, 4, 5)),        # attention-style output proj
    ("abc,cd->ad", 4, "d", (2, 3, 5)),                   # input-only axis summed out
]


@pytest.mark.parametrize("eq,out,bias,shape", CASES, ids=[c[0] for c in CASES])
def test_einsum_dense_matches_keras(keras, any_framework, eq, out, bias, shape, keras_np,
                                    run_layer):
    x = RNG.normal(size=shape).astype("float32")
    k = keras.layers.EinsumDense(eq, output_shape=out, bias_axes=bias, activation="relu")
    k.build(shape)
    ws = [RNG.normal(size=w.shape).astype("float32") for w in k.get_weights()]
    k.set_weights(ws)
    u = layers.EinsumDense(eq, output_shape=out, bias_axes=bias, activation="relu")
    u.build(shape)
    assert [w.shape for w in u.weights] == [tuple(w.shape) for w in k.weights]
    u.set_weights(ws)
    y = run_layer(u, x, any_framework)
    want = keras_np(k(x))
    np.testing.assert_allclose(y, want, rtol=1e-5, atol=1e-5)
    assert u.compute_output_shape((None,) + shape[1:]) == tuple(k.compute_output_shape((None,) + shape[1:]))


@pytest.mark.parametrize("eq,xs,ws", [
    ("ab,bc->ac", (2, 3), (3, 4)),
    ("abc,cd->abd", (2, 3, 5), (5, 4)),
    ("abc,dce->abde", (2, 3, 5), (2, 5, 4)),
    ("abcd,cde->abe", (2, 3, 4, 5), (4, 5, 6)),
    ("abc,cd->ad", (2, 3, 5), (5, 4)),
    ("abc,bd->abcd", (2, 3, 5), (3, 4)),
    ("abc,db->dca", (2, 3, 5), (4, 3)),
    ("abc,acd->abd", (2, 3, 5), (2, 5, 4)),              # batch axis shared with kernel
    ("ab,cd->abcd", (2, 3), (4, 5)),                     # outer product
    ("abc,cde->a", (2, 3, 4), (4, 2, 2)),                # kernel-only axes summed
])
def test_einsum2_matches_numpy(any_framework, eq, xs, ws, fw_arr):
    x = RNG.normal(size=xs).astype("float32")
    w = RNG.normal(size=ws).astype("float32")
    got = einsum2(eq, fw_arr(x, any_framework), fw_arr(w, any_framework))
    np.testing.assert_allclose(to_numpy(got), np.einsum(eq, x, w), rtol=1e-5, atol=1e-5)


def test_einsum_dense_gradients_and_strict(framework):
    import unikeras as uk

    model = uk.Sequential([layers.Input(shape=(3, 4)),
                           layers.EinsumDense("abc,cd->abd", (3, 2), bias_axes="d")])
    model.compile(optimizer=uk.optimizers.SGD(learning_rate=0.1), loss="mse")
    x = RNG.normal(size=(8, 3, 4)).astype("float32")
    y = RNG.normal(size=(8, 3, 2)).astype("float32")
    w0, b0 = model.get_weights()
    model.fit(asarray(x, framework=framework), asarray(y, framework=framework), epochs=1,
              batch_size=8, verbose=0)
    pred = x @ w0 + b0
    gw = np.einsum("abc,abd->cd", x, 2 * (pred - y) / pred.size)
    gb = (2 * (pred - y) / pred.size).sum((0, 1))
    w1, b1 = model.get_weights()
    np.testing.assert_allclose(w1, w0 - 0.1 * gw, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(b1, b0 - 0.1 * gb, rtol=1e-4, atol=1e-6)


def test_einsum_dense_on_array_api_strict():
    import array_api_strict as xps

    u = layers.EinsumDense("abc,cde->abde", (3, 2, 4), bias_axes="de")
    x = RNG.normal(size=(2, 3, 5)).astype("float32")
    u.build(x.shape)
    k, b = u.get_weights()
    out = u(xps.asarray(x))
    np.testing.assert_allclose(np.asarray(out._array), np.einsum("abc,cde->abde", x, k) + b,
                               rtol=1e-5, atol=1e-6)


def test_einsum_dense_initializer_fans():
    """Glorot on a 3D kernel uses fan_in = product of the input axes and fan_out =
    product of the output axes (Keras 3's input_axes/output_axes)."""
    u = layers.EinsumDense("abc,cde->abde", (3, 20, 40), kernel_initializer="glorot_uniform")
    u.build((2, 3, 30))
    (k,) = u.get_weights()
    limit = np.sqrt(6.0 / (30 + 800))
    assert np.abs(k).max() <= limit
    assert np.abs(k).max() > 0.9 * limit


def test_errors_and_config():
    with pytest.raises(ValueError, match="EinsumDense: invalid einsum equation"):
        layers.EinsumDense("ab->b", 3).build((2, 3))
    with pytest.raises(ValueError, match="weight dimension 'z' matches neither"):
        layers.EinsumDense("ab,bzc->ac", 3).build((2, 3))
    with pytest.raises(ValueError, match="bias dimension 'x' is not part of the output"):
        layers.EinsumDense("ab,bc->ac", 3, bias_axes="x").build((2, 3))
    u = layers.EinsumDense("abc,cd->abd", (3, 4), bias_axes="d", activation="relu",
                           kernel_regularizer="l2")
    back = layers.deserialize(layers.serialize(u))
    assert type(back) is layers.EinsumDense
    assert back.get_config() == u.get_config()
    u.build((2, 3, 5))
    set_default_framework("numpy")
    with pytest.raises(ValueError, match=r'Input 0 of layer ".*" \(EinsumDense\).*expected ndim=3'):
        u(np.ones((2, 5), "float32"))
