"""keras.layers.JaxLayer / FlaxLayer (Keras 3.15 signatures): pure JAX functions and
Flax linen modules as trainable layers, trained with fit and compared with the wrapped
function itself."""

import numpy as np
import pytest

jax = pytest.importorskip("jax")
jnp = jax.numpy

import unikeras as keras  # noqa: E402
from unikeras import layers  # noqa: E402

RNG = np.random.default_rng(0)
X = RNG.normal(size=(32, 4)).astype("float32")
Y = (X @ RNG.normal(size=(4, 3))).astype("float32")


def mlp_init(rng, inputs):
    k1, k2 = jax.random.split(rng)
    return {"dense1": {"w": jax.random.normal(k1, (inputs.shape[-1], 8)) * 0.3,
                       "b": jnp.zeros(8)},
            "dense2": {"w": jax.random.normal(k2, (8, 3)) * 0.3, "b": jnp.zeros(3)}}


def mlp_call(params, inputs):
    h = jax.nn.relu(inputs @ params["dense1"]["w"] + params["dense1"]["b"])
    return h @ params["dense2"]["w"] + params["dense2"]["b"]


def _values(tree):
    return jax.tree_util.tree_map(lambda v: jnp.asarray(v.numpy()), tree)


def test_jax_layer_trains_with_fit_like_sgd_on_the_pure_function():
    keras.utils.set_random_seed(0)
    layer = layers.JaxLayer(mlp_call, init_fn=mlp_init)
    model = keras.Sequential([layers.Input((4,)), layer])
    assert len(model.trainable_variables) == 4 and not model.non_trainable_variables
    params0 = _values(layer.params)
    np.testing.assert_allclose(np.asarray(model(jnp.asarray(X))),
                               np.asarray(mlp_call(params0, X)), rtol=1e-6)

    def loss(p):
        return jnp.mean((mlp_call(p, X) - Y) ** 2)

    want = params0
    for _ in range(3):  # full-batch SGD on the pure function
        want = jax.tree_util.tree_map(lambda p, g: p - 0.1 * g, want, jax.grad(loss)(want))
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    history = model.fit(X, Y, batch_size=32, epochs=3, shuffle=False, verbose=0)
    got = _values(layer.params)
    for g, w in zip(jax.tree_util.tree_leaves(got), jax.tree_util.tree_leaves(want)):
        np.testing.assert_allclose(np.asarray(g), np.asarray(w), rtol=1e-4, atol=1e-6)
    assert history.history["loss"][0] == pytest.approx(float(loss(params0)), rel=1e-5)
    np.testing.assert_allclose(model.predict(X, verbose=0), np.asarray(mlp_call(got, X)),
                               rtol=1e-5, atol=1e-6)


def test_jax_layer_with_given_params_state_rng_and_training():
    """call_fn(params, state, rng, inputs, training): dropout from the layer's keys in
    training only; a training-step counter in `state` updated by fit."""

    def call_fn(params, state, rng, inputs, training):
        y = inputs @ params["w"]
        if training:
            y = y * jax.random.bernoulli(rng, 0.5, y.shape) * 2.0
        return y, {"steps": state["steps"] + (1 if training else 0)}

    w = RNG.normal(size=(4, 3)).astype("float32")
    layer = layers.JaxLayer(call_fn, params={"w": w}, state={"steps": jnp.zeros((), "int32")},
                            seed=3)
    assert layer.built and layer.params["w"].trainable and not layer.state["steps"].trainable
    x = jnp.asarray(X)
    np.testing.assert_allclose(np.asarray(layer(x)), X @ w, rtol=1e-5)  # inference: no rng
    a, b = layer(x, training=True), layer(x, training=True)
    assert not np.allclose(np.asarray(a), np.asarray(b))  # a new key per call
    for out in (a, b):  # each entry dropped (0) or doubled
        ratio = np.asarray(out) / (X @ w)
        assert np.all(np.isclose(ratio, 0, atol=1e-4) | np.isclose(ratio, 2, rtol=1e-4))
    model = keras.Sequential([layers.Input((4,)), layer])
    model.compile(optimizer="adam", loss="mse")
    before = int(layer.state["steps"].numpy())
    model.fit(X, Y, batch_size=8, epochs=2, verbose=0)
    assert int(layer.state["steps"].numpy()) == before + 8


def test_flax_layer_trains_with_fit_and_matches_module_apply():
    nn = pytest.importorskip("flax.linen")

    class Net(nn.Module):
        @nn.compact
        def __call__(self, x, training):
            x = nn.Dense(8)(x)
            x = nn.BatchNorm(use_running_average=not training, momentum=0.9)(x)
            x = nn.relu(x)
            x = nn.Dropout(0.25, deterministic=not training)(x)
            return nn.Dense(3)(x)

    module = Net()
    variables = module.init({"params": jax.random.key(0), "dropout": jax.random.key(1)},
                            jnp.asarray(X), training=False)
    layer = layers.FlaxLayer(module, variables=variables)
    model = keras.Sequential([layers.Input((4,)), layer])
    assert len(model.trainable_variables) == 6  # 2 dense kernels/biases, BN scale/bias
    assert len(model.non_trainable_weights) == 2  # BN mean/var
    np.testing.assert_allclose(model.predict(X, verbose=0),
                               np.asarray(module.apply(variables, X, training=False)),
                               rtol=1e-5, atol=1e-6)
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="mse")
    history = model.fit(X, Y, batch_size=8, epochs=5, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    trained = {"params": _values(layer.params["params"]), **_values(layer.state)}
    assert not np.allclose(np.asarray(trained["batch_stats"]["BatchNorm_0"]["mean"]), 0)
    np.testing.assert_allclose(model.predict(X, verbose=0),
                               np.asarray(module.apply(trained, X, training=False)),
                               rtol=1e-4, atol=1e-5)


def test_flax_layer_builds_from_module_init_without_training_argument():
    nn = pytest.importorskip("flax.linen")

    class Lin(nn.Module):
        features: int = 3

        @nn.compact
        def __call__(self, x):
            return nn.Dense(self.features)(x)

    keras.utils.set_random_seed(1)
    layer = layers.FlaxLayer(Lin(features=2))
    y = layer(jnp.asarray(X))
    assert y.shape == (32, 2)
    variables = {"params": _values(layer.params["params"])}
    np.testing.assert_allclose(np.asarray(y), np.asarray(Lin(features=2).apply(variables, X)),
                               rtol=1e-6)
    config = layer.get_config()
    assert config["module"]["class_name"] == "Lin" and config["module"]["config"] == {
        "features": 2}
    again = layers.FlaxLayer.from_config(config, custom_objects={"Lin": Lin})
    assert again.module == Lin(features=2)


def test_jax_layer_config_round_trip_and_errors():
    def init_fn(rng, inputs):
        return {"w": jnp.ones((inputs.shape[-1], 2))}

    def call_fn(params, inputs):
        return inputs @ params["w"]

    layer = layers.JaxLayer(call_fn, init_fn=init_fn, name="wrapped")
    config = layer.get_config()
    again = layers.JaxLayer.from_config(config, custom_objects={"call_fn": call_fn,
                                                                 "init_fn": init_fn})
    np.testing.assert_allclose(np.asarray(again(jnp.asarray(X))), X @ np.ones((4, 2)),
                               rtol=1e-5)
    with pytest.raises(ValueError, match="unsupported argument in `call_fn`: `weights`"):
        layers.JaxLayer(lambda weights, inputs: inputs)
    with pytest.raises(ValueError, match="cannot all be `None`"):
        layers.JaxLayer(call_fn)
    torch = pytest.importorskip("torch")
    with pytest.raises(ValueError, match="'wrapped' runs on jax only.*cannot run on torch"):
        again(torch.ones(2, 4))
    model = keras.Sequential([layers.Input((4,)), again])
    with pytest.raises(ValueError, match="'wrapped' runs on jax only.*cannot run on torch"):
        model(torch.ones(2, 4))
    np.testing.assert_allclose(np.asarray(model(jnp.asarray(X))), X @ np.ones((4, 2)),
                               rtol=1e-5)  # still on jax, still working


def test_flax_layer_models_are_pytrees_for_jit_and_ensembles(recwarn):
    nn = pytest.importorskip("flax.linen")

    class Net(nn.Module):
        @nn.compact
        def __call__(self, x, training):
            x = nn.BatchNorm(use_running_average=not training)(nn.Dense(8)(x))
            return nn.Dense(3)(nn.relu(x))

    def member(seed):
        keras.utils.set_random_seed(seed)
        return keras.Sequential([layers.Input((4,)), layers.FlaxLayer(Net())])

    members = [member(s) for s in range(3)]
    traces = []

    @jax.jit
    def forward(model, x):
        traces.append(None)
        return model(x)

    x = jnp.asarray(X)
    for m in members:
        np.testing.assert_allclose(np.asarray(forward(m, x)), m.predict(X, verbose=0),
                                   rtol=1e-5, atol=1e-6)
    assert len(traces) == 1  # equal modules, equal structure: one trace for all three
    assert not [w for w in recwarn if "raw framework transform" in str(w.message)]
    stacked = jax.tree_util.tree_map(lambda *a: jnp.stack(a), *members)
    out = jax.vmap(lambda m: m(x))(stacked)
    np.testing.assert_allclose(np.asarray(out), np.stack([m.predict(X, verbose=0)
                                                          for m in members]),
                               rtol=1e-5, atol=1e-6)
