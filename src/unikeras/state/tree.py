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

import dataclasses as _dataclasses
import functools as _functools
import types as _types

import optree

from .variables import Variable

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


class _Lineage:
    """An identity token shared by an object and every copy unflattening made of it."""

    __slots__ = ()


def lineage(obj):
    """The lineage token of a tracked object or a variable (created on first use and
    copied with the object's ``__dict__`` into every clone)."""
    d = obj.__dict__
    token = d.get("_tree_lineage")
    if token is None:
        token = d["_tree_lineage"] = _Lineage()
    return token


class TreeDef:
    """Aux data of a flattened object: the object (the template unflattening clones),
    the variables it had then, and what equality compares.

    Two tree definitions are equal when they describe the same computation:

    * fast path: same lineage (one is a copy made by unflattening the other, or both of
      the same original) and the same variables in the same order (their lineages), so
      a model, its gradients and its optax-updated copies share one structure;
    * otherwise: equal static signatures (``static_signature``): same classes, same
      Python configuration (names excepted), same variable layout. Two independently
      built models of one architecture are then one structure (ensembles stack with
      ``tree_map``, a jit trace is shared), while models that differ in any Python
      state a trace could read are different structures.
    """

    __slots__ = ("obj", "variables", "lineage", "layout", "_sig")

    def __init__(self, obj, variables, layout):
        self.obj = obj
        self.variables = variables
        self.lineage = obj.__dict__["_tree_lineage"]
        self.layout = layout
        self._sig = None

    def __eq__(self, other):
        if not isinstance(other, TreeDef):
            return False
        if other.lineage is self.lineage and (
                other.layout is self.layout or other.layout == self.layout):
            return True
        if type(other.obj) is not type(self.obj) or len(other.variables) != len(self.variables):
            return False
        return self.signature() == other.signature()

    def __hash__(self):
        return hash((type(self.obj), len(self.variables)))

    def signature(self):
        if self._sig is None:
            self._sig = static_signature(self.obj)
        return self._sig

    def __repr__(self):
        return f"TreeDef({type(self.obj).__name__}, {len(self.variables)} variables)"


def flatten(obj, framework=None):
    """Leaves and aux data. With ``framework``, the object is first moved there (a
    jax transform sees jax arrays, a torch one torch tensors)."""
    if framework is not None and obj._tree_framework() != framework:
        obj._move_to(framework)
    variables, layout = obj._tree_layout()
    return [v._value for v in variables], TreeDef(obj, variables, layout)


def unflatten(treedef: TreeDef, leaves):
    leaves = list(leaves)
    return rebuild(treedef.obj, treedef.variables, leaves)


def rebuild(obj, variables, values):
    """A shallow copy of ``obj``'s graph whose ``variables`` hold ``values`` (which may
    be anything a tree library puts in a leaf's place: arrays, tracers, ``None``)."""
    if len(values) != len(variables):
        raise ValueError(
            f"{type(obj).__name__}: expected {len(variables)} leaves to rebuild from, "
            f"received {len(values)}"
        )
    new_vars = {}
    for v, val in zip(variables, values):
        lineage(v)
        new_vars[id(v)] = v._with_value(val)
    return obj._clone_tracked({}, new_vars)


# -- static signatures: the Python state of an object graph, for structural equality --

# Attributes that never change what a computation does: names and what is derived from
# them (every instance gets fresh ones: a Functional's input/output names, its by-id
# node index; a seed generator's initial seed, which only its config reads: the live
# seed state is a variable), the tree caches, and the training machinery a model
# carries after compile/fit (optimizer, history, jitted steps, compiled losses/metrics).
_SIGNATURE_SKIP = frozenset({
    "name", "input_names", "output_names", "_layer_nodes", "_initial_seed",
    "_tree_vars_cache", "_tree_lineage", "_tree_sig_cache", "_tree_clone_plan",
    "_losses_plan", "optimizer", "compiled", "stop_training", "history", "_trainers", "_loss_tracker",
    "_compile_loss", "_compile_metrics", "_user_loss", "loss", "run_eagerly", "jit_compile",
    "_explicit_jit", "steps_per_execution",
    # TF's checkpoint bookkeeping (state/tensorflow.py makes tracked objects TF
    # trackables): set when a model is saved or restored, never read by a computation
    "_self_setattr_tracking", "_self_unconditional_checkpoint_dependencies",
    "_self_unconditional_dependency_names", "_self_unconditional_deferred_dependencies",
    "_self_update_uid", "_self_name_based_restores", "_self_saveable_object_factories",
    # torch.nn.Module's own state on a layer living on torch (layers/torch.py): views
    # of the variables and sublayers, hooks
    "_parameters", "_buffers", "_modules", "_non_persistent_buffers_set",
    "_backward_pre_hooks", "_backward_hooks", "_is_full_backward_hook", "_forward_hooks",
    "_forward_hooks_with_kwargs", "_forward_hooks_always_called", "_forward_pre_hooks",
    "_forward_pre_hooks_with_kwargs", "_state_dict_hooks", "_state_dict_pre_hooks",
    "_load_state_dict_pre_hooks", "_load_state_dict_post_hooks", "training", "_uk_hooked",
})
_PRIMITIVES = (bool, int, float, complex, str, bytes, type(None))


class _SignatureWalk:
    def __init__(self):
        self.objects = {}   # id -> position (tracked objects and plain objects)
        self.variables = {}  # id -> position
        self.keep = []       # keeps walked objects alive while ids are in use
        self.out = []

    def value(self, value):
        t = type(value)
        if t in _PRIMITIVES:
            return (t, value)
        if t is list or t is tuple:
            return (t, tuple(self.value(v) for v in value))
        if t is dict:
            return (t, tuple((self.value(k), self.value(v)) for k, v in value.items()))
        if isinstance(value, Variable):
            pos = self.variables.get(id(value))
            if pos is None:
                pos = self.variables[id(value)] = len(self.variables)
                self.keep.append(value)
                self.out.append(("V", value.trainable, str(value.dtype), tuple(value.shape),
                                 value.aggregation, self.value(value.constraint),
                                 self.value(value.regularizer)))
            return ("V", pos)
        if isinstance(value, (_types.FunctionType, _types.BuiltinFunctionType, type,
                              _types.ModuleType)):
            return value
        if isinstance(value, _types.MethodType):
            return ("method", value.__func__, self.value(value.__self__))
        if isinstance(value, _functools.partial):
            return ("partial", self.value(value.func), self.value(value.args),
                    self.value(value.keywords))
        if _dataclasses.is_dataclass(value) and not isinstance(value, Trackable):
            # dataclasses (a Flax module, a config record) compare by their fields
            try:
                hash(value)
                return ("dataclass", t, value)
            except TypeError:
                pass
        if isinstance(value, Trackable) or hasattr(value, "__dict__"):
            pos = self.objects.get(id(value))
            if pos is None:
                pos = self.objects[id(value)] = len(self.objects)
                self.keep.append(value)
                if not isinstance(value, Trackable) and callable(getattr(value, "get_config", None)):
                    self.out.append((t, self.value(value.get_config())))
                else:
                    attrs = tuple((k, self.value(v)) for k, v in value.__dict__.items()
                                  if k not in _SIGNATURE_SKIP)
                    self.out.append((t, attrs))
            return ("O", pos)
        if type(value).__module__ == "numpy" and hasattr(value, "tobytes"):
            if getattr(value, "size", 1 << 20) <= 4096:
                return ("np", str(value.dtype), getattr(value, "shape", ()), value.tobytes())
        try:
            hash(value)
        except TypeError:
            return ("id", id(value), value)
        return value


def static_signature(obj):
    """What of ``obj``'s graph a traced computation could depend on besides the
    variable values: each reachable object's class and attributes (primitives by value,
    functions and classes by identity, hashable dataclasses (a Flax module) by their
    fields, objects with ``get_config`` by config, other objects walked the same way; names and training machinery skipped) and each
    variable's trainable flag, dtype, shape and constraint. Cached per object until
    the tracked structure changes."""
    cache = obj.__dict__.get("_tree_sig_cache")
    if cache is not None and cache[0] == _structure_version[0]:
        return cache[1]
    walk = _SignatureWalk()
    walk.value(obj)
    sig = tuple(walk.out)
    obj.__dict__["_tree_sig_cache"] = (_structure_version[0], sig)
    return sig


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
    t = type(value)
    if t is list or t is tuple:
        items = [_clone_value(v, memo, new_vars) for v in value]
        if all(a is b for a, b in zip(items, value)):
            return value
        return t(items)
    if t is dict:
        items = {k: _clone_value(v, memo, new_vars) for k, v in value.items()}
        if all(items[k] is value[k] for k in value):
            return value
        return items
    if isinstance(value, Trackable):
        return value._clone_tracked(memo, new_vars)
    if isinstance(value, Variable):
        return new_vars.get(id(value), value)
    return value


# Per-object caches that a clone must not inherit (they describe the original).
_CLONE_DROP = ("_tree_vars_cache", "_tree_sig_cache", "_losses_plan")


def _holds_tracked(value):
    t = type(value)
    if t is list or t is tuple:
        return any(_holds_tracked(v) for v in value)
    if t is dict:
        return any(_holds_tracked(v) for v in value.values())
    return isinstance(value, (Trackable, Variable))


# A compiled model's training machinery: tracked objects (optimizer, metrics) outside the
# model's tree, whose variables a clone would share anyway. Copies share them as they are.
_CLONE_SHARE = frozenset({"optimizer", "history", "_trainers", "_loss_tracker",
                          "_compile_loss", "_compile_metrics", "_tree_clone_plan"})


def _clone_plan(d):
    """The attribute names whose values a clone must map: those holding tracked objects
    or variables (directly or in lists/tuples/dicts). Everything else is shared as is,
    which is what mapping would return for it."""
    return tuple(k for k, v in d.items()
                 if k not in _CLONE_DROP and k not in _CLONE_SHARE and _holds_tracked(v))


class _FrameworkBases:
    """Empty base of ``Trackable``. CPython lets a class's ``__bases__`` change only from
    a Python base like this one (not from ``object``): the TensorFlow state shim makes
    every layer, model, optimizer and metric a TF trackable, when TF is imported, with
    ``Trackable.__bases__ = (_FrameworkBases, <its mixin>)`` (state/tensorflow.py)."""


def restore_deferred(obj) -> None:
    """``obj`` just gained variables (built): a TF checkpoint restore that ran before
    they existed (TF's deferred restoration) fills them now. A dict lookup otherwise."""
    if obj.__dict__.get("_self_unconditional_deferred_dependencies"):
        from ..xp import shim

        shim("tensorflow", "state").restore_deferred(obj)


class Trackable(_FrameworkBases):
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

    def _tree_layout(self):
        """(variables, their lineages): what a flattened tree definition compares."""
        cache = self.__dict__.get("_tree_vars_cache")
        if cache is None or cache[0] != _structure_version[0] or len(cache) < 3:
            variables = self._tree_variables()
            lineage(self)
            cache = (_structure_version[0], variables, tuple(lineage(v) for v in variables))
            object.__setattr__(self, "_tree_vars_cache", cache)
        return cache[1], cache[2]

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
        lineage(self)
        src = self.__dict__
        # which attributes need mapping, cached until the tracked structure changes or
        # attributes are added (a clone inherits the plan: same attributes)
        plan = src.get("_tree_clone_plan")
        if plan is None or plan[0] != _structure_version[0] or plan[1] != len(src):
            keys = _clone_plan(src)
            n = len(src) + (0 if "_tree_clone_plan" in src else 1)
            plan = src["_tree_clone_plan"] = (_structure_version[0], n, keys)
        d = new.__dict__
        d.update(src)
        for k in _CLONE_DROP:
            d.pop(k, None)
        for k in plan[2]:
            d[k] = _clone_value(src[k], memo, new_vars)
        cache = src.get("_tree_vars_cache")
        if cache is not None and len(cache) == 3 and cache[0] == _structure_version[0]:
            # the copy reaches the mapped variables, in the same order, same lineages
            d["_tree_vars_cache"] = (cache[0], tuple([new_vars.get(id(v), v) for v in cache[1]]),
                                     cache[2])
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
