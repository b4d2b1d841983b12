"""``keras.distribution``: Keras 3.15's distribution API, written once.

``DeviceMesh``, ``TensorLayout``, ``LayoutMap``, ``DataParallel``, ``ModelParallel``,
``distribute_tensor``, ``set_distribution`` / ``distribution()`` / ``Distribution.scope()``,
``list_devices``, ``get_device_count`` and ``initialize`` keep Keras' names, arguments
and semantics. Each framework's own engine does the work (docs/distribution.md):

* JAX (``distribution/jax.py``): a ``jax.sharding.Mesh``; layouts are
  ``NamedSharding``s; the jitted train step runs on batches sharded along the batch
  axis with every variable (and its optimizer slots) laid out as the distribution asks.
* TensorFlow (``distribution/tensorflow.py``): ``DataParallel`` is a
  ``tf.distribute.MirroredStrategy`` over the mesh's devices (the TF trainer's strategy
  support then replicates ``fit``).
* PyTorch (``distribution/torch.py``), across processes with ``torch.distributed``:
  ``DataParallel`` runs the forward through ``DistributedDataParallel``;
  ``ModelParallel`` makes the variables DTensors placed as the ``LayoutMap`` says.

The framework of device names and meshes is the default framework (``UNIKERAS_BACKEND``
/ ``KERAS_BACKEND``, else the first installed), as Keras' is its backend. This module
imports no framework.
"""

from __future__ import annotations

import collections
import contextlib
import math
import os
import re
import warnings

import numpy as np

from ..xp import shim
from ..xp._registry import default_framework

__all__ = [
    "list_devices", "get_device_count", "initialize", "DeviceMesh", "TensorLayout",
    "Distribution", "DataParallel", "ModelParallel", "LayoutMap", "distribute_tensor",
    "distribution", "set_distribution",
]

DEFAULT_BATCH_DIM_NAME = "batch"

# The distribution in force: one per process (``set_distribution``), read by the
# trainers once per step (a list lookup).
_current: list = [None]


def _backend(framework=None):
    fw = framework or default_framework()
    mod = shim(fw, "distribution")
    if mod is None:
        raise NotImplementedError(
            f"keras.distribution has no support for the {fw!r} framework; it runs on "
            "jax, torch and tensorflow.")
    return mod


def list_devices(device_type=None):
    """The devices of the default framework, as ``"cpu:0"``, ``"gpu:1"``, ... (Keras'
    strings). ``device_type``: "cpu", "gpu" or "tpu"; by default the accelerators if
    there are any, else the CPUs. In several processes: the global devices."""
    return _backend().list_devices(device_type)


def get_device_count(device_type=None):
    """The number of devices of ``device_type`` (default: as ``list_devices``)."""
    return _backend().get_device_count(device_type)


def initialize(job_addresses=None, num_processes=None, process_id=None):
    """Join a multi-process job (Keras 3 signature). Unset arguments come from
    ``KERAS_DISTRIBUTION_JOB_ADDRESSES``, ``KERAS_DISTRIBUTION_NUM_PROCESSES`` and
    ``KERAS_DISTRIBUTION_PROCESS_ID``. ``job_addresses`` is a comma-separated list whose
    first entry is the coordinator (``host:port``). JAX: ``jax.distributed.initialize``;
    PyTorch: ``torch.distributed.init_process_group`` (gloo on CPU, NCCL on CUDA);
    TensorFlow: ``TF_CONFIG`` with every worker's address (``job_addresses`` lists them
    all) and a ``MultiWorkerMirroredStrategy``, made here, at program start, as TF
    requires."""
    if job_addresses is None and "KERAS_DISTRIBUTION_JOB_ADDRESSES" in os.environ:
        job_addresses = os.environ["KERAS_DISTRIBUTION_JOB_ADDRESSES"]
    if num_processes is None and "KERAS_DISTRIBUTION_NUM_PROCESSES" in os.environ:
        num_processes = int(os.environ["KERAS_DISTRIBUTION_NUM_PROCESSES"])
    if process_id is None and "KERAS_DISTRIBUTION_PROCESS_ID" in os.environ:
        process_id = int(os.environ["KERAS_DISTRIBUTION_PROCESS_ID"])
    _backend().initialize(job_addresses, num_processes, process_id)


class DeviceMesh:
    """A cluster of devices with named axes: ``DeviceMesh(shape=(2, 4),
    axis_names=["batch", "model"], devices=list_devices())``."""

    def __init__(self, shape, axis_names, devices=None):
        if not shape or not axis_names:
            raise ValueError(
                "Shape and axis_names cannot be empty. Received: "
                f"shape={shape}, axis_names={axis_names}")
        if len(shape) != len(axis_names):
            raise ValueError(
                "Shape and axis_names should have same size. "
                f"Received: shape={shape}, axis_names={axis_names}")
        if devices is None:
            devices = list_devices()
        devices = np.array(devices)
        if math.prod(shape) != math.prod(devices.shape):
            raise ValueError(
                "Shape does not match the number of devices. "
                f"Received: shape={shape}; devices.shape={devices.shape}")
        self._shape = shape
        self._axis_names = axis_names
        self._devices = np.reshape(devices, shape)
        self._backend_meshes = {}

    @property
    def shape(self):
        return self._shape

    @property
    def axis_names(self):
        return self._axis_names

    @property
    def devices(self):
        return self._devices

    def _backend_mesh_for(self, framework):
        mesh = self._backend_meshes.get(framework)
        if mesh is None:
            mesh = self._backend_meshes[framework] = _backend(framework).to_backend_mesh(self)
        return mesh

    @property
    def backend_mesh(self):
        """The framework's mesh (``jax.sharding.Mesh`` on JAX, a torch ``DeviceMesh``)."""
        return self._backend_mesh_for(default_framework())

    def __repr__(self):
        return f"<{self.__class__.__name__} shape={self.shape}, axis_names={self.axis_names}>"

    __str__ = __repr__


class TensorLayout:
    """How a tensor is laid out on a mesh: one mesh axis name (or None: replicated)
    per tensor dimension, e.g. ``TensorLayout([None, "model"], mesh)``."""

    def __init__(self, axes, device_mesh=None):
        self._axes = tuple(axes)
        self._device_mesh = device_mesh
        self._backend_layouts = {}
        self._validate_axes()

    @property
    def axes(self):
        return self._axes

    @property
    def device_mesh(self):
        return self._device_mesh

    @device_mesh.setter
    def device_mesh(self, device_mesh):
        if self._device_mesh is not None:
            raise ValueError(
                f"Cannot override device mesh value. Existing value is {self._device_mesh}")
        self._device_mesh = device_mesh
        self._validate_axes()

    def _backend_layout_for(self, framework):
        layout = self._backend_layouts.get(framework)
        if layout is None:
            layout = self._backend_layouts[framework] = \
                _backend(framework).to_backend_layout(self)
        return layout

    @property
    def backend_layout(self):
        """The framework's layout (a ``jax.sharding.NamedSharding`` on JAX)."""
        return self._backend_layout_for(default_framework())

    def _validate_axes(self):
        if self._device_mesh:
            valid = set(self._device_mesh.axis_names)
            names = set(self._axes) - {None}
            if names - valid:
                raise ValueError(
                    f"Invalid axis names for Layout. Valid axis names: {valid}, Got {names}")

    def __repr__(self):
        return f"<{self.__class__.__name__} axes={self.axes}, device_mesh={self.device_mesh}>"

    __str__ = __repr__


class Distribution:
    """Base class: how data and variables are distributed over a ``DeviceMesh``."""

    def __init__(self, device_mesh, batch_dim_name=None, auto_shard_dataset=True):
        self._device_mesh = device_mesh
        self._batch_dim_name = batch_dim_name
        self._auto_shard_dataset = auto_shard_dataset
        mod = shim(default_framework(), "distribution")
        self._num_processes = mod.num_processes() if mod is not None else 1
        self._process_id = mod.process_id() if mod is not None else 0
        self._is_multi_process = self._num_processes > 1

    @property
    def num_processes(self):
        return self._num_processes

    @property
    def num_model_replicas(self):
        raise NotImplementedError(f"{type(self).__name__} must define num_model_replicas")

    @property
    def data_shard_id(self):
        replicas = self.num_model_replicas
        if replicas >= self.num_processes:
            return self._process_id
        return self._process_id // (self.num_processes // replicas)

    def get_data_layout(self, data_shape):
        raise NotImplementedError(f"{type(self).__name__} must define get_data_layout")

    def get_variable_layout(self, variable):
        raise NotImplementedError(f"{type(self).__name__} must define get_variable_layout")

    def get_tensor_layout(self, path):
        raise NotImplementedError(f"{type(self).__name__} must define get_tensor_layout")

    @contextlib.contextmanager
    def scope(self):
        """Make this the distribution in force inside the ``with`` block."""
        original = distribution()
        set_distribution(self)
        try:
            yield
        finally:
            set_distribution(original)

    @property
    def device_mesh(self):
        return self._device_mesh

    @property
    def batch_dim_name(self):
        return self._batch_dim_name

    @property
    def auto_shard_dataset(self):
        return self._auto_shard_dataset

    @auto_shard_dataset.setter
    def auto_shard_dataset(self, value):
        self._auto_shard_dataset = value

    def distribute_dataset(self, dataset):
        """Keras' hook for per-process sharding of a dataset: in one process (or with
        ``auto_shard_dataset=False``) the dataset itself; each process of a multi-process
        job then feeds its own part of the global batch (its local data)."""
        return dataset

    def __repr__(self):
        return f"<{self.__class__.__name__} device_mesh={self.device_mesh}>"

    __str__ = __repr__


class DataParallel(Distribution):
    """Every device holds the whole model; each batch is split along its first
    dimension over the mesh's (first) axis. ``DataParallel()`` uses every device of
    ``list_devices()``; ``devices=[...]`` or ``device_mesh=`` choose."""

    def __init__(self, device_mesh=None, devices=None, auto_shard_dataset=True):
        if device_mesh:
            if not isinstance(device_mesh, DeviceMesh):
                raise ValueError(
                    "Expect `mesh` to be an instance of `DeviceMesh`. "
                    f"Received: mesh={device_mesh} (of type {type(device_mesh)})")
            super().__init__(device_mesh, device_mesh.axis_names[0], auto_shard_dataset)
            if self.device_mesh.devices.ndim != 1:
                warnings.warn(
                    "Expect the input mesh to be 1D, but received mesh.devices.ndim="
                    f"{device_mesh.devices.ndim}. The first axis will be used for "
                    "data-parallel sharding.", stacklevel=2)
            return
        devices = np.array(devices if devices else list_devices())
        mesh = DeviceMesh(shape=devices.shape, axis_names=[DEFAULT_BATCH_DIM_NAME],
                          devices=devices)
        super().__init__(mesh, DEFAULT_BATCH_DIM_NAME, auto_shard_dataset)

    @property
    def num_model_replicas(self):
        return self.device_mesh.devices.size

    def get_data_layout(self, data_shape):
        spec = [None] * len(data_shape)
        spec[0] = self.batch_dim_name
        return TensorLayout(spec, self.device_mesh)

    def get_variable_layout(self, variable):
        if getattr(variable, "_layout", None) is not None:
            return variable._layout
        return TensorLayout([None] * len(variable.shape), self.device_mesh)

    def get_tensor_layout(self, path):
        return None


class ModelParallel(Distribution):
    """Variables laid out by a ``LayoutMap`` (regex keys over variable paths), data
    split along ``batch_dim_name`` (default: the mesh's first axis)."""

    def __init__(self, *, layout_map=None, batch_dim_name=None, auto_shard_dataset=True,
                 **kwargs):
        kwargs.pop("device_mesh", None)
        if kwargs:
            raise TypeError(f"ModelParallel got unexpected arguments: {sorted(kwargs)}")
        if layout_map is None:
            raise ValueError("You must specify a layout_map argument.")
        if not isinstance(layout_map, LayoutMap):
            raise ValueError(
                "Argument `layout_map` must be a `LayoutMap` instance. "
                f"Received: layout_map={layout_map}")
        mesh = layout_map.device_mesh
        batch_dim_name = batch_dim_name or mesh.axis_names[0]
        super().__init__(mesh, batch_dim_name, auto_shard_dataset)
        self._layout_map = layout_map
        if (self._is_multi_process and self.num_processes > self.num_model_replicas
                and self.num_processes % self.num_model_replicas != 0):
            raise ValueError(
                "If `num_processes` is greater than `num_model_replicas`, `num_processes` "
                "must be divisible by `num_model_replicas`. Got "
                f"num_processes={self.num_processes}, "
                f"num_model_replicas={self.num_model_replicas}.")

    @property
    def num_model_replicas(self):
        return self.device_mesh.shape[self.device_mesh.axis_names.index(self.batch_dim_name)]

    def get_data_layout(self, data_shape):
        spec = [None] * len(data_shape)
        spec[0] = self.batch_dim_name
        return TensorLayout(spec, self.device_mesh)

    def get_variable_layout(self, variable):
        if getattr(variable, "_layout", None) is not None:
            return variable._layout
        layout = self._layout_map[variable.path]
        if layout is not None:
            return layout
        return TensorLayout([None] * len(variable.shape), self.device_mesh)

    def get_tensor_layout(self, path):
        return self._layout_map[path]


class LayoutMap(collections.abc.MutableMapping):
    """Variable paths (or regexes matched in full, ``re.fullmatch``) to
    ``TensorLayout``s (a tuple of axis names is turned into one)."""

    def __init__(self, device_mesh):
        self._layout_map = collections.OrderedDict()
        self._device_mesh = device_mesh

    def __getitem__(self, key):
        """The layout of ``key``: an exact key, else the one key matching it as a regex,
        else None; a path matching several keys is an error."""
        if key in self._layout_map:
            return self._layout_map[key]
        matching = [p for p in self._layout_map if re.fullmatch(p, key)]
        if len(matching) > 1:
            raise ValueError(
                f"Path '{key}' matches multiple layout specification keys: {matching}. "
                "Please make sure each tensor/variable path only matches at most one "
                "layout specification key in the LayoutMap.")
        if len(matching) == 1:
            return self._layout_map[matching[0]]
        return None

    def __setitem__(self, key, layout):
        if key in self._layout_map:
            raise ValueError(
                f"{key} already exist in the LayoutMap with value {self._layout_map[key]}. "
                "Please make sure to not use duplicated keys.")
        if isinstance(layout, tuple):
            layout = TensorLayout(axes=layout, device_mesh=None)
        if not isinstance(layout, TensorLayout):
            raise ValueError(f"{layout} should be a TensorLayout type, got {type(layout)}")
        if layout.device_mesh is None and self.device_mesh is not None:
            layout.device_mesh = self.device_mesh
        self._layout_map[key] = layout

    def __delitem__(self, key):
        return self._layout_map.pop(key)

    def __len__(self):
        return len(self._layout_map)

    def __iter__(self):
        return iter(self._layout_map)

    @property
    def device_mesh(self):
        return self._device_mesh


LayoutMap.get.__doc__ = LayoutMap.__getitem__.__doc__


def distribute_tensor(tensor, layout):
    """``tensor`` laid out as ``layout`` (a ``TensorLayout`` or the framework's own
    layout). Under ``jax.jit`` a sharding constraint; eagerly a ``device_put``. A
    KerasTensor is returned as is."""
    from ..xp import framework_of

    if type(tensor).__name__ == "KerasTensor":
        return tensor
    fw = framework_of(tensor) or default_framework()
    mod = _backend(fw)
    if isinstance(layout, TensorLayout):
        layout = layout._backend_layout_for(fw)
    return mod.distribute_tensor(tensor, layout)


def distribution():
    """The distribution in force (``set_distribution`` / ``Distribution.scope()``), or
    None."""
    return _current[0]


def set_distribution(value):
    """Set the distribution in force for this process (None: no distribution)."""
    if value is not None and not isinstance(value, Distribution):
        raise ValueError(
            "Argument `value` must be a `keras.distribution.Distribution` or None. "
            f"Received: value={value!r} (of type {type(value).__name__})")
    _current[0] = value


def variable_layout(dist, variable):
    """The layout ``dist`` asks for ``variable``; an optimizer slot (made by
    ``add_variable_from_reference``) follows its variable."""
    ref = getattr(variable, "_reference", None)
    return dist.get_variable_layout(ref if ref is not None else variable)
