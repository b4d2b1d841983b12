"""keras.distribution on TensorFlow: ``DataParallel`` is a
``tf.distribute.MirroredStrategy`` over the mesh's devices; the TF trainer's strategy
support (training/tensorflow.py) then mirrors the variables and replicates the steps."""

from __future__ import annotations

import tensorflow as tf


def _logical(device_type):
    if device_type:
        return tf.config.list_logical_devices(device_type.upper())
    return tf.config.list_logical_devices("GPU") or tf.config.list_logical_devices("CPU")


def list_devices(device_type=None):
    return [f"{d.device_type.lower()}:{d.name.rsplit(':', 1)[-1]}"
            for d in _logical(device_type)]


def get_device_count(device_type=None):
    return len(_logical(device_type))


def num_processes():
    return 1


def process_id():
    return 0


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
    devices = dist.device_mesh._backend_mesh_for("tensorflow")
    strategy = tf.distribute.MirroredStrategy(devices)
    dist._tf_strategy = strategy
    return strategy
