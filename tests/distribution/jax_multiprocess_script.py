"""Run by test_jax_multiprocess.py (not a test module itself): 2 processes join one JAX
job through keras.distribution.initialize (jax.distributed, 127.0.0.1, CPU collectives
over gloo), train with DataParallel over both processes' devices, each feeding its half
of every global batch of 16; the parent checks both against one process on the global
batches. Usage: python jax_multiprocess_script.py OUT_DIR"""
import os, sys
import numpy as np

from dp_common import check_against_one_process, data, free_ports, local_rows, make, run_workers

if len(sys.argv) > 2:  # worker
    import signal
    signal.alarm(180)  # bounded: a worker whose peer died never waits out the 30-min collective timeout
    rank, port, out = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    import jax
    import unikeras as keras
    d = keras.distribution
    d.initialize(f"127.0.0.1:{port}", 2, rank)
    assert len(d.list_devices()) == 2 and len(jax.local_devices()) == 1, d.list_devices()
    x, y = data()
    idx = local_rows(rank)
    m = make(keras)
    with d.DataParallel().scope():
        m.fit(x[idx], y[idx], batch_size=8, epochs=2, shuffle=False, verbose=0)
        w = m.get_weights()
    np.save(f"{out}/jfit{rank}.npy", np.concatenate([a.ravel() for a in w]))
    jax.distributed.shutdown()
else:
    out = sys.argv[1]
    (port,) = free_ports(1)
    env = dict(os.environ, UNIKERAS_BACKEND="jax", JAX_PLATFORMS="cpu")
    run_workers(__file__, lambda r: (r, port, out), env)
    os.environ["UNIKERAS_BACKEND"] = "jax"
    import unikeras as keras
    check_against_one_process(keras, lambda k: np.load(f"{out}/jfit{k}.npy"))
    print("jax multi-process ok")
