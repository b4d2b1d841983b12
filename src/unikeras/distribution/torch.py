"""keras.distribution on PyTorch: data parallel across processes with
``torch.distributed``. ``initialize`` joins the process group (gloo on CPU, NCCL on
CUDA); under ``DataParallel`` the torch trainer runs the forward pass through
``torch.nn.parallel.DistributedDataParallel`` around the model (itself a
``torch.nn.Module`` on torch), so the parameters are broadcast from rank 0 once and the
gradients are averaged over the processes by DDP's bucketed all-reduce, which overlaps
the backward pass."""

from __future__ import annotations

import weakref

import torch
import torch.distributed as dist


def _initialized():
    return dist.is_available() and dist.is_initialized()


def list_devices(device_type=None):
    """Every process's device in a multi-process job (``cpu:<rank>`` / ``gpu:<rank>``),
    else this process's devices (``gpu:i`` for the CUDA devices, else ``cpu:0``)."""
    kind = (device_type or ("gpu" if torch.cuda.is_available() else "cpu")).lower()
    if kind == "cuda":
        kind = "gpu"
    if _initialized():
        return [f"{kind}:{r}" for r in range(dist.get_world_size())]
    if kind == "gpu":
        return [f"gpu:{i}" for i in range(torch.cuda.device_count())]
    return ["cpu:0"]


def get_device_count(device_type=None):
    return len(list_devices(device_type))


def initialize(job_addresses, num_processes, process_id):
    backend = "nccl" if torch.cuda.is_available() else "gloo"
    if job_addresses:
        address = job_addresses.split(",")[0]
        dist.init_process_group(backend, init_method=f"tcp://{address}",
                                world_size=num_processes, rank=process_id)
    else:  # torchrun: MASTER_ADDR, MASTER_PORT, WORLD_SIZE, RANK in the environment
        dist.init_process_group(backend)
    if backend == "nccl":
        torch.cuda.set_device(dist.get_rank() % torch.cuda.device_count())


def num_processes():
    return dist.get_world_size() if _initialized() else 1


def process_id():
    return dist.get_rank() if _initialized() else 0


def to_backend_mesh(device_mesh):
    from torch.distributed.device_mesh import init_device_mesh

    kind = str(device_mesh.devices.reshape(-1)[0]).split(":")[0]
    return init_device_mesh("cuda" if kind == "gpu" else "cpu", tuple(device_mesh.shape),
                            mesh_dim_names=tuple(device_mesh.axis_names))


_DDP = weakref.WeakKeyDictionary()


def data_parallel_group(model, distribution):
    """The ``DistributedDataParallel`` wrapper through which ``model``'s forward runs
    under ``distribution`` (a DataParallel over several processes), else None. Made
    once per model: DDP broadcasts rank 0's parameters and buffers, then hooks the
    parameters' gradient accumulators to all-reduce (average) their gradients in
    buckets while the backward pass runs."""
    from . import DataParallel

    if not isinstance(distribution, DataParallel):
        raise ValueError(
            f"keras.distribution.{type(distribution).__name__} is not supported on PyTorch "
            "here: PyTorch runs DataParallel (DistributedDataParallel across processes). "
            "Use the JAX framework for model parallelism.")
    if not _initialized() or dist.get_world_size() == 1:
        return None
    ddp = _DDP.get(model)
    if ddp is None:
        if not isinstance(model, torch.nn.Module):
            raise ValueError(f"Model {model.name!r} does not live on torch yet.")
        ddp = _DDP[model] = torch.nn.parallel.DistributedDataParallel(model)
    return ddp
