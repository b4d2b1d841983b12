"""keras.distribution on TensorFlow: DataParallel runs as a MirroredStrategy over the
listed devices (two logical CPUs, configured before TF initialises, hence the fresh
interpreter; about 15 s on the loaded 2-core machine: TF's import and the replicated
traces): weights, logs,
evaluate and predict equal single-device training on the same global batches."""

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

    d = keras.distribution
    assert d.list_devices() == ["cpu:0", "cpu:1"], d.list_devices()
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 5)).astype("float32")
    y = rng.normal(size=(40, 2)).astype("float32")

    def make():
        keras.utils.set_random_seed(0)
        m = keras.Sequential([layers.Input((5,)), layers.Dense(8, activation="tanh"),
                              layers.Dense(2)])
        m.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse", metrics=["mae"])
        return m

    kw = dict(batch_size=13, epochs=2, shuffle=False, verbose=0)
    ref = make()
    ref_hist = ref.fit(x, y, **kw).history
    ref_eval = ref.evaluate(x, y, batch_size=13, verbose=0, return_dict=True)
    ref_pred = ref.predict(x, batch_size=13, verbose=0)

    dp = d.DataParallel(devices=d.list_devices("cpu"))
    with dp.scope():
        m = make()
        hist = m.fit(x, y, **kw).history
        kernel = m.layers[0].kernel.value
        assert isinstance(kernel, tf.distribute.DistributedValues), type(kernel)
        assert sorted(c.device.rsplit("/", 1)[-1] for c in kernel.values) == \\
            ["device:CPU:0", "device:CPU:1"]
        ev = m.evaluate(x, y, batch_size=13, verbose=0, return_dict=True)
        pred = m.predict(x, batch_size=13, verbose=0)
    for u, v in zip(ref.get_weights(), m.get_weights()):
        np.testing.assert_allclose(u, v, rtol=1e-5, atol=1e-6)
    for k in ref_hist:
        np.testing.assert_allclose(hist[k], ref_hist[k], rtol=1e-5)
    for k in ref_eval:
        np.testing.assert_allclose(ev[k], ref_eval[k], rtol=1e-5)
    np.testing.assert_allclose(pred, ref_pred, rtol=1e-5, atol=1e-6)
    print("data parallel ok")

    mesh = d.DeviceMesh((2,), ["model"])
    lm = d.LayoutMap(mesh)
    lm[".*kernel"] = (None, "model")
    with d.ModelParallel(layout_map=lm).scope():
        m = make()
        try:
            m.fit(x, y, **kw)
        except ValueError as e:
            assert "ModelParallel is not supported on TensorFlow" in str(e), e
        else:
            raise AssertionError("ModelParallel on TF was accepted")
    print("model parallel refused ok")
''')


def test_tensorflow_data_parallel_is_mirrored_and_equals_one_device(tmp_path):
    env = dict(os.environ, UNIKERAS_BACKEND="tensorflow", TF_CPP_MIN_LOG_LEVEL="2")
    script = tmp_path / "tf_dp.py"
    script.write_text(SCRIPT)
    out = subprocess.run([sys.executable, str(script)], env=env, capture_output=True,
                         text=True, timeout=240)
    assert out.returncode == 0, out.stdout + out.stderr[-4000:]
    assert "data parallel ok" in out.stdout and "model parallel refused ok" in out.stdout
