"""Per-step time of keras.distribution against the number of devices, on this
machine's CPUs. The global batch is the same for every device count (strong scaling).
Not a test.

JAX (default): DataParallel over host CPU devices
(``--xla_force_host_platform_device_count``), each device count in a fresh interpreter
(the device count is fixed when jax starts).

PyTorch (``--framework torch``): one process per device (gloo on 127.0.0.1, started by
torch.multiprocessing, one thread each): DataParallel (DDP; each process feeds its share
of the global batch) and ModelParallel (DTensor; every Dense kernel split by columns over
a ``model`` axis of all the processes, each process feeding the whole batch).

    OMP_NUM_THREADS=1 .venv/bin/python bench/bench_distribution.py [--devices 1 2 4]
        [--batch 512] [--width 512] [--steps 40] [--framework jax|torch]
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


def _torch_worker(rank, n, port, mode, batch, width, steps, out):
    os.environ["UNIKERAS_BACKEND"] = "torch"
    import time

    import numpy as np
    import torch
    torch.set_num_threads(1)
    import unikeras as keras
    from unikeras import layers
    d = keras.distribution
    if n > 1:
        d.initialize(f"127.0.0.1:{port}", n, rank)
    rng = np.random.default_rng(0)
    x = torch.from_numpy(rng.normal(size=(batch * steps, width)).astype("float32"))
    y = torch.from_numpy(rng.integers(0, 10, size=(batch * steps,)))
    keras.utils.set_random_seed(0)
    m = keras.Sequential([layers.Input((width,)), layers.Dense(width, activation="relu"),
                          layers.Dense(width, activation="relu"), layers.Dense(10)])
    m.compile(optimizer="adam",
              loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    local = batch
    if n > 1 and mode == "data":
        d.set_distribution(d.DataParallel())
        local = batch // n
        idx = np.concatenate([np.arange(g + rank * local, g + (rank + 1) * local)
                              for g in range(0, batch * steps, batch)])
        x, y = x[idx], y[idx]
    elif n > 1:
        mesh = d.DeviceMesh((1, n), ["batch", "model"])
        lm = d.LayoutMap(mesh)
        lm[".*dense.*kernel"] = (None, "model")
        d.set_distribution(d.ModelParallel(layout_map=lm))
    m.fit(x[:local * 3], y[:local * 3], batch_size=local, epochs=1, verbose=0)  # warm up
    times = []
    for _ in range(3):
        t = time.perf_counter()
        m.fit(x, y, batch_size=local, epochs=1, verbose=0, shuffle=False)
        times.append((time.perf_counter() - t) / steps * 1e3)
    if rank == 0:
        with open(out, "w") as f:
            json.dump({"ms_per_step": min(times), "all": times}, f)
    if n > 1:
        torch.distributed.destroy_process_group()


def _torch(a):
    import socket
    import tempfile

    import torch.multiprocessing as mp

    for mode in ("data", "model"):
        for n in a.devices:
            if mode == "model" and n == 1:
                continue
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
            s.close()
            out = tempfile.mktemp(suffix=".json")
            mp.start_processes(_torch_worker, args=(n, port, mode, a.batch, a.width, a.steps,
                                                    out), nprocs=n, start_method="spawn")
            with open(out) as f:
                r = json.load(f)
            os.remove(out)
            what = "one process" if n == 1 else (
                f"{mode} parallel, {n} processes")
            print(f"torch {what}: {r['ms_per_step']:.2f} ms/step (min of 3 epochs of "
                  f"{a.steps} steps; all {[round(t, 2) for t in r['all']]})")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--devices", type=int, nargs="+", default=[1, 2, 4])
    ap.add_argument("--batch", type=int, default=512)
    ap.add_argument("--width", type=int, default=512)
    ap.add_argument("--steps", type=int, default=40)
    ap.add_argument("--framework", choices=("jax", "torch"), default="jax")
    a = ap.parse_args()
    if a.framework == "torch":
        sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + "/src")
        return _torch(a)
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
