"""NumPy shim for unikeras.xp (the inference framework)."""

from __future__ import annotations

import numpy as np
import array_api_compat.numpy as _ns

name = "numpy"


def namespace():
    return _ns


def dtype(name: str):
    if name == "bfloat16":
        import ml_dtypes

        return np.dtype(ml_dtypes.bfloat16)
    return np.dtype(name)


def to_numpy(x):
    return np.asarray(x)


def asarray(value, dtype_name=None):
    if dtype_name is None:
        return np.asarray(value)
    return np.asarray(value, dtype=dtype(dtype_name))


def convert_from(x, src):
    try:
        return np.from_dlpack(x)
    except Exception:
        from . import to_numpy as _to_numpy

        return _to_numpy(x)


def device_of(x):
    return "cpu"


def to_device(x, device):
    if not str(device).startswith("cpu"):
        raise ValueError(f"NumPy arrays live on the CPU; asked for device {device!r}")
    return x


# ---- seeded random numbers: seed is a pair of ints (or an int array of shape (2,))


def _gen(seed):
    s = np.asarray(seed).astype(np.uint64).tolist()
    return np.random.Generator(np.random.Philox(key=[int(s[0]), int(s[1])]))


def random_normal(shape, dtype_name, seed):
    return _gen(seed).standard_normal(shape).astype(dtype(dtype_name))


def random_uniform(shape, dtype_name, seed):
    return _gen(seed).random(shape).astype(dtype(dtype_name))


def random_truncated_normal(shape, dtype_name, seed):
    g = _gen(seed)
    out = g.standard_normal(shape)
    bad = np.abs(out) > 2.0
    while bad.any():
        out[bad] = g.standard_normal(int(bad.sum()))
        bad = np.abs(out) > 2.0
    return out.astype(dtype(dtype_name))


def random_randint(shape, minval, maxval, dtype_name, seed):
    return _gen(seed).integers(minval, maxval, size=shape).astype(dtype(dtype_name))


def random_categorical(logits, num_samples, dtype_name, seed):
    logits = np.asarray(logits, dtype=np.float64)
    p = np.exp(logits - logits.max(-1, keepdims=True))
    p /= p.sum(-1, keepdims=True)
    g = _gen(seed)
    out = np.stack([g.choice(p.shape[-1], size=num_samples, p=row) for row in p])
    return out.astype(dtype(dtype_name))


def random_permutation(n, seed):
    return _gen(seed).permutation(n)


def random_gamma(shape, alpha, dtype_name, seed):
    a = np.broadcast_to(np.asarray(alpha, dtype=np.float64), tuple(shape))
    return _gen(seed).standard_gamma(a).astype(dtype(dtype_name))


def random_binomial(shape, counts, probabilities, dtype_name, seed):
    n = np.broadcast_to(np.asarray(counts, dtype=np.float64), tuple(shape)).astype(np.int64)
    p = np.broadcast_to(np.asarray(probabilities, dtype=np.float64), tuple(shape))
    return _gen(seed).binomial(n, p).astype(dtype(dtype_name))
