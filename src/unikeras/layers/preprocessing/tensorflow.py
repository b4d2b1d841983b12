"""TensorFlow side of the data layers (StringLookup, IntegerLookup, Hashing,
HashedCrossing, TextVectorization): their work is a NumPy function on the host
(``_host.py``); on tf.Tensor inputs it runs eagerly on the tensors' values, and inside
TensorFlow graphs (``tf.function``, ``tf.data.Dataset.map``) through
``tf.numpy_function``, so the layers work in a tf.data pipeline whatever framework
trains the model."""

from __future__ import annotations

import numpy as np
import tensorflow as tf


def _is_eager(t):
    return tf.executing_eagerly() and hasattr(t, "numpy")


def to_host(x):
    """An eager tf.Tensor / RaggedTensor's value on the host (ragged: a list of rows)."""
    if isinstance(x, tf.RaggedTensor):
        return x.to_list()
    if isinstance(x, tf.SparseTensor):
        x = tf.sparse.to_dense(x)
    return x.numpy()


def is_ragged(x):
    return isinstance(x, tf.RaggedTensor)


def ragged_parts(x):
    """(flat values, row lengths of each ragged level)."""
    return x.flat_values, list(x.nested_row_lengths())


def ragged_from_row_lengths(values, row_lengths):
    return tf.RaggedTensor.from_row_lengths(values, row_lengths)


def host_call(fn, inputs, out_dtypes, out_shapes):
    """Run ``fn`` (NumPy arrays -> tuple of NumPy arrays) on tf.Tensors: on their
    values when eager, through ``tf.numpy_function`` inside a graph. String outputs are
    given as arrays of str or bytes. Returns a list of tf.Tensors with ``out_shapes``
    (tuples with None for unknown sizes) set as their static shapes."""
    inputs = [tf.convert_to_tensor(x) if not isinstance(x, tf.Tensor) else x for x in inputs]
    tdtypes = [tf.string if d == "string" else tf.as_dtype(d) for d in out_dtypes]
    if all(_is_eager(t) for t in inputs):
        outs = fn(*[t.numpy() for t in inputs])
        return [tf.constant(_tf_ready(o, d), dtype=d) for o, d in zip(outs, tdtypes)]

    def wrapped(*arrays):
        outs = fn(*arrays)
        return [_tf_ready(o, d) for o, d in zip(outs, tdtypes)]

    outs = tf.numpy_function(wrapped, inputs, Tout=tdtypes, stateful=False)
    if not isinstance(outs, (list, tuple)):
        outs = [outs]
    for o, s in zip(outs, out_shapes):
        if s is not None:
            o.set_shape(s)
    return list(outs)


def _tf_ready(a, dtype):
    a = np.asarray(a)
    if dtype == tf.string:
        if a.dtype.kind != "S":
            a = np.vectorize(lambda s: s.encode("utf-8") if isinstance(s, str) else s,
                             otypes=[object])(a) if a.size else a.astype(object)
        return a
    return a.astype(dtype.as_numpy_dtype, copy=False)


_PUNCTUATION = r'[!"#$%&()\*\+,-\./:;<=>?@\[\\\]^_`{|}~\']'


def standardize(x, lower, strip):
    """TextVectorization's built-in standardizations as TensorFlow ops (what Keras runs:
    ASCII lower-casing, RE2 removal of ASCII punctuation), for tf inputs."""
    x = tf.convert_to_tensor(x)
    if lower:
        x = tf.strings.lower(x)
    if strip:
        x = tf.strings.regex_replace(x, _PUNCTUATION, "")
    return x


def squeeze_last(x):
    return tf.squeeze(x, axis=-1)


def to_sparse(x):
    """A dense tf.Tensor as a tf.SparseTensor (the ``sparse=True`` outputs)."""
    return tf.sparse.from_dense(x)


def expand_last(x):
    return tf.expand_dims(x, -1)


def reshape(x, shape):
    """``tf.reshape`` (also on graph tensors of unknown batch size: -1)."""
    return tf.reshape(x, shape)
