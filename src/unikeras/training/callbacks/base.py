"""Callback, CallbackList, History and ProgbarLogger.

Logs handed to callbacks during an epoch hold framework scalars (no host sync per
step); ``logs_to_floats`` converts them when a callback needs numbers. Epoch-end logs
are already floats.
"""

from __future__ import annotations

import sys
import time

import numpy as np

from ...xp import framework_of, to_numpy


def flatten_logs(logs):
    """Nested dicts merged into one level, as Keras 3's ``pythonify_logs``: a custom step
    returning ``{m.name: m.result() for m in self.metrics}`` gets the "compile_metrics"
    container's dict of results there. The dict itself when nothing is nested."""
    if not isinstance(logs, dict) or not any(isinstance(v, dict) for v in logs.values()):
        return logs
    out = {}
    for k, v in logs.items():
        if isinstance(v, dict):
            out.update(flatten_logs(v))
        else:
            out[k] = v
    return out


def logs_to_floats(logs):
    """Logs as Python numbers, keys sorted (as Keras 3's ``pythonify_logs``: History and
    the progress bar show the same order on every framework)."""
    if not logs:
        return {}
    out = {}
    for k, v in sorted(flatten_logs(logs).items()):
        if framework_of(v) is not None:
            v = to_numpy(v)
            v = float(v) if np.ndim(v) == 0 else v
        out[k] = v
    return out


def batches_done(callback, batch):
    """How many batches the ``on_train_batch_end(batch)`` call stands for: 1 with
    ``steps_per_execution=1``, up to k with k (``batch`` is then the index of the last
    step of the group); a ``batch`` not past the previous one starts a new epoch (Keras 3's
    ModelCheckpoint logic)."""
    last = callback.__dict__.get("_last_batch_seen", -1)
    n = batch + 1 if batch <= last else batch - last
    callback._last_batch_seen = batch
    return n


class Callback:
    """Keras' ``Callback`` base: override any ``on_*`` hook."""

    def __init__(self):
        self.model = None
        self.params = {}

    def set_model(self, model):
        self.model = model

    def set_params(self, params):
        self.params = params

    def on_train_begin(self, logs=None): pass
    def on_train_end(self, logs=None): pass
    def on_epoch_begin(self, epoch, logs=None): pass
    def on_epoch_end(self, epoch, logs=None): pass
    def on_train_batch_begin(self, batch, logs=None): pass
    def on_train_batch_end(self, batch, logs=None): pass
    def on_test_begin(self, logs=None): pass
    def on_test_end(self, logs=None): pass
    def on_test_batch_begin(self, batch, logs=None): pass
    def on_test_batch_end(self, batch, logs=None): pass
    def on_predict_begin(self, logs=None): pass
    def on_predict_end(self, logs=None): pass
    def on_predict_batch_begin(self, batch, logs=None): pass
    def on_predict_batch_end(self, batch, logs=None): pass


class CallbackList(Callback):
    def __init__(self, callbacks=None, add_history=False, add_progbar=False, model=None, **params):
        super().__init__()
        self.callbacks = list(callbacks or [])
        if add_history and not any(isinstance(c, History) for c in self.callbacks):
            self.callbacks.append(History())
        if add_progbar and not any(isinstance(c, ProgbarLogger) for c in self.callbacks):
            self.callbacks.insert(0, ProgbarLogger())
        if model is not None:
            self.set_model(model)
        self.set_params(params)

    def set_model(self, model):
        super().set_model(model)
        for c in self.callbacks:
            c.set_model(model)

    def set_params(self, params):
        super().set_params(params)
        for c in self.callbacks:
            c.set_params(params)

    def reads(self, hook):
        """Whether any callback overrides ``hook`` (e.g. reads per-batch logs): in its
        class or on the instance (LambdaCallback sets its functions as attributes)."""
        base = getattr(Callback, hook)
        for c in self.callbacks:
            f = getattr(c, hook, None)
            if getattr(f, "__func__", f) is not base:
                return True
        return False

    def shared(self, exclude=()):
        """A list over the same callbacks (already given their model and params), less
        the types in ``exclude``: fit's validation hands its callbacks the test hooks
        through it (Keras' fit passes its callbacks to evaluate)."""
        out = CallbackList.__new__(CallbackList)
        Callback.__init__(out)
        out.callbacks = [c for c in self.callbacks if not isinstance(c, tuple(exclude))]
        out.model, out.params = self.model, self.params
        return out

    def _call(self, name, *args):
        # Keras 3 hands every callback a dict (``{}`` where there are no logs yet): a
        # callback may call ``logs.keys()`` in ``on_train_begin``
        if args[-1] is None:
            args = args[:-1] + ({},)
        for c in self.callbacks:
            getattr(c, name)(*args)

    def on_train_begin(self, logs=None): self._call("on_train_begin", logs)
    def on_train_end(self, logs=None): self._call("on_train_end", logs)
    def on_epoch_begin(self, epoch, logs=None): self._call("on_epoch_begin", epoch, logs)
    def on_epoch_end(self, epoch, logs=None): self._call("on_epoch_end", epoch, logs)
    def on_train_batch_begin(self, batch, logs=None): self._call("on_train_batch_begin", batch, logs)
    def on_train_batch_end(self, batch, logs=None): self._call("on_train_batch_end", batch, logs)
    def on_test_begin(self, logs=None): self._call("on_test_begin", logs)
    def on_test_end(self, logs=None): self._call("on_test_end", logs)
    def on_test_batch_begin(self, batch, logs=None): self._call("on_test_batch_begin", batch, logs)
    def on_test_batch_end(self, batch, logs=None): self._call("on_test_batch_end", batch, logs)
    def on_predict_begin(self, logs=None): self._call("on_predict_begin", logs)
    def on_predict_end(self, logs=None): self._call("on_predict_end", logs)
    def on_predict_batch_begin(self, batch, logs=None): self._call("on_predict_batch_begin", batch, logs)
    def on_predict_batch_end(self, batch, logs=None): self._call("on_predict_batch_end", batch, logs)


class History(Callback):
    """Records epoch-end logs in ``history`` (``model.fit`` returns it)."""

    def __init__(self):
        super().__init__()
        self.history = {}
        self.epoch = []

    def on_train_begin(self, logs=None):
        self.epoch = []
        if self.model is not None:  # fit(epochs=0) returns it too, as in Keras
            self.model.history = self

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for k, v in logs_to_floats(logs).items():
            self.history.setdefault(k, []).append(v)
        if self.model is not None:
            self.model.history = self


from ...utils.io import is_interactive_logging_enabled, print_msg  # noqa: E402


class ProgbarLogger(Callback):
    """A progress bar (tqdm) with ETA and metrics. verbose=1: a bar per epoch;
    verbose=2: one line per epoch. Metric values on the bar are refreshed at most every
    0.25 s, so the host reads device scalars at that pace, not every step."""

    def __init__(self, count_mode="steps", refresh_seconds=0.25):
        super().__init__()
        self.refresh_seconds = refresh_seconds
        self._bar = None

    def _verbose(self):
        return self.params.get("verbose", 1)

    def on_train_begin(self, logs=None):
        self.epochs = self.params.get("epochs", 1)

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch
        self._t0 = time.perf_counter()
        self._last = 0.0
        if self._verbose() == 1 and is_interactive_logging_enabled():
            from tqdm.auto import tqdm

            print_msg(f"Epoch {epoch + 1}/{self.params.get('epochs', 1)}")
            self._bar = tqdm(total=self.params.get("steps"), unit="step", file=sys.stdout,
                             dynamic_ncols=True, leave=True, mininterval=self.refresh_seconds)

    def on_train_batch_end(self, batch, logs=None):
        if self._bar is None:
            return
        # with steps_per_execution=k a call ends a group of up to k batches
        self._bar.update(max(batch + 1 - self._bar.n, 0))
        now = time.perf_counter()
        if now - self._last >= self.refresh_seconds:
            self._last = now
            self._bar.set_postfix({k: f"{v:.4f}" for k, v in logs_to_floats(logs).items()
                                   if isinstance(v, float)}, refresh=False)

    def on_epoch_end(self, epoch, logs=None):
        floats = logs_to_floats(logs)
        text = " - ".join(f"{k}: {v:.4f}" for k, v in floats.items() if isinstance(v, float))
        if self._bar is not None:
            self._bar.set_postfix_str(text, refresh=True)
            self._bar.close()
            self._bar = None
        elif self._verbose() in (1, 2):
            # verbose=2, or verbose=1 with interactive logging off (to the logger)
            dt = time.perf_counter() - self._t0
            print_msg(f"Epoch {epoch + 1}/{self.params.get('epochs', 1)} - {dt:.1f}s - {text}")
