"""Run by test_torch_data_parallel.py (not a test module itself): 2 processes train with
keras.distribution.DataParallel (torch.distributed, gloo on 127.0.0.1), each on its half
of every global batch of 16; then a plain torch DDP loop; the parent process checks both
against one process on the global batches. Usage: python torch_dp_script.py OUT_DIR"""
import os, sys
import numpy as np

from dp_common import check_against_one_process, data, free_ports, local_rows, make

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
    torch.distributed.destroy_process_group()

if __name__ == "__main__":
    import torch.multiprocessing as mp
    out = sys.argv[1]
    (port,) = free_ports(1)
    mp.start_processes(worker, args=(2, port, out), nprocs=2, start_method="spawn", join=True)
    os.environ["UNIKERAS_BACKEND"] = "torch"
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
