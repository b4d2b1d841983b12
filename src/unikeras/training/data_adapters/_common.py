"""Helpers shared by the container adapters (framework-free)."""

from __future__ import annotations

import numpy as np

from ...xp import framework_of, to_numpy
from ..data import DataAdapter, _map, host_floatx


def reject_extra_arguments(name, y, sample_weight, class_weight=None):
    """Containers carry their own targets: Keras refuses y / sample_weight beside them."""
    if y is not None:
        raise ValueError(f"{name}: when x is a {name.split(' ')[0]}, y must not be passed "
                         f"separately (the data yields (x, y) or (x, y, sample_weight)); "
                         f"received y of type {type(y).__name__}")
    if sample_weight is not None:
        raise ValueError(f"{name}: sample_weight must come from the data itself "
                         "((x, y, sample_weight) batches); received it as an argument")
    if class_weight is not None:
        raise ValueError(f"{name}: class_weight is only supported for array data; "
                         "received class_weight with a data container")


def standardize_batch(batch, keep_framework=None):
    """Normalise one batch from a container: a tuple ``(x,)``, ``(x, y)`` or ``(x, y,
    sw)``, or x alone; lists become tuples at the top level only. Leaves stay in their framework
    when it is ``keep_framework``; other framework tensors become NumPy (zero-copy on
    CPU). float64 becomes floatx, as for host arrays."""
    if isinstance(batch, list):
        batch = tuple(batch)
    # a bare x stays bare, as Keras hands it to train_step
    if isinstance(batch, tuple) and not 1 <= len(batch) <= 3:
        raise ValueError("A data batch must be x, (x,), (x, y) or (x, y, sample_weight); "
                         f"received a tuple of length {len(batch)}")

    def leaf(a):
        if a is None:
            return None
        fw = framework_of(a)
        if fw is not None and fw != "numpy" and fw == keep_framework:
            return a
        if fw is not None or hasattr(a, "to_numpy") or isinstance(a, (list, float, int)):
            a = to_numpy(a) if fw is not None else np.asarray(a.to_numpy() if hasattr(a, "to_numpy") else a)
        return host_floatx(a) if isinstance(a, np.ndarray) else a

    return _map(leaf, batch)


class ContainerAdapter(DataAdapter):
    """Base for adapters over containers: host or foreign batches, default framework."""

    framework = None

    def __init__(self, steps=None):
        if steps is not None and int(steps) <= 0:
            raise ValueError(f"steps_per_epoch must be a positive int; received {steps}")
        self.steps = None if steps is None else int(steps)
