"""Keras' ``keras.datasets.cifar100``."""

from __future__ import annotations

from . import _cifar

ORIGIN = "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz"
FILE_HASH = "85cd44d02ba6437773c5bbd22e183051d648de2e7d6b014e1ef29b855ba677a7"


def load_data(label_mode="fine"):
    """``(x_train, y_train), (x_test, y_test)`` with the "fine" (100 classes) or
    "coarse" (20 superclasses) labels, uint8 ``(n, 1)``."""
    if label_mode not in ("fine", "coarse"):
        raise ValueError('`label_mode` must be one of `"fine"`, `"coarse"`. Received: '
                         f"label_mode={label_mode}.")
    root = _cifar.fetch("cifar-100-python-target", ORIGIN, FILE_HASH)
    key = f"{label_mode}_labels"
    x_train, y_train = _cifar.load_batch(_cifar.path_in(root, "cifar-100-python", "train"),
                                         label_key=key)
    x_test, y_test = _cifar.load_batch(_cifar.path_in(root, "cifar-100-python", "test"),
                                       label_key=key)
    return _cifar.finish(x_train, y_train, x_test, y_test)
