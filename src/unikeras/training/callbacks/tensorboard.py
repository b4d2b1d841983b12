"""TensorBoard callback: scalar summaries in real tfevents files.

Writes ``epoch_<metric>`` for each epoch (training logs to ``<log_dir>/train``,
``val_*`` logs to ``<log_dir>/validation``, as Keras does) and, with ``update_freq`` =
"batch" or an int N, ``batch_<metric>`` every N training batches. The files are written
by unikeras' own encoder (``_tfevents.py``): no TensorFlow import. Histograms, images,
graphs, embeddings and profiling are not written (a warning says so when asked for).
"""

from __future__ import annotations

import os
import warnings

from .base import Callback, batches_done, logs_to_floats
from ._tfevents import EventFileWriter


class TensorBoard(Callback):
    def __init__(self, log_dir="logs", histogram_freq=0, write_graph=True, write_images=False,
                 write_steps_per_second=False, update_freq="epoch", profile_batch=0,
                 embeddings_freq=0, embeddings_metadata=None):
        super().__init__()
        self.log_dir = os.fspath(log_dir)
        asked = [n for n, v in (("histogram_freq", histogram_freq), ("write_images", write_images),
                                ("profile_batch", profile_batch),
                                ("embeddings_freq", embeddings_freq)) if v]
        if asked:
            warnings.warn(f"TensorBoard: {', '.join(asked)} are not supported by unikeras; only "
                          "scalar summaries are written", stacklevel=2)
        if update_freq == "batch":
            update_freq = 1
        if update_freq != "epoch" and not (isinstance(update_freq, int) and update_freq > 0):
            raise ValueError("TensorBoard: update_freq must be 'epoch', 'batch' or a positive "
                             f"int; received {update_freq!r}")
        self.update_freq = update_freq
        self.write_steps_per_second = write_steps_per_second
        self._writers = {}
        self._global_step = 0

    def _writer(self, which):
        w = self._writers.get(which)
        if w is None:
            w = self._writers[which] = EventFileWriter(os.path.join(self.log_dir, which))
        return w

    def on_train_begin(self, logs=None):
        self._global_step = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._last_batch_seen = -1

    def on_train_batch_end(self, batch, logs=None):
        n = batches_done(self, batch)  # more than 1 with steps_per_execution
        self._global_step += n
        if (self.update_freq == "epoch"
                or self._global_step // self.update_freq == (self._global_step - n) // self.update_freq):
            return
        w = self._writer("train")
        for k, v in logs_to_floats(logs).items():
            if isinstance(v, float):
                w.scalar(f"batch_{k}", v, self._global_step)

    def on_epoch_end(self, epoch, logs=None):
        train, val = self._writer("train"), None
        for k, v in logs_to_floats(logs).items():
            if not isinstance(v, float):
                continue
            if k.startswith("val_"):
                val = val or self._writer("validation")
                val.scalar(f"epoch_{k[4:]}", v, epoch)
            else:
                train.scalar(f"epoch_{k}", v, epoch)
        for w in self._writers.values():
            w.flush()

    def on_train_end(self, logs=None):
        for w in self._writers.values():
            w.close()
        self._writers = {}
