"""Symbolic tensors (``KerasTensor``), ``Input`` / ``InputLayer``, and shape inference.

Calling a layer on KerasTensors records a ``Node`` (layer, arguments, outputs) and
returns new KerasTensors; ``Model(inputs, outputs)`` walks these nodes back from the
outputs. Output specs come from ``compute_output_shape`` when a layer defines it, else
from running ``call`` once on zeros (NumPy, or the layer's current framework), with
unknown dimensions found by running twice with different sizes.
"""

from __future__ import annotations

import numpy as np

from .._nest import flatten_nested as _flat, map_nested
from ..state import swap_values
from ..xp import (asarray, default_framework, floatx, framework_of, framework_scope,
                  standardize_dtype)
from ..state.variables import unique_name
from .. import _symbolic_hook
from ..state.tree import restore_deferred
from ..utils.naming import to_snake_case
from ..utils.serialization import register
from .layer import Layer


def tensor_dtype_name(dtype):
    """A KerasTensor's dtype name: Keras' numeric names, or "string" (``"string"``,
    ``"str"``, ``tf.string``, NumPy str/bytes): the dtype of a string ``Input`` feeding
    the data layers (StringLookup, TextVectorization, Hashing)."""
    if dtype in ("string", "str", str, bytes) or getattr(dtype, "name", None) == "string" \
            or getattr(dtype, "kind", None) in ("U", "S"):
        return "string"
    return standardize_dtype(dtype or floatx())


class KerasTensor:
    """A symbolic tensor: shape (None for unknown dims), dtype and the node that made it."""

    def __init__(self, shape, dtype=None, sparse=False, name=None, record_history=True):
        self.shape = tuple(None if d is None else int(d) for d in shape)
        self.dtype = tensor_dtype_name(dtype)
        self.sparse = sparse
        self.name = name
        self._history = None  # (node, index)

    @property
    def ndim(self):
        return len(self.shape)

    def __repr__(self):
        return f"<KerasTensor shape={self.shape}, dtype={self.dtype}, name={self.name}>"

    def __len__(self):
        raise TypeError("A symbolic KerasTensor has no len(); use .shape")

    def __bool__(self):
        raise TypeError("A symbolic KerasTensor cannot be used as a Python bool")

    def __array__(self, *args, **kwargs):
        raise TypeError(f"A symbolic KerasTensor ({self.shape}, {self.dtype}) has no value: "
                        "it only describes the input of a Functional model. Build the "
                        "model, then call it on arrays")

    def __getitem__(self, key):
        return symbolic_op("get_item", self, _encode_key(key))

    def __round__(self, ndigits=None):
        return symbolic_op("round", self, decimals=ndigits or 0)

    def reshape(self, *shape):
        return symbolic_op("reshape", self, shape[0] if len(shape) == 1 else shape)

    @property
    def T(self):
        return symbolic_op("transpose", self)



# Python operators on KerasTensors record `unikeras.ops` calls as graph nodes, as Keras 3
# does (`x + y`, `-x`, `x @ w`, `x[:, 0]`). Like Keras, `!=` is an op but `==` is identity.
_BINARY = {"add": "add", "sub": "subtract", "mul": "multiply", "matmul": "matmul",
           "truediv": "divide", "floordiv": "floor_divide", "mod": "mod", "pow": "power",
           "and": "logical_and", "or": "logical_or", "xor": "logical_xor"}
_COMPARE = {"lt": "less", "le": "less_equal", "gt": "greater", "ge": "greater_equal",
            "ne": "not_equal"}
_UNARY = {"neg": "negative", "pos": "identity", "abs": "absolute", "invert": "logical_not"}


def _install_operators():
    def binary(op):
        return lambda self, other: symbolic_op(op, self, other)

    def reflected(op):
        return lambda self, other: symbolic_op(op, other, self)

    def unary(op):
        return lambda self: symbolic_op(op, self)

    for dunder, op in _BINARY.items():
        setattr(KerasTensor, f"__{dunder}__", binary(op))
        setattr(KerasTensor, f"__r{dunder}__", reflected(op))
    for dunder, op in _COMPARE.items():
        setattr(KerasTensor, f"__{dunder}__", binary(op))
    for dunder, op in _UNARY.items():
        setattr(KerasTensor, f"__{dunder}__", unary(op))


def _encode_key(key):
    """An index key in Keras 3's JSON form: a tuple becomes a list, a slice
    ``{"class_name": "__slice__", ...}``, Ellipsis ``{"class_name": "__ellipsis__"}``."""
    if isinstance(key, tuple):
        return [_encode_key(k) for k in key]
    if isinstance(key, slice):
        return {"class_name": "__slice__",
                "config": {"start": key.start, "stop": key.stop, "step": key.step}}
    if key is Ellipsis:
        return {"class_name": "__ellipsis__", "config": {}}
    if isinstance(key, KerasTensor):
        raise TypeError("Indexing a KerasTensor with another KerasTensor is not supported; "
                        "use ops.take / ops.take_along_axis")
    return key


def _decode_key(key, top=True):
    if isinstance(key, list) and top:
        return tuple(_decode_key(k, top=False) for k in key)
    if isinstance(key, dict) and key.get("class_name") == "__slice__":
        c = key.get("config", {})
        return slice(c.get("start"), c.get("stop"), c.get("step"))
    if isinstance(key, dict) and key.get("class_name") == "__ellipsis__":
        return Ellipsis
    return key


class Node:
    """One call of a layer on symbolic inputs."""

    def __init__(self, layer, args, kwargs, outputs):
        self.layer = layer
        self.args = args
        self.kwargs = kwargs
        self.outputs = outputs  # flat list of KerasTensors
        self.inputs = [t for t in _flat(args) + _flat(kwargs) if isinstance(t, KerasTensor)]

    @property
    def parents(self):
        return [t._history[0] for t in self.inputs if t._history is not None]


def any_symbolic(obj) -> bool:
    if isinstance(obj, KerasTensor):
        return True
    if isinstance(obj, (list, tuple)):
        return any(any_symbolic(o) for o in obj)
    if isinstance(obj, dict):
        return any(any_symbolic(o) for o in obj.values())
    return False


def spec_from_shapes(args):
    """Turn shape tuples (or nests of them) into KerasTensors."""
    def conv(s):
        if isinstance(s, KerasTensor):
            return s
        if isinstance(s, (list, tuple)) and all(d is None or isinstance(d, (int, np.integer)) for d in s):
            return KerasTensor(s)
        if isinstance(s, (list, tuple)):
            return type(s)(conv(o) for o in s)
        if isinstance(s, dict):
            return {k: conv(v) for k, v in s.items()}
        return s
    return tuple(conv(a) for a in args)


def symbolic_call(layer: Layer, args, kwargs):
    """Layer.__call__ on KerasTensors: build from the shapes, infer the output spec,
    record the node."""
    if not layer.built:
        shape = map_nested(lambda t: t.shape if isinstance(t, KerasTensor) else t, args[0]) if args else None
        layer.build(shape)
        layer.built = True
        restore_deferred(layer)
    if layer.input_spec is not None and args:
        layer._check_inputs(args[0])
    out = layer.compute_output_spec(*args, **kwargs)
    outs = [t for t in _flat(out) if isinstance(t, KerasTensor)]
    fresh = []

    def renew(t):
        if isinstance(t, KerasTensor):
            n = KerasTensor(t.shape, t.dtype, name=t.name)
            fresh.append(n)
            return n
        return t

    out = map_nested(renew, out)
    node = Node(layer, args, kwargs, fresh)
    for i, t in enumerate(fresh):
        t._history = (node, i)
    # Keras' layer.input / layer.output read the first call's node
    layer.__dict__.setdefault("_inbound_nodes", []).append(node)
    return out


def runs_user_code(layer: Layer) -> bool:
    """True when ``layer`` or a layer it holds runs code written outside unikeras (a
    subclass defined by the user, a ``Lambda``): such code may call one framework's
    functions directly (``torch.sum(inputs)``)."""
    for sub in layer._iter_layers():
        cls = type(sub)
        if not cls.__module__.startswith("unikeras.") or cls.__name__ == "Lambda":
            return True
    return False


def inference_framework(layer: Layer) -> str:
    """The framework shape inference runs ``layer`` on: the one it lives on; else, for
    layers that run user code, the framework it will run on (the active
    ``framework_scope``, else the default framework); else NumPy (built-in layers are
    written once, so NumPy gives the same shapes at the lowest cost: no jax compilation
    per op)."""
    fw = layer.framework
    if fw is not None:
        return fw
    if runs_user_code(layer):
        return default_framework()
    return "numpy"


class SymbolicScope:
    """Keras' ``keras.SymbolicScope``: a context in which code runs only to find output
    shapes and dtypes (``in_symbolic_scope()`` is true inside). unikeras opens one around
    the zero-filled runs that infer a layer's output spec, so a layer's ``call`` can skip
    side work (logging, host reads) there."""

    def __enter__(self):
        _symbolic_depth[0] += 1
        return self

    def __exit__(self, *exc):
        _symbolic_depth[0] -= 1
        return False


_symbolic_depth = [0]


def in_symbolic_scope() -> bool:
    return _symbolic_depth[0] > 0


def run_for_spec(layer: Layer, args, kwargs):
    """Infer a layer's output spec by running ``call`` on zeros."""
    has_none = any(isinstance(t, KerasTensor) and None in t.shape for t in _flat(args) + _flat(kwargs))
    fw = inference_framework(layer)
    with SymbolicScope():
        outs = [_run_once(layer, args, kwargs, fw, fill)
                for fill in ((2, 3) if has_none else (2,))]

    def to_spec(*arrs):
        a = arrs[0]
        if a is None or framework_of(a) is None:
            return a
        shape = list(a.shape)
        for other in arrs[1:]:
            shape = [d if d == o else None for d, o in zip(shape, other.shape)]
        return KerasTensor(shape, dtype=standardize_dtype(a.dtype))

    if len(outs) == 1:
        return map_nested(to_spec, outs[0])
    return _zip_map(to_spec, outs[0], outs[1])


def _zip_map(fn, a, b):
    if isinstance(a, (list, tuple)):
        return type(a)(_zip_map(fn, x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return {k: _zip_map(fn, a[k], b[k]) for k in a}
    return fn(a, b)


def _run_once(layer, args, kwargs, fw, fill):
    from . import _context

    def concrete(t):
        if isinstance(t, KerasTensor):
            shape = tuple(fill if d is None else d for d in t.shape)
            return asarray(np.zeros(shape, dtype=t.dtype), framework=fw)
        return t

    cargs = map_nested(concrete, args)
    ckwargs = map_nested(concrete, kwargs)
    variables = list(layer._tree_variables())
    ctx = _context.current()
    # The scope keeps NumPy inputs on NumPy (no move to the default framework);
    # swap_values discards any assignment (e.g. BatchNorm statistics).
    with swap_values(variables, [v._value for v in variables]), framework_scope(fw):
        ctx.depth += 1
        try:
            return layer(*cargs, **ckwargs)
        finally:
            ctx.depth -= 1


class InputLayer(Layer):
    """Keras' ``InputLayer(shape=None, batch_size=None, dtype=None, sparse=None,
    batch_shape=None, input_tensor=None, name=None)``."""

    def __init__(self, shape=None, batch_size=None, dtype=None, sparse=None,
                 batch_shape=None, input_tensor=None, optional=False, name=None,
                 ragged=None, **kwargs):
        if ragged:
            raise ValueError(f"InputLayer: ragged inputs are not supported by unikeras; "
                             f"received ragged={ragged!r}")
        if sparse:
            raise ValueError(f"InputLayer: sparse inputs are not supported by unikeras; "
                             f"received sparse={sparse!r}")
        if "input_shape" in kwargs:
            shape = kwargs.pop("input_shape")
        if "batch_input_shape" in kwargs:
            batch_shape = kwargs.pop("batch_input_shape")
        super().__init__(name=name, **kwargs)
        if batch_shape is None:
            if shape is None:
                raise ValueError("InputLayer needs `shape` or `batch_shape`; received neither")
            if isinstance(shape, int):
                shape = (shape,)
            batch_shape = (batch_size,) + tuple(shape)
        self.batch_shape = tuple(batch_shape)
        self._dtype_name = tensor_dtype_name(dtype)
        self.sparse = bool(sparse)
        self.optional = optional
        self.built = True
        if input_tensor is not None:
            if not isinstance(input_tensor, KerasTensor):
                raise ValueError(f"InputLayer: input_tensor must be a KerasTensor; received {input_tensor!r}")
            self.output = input_tensor
        else:
            self.output = KerasTensor(self.batch_shape, self._dtype_name, name=self.name)
            node = Node(self, (), {}, [self.output])
            self.output._history = (node, 0)

    @property
    def dtype(self):
        return self._dtype_name

    def call(self, x):
        return x

    def get_config(self):
        return {"batch_shape": self.batch_shape, "dtype": self._dtype_name,
                "sparse": self.sparse, "ragged": False, "name": self.name}


def Input(shape=None, batch_size=None, dtype=None, sparse=None, batch_shape=None,
          name=None, tensor=None, optional=False):
    """Keras' ``Input(...)``: a symbolic tensor to start a Functional model from."""
    layer = InputLayer(shape=shape, batch_size=batch_size, dtype=dtype, sparse=sparse,
                       batch_shape=batch_shape, name=name, input_tensor=tensor,
                       optional=optional)
    return layer.output


@register
class OpLayer(Layer):
    """One ``unikeras.ops`` call recorded in a Functional graph (``x + y``,
    ``ops.mean(x, axis=1)`` on KerasTensors). It has no weights; its config names the op,
    and the call's arguments live in the graph's node like any layer's."""

    def __init__(self, op, name=None, op_kwargs=None, **kwargs):
        from .. import ops

        if not callable(_op_function(ops, op)):
            raise ValueError(f"OpLayer: unknown op {op!r}; expected a name in unikeras.ops")
        kwargs.pop("dtype", None)
        super().__init__(name=name or unique_name(op.rsplit(".", 1)[-1]), autocast=False, **kwargs)
        self.op = op
        self.op_kwargs = dict(op_kwargs or {})  # static arguments kept in the config
        self.built = True

    @classmethod
    def from_keras_operation(cls, spec):
        """A Keras 3 Operation node from a Keras-written file (module ``keras.src.ops.*``,
        class ``Mean``, config ``{"name", "axis", "keepdims"}``): the op of the same
        snake-case name with the config's arguments."""
        config = dict(spec.get("config") or {})
        name = config.pop("name", None)
        op = to_snake_case(spec["class_name"])
        module = str(spec.get("module") or "")
        if module.endswith("ops.image"):  # keras.src.ops.image.Resize -> "image.resize"
            op = "image." + op
        try:
            return cls(op, name=name, op_kwargs=config)
        except ValueError:
            raise ValueError(f"Cannot load Keras operation {spec['class_name']!r} "
                             f"({spec.get('module')}): unikeras.ops has no {op!r}") from None

    def __call__(self, *args, **kwargs):
        if any_symbolic(args) or any_symbolic(kwargs):
            return symbolic_call(self, args, kwargs)
        return self.call(*args, **kwargs)

    def call(self, *args, **kwargs):
        from .. import ops

        if self.op == "get_item":
            return args[0][_decode_key(args[1])]
        return _op_function(ops, self.op)(*args, **self.op_kwargs, **kwargs)

    def compute_output_spec(self, *args, **kwargs):
        return run_for_spec(self, args, kwargs)

    def get_config(self):
        return {"name": self.name, "op": self.op, "op_kwargs": self.op_kwargs}

    def keras_operation(self):
        """The node as Keras 3 writes its Operation (``{"module": "keras.src.ops.numpy",
        "class_name": "Add", "config": {"name"}, "registered_name": "Add"}``), for the
        ops whose Keras class takes no constructor argument (the arithmetic of
        ``x + y``, ``x * 0.5``, ``x[:, 0]``): Keras loads such a file. None for the
        others, which keep unikeras' own form (``OpLayer`` with its op and kwargs)."""
        cls = _KERAS_NUMPY_OPS.get(self.op)
        if cls is None or self.op_kwargs:
            return None
        return {"module": "keras.src.ops.numpy", "class_name": cls,
                "config": {"name": self.name}, "registered_name": cls}


# Keras 3 Operation classes of keras.src.ops.numpy without constructor arguments (the
# call takes the tensors only), by unikeras op name
_KERAS_NUMPY_OPS = {
    "add": "Add", "subtract": "Subtract", "multiply": "Multiply", "divide": "Divide",
    "true_divide": "TrueDivide", "power": "Power", "negative": "Negative",
    "get_item": "GetItem", "matmul": "Matmul", "maximum": "Maximum", "minimum": "Minimum",
    "absolute": "Absolute", "floor_divide": "FloorDivide", "mod": "Mod",
}


def _op_function(ops, name):
    """``unikeras.ops.<name>``; a dotted name reaches a submodule (``image.resize``)."""
    obj = ops
    for part in name.split("."):
        obj = getattr(obj, part, None)
    return obj


def symbolic_op(op, *args, **kwargs):
    """``unikeras.ops.<op>(*args, **kwargs)`` on KerasTensors: a new graph node."""
    return OpLayer(op)(*args, **kwargs)


_install_operators()
_symbolic_hook.register(KerasTensor, symbolic_op)

