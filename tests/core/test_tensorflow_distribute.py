"""A unikeras model inside tf.distribute strategies a TF user opens, checked against
single-device training on the same global batches. TensorFlow's logical devices must be
configured before it initialises, so the checks run in a fresh interpreter with two
logical CPU devices. Over 10 s (about 30 s alone on 2 cores): one process pays TF's
import once and traces each strategy's replicated steps; splitting it would pay both
again per case."""

import importlib.util
import os
import subprocess
import sys
import textwrap

import pytest

pytest.importorskip("tensorflow")

SCRIPT = textwrap.dedent('''
    import numpy as np, tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    import unikeras as keras
    from unikeras import layers

    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 5)).astype("float32")
    y = rng.normal(size=(40, 2)).astype("float32")

    def make(compile_=True):
        keras.utils.set_random_seed(0)
        m = keras.Sequential([layers.Input((5,)), layers.Dense(8, activation="tanh"),
                              layers.Dense(2)])
        if compile_:
            m.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse", metrics=["mae"])
        return m

    def same(a, b):
        for u, v in zip(a.get_weights(), b.get_weights()):
            np.testing.assert_allclose(u, v, rtol=1e-5, atol=1e-6)

    # one device: the reference (batch 13: shards 6/7, and a last batch of 1 row that
    # leaves one replica an empty shard)
    fit_kw = dict(batch_size=13, epochs=2, shuffle=False, verbose=0)
    ref = make()
    ref_hist = ref.fit(tf.constant(x), tf.constant(y), **fit_kw).history
    ref_eval = ref.evaluate(x, y, batch_size=13, verbose=0, return_dict=True)
    ref_pred = ref.predict(x, batch_size=13, verbose=0)

    mirrored = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    assert mirrored.num_replicas_in_sync == 2

    # 1. built and fitted in the scope, NumPy data (runs on TensorFlow in a TF scope)
    with mirrored.scope():
        m = make()
        assert isinstance(m.layers[0].kernel.value, tf.distribute.DistributedValues)
        hist = m.fit(x, y, **fit_kw).history
        assert isinstance(m.optimizer.variables[2].value, tf.distribute.DistributedValues)
    copies = m.layers[0].kernel.value.values
    assert len(copies) == 2 and copies[0].device != copies[1].device
    np.testing.assert_array_equal(copies[0].numpy(), copies[1].numpy())
    same(ref, m)
    for k in ref_hist:
        np.testing.assert_allclose(hist[k], ref_hist[k], rtol=1e-5)
    ev = m.evaluate(x, y, batch_size=13, verbose=0, return_dict=True)
    for k in ref_eval:
        np.testing.assert_allclose(ev[k], ref_eval[k], rtol=1e-5)
    np.testing.assert_allclose(m.predict(x, batch_size=13, verbose=0), ref_pred, rtol=1e-5,
                               atol=1e-6)
    print("fit in scope ok")

    # 2. called in the scope first, then fit outside it: the model's strategy trains it
    with mirrored.scope():
        m = make()
        m(tf.constant(x[:2]))
    m.fit(x, y, **fit_kw)
    same(ref, m)
    print("called in scope, fit outside ok")

    # 3. a plain TF model moved into a scope: fit there re-makes its state mirrored
    m = make()
    m(tf.constant(x[:2]))
    assert not isinstance(m.layers[0].kernel.value, tf.distribute.DistributedValues)
    with mirrored.scope():
        m.fit(x, y, **fit_kw)
    assert isinstance(m.layers[0].kernel.value, tf.distribute.DistributedValues)
    same(ref, m)
    print("moved into scope ok")

    # 4. OneDeviceStrategy
    with tf.distribute.OneDeviceStrategy("/cpu:1").scope():
        m = make()
        m.fit(x, y, **fit_kw)
    same(ref, m)
    print("one device ok")

    # 5. CentralStorageStrategy: one copy of each variable, compute on both devices
    # (metric state is one "sum" variable every replica writes: the deltas add up)
    with tf.distribute.experimental.CentralStorageStrategy(["/cpu:0", "/cpu:1"]).scope():
        m = make()
        hist = m.fit(x, y, **fit_kw).history
    same(ref, m)
    for k in ref_hist:
        np.testing.assert_allclose(hist[k], ref_hist[k], rtol=1e-5)
    central = tf.distribute.experimental.CentralStorageStrategy(["/cpu:0", "/cpu:1"])
    with central.scope():  # built there, trained outside: still under that strategy
        m = make()
    runs = []
    original_run = central.run
    central.run = lambda *a, **k: runs.append(1) or original_run(*a, **k)
    m.fit(x, y, **fit_kw)
    assert runs, "fit outside the scope did not run under the model's strategy"
    same(ref, m)
    print("central storage ok")

    # 6. a model made by one strategy, trained under another: refused, saying why
    other = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    with mirrored.scope():
        m = make()
        m(tf.constant(x[:2]))
    try:
        with other.scope():
            m.fit(x, y, **fit_kw)
    except (ValueError, RuntimeError) as e:  # ours, or TF's own when it reads first
        assert ("another tf.distribute strategy" in str(e)
                or "Mixing different tf.distribute.Strategy objects" in str(e)), e
    else:
        raise AssertionError("training under another strategy was not refused")
    print("other strategy refused ok")

    # 6b. another framework's arrays in a TF scope: refused (it would not be replicated)
    import importlib.util
    if importlib.util.find_spec("jax") is not None:
        import jax.numpy as jnp
        with mirrored.scope():
            m = make()
            try:
                m.fit(jnp.asarray(x), jnp.asarray(y), **fit_kw)
            except ValueError as e:
                assert "would not be replicated" in str(e), e
            else:
                raise AssertionError("fit on jax arrays in a TF scope was not refused")
        print("other framework refused ok")

    # 7. the TF guide's custom loop: strategy.run, tf.nn.compute_average_loss over the
    # global batch, optimizer.apply in the replica function; vs a one-device loop
    ref = make(False)
    ref_opt = keras.optimizers.Adam(0.01)

    @tf.function
    def ref_step(xb, yb):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(ref(xb, training=True) - yb))
        ref_opt.apply(tape.gradient(loss, ref.trainable_weights), ref.trainable_weights)
        return loss

    with mirrored.scope():
        model = make(False)
        optimizer = keras.optimizers.Adam(0.01)
    dataset = tf.data.Dataset.from_tensor_slices((x, y)).batch(10)

    @tf.function
    def dist_step(batch):
        def replica_fn(xb, yb):
            with tf.GradientTape() as tape:
                per_example = tf.reduce_mean(tf.square(model(xb, training=True) - yb), -1)
                loss = tf.nn.compute_average_loss(per_example, global_batch_size=10)
            grads = tape.gradient(loss, model.trainable_weights)
            optimizer.apply(grads, model.trainable_weights)
            return loss
        return mirrored.reduce("SUM", mirrored.run(replica_fn, args=batch), axis=None)

    for epoch in range(2):
        for (xb, yb), batch in zip(dataset, mirrored.experimental_distribute_dataset(dataset)):
            np.testing.assert_allclose(float(dist_step(batch)), float(ref_step(xb, yb)),
                                       rtol=1e-5)
    same(ref, model)
    assert int(optimizer.iterations.numpy()) == 8
    print("custom loop ok")
''')


def test_strategies_replicate_and_match_single_device_training():
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", UNIKERAS_BACKEND="tensorflow",
               PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    proc = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                          timeout=300, env=env)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-5000:]
    steps = ["fit in scope", "called in scope, fit outside", "moved into scope",
             "one device", "central storage", "other strategy refused", "custom loop"]
    if importlib.util.find_spec("jax") is not None:
        steps.append("other framework refused")
    for step in steps:
        assert f"{step} ok" in proc.stdout, proc.stdout
