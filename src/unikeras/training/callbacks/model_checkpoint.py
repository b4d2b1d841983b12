"""ModelCheckpoint and BackupAndRestore."""

from __future__ import annotations

import json
import os
import shutil

from .base import Callback, batches_done, logs_to_floats
from ._monitor import monitor_value, resolve_mode, worst


class ModelCheckpoint(Callback):
    """Save the model (``.keras``) or its weights (``.weights.h5``) every epoch or every
    ``save_freq`` batches. ``filepath`` may hold ``{epoch}``, ``{batch}`` and any log key
    (``"ckpt-{epoch:02d}-{val_loss:.2f}.keras"``). ``save_best_only`` saves only when
    ``monitor`` improves."""

    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False,
                 save_weights_only=False, mode="auto", save_freq="epoch",
                 initial_value_threshold=None):
        super().__init__()
        self.filepath = os.fspath(filepath)
        self.monitor = monitor
        self.verbose = verbose
        self.save_best_only = save_best_only
        self.save_weights_only = save_weights_only
        self.mode = resolve_mode("ModelCheckpoint", mode, monitor)
        if save_freq != "epoch" and not (isinstance(save_freq, int) and save_freq > 0):
            raise ValueError("ModelCheckpoint: save_freq must be 'epoch' or a positive int "
                             f"(batches); received {save_freq!r}")
        self.save_freq = save_freq
        if save_weights_only and not self.filepath.endswith(".weights.h5"):
            raise ValueError("ModelCheckpoint: with save_weights_only=True the filepath must "
                             f"end in .weights.h5; received {self.filepath!r}")
        if not save_weights_only and not self.filepath.endswith(".keras"):
            raise ValueError("ModelCheckpoint: the filepath must end in .keras (or use "
                             "save_weights_only=True with .weights.h5); received "
                             f"{self.filepath!r}")
        self.best = worst(self.mode) if initial_value_threshold is None else float(initial_value_threshold)
        self._batches_seen = 0
        self._epoch = 0

    def _improved(self, value):
        return value < self.best if self.mode == "min" else value > self.best

    def _save(self, epoch, batch, logs):
        logs = logs_to_floats(logs)
        try:
            path = self.filepath.format(epoch=epoch + 1, batch=batch, **logs)
        except KeyError as e:
            raise KeyError(f"ModelCheckpoint: filepath {self.filepath!r} names {e}, which is not "
                           f"in the logs; available keys: {sorted(logs)}") from None
        if self.save_best_only:
            current = monitor_value("ModelCheckpoint", logs, self.monitor)
            if current is None:
                return
            if not self._improved(current):
                if self.verbose > 0:
                    print(f"Epoch {epoch + 1}: {self.monitor} did not improve from {self.best:.5f}")
                return
            if self.verbose > 0:
                print(f"Epoch {epoch + 1}: {self.monitor} improved from {self.best:.5f} to "
                      f"{current:.5f}, saving model to {path}")
            self.best = current
        elif self.verbose > 0:
            print(f"Epoch {epoch + 1}: saving model to {path}")
        dirname = os.path.dirname(path)
        if dirname:
            os.makedirs(dirname, exist_ok=True)
        if self.save_weights_only:
            self.model.save_weights(path, overwrite=True)
        else:
            self.model.save(path, overwrite=True)

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch
        self._last_batch_seen = -1

    def on_train_batch_end(self, batch, logs=None):
        if self.save_freq == "epoch":
            return
        self._batches_seen += batches_done(self, batch)
        if self._batches_seen >= self.save_freq:
            self._batches_seen = 0
            self._save(self._epoch, batch, logs)

    def on_epoch_end(self, epoch, logs=None):
        if self.save_freq == "epoch":
            self._save(epoch, None, logs)


class BackupAndRestore(Callback):
    """Back up the model and optimizer state to ``backup_dir`` at the end of every epoch
    (or every ``save_freq`` batches); a later ``fit`` with the same callback, after an
    interruption, restores the state and resumes at the epoch after the last backup.
    A ``fit`` that completes deletes the backup (``delete_checkpoint=True``)."""

    def __init__(self, backup_dir, save_freq="epoch", double_checkpoint=False,
                 delete_checkpoint=True):
        super().__init__()
        if not backup_dir:
            raise ValueError("BackupAndRestore: backup_dir must be a non-empty path")
        if save_freq != "epoch" and not (isinstance(save_freq, int) and save_freq > 0):
            raise ValueError("BackupAndRestore: save_freq must be 'epoch' or a positive int; "
                             f"received {save_freq!r}")
        self.backup_dir = os.fspath(backup_dir)
        self.save_freq = save_freq
        self.double_checkpoint = double_checkpoint
        self.delete_checkpoint = delete_checkpoint
        self._weights_path = os.path.join(self.backup_dir, "latest.weights.h5")
        self._meta_path = os.path.join(self.backup_dir, "training_metadata.json")
        self._prev_weights = os.path.join(self.backup_dir, "latest.weights.h5.bkp")
        self._prev_meta = os.path.join(self.backup_dir, "training_metadata.json.bkp")
        self._pending_restore = False
        self._epoch = 0
        self._batches_seen = 0

    def _find(self):
        for w, m in ((self._weights_path, self._meta_path), (self._prev_weights, self._prev_meta)):
            if os.path.exists(w) and os.path.exists(m):
                return w, m
        return None

    def on_train_begin(self, logs=None):
        found = self._find()
        self._batches_seen = 0
        if found is None:
            return
        w, m = found
        with open(m) as f:
            meta = json.load(f)
        epoch = int(meta["epoch"])
        # Resume at the epoch after the last completed one (the fit loop reads this).
        self.model.__dict__["_initial_epoch"] = epoch + 1 if meta.get("completed", True) else epoch
        self._restore_from = w
        if self.model.built:
            self.model.load_weights(w)
        else:  # restore once the first batch has built the model
            self._pending_restore = True

    def on_train_batch_begin(self, batch, logs=None):
        if self._pending_restore:
            self._pending_restore = False
            self.model.load_weights(self._restore_from)

    def _backup(self, epoch, completed):
        os.makedirs(self.backup_dir, exist_ok=True)
        if self.double_checkpoint and os.path.exists(self._weights_path):
            shutil.copyfile(self._weights_path, self._prev_weights)
            if os.path.exists(self._meta_path):
                shutil.copyfile(self._meta_path, self._prev_meta)
        from ...saving._files import write_text_atomic

        # both writes are atomic (temporary file in the directory, fsync, os.replace)
        self.model.save_weights(self._weights_path, overwrite=True)
        write_text_atomic(self._meta_path, json.dumps({"epoch": int(epoch),
                                                        "completed": completed}))

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch
        self._last_batch_seen = -1

    def on_train_batch_end(self, batch, logs=None):
        if self.save_freq == "epoch":
            return
        self._batches_seen += batches_done(self, batch)
        if self._batches_seen >= self.save_freq:
            self._batches_seen = 0
            self._backup(self._epoch, completed=False)

    def on_epoch_end(self, epoch, logs=None):
        if self.save_freq == "epoch":
            self._backup(epoch, completed=True)

    def on_train_end(self, logs=None):
        if self.delete_checkpoint and os.path.isdir(self.backup_dir):
            for p in (self._weights_path, self._meta_path, self._prev_weights, self._prev_meta):
                if os.path.exists(p):
                    os.remove(p)
