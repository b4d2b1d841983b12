"""A unikeras model in a plain PyTorch FSDP2 script (``fully_shard`` on each Dense and
on the model, torch.optim.Adam over ``model.parameters()``), 2 processes (gloo,
loopback address, torch.multiprocessing): the gathered weights equal one process
(no FSDP) trained on the same global batches, and Keras' ``get_weights`` gives them
too. About 15 s on the loaded 2-core machine: three interpreters import torch and
unikeras (the script: torch_fsdp_script.py)."""

import pathlib
import sys

import pytest

pytest.importorskip("torch")

sys.path.insert(0, str(pathlib.Path(__file__).parent))
from dp_common import run_script  # noqa: E402

SCRIPT = pathlib.Path(__file__).with_name("torch_fsdp_script.py")


def test_torch_fsdp2_two_processes_equal_one(tmp_path):
    run_script(SCRIPT, [tmp_path], "torch", "torch fsdp ok", timeout=180)
