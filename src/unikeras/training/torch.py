"""PyTorch trainer: eager steps with in-place updates of the Parameters (and
``torch.compile`` of the step when ``jit_compile=True``)."""

from __future__ import annotations

import torch

from ..distribution import ModelParallel
from ..distribution import _current as _distribution
from ..distribution.torch import (align_grads, data_parallel_group, implicit_replication,
                                  model_parallel, sharded_state)



class no_grad:
    """``torch.no_grad()`` for the per-step paths (the optimizer's update): the grad mode
    switched directly, where torch's context manager builds two ``set_grad_enabled``
    objects per use (~2 us)."""

    __slots__ = ("prev",)

    def __enter__(self):
        self.prev = torch.is_grad_enabled()
        torch._C._set_grad_enabled(False)

    def __exit__(self, *exc):
        torch._C._set_grad_enabled(self.prev)
        return False


def loss_and_grads(model, x, y, sample_weight):
    # keras.distribution.DataParallel across processes: the forward runs through DDP,
    # whose hooks average the gradients over the processes during backward.
    # ModelParallel: the variables are DTensors (Trainer._sharded); the model's hooks
    # take this process's rows in and give them back, and the gradients are averaged
    # over the data-parallel groups as DDP would.
    dist = _distribution[0]
    ddp = data_parallel_group(model, dist) if dist is not None and not isinstance(
        dist, ModelParallel) else None
    y_pred = (ddp or model)(x, training=True)
    loss = model.compute_loss(x, y, y_pred, sample_weight, training=True)
    params = [v.value for v in model.trainable_variables]
    for p in params:
        p.grad = None
    sharded = sharded_state(model)
    if sharded is not None and sharded.data_groups > 1:
        loss_for_grads = loss / sharded.data_groups  # averaged over batch groups, as DDP
    else:
        loss_for_grads = loss
    if params:  # loss_scale_factor, LossScaleOptimizer
        opt = model.optimizer
        (opt.scale_loss(loss_for_grads) if opt is not None else loss_for_grads).backward()
    grads = [p.grad for p in params]
    if sharded is not None:
        grads = align_grads(params, grads)
    return loss.detach(), _detach(y_pred), grads


def _detach(obj):
    if isinstance(obj, torch.Tensor):
        return obj.detach()
    if isinstance(obj, (list, tuple)):
        return type(obj)(_detach(o) for o in obj)
    if isinstance(obj, dict):
        return {k: _detach(v) for k, v in obj.items()}
    return obj


class Trainer:
    def __init__(self, model):
        self.model = model
        train = model.train_step
        compiled = bool(model.jit_compile and getattr(model, "_explicit_jit", False))
        if compiled:
            train = torch.compile(train)
        self._train = train
        self.eager_steps = not compiled  # the step's Python runs every step (Model.fit)

    def _sharded(self):
        """Under ``keras.distribution.ModelParallel``: lay the variables out as DTensors
        (once per distribution) and give the context of a step (plain scalars such as
        the learning rate mix with DTensors as replicated values); else None (one list
        lookup per step)."""
        dist = _distribution[0]
        if dist is None or not isinstance(dist, ModelParallel):
            return None if sharded_state(self.model) is None else implicit_replication()
        model_parallel(self.model, dist)
        return implicit_replication()

    def train_step(self, batch):
        ctx = self._sharded()
        if ctx is None:
            return self._train(batch)
        with ctx:
            return self._train(batch)

    def train_steps(self, batches):
        """Several batches in order (``steps_per_execution``): a plain loop; the gain is
        one callback call and one logs hand-off per group."""
        for b in batches:
            logs = self.train_step(b)
        return logs

    def test_step(self, batch):
        ctx = self._sharded()
        with torch.no_grad():
            if ctx is None:
                return self.model.test_step(batch)
            with ctx:
                return self.model.test_step(batch)

    def test_steps(self, batches):
        for b in batches:
            logs = self.test_step(b)
        return logs

    def predict_step(self, batch):
        ctx = self._sharded()
        with torch.no_grad():
            if ctx is None:
                return self.model.predict_step(batch)
            with ctx:
                return self.model.predict_step(batch)

    def predict_steps(self, batches):
        """One output per batch (``steps_per_execution``; a loop, nothing to compile)."""
        return [self.predict_step(b) for b in batches]

    def sync(self, metrics_only=False):
        pass
