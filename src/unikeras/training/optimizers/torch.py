"""PyTorch fast path for the optimizers: one ``torch._foreach_*`` kernel per operation
over all parameters, instead of one small op per variable, and for Adam/AdamW on CPU
torch's fused Adam kernel (one kernel for the whole update).

``fused_optimizer_update(optimizer, grads, variables, lr)`` is called by
``Optimizer._update`` (after weight decay, before constraints and EMA) and returns
True when it did the update, False for configurations it does not cover (then the
generic ``update_step`` runs). It covers exactly SGD (momentum, nesterov), Adam and
AdamW (not amsgrad), with eager in-place Parameters of one dtype and device, outside
stateless scopes and torch.func transforms.
"""

from __future__ import annotations

import math

import torch

from ...state.variables import in_stateless_scope
from ..torch import no_grad as _no_grad


def _eligible(optimizer, grads, variables):
    if in_stateless_scope() is not None:
        return None
    try:
        if torch._C._functorch.is_functorch_wrapped_tensor(grads[0]):
            return None
    except AttributeError:  # pragma: no cover - older torch
        pass
    params = [v.value for v in variables]
    p0 = params[0]
    if not isinstance(p0, torch.nn.Parameter):
        return None
    dtype, device = p0.dtype, p0.device
    if not dtype.is_floating_point:
        return None
    for p, g in zip(params, grads):
        if (not isinstance(p, torch.nn.Parameter) or not isinstance(g, torch.Tensor)
                or p.dtype != dtype or g.dtype != dtype or p.device != device
                or g.device != device or g.is_sparse or p.shape != g.shape):
            return None
    return params


def _fusable(params, grads, *slots):
    """torch's fused CPU optimizer kernels take plain CPU Parameters (not DTensors: those
    keep the foreach path, which dispatches per shard) and walk each parameter, its
    gradient and its slots as one flat buffer: all contiguous (a transposed gradient of
    a contiguous parameter would be silently misread)."""
    for p, g in zip(params, grads):
        if (type(p) is not torch.nn.Parameter or p.device.type != "cpu"
                or not p.is_contiguous() or not g.is_contiguous()):
            return False
    return all(s.is_contiguous() for slot in slots for s in slot)


class _FusedAdamPlan:
    """What the fused CPU Adam kernel needs for one list of variables, checked once:
    the Parameters, the moment slots and a reusable step tensor. A step reuses it while
    the variables and the arrays behind them are the same objects (assignment on torch
    is in place; a move or a rebuild makes new ones) and the gradients are the
    Parameters' own ``.grad`` (autograd gives them the Parameter's dtype, device, shape
    and layout), contiguous. That check is ~1 us for W4's four variables, where the full
    eligibility checks cost ~8."""

    __slots__ = ("optimizer_state", "variables", "params", "ms", "vs", "arrays", "step")

    def __init__(self, optimizer, variables, params):
        # a rebuilt optimizer (``build`` again) has new slot lists and a new index
        self.optimizer_state = (optimizer._var_index, optimizer._momentums,
                                optimizer._velocities)
        idx = [optimizer._index(v) for v in variables]
        self.variables = list(variables)
        self.params = params
        self.ms = [optimizer._momentums[i].value for i in idx]
        self.vs = [optimizer._velocities[i].value for i in idx]
        slots = [optimizer._momentums[i] for i in idx] + [optimizer._velocities[i] for i in idx]
        self.arrays = [(v, v.value) for v in self.variables + slots]
        self.step = torch.zeros((), dtype=torch.float32)  # the step count, refilled

    def matches(self, optimizer, variables, grads):
        a, b, c = self.optimizer_state
        if (a is not optimizer._var_index or b is not optimizer._momentums
                or c is not optimizer._velocities or len(variables) != len(self.variables)):
            return False
        for a, b in zip(variables, self.variables):
            if a is not b:
                return False
        for v, arr in self.arrays:
            if v._value is not arr:
                return False
        for p, g in zip(self.params, grads):
            if g is not p.grad or not g.is_contiguous():
                return False
        return True


def _fused_adam_plan(optimizer, grads, variables):
    """The cached plan when this update can run torch's fused CPU Adam kernel, else None
    (the general checks then run)."""
    plan = optimizer.__dict__.get("_torch_fused_adam")
    if plan is not None and plan.matches(optimizer, variables, grads):
        return plan
    if (type(optimizer) not in _ADAMS() or optimizer.amsgrad
            or in_stateless_scope() is not None or not grads
            or not all(g is getattr(v.value, "grad", None) for v, g in zip(variables, grads))):
        return None  # e.g. gradients not from autograd: the general path checks each step
    params = _eligible(optimizer, grads, variables)
    if params is None or params[0].device.type != "cpu":
        return None
    plan = _FusedAdamPlan(optimizer, variables, params)
    if not _fusable(params, grads, plan.ms, plan.vs):
        return None
    optimizer.__dict__["_torch_fused_adam"] = plan
    return plan


def _ADAMS():
    if not _KINDS:
        _fill_kinds()
    return _ADAM_CLASSES


def _scalar(value, like):
    """The learning rate (float, 0-d tensor or Parameter) as a 0-d tensor of ``like``."""
    if isinstance(value, torch.Tensor):
        return value.detach().to(dtype=like.dtype, device=like.device)
    return torch.tensor(float(value), dtype=like.dtype, device=like.device)


_KINDS = {}  # {optimizer class: "sgd" | "adam"}, filled on the first call (.adam
# imports the optimizer base, which finds this shim)
_ADAM_CLASSES = ()


def _fill_kinds():
    global _ADAM_CLASSES
    from .adam import SGD, Adam, AdamW

    _KINDS.update({SGD: "sgd", Adam: "adam", AdamW: "adam"})
    _ADAM_CLASSES = (Adam, AdamW)


def fused_optimizer_update(optimizer, grads, variables, lr) -> bool:
    plan = _fused_adam_plan(optimizer, grads, variables)
    if plan is not None and (not isinstance(lr, torch.Tensor) or lr.device.type == "cpu"):
        with _no_grad():
            _fused_adam(optimizer, plan.params, grads, plan.ms, plan.vs, float(lr), plan.step)
        return True
    if not _KINDS:
        _fill_kinds()
    kind = _KINDS.get(type(optimizer))
    if kind is None or kind == "adam" and optimizer.amsgrad:
        return False
    params = _eligible(optimizer, grads, variables)
    if params is None:
        return False
    grads = list(grads)
    idx = [optimizer._index(v) for v in variables]
    lr_t = _scalar(lr, params[0])
    with _no_grad():
        if kind == "sgd":
            _sgd(optimizer, params, grads, idx, lr_t)
        else:
            _adam(optimizer, params, grads, idx, lr_t)
    return True


def _fused_adam(opt, params, grads, ms, vs, lr, step_t):
    """torch's fused Adam (``torch.optim.Adam(fused=True)``): one kernel over every
    parameter instead of six foreach passes (W4: ~32 -> ~4 us). It computes
    ``p -= lr / bc1 * m / (sqrt(v) / bc2_sqrt + eps')``; with ``eps' = eps / bc2_sqrt``
    that is Keras's ``p -= alpha * m / (sqrt(v) + eps)`` (epsilon "hat"). The step count
    is read from the CPU counter as a Python number (what torch.optim does with its CPU
    step tensor): no sync."""
    step = float(opt._step_value()) + 1.0
    bc2_sqrt = math.sqrt(1.0 - opt.beta_2 ** step)
    step_t.fill_(step)
    torch._fused_adam_(params, grads, ms, vs, [], [step_t] * len(grads),
                       lr=lr, beta1=opt.beta_1, beta2=opt.beta_2, weight_decay=0.0,
                       eps=opt.epsilon / bc2_sqrt, amsgrad=False, maximize=False)


def _sgd(opt, params, grads, idx, lr_t):
    scaled = torch._foreach_mul(grads, lr_t)           # lr * g
    if not opt.momentum:
        torch._foreach_sub_(params, scaled)
        return
    moms = [opt._momentums[i].value for i in idx]
    torch._foreach_mul_(moms, opt.momentum)
    torch._foreach_sub_(moms, scaled)                  # m = momentum m - lr g
    if opt.nesterov:
        step = torch._foreach_mul(moms, opt.momentum)
        torch._foreach_sub_(step, scaled)
        torch._foreach_add_(params, step)
    else:
        torch._foreach_add_(params, moms)


def _adam(opt, params, grads, idx, lr_t):
    ms = [opt._momentums[i].value for i in idx]
    vs = [opt._velocities[i].value for i in idx]
    dtype = params[0].dtype
    step_t = opt._step_value()
    if step_t.device.type == "cpu" and lr_t.device.type == "cpu":
        # CPU counters: the bias corrections in Python numbers (what torch.optim does with
        # its CPU step tensor), ~8 fewer tiny tensor ops per step; reading them is no sync
        step = float(step_t) + 1.0
        bc2_sqrt = math.sqrt(1.0 - opt.beta_2 ** step)
        alpha = float(lr_t) * bc2_sqrt / (1.0 - opt.beta_1 ** step)
        if _fusable(params, grads, ms, vs):
            _fused_adam(opt, params, grads, ms, vs, float(lr_t),
                        torch.zeros((), dtype=torch.float32))
            return
    else:  # device counters stay on the device: no host sync per step
        step = (step_t + 1).to(dtype)
        b1p = torch.pow(torch.tensor(opt.beta_1, dtype=dtype, device=step.device), step)
        b2p = torch.pow(torch.tensor(opt.beta_2, dtype=dtype, device=step.device), step)
        alpha = (lr_t * torch.sqrt(1 - b2p) / (1 - b1p)).to(params[0].device)
    torch._foreach_lerp_(ms, grads, 1 - opt.beta_1)   # m += (g - m)(1 - b1)
    torch._foreach_mul_(vs, opt.beta_2)
    torch._foreach_addcmul_(vs, grads, grads, value=1 - opt.beta_2)
    denom = torch._foreach_sqrt(vs)
    torch._foreach_add_(denom, opt.epsilon)
    if isinstance(alpha, float):  # p -= alpha m / (sqrt(v) + eps) in one kernel
        torch._foreach_addcdiv_(params, ms, denom, value=-alpha)
        return
    upd = torch._foreach_div(ms, denom)
    torch._foreach_mul_(upd, alpha)
    torch._foreach_sub_(params, upd)
