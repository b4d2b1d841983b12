"""Dynamic loss scaling (``LossScaleOptimizer``) on every framework: a non-finite step is
skipped (variables, slots and iterations unchanged) and halves the scale, finite steps
apply the unscaled gradients and double the scale every ``dynamic_growth_steps``; the same
inside the traced paths (``jax.jit`` over ``stateless_apply``, ``tf.function``,
``torch.compile``); ``compile`` wraps the optimizer under ``mixed_float16``; fits match
Keras 3's own (``_keras_loss_scale_refs.py``, JAX backend) step for step."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import unikeras as keras
from unikeras.state import Variable

REFS = Path(__file__).with_name("_keras_loss_scale_refs.py")


@pytest.fixture
def mixed_float16():
    keras.mixed_precision.set_global_policy("mixed_float16")
    yield
    keras.mixed_precision.set_global_policy(None)


def _reference(grads_seq, w0, lr, momentum, initial_scale, growth):
    """NumPy dynamic loss scaling around SGD with momentum (the gradients given are the
    scaled ones the train step would produce)."""
    w, m = w0.astype("float64"), np.zeros_like(w0, "float64")
    scale, counter, iterations = initial_scale, 0, 0
    for g in grads_seq:
        if not np.all(np.isfinite(g)):
            scale, counter = scale / 2, 0
            continue
        g = g.astype("float64") / scale
        m = momentum * m - lr * g
        w = w + m
        iterations += 1
        if counter == growth - 1:
            scale, counter = scale * 2, 0
        else:
            counter += 1
    return w, m, scale, counter, iterations


_SEQ = [np.array([1.0, np.inf, 2.0], "float32"), np.array([3.0, -1.0, 0.5], "float32") * 4096,
        np.array([np.nan, 0.0, 0.0], "float32"), np.array([-2.0, 1.0, 1.0], "float32") * 2048,
        np.array([1.0, 1.0, -3.0], "float32") * 2048, np.array([0.5, 2.0, 1.0], "float32") * 4096,
        np.array([1.0, -1.0, 1.0], "float32") * 4096]


def _check(opt, w, w0, n):
    rw, rm, scale, counter, iterations = _reference(_SEQ[:n], w0, 0.1, 0.9, 2.0 ** 12, 2)
    np.testing.assert_allclose(w.numpy(), rw, rtol=1e-5)
    np.testing.assert_allclose(opt.inner_optimizer._momentums[0].numpy(), rm, rtol=1e-5)
    assert float(opt.dynamic_scale.numpy()) == scale
    assert int(opt.step_counter.numpy()) == counter
    assert int(opt.iterations.numpy()) == iterations


def _make(framework):
    w0 = np.array([1.0, -2.0, 0.5], "float32")
    opt = keras.optimizers.LossScaleOptimizer(keras.optimizers.SGD(0.1, momentum=0.9),
                                              initial_scale=2.0 ** 12, dynamic_growth_steps=2)
    w = Variable(w0, name="w")
    opt.build([w])
    return opt, w, w0


def test_skips_non_finite_steps_and_adapts_the_scale(framework, to_fw):
    opt, w, w0 = _make(framework)
    for n, g in enumerate(_SEQ, 1):
        opt.apply([to_fw(g, framework)], [w])
        _check(opt, w, w0, n)
    # the first step was skipped and halved the scale
    assert _reference(_SEQ[:1], w0, 0.1, 0.9, 2.0 ** 12, 2)[2] == 2.0 ** 11


@pytest.mark.filterwarnings("ignore:Dynamo does not know")
def test_traced_steps_skip_and_adapt_the_same_way(framework, to_fw):
    opt, w, w0 = _make(framework)
    if framework == "jax":
        import jax

        step = jax.jit(lambda ov, g, tv: opt.stateless_apply(ov, [g], tv))
        for n, g in enumerate(_SEQ, 1):
            tv, ov = step([v.value for v in opt.variables], to_fw(g, framework), [w.value])
            w.assign(tv[0])
            for v, value in zip(opt.variables, ov):
                v.assign(value)
            _check(opt, w, w0, n)
    elif framework == "tensorflow":
        import tensorflow as tf

        opt.apply([to_fw(_SEQ[0], framework)], [w])  # place the state on TF first

        @tf.function
        def step(g):
            opt.apply([g], [w])

        for n, g in enumerate(_SEQ[1:], 2):
            step(to_fw(g, framework))
            _check(opt, w, w0, n)
    else:
        import torch

        step = torch.compile(lambda g: opt.apply([g], [w]), backend="eager")
        for n, g in enumerate(_SEQ, 1):
            step(to_fw(g, framework))
            _check(opt, w, w0, n)


def test_scale_loss_and_config():
    inner = keras.optimizers.Adam(0.01)
    opt = keras.mixed_precision.LossScaleOptimizer(inner)
    assert opt.initial_scale == 2.0 ** 15 and opt.dynamic_growth_steps == 2000
    assert keras.optimizers.LossScaleOptimizer is keras.mixed_precision.LossScaleOptimizer
    assert float(opt.scale_loss(np.float32(2.0))) == 2.0 ** 16
    opt.learning_rate = 0.5
    assert float(np.asarray(inner.learning_rate)) == 0.5
    cfg = keras.optimizers.serialize(opt)
    assert cfg["class_name"] == "LossScaleOptimizer"
    assert cfg["config"]["inner_optimizer"]["class_name"] == "Adam"
    back = keras.optimizers.deserialize(cfg)
    assert isinstance(back.inner_optimizer, keras.optimizers.Adam)
    assert back.initial_scale == 2.0 ** 15
    with pytest.raises(ValueError, match="does not support `clipnorm`"):
        keras.optimizers.LossScaleOptimizer(inner, clipnorm=1.0)
    with pytest.raises(ValueError, match="dynamic=False"):
        keras.optimizers.LossScaleOptimizer(inner, dynamic=False)
    # the inner optimizer's own static factor is switched off (no double scaling)
    inner2 = keras.optimizers.SGD(loss_scale_factor=8.0)
    keras.optimizers.LossScaleOptimizer(inner2)
    assert inner2.loss_scale_factor is None


def _model(refs):
    m = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"),
                          keras.layers.Dense(1, dtype="float32")])
    m.set_weights([refs[f"w{i}"] for i in range(4)])
    return m


def test_compile_wraps_under_mixed_float16_and_fit_matches_keras(framework, mixed_float16,
                                                                 keras_script_refs):
    refs = keras_script_refs(REFS)
    m = _model(refs)
    m.compile(keras.optimizers.SGD(0.05, momentum=0.5), "mse")
    assert isinstance(m.optimizer, keras.optimizers.LossScaleOptimizer)
    assert m.optimizer.name == "loss_scale_optimizer"
    assert isinstance(m.optimizer.inner_optimizer, keras.optimizers.SGD)
    h = m.fit(_fw_data(refs["x"], framework), _fw_data(refs["y"], framework), batch_size=8,
              epochs=3, verbose=0, shuffle=False)
    # Keras skipped the first step (its float16 gradients overflowed at 2**15)
    assert float(refs["auto_scale"]) == 2.0 ** 14 and int(refs["auto_iterations"]) == 11
    assert float(m.optimizer.dynamic_scale.numpy()) == float(refs["auto_scale"])
    assert int(m.optimizer.iterations.numpy()) == int(refs["auto_iterations"])
    np.testing.assert_allclose(h.history["loss"], refs["auto_loss"], rtol=5e-3)
    for i, wi in enumerate(m.get_weights()):
        np.testing.assert_allclose(wi, refs[f"auto_after{i}"], rtol=1e-2, atol=2e-3)

    # compile(auto_scale_loss=False) keeps the optimizer as given
    m2 = _model(refs)
    m2.compile("sgd", "mse", auto_scale_loss=False)
    assert isinstance(m2.optimizer, keras.optimizers.SGD)


def test_overflowing_fit_skips_steps_like_keras(framework, mixed_float16, keras_script_refs):
    refs = keras_script_refs(REFS)
    m = _model(refs)
    m.compile(keras.optimizers.LossScaleOptimizer(keras.optimizers.Adam(0.01),
                                                  initial_scale=2.0 ** 24,
                                                  dynamic_growth_steps=3), "mse")
    h = m.fit(_fw_data(refs["x"], framework), _fw_data(refs["y"], framework), batch_size=8,
              epochs=3, verbose=0, shuffle=False)
    assert float(m.optimizer.dynamic_scale.numpy()) == float(refs["high_scale"])
    assert int(m.optimizer.step_counter.numpy()) == int(refs["high_counter"])
    assert int(m.optimizer.iterations.numpy()) == int(refs["high_iterations"])
    np.testing.assert_allclose(h.history["loss"], refs["high_loss"], rtol=5e-3)
    for i, wi in enumerate(m.get_weights()):
        np.testing.assert_allclose(wi, refs[f"high_after{i}"], rtol=1e-2, atol=2e-3)


def _fw_data(a, framework):
    from unikeras.xp import asarray

    return asarray(a, framework=framework)



def test_keras_files_keep_the_loss_scale_state(framework, mixed_float16, keras_script_refs,
                                               tmp_path, to_fw):
    """A Keras-written mixed_float16 model loads with its LossScaleOptimizer state (scale,
    iterations, inner slots); unikeras writes the file in Keras' layout (the inner
    optimizer's group too) and reads it back."""
    import zipfile

    import h5py

    refs = keras_script_refs(REFS)
    m = keras.saving.load_model(refs["dir"] / "mixed.keras")
    assert isinstance(m.optimizer, keras.optimizers.LossScaleOptimizer)
    assert float(m.optimizer.dynamic_scale.numpy()) == float(refs["auto_scale"])
    assert int(m.optimizer.iterations.numpy()) == int(refs["auto_iterations"])
    for i, wi in enumerate(m.get_weights()):
        np.testing.assert_allclose(wi, refs[f"auto_after{i}"], rtol=1e-6)
    x, y = to_fw(refs["x"], framework), to_fw(refs["y"], framework)
    m.fit(x, y, batch_size=8, epochs=1, verbose=0, shuffle=False)
    path = tmp_path / "again.keras"
    m.save(path)
    with zipfile.ZipFile(path) as z, z.open("model.weights.h5") as f, h5py.File(f) as h5:
        n_inner = len(h5["optimizer/inner_optimizer/vars"])
        assert len(h5["optimizer/vars"]) == 4 + n_inner
    back = keras.saving.load_model(path)
    assert float(back.optimizer.dynamic_scale.numpy()) == float(m.optimizer.dynamic_scale.numpy())
    assert int(back.optimizer.iterations.numpy()) == int(m.optimizer.iterations.numpy())
    for a, b in zip(back.optimizer.variables, m.optimizer.variables):
        np.testing.assert_array_equal(np.asarray(a.numpy()), np.asarray(b.numpy()))
