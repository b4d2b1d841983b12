"""keras.RematScope / keras.remat: jax.checkpoint, torch.utils.checkpoint and
tf.recompute_grad give the same gradients and the same training as no remat, in each
framework's own gradient idiom; the checkpoint is really in force (the jaxpr holds a
checkpoint; torch and TF run the layer's call again in the backward pass)."""

import contextlib

import numpy as np
import pytest

import unikeras as keras
from unikeras import layers

rng = np.random.default_rng(0)
X = rng.normal(size=(4, 5)).astype("float32")
Y = rng.normal(size=(4, 3)).astype("float32")


class Counted(layers.Layer):
    """tanh(x @ w), counting how often its Python call runs."""

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], 16), initializer="glorot_uniform")
        self.calls = 0

    def call(self, x):
        self.calls += 1
        xp = keras.xp.namespace(x)
        return xp.tanh(x @ self.w)


def make(scope):
    """The layers are made in the scope (the model outside it: a model made in a "full"
    scope would rematerialize its whole call around its layers' own checkpoints)."""
    keras.utils.set_random_seed(0)
    with scope:
        body = [Counted(name="counted"), layers.Dense(16, activation="tanh", name="d1"),
                layers.Dense(3, name="d2")]
    return keras.Sequential([layers.Input((5,))] + body)


def grads(framework, model):
    if framework == "jax":
        import jax
        import jax.numpy as jnp

        def loss(vals):
            out, _ = model.stateless_call(vals, [], jnp.asarray(X))
            return jnp.mean((out - Y) ** 2)
        return jax.grad(loss)([v.value for v in model.trainable_variables])
    if framework == "torch":
        import torch

        out = model(torch.from_numpy(X), training=True)
        loss = ((out - torch.from_numpy(Y)) ** 2).mean()
        return torch.autograd.grad(loss, [v.value for v in model.trainable_variables])
    import tensorflow as tf

    with tf.GradientTape() as tape:
        loss = tf.reduce_mean((model(tf.constant(X), training=True) - Y) ** 2)
    return tape.gradient(loss, model.trainable_weights)


@pytest.mark.parametrize("mode", ["full", "activations", "larger_than", "list_of_layers"])
def test_remat_scope_same_gradients_and_training(framework, mode):
    ref = make(contextlib.nullcontext())
    m = make(keras.RematScope(mode=mode, output_size_threshold=40, layer_names=["counted"]))
    assert m.get_layer("d1")._remat_mode.mode == mode and ref.get_layer("d1")._remat_mode is None
    g0, g1 = grads(framework, ref), grads(framework, m)
    for a, b in zip(g0, g1):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-6, atol=1e-7)
    counted = m.get_layer("counted")
    remats_counted = mode in ("full", "larger_than", "list_of_layers")  # 64 > 40 elements
    if framework == "jax":
        import jax
        import jax.numpy as jnp

        jaxpr = str(jax.make_jaxpr(lambda v: m.stateless_call(v, [], jnp.asarray(X))[0])(
            [v.value for v in m.trainable_variables]))
        # one checkpoint per rematerialized layer (or activation): full: all 3;
        # activations: d1's tanh and d2's linear; larger_than 40: the two 4x16 outputs
        expected = {"full": 3, "activations": 2, "larger_than": 2, "list_of_layers": 1}
        assert jaxpr.count("remat2[") == expected[mode], jaxpr
    else:
        counted.calls = 0
        grads(framework, m)
        # the backward pass runs a rematerialized call again
        assert counted.calls == (2 if remats_counted else 1), (mode, counted.calls)
    for model in (ref, m):
        model.compile(optimizer="sgd", loss="mse")
    h0 = ref.fit(X, Y, epochs=2, verbose=0, shuffle=False).history["loss"]
    h1 = m.fit(X, Y, epochs=2, verbose=0, shuffle=False).history["loss"]
    np.testing.assert_allclose(h0, h1, rtol=1e-6)
    for a, b in zip(ref.get_weights(), m.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def test_remat_function(framework, to_fw, to_np):
    """keras.remat(f) on a plain function: same value and gradient as f."""
    def f(x, scale=2.0):
        xp = keras.xp.namespace(x)
        return xp.sum(xp.sin(x) * scale)

    x = to_fw(X, framework)
    r = keras.remat(f)
    np.testing.assert_allclose(to_np(r(x, scale=3.0)), to_np(f(x, scale=3.0)), rtol=1e-6)
    if framework == "jax":
        import jax
        g = jax.grad(lambda a: r(a, scale=3.0))(x)
    elif framework == "torch":
        import torch
        x = x.clone().requires_grad_(True)
        (g,) = torch.autograd.grad(r(x, scale=3.0), [x])
    else:
        import tensorflow as tf
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = r(x, scale=3.0)
        g = tape.gradient(y, x)
    np.testing.assert_allclose(to_np(g), 3.0 * np.cos(X), rtol=1e-5, atol=1e-6)


def test_remat_scope_rejects_unknown_mode():
    with pytest.raises(ValueError, match="Invalid mode 'everything'"):
        keras.RematScope(mode="everything")
    with keras.RematScope("full"):
        with keras.RematScope(None):
            assert layers.Dense(2)._remat_mode.mode is None
        assert layers.Dense(2)._remat_mode.mode == "full"
    assert layers.Dense(2)._remat_mode is None
