"""PyTorch shim for layers: a layer that lives on torch is a ``torch.nn.Module``.

When a layer's variables move to torch (``Layer._move_to("torch")``: the first call with
torch tensors, ``fit`` on torch, ``.to()``, ``.parameters()``, ...), every layer of its
tree gets its ``__class__`` swapped to a cached subclass ``type(name, (cls,
torch.nn.Module), overrides)`` and ``torch.nn.Module.__init__`` run on it (assigning
``__bases__`` is refused by CPython for Module). The instance keeps its identity, its
``__dict__`` and its class name (so ``.weights.h5`` paths and configs are unchanged).

torch's machinery then works on torch's own dicts, which this module keeps in step with
the layer:

* ``_parameters``: the layer's trainable variables (its ``_trainable_vars``), keyed by
  the attribute name that holds them (``kernel``), else the variable's name;
* ``_buffers``: its non-trainable variables (BatchNorm statistics, ...). Seed-generator
  states stay out: they are Keras RNG state (saved in Keras files, kept on the host);
* ``_modules``: its sublayers, keyed by the attribute that holds them (``dense``); a
  list / dict attribute of layers becomes a ``ModuleList`` / ``ModuleDict`` (``blocks.0``);
  layers held only in ``_layers`` (Sequential, Functional) are keyed by their index in
  ``model.layers`` (``0``, ``1``, as ``nn.Sequential``); raw torch modules held in an
  attribute are registered under it.

``_parameters`` and ``_buffers`` are ``_VarDict``s: a torch-side write
(``functional_call``, ``torch.export`` re-parametrisation, ``.to()`` creating new tensors)
writes through to the ``Variable``, so the layer's ``call`` (which reads
``variable._value``) sees what torch put there. After ``_apply`` (``.to``, ``.double``,
``.cuda``) the variables' dtypes are re-read, and a float dtype change becomes the
layers' dtype policy.
"""

from __future__ import annotations


import torch
from torch.nn.modules import module as _tmod

from ..state.tree import _structure_version
from ..state.variables import Variable
from ..xp import standardize_dtype
from . import _context
from .layer import Layer

_Module = torch.nn.Module
_module_call = _Module.__call__
_classes: dict[type, type] = {}


class _VarDict(dict):
    """torch's ``_parameters`` / ``_buffers`` of an adopted layer: a plain dict whose
    writes also rebind the matching Variable's value."""

    __slots__ = ("_vars",)

    def __init__(self):
        super().__init__()
        self._vars = {}

    def __reduce__(self):
        return (_rebuild_var_dict, (dict(self), self._vars))

    def __setitem__(self, key, value):
        dict.__setitem__(self, key, value)
        v = self._vars.get(key)
        if v is not None and isinstance(value, torch.Tensor):
            v._value = value
            v._framework = "torch"


class _ModuleView(dict):
    """torch's ``_modules`` of an adopted layer: refreshed from the layer's sublayers
    whenever the tracked structure changed (``Sequential.add``, a sublayer assigned in
    ``build``), before torch reads it."""

    __slots__ = ("_owner", "_version")

    def __reduce__(self):
        return (_ModuleView, (self._owner,))

    def __init__(self, owner):
        super().__init__()
        self._owner = owner
        self._version = -1

    def _fresh(self):
        if self._version != _structure_version[0]:
            self._version = _structure_version[0]
            entries = _module_entries(self._owner)
            dict.clear(self)
            dict.update(self, entries)
        return self

    def items(self):
        return dict.items(self._fresh())

    def values(self):
        return dict.values(self._fresh())

    def keys(self):
        return dict.keys(self._fresh())

    def __iter__(self):
        return dict.__iter__(self._fresh())

    def __len__(self):
        return dict.__len__(self._fresh())

    def __contains__(self, key):
        return dict.__contains__(self._fresh(), key)

    def __getitem__(self, key):
        return dict.__getitem__(self._fresh(), key)

    def get(self, key, default=None):
        return dict.get(self._fresh(), key, default)


def _rebuild_var_dict(items, variables):
    out = _VarDict()
    dict.update(out, items)
    out._vars = variables
    return out


# ------------------------------------------------------------------ the Module view
def _var_names(layer):
    """{id(variable): torch name} for the layer's own weights."""
    d = layer.__dict__
    names = {}
    for attr, v in d["_vars_by_attr"].items():
        names.setdefault(id(v), attr)
    used = set(names.values())
    for v in layer._trainable_vars + layer._non_trainable_vars:
        if id(v) not in names:
            base = v.name.replace("/", "_").replace(".", "_") or "variable"
            name, i = base, 1
            while name in used or name in d:
                name, i = f"{base}_{i}", i + 1
            used.add(name)
            names[id(v)] = name
    return names


def _module_entries(layer):
    """(name, module) pairs for torch's ``_modules``, in ``layer._layers`` order."""
    d = layer.__dict__
    sub = d["_layers"]
    direct, containers, raw = {}, [], []
    for attr, val in d.items():
        if attr in ("_layers", "_modules", "_parameters", "_buffers") or attr.startswith("__"):
            continue
        if isinstance(val, Layer):
            direct.setdefault(id(val), []).append(attr)
        elif isinstance(val, _Module):
            raw.append((attr, val))
        elif type(val) in (list, tuple) and val and all(isinstance(x, Layer) for x in val):
            containers.append((attr, val))
        elif type(val) is dict and val and all(
                isinstance(k, str) and "." not in k and isinstance(x, Layer)
                for k, x in val.items()):
            containers.append((attr, val))
    in_container = {}
    for attr, val in containers:
        for x in (val.values() if isinstance(val, dict) else val):
            in_container.setdefault(id(x), (attr, val))
    out, done = [], set()
    for i, child in enumerate(sub):
        if child is layer:
            continue
        if id(child) in direct:
            out.extend((attr, child) for attr in direct[id(child)])
        elif id(child) in in_container:
            attr, val = in_container[id(child)]
            if attr in done:
                continue
            done.add(attr)
            # flat names (blocks_0, heads_key): torch's accessors (functional_call,
            # export) walk paths with getattr, and `model.blocks` is the user's list
            keys = val.keys() if isinstance(val, dict) else range(len(val))
            out.extend((f"{attr}_{k}", val[k]) for k in keys)
        else:
            out.append((str(i), child))
    out.extend(raw)
    if d.get("_framework") == "torch":
        for _, child in out:
            if isinstance(child, Layer) and not _adopted(type(child)):
                child._move_to("torch")
    return [(name, child) for name, child in out if isinstance(child, _Module)]


def sync(layer):
    """Rebuild torch's ``_parameters`` / ``_buffers`` / ``_modules`` of one adopted layer
    from its variables and sublayers (structure changes only: never per call)."""
    d = layer.__dict__
    params, buffers = _VarDict(), _VarDict()
    if type(layer)._uk_torch_own_vars and d.get("_framework") == "torch":
        names = _var_names(layer)
        for v in layer._trainable_vars:
            if isinstance(v._value, torch.Tensor):
                n = names[id(v)]
                dict.__setitem__(params, n, v._value)
                params._vars[n] = v
        for v in layer._non_trainable_vars:
            if isinstance(v._value, torch.Tensor):
                n = names[id(v)]
                dict.__setitem__(buffers, n, v._value)
                buffers._vars[n] = v
    d["_parameters"] = params
    d["_buffers"] = buffers
    modules = d.get("_modules")
    if type(modules) is not _ModuleView or modules._owner is not layer:
        d["_modules"] = _ModuleView(layer)
    else:
        modules._version = -1


def _adopted(cls):
    """Whether ``cls`` is a Module class made here, or a subclass of one made by a torch
    wrapper that swaps classes too (FSDP2's ``fully_shard``: ``FSDP<name>(FSDPModule,
    <our class>)``); such a class is a Module already and is never wrapped again."""
    return getattr(cls, "_uk_torch_base", None) is not None


def torch_class(cls):
    """The cached ``torch.nn.Module`` subclass of layer class ``cls`` (``cls`` itself
    when it is one already)."""
    if _adopted(cls):
        return cls
    try:
        return _classes[cls]
    except KeyError:
        pass
    ns = dict(_OVERRIDES)

    def __init__(self, *args, **kwargs):
        # `type(layer)(...)` on a layer living on torch: a new layer of the same class
        _Module.__init__(self)
        cls.__init__(self, *args, **kwargs)

    ns["__init__"] = __init__   # (from_config, clone_model): a Module not on torch yet
    ns.update({
        "__module__": cls.__module__,
        "__qualname__": cls.__qualname__,
        "__doc__": cls.__doc__,
        "_uk_torch_base": cls,
        "_uk_call": cls.__call__,
        "_uk_setattr": cls.__setattr__,
        "_uk_track_variable": cls._track_variable,
        "_uk_clone_tracked": cls._clone_tracked,
    })
    new = type(cls.__name__, (cls, _Module), ns)
    _classes[cls] = new
    return new


def _new_instance(base):
    """Unpickling (and deepcopy) of a layer living on torch: an empty instance of the
    Module subclass of ``base``; its ``__dict__`` comes next (``Module.__setstate__``)."""
    return object.__new__(torch_class(base))


def _reduce_ex(self, protocol):
    # The subclass is not importable by name: pickle names the original class.
    return (_new_instance, (type(self)._uk_torch_base,), dict(self.__dict__))


def adopt(root):
    """Make every layer of ``root``'s tree a torch.nn.Module (its variables are on
    torch already) and fill torch's dicts."""
    layers = list(root._iter_layers())
    for layer in layers:
        cls = type(layer)
        if not _adopted(cls):
            layer.__class__ = torch_class(cls)
            _Module.__init__(layer)
    for layer in layers:
        sync(layer)


def on_move(root, framework):
    """Called by ``Layer._move_to`` after a move to or away from torch."""
    if framework == "torch":
        adopt(root)
        return
    for layer in root._iter_layers():
        if _adopted(type(layer)):
            sync(layer)  # empties the parameter / buffer views


def is_module(obj):
    return isinstance(obj, _Module)


# ------------------------------------------------------------------ overrides
def _call(self, *args, **kwargs):
    # torch's Module.__call__ only when a hook is registered (on this layer: flagged by
    # the register_*hook overrides below; or globally), else the Keras call directly:
    # one extra frame, two dict reads and four truth tests per layer call.
    d = self.__dict__
    if (d.get("_uk_hooked") or _tmod._global_forward_pre_hooks or _tmod._global_forward_hooks
            or _tmod._global_backward_hooks or _tmod._global_backward_pre_hooks):
        return _module_call(self, *args, **kwargs)
    mode = d.get("_uk_torch_training")
    if mode is not None and kwargs.get("training") is None and _context.current().training is None:
        kwargs["training"] = mode
    return self._uk_call(*args, **kwargs)


def _hook_registrar(method):
    def register(self, *args, **kwargs):
        self.__dict__["_uk_hooked"] = True
        return method(self, *args, **kwargs)

    register.__name__ = method.__name__
    register.__doc__ = method.__doc__
    return register


_HOOK_REGISTRARS = ("register_forward_hook", "register_forward_pre_hook",
                    "register_full_backward_hook", "register_full_backward_pre_hook",
                    "register_backward_hook")


def _getattr(self, name):
    # Layer.__getattr__ (variables: raw inside a call, the Variable outside), then
    # torch's registries (``getattr(model, "0")``, as torch's accessors walk paths).
    d = self.__dict__
    try:
        v = d["_vars_by_attr"][name]
    except KeyError:
        for key in ("_modules", "_parameters", "_buffers"):
            registry = d.get(key)
            if registry is not None and name in registry:
                return registry[name]
        raise AttributeError(
            f"'{type(self).__name__}' object has no attribute '{name}'") from None
    if _context.current().depth:
        return self._read_in_call(v)
    if type(self).__dict__.get("_uk_torch_base") is None:
        # a class a torch wrapper made over ours (FSDP2): that wrapper reads and swaps
        # the module's parameters by attribute, as torch's own modules expose them
        params = d["_parameters"]
        if name in params:
            return dict.__getitem__(params, name)
    return v


def _forward(self, *args, **kwargs):
    """The Keras call (``Layer.__call__``); ``train()`` / ``eval()`` decide
    ``training`` where neither the caller nor an enclosing call does."""
    mode = self.__dict__.get("_uk_torch_training")
    if mode is not None and kwargs.get("training") is None and _context.current().training is None:
        kwargs["training"] = mode
    return self._uk_call(*args, **kwargs)


def _train(self, mode=True):
    if not isinstance(mode, bool):
        raise ValueError(f"{type(self).__name__} '{self.name}'.train: mode must be a bool; "
                         f"received {mode!r}")
    self.__dict__["_uk_torch_training"] = mode
    return _Module.train(self, mode)


def _setattr(self, name, value):
    if isinstance(value, torch.nn.Parameter):
        params = self.__dict__["_parameters"]
        if name in params._vars:
            # torch's meaning: a Parameter assigned to a parameter's name replaces it
            # (FSDP2 swaps sharded / unsharded parameters so); the Variable follows
            params[name] = value
            return
    self._uk_setattr(name, value)
    if isinstance(value, (Layer, Variable, list, tuple, dict, _Module)):
        if (isinstance(value, Layer) and self.__dict__.get("_framework") == "torch"
                and value.__dict__.get("_framework") != "torch"):
            value._move_to("torch")
        sync(self)


def _track_variable(self, v):
    self._uk_track_variable(v)
    sync(self)


def _clone_tracked(self, memo, new_vars):
    known = id(self) in memo
    new = self._uk_clone_tracked(memo, new_vars)
    if not known:
        sync(new)
    return new


def _apply(self, fn, recurse=True):
    out = _Module._apply(self, fn, recurse)
    # .to(dtype) / .double() / .half(): variables and the dtype policy follow
    changed = None
    for view in (self._parameters, self._buffers):
        for key, v in view._vars.items():
            t = dict.__getitem__(view, key)
            v._value = t
            dt = standardize_dtype(t.dtype)
            if dt != v.dtype:
                v.dtype = dt
                if t.is_floating_point():
                    changed = dt
    if changed is None:
        from ..xp import native_dtype

        probe = fn(torch.empty(0, dtype=native_dtype("torch", self.compute_dtype)))
        if isinstance(probe, torch.Tensor) and probe.is_floating_point():
            dt = standardize_dtype(probe.dtype)
            if dt != self.compute_dtype:
                changed = dt
    if changed is not None:
        from .. import dtype_policies
        from ..xp.dtypes import FLOATS

        self.dtype_policy = dtype_policies.get(changed)
        # the model's float Inputs too: Sequential/Functional cast inputs to their dtype
        for inp in (self, self.__dict__.get("_input_layer")):
            d = getattr(inp, "__dict__", {})
            if d.get("_dtype_name") in FLOATS:
                d["_dtype_name"] = changed
                tensor = d.get("_fixed_output")  # an InputLayer's tensor (Layer.output)
                if tensor is not None:
                    tensor.dtype = changed
    return out


def _registry_getter(registry, torch_method):
    # torch's get_parameter / get_buffer read the attribute, which is the Keras
    # Variable outside a call: read torch's registry instead.
    def get(self, target):
        module_path, _, name = target.rpartition(".")
        mod = self.get_submodule(module_path)
        found = mod.__dict__.get(registry)
        if found is not None and name in found and _adopted(type(mod)):
            return found[name]
        return torch_method(mod, name)

    get.__name__ = torch_method.__name__
    return get


_OVERRIDES = {
    "__reduce_ex__": _reduce_ex,
    **{name: _hook_registrar(getattr(_Module, name)) for name in _HOOK_REGISTRARS},
    "get_parameter": _registry_getter("_parameters", _Module.get_parameter),
    "get_buffer": _registry_getter("_buffers", _Module.get_buffer),
    "__call__": _call,
    "__getattr__": _getattr,
    "forward": _forward,
    "train": _train,
    "__setattr__": _setattr,
    "_track_variable": _track_variable,
    "_clone_tracked": _clone_tracked,
    "_apply": _apply,
}
# Layer defines torch-style methods that first move the layer to torch; on the Module
# subclass torch's own win.
def _on_torch(name, method):
    # A Module whose layer moved to another framework (called with jax arrays) moves
    # back to torch when torch's API is used on it, as a layer never on torch does.
    def on_torch(self, *args, **kwargs):
        if self.__dict__.get("_framework") != "torch":
            self._move_to("torch")
        return method(self, *args, **kwargs)

    on_torch.__name__ = name
    on_torch.__doc__ = method.__doc__
    return on_torch


for _name in Layer._TORCH_MODULE_API:
    _OVERRIDES[_name] = _on_torch(_name, _OVERRIDES.get(_name) or getattr(_Module, _name))


# ------------------------------------------------------------------ TorchModuleWrapper
def check_initialized(module):
    lazy = torch.nn.modules.lazy.LazyModuleMixin
    if isinstance(module, lazy) and module.has_uninitialized_params():
        raise ValueError("TorchModuleWrapper: LazyModules are not supported unless they are "
                         "already initialized (call the module once first); received an "
                         f"uninitialized {type(module).__name__}")


def track_module_parameters(wrapper, module):
    """One Variable per ``module.named_parameters()`` entry, holding the Parameter
    itself (no copy). Returns the parameter names, in the variables' order."""
    entries = []
    for pname, param in module.named_parameters():
        v = Variable(param, trainable=param.requires_grad, name=pname)
        v.path = f"{wrapper.name}/{pname}"
        wrapper._track_variable(v)
        entries.append((pname, v, param))
    return tuple(entries)


def run_wrapped(wrapper, args, kwargs, training):
    module = wrapper.module
    if training is True:
        module.train()
    elif training is False:
        module.eval()
    entries = wrapper.__dict__["_module_entries"]
    for _, v, param in entries:
        if v._value is not param:
            # stateless_call / torch.func transforms put other tensors in the variables
            return torch.func.functional_call(module, {n: v._value for n, v, _ in entries},
                                              args, kwargs)
    return module(*args, **kwargs)


def module_state(module):
    return {k: v.detach().cpu().numpy() for k, v in module.state_dict().items()}


def check_module_state(wrapper, arrays):
    expected = wrapper.module.state_dict()
    missing = sorted(set(expected) - set(arrays))
    unexpected = sorted(set(arrays) - set(expected))
    if missing or unexpected:
        raise ValueError(f"TorchModuleWrapper '{wrapper.name}': the stored tensors do not "
                         f"match the module's state_dict: missing {missing}, unexpected "
                         f"{unexpected}")
    for k, ref in expected.items():
        shape = tuple(arrays[k].shape)
        if shape != tuple(ref.shape):
            raise ValueError(f"TorchModuleWrapper '{wrapper.name}': tensor {k!r} has shape "
                             f"{shape} in the file, the module expects {tuple(ref.shape)}")


def load_module_state(wrapper, arrays):
    module = wrapper.module
    state = {k: torch.as_tensor(arrays[k]).to(device=ref.device, dtype=ref.dtype)
             for k, ref in module.state_dict().items()}
    module.load_state_dict(state)
