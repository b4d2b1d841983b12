"""NumPy shim for unikeras.state: variables are plain (immutable-by-convention) arrays."""

import numpy as np


def make_variable(value, variable):
    # Own the buffer: a later move to torch/tf/jax is zero-copy (DLPack) and torch/tf
    # update in place, which must never write into an array the user passed in.
    return np.array(value, copy=True)


def storage_dtype(dtype):
    return dtype


def raw_array(native):
    return native


def assign(native, value, variable):
    value = np.asarray(value)
    if value.shape != native.shape:
        raise ValueError(f"Variable {variable.path!r}: assigned value has shape {value.shape}, expected {native.shape}")
    return value.astype(native.dtype, copy=True)  # own it (see make_variable)


def read_value(native):
    return native
