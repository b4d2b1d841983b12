"""keras.distribution on JAX across 2 processes (jax.distributed on the loopback address,
CPU collectives over gloo): DataParallel over both processes' devices, each process
feeding its local half of every global batch, equals one process on the global batches.
About 15 s on the loaded 2-core machine: three interpreters
import jax (the script: jax_multiprocess_script.py)."""

import pathlib
import sys

import pytest

pytest.importorskip("jax")

sys.path.insert(0, str(pathlib.Path(__file__).parent))
from dp_common import run_script  # noqa: E402

SCRIPT = pathlib.Path(__file__).with_name("jax_multiprocess_script.py")


def test_jax_data_parallel_two_processes_equal_one(tmp_path):
    run_script(SCRIPT, [tmp_path], "jax", "jax multi-process ok",
               env={"JAX_PLATFORMS": "cpu"}, unset=("XLA_FLAGS",))
