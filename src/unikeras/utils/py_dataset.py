"""``keras.utils.PyDataset``: a Python dataset of batches, read in parallel.

Subclass it and define ``__len__`` (the number of batches; or override ``num_batches``
to return None for an infinite dataset) and ``__getitem__(index)`` returning a batch
``x``, ``(x, y)`` or ``(x, y, sample_weight)``. ``on_epoch_begin`` / ``on_epoch_end``
are called around each epoch.

``workers > 1`` reads batches with a thread pool (``use_multiprocessing=True``: a pool
of processes, forked on Linux, so the dataset need not be picklable; batches must be).
At most ``max_queue_size`` batches are in flight ahead of the consumer; batches are
always delivered in index order.
"""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import sys

__all__ = ["PyDataset"]


class PyDataset:
    def __init__(self, workers=1, use_multiprocessing=False, max_queue_size=10):
        self._workers = workers
        self._use_multiprocessing = use_multiprocessing
        self._max_queue_size = max_queue_size

    # Subclasses without super().__init__() still work (Keras' defaults).
    @property
    def workers(self):
        return self.__dict__.get("_workers", 1)

    @workers.setter
    def workers(self, value):
        self._workers = value

    @property
    def use_multiprocessing(self):
        return self.__dict__.get("_use_multiprocessing", False)

    @use_multiprocessing.setter
    def use_multiprocessing(self, value):
        self._use_multiprocessing = value

    @property
    def max_queue_size(self):
        return self.__dict__.get("_max_queue_size", 10)

    @max_queue_size.setter
    def max_queue_size(self, value):
        self._max_queue_size = value

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__(index) "
                                  "returning a batch")

    def __len__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __len__ (the number of "
                                  "batches) or override num_batches")

    @property
    def num_batches(self):
        """The number of batches per epoch; None for an infinite dataset."""
        if type(self).__len__ is PyDataset.__len__:
            return None
        return len(self)

    def on_epoch_begin(self):
        pass

    def on_epoch_end(self):
        pass


# -- reading -------------------------------------------------------------------------
_WORKER_DATASET = None


def _init_worker(dataset):
    global _WORKER_DATASET
    _WORKER_DATASET = dataset


def _get_in_worker(index):
    return _WORKER_DATASET[index]


def iterate(dataset, count):
    """Yield ``dataset[0] ... dataset[count - 1]`` in order (``count`` None: until
    IndexError/StopIteration), prefetching with the dataset's workers."""
    workers = max(int(dataset.workers or 1), 1)
    if workers == 1:
        i = 0
        while count is None or i < count:
            try:
                item = dataset[i]
            except (IndexError, StopIteration):
                if count is None:
                    return
                raise
            yield item
            i += 1
        return
    window = max(int(dataset.max_queue_size or workers), 1)
    if dataset.use_multiprocessing:
        ctx = multiprocessing.get_context("fork" if sys.platform.startswith("linux") else "spawn")
        pool = concurrent.futures.ProcessPoolExecutor(workers, mp_context=ctx,
                                                      initializer=_init_worker,
                                                      initargs=(dataset,))
        submit = lambda i: pool.submit(_get_in_worker, i)  # noqa: E731
    else:
        pool = concurrent.futures.ThreadPoolExecutor(workers)
        submit = lambda i: pool.submit(dataset.__getitem__, i)  # noqa: E731
    pending = []
    nxt = 0
    try:
        while True:
            while len(pending) < window and (count is None or nxt < count):
                pending.append(submit(nxt))
                nxt += 1
            if not pending:
                return
            fut = pending.pop(0)
            try:
                item = fut.result()
            except (IndexError, StopIteration):
                if count is None:
                    return
                raise
            yield item
    finally:
        for f in pending:
            f.cancel()
        pool.shutdown(wait=True, cancel_futures=True)
