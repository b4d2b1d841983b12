"""ops.custom_gradient and ops.jvp on every differentiable framework (each framework's own
autodiff takes the gradient), and their errors on NumPy and bad arguments."""

import numpy as np
import pytest

from unikeras import ops, xp


def _grad(fw, fn, *args):
    """Gradients of sum(fn(*args)) w.r.t. every arg, with the framework's own autodiff."""
    if fw == "jax":
        import jax
        import jax.numpy as jnp

        g = jax.grad(lambda *a: jnp.sum(fn(*a)), argnums=tuple(range(len(args))))(*args)
        return [np.asarray(v) for v in g]
    if fw == "torch":
        args = [a.detach().clone().requires_grad_(True) for a in args]
        fn(*args).sum().backward()
        return [a.grad.numpy() for a in args]
    import tensorflow as tf

    with tf.GradientTape() as tape:
        tape.watch(args)
        y = tf.reduce_sum(fn(*args))
    return [g.numpy() for g in tape.gradient(y, list(args))]


@ops.custom_gradient
def log1pexp(x):
    e = ops.exp(x)

    def grad(*args, upstream=None):
        if upstream is None:
            (upstream,) = args
        return ops.multiply(upstream, 1.0 - 1.0 / ops.add(1, e))

    return ops.log(1 + e), grad


@ops.custom_gradient
def scaled_product(x, y):
    """x * y with gradients scaled by 10 and 100 (both inputs get a gradient)."""
    def grad(upstream):
        return upstream * y * 10.0, upstream * x * 100.0

    return x * y, grad


@ops.custom_gradient
def straight_through_round(x):
    return ops.round(x), lambda upstream: upstream


def _diff(fw):
    if fw.name == "numpy":
        pytest.skip("NumPy has no autodiff (the error is tested below)")


def test_custom_gradient_keras_example(fw):
    _diff(fw)
    x = fw.T(np.array([0.0, 1.0, 100.0], "float32"))
    np.testing.assert_allclose(xp.to_numpy(log1pexp(x))[:2], np.log1p(np.exp([0.0, 1.0])),
                               rtol=1e-6)
    (g,) = _grad(fw.name, log1pexp, x)
    # the naive gradient of log(1 + exp(100)) is inf/inf = nan in float32
    np.testing.assert_allclose(g, [0.5, 1 / (1 + np.exp(-1.0)), 1.0], rtol=1e-6)


def test_custom_gradient_two_inputs_and_straight_through(fw):
    _diff(fw)
    a, b = np.array([1.0, 2.0], "float32"), np.array([3.0, -1.0], "float32")
    gx, gy = _grad(fw.name, scaled_product, fw.T(a), fw.T(b))
    np.testing.assert_allclose(gx, b * 10)
    np.testing.assert_allclose(gy, a * 100)
    x = fw.T(np.array([0.2, 1.7, -2.6], "float32"))
    np.testing.assert_array_equal(xp.to_numpy(straight_through_round(x)), [0.0, 2.0, -3.0])
    (g,) = _grad(fw.name, straight_through_round, x)
    np.testing.assert_array_equal(g, np.ones(3))


def test_custom_gradient_under_compilation(fw):
    _diff(fw)
    x = np.array([0.5, 100.0], "float32")
    want = [1 / (1 + np.exp(-0.5)), 1.0]
    if fw.name == "jax":
        import jax
        import jax.numpy as jnp

        g = jax.jit(jax.grad(lambda v: jnp.sum(log1pexp(v))))(jnp.asarray(x))
    elif fw.name == "tensorflow":
        import tensorflow as tf

        @tf.function
        def g_fn(v):
            with tf.GradientTape() as tape:
                tape.watch(v)
                y = tf.reduce_sum(log1pexp(v))
            return tape.gradient(y, v)

        g = g_fn(tf.constant(x))
    else:
        import torch

        g = torch.func.grad(lambda v: log1pexp(v).sum())(torch.tensor(x))
    np.testing.assert_allclose(xp.to_numpy(g), want, rtol=1e-6)


def test_custom_gradient_in_a_trained_model(fw):
    """A layer using a straight-through op trains: gradients flow through round()."""
    _diff(fw)
    import unikeras as keras

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8),
                              keras.layers.Lambda(lambda h: straight_through_round(h * 4) / 4),
                              keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss="mse")
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 4)).astype("float32")
    y = (x @ np.array([1.0, -2.0, 0.5, 1.5], "float32"))[:, None]
    first = model.get_weights()[0].copy()
    hist = model.fit(fw.T(x), fw.T(y), epochs=8, batch_size=16, verbose=0)
    assert not np.allclose(model.get_weights()[0], first), "the first Dense got no gradient"
    assert hist.history["loss"][-1] < 0.5 * hist.history["loss"][0]


def test_jvp(fw):
    _diff(fw)
    x = np.array([0.3, -1.2, 2.0], "float32")
    y = np.array([1.5, 0.5, -2.0], "float32")
    tx = np.array([1.0, 0.0, 2.0], "float32")
    ty = np.array([0.5, 1.0, 0.0], "float32")

    def f(a, b):
        return ops.sin(a) * b

    out, tan = ops.jvp(f, (fw.T(x), fw.T(y)), (fw.T(tx), fw.T(ty)))
    assert xp.framework_of(out) == fw.name and xp.framework_of(tan) == fw.name
    np.testing.assert_allclose(xp.to_numpy(out), np.sin(x) * y, rtol=1e-6)
    np.testing.assert_allclose(xp.to_numpy(tan), np.cos(x) * y * tx + np.sin(x) * ty,
                               rtol=1e-5, atol=1e-6)


def test_jvp_aux_and_nested(fw):
    _diff(fw)
    x = np.array([1.0, 2.0], "float32")
    w = np.array([[1.0, 0.5], [0.0, -1.0]], "float32")

    def f(params):
        h = ops.matmul(params["w"], params["x"])
        return {"sq": h * h}, ops.sum(h)

    primals = ({"w": fw.T(w), "x": fw.T(x)},)
    tangents = ({"w": fw.T(np.zeros_like(w)), "x": fw.T(np.ones_like(x))},)
    out, tan, aux = ops.jvp(f, primals, tangents, has_aux=True)
    h = w @ x
    np.testing.assert_allclose(xp.to_numpy(out["sq"]), h * h, rtol=1e-6)
    np.testing.assert_allclose(xp.to_numpy(tan["sq"]), 2 * h * (w @ np.ones(2)), rtol=1e-6)
    np.testing.assert_allclose(float(xp.to_numpy(aux)), h.sum(), rtol=1e-6)


def test_autodiff_errors(fw):
    x = fw.T(np.ones(3, "float32"))
    if fw.name == "numpy":
        with pytest.raises(ValueError, match="ops.jvp: expected jax, torch or tensorflow arrays"):
            ops.jvp(ops.sin, (x,), (x,))
        with pytest.raises(ValueError, match="ops.custom_gradient: expected jax, torch or"):
            log1pexp(x)
        return
    with pytest.raises(TypeError, match="ops.jvp: expected primals to be a tuple or list"):
        ops.jvp(ops.sin, x, (x,))
    with pytest.raises(ValueError, match="ops.jvp: expected tangents with the structure"):
        ops.jvp(lambda a, b: a * b, (x, x), (x,))
    with pytest.raises(TypeError, match="ops.custom_gradient: expected a function"):
        ops.custom_gradient(3)
