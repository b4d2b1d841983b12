"""keras.distribution on TensorFlow: ``DataParallel`` is a
``tf.distribute.MirroredStrategy`` over the mesh's devices, or, after ``initialize``
with several processes, a ``tf.distribute.MultiWorkerMirroredStrategy`` over the workers;
the TF trainer's strategy support (training/tensorflow.py) then mirrors the variables and
replicates the steps."""

from __future__ import annotations

import json
import os

import tensorflow as tf

# the MultiWorkerMirroredStrategy made by ``initialize`` (TF wants it made at program
# start, before other TF calls)
_multi_worker: list = []


def _logical(device_type):
    if device_type:
        return tf.config.list_logical_devices(device_type.upper())
    return tf.config.list_logical_devices("GPU") or tf.config.list_logical_devices("CPU")


def list_devices(device_type=None):
    return [f"{d.device_type.lower()}:{d.name.rsplit(':', 1)[-1]}"
            for d in _logical(device_type)]


def get_device_count(device_type=None):
    return len(_logical(device_type))


def initialize(job_addresses, num_processes, process_id):
    """Join a multi-worker job: ``TF_CONFIG`` from the arguments (``job_addresses``: every
    worker's ``host:port``, comma-separated, in process order), then the
    ``MultiWorkerMirroredStrategy`` that ``DataParallel`` will run on. With no
    ``job_addresses`` an existing ``TF_CONFIG`` is used."""
    if job_addresses:
        workers = [a.strip() for a in job_addresses.split(",")]
        if num_processes is not None and len(workers) != num_processes:
            raise ValueError(
                "keras.distribution.initialize on TensorFlow needs every worker's address: "
                f"received {len(workers)} job_addresses for num_processes={num_processes}.")
        os.environ["TF_CONFIG"] = json.dumps(
            {"cluster": {"worker": workers}, "task": {"type": "worker", "index": int(process_id or 0)}})
    elif "TF_CONFIG" not in os.environ:
        raise ValueError("keras.distribution.initialize on TensorFlow needs job_addresses "
                         "(every worker's host:port) or TF_CONFIG.")
    _multi_worker[:] = [tf.distribute.MultiWorkerMirroredStrategy()]


def _tf_config():
    return json.loads(os.environ.get("TF_CONFIG") or "{}") if _multi_worker else {}


def num_processes():
    return len(_tf_config().get("cluster", {}).get("worker", [])) or 1


def process_id():
    return int(_tf_config().get("task", {}).get("index", 0))


def to_backend_mesh(device_mesh):
    """TF's device names of the mesh, in mesh order (``/cpu:0``, ...)."""
    return [f"/{str(d).lower()}" if ":" in str(d) and not str(d).startswith("/") else str(d)
            for d in device_mesh.devices.reshape(-1)]


def strategy_of(dist):
    """The ``tf.distribute`` strategy that runs ``dist`` (made once per distribution)."""
    strategy = getattr(dist, "_tf_strategy", None)
    if strategy is not None:
        return strategy
    from . import DataParallel

    if not isinstance(dist, DataParallel):
        raise ValueError(
            f"keras.distribution.{type(dist).__name__} is not supported on TensorFlow: "
            "TensorFlow runs DataParallel (as tf.distribute.MirroredStrategy). Use the "
            "JAX framework for model parallelism.")
    if _multi_worker:  # initialize()d: every worker's local devices
        strategy = _multi_worker[0]
    else:
        strategy = tf.distribute.MirroredStrategy(dist.device_mesh._backend_mesh_for("tensorflow"))
    dist._tf_strategy = strategy
    return strategy
