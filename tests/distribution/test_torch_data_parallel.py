"""keras.distribution on PyTorch: DataParallel across 2 processes (torch.distributed,
gloo, loopback address, started with torch.multiprocessing) equals one process on the
global batches; rank 1 starts from other weights, so this also checks that rank 0's are
broadcast. A plain torch DDP loop (``DistributedDataParallel(model)``, torch.optim)
around a unikeras model likewise. About 22 s on the loaded 2-core machine: three
interpreters import torch and unikeras (the script: torch_dp_script.py)."""

import pathlib
import sys

import pytest

pytest.importorskip("torch")

sys.path.insert(0, str(pathlib.Path(__file__).parent))
from dp_common import run_script  # noqa: E402

SCRIPT = pathlib.Path(__file__).with_name("torch_dp_script.py")


def test_torch_data_parallel_two_processes_equal_one(tmp_path):
    run_script(SCRIPT, [tmp_path], "torch", "torch data parallel ok")
