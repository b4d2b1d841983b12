"""One helper for the Python structures Keras passes data in (lists, tuples, dicts,
nested): ``map_nested`` rebuilds the structure with ``fn`` applied to every leaf.
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
