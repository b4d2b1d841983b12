"""Native training loops, each in its framework's own idiom, on unikeras models."""

import numpy as np
import pytest

import unikeras as keras
from unikeras import layers, xp


def _data(n=256, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 10)).astype("float32")
    y = (x @ rng.normal(size=(10, 3))).argmax(-1).astype("int64")
    return x, y


def _model(with_state=False):
    keras.utils.set_random_seed(0)
    body = [layers.Input((10,)), layers.Dense(32, activation="relu")]
    if with_state:
        body += [layers.BatchNormalization(), layers.Dropout(0.2, seed=1)]
    return keras.Sequential(body + [layers.Dense(3)])


def test_torch_optim_loop():
    torch = pytest.importorskip("torch")
    x, y = _data()
    x, y = torch.from_numpy(x), torch.from_numpy(y)
    model = _model()
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    loss_fn = torch.nn.CrossEntropyLoss()
    losses = []
    for epoch in range(30):
        loss = loss_fn(model(x, training=True), y)
        model.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]
    # the model's own variables were trained in place
    assert model.framework == "torch"
    np.testing.assert_allclose(model.layers[0].kernel.numpy(),
                               next(iter(model.parameters())).detach().numpy())


def test_tf_gradient_tape_loop_under_xla():
    tf = pytest.importorskip("tensorflow")
    x, y = _data()
    x, y = tf.constant(x), tf.constant(y)
    model = _model()
    model(x[:1])
    optimizer = keras.optimizers.Adam(1e-2)
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    @tf.function(jit_compile=True)
    def step(x, y):
        with tf.GradientTape() as tape:
            loss = loss_fn(y, model(x, training=True))
        optimizer.apply(tape.gradient(loss, model.trainable_weights), model.trainable_weights)
        return loss

    losses = [float(step(x, y)) for _ in range(30)]
    assert losses[-1] < 0.5 * losses[0]
    assert int(optimizer.iterations.numpy()) == 30


def test_jax_stateless_loop_with_batchnorm_and_dropout():
    jax = pytest.importorskip("jax")
    jnp = jax.numpy
    x, y = _data()
    x, y = jnp.asarray(x), jnp.asarray(y)
    model = _model(with_state=True)
    model(x[:2])
    optimizer = keras.optimizers.Adam(1e-2)
    optimizer.build(model.trainable_variables)
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    def compute_loss(tv, ntv, x, y):
        y_pred, ntv = model.stateless_call(tv, ntv, x, training=True)
        return loss_fn(y, y_pred), ntv

    @jax.jit
    def train_step(state, x, y):
        tv, ntv, ov = state
        (loss, ntv), grads = jax.value_and_grad(compute_loss, has_aux=True)(tv, ntv, x, y)
        tv, ov = optimizer.stateless_apply(ov, grads, tv)
        return loss, (tv, ntv, ov)

    state = ([v.value for v in model.trainable_variables],
             [v.value for v in model.non_trainable_variables],
             [v.value for v in optimizer.variables])
    bn_mean_before = np.asarray(state[1][0])
    seed_before = None
    losses = []
    for _ in range(30):
        loss, state = train_step(state, x, y)
        losses.append(float(loss))
    assert losses[-1] < 0.5 * losses[0]
    names = [v.path for v in model.non_trainable_variables]
    means = [s for s, n in zip(state[1], names) if "moving_mean" in n][0]
    assert not np.allclose(np.asarray(means), bn_mean_before)  # BN statistics carried
    seeds = [s for s, n in zip(state[1], names) if "seed" in n]
    assert seeds and int(np.asarray(seeds[0])[1]) == 30  # dropout seed advanced each step
    # the model itself is untouched until the state is written back
    np.testing.assert_allclose(model.non_trainable_variables[0].numpy(), bn_mean_before)
    for v, val in zip(model.trainable_variables, state[0]):
        v.assign(val)
    preds = model.predict(np.asarray(x), verbose=0)
    assert (preds.argmax(-1) == np.asarray(y)).mean() > 0.8
