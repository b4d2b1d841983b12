"""predict / evaluate over many batch sizes: one compiled step per distinct batch shape
on jax (no compiled helper per slice, conversion or concatenation), a bounded number of
traces on TensorFlow (no retracing warning), results equal to a NumPy reference."""

import logging

import numpy as np
import pytest

import unikeras as keras


def _model():
    keras.utils.set_random_seed(0)
    return keras.Sequential([keras.Input((4,)), keras.layers.Dense(5, activation="relu"),
                             keras.layers.Dense(2)])


def _reference(model, x):
    (k1, b1), (k2, b2) = [[np.asarray(keras.ops.convert_to_numpy(v)) for v in l.weights]
                          for l in model.layers]
    return np.maximum(x @ k1 + b1, 0) @ k2 + b2


class _Compiles(logging.Handler):
    """Counts XLA compilations by function name (jax_log_compiles' records)."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.names = []

    def emit(self, record):
        msg = record.getMessage()
        if msg.startswith("Compiling "):
            self.names.append(msg.split()[1])


@pytest.fixture
def jax_compiles():
    jax = pytest.importorskip("jax")
    handler = _Compiles()
    loggers = [logging.getLogger(n) for n in ("jax._src.interpreters.pxla", "jax._src.dispatch")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.addHandler(handler)
        lg.setLevel(logging.DEBUG)
    with jax.log_compiles(True):
        yield handler.names
    for lg, lvl in zip(loggers, levels):
        lg.removeHandler(handler)
        lg.setLevel(lvl)


@pytest.mark.parametrize("source", ["numpy", "jax"])
def test_jax_predict_compiles_once_per_batch_shape(jax_compiles, source):
    import jax.numpy as jnp

    from unikeras.xp import set_default_framework, default_framework

    prev = default_framework()
    set_default_framework("jax")
    try:
        model = _model()
        x = np.random.default_rng(0).normal(size=(23, 4)).astype("float32")
        data = jnp.asarray(x) if source == "jax" else x
        head = data[:7]
        model.predict(data[:2], batch_size=2, verbose=0)  # warm-up: builds, compiles (2, 4)
        del jax_compiles[:]
        sizes = [1, 2, 3, 5, 8, 23]
        outs = [model.predict(data, batch_size=bs, verbose=0) for bs in sizes]
        # distinct batch shapes met: the batch sizes and the partial last batches
        shapes = {n for bs in sizes for n in (bs, 23 % bs) if n} - {2}
        assert len(jax_compiles) == len(shapes), jax_compiles
        assert set(jax_compiles) == {"jit(step)"}, jax_compiles
        # a second sweep compiles nothing
        del jax_compiles[:]
        for bs in sizes:
            model.predict(data, batch_size=bs, verbose=0)
            model.predict(head, batch_size=bs, verbose=0)  # shapes all met before
        assert jax_compiles == []
        expected = _reference(model, x)
        for out in outs:
            assert isinstance(out, np.ndarray) if source == "numpy" else isinstance(out, jnp.ndarray)
            np.testing.assert_allclose(np.asarray(out), expected, rtol=1e-5, atol=1e-5)
    finally:
        set_default_framework(prev)


def test_jax_evaluate_and_fit_take_jax_arrays_without_slicing_compiles(jax_compiles):
    import jax.numpy as jnp

    from unikeras.xp import set_default_framework, default_framework

    prev = default_framework()
    set_default_framework("jax")
    try:
        model = _model()
        model.compile(optimizer="sgd", loss="mse")
        rng = np.random.default_rng(1)
        x = rng.normal(size=(20, 4)).astype("float32")
        y = rng.normal(size=(20, 2)).astype("float32")
        xj, yj = jnp.asarray(x), jnp.asarray(y)
        del jax_compiles[:]
        model.fit(xj, yj, batch_size=6, epochs=1, shuffle=True, verbose=0)
        loss = model.evaluate(xj, yj, batch_size=20, verbose=0)
        np.testing.assert_allclose(loss, np.mean((_reference(model, x) - y) ** 2), rtol=1e-5)
        assert not any("slice" in n or "take" in n or "stage" in n or "concatenate" in n
                       for n in jax_compiles), jax_compiles
    finally:
        set_default_framework(prev)


def test_tensorflow_predict_sweep_traces_a_bounded_number_of_times():
    tf = pytest.importorskip("tensorflow")
    model = _model()
    x = np.random.default_rng(2).normal(size=(23, 4)).astype("float32")
    xt = tf.constant(x)
    for bs in range(1, 24):
        out = model.predict(xt, batch_size=bs, verbose=0)
        np.testing.assert_allclose(out.numpy(), _reference(model, x), rtol=1e-5, atol=1e-5)
    fn = model._trainers["tensorflow"]._predict
    # reduce_retracing: the second shape relaxes the batch axis; TF warns from 5 traces
    assert fn.experimental_get_tracing_count() <= 3


def test_tensorflow_evaluate_sweep_traces_a_bounded_number_of_times():
    """evaluate over batch sizes 1..23: the test step relaxes its batch axis after the
    second shape (as predict), so TF traces it at most three times and never warns;
    every loss equals the NumPy mean squared error."""
    tf = pytest.importorskip("tensorflow")
    model = _model()
    model.compile(optimizer="sgd", loss="mse")
    rng = np.random.default_rng(4)
    x = rng.normal(size=(23, 4)).astype("float32")
    y = rng.normal(size=(23, 2)).astype("float32")
    ref = np.mean((_reference(model, x) - y) ** 2)
    for bs in range(1, 24):
        loss = model.evaluate(tf.constant(x), tf.constant(y), batch_size=bs, verbose=0)
        np.testing.assert_allclose(loss, ref, rtol=1e-5)
    fn = model._trainers["tensorflow"]._test
    assert fn.experimental_get_tracing_count() <= 3


def test_torch_predict_sweep_matches_reference():
    torch = pytest.importorskip("torch")
    model = _model()
    x = np.random.default_rng(3).normal(size=(11, 4)).astype("float32")
    for bs in (1, 4, 11):
        out = model.predict(torch.from_numpy(x), batch_size=bs, verbose=0)
        assert isinstance(out, torch.Tensor)
        np.testing.assert_allclose(out.detach().numpy(), _reference(model, x), rtol=1e-5, atol=1e-5)
