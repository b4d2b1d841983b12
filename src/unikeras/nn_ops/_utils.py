"""Argument normalization and shape arithmetic shared by the nn ops and their shims.

Pure Python: no framework, no array namespace.
"""

from __future__ import annotations

import math

DATA_FORMATS = ("channels_last", "channels_first")
PADDINGS = ("valid", "same")


def standardize_data_format(op: str, data_format):
    if data_format is None:
        return "channels_last"
    df = str(data_format).lower()
    if df not in DATA_FORMATS:
        raise ValueError(f"{op}: data_format must be one of {DATA_FORMATS}; received "
                         f"data_format={data_format!r}")
    return df


def standardize_padding(op: str, padding):
    p = str(padding).lower() if isinstance(padding, str) else padding
    if p not in PADDINGS:
        raise ValueError(f"{op}: padding must be one of {PADDINGS}; received padding={padding!r}")
    return p


def standardize_tuple(op: str, name: str, value, n: int, allow_zero: bool = False):
    """An int or a sequence of ``n`` ints -> a tuple of ``n`` positive ints."""
    if value is None:
        raise ValueError(f"{op}: {name} must be an int or a tuple of {n} ints; received None")
    if isinstance(value, int) or (hasattr(value, "__index__") and not hasattr(value, "__len__")):
        out = (int(value),) * n
    else:
        try:
            out = tuple(int(v) for v in value)
        except TypeError:
            raise ValueError(f"{op}: {name} must be an int or a tuple of {n} ints; received "
                             f"{name}={value!r}") from None
        if len(out) == 1 and n > 1:
            out = out * n
        if len(out) != n:
            raise ValueError(f"{op}: {name} must have {n} entries (one per spatial "
                             f"dimension); received {name}={value!r}")
    lo = 0 if allow_zero else 1
    if any(v < lo for v in out):
        raise ValueError(f"{op}: {name} entries must be >= {lo}; received {name}={value!r}")
    return out


def check_rank(op: str, name: str, x, ranks):
    r = len(x.shape)
    if r not in ranks:
        raise ValueError(f"{op}: {name} must have rank {' or '.join(map(str, ranks))} "
                         f"(batch, spatial..., channels); received {name}.shape={tuple(x.shape)}")
    return r


def same_padding(size: int, k: int, s: int, d: int = 1):
    """TF/Keras "same": output ceil(size/s), extra padding at the end."""
    ke = (k - 1) * d + 1
    out = -(-size // s)
    total = max((out - 1) * s + ke - size, 0)
    return total // 2, total - total // 2


def conv_padding(padding: str, sizes, kernel, strides, dilation):
    """[(before, after)] per spatial dim for "valid"/"same"."""
    if padding == "valid":
        return [(0, 0)] * len(sizes)
    return [same_padding(n, k, s, d) for n, k, s, d in zip(sizes, kernel, strides, dilation)]


def conv_output_size(size: int, k: int, s: int, d: int, pad) -> int:
    ke = (k - 1) * d + 1
    return (size + pad[0] + pad[1] - ke) // s + 1


def conv_transpose_padding(k: int, s: int, d: int, padding: str, output_padding):
    """Keras 3's rule: (left, right) padding of the stride-dilated input (the lax
    ``conv_transpose`` formulation)."""
    ke = (k - 1) * d + 1
    if padding == "valid":
        op = max(ke, s) - ke if output_padding is None else output_padding
        return ke - 1, ke - 1 + op
    if output_padding is None:
        total = s + ke - 2
    else:
        total = ke + ke % 2 - 2 + output_padding
    left = min(total // 2 + total % 2, ke - 1)
    return left, total - left


def conv_transpose_output_size(size: int, k: int, s: int, d: int, pads) -> int:
    ke = (k - 1) * d + 1
    return (size - 1) * s + 1 + pads[0] + pads[1] - ke + 1


def normalize_axis(op: str, axis: int, ndim: int) -> int:
    if not -ndim <= axis < ndim:
        raise ValueError(f"{op}: axis {axis} is out of bounds for an array of rank {ndim}")
    return axis % ndim


def prod(values):
    return math.prod(values)
