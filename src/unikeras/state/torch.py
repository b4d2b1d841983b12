"""PyTorch shim for unikeras.state: variables are torch.nn.Parameter objects updated in
place, and layers are registered with torch.utils._pytree."""

import torch
import torch.utils._pytree as pytree

from . import tree as _tree
from . import variables as _variables


def make_variable(value, variable):
    if isinstance(value, torch.nn.Parameter):
        return value
    grad = variable.trainable and value.dtype.is_floating_point
    if not value.is_contiguous():  # (e.g. a transposed initializer value) as torch's own
        value = value.contiguous()  # parameters: the fused optimizer kernels need it
    return torch.nn.Parameter(value, requires_grad=grad)


def storage_dtype(dtype):
    return dtype


def raw_array(native):
    return native


def assign(native, value, variable):
    if not isinstance(value, torch.Tensor):
        value = torch.as_tensor(value)
    if isinstance(native, torch.nn.Parameter):
        if tuple(value.shape) != tuple(native.shape):
            raise ValueError(f"Variable {variable.path!r}: assigned value has shape {tuple(value.shape)}, expected {tuple(native.shape)}")
        if type(native) is not torch.nn.Parameter and hasattr(native, "device_mesh") and \
                not hasattr(value, "device_mesh"):
            # a DTensor variable (keras.distribution.ModelParallel) given a whole value
            # (set_weights, load_weights): each process keeps its shard of it
            from torch.distributed.tensor import distribute_tensor
            value = distribute_tensor(value.to(native.dtype), native.device_mesh,
                                      native.placements, src_data_rank=None)
        with torch.no_grad():
            native.copy_(value)
        return native
    # a rebuilt copy inside torch.func transforms holds plain (wrapped) tensors
    return value.to(native.dtype)


def _flatten(obj):
    if obj._tree_framework() != "torch":
        # Moving creates fresh tensors; they must not be made inside a torch.func level.
        with torch._C._DisableFuncTorch():
            obj._move_to("torch")
    return _tree.flatten(obj)


def _unflatten(values, context):
    # The leaves it was flattened to, unchanged: the object itself, not a copy.
    # torch.export snapshots module attributes with tree_map(lambda x: x, ...) and
    # writes the snapshot back into the modules' __dict__; a copy would replace the
    # model's sublayers.
    obj = getattr(context, "obj", None)
    variables = getattr(context, "variables", None)
    if obj is not None and variables is not None and len(values) == len(variables) and all(
            val is v._value for val, v in zip(values, variables)):
        return obj
    return _tree.unflatten(context, values)


def _register(cls):
    pytree.register_pytree_node(
        cls,
        _flatten,
        _unflatten,
        serialized_type_name=f"{cls.__module__}.{cls.__qualname__}",
    )


_tree.on_register(_register)


# dynamo traces call() bytecode itself and cannot run sys._getframe: variable reads
# inside call give the raw tensor while torch.compile traces (layers/_varread.py).
_variables.bytecode_tracing = torch.compiler.is_dynamo_compiling  # `return False` eagerly (~20 ns)


def assign_add(native, delta):
    """``native += delta`` in place; False (nothing done) unless that is exactly
    ``assign(native + delta)``: a Parameter, a Python number or a same-dtype tensor that
    broadcasts to the Parameter's shape."""
    if not isinstance(native, torch.nn.Parameter):
        return False
    if isinstance(delta, torch.Tensor):
        if delta.dtype != native.dtype or delta.device != native.device or (
                delta.shape != native.shape and delta.ndim != 0):
            return False
    elif not isinstance(delta, (int, float)) or isinstance(delta, bool) or (
            isinstance(delta, float) and not native.dtype.is_floating_point):
        return False
    if native.requires_grad or isinstance(delta, torch.Tensor) and delta.requires_grad:
        with torch.no_grad():
            native.add_(delta)
    else:  # (counters, metric totals: no autograd to keep out; ~2 us less per add)
        native.add_(delta)
    return True


def read_value(native):
    """The value a call returns for ``return self.v``: a copy (differentiable), so a
    later in-place update of the Parameter does not change a returned output."""
    return native.clone()
