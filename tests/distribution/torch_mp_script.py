"""Run by test_torch_model_parallel.py (not a test module itself): 2 processes (gloo on
127.0.0.1, torch.multiprocessing) train with keras.distribution.ModelParallel on DTensor:
mesh (1, 2) with the first Dense split by columns and the second by rows (Megatron
style), then mesh (2, 1) (batch split, DTensor's gradient reduction); the parent checks
both against one process on the same global batches, and loads the .weights.h5 saved
from the sharded variables into an unsharded model. Usage: python torch_mp_script.py OUT"""
import os
import sys

import numpy as np

from dp_common import data, spawn_torch


def make(keras, seed=0):
    from unikeras import layers
    keras.utils.set_random_seed(seed)
    m = keras.Sequential([layers.Input((6,)), layers.Dense(8, activation="tanh", name="up"),
                          layers.Dense(2, name="down")])
    m.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse", metrics=["mae"])
    return m


def flat(m):
    return np.concatenate([w.ravel() for w in m.get_weights()])


def worker(rank, world, port, out):
    import signal
    signal.alarm(120)  # bounded: a worker whose peer died never waits out the collective timeout
    os.environ["UNIKERAS_BACKEND"] = "torch"
    import torch
    torch.set_num_threads(1)
    from torch.distributed.tensor import DTensor, Replicate, Shard
    import unikeras as keras
    d = keras.distribution
    d.initialize(f"127.0.0.1:{port}", world, rank)
    x, y = data()

    # 1. pure model parallel: both processes feed the whole global batch
    mesh = d.DeviceMesh((1, 2), ["batch", "model"])
    lm = d.LayoutMap(mesh)
    lm[".*up/kernel"] = (None, "model")
    lm[".*up/bias"] = ("model",)
    lm[".*down/kernel"] = ("model", None)
    with d.ModelParallel(layout_map=lm).scope():
        m = make(keras, seed=0 if rank == 0 else 7)  # rank 1 differs: rank 0's are scattered
        hist = m.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0).history
        up, down = m.layers
        k = up.kernel.value
        assert isinstance(k, DTensor) and k.placements == (Replicate(), Shard(1)), k.placements
        assert k.to_local().shape == (6, 4), k.to_local().shape
        assert down.kernel.value.placements == (Replicate(), Shard(0))
        assert down.bias.value.placements == (Replicate(), Replicate())
        # torch sees the DTensor Parameters
        assert all(isinstance(p, DTensor) for p in m.parameters())
        # optimizer slots follow their variables
        slots = [v for v in m.optimizer.variables if getattr(v, "_reference", None) is up.kernel]
        assert len(slots) == 2 and all(s.value.placements == k.placements for s in slots), slots
        ev = m.evaluate(x, y, batch_size=16, verbose=0, return_dict=True)
        pred = m.predict(x, batch_size=16, verbose=0)
        m.save_weights(f"{out}/mp{rank}.weights.h5")
        # a sharded model loads the weights saved from the sharded variables
        m2 = make(keras, seed=7)
        m2.fit(x[:16], y[:16], batch_size=16, epochs=1, verbose=0)  # laid out
        m2.load_weights(f"{out}/mp{rank}.weights.h5")
        assert m2.layers[0].kernel.value.placements == (Replicate(), Shard(1))
        np.testing.assert_allclose(m2.predict(x, batch_size=16, verbose=0), pred, rtol=1e-6)
    # distribute_tensor: a whole value, each process keeping its shard
    t = d.distribute_tensor(torch.arange(24.0).reshape(4, 6), d.TensorLayout((None, "model"), mesh))
    assert isinstance(t, DTensor) and t.placements == (Replicate(), Shard(1))
    np.testing.assert_array_equal(t.to_local().numpy(),
                                  np.arange(24.0).reshape(4, 6)[:, 3 * rank:3 * rank + 3])
    np.save(f"{out}/mp{rank}.npy", flat(m))
    np.save(f"{out}/mp_pred{rank}.npy", pred)
    np.save(f"{out}/mp_hist{rank}.npy", np.array(hist["loss"] + [ev["loss"], ev["mae"]]))

    # 2. the batch split over 2 processes (each feeds its half of every global batch)
    mesh = d.DeviceMesh((2, 1), ["batch", "model"])
    lm = d.LayoutMap(mesh)
    lm[".*up/kernel"] = (None, "model")
    from dp_common import local_rows
    idx = local_rows(rank)
    with d.ModelParallel(layout_map=lm).scope():
        m = make(keras)
        m.fit(x[idx], y[idx], batch_size=8, epochs=2, shuffle=False, verbose=0)
    np.save(f"{out}/dp{rank}.npy", flat(m))
    torch.distributed.barrier()  # no process tears the group down while another is in it
    torch.distributed.destroy_process_group()


if __name__ == "__main__":
    out = sys.argv[1]
    spawn_torch(worker, out)
    import unikeras as keras
    x, y = data()
    ref = make(keras)
    hist = ref.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0).history
    ev = ref.evaluate(x, y, batch_size=16, verbose=0, return_dict=True)
    r = flat(ref)
    for k in range(2):
        np.testing.assert_allclose(np.load(f"{out}/mp{k}.npy"), r, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(np.load(f"{out}/dp{k}.npy"), r, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(np.load(f"{out}/mp_pred{k}.npy"),
                                   ref.predict(x, batch_size=16, verbose=0), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(np.load(f"{out}/mp_hist{k}.npy"),
                                   hist["loss"] + [ev["loss"], ev["mae"]], rtol=1e-5)
    # the weights saved from the sharded variables load into an unsharded model
    plain = make(keras, seed=7)
    plain.load_weights(f"{out}/mp0.weights.h5")
    np.testing.assert_array_equal(flat(plain), np.load(f"{out}/mp0.npy"))
    print("torch model parallel ok")
