"""Keras 3's ``keras.ops.rearrange``: einops-style axis rearrangement (reshape, transpose,
reshape), written once against the Array API."""

from __future__ import annotations

import math as _math
import re

from ._common import op_error, resolve, to_array

__all__ = ["rearrange"]

_TOKEN = re.compile(r"\(\s*[^()]*?\s*\)|[A-Za-z_]\w*|\S")


def _parse(side, text):
    """A pattern side -> list of groups (each a list of axis names)."""
    groups = []
    for tok in _TOKEN.findall(text):
        if tok.startswith("("):
            names = tok[1:-1].split()
            if not all(re.fullmatch(r"[A-Za-z_]\w*", n) for n in names):
                raise op_error("rearrange", f"expected axis names inside ( ) on the {side} side; "
                               f"received {tok!r}")
            groups.append(names)
        elif re.fullmatch(r"[A-Za-z_]\w*", tok):
            groups.append([tok])
        else:
            raise op_error("rearrange", f"unsupported token {tok!r} on the {side} side (names and "
                           "(groups) only)")
    flat = [n for g in groups for n in g]
    if len(set(flat)) != len(flat):
        raise op_error("rearrange", f"an axis name repeats on the {side} side: {text.strip()!r}")
    return groups, flat


def rearrange(tensor, pattern, **axes_lengths):
    """Rearrange axes as ``pattern`` says, e.g. ``"b (h w) c -> b h w c"`` with ``h=4``:
    names split and merge axes, ``( )`` groups are merged axes; each input group may leave
    one length to infer. Both sides must name the same axes."""
    if not isinstance(pattern, str) or pattern.count("->") != 1:
        raise op_error("rearrange", f"expected a pattern 'input -> output'; received {pattern!r}")
    left, right = pattern.split("->")
    in_groups, in_names = _parse("input", left)
    out_groups, out_names = _parse("output", right)
    if set(in_names) != set(out_names):
        raise op_error("rearrange", f"expected the same axis names on both sides; received "
                       f"{sorted(in_names)} and {sorted(out_names)}")
    unknown = set(axes_lengths) - set(in_names)
    if unknown:
        raise op_error("rearrange", f"axes_lengths names axes not in the pattern: {sorted(unknown)}")
    xp, fw = resolve("rearrange", tensor)
    x = to_array(xp, fw, tensor)
    if x.ndim != len(in_groups):
        raise op_error("rearrange", f"the input side has {len(in_groups)} axes; received an array "
                       f"of shape {tuple(x.shape)}")
    sizes = {k: int(v) for k, v in axes_lengths.items()}
    for g, dim in zip(in_groups, x.shape):
        missing = [n for n in g if n not in sizes]
        known = _math.prod(sizes[n] for n in g if n in sizes)
        if len(missing) > 1:
            raise op_error("rearrange", f"cannot infer the lengths of {missing} in one group: give "
                           "all but one in axes_lengths")
        if missing:
            if known == 0 or dim % known:
                raise op_error("rearrange", f"axis of length {dim} cannot be split into {g} with "
                               f"{ {n: sizes[n] for n in g if n in sizes} }")
            sizes[missing[0]] = dim // known
        elif known != dim:
            raise op_error("rearrange", f"axis of length {dim} does not match {g} = {known}")
    x = xp.reshape(x, tuple(sizes[n] for n in in_names))
    perm = tuple(in_names.index(n) for n in out_names)
    if perm != tuple(range(len(perm))):
        x = xp.permute_dims(x, perm)
    return xp.reshape(x, tuple(_math.prod(sizes[n] for n in g) for g in out_groups))
