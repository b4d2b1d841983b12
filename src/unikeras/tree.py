"""Keras' ``keras.tree``: utilities for nested structures (lists, tuples, namedtuples,
dicts, ``None``), on optree as Keras 3 is.

The rules are Keras 3's: ``None`` is a leaf, dicts flatten in sorted key order
(``OrderedDict`` / ``defaultdict`` in their own order, as optree does), layers, models
and arrays are leaves. unikeras layers are pytrees in the ``"unikeras"`` optree
namespace (for ``jax.grad(model)``); this module uses optree's global namespace, where
they are not registered, so ``keras.tree.flatten([model])`` is ``[model]`` as in Keras.
"""

from __future__ import annotations

import warnings

import optree

__all__ = [
    "MAP_TO_NONE", "assert_same_paths", "assert_same_structure", "flatten",
    "flatten_with_path", "is_nested", "lists_to_tuples", "map_shape_structure",
    "map_structure", "map_structure_up_to", "pack_sequence_as", "traverse",
]

_KW = {"none_is_leaf": True}
_MISMATCH = "Structures don't have the same nested structure."


class MAP_TO_NONE:
    """Returned by a ``traverse`` function to put ``None`` at that place in the result
    (returning ``None`` itself means "go on into the children")."""


def _leaf(x) -> bool:
    return optree.tree_is_leaf(x, **_KW)


def is_nested(structure) -> bool:
    """Whether ``structure`` is a list, tuple, namedtuple, dict (or another registered
    container) rather than a leaf."""
    return not _leaf(structure)


def traverse(func, structure, top_down=True):
    """Apply ``func`` to every node of ``structure`` (containers and leaves).

    Top-down: where ``func`` returns something other than ``None`` that replaces the
    node and its children are not visited; ``None`` keeps the node and descends.
    Bottom-up: children first, then ``func`` on the rebuilt node, ``None`` keeping it.
    ``MAP_TO_NONE`` (the class) puts ``None`` in the result."""

    def children_done():
        kids, spec = optree.tree_flatten(structure, is_leaf=lambda x: x is not structure,
                                         **_KW)
        if spec.num_nodes == 1 and spec.num_leaves == 1:
            return structure
        return optree.tree_unflatten(spec, [traverse(func, k, top_down=top_down)
                                            for k in kids])

    if top_down:
        out = func(structure)
        if out is None:
            return children_done()
    else:
        done = children_done()
        out = func(done)
        if out is None:
            return done
    if out is MAP_TO_NONE:
        return None
    return out


def flatten(structure) -> list:
    """The leaves of ``structure`` in order (a leaf gives ``[leaf]``)."""
    if _leaf(structure):
        return [structure]
    return optree.tree_leaves(structure, **_KW)


def flatten_with_path(structure) -> list:
    """``[(path, leaf), ...]``: each path a tuple of indices and dict keys."""
    paths, leaves, _ = optree.tree_flatten_with_path(structure, **_KW)
    return list(zip(paths, leaves))


def map_structure(func, *structures, none_is_leaf=True):
    """``func`` applied leaf-wise over structures of the same layout; the result has
    that layout. A ``ValueError`` when the structures differ."""
    if not structures:
        raise ValueError("Must provide at least one structure")
    if len(structures) == 1 and not is_nested(structures[0]):
        if structures[0] is None and not none_is_leaf:
            return None
        return func(structures[0])

    def checked(*args):
        if not all(optree.tree_is_leaf(a, none_is_leaf=none_is_leaf) for a in args):
            raise ValueError(_MISMATCH)
        return func(*args)

    fn = checked if len(structures) > 1 else func
    try:
        return optree.tree_map(fn, *structures, none_is_leaf=none_is_leaf)
    except (TypeError, ValueError) as e:
        if str(e) == _MISMATCH:
            raise
        raise ValueError(f"{_MISMATCH} {e}") from None


def map_structure_up_to(shallow_structure, func, *structures):
    """Like ``map_structure``, but only down to the leaves of ``shallow_structure``:
    deeper parts of ``structures`` are passed to ``func`` whole."""
    if not structures:
        raise ValueError("Must provide at least one structure")

    def checked(shallow, *args):
        # as in Keras 3: a None in the shallow structure counts as a node, so it is a
        # mismatch against anything but None
        if not optree.tree_is_leaf(shallow):
            raise ValueError(_MISMATCH)
        return func(*args)

    try:
        return optree.tree_map(checked, shallow_structure, *structures, **_KW)
    except (TypeError, ValueError) as e:
        if str(e) == _MISMATCH:
            raise
        raise ValueError(f"{_MISMATCH} {e}") from None


def assert_same_structure(a, b, check_types=None):
    """Raise ``ValueError`` unless ``a`` and ``b`` have the same nesting (container types
    included). ``check_types`` is deprecated in Keras 3 and has no effect."""
    if check_types is not None:
        warnings.warn("The `check_types` argument is deprecated and no longer has any "
                      "effect, please remove.", DeprecationWarning, stacklevel=2)
    map_structure(lambda *_: None, a, b)


def assert_same_paths(a, b):
    """Raise ``ValueError`` unless ``a`` and ``b`` have the same set of leaf paths (a
    looser check: a list and a tuple of the same length match)."""
    pa = set(optree.tree_paths(a, **_KW))
    pb = set(optree.tree_paths(b, **_KW))
    if pa != pb:
        msg = "`a` and `b` don't have the same paths."
        if pa - pb:
            msg += f"\nPaths in `a` missing in `b`:\n{pa - pb}"
        if pb - pa:
            msg += f"\nPaths in `b` missing in `a`:\n{pb - pa}"
        raise ValueError(msg)


def pack_sequence_as(structure, flat_sequence):
    """The leaves ``flat_sequence`` put back into the layout of ``structure``."""
    spec = optree.tree_structure(structure, **_KW)
    flat_sequence = list(flat_sequence)
    if len(flat_sequence) != spec.num_leaves:
        raise ValueError(
            f"The target structure has {spec.num_leaves} leaves, but `flat_sequence` has "
            f"{len(flat_sequence)} elements. Target structure: {structure}")
    return optree.tree_unflatten(spec, flat_sequence)


def lists_to_tuples(structure):
    """``structure`` with every list (at any depth) turned into a tuple."""
    return traverse(lambda x: tuple(x) if isinstance(x, list) else None, structure,
                    top_down=False)


def map_shape_structure(func, structure):
    """``func`` applied to every shape (a list or tuple of ints / ``None``) in
    ``structure``, the shapes taken as leaves."""

    def is_shape(x):
        return isinstance(x, (list, tuple)) and all(isinstance(e, (int, type(None)))
                                                    for e in x)

    return optree.tree_map(func, structure, is_leaf=is_shape, **_KW)
