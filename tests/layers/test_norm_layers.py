"""Normalization layers against Keras 3 (the reference), on every installed framework:
BatchNormalization (inference, training, moving statistics, masks, the fit path of
each trainer), LayerNormalization, RMSNormalization, GroupNormalization,
UnitNormalization."""

from __future__ import annotations

import numpy as np
import pytest

from unikeras import layers
from unikeras.xp import asarray, set_default_framework, to_numpy


def _randomize(klayer, rng):
    ws = [rng.uniform(0.5, 1.5, size=w.shape).astype("float32") for w in klayer.get_weights()]
    klayer.set_weights(ws)
    return ws


RNG = np.random.default_rng(0)


# ------------------------------------------------------------------- BatchNormalization
@pytest.mark.parametrize("axis,shape", [(-1, (6, 4)), (1, (3, 4, 5)), (-1, (2, 3, 3, 2))])
def test_batchnorm_matches_keras(keras, any_framework, axis, shape, keras_np, run_layer):
    x = (RNG.normal(size=shape) * 3 + 1).astype("float32")
    k = keras.layers.BatchNormalization(axis=axis, momentum=0.8)
    k.build(shape)
    ws = _randomize(k, RNG)
    u = layers.BatchNormalization(axis=axis, momentum=0.8)
    u.build(shape)
    u.set_weights(ws)
    # inference: moving statistics
    np.testing.assert_allclose(run_layer(u, x, any_framework, training=False),
                               keras_np(k(x, training=False)), rtol=1e-5, atol=1e-5)
    # training: batch statistics, and the moving statistics move like Keras'
    np.testing.assert_allclose(run_layer(u, x, any_framework, training=True),
                               keras_np(k(x, training=True)), rtol=1e-5, atol=1e-5)
    for got, want in zip(u.get_weights(), k.get_weights()):
        np.testing.assert_allclose(got, keras_np(want), rtol=1e-5, atol=1e-6)
    assert not np.allclose(u.get_weights()[2], ws[2])


def test_batchnorm_weights_order_and_flags(keras):
    k = keras.layers.BatchNormalization(center=False)
    k.build((2, 3))
    u = layers.BatchNormalization(center=False)
    u.build((2, 3))
    assert [w.shape for w in u.weights] == [tuple(w.shape) for w in k.weights]
    assert [w.name for w in u.weights] == ["gamma", "moving_mean", "moving_variance"]
    assert [w.trainable for w in u.weights] == [True, False, False]


def test_batchnorm_masked_training_matches_keras(keras, framework, keras_np, run_layer):
    x = RNG.normal(size=(3, 5, 4)).astype("float32")
    mask = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1], [1, 0, 0, 0, 0]], dtype=bool)
    k = keras.layers.BatchNormalization(momentum=0.5)
    k.build(x.shape)
    u = layers.BatchNormalization(momentum=0.5)
    u.build(x.shape)
    u.set_weights(k.get_weights())
    np.testing.assert_allclose(run_layer(u, x, framework, training=True, mask=mask),
                               keras_np(k(x, training=True, mask=mask)), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(u.get_weights()[2], keras_np(k.moving_mean), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(u.get_weights()[3], keras_np(k.moving_variance), rtol=1e-5,
                               atol=1e-6)


def test_batchnorm_not_trainable_uses_moving_stats(framework, run_layer):
    x = RNG.normal(size=(4, 3)).astype("float32") + 5
    u = layers.BatchNormalization()
    u.build(x.shape)
    u.trainable = False
    before = u.get_weights()
    out = run_layer(u, x, framework, training=True)
    np.testing.assert_allclose(out, x / np.sqrt(1 + 1e-3), rtol=1e-5)
    for a, b in zip(before, u.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_batchnorm_stateless_call_returns_new_statistics(framework):
    x = RNG.normal(size=(8, 3)).astype("float32") + 2
    u = layers.BatchNormalization(momentum=0.5)
    u.build(x.shape)
    tv = [asarray(v.numpy(), framework=framework) for v in u.trainable_variables]
    ntv = [asarray(v.numpy(), framework=framework) for v in u.non_trainable_variables]
    _, new_ntv = u.stateless_call(tv, ntv, asarray(x, framework=framework), training=True)
    np.testing.assert_allclose(to_numpy(new_ntv[0]), 0.5 * x.mean(0), rtol=1e-5)
    np.testing.assert_allclose(to_numpy(new_ntv[1]), 0.5 + 0.5 * x.var(0), rtol=1e-5)
    # the layer's own state is untouched
    np.testing.assert_array_equal(u.moving_mean.numpy(), np.zeros(3, "float32"))


def test_batchnorm_fit_updates_moving_stats_on_every_trainer():
    """A Sequential with BatchNormalization, fit 1 epoch with each framework's trainer
    (jax: stateless jitted step; torch: in place; tensorflow: tf.function): the moving
    statistics move, and the three frameworks agree."""
    import unikeras as uk
    from unikeras.xp import installed_frameworks

    x = RNG.normal(size=(32, 4)).astype("float32") * 2 + 1
    y = RNG.normal(size=(32, 1)).astype("float32")
    results = {}
    init = None
    for fw in installed_frameworks():
        model = uk.Sequential([layers.Input(shape=(4,)), layers.Dense(3),
                               layers.BatchNormalization(momentum=0.9), layers.Dense(1)])
        if init is None:
            init = model.get_weights()
        model.set_weights(init)
        model.compile(optimizer=uk.optimizers.SGD(learning_rate=0.01), loss="mse")
        model.fit(asarray(x, framework=fw), asarray(y, framework=fw), batch_size=16,
                  epochs=1, shuffle=False, verbose=0)
        bn = model.layers[1]
        results[fw] = (bn.moving_mean.numpy(), bn.moving_variance.numpy())
        assert not np.allclose(results[fw][0], 0.0), fw
        assert not np.allclose(results[fw][1], 1.0), fw
    assert len(results) >= 2
    ref = next(iter(results.values()))
    for fw, (mm, mv) in results.items():
        np.testing.assert_allclose(mm, ref[0], rtol=1e-4, atol=1e-5, err_msg=fw)
        np.testing.assert_allclose(mv, ref[1], rtol=1e-4, atol=1e-5, err_msg=fw)


def test_batchnorm_errors():
    with pytest.raises(ValueError, match="renorm"):
        layers.BatchNormalization(renorm=True)
    u = layers.BatchNormalization(axis=3)
    with pytest.raises(ValueError, match='BatchNormalization layer ".*axis 3 is out of bounds'):
        u.build((2, 3))
    u = layers.BatchNormalization()
    u.build((2, 3, 4))
    set_default_framework("numpy")
    with pytest.raises(ValueError, match="mask must have one dimension less"):
        u(np.ones((2, 3, 4), "float32"), training=True, mask=np.ones((2, 3, 4), bool))
    with pytest.raises(ValueError, match="expected axis -1 of input shape to have value 4"):
        u(np.ones((2, 3, 5), "float32"))


# ------------------------------------------------------------------- other norms
NORM_CASES = [
    ("LayerNormalization", {}, (3, 5)),
    ("LayerNormalization", {"axis": [1, 2]}, (2, 3, 4)),
    ("LayerNormalization", {"axis": 1, "center": False}, (2, 3, 4)),
    ("LayerNormalization", {"axis": [-1], "scale": False, "epsilon": 0.1}, (2, 3, 4)),
    ("RMSNormalization", {}, (3, 6)),
    ("RMSNormalization", {"axis": [1, 2]}, (2, 3, 4)),
    ("GroupNormalization", {"groups": 2}, (2, 5, 4)),
    ("GroupNormalization", {"groups": -1, "axis": 1}, (2, 3, 2, 2)),
    ("GroupNormalization", {"groups": 1, "center": False}, (2, 3, 6)),
    ("UnitNormalization", {}, (3, 5)),
    ("UnitNormalization", {"axis": [1, 2]}, (2, 3, 4)),
]


@pytest.mark.parametrize("name,kwargs,shape", NORM_CASES,
                         ids=[f"{n}-{i}" for i, (n, _, _) in enumerate(NORM_CASES)])
def test_norm_matches_keras(keras, any_framework, name, kwargs, shape, keras_np, run_layer):
    x = (RNG.normal(size=shape) * 2 + 0.5).astype("float32")
    k = getattr(keras.layers, name)(**kwargs)
    k.build(shape)
    ws = _randomize(k, RNG)
    u = getattr(layers, name)(**kwargs)
    u.build(shape)
    u.set_weights(ws)
    assert [w.shape for w in u.weights] == [tuple(w.shape) for w in k.weights]
    np.testing.assert_allclose(run_layer(u, x, any_framework), keras_np(k(x)),
                               rtol=1e-5, atol=1e-5)


def test_layernorm_rms_scaling_matches_keras(keras, framework, keras_np, run_layer):
    x = RNG.normal(size=(3, 4)).astype("float32") + 1
    with pytest.warns(UserWarning):
        k = keras.layers.LayerNormalization(rms_scaling=True)
    k.build(x.shape)
    ws = _randomize(k, RNG)
    with pytest.warns(UserWarning, match="deprecated"):
        u = layers.LayerNormalization(rms_scaling=True)
    u.build(x.shape)
    u.set_weights(ws)
    np.testing.assert_allclose(run_layer(u, x, framework), keras_np(k(x)), rtol=1e-5, atol=1e-5)


def test_layernorm_half_precision_computes_in_float32(framework, run_layer):
    x = (RNG.normal(size=(2, 8)) * 100).astype("float16")
    u = layers.LayerNormalization(dtype="float16")
    out = run_layer(u, x, framework)
    assert out.dtype == np.float16
    x64 = x.astype(np.float64)
    ref = (x64 - x64.mean(-1, keepdims=True)) / np.sqrt(x64.var(-1, keepdims=True) + 1e-3)
    np.testing.assert_allclose(out.astype(np.float64), ref, rtol=2e-3, atol=2e-3)


@pytest.mark.parametrize("name,kwargs", [
    ("BatchNormalization", {"axis": 1, "momentum": 0.9, "epsilon": 0.01, "center": False,
                            "gamma_initializer": "random_normal"}),
    ("LayerNormalization", {"axis": [1, 2], "epsilon": 0.1}),
    ("RMSNormalization", {"epsilon": 0.5}),
    ("GroupNormalization", {"groups": 3, "beta_regularizer": "l2"}),
    ("UnitNormalization", {"axis": [1]}),
])
def test_norm_config_round_trip(name, kwargs):
    u = getattr(layers, name)(**kwargs)
    cfg = u.get_config()
    v = getattr(layers, name).from_config(cfg)
    cfg2 = v.get_config()
    cfg.pop("name")
    cfg2.pop("name")
    assert cfg == cfg2
    back = layers.deserialize(layers.serialize(u))
    assert type(back) is type(u)


@pytest.mark.parametrize("name,kwargs,shape,call_kw", [
    ("BatchNormalization", {}, (4, 3), {"training": True}),
    ("BatchNormalization", {"axis": 1}, (2, 3, 2), {}),
    ("LayerNormalization", {"axis": [1, 2]}, (2, 3, 4), {}),
    ("RMSNormalization", {}, (2, 3), {}),
    ("GroupNormalization", {"groups": 2}, (2, 3, 4), {}),
    ("UnitNormalization", {}, (2, 3), {}),
])
def test_norm_runs_on_array_api_strict(name, kwargs, shape, call_kw):
    """The forward pass uses only the Array API standard: it runs on array_api_strict."""
    import array_api_strict as xps

    x = RNG.normal(size=shape).astype("float32")
    u = getattr(layers, name)(**kwargs)
    ref_layer = getattr(layers, name)(**kwargs)
    set_default_framework("numpy")
    ref = ref_layer(x, **call_kw)
    u.build(shape)
    u.set_weights(ref_layer.get_weights() if not call_kw else u.get_weights())
    out = u(xps.asarray(x), **call_kw)
    assert type(out).__module__.startswith("array_api_strict")
    np.testing.assert_allclose(np.asarray(out._array), ref, rtol=1e-5, atol=1e-6)


def test_group_and_layer_norm_errors():
    with pytest.raises(ValueError, match="groups must be a positive int"):
        layers.GroupNormalization(groups=0)
    g = layers.GroupNormalization(groups=3)
    with pytest.raises(ValueError, match=r"number of channels \(4\) must be a multiple of groups \(3\)"):
        g.build((2, 4))
    g = layers.GroupNormalization(groups=8)
    with pytest.raises(ValueError, match=r"groups \(8\) cannot be more than the number of channels \(4\)"):
        g.build((2, 4))
    with pytest.raises(TypeError, match="LayerNormalization: expected an int or a list"):
        layers.LayerNormalization(axis="x")
    ln = layers.LayerNormalization(axis=5)
    with pytest.raises(ValueError, match='LayerNormalization layer ".*axis 5 is out of bounds'):
        ln.build((2, 3))
