"""keras.distribution on JAX (jax.sharding) over 4 host CPU devices: data-parallel and
model-parallel fit/evaluate/predict equal single-device training on the same global
batches, variables (optimizer slots included) have the shardings asked for, and a
.weights.h5 saved from sharded variables, and an Orbax checkpoint of the sharded arrays
(OrbaxCheckpoint), load into a sharded and an unsharded model. The
device count must be set before jax is imported, so the checks run in a fresh
interpreter (about 15 s on the loaded 2-core machine: one jax start, several models
traced for 1 and 4 devices)."""

import os
import subprocess
import sys
import textwrap

import pytest

pytest.importorskip("jax")

SCRIPT = textwrap.dedent('''
    import sys
    import numpy as np, jax
    from jax.sharding import NamedSharding, PartitionSpec as P
    import unikeras as keras
    from unikeras import layers

    d = keras.distribution
    WEIGHTS = sys.argv[1]
    assert d.list_devices() == ["cpu:0", "cpu:1", "cpu:2", "cpu:3"], d.list_devices()
    assert d.get_device_count("cpu") == 4

    rng = np.random.default_rng(0)
    x = rng.normal(size=(72, 6)).astype("float32")
    y = rng.normal(size=(72, 4)).astype("float32")

    def make():
        keras.utils.set_random_seed(1)
        m = keras.Sequential([layers.Input((6,)), layers.Dense(8, activation="relu"),
                              layers.BatchNormalization(), layers.Dense(4)])
        m.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse", metrics=["mae"])
        return m

    def same(a, b):
        for u, v in zip(a.get_weights(), b.get_weights()):
            np.testing.assert_allclose(u, v, rtol=2e-5, atol=2e-6)

    # batch 16 over 72 rows: 4 full batches and a last one of 8 rows (sharded 2 per
    # device); batch 20 leaves 12 rows, sharded 3 per device
    kw = dict(batch_size=16, epochs=2, shuffle=False, verbose=0)
    ref = make()
    ref_hist = ref.fit(x, y, **kw).history
    ref_eval = ref.evaluate(x, y, batch_size=20, verbose=0, return_dict=True)
    ref_pred = ref.predict(x, batch_size=20, verbose=0)

    # 1. data parallel over the 4 devices: set_distribution, then built and fitted
    dp = d.DataParallel()
    d.set_distribution(dp)
    m = make()
    hist = m.fit(x, y, **kw).history
    mesh = dp.device_mesh.backend_mesh
    assert m.layers[0].kernel.value.sharding == NamedSharding(mesh, P(None, None))
    assert len(m.layers[0].kernel.value.sharding.device_set) == 4
    # the batches the jitted step gets are split along the batch axis
    batch = m._trainers["jax"]._distributed((jax.numpy.asarray(x[:16]),))
    assert batch[0].sharding.spec == P("batch", None), batch[0].sharding
    assert [s.data.shape for s in batch[0].addressable_shards] == [(4, 6)] * 4
    same(ref, m)
    for k in ref_hist:
        np.testing.assert_allclose(hist[k], ref_hist[k], rtol=2e-5)
    ev = m.evaluate(x, y, batch_size=20, verbose=0, return_dict=True)
    for k in ref_eval:
        np.testing.assert_allclose(ev[k], ref_eval[k], rtol=2e-5)
    np.testing.assert_allclose(m.predict(x, batch_size=20, verbose=0), ref_pred,
                               rtol=2e-5, atol=2e-6)
    d.set_distribution(None)
    print("data parallel ok")

    # 2. model parallel: Dense kernels split over "model" on a 2x2 mesh, via the scope
    mesh = d.DeviceMesh((2, 2), ["batch", "model"])
    lm = d.LayoutMap(mesh)
    lm[".*dense.*kernel"] = (None, "model")
    lm[".*dense.*bias"] = ("model",)
    mp = d.ModelParallel(layout_map=lm)
    with mp.scope():
        m = make()
        m.fit(x, y, **kw)
        jm = mesh.backend_mesh
        for layer in (m.layers[0], m.layers[2]):
            assert layer.kernel.value.sharding == NamedSharding(jm, P(None, "model"))
            assert layer.bias.value.sharding == NamedSharding(jm, P("model"))
            assert layer.kernel.value.addressable_shards[0].data.shape == \\
                (layer.kernel.shape[0], layer.kernel.shape[1] // 2)
        # optimizer slots follow their variables
        slots = {v.path: v.value.sharding.spec for v in m.optimizer.variables}
        k0 = m.layers[0].kernel.path.replace("/", "_")
        assert slots[f"{m.optimizer.name}/{k0}_momentum"] == P(None, "model"), slots
        assert slots[f"{m.optimizer.name}/{k0}_velocity"] == P(None, "model"), slots
        assert m.layers[1].gamma.value.sharding.spec == P()
        same(ref, m)
        np.testing.assert_allclose(m.predict(x, batch_size=20, verbose=0), ref_pred,
                                   rtol=2e-5, atol=2e-6)
        # .weights.h5 from sharded variables, loaded into a model laid out the same way
        m.save_weights(WEIGHTS)
        m2 = make()
        m2.load_weights(WEIGHTS)
        np.testing.assert_allclose(m2.predict(x, batch_size=20, verbose=0), ref_pred,
                                   rtol=2e-5, atol=2e-6)
        assert m2.layers[0].kernel.value.sharding == NamedSharding(jm, P(None, "model"))
        # an Orbax checkpoint of the sharded arrays (OrbaxCheckpoint), restored into a
        # model laid out the same way (each array read into its sharding)
        def named():
            keras.utils.set_random_seed(3)
            n = keras.Sequential([layers.Input((6,)), layers.Dense(8, name="dense_a"),
                                  layers.Dense(4, name="dense_b")], name="n")
            n.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
            return n
        m4 = named()
        cb = keras.callbacks.OrbaxCheckpoint(WEIGHTS + ".orbax", save_on_background=False)
        m4.fit(x, y, **dict(kw, epochs=1), callbacks=[cb])
        assert m4.layers[0].kernel.value.sharding.spec == P(None, "model")
        m5 = named()
        m5.fit(x[:16], y[:16], batch_size=16, epochs=1, verbose=0)  # laid out, other values
        m5.load_weights(WEIGHTS + ".orbax")
        same(m4, m5)
        assert m5.layers[0].kernel.value.sharding == NamedSharding(jm, P(None, "model"))
        slot = [v for v in m5.optimizer.variables if v.path.endswith("dense_a_kernel_momentum")][0]
        assert slot.value.sharding.spec == P(None, "model")
    assert d.distribution() is None
    # ... into a model with no distribution (one device), from either file
    m6 = named()
    m6(jax.numpy.asarray(x[:2]))  # lives on jax
    m6.load_weights(WEIGHTS + ".orbax")
    same(m4, m6)
    assert len(m6.layers[0].kernel.value.sharding.device_set) == 1
    # ... and the .weights.h5 into a model with no distribution (one device, unsharded)
    plain = make()
    plain.load_weights(WEIGHTS)
    same(ref, plain)
    np.testing.assert_allclose(plain.predict(jax.numpy.asarray(x), batch_size=20, verbose=0),
                               ref_pred, rtol=2e-5, atol=2e-6)
    assert len(plain.layers[0].kernel.value.sharding.device_set) == 1
    print("model parallel ok")

    # 3. distribute_tensor, eagerly and under jit; a layout that cannot divide is refused
    t = d.distribute_tensor(jax.numpy.ones((4, 8)), d.TensorLayout(("batch", "model"), mesh))
    assert t.sharding.spec == P("batch", "model")
    f = jax.jit(lambda a: d.distribute_tensor(a * 2, d.TensorLayout((None, "model"), mesh)))
    assert f(t).sharding.spec == P(None, "model")
    lm = d.LayoutMap(mesh)
    lm[".*dense.*kernel"] = ("model", None)
    with d.ModelParallel(layout_map=lm).scope():
        m = keras.Sequential([layers.Input((5,)), layers.Dense(4)])  # 5 rows over 2
        m.compile(optimizer="sgd", loss="mse")
        try:
            m.fit(x[:, :5], y, **kw)
        except ValueError as e:
            assert "cannot be laid out" in str(e) and "kernel" in str(e), e
        else:
            raise AssertionError("an indivisible layout was accepted")
    print("distribute_tensor ok")
''')


def test_jax_data_and_model_parallel_equal_one_device(tmp_path):
    env = dict(os.environ, XLA_FLAGS="--xla_force_host_platform_device_count=4",
               UNIKERAS_BACKEND="jax", JAX_PLATFORMS="cpu")
    script = tmp_path / "jax_sharding.py"
    script.write_text(SCRIPT)
    out = subprocess.run([sys.executable, str(script), str(tmp_path / "mp.weights.h5")], env=env, capture_output=True,
                         text=True, timeout=240)
    assert out.returncode == 0, out.stdout + out.stderr
    for step in ("data parallel ok", "model parallel ok", "distribute_tensor ok"):
        assert step in out.stdout
