"""torch ``DataLoader`` / ``Dataset`` adapter (imported only when one is seen).

A ``DataLoader`` is iterated as it is (its own batching, shuffling and workers). A
map-style ``Dataset`` is wrapped in a ``DataLoader`` with ``batch_size`` (default 32)
and ``shuffle``; an ``IterableDataset`` is batched in order. Batches keep their torch
tensors when the target framework is torch; otherwise they are handed over as NumPy
views (zero-copy on CPU) and converted to the target framework by the fit loop.
"""

from __future__ import annotations

import torch
from torch.utils.data import DataLoader, Dataset, IterableDataset

from ...xp import floatx
from ._common import ContainerAdapter, reject_extra_arguments, standardize_batch


class TorchDataAdapter(ContainerAdapter):
    def __init__(self, x, y=None, sample_weight=None, batch_size=None, shuffle=False,
                 class_weight=None, steps=None):
        reject_extra_arguments("torch DataLoader/Dataset input", y, sample_weight, class_weight)
        super().__init__(steps)
        if isinstance(x, DataLoader):
            loader = x
        elif isinstance(x, Dataset):
            iterable = isinstance(x, IterableDataset)
            loader = DataLoader(x, batch_size=int(batch_size or 32),
                                shuffle=bool(shuffle) and not iterable)
        else:
            raise TypeError("torch data input: expected a torch.utils.data.DataLoader or "
                            f"Dataset; received {type(x).__name__}")
        self.loader = loader
        try:
            self._size = len(loader)
        except TypeError:
            self._size = None

    def num_batches(self):
        if self._size is None:
            return self.steps
        return min(self._size, self.steps) if self.steps else self._size

    def epoch(self):
        target = self.target_framework
        for i, batch in enumerate(self.loader):
            if self.steps is not None and i >= self.steps:
                break
            if target == "torch":
                batch = _cast_float64(batch)
            yield standardize_batch(batch, keep_framework=target)


def _cast_float64(obj):
    if isinstance(obj, torch.Tensor):
        return obj.to(getattr(torch, floatx())) if obj.dtype == torch.float64 else obj
    if isinstance(obj, (list, tuple)):
        return type(obj)(_cast_float64(o) for o in obj)
    if isinstance(obj, dict):
        return {k: _cast_float64(v) for k, v in obj.items()}
    return obj
