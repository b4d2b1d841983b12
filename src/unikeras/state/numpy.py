"""NumPy shim for unikeras.state: variables are plain (immutable-by-convention) arrays."""

import numpy as np


def make_variable(value, variable):
    return np.asarray(value)


def storage_dtype(dtype):
    return dtype


def raw_array(native):
    return native


def assign(native, value, variable):
    value = np.asarray(value)
    if value.shape != native.shape:
        raise ValueError(f"Variable {variable.path!r}: assigned value has shape {value.shape}, expected {native.shape}")
    return value.astype(native.dtype, copy=False)
