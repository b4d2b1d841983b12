"""TensorFlow shim for unikeras.xp. The Array API namespace itself is
``unikeras.xp.tensorflow.array_api`` (TensorFlow ships none)."""

from __future__ import annotations

import numpy as np
import tensorflow as tf

name = "tensorflow"


def namespace():
    from . import array_api

    return array_api


def dtype(name: str):
    return tf.dtypes.as_dtype(name)


def to_numpy(x):
    return x.numpy()


def asarray(value, dtype_name=None):
    dt = None if dtype_name is None else tf.dtypes.as_dtype(dtype_name)
    if isinstance(value, (tf.Tensor, tf.Variable)):
        return value if dt is None or value.dtype == dt else tf.cast(value, dt)
    return tf.convert_to_tensor(value, dtype=dt)


_ALIGN = 64


def convert_from(x, src):
    if src == "numpy":
        # TF's kernels assume aligned buffers; NumPy's may not be: copy.
        return tf.convert_to_tensor(x)
    if src == "torch":
        x = x.detach()
        if x.data_ptr() % _ALIGN:
            x = x.clone()  # TF's kernels check 64-byte alignment; a fresh buffer has it
    elif src == "jax":
        try:
            if x.unsafe_buffer_pointer() % _ALIGN:
                return tf.convert_to_tensor(x.__array__())
        except Exception:
            pass
    try:
        return tf.experimental.dlpack.from_dlpack(x.__dlpack__())
    except Exception:
        from .. import to_numpy as _to_numpy

        return tf.convert_to_tensor(_to_numpy(x))


def device_of(x):
    spec = tf.DeviceSpec.from_string(x.device) if x.device else None
    if spec is None or spec.device_type in (None, "CPU"):
        return "cpu"
    return f"cuda:{spec.device_index or 0}"


def to_device(x, device):
    kind, _, idx = str(device).partition(":")
    with tf.device(f"/{'GPU' if kind in ('cuda', 'gpu') else 'CPU'}:{idx or 0}"):
        return tf.identity(x)


# ---- seeded random numbers (tf.random.stateless_*: traceable, deterministic) ------


def _seed(seed):
    return tf.cast(tf.convert_to_tensor(seed), tf.int64)


def random_normal(shape, dtype_name, seed):
    return tf.random.stateless_normal(shape, _seed(seed), dtype=dtype_name)


def random_uniform(shape, dtype_name, seed):
    return tf.random.stateless_uniform(shape, _seed(seed), dtype=dtype_name)


def random_truncated_normal(shape, dtype_name, seed):
    return tf.random.stateless_truncated_normal(shape, _seed(seed), dtype=dtype_name)


def random_randint(shape, minval, maxval, dtype_name, seed):
    out = tf.random.stateless_uniform(shape, _seed(seed), minval=minval, maxval=maxval, dtype=tf.int64)
    return tf.cast(out, dtype_name)


def random_categorical(logits, num_samples, dtype_name, seed):
    return tf.random.stateless_categorical(logits, num_samples, _seed(seed), dtype=dtype_name)


def random_permutation(n, seed):
    keys = tf.random.stateless_uniform((n,), _seed(seed))
    return tf.argsort(keys)


def random_gamma(shape, alpha, dtype_name, seed):
    calc = dtype_name if dtype_name in ("float32", "float64") else "float32"
    a = tf.broadcast_to(tf.cast(alpha, calc), shape)
    return tf.cast(tf.random.stateless_gamma(shape, _seed(seed), alpha=a, dtype=calc), dtype_name)


def random_binomial(shape, counts, probabilities, dtype_name, seed):
    calc = dtype_name if dtype_name in ("float32", "float64") else "float32"
    n = tf.broadcast_to(tf.cast(counts, calc), shape)
    p = tf.broadcast_to(tf.cast(probabilities, calc), shape)
    out = tf.random.stateless_binomial(shape, _seed(seed), n, p, output_dtype=calc)
    return tf.cast(out, dtype_name)

def split(x, sizes, start, indices):
    """``unikeras.xp.split_rows``: one slice (or gather) and one split op."""
    rows = tf.gather(x, indices) if indices is not None else x[start:start + sum(sizes)]
    return tf.split(rows, sizes, axis=0) if len(sizes) > 1 else [rows]


def device_scope(kind, index):
    """``keras.device``: TensorFlow's device scope."""
    if kind == "gpu" and len(tf.config.list_logical_devices("GPU")) <= index:
        raise ValueError(f"keras.device: TensorFlow has no GPU:{index} device")
    return tf.device(f"/{kind.upper()}:{index}")


def dynamic_shape(x):
    """The shape of ``x`` as a list: static sizes where known, scalar int32 tensors where
    not (a batch dimension inside ``tf.data.Dataset.map``)."""
    static = x.shape.as_list()
    if all(d is not None for d in static):
        return static
    dyn = tf.shape(x)
    return [d if d is not None else dyn[i] for i, d in enumerate(static)]
