"""keras.distribution on PyTorch: DataParallel across 2 processes (torch.distributed,
gloo, loopback address, started with torch.multiprocessing) equals one process on the
global batches; rank 1 starts from other weights, so this also checks that rank 0's are
broadcast. A plain torch DDP loop (``DistributedDataParallel(model)``, torch.optim)
around a unikeras model likewise. About 22 s on the loaded 2-core machine: three
interpreters import torch and unikeras (the script: torch_dp_script.py)."""

import os
import pathlib
import subprocess
import sys

import pytest

pytest.importorskip("torch")

SCRIPT = pathlib.Path(__file__).with_name("torch_dp_script.py")


def test_torch_data_parallel_two_processes_equal_one(tmp_path):
    env = dict(os.environ, UNIKERAS_BACKEND="torch", OMP_NUM_THREADS="1")
    out = subprocess.run([sys.executable, str(SCRIPT), str(tmp_path)], env=env,
                         capture_output=True, text=True, timeout=240)
    assert out.returncode == 0, out.stdout + out.stderr[-4000:]
    assert "torch data parallel ok" in out.stdout
