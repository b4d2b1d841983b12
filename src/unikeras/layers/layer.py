"""The Layer base class, Keras 3-compatible and written once.

How layer code sees its variables: inside ``call`` (any depth of ``Layer.__call__``),
``self.kernel`` is the raw framework array, so ``x @ self.kernel`` is a native op with
no wrapper cost; outside a call it is the ``Variable`` (``layer.kernel.assign(...)``).
Inside ``call``, ``self.moving_mean = new_value`` assigns the variable (recorded, not
applied, in a stateless scope); ``self.assign(variable_or_name, value)`` does the same.

A layer's variables move to the framework of the arrays it is called with (see
``unikeras.state.variables``). NumPy data, lists and scalars run on the default
framework.
"""

from __future__ import annotations

import inspect
import sys

import numpy as np

from .._nest import map_nested
from .._remat import get_current_remat_mode, layer_call as remat_layer_call
from .. import dtype_policies
from ..state import SeedGenerator, Variable, swap_values
from ..state.tree import Trackable, _structure_version, bump_structure_version, restore_deferred
from ..state import variables as _hooks
from ..state.variables import scoped_path as _scoped_path, unique_name
from ..utils.naming import to_snake_case as _snake
from ..xp import (asarray, default_framework, framework_of, global_default_framework,
                  namespace, native_dtype, standardize_dtype)
from ..xp._registry import SCOPE as _SCOPE, scoped_framework
from ..xp.dtypes import FLOATS
from . import _context
from ._varread import KIND as _READ_KIND, read_kind as _read_kind
from .input_spec import InputSpec, check_input
from . import operation as _operation
from .operation import Operation, _default

_getframe = sys._getframe
_call_params_cache: dict[type, tuple] = {}
_INIT_KWARGS = {"input_shape", "batch_input_shape", "batch_size", "input_dim", "weights",
                "activity_regularizer", "autocast"}


def _call_params(cls):
    try:
        return _call_params_cache[cls]
    except KeyError:
        params = inspect.signature(cls.call).parameters
        res = ("training" in params, "mask" in params)
        _call_params_cache[cls] = res
        return res


_positional_cache: dict[type, tuple] = {}


def _leading_params(cls):
    """The names of ``cls.call``'s positional-or-keyword parameters after ``self``, up to
    the first one that is keyword-only or variadic."""
    try:
        return _positional_cache[cls]
    except KeyError:
        names = []
        for p in list(inspect.signature(cls.call).parameters.values())[1:]:
            if p.kind is not inspect.Parameter.POSITIONAL_OR_KEYWORD:
                break
            names.append(p.name)
        _positional_cache[cls] = tuple(names)
        return _positional_cache[cls]


def _kwargs_to_args(cls, kwargs):
    """A call given only keyword arguments (``mha(query=q, value=v)``,
    ``dense(inputs=x)``): the leading ones of ``call``'s signature become positional, so
    building, framework detection and conversion see them as Keras does."""
    args = []
    for name in _leading_params(cls):
        if name not in kwargs:
            break
        args.append(kwargs.pop(name))
    return tuple(args), kwargs


def _first_array(obj):
    """The first array leaf of a (nested) call argument, or None."""
    if isinstance(obj, (list, tuple)):
        for o in obj:
            a = _first_array(o)
            if a is not None:
                return a
        return None
    if isinstance(obj, dict):
        for o in obj.values():
            a = _first_array(o)
            if a is not None:
                return a
        return None
    return obj if framework_of(obj) is not None else None


def _shape_of(obj):
    if isinstance(obj, (list, tuple)) and not _looks_like_shape(obj):
        return type(obj)(_shape_of(o) for o in obj)
    if isinstance(obj, dict):
        return {k: _shape_of(v) for k, v in obj.items()}
    shape = getattr(obj, "shape", None)
    if shape is None:
        return None
    return tuple(None if d is None else int(d) for d in shape)


def _looks_like_shape(obj):
    return all(d is None or isinstance(d, (int, np.integer)) for d in obj)


class _symbolic:
    """``layers.symbolic``'s entry points, loaded on the first call (that module imports
    this one); a function-level import would cost an import-system lookup per call."""

    any_symbolic = None
    symbolic_call = None


def _load_symbolic():
    from .symbolic import any_symbolic, symbolic_call

    _symbolic.any_symbolic, _symbolic.symbolic_call = any_symbolic, symbolic_call
    return _symbolic


class Layer(Operation, Trackable):
    """Keras 3's ``Layer``. Subclasses define ``build(input_shape)`` and ``call(...)``.
    An ``Operation`` (layers/operation.py: ``symbolic_call``, ``compute_output_spec``,
    ``input`` / ``output``, ``from_config``)."""

    #: a layer that makes a mask sets this (Sequential/Functional route masks then); a
    #: class default, so the per-call ``getattr`` never reaches ``__getattr__``
    _produces_mask = False
    #: strings given to the call stay NumPy host data (the data layers, models whose
    #: first layer takes strings) instead of being refused
    _accepts_strings = False

    def __init__(self, *, activity_regularizer=None, trainable=True, dtype=None,
                 autocast=True, name=None, **kwargs):
        if kwargs.pop("quantization_config", None) is not None:
            raise ValueError(f"{type(self).__name__}: a quantization_config is supported by "
                             "unikeras' Dense and Embedding only")
        unknown = set(kwargs) - _INIT_KWARGS
        if unknown:
            raise TypeError(
                f"Unrecognized keyword arguments passed to {type(self).__name__}: "
                f"{sorted(unknown)}")
        d = self.__dict__
        d["_vars_by_attr"] = {}
        d["_trainable_vars"] = []
        d["_non_trainable_vars"] = []
        d["_layers"] = []
        d["_seed_generators"] = []
        d["_call_losses"] = []
        d["_framework"] = None
        d["_remat_mode"] = get_current_remat_mode()  # keras.RematScope at creation
        self.name = name or unique_name(_snake(type(self).__name__))
        self._trainable = bool(trainable)
        policy = dtype_policies.get(dtype)
        if isinstance(policy, dtype_policies.DTypePolicyMap):
            policy = policy[self.name]  # Keras looks the layer's path up in the map
        self.dtype_policy = policy
        self.autocast = autocast
        self.built = False
        self.input_spec = None
        self.supports_masking = False
        from .. import regularizers

        self.activity_regularizer = regularizers.get(activity_regularizer)
        input_shape = kwargs.get("input_shape")
        if input_shape is None and kwargs.get("input_dim") is not None:
            input_shape = (kwargs["input_dim"],)
        batch_input_shape = kwargs.get("batch_input_shape")
        if batch_input_shape is None and input_shape is not None:
            batch_input_shape = (kwargs.get("batch_size"),) + tuple(input_shape)
        self._batch_input_shape = None if batch_input_shape is None else tuple(batch_input_shape)
        self._initial_weights = kwargs.get("weights")
        if default_framework() == "torch":
            # torch is the default (UNIKERAS_BACKEND=torch, or a torch framework_scope
            # is open): every layer is a
            # torch.nn.Module from the start, as under Keras 3's torch backend, so a
            # model assigned into a user's nn.Module registers there at once. (No
            # variables yet: those made later follow _framework.)
            d["_framework"] = "torch"
            _state_shim_layers("torch").adopt(self)

    # ------------------------------------------------------------------ attributes
    def __setattr__(self, name, value):
        d = self.__dict__
        if isinstance(value, Variable):
            d.pop(name, None)
            d["_vars_by_attr"][name] = value
            self._track_variable(value)
            return
        by_attr = d.get("_vars_by_attr")
        if by_attr and name in by_attr:
            if _context.current().depth and framework_of(value) is not None:
                by_attr[name].assign(value)
                return
            del by_attr[name]
        if isinstance(value, Layer):
            if value is not self and value not in d["_layers"]:
                d["_layers"].append(value)
                bump_structure_version()
        elif isinstance(value, SeedGenerator):
            if value not in d["_seed_generators"]:
                d["_seed_generators"].append(value)
                bump_structure_version()
        elif isinstance(value, (list, tuple, dict)) and name not in ("_layers", "_seed_generators"):
            self._track_container(value)
        elif "torch" in sys.modules and _state_shim_layers("torch").is_module(value):
            # Keras 3 (torch backend): a raw torch.nn.Module assigned to a layer is
            # wrapped in a TorchModuleWrapper, so its parameters are Keras weights.
            from .torch_module_wrapper import TorchModuleWrapper

            value = TorchModuleWrapper(value)
            if value not in d["_layers"]:
                d["_layers"].append(value)
                bump_structure_version()
        object.__setattr__(self, name, value)

    def _track_container(self, value):
        items = value.values() if isinstance(value, dict) else value
        for item in items:
            if isinstance(item, Layer) and item is not self and item not in self._layers:
                self._layers.append(item)
                bump_structure_version()
            elif isinstance(item, Variable):
                self._track_variable(item)
            elif isinstance(item, (list, tuple, dict)):
                self._track_container(item)

    def __getattr__(self, name):
        # Only reached when normal lookup fails: variables live in _vars_by_attr.
        try:
            v = self.__dict__["_vars_by_attr"][name]
        except KeyError:
            if name in ("input", "output"):  # the property found no call to report
                raise AttributeError(
                    f"The layer {self.__dict__.get('name', type(self).__name__)} has never "
                    f"been called and thus has no defined {name}.") from None
            raise AttributeError(
                f"'{type(self).__name__}' object has no attribute '{name}'") from None
        if _context.current().depth:
            return self._read_in_call(v)
        return v

    def _read_in_call(self, v: Variable):
        """A variable read inside ``call`` (by the frame two levels up: the code that
        wrote ``self.x``, through ``__getattr__``): the raw array,
        unless the caller's next instruction uses the Keras variable API on it
        (``self.total.assign_add(...)``, ``self.v.value``: the Variable) or returns it
        (a snapshot); layers/_varread.py, decoded once per code location. Also used by
        the torch.nn.Module subclass's ``__getattr__`` (layers/torch.py)."""
        tracing = _hooks.bytecode_tracing
        if tracing is not None and tracing():
            return self._read(v)  # torch.compile: frames are not traceable (no graph break)
        caller = _getframe(2)
        key = (id(caller.f_code), caller.f_lasti)
        try:
            kind = _READ_KIND[key]
        except KeyError:
            kind = _read_kind(caller.f_code, caller.f_lasti)
        if kind == 0:
            return self._read(v)
        if kind == 1:
            return v
        value = self._read(v)
        return v._snapshot() if value is v._value else value

    def _call_reads(self, *names):
        """``self.<name>`` for each name as a read inside ``call`` gives it (the raw array;
        an attribute that is not a variable, e.g. ``bias=None``, as it is), without the
        failed attribute lookup and the caller's frame decoding of ``__getattr__``
        (~3.5 us per read on a torch module): for the built-in layers' hot paths."""
        by_attr = self.__dict__.get("_vars_by_attr") or {}
        out = []
        for name in names:
            v = by_attr.get(name)
            out.append(getattr(self, name) if v is None else self._read(v))
        return out

    def _read(self, v: Variable):
        value = v._value
        if self.autocast and v.autocast and v.dtype != self.compute_dtype and v.dtype in FLOATS:
            fw = framework_of(value)
            value = namespace(value).astype(value, native_dtype(fw, self.compute_dtype))
        return value

    def __delattr__(self, name):
        by_attr = self.__dict__.get("_vars_by_attr")
        if by_attr and name in by_attr:
            del by_attr[name]
            return
        object.__delattr__(self, name)

    def _track_variable(self, v: Variable):
        for lst in (self._trainable_vars, self._non_trainable_vars):
            if any(w is v for w in lst):
                return
        (self._trainable_vars if v.trainable else self._non_trainable_vars).append(v)
        fw = self.__dict__.get("_framework")
        if fw is not None and v.framework != fw:
            v._move_to(fw)
        bump_structure_version()

    # ------------------------------------------------------------------ dtypes
    @property
    def dtype(self):
        """The variable dtype of the layer's policy."""
        return self.dtype_policy.variable_dtype

    @property
    def variable_dtype(self):
        return self.dtype_policy.variable_dtype

    @property
    def compute_dtype(self):
        return self.dtype_policy.compute_dtype

    # ------------------------------------------------------------------ weights
    def add_weight(self, shape=None, initializer=None, dtype=None, trainable=True,
                   autocast=True, regularizer=None, constraint=None, aggregation="none",
                   name=None):
        """Create and track a variable (Keras 3 signature)."""
        from .. import constraints, initializers, regularizers

        shape = () if shape is None else tuple(int(d) for d in shape)
        dtype = standardize_dtype(dtype or self.variable_dtype)
        if initializer is None:
            initializer = "glorot_uniform" if dtype in FLOATS else "zeros"
        init = initializers.get(initializer)
        name = name or unique_name("variable")
        v = Variable(init, shape=shape, dtype=dtype, trainable=trainable, autocast=autocast,
                     aggregation=aggregation, name=name,
                     constraint=constraints.get(constraint),
                     regularizer=regularizers.get(regularizer))
        v.path = _scoped_path(f"{self.name}/{name}")
        self._track_variable(v)
        return v

    def _own_variables(self):
        return self._trainable_vars + self._non_trainable_vars + [
            sg.state for sg in self._seed_generators]

    def _children(self):
        return self._layers

    def _own_weights(self):
        return self._trainable_vars + self._non_trainable_vars

    @property
    def variables(self):
        """All state: weights and seed-generator states, sublayers included."""
        return list(self._tree_variables())

    @property
    def weights(self):
        out, seen = [], set()
        self._collect_weights(out, seen)
        return out

    def _collect_weights(self, out, seen):
        for v in self._own_weights():
            if id(v) not in seen:
                seen.add(id(v))
                out.append(v)
        for layer in self._layers:
            layer._collect_weights(out, seen)

    @property
    def trainable_weights(self):
        if not self.trainable:
            return []
        return [v for v in self.weights if v.trainable]

    @property
    def non_trainable_weights(self):
        if not self.trainable:
            return self.weights
        return [v for v in self.weights if not v.trainable]

    @property
    def trainable_variables(self):
        if not self.trainable:
            return []
        return [v for v in self.variables if v.trainable]

    @property
    def non_trainable_variables(self):
        if not self.trainable:
            return self.variables
        return [v for v in self.variables if not v.trainable]

    @property
    def trainable(self):
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        value = bool(value)
        self._trainable = value
        for v in self._trainable_vars:
            v.trainable = value
            mod = _state_shim(v.framework)
            if mod is not None and hasattr(mod, "set_trainable"):
                mod.set_trainable(v._value, value)
        for layer in self._layers:
            layer.trainable = value

    def get_weights(self):
        """The weights as NumPy arrays, in Keras order (copies: a snapshot that later
        in-place updates on torch/tf, which share memory with ``Variable.numpy()``,
        cannot change)."""
        return [np.array(v.numpy(), copy=True) for v in self.weights]

    def set_weights(self, weights):
        """Set the weights from a list of arrays in Keras order (``get_weights()``)."""
        params = self.weights
        if len(params) != len(weights):
            raise ValueError(
                f'Layer "{self.name}" expected {len(params)} weights, but received '
                f"{len(weights)} weights ({[tuple(np.shape(w)) for w in weights]}).")
        for v, w in zip(params, weights):
            w = np.asarray(w)
            if tuple(w.shape) != tuple(v.shape):
                raise ValueError(
                    f'Layer "{self.name}" weight shape mismatch for {v.path}: expected '
                    f"{v.shape}, received {tuple(w.shape)}")
            v.assign(w)

    def count_params(self):
        if not self.built:
            raise ValueError(f'Layer "{self.name}" is not built yet: call it or build it '
                             "before count_params().")
        return int(sum(int(np.prod(v.shape)) for v in self.weights))

    # ------------------------------------------------------------------ building
    def build(self, input_shape=None):
        self.built = True

    def _maybe_build(self, args):
        if self.built:
            return
        shape = _shape_of(args[0]) if args else None
        self.build(shape)
        self.built = True
        if self._initial_weights is not None:
            self.set_weights(self._initial_weights)
            self._initial_weights = None
        restore_deferred(self)

    # ------------------------------------------------------------------ calling
    def call(self, *args, **kwargs):
        raise NotImplementedError(f"Layer {type(self).__name__} does not implement call()")

    def __call__(self, *args, **kwargs):
        if not args and kwargs:
            args, kwargs = _kwargs_to_args(type(self), kwargs)
        any_symbolic = _symbolic.any_symbolic or _load_symbolic().any_symbolic
        if args and any_symbolic(args[0]) or any_symbolic(args[1:]) or any_symbolic(kwargs):
            return _symbolic.symbolic_call(self, args, kwargs)
        ctx = _context.current()
        outermost = ctx.depth == 0
        first = _first_array(args[0]) if args else _first_array(kwargs)
        fw = framework_of(first) if first is not None else None
        if fw is None or fw == "numpy":
            # Host data (NumPy, lists, pandas) and array-less calls: the framework of the
            # enclosing scope (the call in progress, a fit step, framework_scope), else
            # the one this layer lives on, else the default framework.
            fw = _SCOPE.fw or self._host_framework()
            if fw != "numpy" or first is None:
                args = map_nested(lambda a: _to_fw(a, fw, self), args)
        # The framework of the call is a scope: arrays created inside without array
        # inputs (ops.arange, ops.zeros, random draws, initializers) land on it.
        prev_scope = _SCOPE.fw
        _SCOPE.fw = fw
        try:
            if not self.built:
                self._maybe_build(args)
            if self._framework != fw:
                self._move_to(fw)
            if self.input_spec is not None:
                self._check_inputs(args[0] if args else None)
            has_training, _ = _call_params(type(self))
            saved_training = ctx.training
            if has_training:
                training = kwargs.get("training")
                if training is None:
                    if ctx.training is not None:
                        kwargs["training"] = ctx.training
                else:
                    ctx.training = training
            elif "training" in kwargs:
                ctx.training = kwargs.pop("training")
            if self.autocast and args:
                args = (self._autocast_inputs(args[0]),) + tuple(args[1:])
            if outermost:
                self._clear_call_losses()
            ctx.depth += 1
            try:
                if self.__dict__.get("_remat_mode") is None:
                    out = self.call(*args, **kwargs)
                else:
                    out = remat_layer_call(self, self.call, args, kwargs)
            finally:
                ctx.depth -= 1
                ctx.training = saved_training
        finally:
            _SCOPE.fw = prev_scope
        if self.activity_regularizer is not None:
            for o in _flat_arrays(out):
                self._call_losses.append(self.activity_regularizer(o) / o.shape[0])
        return out

    def _autocast_inputs(self, x):
        cd = self.compute_dtype
        if isinstance(x, (list, tuple, dict)):
            return map_nested(lambda a: _cast_float(a, cd), x)
        return _cast_float(x, cd)

    def _check_inputs(self, x):
        specs = self.input_spec
        if isinstance(specs, InputSpec):
            if isinstance(x, (list, tuple)) and len(x) and hasattr(x[0], "shape") and specs.ndim is not None and not hasattr(x, "shape"):
                return
            check_input(self, specs, x)
        elif isinstance(specs, (list, tuple)) and isinstance(x, (list, tuple)):
            for i, (s, xi) in enumerate(zip(specs, x)):
                check_input(self, s, xi, i)

    def _move_to(self, framework: str) -> None:
        """Move every variable this layer reaches to ``framework`` (on torch, the layers
        become torch.nn.Modules: layers/torch.py). A layer that runs on one framework
        only (``_only_framework``: TFSMLayer, TorchModuleWrapper) refuses, naming it."""
        layers = list(self._iter_layers())
        for layer in layers:
            only = layer.__dict__.get("_only_framework")
            if only is not None and only != framework:
                raise ValueError(
                    f"{type(layer).__name__} {layer.name!r} runs on {only} only "
                    f"({layer._only_framework_reason}); it cannot run on {framework}. "
                    f"Pass {only} arrays (NumPy data runs on {only} with "
                    f"UNIKERAS_BACKEND={only}).")
        for v in self._tree_variables():
            v._move_to(framework)
        for layer in layers:
            layer.__dict__["_framework"] = framework
        if framework == "torch" or type(self)._uk_torch_base is not None:
            _state_shim_layers("torch").on_move(self, framework)

    def _tree_framework(self):
        return self._framework

    def _host_framework(self):
        """Where host data given to this layer/model runs outside any scope: the
        framework it lives on (once it has run on a trainable framework), else the
        default framework. The one rule for ``__call__``, ``predict``, ``evaluate`` and
        ``fit``; inside ``framework_scope`` (or a call) the scope's framework wins."""
        if "tensorflow" in sys.modules:
            scoped = scoped_framework()  # an open tf.distribute strategy scope
            if scoped is not None:
                return scoped
        fw = self._framework
        return fw if fw is not None and fw != "numpy" else global_default_framework()

    def _accepts_mask(self):
        return _call_params(type(self))[1]

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        from ..utils.serialization import _registry

        _registry.setdefault(cls.__name__, cls)

    def _iter_layers(self):
        seen, stack = set(), [self]
        while stack:
            layer = stack.pop()
            if id(layer) in seen:
                continue
            seen.add(id(layer))
            yield layer
            stack.extend(layer._layers)

    @property
    def framework(self):
        """The framework this layer's variables live on now (None until first use)."""
        return self._framework

    def assign(self, variable, value):
        """Assign ``value`` to ``variable`` (a Variable or an attribute name)."""
        if isinstance(variable, str):
            variable = self.__dict__["_vars_by_attr"][variable]
        return variable.assign(value)

    def get_variable(self, name):
        """The Variable stored under attribute ``name`` (also inside call)."""
        return self.__dict__["_vars_by_attr"][name]

    # ------------------------------------------------------------------ losses
    @property
    def quantization_mode(self):
        """Keras 3's ``Layer.quantization_mode``: the dtype policy's (None unless the
        layer was quantized, layers/quantize.py)."""
        return self.dtype_policy.quantization_mode

    def quantize(self, mode=None, type_check=True, config=None):
        """Keras 3's ``Layer.quantize``: implemented by the layers that can be quantized
        (Dense, layers/quantize.py); ``Model.quantize`` skips the others."""
        raise NotImplementedError(f"Layer {type(self).__name__} does not have a `quantize()` "
                                  "method implemented.")

    def add_loss(self, loss):
        self._call_losses.append(loss)

    def _clear_call_losses(self):
        for layer in self._layer_walk()[1]:
            layer._call_losses.clear()

    def _layer_walk(self):
        """``(structure version, the layers, the regularized weights)``, walked once per
        structure version (read every training step by ``compute_loss`` and the
        outermost call)."""
        plan = self.__dict__.get("_losses_plan")
        if plan is None or plan[0] != _structure_version[0]:
            layers = list(self._iter_layers())
            regularized = [v for layer in layers for v in layer._own_weights()
                           if v.regularizer is not None]
            plan = (_structure_version[0], layers, regularized)
            self.__dict__["_losses_plan"] = plan
        return plan

    @property
    def losses(self):
        """Losses added during the last call (activity regularization, ``add_loss``) and
        the weight-regularization penalties, sublayers included."""
        plan = self._layer_walk()
        out = [loss for layer in plan[1] for loss in layer._call_losses]
        for v in plan[2]:
            if v.trainable:
                out.append(v.regularizer(v._raw_array()))
        return out

    # ------------------------------------------------------------------ shapes
    def compute_output_shape(self, *args, **kwargs):
        from .symbolic import KerasTensor, spec_from_shapes

        spec = self.compute_output_spec(*spec_from_shapes(args), **kwargs)
        return map_nested(lambda t: t.shape if isinstance(t, KerasTensor) else t, spec)

    def symbolic_call(self, *args, **kwargs):
        """Keras' ``Layer.symbolic_call``: the output spec; the graph node is recorded by
        ``__call__`` (on KerasTensors), not here."""
        return self.compute_output_spec(*args, **kwargs)

    def compute_mask(self, inputs, previous_mask=None):
        return previous_mask if self.supports_masking else None

    # ------------------------------------------------------------------ stateless
    def stateless_call(self, trainable_variables, non_trainable_variables, *args,
                       return_losses=False, **kwargs):
        """Keras 3's pure call: returns ``(outputs, non_trainable_variables)`` (and the
        losses with ``return_losses=True``); the layer's own variables are untouched."""
        if not self.built:
            raise ValueError(f'Layer "{self.name}" must be built before stateless_call: '
                             "call it once or call build(input_shape).")
        tv, ntv = self.trainable_variables, self.non_trainable_variables
        if len(trainable_variables) != len(tv) or len(non_trainable_variables) != len(ntv):
            raise ValueError(
                f'Layer "{self.name}".stateless_call expected {len(tv)} trainable and '
                f"{len(ntv)} non-trainable values; received {len(trainable_variables)} and "
                f"{len(non_trainable_variables)}")
        probe = _first_array(list(trainable_variables) + list(non_trainable_variables))
        fw = framework_of(probe) if probe is not None else None
        if fw is not None and fw != self._framework:
            self._move_to(fw)
        with swap_values(tv + ntv, list(trainable_variables) + list(non_trainable_variables)):
            out = self(*args, **kwargs)
            new_ntv = [v._value for v in ntv]
            losses = self.losses if return_losses else None
        if return_losses:
            return out, new_ntv, losses
        return out, new_ntv

    # ------------------------------------------------------------------ config
    @_default
    def get_config(self):
        config = super().get_config()  # the name (and a user class's automatic config)
        config.update({"trainable": self.trainable, "dtype": self.dtype_policy.name})
        if self._batch_input_shape is not None:
            config["batch_input_shape"] = self._batch_input_shape
        return config

    def get_build_config(self):
        return {"input_shape": getattr(self, "_build_shape", None)}

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"

    # ------------------------------------------------------------------ torch
    # A layer whose variables live on torch is a torch.nn.Module (layers/torch.py swaps
    # its class on the move). Before that, torch's Module methods move it to torch first.
    _uk_torch_base = None        # the original class, on the torch.nn.Module subclass
    _uk_torch_own_vars = True    # False: torch sees only the wrapped module's tensors
    _TORCH_MODULE_API = (
        "parameters", "named_parameters", "buffers", "named_buffers", "children",
        "named_children", "modules", "named_modules", "state_dict", "load_state_dict",
        "to", "cuda", "cpu", "train", "eval", "zero_grad", "requires_grad_",
        "register_forward_hook", "register_forward_pre_hook", "register_full_backward_hook",
        "register_full_backward_pre_hook", "apply", "float", "double",
        "half", "bfloat16", "get_submodule", "get_parameter", "get_buffer")

    def _as_torch_module(self):
        if self._framework != "torch" or type(self)._uk_torch_base is None:
            self._move_to("torch")
        if type(self)._uk_torch_base is None:
            raise RuntimeError(f"{type(self).__name__} '{self.name}' could not become a "
                               "torch.nn.Module")
        return self


def _torch_api(name):
    def method(self, *args, **kwargs):
        return getattr(self._as_torch_module(), name)(*args, **kwargs)

    method.__name__ = name
    method.__doc__ = (f"torch.nn.Module.{name}: moves the layer's variables to torch (the "
                      "layer becomes a torch.nn.Module), then runs torch's method.")
    return method


for _name in Layer._TORCH_MODULE_API:
    setattr(Layer, _name, _torch_api(_name))


class OperationLayer(Layer):
    """What a user's ``class MyOp(keras.Operation)`` derives from (layers/operation.py):
    a weightless layer called directly. On arrays ``__call__`` is ``call`` (no build, no
    autocast, no framework move: the op's own code works on whatever arrays it gets); on
    KerasTensors it records a graph node whose output spec comes from
    ``compute_output_spec`` (by default: ``call`` run once on zeros, as for layers)."""

    def __init__(self, name=None, **kwargs):
        kwargs.pop("dtype", None)
        super().__init__(name=name, autocast=False, **kwargs)
        self.built = True

    def __call__(self, *args, **kwargs):
        return Operation.__call__(self, *args, **kwargs)

    symbolic_call = Operation.symbolic_call  # the node is recorded here
    get_config = Operation.get_config  # Keras' Operation config: the name (+ automatic)

    def __repr__(self):
        return f"<Operation name={self.name}>"


_operation._LAYER, _operation._OPERATION_LAYER = Layer, OperationLayer


def _state_shim_layers(fw):
    from ..xp import shim

    return shim(fw, "layers")


def _state_shim(fw):
    from ..xp import shim

    return shim(fw, "state") if fw else None


def _to_fw(a, fw, layer=None):
    if framework_of(a) is None and not isinstance(a, (int, float, bool, complex, np.ndarray, list)):
        return a
    if isinstance(a, (bool, int, float, complex)) or a is None:
        return a
    if hasattr(a, "to_numpy") and not hasattr(a, "__array_namespace__"):  # pandas
        a = a.to_numpy()
    arr = np.asarray(a)
    if arr.dtype == np.float64:
        from ..xp import floatx

        arr = arr.astype(floatx())
    elif arr.dtype.kind in "USO" and arr.size and isinstance(arr.flat[0], (str, bytes)):
        if layer is not None and layer._accepts_strings:
            return arr  # strings stay host data (a model with a string Input)
        raise ValueError(f"Layer inputs must be numeric arrays; received an array of strings "
                         f"(dtype {arr.dtype}). Encode strings as numbers first (a lookup "
                         "table, or StringLookup in a tf.data pipeline).")
    return asarray(arr, framework=fw)


def _cast_float(a, dtype):
    dt = getattr(a, "dtype", None)
    if dt is None or framework_of(a) is None:
        return a
    try:
        name = standardize_dtype(dt)
    except ValueError:  # strings (the host data of a string Input) are not cast
        return a
    if name == dtype or name not in FLOATS:
        return a
    return namespace(a).astype(a, native_dtype(framework_of(a), dtype))


def _flat_arrays(out):
    if isinstance(out, (list, tuple)):
        return [a for o in out for a in _flat_arrays(o)]
    if isinstance(out, dict):
        return [a for o in out.values() for a in _flat_arrays(o)]
    return [out] if framework_of(out) is not None else []
