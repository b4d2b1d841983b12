"""Optimizers vs NumPy references of their published update formulas (written here,
float64), on every installed framework; stateless_apply under jax.jit; the torch
_foreach fast path vs the generic path; Keras 3's own optimizers on the same gradients."""

from __future__ import annotations

import numpy as np
import pytest

from unikeras import optimizers
from unikeras.state import Variable
from unikeras.xp import to_numpy

SHAPES = [(3, 4), (4,)]
STEPS = 4


def _grads(seed=0, steps=STEPS):
    rng = np.random.default_rng(seed)
    return [[rng.normal(size=s).astype("float32") for s in SHAPES] for _ in range(steps)]


def _init(seed=1):
    rng = np.random.default_rng(seed)
    return [rng.normal(size=s).astype("float32") for s in SHAPES]


# ------------------------------------------------------------------ NumPy references
def _ref(name, cfg, ws, grads_seq, lr):
    """Run the reference update of optimizer ``name`` in float64; returns the weights."""
    ws = [w.astype("float64") for w in ws]
    st = [dict() for _ in ws]
    zeros = lambda w: np.zeros_like(w)  # noqa: E731
    u_prod = 1.0
    for t0, grads in enumerate(grads_seq):
        t = t0 + 1
        if name == "Nadam":
            b1 = cfg.get("beta_1", 0.9)
            u_prod_prev = u_prod
            u_prod = u_prod * b1 * (1 - 0.5 * 0.96 ** t)
        wd = cfg.get("weight_decay")
        for i, (w, g) in enumerate(zip(ws, grads)):
            g = g.astype("float64")
            s = st[i]
            if wd:
                w = w - w * wd * lr
            if name == "SGD":
                mom, nest = cfg.get("momentum", 0.0), cfg.get("nesterov", False)
                if mom:
                    m = s.get("m", zeros(w))
                    m = mom * m - lr * g
                    s["m"] = m
                    w = w + (mom * m - lr * g if nest else m)
                else:
                    w = w - lr * g
            elif name in ("Adam", "AdamW"):
                b1, b2, eps = cfg.get("beta_1", 0.9), cfg.get("beta_2", 0.999), cfg.get("epsilon", 1e-7)
                m = s.get("m", zeros(w)) * b1 + (1 - b1) * g
                v = s.get("v", zeros(w)) * b2 + (1 - b2) * g * g
                s["m"], s["v"] = m, v
                if cfg.get("amsgrad"):
                    v = np.maximum(s.get("vh", zeros(w)), v)
                    s["vh"] = v
                mhat, vhat_scale = m / (1 - b1 ** t), 1 / (1 - b2 ** t)
                # Keras' form: lr * sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + eps)
                w = w - lr * np.sqrt(1 - b2 ** t) / (1 - b1 ** t) * m / (np.sqrt(v) + eps)
                del mhat, vhat_scale
            elif name == "Adamax":
                b1, b2, eps = 0.9, 0.999, 1e-7
                m = s.get("m", zeros(w)) * b1 + (1 - b1) * g
                u = np.maximum(b2 * s.get("u", zeros(w)), np.abs(g))
                s["m"], s["u"] = m, u
                w = w - lr * m / ((1 - b1 ** t) * (u + eps))
            elif name == "Nadam":
                b1, b2, eps = 0.9, 0.999, 1e-7
                m = s.get("m", zeros(w)) * b1 + (1 - b1) * g
                v = s.get("v", zeros(w)) * b2 + (1 - b2) * g * g
                s["m"], s["v"] = m, v
                mu_t = b1 * (1 - 0.5 * 0.96 ** t)
                mu_t1 = b1 * (1 - 0.5 * 0.96 ** (t + 1))
                m_hat = mu_t1 * m / (1 - u_prod * mu_t1) + (1 - mu_t) * g / (1 - u_prod)
                v_hat = v / (1 - b2 ** t)
                w = w - lr * m_hat / (np.sqrt(v_hat) + eps)
                del u_prod_prev
                u_prod_prev = None
            elif name == "RMSprop":
                rho, mom, eps, cen = cfg.get("rho", 0.9), cfg.get("momentum", 0.0), 1e-7, cfg.get("centered", False)
                v = rho * s.get("v", zeros(w)) + (1 - rho) * g * g
                s["v"] = v
                if cen:
                    a = rho * s.get("a", zeros(w)) + (1 - rho) * g
                    s["a"] = a
                    den = v - a * a + eps
                else:
                    den = v + eps
                inc = lr * g / np.sqrt(den)
                if mom:
                    m = mom * s.get("m", zeros(w)) + inc
                    s["m"] = m
                    w = w - m
                else:
                    w = w - inc
            elif name == "Adagrad":
                a = s.get("a", np.full_like(w, cfg.get("initial_accumulator_value", 0.1))) + g * g
                s["a"] = a
                w = w - lr * g / np.sqrt(a + 1e-7)
            elif name == "Adadelta":
                rho, eps = cfg.get("rho", 0.95), 1e-7
                eg = rho * s.get("eg", zeros(w)) + (1 - rho) * g * g
                ed = s.get("ed", zeros(w))
                d = -np.sqrt(ed + eps) / np.sqrt(eg + eps) * g
                s["eg"], s["ed"] = eg, rho * ed + (1 - rho) * d * d
                w = w + lr * d
            elif name == "Lion":
                b1, b2 = cfg.get("beta_1", 0.9), cfg.get("beta_2", 0.99)
                m = s.get("m", zeros(w))
                w = w - lr * np.sign(b1 * m + (1 - b1) * g)
                s["m"] = b2 * m + (1 - b2) * g
            elif name == "Adafactor":
                e1, e2, clip, dec = 1e-30, 1e-3, 1.0, -0.8
                rho_t = min(lr, 1 / np.sqrt(t))
                alpha = max(e2, np.sqrt(np.mean(w * w))) * rho_t
                g2 = g * g + e1
                b2t = 1 - t ** dec
                if w.ndim >= 2:
                    r = b2t * s.get("r", np.zeros(w.shape[:-1])) + (1 - b2t) * g2.mean(-1)
                    c = b2t * s.get("c", np.zeros(w.shape[:-2] + w.shape[-1:])) + (1 - b2t) * g2.mean(-2)
                    s["r"], s["c"] = r, c
                    v = (r / r.mean(-1, keepdims=True))[..., None] * c[..., None, :]
                else:
                    v = b2t * s.get("v", zeros(w)) + (1 - b2t) * g2
                    s["v"] = v
                u = g / np.sqrt(v)
                u = u / max(1.0, np.sqrt(np.mean(u * u)) / clip)
                w = w - alpha * u
            else:
                raise AssertionError(name)
            ws[i] = w
    return ws


CASES = [
    ("SGD", {}), ("SGD", {"momentum": 0.9}), ("SGD", {"momentum": 0.8, "nesterov": True}),
    ("Adam", {}), ("Adam", {"amsgrad": True}), ("AdamW", {"weight_decay": 0.05}),
    ("Adamax", {}), ("Nadam", {}),
    ("RMSprop", {}), ("RMSprop", {"momentum": 0.5, "centered": True}),
    ("Adagrad", {}), ("Adadelta", {}), ("Lion", {}), ("Adafactor", {}),
]
IDS = [f"{n}-{'-'.join(f'{k}={v}' for k, v in c.items())}" if c else n for n, c in CASES]
LR = {"Adadelta": 1.0, "Lion": 0.01}


def _lr(name):
    return LR.get(name, 0.05)


def _run(fw, to_fw, name, cfg, grads_seq, **extra):
    opt = getattr(optimizers, name)(learning_rate=_lr(name), **cfg, **extra)
    vs = [Variable(w) for w in _init()]
    for grads in grads_seq:
        opt.apply([to_fw(g, fw) for g in grads], vs)
    return opt, vs


@pytest.mark.parametrize("name,cfg", CASES, ids=IDS)
def test_update_matches_reference(framework, to_fw, name, cfg):
    grads_seq = _grads()
    opt, vs = _run(framework, to_fw, name, cfg, grads_seq)
    expected = _ref(name, cfg, _init(), grads_seq, _lr(name))
    for v, e in zip(vs, expected):
        assert v.framework == framework
        np.testing.assert_allclose(v.numpy(), e, rtol=2e-4, atol=2e-5)
    assert int(to_numpy(opt.iterations.value)) == STEPS


@pytest.mark.parametrize("name,cfg", CASES, ids=IDS)
def test_stateless_apply_under_jax_jit(name, cfg):
    jax = pytest.importorskip("jax")
    import jax.numpy as jnp

    grads_seq = _grads()
    opt = getattr(optimizers, name)(learning_rate=_lr(name), **cfg)
    vs = [Variable(w) for w in _init()]
    opt.build(vs)
    opt._move_to("jax")
    for v in vs:
        v._move_to("jax")
    step = jax.jit(opt.stateless_apply)
    tvals = [v.value for v in vs]
    ovals = [v.value for v in opt.variables]
    for grads in grads_seq:
        tvals, ovals = step(ovals, [jnp.asarray(g) for g in grads], tvals)
    expected = _ref(name, cfg, _init(), grads_seq, _lr(name))
    for t, e in zip(tvals, expected):
        np.testing.assert_allclose(np.asarray(t), e, rtol=2e-4, atol=2e-5)
    # pure: the stateful variables did not move
    for v, w in zip(vs, _init()):
        np.testing.assert_array_equal(v.numpy(), w)
    assert int(ovals[0]) == STEPS


FUSED = [c for c in CASES if c[0] in ("SGD", "Adam", "AdamW") and not c[1].get("amsgrad")]


@pytest.mark.parametrize("name,cfg", FUSED, ids=[f"{n}-{c}" for n, c in FUSED])
def test_torch_fused_path_equals_generic(monkeypatch, to_fw, name, cfg):
    pytest.importorskip("torch")
    from unikeras.training.optimizers import torch as fused_mod

    calls = []
    orig = fused_mod.fused_optimizer_update

    def spy(*a):
        r = orig(*a)
        calls.append(r)
        return r

    grads_seq = _grads(seed=3)
    monkeypatch.setattr(fused_mod, "fused_optimizer_update", spy)
    _, fast = _run("torch", to_fw, name, cfg, grads_seq, clipnorm=1.0)
    assert calls and all(calls), "the fused path was not taken"
    monkeypatch.setattr(fused_mod, "fused_optimizer_update", lambda *a: False)
    _, slow = _run("torch", to_fw, name, cfg, grads_seq, clipnorm=1.0)
    for a, b in zip(fast, slow):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5, atol=1e-6)


def test_torch_fused_path_declines_uncovered(to_fw):
    pytest.importorskip("torch")
    from unikeras.training.optimizers.torch import fused_optimizer_update

    for opt in (optimizers.Adam(amsgrad=True), optimizers.RMSprop()):
        vs = [Variable(w) for w in _init()]
        opt.build(vs)
        opt._move_to("torch")
        for v in vs:
            v._move_to("torch")
        grads = [to_fw(g, "torch") for g in _grads(steps=1)[0]]
        assert fused_optimizer_update(opt, grads, vs, 0.1) is False


@pytest.mark.parametrize("strided", [False, True])
def test_torch_adam_fused_kernel_and_strided_gradients(monkeypatch, to_fw, strided):
    """On CPU, Adam runs torch's fused kernel (one call for every parameter) with Keras'
    epsilon placement; a transposed (non-contiguous) gradient, which that kernel would
    misread, takes the foreach path instead. Both equal the NumPy reference."""
    torch = pytest.importorskip("torch")
    calls = []
    real = torch._fused_adam_
    monkeypatch.setattr(torch, "_fused_adam_", lambda *a, **k: calls.append(1) or real(*a, **k))
    grads_seq = _grads(seed=5)
    opt = optimizers.Adam(learning_rate=0.05)
    vs = [Variable(w) for w in _init()]
    for grads in grads_seq:
        tg = [to_fw(g, "torch") for g in grads]
        if strided:
            tg[0] = to_fw(np.ascontiguousarray(grads[0].T), "torch").T
            assert not tg[0].is_contiguous()
        opt.apply(tg, vs)
    assert len(calls) == (0 if strided else STEPS)
    for v, e in zip(vs, _ref("Adam", {}, _init(), grads_seq, 0.05)):
        np.testing.assert_allclose(v.numpy(), e, rtol=2e-5, atol=2e-6)


def test_torch_adam_autograd_gradients_reuse_checked_plan(monkeypatch, to_fw):
    """A torch loop hands ``optimizer.apply`` the Parameters' own ``.grad``: the fused
    kernel runs every step from a plan checked once, which is rebuilt when the arrays
    behind the variables change (a move away and back, a rebuilt optimizer), so no step
    updates stale slots. Every step equals the NumPy reference."""
    torch = pytest.importorskip("torch")
    calls = []
    real = torch._fused_adam_
    monkeypatch.setattr(torch, "_fused_adam_", lambda *a, **k: calls.append(1) or real(*a, **k))
    grads_seq = _grads(seed=6, steps=6)
    opt = optimizers.Adam(learning_rate=0.05)
    vs = [Variable(to_fw(w, "torch")) for w in _init()]

    def step(grads):
        for v, g in zip(vs, grads):
            v.value.grad = to_fw(g, "torch")
        opt.apply([v.value.grad for v in vs], vs)

    for grads in grads_seq[:3]:
        step(grads)
    first_plan = opt.__dict__["_torch_fused_adam"]
    for v in vs + list(opt.variables):  # new arrays behind the same variables
        v._move_to("numpy")
        v._move_to("torch")
    for grads in grads_seq[3:]:
        step(grads)
    assert len(calls) == 6
    assert opt.__dict__["_torch_fused_adam"] is not first_plan
    for v, e in zip(vs, _ref("Adam", {}, _init(), grads_seq, 0.05)):
        np.testing.assert_allclose(v.numpy(), e, rtol=2e-5, atol=2e-6)
    # a rebuilt optimizer updates its new (zero) slots, counting on from its iterations:
    # the reference is a fresh optimizer whose count was set to the same number
    fresh = optimizers.Adam(learning_rate=0.05)
    fresh_vs = [Variable(to_fw(np.array(v.numpy(), copy=True), "torch")) for v in vs]
    fresh.build(fresh_vs)
    fresh.iterations.assign(opt.iterations.numpy())
    opt.build(vs)
    for grads in grads_seq[:2]:
        step(grads)
        fresh.apply([to_fw(g, "torch") for g in grads], fresh_vs)
    for v, e in zip(vs, fresh_vs):
        np.testing.assert_allclose(v.numpy(), e.numpy(), rtol=1e-6, atol=1e-7)


def test_gradient_accumulation_matches_reference(framework, to_fw):
    grads_seq = _grads(steps=4)
    opt, vs = _run(framework, to_fw, "Adam", {}, grads_seq, gradient_accumulation_steps=2)
    means = [[(a + b) / 2 for a, b in zip(grads_seq[k], grads_seq[k + 1])] for k in (0, 2)]
    expected = _ref("Adam", {}, _init(), means, _lr("Adam"))
    for v, e in zip(vs, expected):
        np.testing.assert_allclose(v.numpy(), e, rtol=2e-4, atol=2e-5)


def test_ema_matches_reference(framework, to_fw):
    grads_seq = _grads(steps=3)
    opt, vs = _run(framework, to_fw, "SGD", {}, grads_seq, use_ema=True, ema_momentum=0.5)
    ws = _init()
    avg = None
    for k in range(3):
        ws = _ref("SGD", {}, ws, [grads_seq[k]], _lr("SGD"))
        avg = ws if avg is None else [0.5 * a + 0.5 * w for a, w in zip(avg, ws)]
    opt.finalize_variable_values(vs)
    for v, e in zip(vs, avg):
        np.testing.assert_allclose(v.numpy(), e, rtol=1e-5, atol=1e-6)


def test_get_aliases_and_config_roundtrip():
    for alias, cls in [("rmsprop", "RMSprop"), ("adagrad", "Adagrad"), ("adadelta", "Adadelta"),
                       ("adamax", "Adamax"), ("nadam", "Nadam"), ("lion", "Lion"),
                       ("adafactor", "Adafactor"), ("sgd", "SGD"), ("adam", "Adam"), ("adamw", "AdamW")]:
        opt = optimizers.get(alias)
        assert type(opt).__name__ == cls
        again = optimizers.deserialize(optimizers.serialize(opt))
        assert type(again) is type(opt) and again.get_config() == opt.get_config()
    with pytest.raises(ValueError, match="optimizer identifier"):
        optimizers.get("nope")
    with pytest.raises(ValueError, match="momentum"):
        optimizers.SGD(momentum=2.0)


def test_compile_rmsprop_resolves():
    import unikeras as keras
    from unikeras import layers

    model = keras.Sequential([layers.Input(shape=(3,)), layers.Dense(2)])
    model.compile(optimizer="rmsprop", loss="mse")
    assert type(model.optimizer).__name__ == "RMSprop"


KERAS_CASES = [("SGD", {"momentum": 0.9, "nesterov": True}), ("Adam", {"amsgrad": True}),
               ("Nadam", {}), ("RMSprop", {"momentum": 0.5, "centered": True}),
               ("Adafactor", {}), ("Lion", {}), ("Adadelta", {}), ("Adamax", {}), ("Adagrad", {})]


def test_matches_keras3_optimizers(to_fw):
    """The same gradients through Keras 3's own optimizers (jax backend)."""
    import os

    os.environ.setdefault("KERAS_BACKEND", "jax")
    keras = pytest.importorskip("keras")
    grads_seq = _grads(seed=5)
    for name, cfg in KERAS_CASES:
        kopt = getattr(keras.optimizers, name)(learning_rate=_lr(name), **cfg)
        kvars = [keras.Variable(w) for w in _init()]
        for grads in grads_seq:
            kopt.apply([keras.ops.convert_to_tensor(g) for g in grads], kvars)
        _, ours = _run("jax", to_fw, name, cfg, grads_seq)
        for a, b in zip(ours, kvars):
            np.testing.assert_allclose(a.numpy(), keras.ops.convert_to_numpy(b.value),
                                       rtol=1e-4, atol=1e-5, err_msg=name)
