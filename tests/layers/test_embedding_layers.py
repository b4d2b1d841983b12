"""Embedding and Masking against Keras 3, on every installed framework; masks routed
through Sequential and Functional models."""

from __future__ import annotations

import numpy as np
import pytest

import unikeras as uk
from unikeras import layers
from unikeras.xp import asarray, to_numpy


RNG = np.random.default_rng(4)
IDS = np.array([[1, 5, 0, 0], [3, 9, 2, 0], [0, 0, 0, 0]], dtype="int64")


def test_embedding_matches_keras(keras, any_framework, keras_np, run_layer, fw_arr):
    k = keras.layers.Embedding(10, 3, mask_zero=True)
    k.build()
    w = RNG.normal(size=(10, 3)).astype("float32")
    k.set_weights([w])
    u = layers.Embedding(10, 3, mask_zero=True)
    u.build()
    u.set_weights([w])
    np.testing.assert_allclose(run_layer(u, IDS, any_framework), keras_np(k(IDS)), rtol=1e-6)
    ids = fw_arr(IDS, any_framework)
    np.testing.assert_array_equal(to_numpy(u.compute_mask(ids)), keras_np(k.compute_mask(IDS)))
    # float ids are cast to int like Keras
    np.testing.assert_allclose(to_numpy(u(fw_arr(IDS.astype("float32"), any_framework))), w[IDS])
    assert u.compute_output_shape((None, 4)) == (None, 4, 3)


def test_embedding_defaults_and_weights_arg():
    e = layers.Embedding(7, 2)
    e.build()
    (w,) = e.get_weights()
    assert w.shape == (7, 2) and np.abs(w).max() <= 0.05  # Keras' "uniform": U(-0.05, 0.05)
    assert e.compute_mask(np.ones((2, 2), "int64")) is None
    given = RNG.normal(size=(7, 2)).astype("float32")
    e2 = layers.Embedding(7, 2, weights=given)
    np.testing.assert_array_equal(e2.get_weights()[0], given)


def test_embedding_gradients_are_scattered(framework):
    model = uk.Sequential([layers.Input(shape=(3,), dtype="int64"),
                           layers.Embedding(5, 2, embeddings_initializer="zeros")])
    model.compile(optimizer=uk.optimizers.SGD(learning_rate=1.0), loss="mse")
    ids = np.array([[1, 1, 2]], "int64")
    y = np.ones((1, 3, 2), "float32")
    model.fit(asarray(ids, framework=framework), asarray(y, framework=framework), epochs=1,
              batch_size=1, verbose=0)
    w = model.layers[0].embeddings.numpy()
    # d mse / d e_k = -2 * count(k) / 6 per entry
    np.testing.assert_allclose(w[1], [2 * 2 / 6] * 2, rtol=1e-5)
    np.testing.assert_allclose(w[2], [2 / 6] * 2, rtol=1e-5)
    np.testing.assert_array_equal(w[[0, 3, 4]], 0)


def test_masking_matches_keras(keras, any_framework, keras_np, run_layer, fw_arr):
    x = RNG.normal(size=(2, 4, 3)).astype("float32")
    x[0, 1] = 0.0
    x[1, 3] = 0.0
    x[1, 2, 0] = 0.0  # one zero feature only: not masked
    u = layers.Masking()
    out = run_layer(u, x, any_framework)
    k = keras.layers.Masking()
    np.testing.assert_allclose(out, keras_np(k(x)))
    xx = fw_arr(x, any_framework)
    np.testing.assert_array_equal(to_numpy(u.compute_mask(xx)), keras_np(k.compute_mask(x)))
    y = np.full((1, 3, 2), 5.0, "float32")
    y[0, 1, 1] = 1.0
    mask5 = layers.Masking(mask_value=5.0).compute_mask(fw_arr(y, any_framework))
    np.testing.assert_array_equal(to_numpy(mask5), [[False, True, False]])


class _MaskProbe(layers.Layer):
    """Records the mask it receives; output = inputs summed over masked-in steps."""

    def call(self, inputs, mask=None):
        from unikeras.xp import namespace

        xp = namespace(inputs)
        if mask is None:  # symbolic shape inference runs without a mask
            return xp.sum(inputs, axis=1)
        self.seen = mask
        m = xp.astype(mask, inputs.dtype)[..., None]
        return xp.sum(inputs * m, axis=1)


def test_masks_route_through_models(framework):
    ids = np.array([[2, 3, 0], [4, 0, 0]], "int64")
    emb = layers.Embedding(6, 2, embeddings_initializer="ones", mask_zero=True)
    probe = _MaskProbe()
    seq = uk.Sequential([layers.Input(shape=(3,), dtype="int64"), emb, probe])
    out = seq(asarray(ids, framework=framework))
    np.testing.assert_array_equal(to_numpy(probe.seen), ids != 0)
    np.testing.assert_allclose(to_numpy(out), [[2, 2], [1, 1]])
    inp = layers.Input(shape=(3, 2))
    probe2 = _MaskProbe()
    fn = uk.Model(inp, probe2(layers.Masking()(inp)))
    x = np.ones((1, 3, 2), "float32")
    x[0, 2] = 0
    out = fn(asarray(x, framework=framework))
    np.testing.assert_array_equal(to_numpy(probe2.seen), [[True, True, False]])
    np.testing.assert_allclose(to_numpy(out), [[2, 2]])


def test_embedding_masking_on_array_api_strict():
    import array_api_strict as xps

    e = layers.Embedding(10, 3, mask_zero=True)
    e.build()
    out = e(xps.asarray(IDS))
    np.testing.assert_allclose(np.asarray(out._array), e.get_weights()[0][IDS])
    np.testing.assert_array_equal(np.asarray(e.compute_mask(xps.asarray(IDS))._array), IDS != 0)
    x = xps.asarray(np.zeros((1, 2, 2), "float32"))
    np.testing.assert_array_equal(np.asarray(layers.Masking().compute_mask(x)._array),
                                  [[False, False]])


def test_errors_and_config():
    with pytest.raises(ValueError, match="Embedding: input_dim must be a positive integer; received input_dim=0"):
        layers.Embedding(0, 3)
    with pytest.raises(ValueError, match="output_dim must be a positive integer"):
        layers.Embedding(3, 2.5)
    for layer in [layers.Embedding(5, 2, mask_zero=True, embeddings_regularizer="l2"),
                  layers.Masking(mask_value=-1.0)]:
        back = layers.deserialize(layers.serialize(layer))
        assert type(back) is type(layer)
        assert back.get_config() == layer.get_config()
