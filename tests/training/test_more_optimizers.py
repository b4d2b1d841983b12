"""Ftrl, Lamb, Muon, ScheduleFreeAdamW, MultiOptimizer and OptimizerMap against Keras 3
itself on every framework (the cases of ``_keras_optimizer_refs.py``, run by Keras in a
subprocess and here with unikeras: same variables, paths and gradients, four updates),
under ``jax.jit`` through ``stateless_apply``, in ``fit``, and their configs."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

import unikeras as keras

sys.path.insert(0, str(Path(__file__).parent))
import _keras_optimizer_refs as cases  # noqa: E402

REFS = Path(__file__).with_name("_keras_optimizer_refs.py")


@pytest.fixture(scope="module")
def refs(keras_script_refs):
    return keras_script_refs(REFS)


def _check(key, vs, opt, refs, to_np):
    for i, v in enumerate(vs):
        np.testing.assert_allclose(to_np(v.value), refs[f"{key}/{i}"], rtol=2e-5, atol=2e-6,
                                   err_msg=f"{key}: {v.path}")
    assert int(to_np(opt.iterations.value)) == int(refs[f"{key}/iterations"])
    assert len(opt.variables) == int(refs[f"{key}/n_variables"])


@pytest.mark.parametrize("key", sorted(cases.CASES))
def test_matches_keras(key, framework, to_fw, to_np, refs):
    vs = cases.variables(keras)
    opt = cases.CASES[key](keras)
    for grads in cases.GRADS:
        opt.apply([to_fw(g, framework) for g in grads], vs)
    _check(key, vs, opt, refs, to_np)


@pytest.mark.parametrize("key", ["ftrl_reg", "lamb_wd", "muon", "schedule_free_opts",
                                 "multi_map"])
def test_stateless_apply_under_jax_jit(key, refs, to_np):
    jax = pytest.importorskip("jax")
    vs = cases.variables(keras)
    opt = cases.CASES[key](keras)
    opt.build(vs)
    for v in vs + opt.variables:
        v._move_to("jax")
    step = jax.jit(opt.stateless_apply)
    tv, ov = [v.value for v in vs], [v.value for v in opt.variables]
    for grads in cases.GRADS:
        tv, ov = step(ov, [jax.numpy.asarray(g) for g in grads], tv)
    for v, value in zip(vs, tv):
        v.assign(value)
    for v, value in zip(opt.variables, ov):
        v.assign(value)
    _check(key, vs, opt, refs, to_np)


@pytest.mark.parametrize("name", ["ftrl", "lamb", "muon", "schedule_free"])
def test_fit_lowers_the_loss(name, framework, to_fw):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 3)).astype("float32")
    y = x @ rng.normal(size=(3, 2)).astype("float32")
    keras.utils.set_random_seed(0)  # the initial weights (else they depend on earlier tests)
    m = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4), keras.layers.Dense(2)])
    opt = {"ftrl": keras.optimizers.Ftrl(0.5), "lamb": keras.optimizers.Lamb(0.05),
           "muon": keras.optimizers.Muon(0.05),
           "schedule_free": keras.optimizers.ScheduleFreeAdamW(0.05)}[name]
    m.compile(opt, "mse")
    h = m.fit(to_fw(x, framework), to_fw(y, framework), batch_size=16, epochs=4, verbose=0)
    assert h.history["loss"][-1] < 0.7 * h.history["loss"][0], h.history["loss"]


def test_multi_optimizer_in_fit_routes_variables(framework, to_fw, to_np):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(16, 3)).astype("float32")
    y = rng.normal(size=(16, 2)).astype("float32")
    m = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, name="frozen_ish"),
                          keras.layers.Dense(2, name="head")])
    before = [to_np(w) for w in m.get_weights()]
    sgd0 = keras.optimizers.SGD(0.0)
    adam = keras.optimizers.Adam(0.01)
    m.compile(keras.optimizers.MultiOptimizer(keras.optimizers.OptimizerMap(
        adam, {".*frozen_ish.*": sgd0})), "mse")
    m.fit(to_fw(x, framework), to_fw(y, framework), batch_size=8, epochs=1, verbose=0)
    after = m.get_weights()
    np.testing.assert_array_equal(after[0], before[0])  # lr 0: unchanged
    assert not np.allclose(after[2], before[2])
    assert int(to_np(adam.iterations.value)) == 2 and int(to_np(sgd0.iterations.value)) == 2


def test_configs_and_errors():
    for opt in (keras.optimizers.Ftrl(0.1, l1_regularization_strength=0.1),
                keras.optimizers.Lamb(0.01, beta_1=0.8),
                keras.optimizers.Muon(exclude_layers=["head"], rms_rate=None),
                keras.optimizers.ScheduleFreeAdamW(warmup_steps=5)):
        back = keras.optimizers.deserialize(keras.optimizers.serialize(opt))
        assert type(back) is type(opt) and back.get_config() == opt.get_config()
    multi = keras.optimizers.MultiOptimizer(keras.optimizers.OptimizerMap(
        keras.optimizers.Adam(0.01), {"a.*": keras.optimizers.SGD(0.1)}), name="mo")
    back = keras.optimizers.deserialize(keras.optimizers.serialize(multi))
    assert isinstance(back, keras.optimizers.MultiOptimizer) and back.name == "mo"
    assert [type(o).__name__ for o in back.optimizers] == ["SGD", "Adam"]
    with pytest.raises(AttributeError, match="cannot be accessed on a MultiOptimizer"):
        multi.learning_rate  # noqa: B018
    omap = keras.optimizers.OptimizerMap(keras.optimizers.Adam(), {"x.*": keras.optimizers.SGD(),
                                                                   "xy.*": keras.optimizers.SGD()})
    with pytest.raises(ValueError, match="Multiple optimizers assigned to variable xyz"):
        omap["xyz"]
    with pytest.raises(ValueError, match="cannot be LossScaleOptimizer"):
        omap["z"] = keras.optimizers.LossScaleOptimizer(keras.optimizers.SGD())
    with pytest.raises(ValueError, match="`learning_rate_power` needs to be negative"):
        keras.optimizers.Ftrl(learning_rate_power=0.5)
    assert isinstance(keras.optimizers.get("schedulefreeadamw"), keras.optimizers.ScheduleFreeAdamW)
    assert keras.optimizers.ScheduleFreeAdamW().name == "schedule_free_adam_w"


def test_legacy_optimizers_refuse_as_keras3():
    for name in ("Adam", "SGD", "RMSprop", "Adagrad", "Ftrl", "Optimizer"):
        with pytest.raises(ImportError, match="`keras.optimizers.legacy` is not supported"):
            getattr(keras.optimizers.legacy, name)(learning_rate=0.1)
