"""PyTorch shim for unikeras.xp."""

from __future__ import annotations

import numpy as np
import torch
import array_api_compat.torch as _ns

name = "torch"

_DTYPES = {
    "bool": torch.bool,
    "uint8": torch.uint8,
    "uint16": torch.uint16,
    "uint32": torch.uint32,
    "uint64": torch.uint64,
    "int8": torch.int8,
    "int16": torch.int16,
    "int32": torch.int32,
    "int64": torch.int64,
    "bfloat16": torch.bfloat16,
    "float16": torch.float16,
    "float32": torch.float32,
    "float64": torch.float64,
    "complex64": torch.complex64,
    "complex128": torch.complex128,
}


def namespace():
    return _ns


def dtype(name: str):
    return _DTYPES[name]


def to_numpy(x):
    x = x.detach()
    if type(x) is not torch.Tensor and hasattr(x, "full_tensor"):
        x = x.full_tensor()  # a DTensor (keras.distribution.ModelParallel): gathered
    if x.device.type != "cpu":
        x = x.cpu()
    if x.dtype == torch.bfloat16:
        import ml_dtypes

        return x.view(torch.int16).numpy().view(ml_dtypes.bfloat16)
    return x.numpy()


def asarray(value, dtype_name=None):
    dt = None if dtype_name is None else _DTYPES[dtype_name]
    if isinstance(value, torch.Tensor):
        return value if dt is None else value.to(dt)
    if isinstance(value, np.ndarray):
        if value.dtype.name == "bfloat16":
            t = torch.from_numpy(value.view(np.int16)).view(torch.bfloat16)
        elif (value.flags.writeable and value.dtype.byteorder in "=|"
              and all(st >= 0 for st in value.strides)):  # torch refuses negative strides
            t = torch.from_numpy(value)
        else:
            t = torch.from_numpy(np.array(value))
        return t if dt is None else t.to(dt)
    return torch.as_tensor(value, dtype=dt)


def convert_from(x, src):
    # Arrays of jax and TensorFlow (2.21) implement __dlpack__: zero-copy where the
    # layouts allow; anything else (a tf.Variable) goes through host memory.
    try:
        return torch.from_dlpack(x)
    except Exception:
        from . import to_numpy as _to_numpy

        return asarray(_to_numpy(x))


def device_of(x):
    return str(x.device)


def to_device(x, device):
    return x.to(device)


# ---- seeded random numbers -------------------------------------------------------
# torch's generators take a Python int: the seed pair is mixed on the host. Seed states
# of SeedGenerator live on the CPU, so reading them never synchronises an accelerator.

_MASK64 = (1 << 64) - 1


def _mix(seed) -> int:
    if isinstance(seed, torch.Tensor):
        s0, s1 = (int(v) for v in seed.tolist())
    else:
        s0, s1 = (int(v) for v in seed)
    z = (s0 * 0x9E3779B97F4A7C15 + s1 + 0x632BE59BD9B4E019) & _MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
    return (z ^ (z >> 31)) & ((1 << 63) - 1)


def _gen(seed, device="cpu"):
    return torch.Generator(device=device).manual_seed(_mix(seed))


def random_normal(shape, dtype_name, seed, device="cpu"):
    return torch.randn(tuple(shape), generator=_gen(seed, device), dtype=_DTYPES[dtype_name], device=device)


def random_uniform(shape, dtype_name, seed, device="cpu"):
    return torch.rand(tuple(shape), generator=_gen(seed, device), dtype=_DTYPES[dtype_name], device=device)


def random_truncated_normal(shape, dtype_name, seed, device="cpu"):
    out = torch.empty(tuple(shape), dtype=_DTYPES[dtype_name], device=device)
    return torch.nn.init.trunc_normal_(out, 0.0, 1.0, -2.0, 2.0, generator=_gen(seed, device))


def random_randint(shape, minval, maxval, dtype_name, seed, device="cpu"):
    return torch.randint(int(minval), int(maxval), tuple(shape), generator=_gen(seed, device),
                         dtype=_DTYPES[dtype_name], device=device)


def random_categorical(logits, num_samples, dtype_name, seed, device="cpu"):
    probs = torch.softmax(logits.to(torch.float64), dim=-1)
    out = torch.multinomial(probs, num_samples, replacement=True, generator=_gen(seed, logits.device.type))
    return out.to(_DTYPES[dtype_name])


def random_permutation(n, seed, device="cpu"):
    return torch.randperm(n, generator=_gen(seed, device), device=device)


def random_gamma(shape, alpha, dtype_name, seed, device="cpu"):
    dt = _DTYPES[dtype_name]
    calc = dt if dt in (torch.float32, torch.float64) else torch.float32
    if isinstance(alpha, torch.Tensor):
        device = alpha.device.type
        a = alpha.to(calc)
    else:
        a = torch.tensor(float(alpha), dtype=calc, device=device)
    a = a.expand(tuple(shape)).contiguous()
    return torch._standard_gamma(a, generator=_gen(seed, device)).to(dt)


def random_binomial(shape, counts, probabilities, dtype_name, seed, device="cpu"):
    dt = _DTYPES[dtype_name]
    calc = dt if dt in (torch.float32, torch.float64) else torch.float32
    like = next((a for a in (counts, probabilities) if isinstance(a, torch.Tensor)), None)
    if like is not None:
        device = like.device.type
    n, p = (a.to(calc) if isinstance(a, torch.Tensor)
            else torch.tensor(float(a), dtype=calc, device=device)
            for a in (counts, probabilities))
    n = n.expand(tuple(shape)).contiguous()
    p = p.expand(tuple(shape)).contiguous()
    return torch.binomial(n, p, generator=_gen(seed, device)).to(dt)

def split(x, sizes, start, indices):
    """``unikeras.xp.split_rows``: views of one slice (or of one gather)."""
    if indices is not None:
        rows = x.index_select(0, torch.from_numpy(np.asarray(indices, dtype=np.int64)).to(x.device))
    else:
        rows = x[start:start + sum(sizes)]
    return list(torch.split(rows, sizes, dim=0))


def device_scope(kind, index):
    """``keras.device``: torch's default device for factory functions."""
    name = "cpu" if kind == "cpu" else f"cuda:{index}"
    if kind == "gpu" and not (torch.cuda.is_available() and index < torch.cuda.device_count()):
        raise ValueError(f"keras.device: torch has no {name} device")
    return torch.device(name)


def data_worker_seed():
    """The seed torch gave this ``DataLoader`` worker process (``base_seed + worker_id``,
    drawn afresh for every epoch's iterator from the main process' generator), or None
    outside a worker. Random preprocessing layers mix it into their seeds, so workers
    (which start from copies of the same layer state) draw different transformations,
    as torch's own generator does there."""
    info = torch.utils.data.get_worker_info()
    return None if info is None else int(info.seed)
