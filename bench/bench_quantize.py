"""Quantized inference per framework: a stack of Dense layers in float32 and after
``model.quantize("int8" | "int4" | "float8")``, timed side by side in one run (ratios to
float32 on the same framework), with the weight memory each mode stores. Not a test.

    OMP_NUM_THREADS=1 .venv/bin/python bench/bench_quantize.py [--width 512] [--depth 4]
        [--batch 32] [--repeat 20] [--frameworks jax,torch,tensorflow,numpy]

Each model is called eagerly (``model(x)``; JAX also under ``jax.jit`` of
``stateless_call``, the way ``predict`` runs), with the same input; times are the median
of ``--repeat`` calls after two warm-up calls. Weight memory is the bytes of the stored
variables (``model.weights``): an int8 kernel is a quarter of float32, an int4 kernel an
eighth (two values per byte), plus the scales (and, for int4 groups, zero points and
``g_idx``); float8 keeps the float32 kernel and adds its scale/history variables (it is a
training format: Keras emulates it where the hardware has no float8 matmul, and so does
unikeras). int4 is ``Int4QuantizationConfig(block_size=128)`` (Keras' default).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

import unikeras as keras  # noqa: E402
from unikeras.xp import asarray, installed_frameworks  # noqa: E402

MODES = ("float32", "int8", "int4", "float8")


def build(width, depth, weights):
    m = keras.Sequential([keras.Input((width,))]
                         + [keras.layers.Dense(width, activation="relu") for _ in range(depth)])
    m.set_weights(weights)
    return m


def weight_bytes(m):
    return sum(int(np.prod(w.shape)) * np.dtype(w.dtype).itemsize for w in m.weights)


def sync(y):
    if hasattr(y, "block_until_ready"):  # JAX dispatches asynchronously; the CPU
        y.block_until_ready()            # torch/TF eager calls return finished tensors
    return y


def timeit(fn, repeat):
    for _ in range(2):
        sync(fn())
    ts = []
    for _ in range(repeat):
        t = time.perf_counter()
        sync(fn())
        ts.append(time.perf_counter() - t)
    return statistics.median(ts) * 1e3


def jitted(m, fw):
    if fw != "jax":
        return None
    import jax

    tv = [v.value for v in m.trainable_variables]
    ntv = [v.value for v in m.non_trainable_variables]
    f = jax.jit(lambda tv, ntv, x: m.stateless_call(tv, ntv, x)[0])
    return lambda x: f(tv, ntv, x)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--width", type=int, default=512)
    ap.add_argument("--depth", type=int, default=4)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("--frameworks", default=",".join(installed_frameworks(include_numpy=True)))
    a = ap.parse_args()
    rng = np.random.default_rng(0)
    weights = [rng.normal(scale=0.05, size=(a.width, a.width)).astype("float32")
               if i % 2 == 0 else np.zeros(a.width, "float32") for i in range(2 * a.depth)]
    x = rng.normal(size=(a.batch, a.width)).astype("float32")
    print(f"{a.depth} x Dense({a.width}, relu), batch {a.batch}; ms per call (median of "
          f"{a.repeat}); ratio to float32 on the same framework; weight MiB")
    print(f"{'framework':<12}{'call':<7}" + "".join(f"{m:>10}" for m in MODES)
          + "".join(f"{m + '/f32':>12}" for m in MODES[1:]))
    mem = {}
    for fw in a.frameworks.split(","):
        xf = asarray(x, framework=fw)
        models = {}
        for mode in MODES:
            m = build(a.width, a.depth, weights)
            m(xf)
            if mode != "float32":
                m.quantize(mode)
            models[mode] = m
            mem[mode] = weight_bytes(m) / 2 ** 20
        kinds = [("eager", lambda m: (lambda: m(xf)))]
        if fw == "jax":
            kinds.append(("jit", lambda m: (lambda f=jitted(m, fw): f(xf))))
        for kind, make in kinds:
            t = {mode: timeit(make(models[mode]), a.repeat) for mode in MODES}
            print(f"{fw:<12}{kind:<7}" + "".join(f"{t[m]:>10.2f}" for m in MODES)
                  + "".join(f"{t[m] / t['float32']:>12.2f}" for m in MODES[1:]))
    print(f"{'weights':<19}" + "".join(f"{mem[m]:>10.2f}" for m in MODES)
          + "".join(f"{mem[m] / mem['float32']:>12.2f}" for m in MODES[1:]))


if __name__ == "__main__":
    main()
