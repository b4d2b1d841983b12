"""keras.distribution on PyTorch, across processes with ``torch.distributed``.
``initialize`` joins the process group (gloo on CPU, NCCL on CUDA).

* ``DataParallel``: the torch trainer runs the forward pass through
  ``torch.nn.parallel.DistributedDataParallel`` around the model (itself a
  ``torch.nn.Module`` on torch), so the parameters are broadcast from rank 0 once and
  the gradients are averaged over the processes by DDP's bucketed all-reduce, which
  overlaps the backward pass.
* ``ModelParallel``: DTensor (``torch.distributed.tensor``). The mesh is a torch
  ``DeviceMesh`` over the processes (one device each); every variable becomes a DTensor
  Parameter placed as its ``TensorLayout`` says (``Shard(i)`` on the mesh axis named at
  tensor dimension ``i``, ``Replicate()`` on the others), optimizer slots as their
  variables. Hooks on the model (``torch.distributed.tensor.distribute_module``) turn
  each process's input batch into a DTensor (sharded over the batch axis, replicated
  over the others) and the outputs back into local tensors (this process's rows), so
  losses and metrics are computed as under DDP, each process on its own rows; DTensor
  inserts the collectives of the forward and backward passes.
"""

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


def _world_check(device_mesh):
    size = int(device_mesh.devices.size)
    world = num_processes()
    if size != world:
        raise ValueError(
            f"keras.distribution on PyTorch: a DeviceMesh of shape {tuple(device_mesh.shape)} "
            f"needs {size} processes (one device each); this job has {world}. Start it "
            "with torchrun or torch.multiprocessing and call "
            "keras.distribution.initialize() in every process.")


def to_backend_mesh(device_mesh):
    from torch.distributed.device_mesh import init_device_mesh

    _world_check(device_mesh)
    kind = str(device_mesh.devices.reshape(-1)[0]).split(":")[0]
    return init_device_mesh("cuda" if kind == "gpu" else "cpu", tuple(device_mesh.shape),
                            mesh_dim_names=tuple(device_mesh.axis_names))


def placements(layout, device_mesh):
    """A ``TensorLayout``'s DTensor placements on ``device_mesh`` (Keras' mesh): per mesh
    axis, ``Shard(i)`` where tensor dimension ``i`` names it, else ``Replicate()``."""
    from torch.distributed.tensor import Replicate, Shard

    out = []
    for name in device_mesh.axis_names:
        dims = [i for i, a in enumerate(layout.axes) if a == name]
        if len(dims) > 1:
            raise ValueError(
                f"keras.distribution on PyTorch: layout {layout.axes} names mesh axis "
                f"{name!r} for several tensor dimensions ({dims}); DTensor shards a mesh "
                "axis over one dimension.")
        out.append(Shard(dims[0]) if dims else Replicate())
    return tuple(out)


def to_backend_layout(layout):
    """``(torch DeviceMesh, placements)``: the arguments of
    ``torch.distributed.tensor.distribute_tensor``."""
    if layout.device_mesh is None:
        raise ValueError("Cannot create sharding when device mesh is not set for TensorLayout.")
    return (layout.device_mesh._backend_mesh_for("torch"),
            placements(layout, layout.device_mesh))


def _is_dtensor(x):
    from torch.distributed.tensor import DTensor

    return isinstance(x, DTensor)


def distribute_tensor(tensor, layout):
    """``tensor`` as a DTensor laid out as ``layout`` (``(mesh, placements)``): a
    DTensor is redistributed; a plain tensor is the same full value in every process,
    each keeping its own shard (no communication)."""
    from torch.distributed.tensor import distribute_tensor as _distribute

    mesh, pl = layout
    if _is_dtensor(tensor):
        if tensor.device_mesh == mesh:
            return tensor.redistribute(mesh, pl)
        tensor = tensor.full_tensor()
    if not isinstance(tensor, torch.Tensor):
        tensor = torch.as_tensor(tensor)
    return _distribute(tensor, mesh, pl, src_data_rank=None)


class _Sharded:
    """The model-parallel state of a model: the distribution it is laid out for, the
    torch mesh, the placements of inputs (batch dimension over the batch axis) and of
    the local outputs, and the number of data-parallel groups (gradients are averaged
    over them, as DDP does)."""

    def __init__(self, dist):
        from torch.distributed.tensor import Replicate, Shard

        keras_mesh = dist.device_mesh
        self.dist = dist
        self.mesh = keras_mesh._backend_mesh_for("torch")
        names = list(keras_mesh.axis_names)
        b = names.index(dist.batch_dim_name) if dist.batch_dim_name in names else None
        self.data_groups = keras_mesh.shape[b] if b is not None else 1
        self.batch = tuple(Shard(0) if i == b and self.data_groups > 1 else Replicate()
                           for i in range(len(names)))

    def to_dtensor(self, t):
        from torch.distributed.tensor import DTensor

        if isinstance(t, torch.Tensor) and not _is_dtensor(t) and t.ndim > 0:
            return DTensor.from_local(t, self.mesh, self.batch, run_check=False)
        return t

    def to_local(self, t):
        if _is_dtensor(t):
            return t.redistribute(self.mesh, self.batch).to_local()
        return t


_SHARDED = weakref.WeakKeyDictionary()


def _laid_out(v, dist, mesh):
    """``v``'s value as a DTensor (Parameter) placed as ``dist`` asks, or None for a
    value that is not a tensor."""
    from torch.distributed.tensor import distribute_tensor as _distribute

    from . import variable_layout

    old = v._value
    if not isinstance(old, torch.Tensor):
        return None
    layout = variable_layout(dist, v)
    pl = placements(layout, dist.device_mesh)
    for p in pl:
        if p.is_shard() and old.ndim <= p.dim:
            raise ValueError(
                f"keras.distribution: variable {v.path!r} of shape {tuple(old.shape)} cannot "
                f"be laid out as {layout.axes}: it has no dimension {p.dim}.")
    with torch.no_grad():
        # rank 0's value, scattered: every process starts from the same weights (as
        # DDP broadcasts rank 0's)
        value = old.full_tensor() if _is_dtensor(old) else old.detach()
        dt = _distribute(value, mesh, pl)
    if isinstance(old, torch.nn.Parameter):
        return torch.nn.Parameter(dt, requires_grad=bool(old.requires_grad))
    return dt


def model_parallel(model, dist):
    """Lay out ``model``'s variables (and its optimizer's slots) as DTensors per
    ``dist`` (a ModelParallel over the processes), once per distribution, and hook the
    model's calls (``distribute_module``'s input and output functions): inputs become
    DTensors sharded over the batch axis, outputs this process's local rows. Returns
    the model's ``_Sharded`` state."""
    from torch.distributed.tensor import distribute_module

    state = _SHARDED.get(model)
    if state is not None and state.dist is dist:
        return state
    if not _initialized():
        raise ValueError(
            "keras.distribution.ModelParallel on PyTorch runs over processes: call "
            "keras.distribution.initialize() in every process first (torchrun or "
            "torch.multiprocessing, one process per device).")
    if not isinstance(model, torch.nn.Module):
        raise ValueError(f"Model {model.name!r} does not live on torch yet.")
    new = _Sharded(dist)
    variables = list(model.variables)
    opt = getattr(model, "optimizer", None)
    if opt is not None:
        variables += [v for v in opt.variables if getattr(v, "_reference", None) is not None]
    replaced = {}
    for v in variables:
        value = _laid_out(v, dist, new.mesh)
        if value is not None:
            replaced[id(v._value)] = value
            v._value = value
    # torch's registries of the model's modules hold the new Parameters too
    for module in model.modules():
        for registry in (module._parameters, module._buffers):
            for name, value in list(registry.items()):
                if id(value) in replaced:
                    registry[name] = replaced[id(value)]
    first = state is None
    _SHARDED[model] = new
    if first:
        def input_fn(module, inputs, mesh):
            s = _SHARDED.get(module)
            return inputs if s is None else _tree_map(s.to_dtensor, inputs)

        def output_fn(module, outputs, mesh):
            s = _SHARDED.get(module)
            return outputs if s is None else _tree_map(s.to_local, outputs)

        # parameters are laid out above (LayoutMap); distribute_module registers the
        # input/output hooks on the model
        distribute_module(model, new.mesh, partition_fn=lambda *a: None,
                          input_fn=input_fn, output_fn=output_fn)
    return new


def _tree_map(fn, obj):
    if isinstance(obj, (list, tuple)):
        return type(obj)(_tree_map(fn, o) for o in obj)
    if isinstance(obj, dict):
        return {k: _tree_map(fn, o) for k, o in obj.items()}
    return fn(obj)


def sharded_state(model):
    """The model's ``_Sharded`` state (model-parallel DTensor variables), or None (no
    weakref made while no model is laid out: the trainers ask every step)."""
    return _SHARDED.get(model) if _SHARDED else None


def implicit_replication():
    """The context in which plain tensors (learning rate, step counts) mix with DTensors
    as replicated values (the optimizer's update)."""
    from torch.distributed.tensor.experimental import implicit_replication as ir

    return ir()


def align_grads(params, grads):
    """Gradients placed as their DTensor parameters (a partial sum is reduced here)."""
    out = []
    for p, g in zip(params, grads):
        if g is not None and _is_dtensor(g) and _is_dtensor(p) and g.placements != p.placements:
            g = g.redistribute(p.device_mesh, p.placements)
        out.append(g)
    return out


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
            "(DataParallel runs on DistributedDataParallel, ModelParallel on DTensor).")
    if not _initialized() or dist.get_world_size() == 1:
        return None
    ddp = _DDP.get(model)
    if ddp is None:
        if not isinstance(model, torch.nn.Module):
            raise ValueError(f"Model {model.name!r} does not live on torch yet.")
        ddp = _DDP[model] = torch.nn.parallel.DistributedDataParallel(model)
    return ddp
