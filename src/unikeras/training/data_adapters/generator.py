"""Python generators and iterators yielding ``x``, ``(x, y)`` or ``(x, y, sample_weight)``.

Without ``steps_per_epoch`` an epoch lasts until the generator is exhausted; an
exhausted generator cannot restart, so a later epoch that yields nothing ends training
with a warning (as Keras does: "your input ran out of data"). With ``steps_per_epoch``
the same iterator is read across epochs, ``steps`` batches each.
"""

from __future__ import annotations

import collections.abc
import inspect
import warnings

from ._common import ContainerAdapter, reject_extra_arguments, standardize_batch


def is_generator(x) -> bool:
    if inspect.isgenerator(x):
        return True
    # Any iterator (arrays are iterable but not iterators), tf.data iterators included.
    return isinstance(x, collections.abc.Iterator) and not hasattr(x, "shape")


class GeneratorAdapter(ContainerAdapter):
    def __init__(self, x, y=None, sample_weight=None, batch_size=None, shuffle=False,
                 class_weight=None, steps=None):
        reject_extra_arguments("generator input", y, sample_weight, class_weight)
        super().__init__(steps)
        self._it = iter(x)
        self.exhausted = False

    def num_batches(self):
        return self.steps

    def epoch(self):
        produced = 0
        target = self.target_framework
        while self.steps is None or produced < self.steps:
            try:
                batch = next(self._it)
            except StopIteration:
                self.exhausted = True
                break
            produced += 1
            yield standardize_batch(batch, keep_framework=target)
        if produced == 0 and self.exhausted:
            warnings.warn("Your input ran out of data: the generator is exhausted. Make sure "
                          "it can produce at least steps_per_epoch * epochs batches (or "
                          "pass a re-iterable dataset).", stacklevel=3)
        elif self.exhausted and self.steps is not None and produced < self.steps:
            warnings.warn(f"Your input ran out of data: the generator gave {produced} of "
                          f"{self.steps} steps_per_epoch batches.", stacklevel=3)
