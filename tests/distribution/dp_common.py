"""Shared by the multi-process scripts (jax_multiprocess_script.py, torch_dp_script.py):
the data, the model, and each process's rows of every global batch of 16."""

import numpy as np


def data():
    rng = np.random.default_rng(0)
    return rng.normal(size=(48, 6)).astype("float32"), rng.normal(size=(48, 2)).astype("float32")


def make(keras):
    from unikeras import layers
    keras.utils.set_random_seed(0)
    m = keras.Sequential([layers.Input((6,)), layers.Dense(8, activation="tanh"), layers.Dense(2)])
    m.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
    return m


def local_rows(rank):
    """Process ``rank`` of 2 takes rows [8 * rank, 8 * rank + 8) of each global batch."""
    return np.concatenate([np.arange(g, g + 16)[rank * 8:(rank + 1) * 8]
                           for g in range(0, 48, 16)])


def free_ports(n):
    """``n`` distinct free TCP ports on the loopback address."""
    import socket

    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def run_workers(script, args_of_rank, env, n=2, timeout=200):
    """Start ``n`` worker processes ``python script *args_of_rank(rank)`` and wait for
    them (killed after ``timeout`` s); both must succeed."""
    import subprocess
    import sys

    ps = [subprocess.Popen([sys.executable, script, *map(str, args_of_rank(r))], env=env)
          for r in range(n)]
    try:
        rc = [p.wait(timeout=timeout) for p in ps]
    finally:
        for p in ps:
            if p.poll() is None:
                p.kill()
    assert rc == [0] * n, rc


def check_against_one_process(keras, load):
    """One process trains on the global batches of 16; ``load(rank)`` (the workers'
    flattened weights) must equal its weights."""
    x, y = data()
    ref = make(keras)
    ref.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    r = np.concatenate([w.ravel() for w in ref.get_weights()])
    for k in range(2):
        np.testing.assert_allclose(load(k), r, rtol=1e-5, atol=1e-6)


def run_script(script, args, backend, marker, timeout=240, env=None, unset=()):
    """Run a multi-process test script in a fresh interpreter on ``backend`` (with
    ``env`` added, ``unset`` removed); it must succeed and print ``marker``."""
    import os
    import subprocess
    import sys

    full = dict(os.environ, UNIKERAS_BACKEND=backend, OMP_NUM_THREADS="1", **(env or {}))
    for name in ("TF_CONFIG", *unset):
        full.pop(name, None)
    out = subprocess.run([sys.executable, str(script), *map(str, args)], env=full,
                         capture_output=True, text=True, timeout=timeout)
    assert out.returncode == 0, out.stdout + out.stderr[-4000:]
    assert marker in out.stdout, out.stdout


def spawn_torch(worker, out, n=2):
    """``worker(rank, n, port, out)`` in ``n`` processes started by torch.multiprocessing
    (a free loopback port for the process group); then this process runs on torch."""
    import os

    import torch.multiprocessing as mp

    (port,) = free_ports(1)
    mp.start_processes(worker, args=(n, port, out), nprocs=n, start_method="spawn", join=True)
    os.environ["UNIKERAS_BACKEND"] = "torch"
