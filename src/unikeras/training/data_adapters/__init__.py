"""Data adapters for containers: Python generators/iterators, ``keras.utils.PyDataset``,
``tf.data.Dataset`` and torch ``Dataset``/``DataLoader``.

Each is registered with ``register_adapter``; ``get_adapter`` picks the adapter for the
data that ``fit``/``evaluate``/``predict`` get (arrays: ``training.data.ArrayAdapter``).
Detection never imports a framework: tf.data and torch objects are recognised by the modules of the
classes in ``type(x).__mro__``; the framework-specific code (``tensorflow.py``,
``torch.py`` here) is imported only when such an object is seen.

Containers run on the default framework (``unikeras.xp.default_framework()``); their
batches are converted by ``to_framework_batch`` on the way into the step.
"""

from __future__ import annotations

import numpy as np

from ...xp import shim
from ..data import ArrayAdapter, DataAdapter
from .generator import GeneratorAdapter, is_generator
from .py_dataset import PyDatasetAdapter, is_py_dataset

_ADAPTERS = []


def register_adapter(predicate, factory):
    """Extension point: ``predicate(x)`` → use ``factory(x, y, sample_weight, batch_size,
    shuffle, class_weight, steps)``."""
    _ADAPTERS.append((predicate, factory))


def get_adapter(x, y=None, sample_weight=None, batch_size=None, shuffle=False,
                class_weight=None, steps=None):
    if batch_size is not None and (isinstance(batch_size, bool) or not isinstance(
            batch_size, (int, np.integer)) or batch_size <= 0):
        raise ValueError(f"batch_size must be a positive integer (or None for 32); received "
                         f"batch_size={batch_size!r}")
    if isinstance(x, DataAdapter):
        return x
    for predicate, factory in _ADAPTERS:
        if predicate(x):
            return factory(x, y, sample_weight, batch_size, shuffle, class_weight, steps)
    if x is None:
        raise ValueError("Expected input data x; received None")
    return ArrayAdapter(x, y, sample_weight, batch_size=batch_size, shuffle=shuffle,
                        class_weight=class_weight, steps=steps)


def _mro_modules(x):
    return [getattr(c, "__module__", "") or "" for c in type(x).__mro__]


def is_tf_dataset(x) -> bool:
    # a tf.data iterator (iter(dataset)) has no cardinality: it is read as a generator
    return (any(m.startswith("tensorflow.python.data.") for m in _mro_modules(x))
            and hasattr(type(x), "cardinality"))


def is_torch_data(x) -> bool:
    return any(m.startswith("torch.utils.data.") for m in _mro_modules(x))


def _lazy(framework, cls):
    def factory(x, y, sample_weight, batch_size, shuffle, class_weight, steps):
        mod = shim(framework, "training.data_adapters")
        return getattr(mod, cls)(x, y=y, sample_weight=sample_weight, batch_size=batch_size,
                                 shuffle=shuffle, class_weight=class_weight, steps=steps)
    return factory


def _make(cls):
    def factory(x, y, sample_weight, batch_size, shuffle, class_weight, steps):
        return cls(x, y=y, sample_weight=sample_weight, batch_size=batch_size,
                   shuffle=shuffle, class_weight=class_weight, steps=steps)
    return factory


register_adapter(is_py_dataset, _make(PyDatasetAdapter))
register_adapter(is_tf_dataset, _lazy("tensorflow", "TFDatasetAdapter"))
register_adapter(is_torch_data, _lazy("torch", "TorchDataAdapter"))
register_adapter(is_generator, _make(GeneratorAdapter))

__all__ = ["get_adapter", "register_adapter", "GeneratorAdapter", "PyDatasetAdapter", "is_generator", "is_py_dataset",
           "is_tf_dataset", "is_torch_data"]
