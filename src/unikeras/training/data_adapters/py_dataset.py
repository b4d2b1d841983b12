"""Adapter for ``keras.utils.PyDataset``."""

from __future__ import annotations

from ...utils.py_dataset import PyDataset, iterate
from ._common import ContainerAdapter, reject_extra_arguments, standardize_batch


def is_py_dataset(x) -> bool:
    return isinstance(x, PyDataset)


class PyDatasetAdapter(ContainerAdapter):
    def __init__(self, x, y=None, sample_weight=None, batch_size=None, shuffle=False,
                 class_weight=None, steps=None):
        reject_extra_arguments("PyDataset input", y, sample_weight, class_weight)
        super().__init__(steps)
        self.dataset = x
        n = x.num_batches
        if n is None and self.steps is None:
            raise ValueError(f"{type(x).__name__}: this PyDataset is infinite (num_batches is "
                             "None); pass steps_per_epoch (or steps) to say how long an "
                             "epoch is")

    def num_batches(self):
        n = self.dataset.num_batches
        if n is None:
            return self.steps
        return min(n, self.steps) if self.steps else n

    def epoch(self):
        target = self.target_framework
        self.dataset.on_epoch_begin()
        count = self.num_batches()
        for batch in iterate(self.dataset, count):
            yield standardize_batch(batch, keep_framework=target)
        self.dataset.on_epoch_end()
