"""keras.distribution on JAX: ``jax.sharding`` meshes and ``NamedSharding`` layouts,
``jax.distributed`` for several processes."""

from __future__ import annotations

import jax
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec


def list_devices(device_type=None):
    device_type = device_type.lower() if device_type else None
    return [f"{d.platform}:{d.id}" for d in jax.devices(backend=device_type)]


def get_device_count(device_type=None):
    device_type = device_type.lower() if device_type else None
    return jax.device_count(device_type)


def initialize(job_addresses, num_processes, process_id):
    if job_addresses and "," in job_addresses:
        job_addresses = job_addresses.split(",")[0]  # the first is the coordinator
    jax.distributed.initialize(coordinator_address=job_addresses,
                               num_processes=num_processes, process_id=process_id)


def num_processes():
    return jax.process_count()


def process_id():
    return jax.process_index()


def _device(name):
    if not isinstance(name, str):
        return name  # already a jax device
    platform, _, index = name.lower().partition(":")
    for d in jax.devices(platform if platform != "cuda" else "gpu"):
        if d.id == int(index or 0):
            return d
    raise ValueError(f"keras.distribution: no JAX device named {name!r}; "
                     f"available: {list_devices(platform)}")


def to_backend_mesh(device_mesh):
    devices = np.vectorize(_device, otypes=[object])(device_mesh.devices)
    return Mesh(devices, tuple(device_mesh.axis_names))


def to_backend_layout(layout):
    if layout.device_mesh is None:
        raise ValueError("Cannot create sharding when device mesh is not set for TensorLayout.")
    mesh = layout.device_mesh._backend_mesh_for("jax")
    return NamedSharding(mesh, PartitionSpec(*layout.axes))


def distribute_tensor(tensor, layout):
    if isinstance(tensor, jax.core.Tracer):
        return jax.lax.with_sharding_constraint(tensor, layout)
    if isinstance(tensor, jax.Array) and tensor.sharding.is_equivalent_to(layout, tensor.ndim):
        return tensor
    if jax.process_count() > 1:
        # a layout spanning several processes: every process holds the same host value
        # (seeded alike) and contributes the shards on its own devices
        host = np.asarray(tensor.addressable_data(0) if isinstance(tensor, jax.Array)
                          and not tensor.is_fully_addressable else tensor)
        return jax.make_array_from_callback(host.shape, layout, lambda index: host[index])
    return jax.device_put(tensor, layout)


def variable_sharding(dist, variable):
    """The ``NamedSharding`` ``dist`` asks for ``variable`` (slots: their variable's)."""
    from . import variable_layout

    return variable_layout(dist, variable)._backend_layout_for("jax")


def place_variables(dist, variables):
    """Put every variable's value in its layout (a no-op for those already there);
    returns the shardings, in order."""
    shardings = []
    for v in variables:
        s = variable_sharding(dist, v)
        try:
            v._value = distribute_tensor(v._value, s)
        except ValueError as e:
            raise ValueError(
                f"keras.distribution: variable {v.path!r} of shape {tuple(v.shape)} cannot "
                f"be laid out as {s.spec} on a mesh of shape {dict(s.mesh.shape)}: {e}"
            ) from e
        shardings.append(s)
    return shardings


def shard_batch(dist, batch):
    """A batch (any nest of arrays) as global arrays split along their first dimension
    over the distribution's batch axis. In several processes each process's arrays are
    its local part of the global batch (``jax.make_array_from_process_local_data``). A
    batch whose size the batch axis does not divide (a partial last batch) is
    replicated instead: the step computes the same numbers."""
    mesh = dist.device_mesh._backend_mesh_for("jax")
    axis = dist.batch_dim_name
    n_shards = mesh.shape[axis]
    multi = jax.process_count() > 1

    def put(a):
        if not hasattr(a, "shape") or not hasattr(a, "dtype") or len(a.shape) == 0:
            return a
        if multi:
            spec = PartitionSpec(axis, *([None] * (len(a.shape) - 1)))
            return jax.make_array_from_process_local_data(NamedSharding(mesh, spec),
                                                          np.asarray(a))
        if a.shape[0] % n_shards:
            return jax.device_put(a, NamedSharding(mesh, PartitionSpec()))
        spec = PartitionSpec(axis, *([None] * (len(a.shape) - 1)))
        return jax.device_put(a, NamedSharding(mesh, spec))

    return jax.tree_util.tree_map(put, batch)


def constrain(values, shardings):
    """Inside the jitted step: the new state values keep their variables' layouts."""
    return [v if s is None else jax.lax.with_sharding_constraint(v, s)
            for v, s in zip(values, shardings)]
