"""Run by test_torch_data_parallel.py (not a test module itself): 2 processes train with
keras.distribution.DataParallel (torch.distributed, gloo on 127.0.0.1), each on its half
of every global batch of 16; then a plain torch DDP loop; the parent process checks both
against one process on the global batches. Usage: python torch_dp_script.py OUT_DIR"""
import os, sys
import numpy as np

from dp_common import check_against_one_process, data, spawn_torch, local_rows, make

def worker(rank, world, port, out):
    import signal
    signal.alarm(180)  # bounded: a worker whose peer died never waits out the 30-min collective timeout
    os.environ["UNIKERAS_BACKEND"] = "torch"
    import torch
    torch.set_num_threads(1)
    import unikeras as keras
    d = keras.distribution
    d.initialize(f"127.0.0.1:{port}", world, rank)
    assert d.list_devices() == [f"cpu:{r}" for r in range(world)]
    x, y = data()
    idx = local_rows(rank)
    m = make(keras)
    if rank == 1:  # different initial weights: DDP broadcasts rank 0's
        keras.utils.set_random_seed(5); m = make(keras)
    with d.DataParallel().scope():
        m.fit(x[idx], y[idx], batch_size=8, epochs=2, shuffle=False, verbose=0)
    np.save(f"{out}/fit{rank}.npy", np.concatenate([w.ravel() for w in m.get_weights()]))
    # fit's gradient all-reduce is DDP's reducer, and it overlaps the backward pass: with
    # a 1.4 MB middle layer, DDP's first bucket (1 MiB cap, from the second step on when
    # DDP has ordered its buckets by readiness) holds the last layers, and its all-reduce
    # is launched inside the same backward pass (graph task) before the first layer's
    # gradient exists
    from unikeras import layers
    from unikeras.distribution.torch import data_parallel_group
    big = keras.Sequential([layers.Input((6,)), layers.Dense(600), layers.Dense(600),
                            layers.Dense(2)])
    big.compile(optimizer="sgd", loss="mse")
    big(torch.zeros(1, 6))
    dp = d.DataParallel()
    ddp = data_parallel_group(big, dp)
    assert isinstance(ddp, torch.nn.parallel.DistributedDataParallel)
    events = []
    from torch.distributed.algorithms.ddp_comm_hooks.default_hooks import allreduce_hook

    def hook(state, bucket):
        events.append(("bucket", torch._C._current_graph_task_id()))
        return allreduce_hook(state, bucket)

    ddp.register_comm_hook(None, hook)
    big.layers[0].kernel.value.register_hook(
        lambda g: events.append(("first layer", torch._C._current_graph_task_id())))
    with dp.scope():
        big.fit(x[idx], y[idx], batch_size=8, epochs=1, shuffle=False, verbose=0)
    assert all(task != -1 for _, task in events), events  # every all-reduce inside backward
    overlapped = [task for i, (kind, task) in enumerate(events) if kind == "first layer"
                  and ("bucket", task) in events[:i]]
    assert overlapped, events
    # a plain torch DDP loop around a unikeras model
    m = make(keras)
    m(torch.zeros(1, 6))
    ddp = torch.nn.parallel.DistributedDataParallel(m)
    opt = torch.optim.SGD(ddp.parameters(), lr=0.1)
    for g in range(0, 48, 16):
        xb = torch.from_numpy(x[g:g + 16][rank * 8:(rank + 1) * 8]); yb = torch.from_numpy(y[g:g + 16][rank * 8:(rank + 1) * 8])
        loss = torch.nn.functional.mse_loss(ddp(xb), yb)
        opt.zero_grad(); loss.backward(); opt.step()
    np.save(f"{out}/ddp{rank}.npy", np.concatenate([w.ravel() for w in m.get_weights()]))
    torch.distributed.barrier()  # no process tears the group down while another is in it
    torch.distributed.destroy_process_group()

if __name__ == "__main__":
    out = sys.argv[1]
    spawn_torch(worker, out)
    import torch, unikeras as keras
    check_against_one_process(keras, lambda k: np.load(f"{out}/fit{k}.npy"))
    x, y = data()
    m = make(keras); m(torch.zeros(1, 6)); opt = torch.optim.SGD(m.parameters(), lr=0.1)
    for g in range(0, 48, 16):
        loss = torch.nn.functional.mse_loss(m(torch.from_numpy(x[g:g+16])), torch.from_numpy(y[g:g+16]))
        opt.zero_grad(); loss.backward(); opt.step()
    r = np.concatenate([w.ravel() for w in m.get_weights()])
    for k in range(2):
        np.testing.assert_allclose(np.load(f"{out}/ddp{k}.npy"), r, rtol=1e-5, atol=1e-6)
    print("torch data parallel ok")
