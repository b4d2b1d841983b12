"""Per-step time of keras.distribution.DataParallel on JAX against the number of
devices, on host CPU devices (``--xla_force_host_platform_device_count``). Each device
count runs in a fresh interpreter (the device count is fixed when jax starts). The
global batch is the same for every device count (strong scaling). Not a test.

    OMP_NUM_THREADS=1 .venv/bin/python bench/bench_distribution.py [--devices 1 2 4]
        [--batch 512] [--width 512] [--steps 40]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

CHILD = r'''
import json, os, sys, time
n, batch, width, steps = map(int, sys.argv[1:5])
import numpy as np, jax
import unikeras as keras
from unikeras import layers
rng = np.random.default_rng(0)
x = rng.normal(size=(batch * steps, width)).astype("float32")
y = rng.integers(0, 10, size=(batch * steps,))
m = keras.Sequential([layers.Input((width,)), layers.Dense(width, activation="relu"),
                      layers.Dense(width, activation="relu"), layers.Dense(10)])
m.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
if n > 1:
    keras.distribution.set_distribution(
        keras.distribution.DataParallel(devices=keras.distribution.list_devices()[:n]))
m.fit(x[:batch * 3], y[:batch * 3], batch_size=batch, epochs=1, verbose=0)  # compile
times = []
for _ in range(3):
    t = time.perf_counter()
    m.fit(x, y, batch_size=batch, epochs=1, verbose=0, shuffle=False)
    jax.block_until_ready(m.layers[0].kernel.value)
    times.append((time.perf_counter() - t) / steps * 1e3)
print(json.dumps({"devices": n, "ms_per_step": min(times), "all": times,
                  "sharding": str(m.layers[0].kernel.value.sharding.device_set.__len__())}))
'''


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--devices", type=int, nargs="+", default=[1, 2, 4])
    ap.add_argument("--batch", type=int, default=512)
    ap.add_argument("--width", type=int, default=512)
    ap.add_argument("--steps", type=int, default=40)
    a = ap.parse_args()
    for n in a.devices:
        env = dict(os.environ, XLA_FLAGS=f"--xla_force_host_platform_device_count={max(a.devices)}",
                   UNIKERAS_BACKEND="jax", JAX_PLATFORMS="cpu")
        out = subprocess.run([sys.executable, "-c", CHILD, str(n), str(a.batch), str(a.width),
                              str(a.steps)], env=env, capture_output=True, text=True, check=True)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"devices={n}: {r['ms_per_step']:.2f} ms/step (min of 3 epochs of {a.steps} "
              f"steps; all {[round(t, 2) for t in r['all']]}; variables on {r['sharding']} device(s))")


if __name__ == "__main__":
    main()
