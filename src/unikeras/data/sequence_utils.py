"""Keras' ``keras.utils.pad_sequences`` (also ``keras.preprocessing.sequence``): host-side
(NumPy) data preparation, as in Keras."""

from __future__ import annotations

import numpy as np


def pad_sequences(sequences, maxlen=None, dtype="int32", padding="pre", truncating="pre",
                  value=0.0):
    """Pad (or truncate) a list of sequences to one length; returns a NumPy array of shape
    ``(len(sequences), maxlen) + sample_shape``.

    ``padding``/``truncating``: ``"pre"`` (the default) pads / cuts at the start, ``"post"``
    at the end. ``maxlen=None`` uses the longest sequence. Strings need ``dtype=object``
    (or a NumPy string dtype)."""
    if not hasattr(sequences, "__len__"):
        raise ValueError("pad_sequences: `sequences` must be iterable (a list of "
                         f"sequences); received {type(sequences).__name__}.")
    if padding not in ("pre", "post"):
        raise ValueError(f'pad_sequences: Padding type "{padding}" not understood '
                         '(expected "pre" or "post").')
    if truncating not in ("pre", "post"):
        raise ValueError(f'pad_sequences: Truncating type "{truncating}" not understood '
                         '(expected "pre" or "post").')
    lengths, sample_shape = [], None
    for s in sequences:
        try:
            n = len(s)
        except TypeError as e:
            raise ValueError("pad_sequences: `sequences` must be a list of iterables. "
                             f"Found non-iterable: {s!r}") from e
        lengths.append(n)
        if sample_shape is None and n:
            sample_shape = np.asarray(s).shape[1:]
    sample_shape = sample_shape or ()
    if maxlen is None:
        maxlen = max(lengths) if lengths else 0
    maxlen = int(maxlen)
    is_str_dtype = dtype is not object and (np.issubdtype(np.dtype(dtype), np.str_)
                                           or np.issubdtype(np.dtype(dtype), np.bytes_))
    if isinstance(value, str) and dtype is not object and not is_str_dtype:
        raise ValueError(f"pad_sequences: `dtype` {dtype} is not compatible with `value`'s "
                         f"type: {type(value)}\nYou should set `dtype=object` for variable "
                         "length strings.")
    out = np.full((len(lengths), maxlen) + tuple(sample_shape), value, dtype=dtype)
    if maxlen == 0:
        return out
    for i, s in enumerate(sequences):
        if not lengths[i]:
            continue
        kept = s[-maxlen:] if truncating == "pre" else s[:maxlen]
        kept = np.asarray(kept, dtype=dtype)
        if kept.shape[1:] != tuple(sample_shape):
            raise ValueError(f"pad_sequences: Shape of sample {kept.shape[1:]} of sequence "
                             f"at position {i} is different from expected shape "
                             f"{tuple(sample_shape)}")
        if padding == "post":
            out[i, :len(kept)] = kept
        else:
            out[i, maxlen - len(kept):] = kept
    return out
