"""Keras 3's ``keras.layers.JaxLayer`` and ``keras.layers.FlaxLayer``: a pure JAX
function, or a Flax linen module, as a trainable layer.

Written once like every layer; everything that touches JAX or Flax is in the ``jax.py``
beside this file (loaded on first use, so ``import unikeras`` imports neither). The
layer lives and runs on JAX (its variables are JAX arrays from the start; a symbolic
build runs it on JAX zeros); a call with another framework's arrays, or NumPy data under
another default framework, is refused by ``Layer._move_to`` with an error naming it.

Semantics follow Keras 3.15 (keras/src/utils/jax_layer.py):

* ``call_fn`` takes ``inputs`` and any of ``params``, ``state``, ``rng``, ``training``
  (by those names, in any order); ``init_fn`` any of ``rng``, ``inputs``, ``training``.
  With ``state``, ``call_fn`` returns ``(outputs, new_state)`` and ``init_fn`` returns
  ``(params, state)``.
* Every array (or Python number) leaf of ``params`` becomes a trainable variable, of
  ``state`` a non-trainable one; float leaves take the layer's dtype policy, other leaves
  (configuration) are passed through as they are. ``layer.params`` / ``layer.state``
  give the structures of variables.
* ``rng``: a JAX PRNG key drawn from the layer's seed generator in training, ``None`` in
  inference (override ``_get_call_rng(training)`` for other structures; ``FlaxLayer``
  passes ``{"dropout": key}``). ``init_fn`` gets keys from the global seed.
* ``training`` is passed as a Python bool.
"""

from __future__ import annotations

import inspect

from ...state import SeedGenerator, Variable
from ...utils.serialization import (deserialize_function, keras_identity, lookup,
                                    serialize_function)
from ...xp import framework_of, shim, standardize_dtype
from ...xp.dtypes import FLOATS
from ...xp.random import draw_seed
from ..layer import Layer


def _jax():
    mod = shim("jax", "layers.jax_layer")
    if mod is None:
        raise ImportError("JaxLayer and FlaxLayer need JAX: pip install 'unikeras[jax]'")
    return mod


def _validate_signature(layer_cls, fn, fn_name, allowed, required):
    try:
        parameters = inspect.signature(fn).parameters
    except (TypeError, ValueError) as e:
        raise ValueError(f"{layer_cls}: `{fn_name}` must be a Python function; "
                         f"received {fn!r}") from e
    for name in required:
        if name not in parameters:
            raise ValueError(f"{layer_cls}: missing required argument in `{fn_name}`: "
                             f"`{name}`")
    names = []
    for p in parameters.values():
        if p.name not in allowed:
            raise ValueError(
                f"{layer_cls}: unsupported argument in `{fn_name}`: `{p.name}`, supported "
                f"arguments are `{'`, `'.join(sorted(allowed))}`")
        names.append(p.name)
    return names


def _is_shape(value):
    return isinstance(value, (tuple, list)) and all(
        d is None or isinstance(d, int) for d in value)


def _map_shapes(fn, shapes):
    if _is_shape(shapes):
        return fn(tuple(shapes))
    if isinstance(shapes, dict):
        return {k: _map_shapes(fn, v) for k, v in shapes.items()}
    if isinstance(shapes, (list, tuple)):
        return type(shapes)(_map_shapes(fn, s) for s in shapes)
    return fn(shapes)


class JaxLayer(Layer):
    """Keras 3's ``JaxLayer(call_fn, init_fn=None, params=None, state=None, seed=None,
    **kwargs)``: a layer whose forward pass is the pure JAX function ``call_fn``."""

    def __init__(self, call_fn, init_fn=None, params=None, state=None, seed=None, **kwargs):
        kwargs.pop("native_serialization_platforms", None)  # jax2tf only (TensorFlow)
        super().__init__(**kwargs)
        cls = type(self).__name__
        self.call_fn = call_fn
        self.init_fn = init_fn
        self.call_fn_arguments = _validate_signature(
            cls, call_fn, "call_fn", {"params", "state", "rng", "inputs", "training"},
            {"inputs"})
        self.call_fn_has_params = "params" in self.call_fn_arguments
        self.call_fn_has_state = "state" in self.call_fn_arguments
        self.seed_generator = SeedGenerator(seed) if "rng" in self.call_fn_arguments else None
        if init_fn is None and params is None and state is None and (
                self.call_fn_has_params or self.call_fn_has_state):
            raise ValueError(f"{cls}: `init_fn`, `params` and `state` cannot all be `None` "
                             "when `call_fn` takes a `params` or a `state` argument.")
        self.init_fn_arguments = (
            _validate_signature(cls, init_fn, "init_fn", {"rng", "inputs", "training"},
                                {"inputs"}) if init_fn is not None else None)
        # runs on JAX only: moving it (a call with another framework's arrays, or NumPy
        # data under another default framework) is refused by Layer._move_to, naming it
        self.__dict__["_framework"] = "jax"  # its variables live there from the start
        self.__dict__["_only_framework"] = "jax"
        self.__dict__["_only_framework_reason"] = "it calls a JAX function"
        self.__dict__["_params_def"] = self.__dict__["_state_def"] = None
        self.tracked_params = []
        self.tracked_state = []
        if params is not None or state is not None:
            self._set_values(params, state)
            self.built = True

    # -- variables from pytrees ---------------------------------------------------------
    def _create_variables(self, values, trainable):
        """(treedef, leaves with variables in place of array leaves, the variables)."""
        if values is None:
            return None, []
        jx = _jax()
        leaves, treedef = jx.flatten(values)
        out, variables = [], []
        for leaf in leaves:
            if not jx.is_array_leaf(leaf):
                out.append(leaf)
                continue
            src = getattr(leaf, "dtype", None)
            dtype = standardize_dtype(src if src is not None else type(leaf))
            if dtype in FLOATS:
                dtype = self.variable_dtype
            name = f"{'param' if trainable else 'state'}_{len(variables)}"
            v = Variable(jx.as_jax(leaf), dtype=dtype, trainable=trainable, name=name)
            v.path = f"{self.name}/{name}"
            self._track_variable(v)
            out.append(v)
            variables.append(v)
        return (treedef, out), variables

    def _set_values(self, params, state):
        self.__dict__["_params_def"], params_vars = self._create_variables(params, True)
        self.__dict__["_state_def"], state_vars = self._create_variables(state, False)
        self.tracked_params = params_vars
        self.tracked_state = state_vars

    @staticmethod
    def _structure(definition, read):
        """The pytree with each variable replaced by ``read(variable)``. (A pytree copy
        of the layer holds its own variables here: the definition is remapped with it.)"""
        if definition is None:
            return None
        treedef, leaves = definition
        return _jax().unflatten(
            treedef, [read(leaf) if isinstance(leaf, Variable) else leaf for leaf in leaves])

    @property
    def params(self):
        """The structure of ``params`` with variables at the array leaves."""
        return self._structure(self._params_def, lambda v: v)

    @property
    def state(self):
        """The structure of ``state`` with variables at the array leaves."""
        return self._structure(self._state_def, lambda v: v)

    # -- seeds ----------------------------------------------------------------------------
    def _get_init_seed(self):
        """One seed (a JAX key) from the global seed (``keras.utils.set_random_seed``)."""
        return _jax().to_key(draw_seed(None, "jax"))

    def _get_init_rng(self):
        return self._get_init_seed()

    def _get_call_seed(self):
        return _jax().to_key(self.seed_generator.next("jax"))

    def _get_call_rng(self, training):
        """The ``rng`` argument of ``call_fn``: a key in training, ``None`` otherwise."""
        return self._get_call_seed() if training else None

    # -- build / call -----------------------------------------------------------------------
    def build(self, input_shape):
        if self._params_def is None and self._state_def is None and (
                self.call_fn_has_params or self.call_fn_has_state):
            self._initialize_weights(input_shape)
        self.built = True

    def _initialize_weights(self, input_shape):
        jx = _jax()
        inputs = _map_shapes(lambda s: jx.ones([1 if d is None else d for d in s]), input_shape)
        if jx.in_trace(inputs):
            raise ValueError(f"{type(self).__name__} {self.name!r} cannot be built inside a "
                             "JAX transform: call it once outside (or pass params/state).")
        args = []
        for name in self.init_fn_arguments:
            if name == "rng":
                args.append(self._get_init_rng())
            elif name == "inputs":
                args.append(inputs)
            else:
                args.append(True)
        result = self.init_fn(*args)
        if self.call_fn_has_state:
            params, state = result
        else:
            params, state = result, None
        self._set_values(params, state)

    def _check_framework(self, inputs):
        jx = _jax()
        leaves, _ = jx.flatten(inputs)
        for leaf in leaves:
            fw = framework_of(leaf)
            if fw not in (None, "jax", "numpy"):
                raise ValueError(
                    f"{type(self).__name__} {self.name!r} runs JAX code (`call_fn`) and takes "
                    f"JAX arrays; received a {fw} array of shape {tuple(leaf.shape)}. Call "
                    "the model with JAX arrays (or NumPy data, which runs on JAX).")
        return jx.as_jax(inputs)

    def call(self, inputs, training=False):
        inputs = self._check_framework(inputs)
        training = bool(training)
        args = []
        for name in self.call_fn_arguments:
            if name == "params":
                args.append(self._structure(self._params_def, self._read))
            elif name == "state":
                args.append(self._structure(self._state_def, self._read))
            elif name == "rng":
                args.append(self._get_call_rng(training))
            elif name == "inputs":
                args.append(inputs)
            else:
                args.append(training)
        if not self.call_fn_has_state:
            return self.call_fn(*args)
        outputs, new_state = self.call_fn(*args)
        self._assign_state(new_state)
        return outputs

    def _assign_state(self, new_state):
        jx = _jax()
        leaves, treedef = jx.flatten(new_state)
        old_treedef, template = self._state_def or (None, [])
        if treedef != old_treedef:
            raise ValueError(
                f"{type(self).__name__} {self.name!r}: the structure of the state returned by "
                f"`call_fn` does not match the structure of the state at initialization "
                f"time: expected {old_treedef}, received {treedef}")
        for leaf, slot in zip(leaves, template):
            # unchanged leaves (Flax returns the same arrays in inference) are not
            # assigned: no work, and no lost-assignment warning under a raw jax.jit
            if isinstance(slot, Variable) and leaf is not slot._value:
                slot.assign(leaf)

    # -- config -----------------------------------------------------------------------------
    def get_config(self):
        config = super().get_config()
        config.update({
            "call_fn": serialize_function(self.call_fn),
            "init_fn": serialize_function(self.init_fn) if self.init_fn is not None else None,
        })
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        config["call_fn"] = deserialize_function(config["call_fn"], custom_objects,
                                                 what="JaxLayer call_fn")
        if config.get("init_fn") is not None:
            config["init_fn"] = deserialize_function(config["init_fn"], custom_objects,
                                                     what="JaxLayer init_fn")
        return cls(**config)


class FlaxLayer(JaxLayer):
    """Keras 3's ``FlaxLayer(module, method=None, variables=None, **kwargs)``: a
    ``flax.linen.Module`` as a layer. ``variables`` is what ``module.init`` returns;
    the "params" collection is trainable, every other collection (``batch_stats``...)
    non-trainable state, updated by ``apply`` with everything but "params" mutable.
    ``rng`` in training is ``{"dropout": key}``; init gets ``{"params", "dropout"}``."""

    def __init__(self, module, method=None, variables=None, **kwargs):
        jx = _jax()
        if not jx.is_flax_module(module):
            raise ValueError(f"FlaxLayer: `module` must be a flax.linen.Module; received "
                             f"{type(module).__name__}")
        self.__dict__["module"] = module
        self.__dict__["method"] = method
        fn = method if method is not None else module.__call__
        self.__dict__["_flax_training"] = "training" in inspect.signature(fn).parameters
        if self._flax_training:
            call_fn, init_fn = self._apply_with_training, self._init_with_training
        else:
            call_fn, init_fn = self._apply_without_training, self._init_without_training
        params, state = self._variables_to_params_and_state(variables)
        super().__init__(call_fn=call_fn, init_fn=init_fn, params=params, state=state,
                         **kwargs)
        self.__dict__["_only_framework_reason"] = "it calls a Flax module"

    def _apply_with_training(self, params, state, rng, inputs, training):
        return _jax().flax_apply(self.module, self.method,
                                 self._params_and_state_to_variables(params, state),
                                 inputs, rng, training)

    def _apply_without_training(self, params, state, rng, inputs):
        return _jax().flax_apply(self.module, self.method,
                                 self._params_and_state_to_variables(params, state),
                                 inputs, rng)

    def _init_with_training(self, rng, inputs, training):
        return self._variables_to_params_and_state(
            _jax().flax_init(self.module, self.method, rng, inputs, training))

    def _init_without_training(self, rng, inputs):
        return self._variables_to_params_and_state(
            _jax().flax_init(self.module, self.method, rng, inputs))

    @staticmethod
    def _params_and_state_to_variables(params, state):
        if params:
            return {**params, **state} if state else params
        return state or {}

    @staticmethod
    def _variables_to_params_and_state(variables):
        if variables is None:
            return None, None
        if "params" not in variables:
            return {}, variables
        if len(variables) == 1:
            return variables, {}
        return ({"params": variables["params"]},
                {k: v for k, v in variables.items() if k != "params"})

    def _get_init_rng(self):
        return {"params": self._get_init_seed(), "dropout": self._get_init_seed()}

    def _get_call_rng(self, training):
        return {"dropout": self._get_call_seed()} if training else {}

    def get_config(self):
        """The module as its class and dataclass fields (register the module class with
        ``unikeras.saving.register_keras_serializable`` to load it), the method by name
        when bound to the module, else as a function."""
        import dataclasses

        config = Layer.get_config(self)
        module = self.module
        fields = {f.name: getattr(module, f.name) for f in dataclasses.fields(module)
                  if f.name not in ("parent", "name")}
        mod, registered = keras_identity(type(module))
        method = self.method
        if getattr(method, "__self__", None) is module:
            method = method.__name__
        elif method is not None:
            method = serialize_function(method)
        config.update({"module": {"module": mod, "class_name": type(module).__name__,
                                  "config": fields, "registered_name": registered},
                       "method": method})
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        spec = config.pop("module")
        names = [spec.get("registered_name"), spec.get("class_name")]
        module_cls = next((c for c in ((custom_objects or {}).get(n) or lookup(n)
                                       for n in names if isinstance(n, str)) if c), None)
        if module_cls is None:
            raise ValueError(f"FlaxLayer: unknown Flax module class {names[-1]!r}: register "
                             "it with unikeras.saving.register_keras_serializable() or pass "
                             "custom_objects")
        module = module_cls(**spec.get("config", {}))
        method = config.pop("method", None)
        if isinstance(method, str):
            method = getattr(module, method)
        elif method is not None:
            method = deserialize_function(method, custom_objects, what="FlaxLayer method")
        return cls(module, method=method, **config)
