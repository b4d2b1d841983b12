"""Shared helpers: which direction a monitored quantity improves in."""

from __future__ import annotations

import math
import warnings

_MAX_HINTS = ("acc", "auc", "precision", "recall", "f1", "fbeta", "iou", "r2", "top_k")


def resolve_mode(name, mode, monitor):
    if mode not in ("auto", "min", "max"):
        warnings.warn(f"{name}: mode {mode!r} is unknown (expected 'auto', 'min' or 'max'); "
                      "falling back to 'auto'", stacklevel=3)
        mode = "auto"
    if mode != "auto":
        return mode
    base = monitor[4:] if monitor.startswith("val_") else monitor
    if base.endswith("loss") or "error" in base:
        return "min"
    return "max" if any(h in base for h in _MAX_HINTS) else "min"


def worst(mode):
    return math.inf if mode == "min" else -math.inf


def monitor_value(name, logs, monitor):
    logs = logs or {}
    value = logs.get(monitor)
    if value is None:
        warnings.warn(f"{name}: the monitored metric {monitor!r} is not available; available "
                      f"metrics are: {', '.join(sorted(logs))}", stacklevel=3)
        return None
    return float(value)


def copy_weights(model):
    import numpy as np

    return [np.array(w, copy=True) for w in model.get_weights()]
