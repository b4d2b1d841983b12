"""Variables and stateless scopes.

A ``Variable`` is a small box around one array of the framework the model currently
runs on, stored as that framework's own kind of state:

* numpy / jax / array-api libraries: an immutable array; ``assign`` rebinds it;
* torch: a ``torch.nn.Parameter`` (``requires_grad`` for trainable float variables),
  updated in place, so ``model.parameters()`` feeds ``torch.optim``;
* tensorflow: a ``tf.Variable``, updated with ``.assign``, so GradientTape watches it.

New variables hold NumPy values (initializers run on the host, so one seed gives the
same weights on every framework) and move to a framework the first time the layer that
owns them is called with that framework's arrays.

Inside a ``StatelessScope`` an assignment never mutates: it rebinds the box to the new
array and is recorded, so ``stateless_call`` is a pure function of its inputs.
"""

from __future__ import annotations

import threading
import warnings

import numpy as np

from ..xp import framework_of, shim, standardize_dtype, to_framework, to_numpy
from ..xp._registry import scoped_framework
from ..xp._registry import SCOPE as _SCOPE

_local = threading.local()

#: Set by a framework shim whose tracer runs Python bytecode itself and cannot inspect
#: frames (torch dynamo: ``torch.compiler.is_dynamo_compiling``). While it returns True,
#: ``Layer.__getattr__`` gives the raw array for every variable read inside ``call``
#: (layers/_varread.py cannot look at the caller's next instruction there).
bytecode_tracing = None


def _scopes():
    try:
        return _local.scopes
    except AttributeError:
        _local.scopes = []
        return _local.scopes


class StatelessScope:
    """Within this scope, ``Variable.assign`` rebinds the variable to the new value
    (never mutating framework state) and records which variables were assigned."""

    def __init__(self):
        self.assigned: dict[int, Variable] = {}

    def __enter__(self):
        _scopes().append(self)
        return self

    def __exit__(self, *exc):
        _scopes().pop()
        return False


def in_stateless_scope() -> StatelessScope | None:
    s = _scopes()
    return s[-1] if s else None


_naming: dict[str, int] = {}


def _name_stack() -> list:
    stack = getattr(_local, "name_scopes", None)
    if stack is None:
        stack = _local.name_scopes = []
    return stack


def current_path() -> str:
    """The path of the innermost open ``name_scope`` ("" when none): the prefix of the
    ``path`` of variables created now."""
    stack = _name_stack()
    return stack[-1].path if stack else ""


def scoped_path(name: str) -> str:
    prefix = current_path()
    return f"{prefix}/{name}" if prefix else name


class name_scope:
    """Keras' ``keras.name_scope(name, caller=None, deduplicate=True,
    override_parent=None)``: inside ``with name_scope("block1"):`` variables are created
    with the path ``"block1/<layer>/<name>"`` (scopes nest with ``/``). ``deduplicate``:
    a scope named like the one directly around it adds nothing; ``override_parent``:
    the path starts from that string instead of the enclosing scopes'. Per thread."""

    def __init__(self, name, caller=None, deduplicate=True, override_parent=None):
        if not isinstance(name, str) or "/" in name:
            raise ValueError("Argument `name` must be a string and cannot contain character "
                             f"`/`. Received: name={name!r}")
        self.name = name
        self.caller = caller
        self.deduplicate = deduplicate
        self.override_parent = override_parent
        self.path = name
        self._pushed = False

    def __enter__(self):
        stack = _name_stack()
        parent = stack[-1] if stack else None
        if self.deduplicate and parent is not None and parent.name == self.name:
            return self
        base = parent.path if parent is not None else ""
        if self.override_parent is not None:
            base = self.override_parent
        self.path = f"{base}/{self.name}" if base else self.name
        stack.append(self)
        self._pushed = True
        return self

    def __exit__(self, *exc):
        if self._pushed:
            _name_stack().pop()
            self._pushed = False
        return False


def unique_name(base: str) -> str:
    n = _naming.get(base, 0)
    _naming[base] = n + 1
    return base if n == 0 else f"{base}_{n}"


class Variable:
    """Keras 3's ``Variable``: ``Variable(initializer, shape=None, dtype=None,
    trainable=True, name=None)``. ``initializer`` is an array-like value or a callable
    ``initializer(shape, dtype)`` returning host data."""

    __array_priority__ = 100

    def __init__(self, initializer, shape=None, dtype=None, trainable=True, autocast=True,
                 aggregation="none", synchronization="auto", name=None, constraint=None,
                 regularizer=None):
        self.name = name or unique_name("variable")
        self.path = scoped_path(self.name)
        self.trainable = bool(trainable)
        self.autocast = autocast
        self.aggregation = aggregation
        self.constraint = constraint
        self.regularizer = regularizer
        # Keras': the optimizer assigns this variable its gradient instead of stepping
        # (float8's scales and amax histories, layers/quantize.py)
        self.overwrite_with_gradient = False
        if callable(initializer) and not hasattr(initializer, "shape"):
            if shape is None:
                raise ValueError(f"Variable {self.name!r}: a callable initializer needs a shape")
            self.dtype = standardize_dtype(dtype)
            # Initial values are made on the host (same numbers on every framework),
            # also when the variable is created inside a call's framework scope.
            prev, _SCOPE.fw = _SCOPE.fw, None
            try:
                value = initializer(tuple(shape), self.dtype)
            finally:
                _SCOPE.fw = prev
        else:
            value = initializer
            if dtype is None:
                src = getattr(value, "dtype", None)
                dtype = src if src is not None else None
            self.dtype = standardize_dtype(dtype)
        fw = framework_of(value)
        if fw is None or fw == "numpy":
            value = np.asarray(value)
            if value.dtype.name != self.dtype:
                value = value.astype(shim("numpy", "xp").dtype(self.dtype))
            fw = "numpy"
        elif standardize_dtype(value.dtype) != self.dtype:
            from ..xp import namespace

            ns = namespace(value)
            value = ns.astype(value, getattr(ns, self.dtype))
        if shape is not None and tuple(value.shape) != tuple(shape):
            raise ValueError(
                f"Variable {self.name!r}: initial value has shape {tuple(value.shape)}, "
                f"expected {tuple(shape)}"
            )
        self.shape = tuple(int(d) for d in value.shape)
        if fw == "numpy" and scoped_framework() is not None:
            # made inside a framework scope (a tf.distribute strategy's): made there at
            # once, so the strategy makes (mirrors) it
            fw = scoped_framework()
        self._framework = fw
        self._value = self._native(value, fw)

    # -- framework placement ---------------------------------------------------------
    def _native(self, value, fw):
        mod = shim(fw, "state")
        if mod is None:
            return value
        return mod.make_variable(value, self)

    @property
    def framework(self) -> str:
        return self._framework

    def _move_to(self, framework: str) -> None:
        """Re-home this variable on ``framework`` (zero-copy where DLPack allows)."""
        if framework == self._framework:
            return
        raw = self._raw_array()
        mod = shim(framework, "state")
        dt = mod.storage_dtype(self.dtype) if mod is not None else self.dtype
        if dt != self.dtype:  # e.g. int64 on jax without x64
            raw = to_numpy(raw).astype(dt)
            self.dtype = dt
        self._value = self._native(to_framework(raw, framework), framework)
        self._framework = framework

    def _raw_array(self):
        mod = shim(self._framework, "state")
        return mod.raw_array(self._value) if mod is not None else self._value

    # -- reading ---------------------------------------------------------------------
    @property
    def value(self):
        """The framework array (torch Parameter, tf.Variable, jax/numpy array)."""
        return self._value

    def _snapshot(self):
        """The current value as an array that a later in-place assignment cannot change
        (torch: a differentiable copy; TensorFlow: a tensor read; jax/NumPy: the
        array, which assignment rebinds)."""
        mod = shim(self._framework, "state")
        return mod.read_value(self._value) if mod is not None else self._value

    def numpy(self) -> np.ndarray:
        return to_numpy(self._raw_array())

    def __array__(self, dtype=None, copy=None):
        a = np.asarray(self.numpy())  # TF's scalar .numpy() is a NumPy scalar, not an array
        return a if dtype is None else a.astype(dtype)

    @property
    def ndim(self):
        return len(self.shape)

    def __len__(self):
        return self.shape[0]

    def __repr__(self):
        return (f"<Variable path={self.path}, shape={self.shape}, dtype={self.dtype}, "
                f"trainable={self.trainable}, framework={self._framework}>")

    # -- writing ---------------------------------------------------------------------
    def assign(self, value):
        """Set the value. Mutates framework state in place (torch, tf), rebinds
        (jax, numpy), and inside a StatelessScope only rebinds and records."""
        fw = framework_of(value)
        if fw != self._framework:
            value = to_framework(value if fw is not None else np.asarray(value), self._framework)
        scope = in_stateless_scope()
        if scope is not None:
            self._value = self._coerce(value)
            scope.assigned[id(self)] = self
            return self._value
        mod = shim(self._framework, "state")
        if mod is None:
            self._value = self._coerce(value)
        else:
            self._value = mod.assign(self._value, value, self)
        return self._value

    def _coerce(self, value):
        dtype = self.dtype
        mod = shim(framework_of(value) or "numpy", "state")
        if mod is not None:
            dtype = mod.storage_dtype(dtype)
        if standardize_dtype(value.dtype) != dtype:
            from ..xp import namespace

            ns = namespace(value)
            value = ns.astype(value, getattr(ns, dtype))
        if tuple(value.shape) != self.shape:
            raise ValueError(
                f"Variable {self.path!r}: assigned value has shape {tuple(value.shape)}, "
                f"expected {self.shape}"
            )
        return value

    def assign_add(self, delta):
        """``assign(value + delta)``, ``delta`` taken in the variable's dtype (as Keras);
        in place in one kernel where the shim can (torch ``add_``), outside stateless
        scopes."""
        if in_stateless_scope() is None:
            mod = shim(self._framework, "state")
            fast = getattr(mod, "assign_add", None)
            if fast is not None and fast(self._value, delta):
                return self._value
        return self.assign(self._raw_array() + self._as_own_dtype(delta))

    def assign_sub(self, delta):
        return self.assign(self._raw_array() - self._as_own_dtype(delta))

    def _as_own_dtype(self, delta):
        fw = framework_of(delta)
        if fw is None:  # Python numbers stay weakly typed
            return delta
        if fw != self._framework:
            delta = to_framework(delta, self._framework)
        if standardize_dtype(delta.dtype) == self.dtype:
            return delta
        from ..xp import namespace

        ns = namespace(delta)
        return ns.astype(delta, getattr(ns, self.dtype))

    def _with_value(self, value) -> "Variable":
        """A new box with this variable's metadata holding ``value`` (used when a
        pytree is rebuilt from leaves inside a framework transform)."""
        new = object.__new__(Variable)
        new.__dict__.update(self.__dict__)
        new._value = value
        fw = framework_of(value)
        new._framework = fw if fw is not None else self._framework
        return new

    # -- TensorFlow protocols (TF is never imported here). A box is a tf.nest *leaf*
    # that TF treats as a resource variable (as Keras 3's TF Variable does):
    # `tape.gradient(loss, model.trainable_weights)` differentiates through the box's
    # tf.Variable handle and returns tf.Tensors (eagerly and inside tf.function), and
    # tf.convert_to_tensor(box) / tf ops read its value.
    _should_act_as_resource_variable = True

    @property
    def handle(self):
        """The tf.Variable's resource handle (TensorFlow only)."""
        value = self._value
        return value.handle if hasattr(type(value), "handle") else value

    def __tf_tensor__(self, dtype=None, name=None):
        return shim("tensorflow", "state").to_tensor(self._value, dtype, name)

    # -- arithmetic, so a Variable outside `call` can be used like its value ----------
    def _v(self):
        return self._raw_array()

    def __add__(self, o): return self._v() + o
    def __radd__(self, o): return o + self._v()
    def __sub__(self, o): return self._v() - o
    def __rsub__(self, o): return o - self._v()
    def __mul__(self, o): return self._v() * o
    def __rmul__(self, o): return o * self._v()
    def __truediv__(self, o): return self._v() / o
    def __rtruediv__(self, o): return o / self._v()
    def __matmul__(self, o): return self._v() @ o
    def __rmatmul__(self, o): return o @ self._v()
    def __pow__(self, o): return self._v() ** o
    def __neg__(self): return -self._v()
    def __getitem__(self, idx): return self._v()[idx]


def warn_lost_assignment(variable: Variable) -> None:
    warnings.warn(
        f"Variable {variable.path!r} was assigned inside a raw framework transform "
        "(jax.jit/grad, torch.func, ...) on a rebuilt copy of the model: the new value "
        "is lost when the transform returns, unless the function returns that copy (e.g. "
        "as the aux output of jax.value_and_grad) or you use model.stateless_call(...) "
        "and thread the returned non-trainable state yourself.",
        stacklevel=3,
    )
