"""keras.callbacks.OrbaxCheckpoint (orbax-checkpoint) on every framework: steps saved
every save_freq batches with max_to_keep, save_best_only, the background writes; an
Orbax directory read back by model.load_weights (weights, BatchNormalization statistics
and optimizer state equal to the trained model's) and keras.saving.load_model (config +
state: same predictions), a mismatching model refused with nothing assigned; Keras'
Model.get_state_tree / set_state_tree. Sharded
jax arrays: tests/distribution/test_jax_sharding.py."""

import os

import numpy as np
import pytest

pytest.importorskip("orbax.checkpoint")
pytest.importorskip("jax")

import unikeras as keras  # noqa: E402
from unikeras import layers  # noqa: E402


def _model(names=("a", "bn", "b")):
    m = keras.Sequential([layers.Input((4,)), layers.Dense(3, activation="relu", name=names[0]),
                          layers.BatchNormalization(name=names[1]), layers.Dense(2, name=names[2])],
                         name="net")
    m.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse", metrics=["mae"])
    return m


def _data(to_fw, framework):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 4)).astype("float32")
    return to_fw(x, framework), to_fw(x[:, :2] * 2.0, framework), x


def test_orbax_checkpoint_save_and_restore(framework, to_fw, to_np, tmp_path):
    x, y, x_np = _data(to_fw, framework)
    keras.utils.set_random_seed(0)
    m = _model()
    d = tmp_path / "ckpt"
    cb = keras.callbacks.OrbaxCheckpoint(d, save_freq=2, max_to_keep=2)
    m.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0, callbacks=[cb])
    # 8 batches, a save every 2 (step = batches seen), the 2 latest kept
    assert sorted(int(n) for n in os.listdir(d) if n.isdigit()) == [6, 8]

    keras.utils.set_random_seed(5)
    m2 = _model()
    m2(x[:1])  # built, other weights; load_weights builds the optimizer to restore it
    m2.load_weights(str(d))
    for a, b in zip(m.get_weights(), m2.get_weights()):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(m.optimizer.variables, m2.optimizer.variables):
        assert a.path == b.path
        np.testing.assert_array_equal(np.asarray(a.numpy()), np.asarray(b.numpy()))
    assert int(m2.optimizer.iterations.numpy()) == 8

    m3 = keras.saving.load_model(str(d))
    assert [type(layer).__name__ for layer in m3.layers] == ["Dense", "BatchNormalization",
                                                            "Dense"]
    np.testing.assert_allclose(to_np(m3.predict(x, verbose=0)), to_np(m.predict(x, verbose=0)),
                               rtol=1e-6, atol=1e-6)

    # the state tree (Keras' get_state_tree / set_state_tree): nested by variable path
    tree = m.get_state_tree(value_format="numpy_array")
    assert sorted(tree) == ["metrics_variables", "non_trainable_variables",
                            "optimizer_variables", "trainable_variables"]
    np.testing.assert_array_equal(tree["trainable_variables"]["a"]["kernel"],
                                  m.layers[0].kernel.numpy())
    assert sorted(tree["non_trainable_variables"]["bn"]) == ["moving_mean", "moving_variance"]
    m3.layers[2].kernel.assign(np.zeros((3, 2), "float32"))
    m3.set_state_tree({"trainable_variables": tree["trainable_variables"]})
    np.testing.assert_array_equal(m3.layers[2].kernel.numpy(), m.layers[2].kernel.numpy())
    with pytest.raises(ValueError, match="value_format"):
        m.get_state_tree(value_format="list")

    # a model whose variable paths are not in the checkpoint: refused, nothing assigned
    other = _model(names=("p", "q", "r"))
    other(x[:1])
    before = [w.copy() for w in other.get_weights()]
    with pytest.raises(ValueError, match="p/kernel"):
        other.load_weights(str(d))
    for a, b in zip(before, other.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_orbax_checkpoint_best_only_weights_only(framework, to_fw, tmp_path):
    x, y, _ = _data(to_fw, framework)
    keras.utils.set_random_seed(0)
    m = _model()
    d = tmp_path / "best"
    cb = keras.callbacks.OrbaxCheckpoint(d, monitor="loss", save_best_only=True,
                                         save_weights_only=True, max_to_keep=None,
                                         save_on_background=False)
    hist = m.fit(x, y, batch_size=8, epochs=3, shuffle=False, verbose=0, callbacks=[cb]).history
    best = np.minimum.accumulate(hist["loss"])
    improved = [0] + [e for e in range(1, 3) if hist["loss"][e] < best[e - 1]]
    assert sorted(int(n) for n in os.listdir(d) if n.isdigit()) == improved
    with pytest.raises(ValueError, match="save_weights_only"):
        keras.saving.load_model(str(d))
    m2 = _model()
    m2(x[:1])
    m2.load_weights(str(d / str(improved[-1])))  # a step directory directly
    for a, b in zip(m.get_weights(), m2.get_weights()):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="save_freq"):
        keras.callbacks.OrbaxCheckpoint(d, save_freq="batch")
