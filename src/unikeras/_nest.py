"""One helper for the Python structures Keras passes data in (lists, tuples, dicts,
nested): ``map_nested`` rebuilds the structure with ``fn`` applied to every leaf,
``flatten_nested`` / ``present_leaves`` list the leaves.
Containers only, on purpose: layers and models are pytrees too, and must stay leaves here
(``optree.tree_map`` would walk into them)."""

from __future__ import annotations


def map_nested(fn, obj):
    """``obj`` with every leaf (anything not a list, tuple or dict, None included) replaced
    by ``fn(leaf)``; lists and tuples keep their type, dicts their keys."""
    if isinstance(obj, (list, tuple)):
        return type(obj)(map_nested(fn, o) for o in obj)
    if isinstance(obj, dict):
        return {k: map_nested(fn, v) for k, v in obj.items()}
    return fn(obj)


def flatten_nested(obj) -> list:
    """The leaves of ``obj`` (anything not a list, tuple or dict, None included) in order:
    list/tuple items, then dict values in insertion order."""
    out: list = []
    _flatten_into(obj, out, False)
    return out


def present_leaves(obj) -> list:
    """``flatten_nested`` without the None leaves (absent ``y``/``sample_weight`` parts)."""
    out: list = []
    _flatten_into(obj, out, True)
    return out


def _flatten_into(obj, out, skip_none):
    if isinstance(obj, (list, tuple)):
        for o in obj:
            _flatten_into(o, out, skip_none)
    elif isinstance(obj, dict):
        for o in obj.values():
            _flatten_into(o, out, skip_none)
    elif obj is not None or not skip_none:
        out.append(obj)
