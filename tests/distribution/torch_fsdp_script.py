"""Run by test_torch_fsdp.py (not a test module itself): a plain PyTorch FSDP2 script
(``fully_shard`` on each Dense, then on the model; torch.optim over
``model.parameters()``) around a unikeras model, in 2 processes (gloo on 127.0.0.1),
each on its half of every global batch of 16; the parent process checks the gathered
weights against one process (no FSDP) on the global batches.
Usage: python torch_fsdp_script.py OUT_DIR"""
import os
import sys

import numpy as np

from dp_common import data, spawn_torch


def model(keras):
    from unikeras import layers
    keras.utils.set_random_seed(0)
    # 8x3 and 3x2 kernels: not divisible by 2 processes on every dimension (FSDP pads)
    return keras.Sequential([layers.Input((6,)), layers.Dense(8, activation="tanh"),
                             layers.Dense(3, activation="tanh"), layers.Dense(2)])


def train(m, rows, torch):
    """Adam over ``model.parameters()``, 3 steps (the global batches of 16)."""
    x, y = data()
    opt = torch.optim.Adam(m.parameters(), lr=0.01)
    for g in range(0, 48, 16):
        xb, yb = torch.from_numpy(x[g:g + 16][rows]), torch.from_numpy(y[g:g + 16][rows])
        loss = torch.nn.functional.mse_loss(m(xb), yb)
        opt.zero_grad()
        loss.backward()
        opt.step()


def worker(rank, world, port, out):
    import signal
    signal.alarm(120)  # bounded: a worker whose peer died never waits out the collective timeout
    os.environ["UNIKERAS_BACKEND"] = "torch"
    import torch
    import torch.distributed as dist
    from torch.distributed.fsdp import FSDPModule, fully_shard
    from torch.distributed.tensor import DTensor
    torch.set_num_threads(1)
    import unikeras as keras
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}",
                            world_size=world, rank=rank)
    m = model(keras)
    m(torch.zeros(1, 6))
    for layer in m.layers:
        fully_shard(layer)
    fully_shard(m)
    assert isinstance(m, FSDPModule) and isinstance(m.layers[0], FSDPModule)
    assert all(isinstance(p, DTensor) for p in m.parameters())
    assert type(m.layers[0]).__name__ == "FSDPDense", type(m.layers[0])
    # Keras' identity of the classes is unchanged (configs name Dense, not FSDPDense)
    config = m.get_config()
    assert [c["class_name"] for c in config["layers"]] == ["InputLayer"] + ["Dense"] * 3, config
    train(m, slice(rank * 8, rank * 8 + 8), torch)
    # each process holds a shard of every parameter; full_tensor gathers them
    full = [p.full_tensor().detach().numpy() for p in m.parameters()]
    np.save(f"{out}/fsdp{rank}.npy", np.concatenate([w.ravel() for w in full]))
    # torch's view of a sharded layer: its attribute is FSDP's DTensor parameter; the
    # Keras Variables follow it, and get_weights gives the full (gathered) weights
    dense = m.layers[0]
    assert isinstance(dense.kernel, DTensor) and dense.kernel is dense._parameters["kernel"]
    assert dense.weights[0].value is dense.kernel
    keras_weights = np.concatenate([w.ravel() for w in m.get_weights()])
    np.testing.assert_array_equal(keras_weights, np.load(f"{out}/fsdp{rank}.npy"))
    dist.barrier()  # no process tears the group down while another is in it
    dist.destroy_process_group()


if __name__ == "__main__":
    out = sys.argv[1]
    spawn_torch(worker, out)
    import torch
    import unikeras as keras
    m = model(keras)
    m(torch.zeros(1, 6))
    train(m, slice(None), torch)
    r = np.concatenate([p.detach().numpy().ravel() for p in m.parameters()])
    for k in range(2):
        np.testing.assert_allclose(np.load(f"{out}/fsdp{k}.npy"), r, rtol=1e-5, atol=1e-6)
    print("torch fsdp ok")
