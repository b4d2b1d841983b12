"""PyTorch trainer: eager steps with in-place updates of the Parameters (and
``torch.compile`` of the step when ``jit_compile=True``)."""

from __future__ import annotations

import torch

from ..distribution import _current as _distribution
from ..distribution.torch import data_parallel_group

no_grad = torch.no_grad


def loss_and_grads(model, x, y, sample_weight):
    # keras.distribution.DataParallel across processes: the forward runs through DDP,
    # whose hooks average the gradients over the processes during backward
    dist = _distribution[0]
    ddp = data_parallel_group(model, dist) if dist is not None else None
    y_pred = (ddp or model)(x, training=True)
    loss = model.compute_loss(x, y, y_pred, sample_weight, training=True)
    params = [v.value for v in model.trainable_variables]
    for p in params:
        p.grad = None
    if params:  # loss_scale_factor, LossScaleOptimizer
        (model.optimizer.scale_loss(loss) if model.optimizer is not None else loss).backward()
    grads = [p.grad for p in params]
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
        if model.jit_compile and getattr(model, "_explicit_jit", False):
            train = torch.compile(train)
        self._train = train

    def train_step(self, batch):
        return self._train(batch)

    def train_steps(self, batches):
        """Several batches in order (``steps_per_execution``): a plain loop; the gain is
        one callback call and one logs hand-off per group."""
        for b in batches:
            logs = self._train(b)
        return logs

    def test_step(self, batch):
        with torch.no_grad():
            return self.model.test_step(batch)

    def test_steps(self, batches):
        with torch.no_grad():
            for b in batches:
                logs = self.model.test_step(b)
        return logs

    def predict_step(self, batch):
        with torch.no_grad():
            return self.model.predict_step(batch)

    def predict_steps(self, batches):
        """One output per batch (``steps_per_execution``; a loop, nothing to compile)."""
        with torch.no_grad():
            return [self.model.predict_step(b) for b in batches]

    def sync(self, metrics_only=False):
        pass
