"""The CIFAR archives: Python pickles of ``{b"data": uint8 (n, 3072), b"labels": [...]}``
batches inside a tar.gz, read with the restricted unpickler."""

from __future__ import annotations

import os

import numpy as np

from ..config import image_data_format
from ..data.file_utils import get_file
from ._common import load_pickle


def fetch(dirname, origin, file_hash):
    """The extraction directory of the archive (Keras' names: ``<dirname>_archive``
    extracted into ``<dirname>``)."""
    return get_file(fname=dirname, origin=origin, extract=True, file_hash=file_hash)


def load_batch(fpath, label_key="labels"):
    d = load_pickle(fpath)
    data = np.asarray(d["data"])
    if data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3 * 32 * 32:
        raise ValueError(f"{fpath}: expected uint8 image rows of 3072 values; received "
                         f"{data.dtype} {data.shape}")
    labels = d[label_key]
    if len(labels) != data.shape[0]:
        raise ValueError(f"{fpath}: {len(labels)} labels for {data.shape[0]} images")
    return data.reshape(data.shape[0], 3, 32, 32), labels


def finish(x_train, y_train, x_test, y_test):
    """Labels as ``(n, 1)`` (their dtype as given: uint8 for CIFAR-10, int64 for
    CIFAR-100, as Keras returns them), images channels last unless the image data
    format is channels first."""
    y_train = np.reshape(np.asarray(y_train), (len(y_train), 1))
    y_test = np.reshape(np.asarray(y_test), (len(y_test), 1))
    if image_data_format() == "channels_last":
        x_train = x_train.transpose(0, 2, 3, 1)
        x_test = x_test.transpose(0, 2, 3, 1)
    return (x_train, y_train), (x_test, y_test)


def path_in(root, *parts):
    return os.path.join(root, *parts)
