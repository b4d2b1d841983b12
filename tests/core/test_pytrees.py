"""Layers are pytrees: jax.jit/grad/vmap, torch.func.grad/vmap and tf.function with
GradientTape accept them directly and give back the same structure."""

import numpy as np
import pytest

import unikeras as keras
from unikeras import layers, xp
from unikeras.state import tree_flatten, tree_map


class Affine(layers.Layer):
    """A custom object holding arrays: two weights and a nested sublayer."""

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], 3), initializer="glorot_uniform", name="w")
        self.b = self.add_weight(shape=(3,), initializer="ones", name="b")
        self.inner = layers.Dense(2, name="inner")

    def call(self, x):
        return self.inner(x @ self.w + self.b)


def _model():
    keras.utils.set_random_seed(0)
    m = Affine(name="affine")
    m(np.ones((1, 4), "float32"))
    return m


X = np.random.default_rng(0).normal(size=(5, 4)).astype("float32")


def _names(tree):
    return [v.path for v in tree.variables]


def test_optree_flatten_gives_variable_values():
    m = _model()
    leaves, spec = tree_flatten(m)
    assert len(leaves) == 4
    rebuilt = spec.unflatten(leaves)
    assert isinstance(rebuilt, Affine) and rebuilt is not m
    doubled = tree_map(lambda a: a * 2, m)
    np.testing.assert_allclose(xp.to_numpy(doubled.w.value), 2 * m.w.numpy())
    np.testing.assert_allclose(m.b.numpy(), 1.0)  # original untouched


def test_jax_jit_and_grad_on_a_layer():
    jax = pytest.importorskip("jax")
    jnp = jax.numpy
    m = _model()
    x = jnp.asarray(X)
    y = jax.jit(lambda m, x: m(x))(m, x)
    np.testing.assert_allclose(np.asarray(y), xp.to_numpy(m(x)), rtol=1e-6)
    g = jax.jit(jax.grad(lambda m, x: jnp.sum(m(x) ** 2)))(m, x)
    assert isinstance(g, Affine) and _names(g) == _names(m)
    # d/db of sum((x@w+b)@K+c)^2) = sum over batch of 2*out @ K^T
    w, b, k, c = (v.numpy() for v in m.variables)
    out = (X @ w + b) @ k + c
    np.testing.assert_allclose(np.asarray(g.b.value), (2 * out @ k.T).sum(0), rtol=1e-4)
    vm = jax.vmap(lambda x: m(x[None])[0])(x)
    assert vm.shape == (5, 2)


def test_torch_func_grad_and_vmap_on_a_layer():
    torch = pytest.importorskip("torch")
    m = _model()
    x = torch.from_numpy(X)
    g = torch.func.grad(lambda m, x: (m(x) ** 2).sum())(m, x)
    assert isinstance(g, Affine) and _names(g) == _names(m)
    w, b, k, c = (v.numpy() for v in m.variables)
    out = (X @ w + b) @ k + c
    np.testing.assert_allclose(xp.to_numpy(g.b.value), (2 * out @ k.T).sum(0), rtol=1e-4)
    vm = torch.func.vmap(lambda x: m(x[None])[0])(x)
    assert tuple(vm.shape) == (5, 2)


def test_tf_function_and_gradient_tape_on_a_layer():
    tf = pytest.importorskip("tensorflow")
    m = _model()
    x = tf.constant(X)

    @tf.function
    def loss_and_grads(m, x):
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(m(x) ** 2)
        return loss, tape.gradient(loss, [v.value for v in m.trainable_variables])

    loss, grads = loss_and_grads(m, x)
    w, b, k, c = (v.numpy() for v in m.variables)
    out = (X @ w + b) @ k + c
    np.testing.assert_allclose(loss.numpy(), (out ** 2).sum(), rtol=1e-5)
    np.testing.assert_allclose(grads[1].numpy(), (2 * out @ k.T).sum(0), rtol=1e-4)
    same = tf.nest.map_structure(lambda a: a, m)
    assert isinstance(same, Affine) and _names(same) == _names(m)


def test_shared_layer_counted_once():
    d = layers.Dense(3)
    inp = layers.Input((3,))
    out = d(d(inp))
    model = keras.Model(inp, out)
    leaves, _ = tree_flatten(model)
    assert len(leaves) == 2


def test_raw_jax_transform_assignment_warns():
    jax = pytest.importorskip("jax")

    class Counter(layers.Layer):
        def build(self, shape):
            self.n = self.add_weight(shape=(), initializer="zeros", trainable=False, name="n")

        def call(self, x):
            self.n = self.n + 1.0
            return x

    c = Counter()
    c(jax.numpy.ones(2))
    with pytest.warns(UserWarning, match="lost"):
        jax.jit(lambda m, x: m(x))(c, jax.numpy.ones(2))
