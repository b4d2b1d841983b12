"""CSVLogger, LearningRateScheduler, ReduceLROnPlateau, TerminateOnNaN, LambdaCallback."""

from __future__ import annotations

import collections.abc
import csv
import math
import os

import numpy as np

from .base import Callback, logs_to_floats
from ._monitor import monitor_value, resolve_mode, worst


class CSVLogger(Callback):
    """Stream epoch results to a CSV file: ``epoch`` then the log keys, sorted."""

    def __init__(self, filename, separator=",", append=False):
        super().__init__()
        self.filename = os.fspath(filename)
        self.sep = separator
        self.append = append
        self.keys = None
        self._file = None
        self._writer = None

    def on_train_begin(self, logs=None):
        header_needed = True
        if self.append and os.path.exists(self.filename):
            with open(self.filename) as f:
                header_needed = not bool(f.readline().strip())
        self._file = open(self.filename, "a" if self.append else "w", newline="")
        self._header_needed = header_needed
        self._writer = None

    def on_epoch_end(self, epoch, logs=None):
        logs = logs_to_floats(logs)
        if self.keys is None:
            self.keys = sorted(logs)
        if self._writer is None:
            self._writer = csv.DictWriter(self._file, fieldnames=["epoch"] + self.keys,
                                          delimiter=self.sep)
            if self._header_needed:
                self._writer.writeheader()

        def value(k):
            v = logs.get(k, "NA")
            if isinstance(v, np.ndarray):
                v = v.item() if v.ndim == 0 else f"[{', '.join(map(str, v.ravel().tolist()))}]"
            elif isinstance(v, collections.abc.Iterable) and not isinstance(v, str):
                v = f"[{', '.join(map(str, v))}]"
            return v

        self._writer.writerow({"epoch": epoch, **{k: value(k) for k in self.keys}})
        self._file.flush()

    def on_train_end(self, logs=None):
        if self._file is not None:
            self._file.close()
            self._file = None
        self._writer = None


def _get_lr(name, model):
    opt = getattr(model, "optimizer", None)
    if opt is None:
        raise ValueError(f"{name}: the model has no optimizer (compile it first)")
    return float(np.asarray(_to_np(opt.learning_rate)))


def _to_np(v):
    from ...xp import to_numpy

    return to_numpy(v)


class LearningRateScheduler(Callback):
    """At the start of each epoch set ``optimizer.learning_rate = schedule(epoch, lr)``
    (``schedule(epoch)`` is accepted too)."""

    def __init__(self, schedule, verbose=0):
        super().__init__()
        self.schedule = schedule
        self.verbose = verbose

    def on_epoch_begin(self, epoch, logs=None):
        lr = _get_lr("LearningRateScheduler", self.model)
        try:
            new = self.schedule(epoch, lr)
        except TypeError:
            new = self.schedule(epoch)
        try:
            new = float(_to_np(new))
        except (TypeError, ValueError):
            raise ValueError("LearningRateScheduler: the schedule must return a float; "
                             f"received {new!r}") from None
        if not math.isfinite(new):
            raise ValueError(f"LearningRateScheduler: the schedule returned {new} at epoch {epoch}")
        self.model.optimizer.learning_rate = new
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to {new}.")

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = _get_lr("LearningRateScheduler", self.model)


class ReduceLROnPlateau(Callback):
    """Multiply the learning rate by ``factor`` when ``monitor`` has not improved by
    ``min_delta`` for ``patience`` epochs; wait ``cooldown`` epochs after a reduction;
    never go below ``min_lr``."""

    def __init__(self, monitor="val_loss", factor=0.1, patience=10, verbose=0, mode="auto",
                 min_delta=1e-4, cooldown=0, min_lr=0.0, **kwargs):
        super().__init__()
        if factor >= 1.0:
            raise ValueError(f"ReduceLROnPlateau: factor must be < 1.0; received {factor}")
        if kwargs:
            raise TypeError(f"ReduceLROnPlateau: unexpected arguments {sorted(kwargs)}")
        self.monitor = monitor
        self.factor = float(factor)
        self.min_lr = float(min_lr)
        self.min_delta = float(min_delta)
        self.patience = int(patience)
        self.verbose = verbose
        self.cooldown = int(cooldown)
        self.mode = resolve_mode("ReduceLROnPlateau", mode, monitor)
        self._reset()

    def _reset(self):
        self.best = worst(self.mode)
        self.wait = 0
        self.cooldown_counter = 0

    def _improved(self, a, b):
        return a < b - self.min_delta if self.mode == "min" else a > b + self.min_delta

    def in_cooldown(self):
        return self.cooldown_counter > 0

    def on_train_begin(self, logs=None):
        self._reset()

    def on_epoch_end(self, epoch, logs=None):
        logs = logs if logs is not None else {}
        logs["learning_rate"] = _get_lr("ReduceLROnPlateau", self.model)
        current = monitor_value("ReduceLROnPlateau", logs, self.monitor)
        if current is None:
            return
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
        if self._improved(current, self.best):
            self.best = current
            self.wait = 0
        elif not self.in_cooldown():
            self.wait += 1
            if self.wait >= self.patience:
                old = _get_lr("ReduceLROnPlateau", self.model)
                if old > np.float32(self.min_lr):
                    new = max(old * self.factor, self.min_lr)
                    self.model.optimizer.learning_rate = new
                    if self.verbose > 0:
                        print(f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing learning rate "
                              f"to {new}.")
                    self.cooldown_counter = self.cooldown
                    self.wait = 0


class TerminateOnNaN(Callback):
    """Stop training as soon as a batch's loss is NaN or infinite."""

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is None:
            return
        value = float(np.asarray(_to_np(loss)))
        if not math.isfinite(value):
            print(f"Batch {batch}: Invalid loss, terminating training")
            self.model.stop_training = True


class LambdaCallback(Callback):
    """A callback from plain functions: ``on_epoch_begin(epoch, logs)``,
    ``on_epoch_end(epoch, logs)``, ``on_train_begin(logs)``, ``on_train_end(logs)``,
    ``on_train_batch_begin(batch, logs)``, ``on_train_batch_end(batch, logs)`` (and any
    other ``on_*`` hook by keyword; ``on_batch_begin`` / ``on_batch_end`` alias the
    train-batch hooks)."""

    _HOOKS = {"on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end",
              "on_train_batch_begin", "on_train_batch_end", "on_test_begin", "on_test_end",
              "on_test_batch_begin", "on_test_batch_end", "on_predict_begin",
              "on_predict_end", "on_predict_batch_begin", "on_predict_batch_end"}

    def __init__(self, on_epoch_begin=None, on_epoch_end=None, on_train_begin=None,
                 on_train_end=None, on_train_batch_begin=None, on_train_batch_end=None,
                 **kwargs):
        super().__init__()
        hooks = dict(on_epoch_begin=on_epoch_begin, on_epoch_end=on_epoch_end,
                     on_train_begin=on_train_begin, on_train_end=on_train_end,
                     on_train_batch_begin=on_train_batch_begin,
                     on_train_batch_end=on_train_batch_end)
        for alias, target in (("on_batch_begin", "on_train_batch_begin"),
                              ("on_batch_end", "on_train_batch_end")):
            if alias in kwargs:
                hooks[target] = kwargs.pop(alias)
        unknown = set(kwargs) - self._HOOKS
        if unknown:
            raise TypeError(f"LambdaCallback: unknown hooks {sorted(unknown)}; expected any of "
                            f"{sorted(self._HOOKS | {'on_batch_begin', 'on_batch_end'})}")
        hooks.update(kwargs)
        for name, fn in hooks.items():
            if fn is not None:
                if not callable(fn):
                    raise TypeError(f"LambdaCallback: {name} must be callable; received {fn!r}")
                setattr(self, name, _wrap(fn, indexed=("epoch" in name or "batch" in name)))


def _wrap(fn, indexed):
    # logs defaults to None, as on the base class, so hooks can be called without it
    if indexed:
        return lambda index, logs=None: fn(index, logs)
    return lambda logs=None: fn(logs)
