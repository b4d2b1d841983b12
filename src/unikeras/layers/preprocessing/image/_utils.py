"""Small helpers of the image preprocessing layers: shapes that may be unknown until
run time (tf.data), casts, host data to arrays, seeds."""

from __future__ import annotations

import numpy as np

from ....xp import asarray, default_framework, framework_of, namespace, standardize_dtype
from ....xp._registry import SCOPE, is_imported, shim
from ...normalization import dtype_obj


def dims(x):
    """The shape of ``x`` as a tuple: ints where known, and where a size is unknown
    until run time (TensorFlow graphs: a ``tf.data`` batch axis) the framework's scalar
    for it (the xp shim's ``dynamic_shape``)."""
    shape = tuple(x.shape)
    if all(d is not None for d in shape):
        return tuple(int(d) for d in shape)
    mod = shim(framework_of(x), "xp")
    f = getattr(mod, "dynamic_shape", None) if mod is not None else None
    if f is None:
        raise ValueError(f"the shape {shape} has unknown sizes and the framework of the "
                         "array cannot say them")
    return tuple(f(x))


def is_static(d):
    return isinstance(d, (int, np.integer))


def cast(x, name):
    name = standardize_dtype(name)
    if standardize_dtype(x.dtype) == name:
        return x
    xp = namespace(x)
    return xp.astype(x, dtype_obj(xp, x, name))


def as_array(x, like, dtype=None):
    """``x`` as an array of the framework of ``like`` (host data and lists), else of
    the call's framework."""
    if framework_of(x) is not None and not isinstance(x, (list, tuple)):
        return x if dtype is None else cast(x, dtype)
    fw = framework_of(like) if like is not None else (SCOPE.fw or default_framework())
    value = np.asarray(x)
    if dtype is not None:
        value = value.astype(dtype)
    if fw is None:
        return value
    return asarray(value, framework=fw)


def as_scalar(xp, v, dtype):
    """A size (an int, or a framework scalar where unknown until run time) as a value
    of ``dtype`` for arithmetic."""
    if is_static(v) or isinstance(v, float):
        return float(v)
    return xp.astype(v, dtype)


def worker_seed():
    """The torch DataLoader worker's seed inside a worker process, else None."""
    if not is_imported("torch"):
        return None
    mod = shim("torch", "xp")
    f = getattr(mod, "data_worker_seed", None)
    return f() if f is not None else None


def next_seed(generator, framework):
    """The next seed pair of ``generator`` on ``framework`` (advancing it). Inside a
    torch ``DataLoader`` worker the worker's seed is added, so workers that started
    from copies of one layer draw different transformations (and a new epoch's
    workers, whose seeds torch draws afresh, others again)."""
    pair = generator.next(framework)
    offset = worker_seed()
    if offset is not None:
        xp = namespace(pair)
        pair = pair + xp.asarray([offset % (2**30), 0], dtype=pair.dtype)
    return pair


def per_image(fn, images, *per_image_args):
    """``fn(images, *per_image_args)``; where the batch size is unknown until run time (a
    batched ``tf.data`` pipeline), ``fn`` runs per image (``ops.vectorized_map``: the
    image ops want static sizes) with each image's row of the other arguments."""
    if is_static(dims(images)[0]) or len(images.shape) != 4:
        return fn(images, *per_image_args)
    from ....ops import vectorized_map

    return vectorized_map(lambda e: fn(e[0], *e[1:]), (images,) + tuple(per_image_args))
