"""keras.distribution.ModelParallel on PyTorch (DTensor): 2 processes (gloo, loopback
address, torch.multiprocessing) train a model whose Dense kernels are split by columns
and by rows over a "model" mesh axis, and, on a (2, 1) mesh, with the batch split; both
give the weights, losses, metrics and predictions of one process on the same global
batches, from other initial weights on rank 1 (rank 0's are scattered). Optimizer slots
follow their variables' placements; a .weights.h5 saved from the DTensor variables loads
into a sharded and into an unsharded model; distribute_tensor gives each process its
shard. About 17 s on the loaded 2-core machine
(three interpreters import torch; the script: torch_mp_script.py)."""

import pathlib
import sys

import pytest

pytest.importorskip("torch")

sys.path.insert(0, str(pathlib.Path(__file__).parent))
from dp_common import run_script  # noqa: E402

SCRIPT = pathlib.Path(__file__).with_name("torch_mp_script.py")


def test_torch_model_parallel_two_processes_equal_one(tmp_path):
    run_script(SCRIPT, [tmp_path], "torch", "torch model parallel ok")


def test_torch_model_parallel_needs_processes():
    import numpy as np
    import torch

    import unikeras as keras
    from unikeras import layers

    d = keras.distribution
    mesh = d.DeviceMesh((1, 1), ["batch", "model"], devices=["cpu:0"])
    lm = d.LayoutMap(mesh)
    lm[".*kernel"] = (None, "model")
    m = keras.Sequential([layers.Input((3,)), layers.Dense(2)])
    m.compile(optimizer="sgd", loss="mse")
    x = torch.from_numpy(np.ones((4, 3), "float32"))
    with d.ModelParallel(layout_map=lm).scope():
        with pytest.raises(ValueError, match="initialize"):
            m.fit(x, x[:, :2], epochs=1, verbose=0)
    # without the distribution the model trains as usual
    m.fit(x, x[:, :2], epochs=1, verbose=0)
    assert not isinstance(m.layers[0].kernel.value, torch.distributed.tensor.DTensor)
