"""SwapEMAWeights and RemoteMonitor (Keras 3 callbacks)."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
import warnings

import numpy as np

from .base import Callback, logs_to_floats


class SwapEMAWeights(Callback):
    """Keras' ``SwapEMAWeights(swap_on_epoch=False)``: evaluate (and predict) with the
    optimizer's moving averages (``use_ema=True``) in the model, swapping them in at
    ``on_test_begin``/``on_predict_begin`` and back at the end; with ``swap_on_epoch``
    also at each epoch end (the saved checkpoints hold the averages) and back at the next
    epoch begin. Works through a LossScaleOptimizer and over a MultiOptimizer's inner
    optimizers that have ``use_ema``. (Keras 3.15's ``on_predict_end`` tests the flag the
    wrong way round and leaves the averages in the model after ``predict``; here they
    are swapped back.)"""

    def __init__(self, swap_on_epoch=False):
        super().__init__()
        self.swap_on_epoch = swap_on_epoch
        self._ema_weights_in_model = False

    def _ema_optimizers(self):
        opt = self.model.optimizer
        opt = getattr(opt, "inner_optimizer", opt)
        if hasattr(opt, "optimizers"):
            inner = [o for o in opt.optimizers if getattr(o, "use_ema", False)]
            if not inner:
                raise ValueError("SwapEMAWeights must be used when at least one inner optimizer "
                                 "has `use_ema=True` set. Received a MultiOptimizer with all "
                                 "inner optimizers having `use_ema=False`.")
            opts = inner
        else:
            opts = [opt]
        for o in opts:
            if not getattr(o, "use_ema", False):
                raise ValueError("SwapEMAWeights must be used when `use_ema=True` is set on the "
                                 f"optimizer. Received: use_ema={getattr(o, 'use_ema', None)}")
        return [o for o in opts if o.built]

    def _swap_variables(self):
        for opt in self._ema_optimizers():
            for var, avg in zip(opt._trainable_variables, opt._ema):
                held = np.array(var.numpy(), copy=True)
                var.assign(avg.value)
                avg.assign(held)

    def _finalize_ema_values(self):
        for opt in self._ema_optimizers():
            for var, avg in zip(opt._trainable_variables, opt._ema):
                avg.assign(var.value)

    def on_epoch_begin(self, epoch, logs=None):
        if self.swap_on_epoch and self._ema_weights_in_model:
            self._swap_variables()
            self._ema_weights_in_model = False

    def on_epoch_end(self, epoch, logs=None):
        if self.swap_on_epoch and not self._ema_weights_in_model:
            self._swap_variables()
            self._ema_weights_in_model = True
            if epoch == self.params.get("epochs", 0) - 1:
                self._finalize_ema_values()

    def on_test_begin(self, logs=None):
        if not self._ema_weights_in_model:
            self._swap_variables()
            self._ema_weights_in_model = True

    def on_test_end(self, logs=None):
        if self._ema_weights_in_model:
            self._swap_variables()
            self._ema_weights_in_model = False

    on_predict_begin = on_test_begin
    on_predict_end = on_test_end


class RemoteMonitor(Callback):
    """Keras' ``RemoteMonitor(root="http://localhost:9000", path="/publish/epoch/end/",
    field="data", headers=None, send_as_json=False)``: at each epoch end, POST the epoch
    number and the logs to ``root + path``, as a form field ``field`` holding their JSON,
    or as a JSON body with ``send_as_json``. Nothing is sent before the first epoch ends;
    an unreachable server gives a warning, not an error (as Keras). Uses the standard
    library's ``urllib`` (Keras uses ``requests``)."""

    def __init__(self, root="http://localhost:9000", path="/publish/epoch/end/", field="data",
                 headers=None, send_as_json=False, timeout=10.0):
        super().__init__()
        self.root, self.path, self.field = root, path, field
        self.headers, self.send_as_json, self.timeout = headers, send_as_json, timeout

    def on_epoch_end(self, epoch, logs=None):
        send = {"epoch": epoch}
        for k, v in logs_to_floats(logs or {}).items():
            send[k] = v.item() if isinstance(v, (np.ndarray, np.generic)) else v
        headers = dict(self.headers or {})
        if self.send_as_json:
            body = json.dumps(send).encode()
            headers.setdefault("Content-Type", "application/json")
        else:
            body = urllib.parse.urlencode({self.field: json.dumps(send)}).encode()
            headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
        req = urllib.request.Request(self.root + self.path, data=body, headers=headers,
                                     method="POST")
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                resp.read()
        except (urllib.error.URLError, OSError):
            warnings.warn(f"Could not reach RemoteMonitor root server at {self.root}",
                          stacklevel=2)
