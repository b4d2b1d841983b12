"""JAX shim for unikeras.xp."""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np

#: The dtype of gather/scatter indices: 64-bit types are off (jax_enable_x64=False).
INDEX_DTYPE = "int32"

name = "jax"


def namespace():
    return jnp  # jax.numpy implements the Array API standard itself


def dtype(name: str):
    return jnp.dtype(name)


def to_numpy(x):
    try:
        return np.asarray(x)
    except RuntimeError:
        # a global array spanning other processes' devices (keras.distribution over
        # several processes): a replicated one is read from a local copy, a sharded
        # one is gathered from every process
        if getattr(x, "is_fully_replicated", False):
            return np.asarray(x.addressable_data(0))
        from jax.experimental import multihost_utils

        return np.asarray(multihost_utils.process_allgather(x, tiled=True))


def asarray(value, dtype_name=None):
    dt = None if dtype_name is None else jnp.dtype(dtype_name)
    if type(value) is np.ndarray and (dt is None or value.dtype == dt) \
            and jax.dtypes.canonicalize_dtype(value.dtype) == value.dtype:
        # A transfer, not jnp.asarray's jitted ``stage`` (one XLA compile per shape: a
        # sweep over batch sizes compiled one per size and kept them all).
        return jax.device_put(value)
    return jnp.asarray(value, dtype=dt)


def host_view(x):
    """A zero-copy read-only NumPy view of ``x`` when it lives in host memory (one CPU
    device), else None: the data adapters slice such arrays on the host and hand the
    NumPy slices to the jitted steps, which transfer them (a few us) without compiling a
    slicing function per batch size."""
    try:
        devices = x.devices()
    except Exception:
        return None
    if len(devices) != 1 or next(iter(devices)).platform != "cpu":
        return None
    return np.asarray(x)


def concat_rows(arrays):
    """``unikeras.xp.concat_rows``: predict's per-batch outputs joined along the batch
    axis on the host and transferred once (``jnp.concatenate`` compiles once per list
    of shapes, i.e. per number of batches and batch sizes)."""
    dev = next(iter(arrays[0].devices()))
    return jax.device_put(np.concatenate([np.asarray(a) for a in arrays], axis=0), dev)


def convert_from(x, src):
    # Tensors of torch and TensorFlow (2.21) implement __dlpack__: zero-copy where the
    # layouts allow; anything else (a tf.Variable) goes through host memory.
    if src == "torch":
        return jnp.from_dlpack(x.detach() if x.requires_grad else x)
    try:
        return jnp.from_dlpack(x)
    except Exception:
        from . import to_numpy as _to_numpy

        return jnp.asarray(_to_numpy(x))


def device_of(x):
    try:
        d = next(iter(x.devices()))
    except Exception:
        return "cpu"
    return f"{d.platform}:{d.id}".replace("gpu", "cuda")


def to_device(x, device):
    platform, _, idx = str(device).replace("cuda", "gpu").partition(":")
    return jax.device_put(x, jax.devices(platform)[int(idx or 0)])


# ---- seeded random numbers (stateless: the key is built from the seed pair) -----


def _key(seed):
    if isinstance(seed, (tuple, list)):
        s0, s1 = seed
    else:
        s0, s1 = seed[0], seed[1]
    return jax.random.fold_in(jax.random.key(s0), s1)


def random_normal(shape, dtype_name, seed):
    return jax.random.normal(_key(seed), tuple(shape), dtype=jnp.dtype(dtype_name))


def random_uniform(shape, dtype_name, seed):
    return jax.random.uniform(_key(seed), tuple(shape), dtype=jnp.dtype(dtype_name))


def random_truncated_normal(shape, dtype_name, seed):
    return jax.random.truncated_normal(_key(seed), -2.0, 2.0, tuple(shape), dtype=jnp.dtype(dtype_name))


def random_randint(shape, minval, maxval, dtype_name, seed):
    return jax.random.randint(_key(seed), tuple(shape), minval, maxval, dtype=jnp.dtype(dtype_name))


def random_categorical(logits, num_samples, dtype_name, seed):
    out = jax.random.categorical(_key(seed), logits, axis=-1, shape=(num_samples, logits.shape[0]))
    return out.T.astype(jnp.dtype(dtype_name))


def random_permutation(n, seed):
    return jax.random.permutation(_key(seed), n)


def random_gamma(shape, alpha, dtype_name, seed):
    dt = jnp.dtype(dtype_name)
    calc = dt if dt in (jnp.float32, jnp.float64) else jnp.float32
    a = jnp.broadcast_to(jnp.asarray(alpha, dtype=calc), tuple(shape))
    return jax.random.gamma(_key(seed), a, tuple(shape), dtype=calc).astype(dt)


def random_binomial(shape, counts, probabilities, dtype_name, seed):
    dt = jnp.dtype(dtype_name)
    calc = dt if dt in (jnp.float32, jnp.float64) else jnp.float32
    n = jnp.broadcast_to(jnp.asarray(counts, dtype=calc), tuple(shape))
    p = jnp.broadcast_to(jnp.asarray(probabilities, dtype=calc), tuple(shape))
    return jax.random.binomial(_key(seed), n, p, tuple(shape), dtype=calc).astype(dt)

def split(x, sizes, start, indices):
    """``unikeras.xp.split_rows``: one small jitted call per piece (about 12 us), with
    the start traced, so it compiles once per array shape and piece size. (``x[a:b]``
    costs about 0.1 ms of Python per call; ``lax.slice`` and a jitted split of a whole
    chunk compile per position / per chunk, 40-400 ms each.)"""
    out = []
    if indices is not None:
        idx = np.asarray(indices, dtype=np.int32)
        lo = 0
        for n in sizes:
            out.append(_take_rows(x, idx[lo:lo + n]))
            lo += n
        return out
    lo = start
    for n in sizes:
        out.append(_slice_rows(x, lo, n))
        lo += n
    return out


@functools.partial(jax.jit, static_argnums=(2,))
def _slice_rows(x, start, n):
    return jax.lax.dynamic_slice_in_dim(x, start, n, axis=0)


@jax.jit
def _take_rows(x, indices):
    return jnp.take(x, indices, axis=0)


def device_scope(kind, index):
    """``keras.device``: jax's default device for new arrays."""
    try:
        dev = jax.devices(kind)[index]
    except (RuntimeError, IndexError) as e:
        raise ValueError(f"keras.device: jax has no {kind}:{index} device ({e})") from None
    return jax.default_device(dev)
