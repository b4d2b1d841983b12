"""Keras' ``keras.datasets.imdb``: reviews as word-index sequences (index ``i`` is the
``i``-th most frequent word, shifted by ``index_from``)."""

from __future__ import annotations

import json

import numpy as np

from ..data.file_utils import get_file
from ._common import (ORIGIN, drop_long, encode_sequences, limit_vocabulary, load_npz,
                      object_array)

FILE_HASH = "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f"
WORD_INDEX_HASH = "bfafd718b763782e994055a2d397834f"


def load_data(path="imdb.npz", num_words=None, skip_top=0, maxlen=None, seed=113,
              start_char=1, oov_char=2, index_from=3, **kwargs):
    """``(x_train, y_train), (x_test, y_test)``: object arrays of int lists and 0/1
    labels, each split shuffled with ``seed``; ``start_char`` starts every sequence,
    words are shifted by ``index_from``; words outside ``[skip_top, num_words)`` become
    ``oov_char`` (dropped if None); sequences of ``maxlen`` words or more are dropped."""
    if kwargs:
        raise TypeError(f"Unrecognized keyword arguments: {sorted(kwargs)}")
    path = get_file(fname=path, origin=f"{ORIGIN}imdb.npz", file_hash=FILE_HASH)
    f = load_npz(path)
    x_train, y_train, x_test, y_test = f["x_train"], f["y_train"], f["x_test"], f["y_test"]
    rng = np.random.RandomState(seed)
    idx = np.arange(len(x_train))
    rng.shuffle(idx)
    x_train, y_train = x_train[idx], y_train[idx]
    idx = np.arange(len(x_test))
    rng.shuffle(idx)
    x_test, y_test = x_test[idx], y_test[idx]
    x_train = encode_sequences(x_train, start_char, index_from)
    x_test = encode_sequences(x_test, start_char, index_from)
    if maxlen:
        x_train, y_train = drop_long(maxlen, x_train, y_train)
        x_test, y_test = drop_long(maxlen, x_test, y_test)
        if not x_train or not x_test:
            raise ValueError(f"After filtering for sequences shorter than maxlen={maxlen}, "
                             "no sequence was kept. Increase maxlen.")
    xs = limit_vocabulary(x_train + x_test, num_words, skip_top, oov_char)
    labels = np.concatenate([y_train, y_test])
    n = len(x_train)
    return (object_array(xs[:n]), labels[:n]), (object_array(xs[n:]), labels[n:])


def get_word_index(path="imdb_word_index.json"):
    """``{word: index}`` (1 is the most frequent word; shift by ``index_from``)."""
    path = get_file(fname=path, origin=f"{ORIGIN}imdb_word_index.json",
                    file_hash=WORD_INDEX_HASH)
    with open(path) as f:
        return json.load(f)
