"""Data adapters: turn what ``fit``/``evaluate``/``predict`` receive into batches.

Each adapter yields batches ``(x, y, sample_weight)`` (nests of arrays) and knows the
framework its arrays belong to: framework arrays passed directly keep their framework
(the computation runs there); NumPy arrays, pandas frames, lists, and containers
(tf.data, torch DataLoader, generators, PyDataset) run on the default framework, their
batches converted on the way (zero-copy where the frameworks allow).
"""

from __future__ import annotations

import math

import numpy as np

from .._nest import map_nested, present_leaves as _leaves
from ..utils.general import pack_x_y_sample_weight, unpack_x_y_sample_weight  # noqa: F401
from ..xp import asarray, default_framework, floatx, framework_of, host_view, split_rows, to_numpy

_FLOAT64 = np.dtype("float64")


def _map(fn, obj):
    """``map_nested`` that leaves absent parts (``y=None``, ``sample_weight=None``) absent."""
    return map_nested(lambda a: None if a is None else fn(a), obj)


def host_floatx(a: np.ndarray) -> np.ndarray:
    """A NumPy array with float64 made floatx (as Keras does to host data); others as
    they are."""
    return a.astype(floatx()) if a.dtype == _FLOAT64 else a


def _host(a):
    """pandas / lists / scalars to NumPy; framework arrays stay as they are."""
    if a is None:
        return None
    fw = framework_of(a)
    if fw is not None and fw != "numpy":
        return a
    if hasattr(a, "to_numpy"):
        a = a.to_numpy()
    return host_floatx(np.asarray(a))


def to_framework_batch(batch, framework, keep_host=False):
    """Convert a batch's leaves to ``framework`` arrays (float64 host data to floatx).
    ``keep_host``: host (NumPy) leaves stay NumPy, for a compiled step that takes them
    as they are (jax's jitted steps transfer NumPy arguments in a few us; converting
    each batch first costs ~0.1 ms and, with ``jnp.asarray``, a compile per shape)."""
    if type(batch) is tuple and all(framework_of(a) == framework for a in batch):
        return batch  # already the framework's arrays (no None, no nesting)

    def conv(a):
        if a is None:
            return None
        fw = framework_of(a)
        if fw == framework:
            return a
        if fw is None or fw == "numpy":
            a = _host(a)
            if keep_host:
                return a
        return asarray(a, framework=framework) if fw in (None, "numpy") else _convert(a, framework)
    return _map(conv, batch)


def _convert(a, framework):
    from ..xp import to_framework

    return to_framework(a, framework)


def check_numeric(a, what):
    """Refuse arrays of strings (or Python objects that are strings) with a clear error:
    models take numbers; a JAX/torch/TF conversion error would not say so."""
    dtype = getattr(a, "dtype", None)
    kind = getattr(dtype, "kind", None)
    if kind in ("U", "S") or (kind == "O" and getattr(a, "size", 0) and
                              isinstance(np.asarray(a).flat[0], (str, bytes))):
        raise ValueError(f"{what} holds strings (dtype {dtype}); models take numeric arrays. "
                         "Encode strings as numbers first (e.g. a lookup table or "
                         "tf.keras.layers.StringLookup in a tf.data pipeline).")


class DataAdapter:
    framework: str | None = None  # the framework its arrays are in, None for host data
    #: where host data goes: set by the model (the host-data rule of Layer.__call__)
    host_framework: str | None = None
    #: set by the model when its steps take NumPy batches (jax's jitted steps): framework
    #: arrays in host memory are then cut on the host (zero-copy views), not on device
    host_batches: bool = False

    def num_batches(self):
        return None

    def epoch(self):
        raise NotImplementedError

    @property
    def target_framework(self):
        return self.framework or self.host_framework or default_framework()


class ArrayAdapter(DataAdapter):
    """NumPy / pandas / framework arrays, with batching, shuffling, sample weights and
    class weights."""

    def __init__(self, x, y=None, sample_weight=None, batch_size=None, shuffle=False,
                 class_weight=None, steps=None):
        x, y, sample_weight = _map(_host, x), _map(_host, y), _map(_host, sample_weight)
        leaves = _leaves(x) + _leaves(y) + _leaves(sample_weight)
        if not leaves:
            raise ValueError("Expected data (x) to be arrays; received nothing")
        for name, part in (("x", x), ("y", y), ("sample_weight", sample_weight)):
            for a in _leaves(part):
                check_numeric(a, f"the data {name}")
        fws = {framework_of(a) for a in leaves} - {None}
        fws.discard("numpy")
        if len(fws) > 1:
            raise TypeError(f"x, y and sample_weight hold arrays of several frameworks: "
                            f"{sorted(fws)}. Convert them to one framework first.")
        self.framework = fws.pop() if fws else None
        sizes = {int(a.shape[0]) for a in leaves}
        if len(sizes) != 1:
            raise ValueError(
                "Data cardinality is ambiguous: make sure all arrays contain the same number "
                f"of samples. Received sizes: x={[int(a.shape[0]) for a in _leaves(x)]}, "
                f"y={[int(a.shape[0]) for a in _leaves(y)]}, "
                f"sample_weight={[int(a.shape[0]) for a in _leaves(sample_weight)]}")
        self.size = sizes.pop()
        if self.size == 0:
            raise ValueError("Expected non-empty data: received arrays with 0 samples")
        if class_weight is not None:
            if y is None or len(_leaves(y)) != 1:
                raise ValueError("class_weight needs a single y array")
            yv = to_numpy(_leaves(y)[0])
            cls = yv.argmax(-1) if yv.ndim > 1 and yv.shape[-1] > 1 else yv.reshape(yv.shape[0], -1)[:, 0].astype(int)
            cw = np.asarray([class_weight.get(int(c), 1.0) for c in cls], dtype=floatx())
            if sample_weight is not None:
                sample_weight = to_numpy(sample_weight) * cw
            else:
                sample_weight = cw
            if self.framework is not None:
                sample_weight = asarray(sample_weight, framework=self.framework)
        self.x, self.y, self.sample_weight = x, y, sample_weight
        self.batch_size = int(batch_size or 32)
        self.shuffle = shuffle
        self.steps = steps
        # Its own generator, seeded once from NumPy's global one (set_random_seed), so
        # the order of batches does not depend on who else draws numbers meanwhile.
        self._rng = np.random.default_rng(np.random.randint(0, 2**31 - 1)) if shuffle else None

    def num_batches(self):
        n = math.ceil(self.size / self.batch_size)
        return min(n, self.steps) if self.steps else n

    def epoch(self):
        n = self.num_batches()
        order = None
        if self.shuffle:
            order = self._rng.permutation(self.size)
            if self.shuffle == "batch":
                nb = math.ceil(self.size / self.batch_size)
                blocks = self._rng.permutation(nb)
                order = np.concatenate([np.arange(b * self.batch_size, min((b + 1) * self.batch_size, self.size)) for b in blocks])
        if self.framework is not None:
            yield from self._framework_epoch(n, order)
            return
        for b in range(n):
            lo, hi = b * self.batch_size, min((b + 1) * self.batch_size, self.size)
            if order is None:
                sl = _map(lambda a: a[lo:hi], (self.x, self.y, self.sample_weight))
            else:
                idx = order[lo:hi]
                sl = _map(lambda a: a[idx], (self.x, self.y, self.sample_weight))
            yield pack_x_y_sample_weight(*sl)  # (x, y) when there are no weights, as Keras

    def _framework_epoch(self, n, order):
        """Batches of framework arrays, cut a chunk of batches at a time: one
        ``split_rows`` per array and chunk (a slice, or a gather of the shuffled order,
        and a split), instead of one slice per batch and array (0.1-0.4 ms each in jax /
        TensorFlow eager, as much as a small model's whole step). Chunks hold at most
        _CHUNK_BATCHES batches and about _CHUNK_BYTES."""
        data = (self.x, self.y, self.sample_weight)
        leaves = _leaves(data)
        bs = self.batch_size
        batch_bytes = sum(_row_bytes(a) for a in leaves) * bs
        per_chunk = max(1, min(_CHUNK_BATCHES, _CHUNK_BYTES // max(batch_bytes, 1)))
        views = [host_view(a) if self.host_batches else None for a in leaves]
        flat_xy = (self.sample_weight is None and len(leaves) == 2
                   and leaves[0] is self.x and leaves[1] is self.y)
        for c0 in range(0, n, per_chunk):
            c1 = min(c0 + per_chunk, n)
            lo, hi = c0 * bs, min(c1 * bs, self.size)
            sizes = [min((b + 1) * bs, self.size) - b * bs for b in range(c0, c1)]
            idx = None if order is None else order[lo:hi]
            parts = [_split(a, sizes, lo, idx, views[j]) for j, a in enumerate(leaves)]
            if flat_xy:  # arrays x and y, no weights: the batch is (x_i, y_i)
                yield from zip(parts[0], parts[1])
                continue
            for i in range(c1 - c0):
                it = iter([p[i] for p in parts])
                sl = _map(lambda _: next(it), data)
                yield pack_x_y_sample_weight(*sl)  # (x, y) when there are no weights, as Keras


def _split(a, sizes, lo, idx, view):
    """``split_rows``, or NumPy slices of ``a``'s zero-copy host ``view`` when it has one
    (the rows ``lo:lo + sum(sizes)``, or the rows ``idx``)."""
    if view is None:
        return split_rows(a, sizes, start=lo, indices=idx)
    rows = view[lo:lo + sum(sizes)] if idx is None else view[idx]
    out, at = [], 0
    for n in sizes:
        out.append(rows[at:at + n])
        at += n
    return out


_CHUNK_BATCHES = 32
_CHUNK_BYTES = 64 * 2**20


def _row_bytes(a):
    dt = a.dtype
    item = getattr(dt, "itemsize", None) or getattr(dt, "size", None) or 4
    return int(math.prod(int(d) for d in a.shape[1:])) * int(item)


def split_validation(x, y, sample_weight, validation_split):
    """Keras' validation_split: the last fraction of the arrays (before shuffling)."""
    if not 0.0 < validation_split < 1.0:
        raise ValueError(f"validation_split must be in (0, 1); received {validation_split}")
    leaves = _leaves(x)
    if not leaves or not all(hasattr(a, "shape") or hasattr(a, "__len__") for a in leaves):
        raise ValueError("validation_split is only supported for array data (NumPy arrays, "
                         "pandas frames or framework tensors); pass validation_data instead")
    n = len(_host(leaves[0]))
    cut = int(math.floor(n * (1.0 - validation_split)))
    if cut == 0 or cut == n:
        raise ValueError(f"validation_split={validation_split} leaves an empty split for "
                         f"{n} samples")
    first = lambda a: _host(a)[:cut]  # noqa: E731
    second = lambda a: _host(a)[cut:]  # noqa: E731
    return ((_map(first, x), _map(first, y), _map(first, sample_weight)),
            (_map(second, x), _map(second, y), _map(second, sample_weight)))
