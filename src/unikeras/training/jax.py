"""JAX trainer: the whole step under ``jax.jit`` with buffer donation.

The stateful step code (``Model.train_step``, the optimizer, the metrics) runs inside
``swap_values``: the jitted function receives every variable's value, runs the ordinary
code with the variables holding tracers (assignments rebind, recorded by the stateless
scope) and returns the new values, which are put back into the variables after each
call (a pointer swap, no copy and no host sync).

``steps_per_execution=k``: one jitted function takes the state and a tuple of up to k
batches of equal shapes, stacks them and runs the same step in ``jax.lax.scan``.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from ..distribution import _current as _distribution
from ..distribution import jax as _dist
from ..state import swap_values
from ._step_utils import equal_shape_runs, state_variables, uses_pure_signature


def loss_and_grads(model, x, y, sample_weight):
    """Forward, loss and gradients w.r.t. the trainable variables. Non-trainable
    updates made in the forward pass and the loss (BatchNorm statistics, seed states,
    per-output loss trackers) are applied after, so they survive the inner grad trace."""
    tv = model.trainable_variables
    # metric state too: compute_loss updates the per-output loss trackers
    ntv = model.non_trainable_variables + model.metrics_variables

    def f(tv_values):
        with swap_values(tv + ntv, list(tv_values) + [v._value for v in ntv]):
            y_pred = model(x, training=True)
            loss = model.compute_loss(x, y, y_pred, sample_weight, training=True)
            new_ntv = [v._value for v in ntv]
        if model.optimizer is not None:  # loss_scale_factor, LossScaleOptimizer
            return model.optimizer.scale_loss(loss), (loss, y_pred, new_ntv)
        return loss, (loss, y_pred, new_ntv)

    (_, (loss, y_pred, new_ntv)), grads = jax.value_and_grad(f, has_aux=True)([v._value for v in tv])
    for v, value in zip(ntv, new_ntv):
        v.assign(value)
    return loss, y_pred, grads


def pure_train_step(model, state, data):
    """Keras 3's JAX ``train_step(state, data) -> (logs, state)``, as a pure function."""
    from .model import Model

    groups = state_variables(model, training=True)
    flat = [v for g in groups for v in g]
    values = [val for g in state for val in g]
    with swap_values(flat, values):
        logs = Model.train_step(model, data)
        new = [v._value for v in flat]
    return logs, _regroup(new, groups)


def pure_test_step(model, state, data):
    from .model import Model

    tv, ntv, mv = state
    groups = state_variables(model, training=False)
    groups = (groups[0], groups[1], groups[3])
    flat = [v for g in groups for v in g]
    with swap_values(flat, [*tv, *ntv, *mv]):
        logs = Model.test_step(model, data)
        new = [v._value for v in flat]
    return logs, _regroup(new, groups)


def _regroup(flat, groups):
    out, i = [], 0
    for g in groups:
        out.append(flat[i:i + len(g)])
        i += len(g)
    return tuple(out)


def _stack(batches):
    """A tuple of equal-shaped batches -> one batch whose leaves gain a leading axis."""
    return jax.tree_util.tree_map(lambda *xs: jnp.stack(xs), *batches)


def _last(logs):
    """The logs of the last step from ``scan``'s stacked per-step logs."""
    return jax.tree_util.tree_map(lambda a: a[-1], logs)


def _keep_layouts(step, shardings):
    """``step`` whose new state keeps each variable's layout (``keras.distribution``):
    without the constraint XLA may return a differently sharded value."""
    def wrapped(state, data):
        logs, new = step(state, data)
        return logs, tuple(_dist.constrain(list(g), s) for g, s in zip(new, shardings))
    return wrapped


def takes_host_batches(model):
    """Jitted steps take NumPy batches as they are: jit transfers NumPy arguments in a
    few us and compiles once per batch shape, where converting each batch first
    (``jnp.asarray``) costs ~0.1 ms and compiled a ``stage`` function per shape."""
    return bool(model.jit_compile or not model.run_eagerly)


class Trainer:
    def __init__(self, model):
        self.model = model
        self._reset()
        self._jit = model.jit_compile or not model.run_eagerly

    def _reset(self, dist=None):
        self._dist = dist
        self._train = self._test = self._predict = None
        self._train_multi = self._test_multi = self._predict_multi = None

    def _distributed(self, batch):
        """Follow ``keras.distribution``: rebuild the steps when the distribution in
        force changes; under one, shard the batch along the batch axis (one list lookup
        per step without one)."""
        dist = _distribution[0]
        if dist is not self._dist:
            self._reset(dist)
        if dist is None:
            return batch
        return _dist.shard_batch(dist, batch)

    def _layouts(self, groups):
        """Lay out every state variable as the distribution asks; their shardings."""
        if self._dist is None:
            return None
        return [_dist.place_variables(self._dist, g) for g in groups]

    def _compile(self, fn, donate):
        if not self._jit:
            return fn
        return jax.jit(fn, donate_argnums=(0,) if donate else ())

    # -------------------------------------------------------------- train
    def _build_train(self):
        model = self.model
        groups = state_variables(model, training=True)
        self._train_groups = groups
        self._train_vars = [v for g in groups for v in g]
        if uses_pure_signature(model, "train_step"):
            def step(state, data):
                return model.train_step(state, data)
        else:
            flat_vars = self._train_vars

            def step(state, data):
                values = [val for g in state for val in g]
                with swap_values(flat_vars, values):
                    logs = model.train_step(data)
                    new = [v._value for v in flat_vars]
                return logs, _regroup(new, groups)
        shardings = self._layouts(groups)
        if shardings is not None:
            step = _keep_layouts(step, shardings)
        self._train_fn = step
        self._train = self._compile(step, donate=True)

    def train_step(self, batch):
        batch = self._distributed(batch)
        if self._train is None:
            self._build_train()
        state = tuple([v._value for v in g] for g in self._train_groups)
        logs, new_state = self._train(state, batch)
        for g, vals in zip(self._train_groups, new_state):
            for v, val in zip(g, vals):
                v._value = val
        return logs

    def _build_train_multi(self):
        step = self._train_fn

        def steps(state, batches):
            def body(carry, data):
                logs, new = step(carry, data)
                return tuple(list(g) for g in new), logs

            state = tuple(list(g) for g in state)
            state, logs = jax.lax.scan(body, state, _stack(batches))
            return _last(logs), state
        self._train_multi = jax.jit(steps, donate_argnums=(0,))

    def _groups(self, batches, single, multi):
        """The logs after a group of batches (``steps_per_execution``): ``multi(run)`` for
        each run of equal-shaped batches (one jitted call), ``single`` for a lone batch or
        when not jitting."""
        if not self._jit:
            runs = [[b] for b in batches]
        else:
            runs = equal_shape_runs(batches)
        for run in runs:
            logs = single(run[0]) if len(run) == 1 else multi(run)
        return logs

    def train_steps(self, batches):
        """Several batches in order: each run of equal-shaped batches in one jitted call."""
        batches = [self._distributed(b) for b in batches]
        if self._train is None:
            self._build_train()
        return self._groups(batches, self.train_step, self._train_run)

    def _train_run(self, run):
        if self._train_multi is None:
            self._build_train_multi()
        state = tuple([v._value for v in g] for g in self._train_groups)
        logs, new_state = self._train_multi(state, tuple(run))
        for g, vals in zip(self._train_groups, new_state):
            for v, val in zip(g, vals):
                v._value = val
        return logs

    # -------------------------------------------------------------- test
    def _build_test(self):
        model = self.model
        tv, ntv, _, mv = state_variables(model, training=False)
        groups = (tv, ntv, mv)
        self._test_groups = groups
        if uses_pure_signature(model, "test_step"):
            def step(state, data):
                return model.test_step(state, data)
        else:
            flat_vars = [v for g in groups for v in g]

            def step(state, data):
                values = [val for g in state for val in g]
                with swap_values(flat_vars, values):
                    logs = model.test_step(data)
                    new = [v._value for v in flat_vars]
                return logs, _regroup(new, groups)
        shardings = self._layouts(groups)
        if shardings is not None:
            step = _keep_layouts(step, shardings)
        self._test_fn = step
        self._test = self._compile(step, donate=False)

    def test_step(self, batch):
        batch = self._distributed(batch)
        if self._test is None:
            self._build_test()
        state = tuple([v._value for v in g] for g in self._test_groups)
        logs, new_state = self._test(state, batch)
        # Only metric values change in a test step.
        for v, val in zip(self._test_groups[2], new_state[2]):
            v._value = val
        return logs

    def _build_test_multi(self):
        step = self._test_fn

        def steps(state, batches):
            # Only the metric values change in a test step: carry those alone.
            tv, ntv, mv = state

            def body(mv, data):
                logs, new = step((tv, ntv, mv), data)
                return list(new[2]), logs

            mv, logs = jax.lax.scan(body, list(mv), _stack(batches))
            return _last(logs), mv
        self._test_multi = jax.jit(steps)

    def test_steps(self, batches):
        batches = [self._distributed(b) for b in batches]
        if self._test is None:
            self._build_test()
        return self._groups(batches, self.test_step, self._test_run)

    def _test_run(self, run):
        if self._test_multi is None:
            self._build_test_multi()
        state = tuple([v._value for v in g] for g in self._test_groups)
        logs, new_mv = self._test_multi(state, tuple(run))
        for v, val in zip(self._test_groups[2], new_mv):
            v._value = val
        return logs

    # -------------------------------------------------------------- predict
    def _build_predict(self):
        model = self.model
        variables = list(model.variables)
        self._predict_vars = variables
        if uses_pure_signature(model, "predict_step"):
            tv, ntv = model.trainable_variables, model.non_trainable_variables
            self._predict_vars = tv + ntv

            def step(values, data):
                return model.predict_step((values[:len(tv)], values[len(tv):]), data)
        else:
            def step(values, data):
                with swap_values(variables, values):
                    return model.predict_step(data)
        self._layouts([self._predict_vars])
        self._predict_fn = step
        self._predict = self._compile(step, donate=False)

    def predict_step(self, batch):
        batch = self._distributed(batch)
        if self._predict is None:
            self._build_predict()
        return self._predict([v._value for v in self._predict_vars], batch)

    def _build_predict_multi(self):
        step = self._predict_fn

        def steps(values, batches):
            _, outs = jax.lax.scan(lambda c, data: (c, step(values, data)), None,
                                   _stack(batches))
            # (k, batch, ...) -> (k * batch, ...): the run's outputs in order
            return jax.tree_util.tree_map(lambda a: a.reshape((-1,) + a.shape[2:]), outs)
        self._predict_multi = jax.jit(steps)

    def predict_steps(self, batches):
        """Outputs of several batches (``steps_per_execution``): one per run of
        equal-shaped batches, each concatenated along the batch axis."""
        batches = [self._distributed(b) for b in batches]
        if self._predict is None:
            self._build_predict()
        if not self._jit:
            return [self.predict_step(b) for b in batches]
        out = []
        for run in equal_shape_runs(batches):
            if len(run) == 1:
                out.append(self.predict_step(run[0]))
                continue
            if self._predict_multi is None:
                self._build_predict_multi()
            out.append(self._predict_multi([v._value for v in self._predict_vars], tuple(run)))
        return out

    def sync(self, metrics_only=False):
        """Values already live in the variables after every step."""
