"""OrbaxCheckpoint (Keras 3.15): the model's state saved with orbax-checkpoint."""

from __future__ import annotations

import os
import warnings

from .base import Callback, batches_done, logs_to_floats
from ._monitor import resolve_mode, worst


class OrbaxCheckpoint(Callback):
    """Save the model's state (weights, optimizer and metrics variables, and unless
    ``save_weights_only`` its config) with Orbax every epoch or every ``save_freq``
    batches, into ``directory/<step>`` (the epoch index, or the number of batches seen),
    keeping the ``max_to_keep`` latest steps (all with None). ``save_on_background``
    writes asynchronously while training goes on (``wait_until_finished()`` or the end
    of ``fit`` waits). A model living on JAX saves its arrays as they are, a sharded
    ``jax.Array`` shard by shard by the processes holding it (several processes:
    ``jax.distributed``, coordinated by Orbax). Read back with ``model.load_weights
    (directory)`` or ``keras.saving.load_model(directory)``. Needs orbax-checkpoint (and
    JAX) installed, whatever framework the model runs on."""

    def __init__(self, directory, monitor="val_loss", verbose=0, save_best_only=False,
                 mode="auto", save_freq="epoch", initial_value_threshold=None,
                 max_to_keep=1, save_on_background=True, save_weights_only=False):
        super().__init__()
        from ...saving.orbax_checkpoint import orbax

        self._orbax = orbax()
        if save_freq != "epoch" and not isinstance(save_freq, int):
            raise ValueError(f"Unrecognized save_freq: {save_freq}. Expected save_freq are "
                             "'epoch' or integer values")
        self.directory = os.fspath(directory)
        self.monitor = monitor
        self.verbose = verbose
        self.save_best_only = save_best_only
        self.mode = resolve_mode("OrbaxCheckpoint", mode, monitor)
        self.save_freq = save_freq
        self.max_to_keep = max_to_keep
        self.save_on_background = save_on_background
        self.save_weights_only = save_weights_only
        self.best = worst(self.mode) if initial_value_threshold is None else float(
            initial_value_threshold)
        self._batches_seen_since_last_saving = 0
        self._total_batches_seen = 0
        self._async_futures = []
        self.checkpointer = self._orbax.checkpointer(self.directory, max_to_keep)

    def set_model(self, model):
        super().set_model(model)
        opt = getattr(model, "optimizer", None)
        if opt is not None and opt.built:
            # a reloaded model continues the step count
            self._total_batches_seen = int(opt.iterations.numpy())

    def is_multihost_enabled(self):
        """Whether this job runs several JAX processes (``jax.distributed``)."""
        return self._orbax.is_multi_process()

    def is_primary_host(self):
        """Whether this is process 0 (always True in one process)."""
        return self._orbax.process_index() == 0

    def _improved(self, current):
        return current < self.best if self.mode == "min" else current > self.best

    def _should_save(self, logs, where):
        if not self.save_best_only:
            return True
        current = logs_to_floats(logs or {}).get(self.monitor)
        if current is None:
            warnings.warn(f"Can save best model only with {self.monitor} available, "
                          f"skipping save at {where}.", stacklevel=3)
            return False
        if not self._improved(current):
            return False
        self.best = current
        return True

    def _save_checkpoint(self, step):
        from ...saving.keras_file import config_json
        from ...saving.orbax_checkpoint import payload

        if self.verbose > 0:
            print(f"OrbaxCheckpoint: saving step {step} to {self.directory}")
        future = self._orbax.save(self.checkpointer, step,
                                  payload(self.model, None if self.save_weights_only
                                          else config_json(self.model)),
                                  self.save_on_background)
        if future is not None:
            self._async_futures.append(future)

    def on_train_batch_end(self, batch, logs=None):
        if self.save_freq == "epoch":
            return
        n = batches_done(self, batch)
        self._batches_seen_since_last_saving += n
        self._total_batches_seen += n
        if self._batches_seen_since_last_saving >= self.save_freq:
            self._batches_seen_since_last_saving = 0
            if self._should_save(logs, f"batch {batch}"):
                self._save_checkpoint(self._total_batches_seen)

    def on_epoch_end(self, epoch, logs=None):
        if self.save_freq == "epoch" and self._should_save(logs, f"epoch {epoch}"):
            self._save_checkpoint(epoch)

    def on_train_end(self, logs=None):
        self.wait_until_finished()
        self._orbax.sync("checkpoint_cleanup")

    def wait_until_finished(self):
        """Block until every checkpoint started in the background is written."""
        for future in self._async_futures:
            future.result()
        self._async_futures.clear()
        self.checkpointer.wait()
        self._orbax.sync("checkpoint_wait_complete")
