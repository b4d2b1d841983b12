"""``tf.data.Dataset`` adapter (imported only when a tf.data object is seen).

Each epoch iterates the dataset afresh. Batches keep their tf tensors when the target
framework is TensorFlow; otherwise they are handed over as NumPy views of the eager
tensors (zero-copy on CPU) and converted to the target framework by the fit loop.
"""

from __future__ import annotations

import tensorflow as tf

from ...xp import floatx
from ._common import ContainerAdapter, reject_extra_arguments, standardize_batch


class TFDatasetAdapter(ContainerAdapter):
    def __init__(self, x, y=None, sample_weight=None, batch_size=None, shuffle=False,
                 class_weight=None, steps=None):
        reject_extra_arguments("tf.data.Dataset input", y, sample_weight, class_weight)
        super().__init__(steps)
        self.dataset = x
        n = int(x.cardinality())
        self._size = n if n >= 0 else None  # INFINITE (-1) / UNKNOWN (-2)
        if n == tf.data.INFINITE_CARDINALITY and self.steps is None:
            raise ValueError("tf.data.Dataset input: the dataset repeats forever; pass "
                             "steps_per_epoch (or steps) to say how long an epoch is")

    def num_batches(self):
        if self._size is None:
            return self.steps
        return min(self._size, self.steps) if self.steps else self._size

    def epoch(self):
        target = self.target_framework
        for i, batch in enumerate(self.dataset):
            if self.steps is not None and i >= self.steps:
                break
            if target == "tensorflow" and _has_float64(batch):
                batch = tf.nest.map_structure(
                    lambda t: tf.cast(t, floatx()) if t.dtype == tf.float64 else t, batch)
            yield standardize_batch(batch, keep_framework=target)


def _has_float64(batch):
    return any(getattr(t, "dtype", None) == tf.float64 for t in tf.nest.flatten(batch))
