"""A model is a pytree JAX libraries accept: gradients, optax/equinox-updated copies and
the model share one tree structure; ensembles stack and vmap. Written the way a JAX user
writes a training loop, compared with the same network in plain jax.numpy."""

import numpy as np
import pytest

jax = pytest.importorskip("jax")
optax = pytest.importorskip("optax")
jnp = jax.numpy

import unikeras as keras  # noqa: E402
from unikeras import layers  # noqa: E402

RNG = np.random.default_rng(0)
X = RNG.normal(size=(16, 4)).astype("float32")
Y = RNG.normal(size=(16, 3)).astype("float32")


def _mlp(seed=0, activation="relu"):
    keras.utils.set_random_seed(seed)
    return keras.Sequential([
        layers.Input((4,)),
        layers.Dense(8, activation=activation),
        layers.Dense(3),
    ])


def _mse(model, x, y):
    return jnp.mean((model(x) - y) ** 2)


def _reference_adam(model, steps, lr=1e-2):
    """The same MLP in plain jax.numpy, trained by optax from the same weights."""
    w1, b1, w2, b2 = (jnp.asarray(v.numpy()) for v in model.variables)
    params = {"w1": w1, "b1": b1, "w2": w2, "b2": b2}

    def loss(p, x, y):
        h = jax.nn.relu(x @ p["w1"] + p["b1"])
        return jnp.mean((h @ p["w2"] + p["b2"] - y) ** 2)

    tx = optax.adam(lr)
    state = tx.init(params)
    losses = []
    for _ in range(steps):
        value, grads = jax.value_and_grad(loss)(params, X, Y)
        updates, state = tx.update(grads, state, params)
        params = optax.apply_updates(params, updates)
        losses.append(float(value))
    return [np.asarray(params[k]) for k in ("w1", "b1", "w2", "b2")], losses


def test_gradient_tree_has_the_model_structure_and_tree_map_combines_them():
    model = _mlp()
    x, y = jnp.asarray(X), jnp.asarray(Y)
    grads = jax.grad(_mse)(model, x, y)
    assert jax.tree_util.tree_structure(grads) == jax.tree_util.tree_structure(model)
    stepped = jax.tree_util.tree_map(lambda p, g: p - 0.1 * g, model, grads)
    assert type(stepped) is type(model)
    # numpy reference gradient of the mean squared error of relu(x W1 + b1) W2 + b2
    w1, b1, w2, b2 = (v.numpy() for v in model.variables)
    h_pre = X @ w1 + b1
    h = np.maximum(h_pre, 0)
    d_out = 2 * (h @ w2 + b2 - Y) / Y.size
    d_h = (d_out @ w2.T) * (h_pre > 0)
    expected = [w1 - 0.1 * X.T @ d_h, b1 - 0.1 * d_h.sum(0), w2 - 0.1 * h.T @ d_out,
                b2 - 0.1 * d_out.sum(0)]
    for got, want in zip(stepped.variables, expected):
        np.testing.assert_allclose(np.asarray(got.value), want, rtol=1e-4, atol=1e-6)
    # the original model is untouched, the copy still runs
    np.testing.assert_allclose(model.variables[0].numpy(), w1)
    assert stepped(x).shape == (16, 3)


def test_optax_loop_over_the_model_matches_the_same_mlp_in_jax_numpy():
    model = _mlp()
    want, want_losses = _reference_adam(model, steps=5)
    tx = optax.adam(1e-2)
    opt_state = tx.init(model)
    traces = []

    @jax.jit
    def step(model, opt_state, x, y):
        traces.append(None)
        loss, grads = jax.value_and_grad(_mse)(model, x, y)
        updates, opt_state = tx.update(grads, opt_state, model)
        return optax.apply_updates(model, updates), opt_state, loss

    losses = []
    for _ in range(5):
        model, opt_state, loss = step(model, opt_state, jnp.asarray(X), jnp.asarray(Y))
        losses.append(float(loss))
    assert len(traces) == 1  # updated copies keep the model's structure: no retrace
    np.testing.assert_allclose(losses, want_losses, rtol=1e-5)
    for got, w in zip(model.variables, want):
        np.testing.assert_allclose(np.asarray(got.value), w, rtol=1e-5, atol=1e-6)
    # the trained copy is a working unikeras model
    np.testing.assert_allclose(np.asarray(model.predict(X, verbose=0)),
                               np.asarray(model(jnp.asarray(X))), rtol=1e-6)


def test_optax_loop_with_dropout_and_batchnorm_state():
    """Integer (seed) and non-trainable (BatchNorm) state ride along: the gradient of an
    integer leaf is a zero of its dtype, an optax mask over the floating leaves keeps
    the optimizer off it (plain adam would round it through float32), and the forward
    pass's state updates come back through the model the loss function returns."""
    keras.utils.set_random_seed(1)
    model = keras.Sequential([
        layers.Input((4,)),
        layers.Dense(8),
        layers.BatchNormalization(momentum=0.9),
        layers.Activation("relu"),
        layers.Dropout(0.25),
        layers.Dense(3),
    ])
    w1, b1 = model.layers[0].kernel.numpy(), model.layers[0].bias.numpy()
    seed_before = model.layers[3].seed_generator.state.numpy().copy()
    floating = jax.tree_util.tree_map(lambda a: jnp.issubdtype(a.dtype, jnp.floating), model)
    tx = optax.masked(optax.adam(1e-2), floating)
    opt_state = tx.init(model)
    traces = []

    def loss_fn(model, x, y):
        return jnp.mean((model(x, training=True) - y) ** 2), model

    @jax.jit
    def step(model, opt_state, x, y):
        traces.append(None)
        (loss, new_state), grads = jax.value_and_grad(
            loss_fn, has_aux=True, allow_int=True)(model, x, y)
        updates, opt_state = tx.update(grads, opt_state, model)
        return optax.apply_updates(new_state, updates), opt_state, loss, grads

    with pytest.warns(UserWarning, match="assigned inside a raw framework transform"):
        model, opt_state, loss0, grads = step(model, opt_state, jnp.asarray(X), jnp.asarray(Y))
    seed_grad = grads.layers[3].seed_generator.state.value
    assert seed_grad.dtype == model.layers[3].seed_generator.state.value.dtype and not np.any(np.asarray(seed_grad))
    # BatchNorm's moving mean took one momentum step towards the batch mean
    np.testing.assert_allclose(model.layers[1].moving_mean.numpy(),
                               0.1 * (X @ w1 + b1).mean(0), rtol=1e-4, atol=1e-6)
    # the seed counter advanced by the forward pass's draw, and optax did not touch it
    seed_after = model.layers[3].seed_generator.state.numpy()
    assert seed_after[0] == seed_before[0] and seed_after[1] == seed_before[1] + 1
    losses = [float(loss0)]
    for _ in range(30):
        model, opt_state, loss, _ = step(model, opt_state, jnp.asarray(X), jnp.asarray(Y))
        losses.append(float(loss))
    assert len(traces) == 1
    assert np.mean(losses[-5:]) < 0.8 * losses[0]
    assert model.layers[3].seed_generator.state.numpy()[1] == seed_before[1] + 31


def test_equinox_filter_jit_loop_matches_the_same_mlp_in_jax_numpy():
    eqx = pytest.importorskip("equinox")
    model = _mlp()
    want, want_losses = _reference_adam(model, steps=5)
    tx = optax.adam(1e-2)
    opt_state = tx.init(eqx.filter(model, eqx.is_inexact_array))

    @eqx.filter_jit
    def step(model, opt_state, x, y):
        loss, grads = eqx.filter_value_and_grad(_mse)(model, x, y)
        updates, opt_state = tx.update(grads, opt_state, eqx.filter(model, eqx.is_inexact_array))
        return eqx.apply_updates(model, updates), opt_state, loss

    losses = []
    for _ in range(5):
        model, opt_state, loss = step(model, opt_state, jnp.asarray(X), jnp.asarray(Y))
        losses.append(float(loss))
    np.testing.assert_allclose(losses, want_losses, rtol=1e-5)
    for got, w in zip(model.variables, want):
        np.testing.assert_allclose(np.asarray(got.value), w, rtol=1e-5, atol=1e-6)


def test_equinox_partition_combine_and_filter_grad_with_integer_state():
    eqx = pytest.importorskip("equinox")
    keras.utils.set_random_seed(2)
    model = keras.Sequential([layers.Input((4,)), layers.Dense(8), layers.Dropout(0.5),
                              layers.Dense(3)])
    params, static = eqx.partition(model, eqx.is_inexact_array)
    leaves = jax.tree_util.tree_leaves(static)
    assert len(leaves) == 1 and leaves[0].dtype.kind in "iu"  # only the seed state
    again = eqx.combine(params, static)
    x = jnp.asarray(X)
    np.testing.assert_allclose(np.asarray(again(x)), np.asarray(model(x)), rtol=1e-6)
    grads = eqx.filter_grad(lambda m, x: jnp.sum(m(x) ** 2))(model, x)
    assert grads.layers[1].seed_generator.state.value is None
    w1, b1, w2, b2 = (v.numpy() for v in model.trainable_variables)
    out = (X @ w1 + b1) @ w2 + b2
    np.testing.assert_allclose(np.asarray(grads.layers[2].bias.value), 2 * out.sum(0),
                               rtol=1e-4)
    updated = eqx.apply_updates(model, jax.tree_util.tree_map(lambda g: -0.5 * g, grads))
    np.testing.assert_allclose(updated.layers[2].bias.numpy(), b2 - out.sum(0), rtol=1e-4)
    np.testing.assert_array_equal(updated.layers[1].seed_generator.state.numpy(),
                                  model.layers[1].seed_generator.state.numpy())


def test_vmap_over_a_stacked_ensemble_equals_a_loop_over_its_members():
    members = [_mlp(seed) for seed in range(4)]
    stacked = jax.tree_util.tree_map(lambda *a: jnp.stack(a), *members)
    x = jnp.asarray(X)
    out = jax.vmap(lambda m: m(x))(stacked)
    want = np.stack([np.asarray(m(x)) for m in members])
    np.testing.assert_allclose(np.asarray(out), want, rtol=1e-5, atol=1e-6)
    # per-member gradients in one vmapped grad
    grads = jax.vmap(jax.grad(_mse), in_axes=(0, None, None))(stacked, x, jnp.asarray(Y))
    for i, m in enumerate(members):
        g = jax.grad(_mse)(m, x, jnp.asarray(Y))
        np.testing.assert_allclose(np.asarray(grads.layers[1].kernel.value[i]),
                                   np.asarray(g.layers[1].kernel.value), rtol=1e-4, atol=1e-6)


def test_structure_follows_python_configuration_so_jit_caches_stay_correct():
    a, b, c = _mlp(0), _mlp(1), _mlp(1, activation="tanh")
    tree = jax.tree_util.tree_structure
    assert tree(a) == tree(b)  # same architecture, other weights: one structure
    assert tree(a) != tree(c)  # another activation: another computation
    with pytest.raises(ValueError):
        jax.tree_util.tree_map(lambda p, q: p + q, a, c)
    traces = []

    @jax.jit
    def forward(m, x):
        traces.append(None)
        return m(x)

    x = jnp.asarray(X)
    for m in (a, b, c):
        np.testing.assert_allclose(np.asarray(forward(m, x)), np.asarray(m(x)), rtol=1e-6)
    assert len(traces) == 2  # a and b share a trace, c (tanh) gets its own
