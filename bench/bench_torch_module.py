"""What a layer living on torch costs for being a torch.nn.Module (layers/torch.py).

Two measurements, both in CPU time (``time.process_time``: on a shared machine wall
clock medians move 10-20% between runs, CPU time a few percent), OMP_NUM_THREADS=1:

1. In one process: a Dense(32) call on an 8x32 tensor under ``no_grad`` through the
   Module subclass's ``__call__`` vs the Keras call directly vs the same layer with its
   class set back to the plain one (what every call cost before the class swap).
2. In one process: the W4 model as a Module vs with its classes set back (fit epoch and
   2000 forwards, alternating with the order reversed every round, 6 rounds).
3. The W4 model (Sequential(Input(32), Dense(32, relu), Dense(1)), Adam, MSE): ``fit``
   on 12800 torch samples, batch 32 (400 steps, median of 5 epochs) and a raw forward
   on 32x32 (median of 7 x 2000 calls). Run it against two source trees to A/B a change:

    PYTHONPATH=/path/to/old/src .venv/bin/python bench/bench_torch_module.py old
    PYTHONPATH=src .venv/bin/python bench/bench_torch_module.py new
"""

import os
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402

import unikeras as keras  # noqa: E402

torch.set_num_threads(1)
L = keras.layers


def per_layer_call():
    def dense():
        d = L.Dense(32)
        x = torch.randn(8, 32)
        d(x)
        return d, x

    a, x = dense()
    b, _ = dense()
    base = getattr(type(b), "_uk_torch_base", None)
    if base is None:
        return None
    b.__class__ = base
    direct = type(a)._uk_call
    cases = {"through the Module subclass": lambda: a(x),
             "Keras call directly": lambda: direct(a, x),
             "plain class": lambda: b(x)}
    res = {n: [] for n in cases}
    with torch.no_grad():
        for _ in range(60):
            for n, f in cases.items():
                t0 = time.process_time()
                for _ in range(500):
                    f()
                res[n].append((time.process_time() - t0) / 500 * 1e6)
    return {n: float(np.median(v)) for n, v in res.items()}


def w4():
    m = keras.Sequential([L.Input(shape=(32,)), L.Dense(32, activation="relu"), L.Dense(1)])
    m.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse")
    rng = np.random.default_rng(0)
    x = torch.tensor(rng.normal(size=(32 * 400, 32)).astype("float32"))
    y = torch.tensor(rng.normal(size=(32 * 400, 1)).astype("float32"))
    m.fit(x, y, batch_size=32, epochs=1, verbose=0, shuffle=False)
    fits = []
    for _ in range(5):
        t0 = time.process_time()
        m.fit(x, y, batch_size=32, epochs=1, verbose=0, shuffle=False)
        fits.append((time.process_time() - t0) / 400 * 1e6)
    xb, fw = x[:32], []
    with torch.no_grad():
        for _ in range(7):
            t0 = time.process_time()
            for _ in range(2000):
                m(xb)
            fw.append((time.process_time() - t0) / 2000 * 1e6)
    return float(np.median(fits)), float(np.median(fw)), isinstance(m, torch.nn.Module)


def w4_in_process():
    """The W4 model as a Module vs the same model with every layer's class set back to
    the plain one, alternating in one process: the class swap's own cost, isolated from
    anything else that differs between two source trees."""
    def model():
        keras.utils.set_random_seed(0)
        m = keras.Sequential([L.Input(shape=(32,)), L.Dense(32, activation="relu"),
                              L.Dense(1)])
        m.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse")
        return m

    rng = np.random.default_rng(0)
    x = torch.tensor(rng.normal(size=(32 * 400, 32)).astype("float32"))
    y = torch.tensor(rng.normal(size=(32 * 400, 1)).astype("float32"))
    mods = {"Module": model(), "plain": model()}
    for m in mods.values():
        m.fit(x, y, batch_size=32, epochs=1, verbose=0, shuffle=False)
    if getattr(type(mods["plain"]), "_uk_torch_base", None) is None:
        return None
    for layer in list(mods["plain"]._iter_layers()):
        layer.__class__ = type(layer)._uk_torch_base
    fit = {n: [] for n in mods}
    fwd = {n: [] for n in mods}
    xb = x[:32]
    for r in range(6):
        for n, m in (list(mods.items()) if r % 2 == 0 else list(mods.items())[::-1]):
            t0 = time.process_time()
            m.fit(x, y, batch_size=32, epochs=1, verbose=0, shuffle=False)
            fit[n].append((time.process_time() - t0) / 400 * 1e6)
            with torch.no_grad():
                t0 = time.process_time()
                for _ in range(2000):
                    m(xb)
                fwd[n].append((time.process_time() - t0) / 2000 * 1e6)
    return {n: (float(np.median(fit[n])), float(np.median(fwd[n]))) for n in mods}


if __name__ == "__main__":
    label = sys.argv[1] if len(sys.argv) > 1 else "this tree"
    calls = per_layer_call()
    if calls:
        print(f"{label}: Dense call, median us: " +
              ", ".join(f"{k} {v:.2f}" for k, v in calls.items()))
    both = w4_in_process()
    if both:
        print(f"{label}: W4 in one process, fit us/step / forward us/call: " +
              ", ".join(f"{n} {f:.1f} / {g:.2f}" for n, (f, g) in both.items()))
    fit, fwd, module = w4()
    print(f"{label}: W4 fit {fit:.1f} us/step, forward {fwd:.2f} us/call "
          f"(model is a torch.nn.Module: {module})")
