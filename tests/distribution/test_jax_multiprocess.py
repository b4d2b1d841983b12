"""keras.distribution on JAX across 2 processes (jax.distributed on the loopback address,
CPU collectives over gloo): DataParallel over both processes' devices, each process
feeding its local half of every global batch, equals one process on the global batches.
About 15 s on the loaded 2-core machine: three interpreters
import jax (the script: jax_multiprocess_script.py)."""

import os
import pathlib
import subprocess
import sys

import pytest

pytest.importorskip("jax")

SCRIPT = pathlib.Path(__file__).with_name("jax_multiprocess_script.py")


def test_jax_data_parallel_two_processes_equal_one(tmp_path):
    env = dict(os.environ, UNIKERAS_BACKEND="jax", JAX_PLATFORMS="cpu", OMP_NUM_THREADS="1")
    env.pop("XLA_FLAGS", None)
    out = subprocess.run([sys.executable, str(SCRIPT), str(tmp_path)], env=env,
                         capture_output=True, text=True, timeout=240)
    assert out.returncode == 0, out.stdout + out.stderr[-4000:]
    assert "jax multi-process ok" in out.stdout
