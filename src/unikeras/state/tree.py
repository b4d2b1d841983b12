"""Layers and models as pytrees.

Every ``Trackable`` subclass (Layer, Model, SeedGenerator, ...) is registered with
optree (namespace "unikeras") at class creation, and with jax.tree_util and
torch.utils._pytree the moment those frameworks' state shims are loaded. TensorFlow's
tf.nest uses the ``__tf_flatten__`` / ``__tf_unflatten__`` methods defined on the class.

A tracked object flattens, in one level, to the values of all the distinct variables
it reaches (``obj.variables`` order, shared layers counted once). Unflattening builds a
shallow copy of the whole object graph whose variable boxes hold the new leaves; the
original is never touched. So ``jax.grad(loss)(model, x, y)`` returns a model-shaped
tree of gradients, and a function transformed by jax.jit / torch.func / tf.function
sees a model whose variables are the transform's traced values.
"""

from __future__ import annotations

import optree

NAMESPACE = "unikeras"

_classes: list[type] = []
_hooks: list = []
_structure_version = [0]


def bump_structure_version() -> None:
    """Called whenever any tracked object gains a variable or a child: invalidates the
    cached variable lists."""
    _structure_version[0] += 1


def on_register(hook) -> None:
    """Run ``hook(cls)`` for every tracked class now and every one defined later."""
    _hooks.append(hook)
    for cls in _classes:
        hook(cls)


def register_class(cls) -> None:
    _classes.append(cls)
    optree.register_pytree_node(cls, flatten, unflatten, namespace=NAMESPACE)
    for hook in _hooks:
        hook(cls)


class TreeDef:
    """Aux data of a flattened object: the object and the variables it had then."""

    __slots__ = ("obj", "variables")

    def __init__(self, obj, variables):
        self.obj = obj
        self.variables = variables

    def __eq__(self, other):
        return (isinstance(other, TreeDef) and other.obj is self.obj
                and other.variables is self.variables)

    def __hash__(self):
        return id(self.obj)

    def __repr__(self):
        return f"TreeDef({type(self.obj).__name__}, {len(self.variables)} variables)"


def flatten(obj, framework=None):
    """Leaves and aux data. With ``framework``, the object is first moved there (a
    jax transform sees jax arrays, a torch one torch tensors)."""
    if framework is not None and obj._tree_framework() != framework:
        obj._move_to(framework)
    variables = obj._tree_variables()
    return [v._value for v in variables], TreeDef(obj, variables)


def unflatten(treedef: TreeDef, leaves):
    leaves = list(leaves)
    return rebuild(treedef.obj, treedef.variables, leaves)


def rebuild(obj, variables, values):
    """A shallow copy of ``obj``'s graph whose ``variables`` hold ``values``."""
    if len(values) != len(variables):
        raise ValueError(
            f"{type(obj).__name__}: expected {len(variables)} leaves to rebuild from, "
            f"received {len(values)}"
        )
    new_vars = {id(v): v._with_value(val) for v, val in zip(variables, values)}
    return obj._clone_tracked({}, new_vars)


def tree_flatten(tree):
    """Flatten any nest of lists/tuples/dicts/layers into leaves (optree, our namespace)."""
    return optree.tree_flatten(tree, namespace=NAMESPACE, none_is_leaf=False)


def tree_map(fn, tree, *rest):
    return optree.tree_map(fn, tree, *rest, namespace=NAMESPACE)


def tree_unflatten(treespec, leaves):
    return optree.tree_unflatten(treespec, leaves)


def _clone_value(value, memo, new_vars):
    """Clone-map over attribute values: tracked objects are cloned, containers are
    rebuilt when something inside them changed, everything else is shared."""
    if isinstance(value, Trackable):
        return value._clone_tracked(memo, new_vars)
    if type(value) in (list, tuple):
        items = [_clone_value(v, memo, new_vars) for v in value]
        if all(a is b for a, b in zip(items, value)):
            return value
        return type(value)(items)
    if type(value) is dict:
        items = {k: _clone_value(v, memo, new_vars) for k, v in value.items()}
        if all(items[k] is value[k] for k in value):
            return value
        return items
    from .variables import Variable

    if isinstance(value, Variable):
        return new_vars.get(id(value), value)
    return value


class Trackable:
    """Base of everything that owns variables and is a pytree.

    Subclasses list the attribute names that hold variables or tracked children in
    ``_tracked_attrs`` (maintained by ``__setattr__`` in Layer); ``_own_variables()``
    and ``_children()`` say what they own.
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        register_class(cls)

    def _tree_framework(self):
        vs = self._tree_variables()
        return vs[0].framework if vs else None

    def _move_to(self, framework):
        for v in self._tree_variables():
            v._move_to(framework)

    # Subclasses override these two.
    def _own_variables(self):
        return []

    def _children(self):
        return []

    def _tree_variables(self):
        """All distinct variables reached from this object, cached per structure."""
        cache = self.__dict__.get("_tree_vars_cache")
        if cache is not None and cache[0] == _structure_version[0]:
            return cache[1]
        seen = set()
        out = []
        self._collect_variables(out, seen)
        out = tuple(out)
        object.__setattr__(self, "_tree_vars_cache", (_structure_version[0], out))
        return out

    def _collect_variables(self, out, seen):
        for v in self._own_variables():
            if id(v) not in seen:
                seen.add(id(v))
                out.append(v)
        for child in self._children():
            child._collect_variables(out, seen)

    def _clone_tracked(self, memo, new_vars):
        key = id(self)
        if key in memo:
            return memo[key]
        new = object.__new__(type(self))
        memo[key] = new
        d = dict(self.__dict__)
        d.pop("_tree_vars_cache", None)
        for k, v in d.items():
            d[k] = _clone_value(v, memo, new_vars)
        new.__dict__.update(d)
        return new

    # tf.nest protocol (works without importing tensorflow here)
    def __tf_flatten__(self):
        leaves, treedef = flatten(self, "tensorflow")
        return treedef, tuple(leaves)

    @classmethod
    def __tf_unflatten__(cls, metadata, components):
        return unflatten(metadata, components)


# --------------------------------------------------------------------------------------
# Registration with jax.tree_util / torch.utils._pytree (and, for TensorFlow, telling
# autograph to leave unikeras alone) must happen as soon as those frameworks are imported (a jax.jit or torch.func call may be the first thing to see a
# layer), but unikeras must not import them itself. A post-import hook on sys.meta_path
# loads our state shim right after `import jax` / `import torch` finishes; frameworks
# already imported are handled at once.

import importlib.abc as _abc
import importlib.util as _util
import sys as _sys

_WATCHED = ("jax", "torch", "tensorflow")


def _load_state_shim(framework):
    from ..xp import shim

    shim(framework, "state")


class _PostImportFinder(_abc.MetaPathFinder):
    def __init__(self):
        self._busy = set()

    def find_spec(self, fullname, path=None, target=None):
        if fullname not in _WATCHED or fullname in self._busy:
            return None
        self._busy.add(fullname)
        try:
            spec = _util.find_spec(fullname)
        finally:
            self._busy.discard(fullname)
        if spec is None or spec.loader is None:
            return spec
        loader = spec.loader
        exec_module = loader.exec_module

        def exec_and_register(module, _exec=exec_module, _name=fullname):
            _exec(module)
            _load_state_shim(_name)

        try:
            loader.exec_module = exec_and_register
        except AttributeError:
            return None
        return spec


def _install_post_import_hooks():
    for name in _WATCHED:
        if name in _sys.modules:
            _load_state_shim(name)
    if not any(isinstance(f, _PostImportFinder) for f in _sys.meta_path):
        _sys.meta_path.insert(0, _PostImportFinder())


_install_post_import_hooks()
