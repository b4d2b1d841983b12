"""What the ``keras.datasets`` loaders share: the Keras cache (``get_file``, same file
names, hashes and layout as Keras, so files Keras downloaded are found), NumPy files read
without executing anything, and the seeded shuffles and splits Keras applies.

Files are untrusted input. ``.npz`` members are read with ``allow_pickle=False``; the
ragged IMDB/Reuters sequences are NumPy object arrays, which only a pickle stream can
hold: those, and the pickled CIFAR batches, go through ``RestrictedUnpickler``, which
rebuilds plain containers and NumPy arrays and refuses every other global (what Keras
3.15.1 allows: ``numpy.ndarray``, ``numpy.dtype`` and ``multiarray._reconstruct``)."""

from __future__ import annotations

import pickle
import zipfile

import numpy as np

ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"

_ALLOWED_GLOBALS = frozenset({
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
})


class RestrictedUnpickler(pickle.Unpickler):
    """Unpickles plain containers and NumPy arrays only."""

    def find_class(self, module, name):
        if (module, name) in _ALLOWED_GLOBALS:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"Refusing to deserialize `{module}.{name}` while "
                                     "loading a Keras dataset. The file may be corrupted "
                                     "or malicious.")


def _read_member(fp):
    """One ``.npy`` stream: a plain array without pickle, else (object arrays) the
    restricted unpickler."""
    try:
        return np.lib.format.read_array(fp, allow_pickle=False)
    except ValueError:
        fp.seek(0)
        major, _ = np.lib.format.read_magic(fp)
        if major == 1:
            np.lib.format.read_array_header_1_0(fp)
        elif major in (2, 3):
            np.lib.format.read_array_header_2_0(fp)
        else:
            raise ValueError(f"Unsupported `.npy` file version: {major}.") from None
        return RestrictedUnpickler(fp).load()


def load_npz(path):
    """``{name: array}`` of an ``.npz`` file, read safely (see the module docstring)."""
    out = {}
    with zipfile.ZipFile(path) as archive:
        for member in archive.namelist():
            if member.endswith(".npy"):
                with archive.open(member) as fp:
                    out[member[:-4]] = _read_member(fp)
    return out


def load_pickle(path):
    """A pickled dict with bytes keys (the CIFAR batches), keys decoded as UTF-8."""
    with open(path, "rb") as f:
        d = RestrictedUnpickler(f, encoding="bytes").load()
    if not isinstance(d, dict):
        raise ValueError(f"{path}: expected a pickled dict (a CIFAR batch); received "
                         f"{type(d).__name__}")
    return {(k.decode("utf8") if isinstance(k, bytes) else k): v for k, v in d.items()}


def shuffle_split(x, y, test_split, seed):
    """Keras' housing split: shuffle with ``RandomState(seed)``, the first
    ``int(n * (1 - test_split))`` samples train."""
    if not 0 <= test_split < 1:
        raise ValueError(f"Invalid `test_split` argument: {test_split}. It must be between "
                         "0 and 1 (exclusive of 1).")
    idx = np.arange(len(x))
    np.random.RandomState(seed).shuffle(idx)
    x, y = x[idx], y[idx]
    cut = int(len(x) * (1 - test_split))
    return (np.array(x[:cut]), np.array(y[:cut])), (np.array(x[cut:]), np.array(y[cut:]))


def encode_sequences(xs, start_char, index_from):
    """Word-index sequences shifted by ``index_from`` and prefixed by ``start_char``."""
    if start_char is not None:
        return [[start_char] + [w + index_from for w in x] for x in xs]
    if index_from:
        return [[w + index_from for w in x] for x in xs]
    return [list(x) for x in xs]


def drop_long(maxlen, xs, labels):
    """Keep the sequences strictly shorter than ``maxlen`` (Keras' remove_long_seq)."""
    kept = [(x, y) for x, y in zip(xs, labels) if len(x) < maxlen]
    return [x for x, _ in kept], [y for _, y in kept]


def limit_vocabulary(xs, num_words, skip_top, oov_char):
    """Words outside ``[skip_top, num_words)`` become ``oov_char`` (or are dropped)."""
    if not num_words:
        num_words = max(max(x) for x in xs if len(x)) if xs else 0
    if oov_char is not None:
        return [[w if skip_top <= w < num_words else oov_char for w in x] for x in xs]
    return [[w for w in x if skip_top <= w < num_words] for x in xs]


def object_array(seqs):
    """A 1-D object array of lists (np.array would make a 2-D int array of equal-length
    lists)."""
    out = np.empty(len(seqs), dtype=object)
    for i, s in enumerate(seqs):
        out[i] = s
    return out
