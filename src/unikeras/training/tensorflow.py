"""TensorFlow trainer: steps under ``tf.function`` (XLA with ``jit_compile=True``),
gradients from ``tf.GradientTape`` over the tf.Variables.

``steps_per_execution=k``: one ``tf.function`` takes a tuple of up to k batches of equal
shapes, runs the first step, then the rest in a ``tf.while_loop`` over the stacked
batches (so tracing costs two steps whatever k is).

``tf.distribute``: when ``fit``/``evaluate``/``predict`` run inside a strategy's scope,
or on a model whose variables a strategy made (built or called in its scope), each
global batch is split into contiguous per-replica shards and the step runs in
``strategy.run``; every replica's loss is scaled by its share of the global batch, the
optimizer sums the gradients over replicas and applies them once in cross-replica
context (``apply_across_replicas``), metrics accumulate per replica and are read as
their sum. See docs/architecture.md.
"""

from __future__ import annotations

import warnings

import tensorflow as tf

from ..distribution import _current as _distribution
from ..distribution.tensorflow import strategy_of
from ..state.tensorflow import strategy_scope_open
from ._step_utils import equal_shape_runs


def _replica_context():
    """The replica context of a step running in ``strategy.run`` with more than one
    replica, else None (no strategy, cross-replica context, one replica)."""
    if not strategy_scope_open():
        return None
    ctx = tf.distribute.get_replica_context()
    return ctx if ctx is not None and ctx.num_replicas_in_sync > 1 else None


def loss_and_grads(model, x, y, sample_weight):
    tv = model.trainable_variables
    ctx = _replica_context()
    with tf.GradientTape() as tape:
        y_pred = model(x, training=True)
        loss = model.compute_loss(x, y, y_pred, sample_weight, training=True)
        scaled = loss
        if ctx is not None:
            # this replica's share of the global batch: the replicas' gradients, summed
            # by the optimizer, are the gradient of the global batch's mean loss
            n = tf.cast(tf.shape(tf.nest.flatten(x)[0])[0], loss.dtype)
            total = ctx.all_reduce(tf.distribute.ReduceOp.SUM, n)
            loss = tf.where(n > 0, loss, tf.zeros_like(loss))  # an empty shard: 0, not NaN
            scaled = loss * (n / total)
        if model.optimizer is not None:  # loss_scale_factor, LossScaleOptimizer
            scaled = model.optimizer.scale_loss(scaled)
    grads = tape.gradient(scaled, [v.value for v in tv]) if tv else []
    return loss, y_pred, dense_gradients(grads)


def apply_across_replicas(optimizer, grads, variables):
    """``optimizer.apply`` called in a replica context (inside ``strategy.run`` with
    several replicas; the tf.distribute convention): the gradients are summed over the
    replicas, and the update runs once in cross-replica context (``merge_call``), where
    assigning a mirrored variable writes every replica's copy. Returns False (nothing
    done) outside such a context."""
    ctx = _replica_context()
    if ctx is None:
        return False
    present = [i for i, g in enumerate(grads) if g is not None]
    reduced = ctx.all_reduce(tf.distribute.ReduceOp.SUM, [grads[i] for i in present])
    summed = [None] * len(grads)
    for i, g in zip(present, reduced):
        summed[i] = g

    def apply_once(strategy, *per_replica):
        local = [g if g is None else strategy.experimental_local_results(g)[0]
                 for g in per_replica]
        optimizer.apply(local, variables)

    ctx.merge_call(apply_once, args=tuple(summed))
    return True


def dense_gradients(grads):
    """Gathers (Embedding) give IndexedSlices: the written-once optimizers want dense
    arrays. Also used by Optimizer.apply for hand-written GradientTape loops."""
    return [tf.convert_to_tensor(g) if isinstance(g, tf.IndexedSlices) else g for g in grads]


def _as_tensors(logs):
    # a custom train_step may put Python numbers in its logs; the loop carries tensors
    return tf.nest.map_structure(tf.convert_to_tensor, logs)


def _multi_step(step):
    def steps(batches):
        logs = _as_tensors(step(batches[0]))
        rest = tf.nest.map_structure(lambda *xs: tf.stack(xs), *batches[1:])

        def body(i, logs):
            return i + 1, _as_tensors(step(tf.nest.map_structure(lambda a: a[i], rest)))

        # parallel_iterations=1: each step reads the variables the previous one wrote.
        _, logs = tf.while_loop(lambda i, _: i < len(batches) - 1, body,
                                (tf.constant(0), logs), parallel_iterations=1)
        return logs
    return steps


def _multi_predict(step):
    """k equal-shaped batches -> the outputs of all of them, concatenated along the batch
    axis (one TensorArray per output, written in a while_loop)."""
    def steps(batches):
        first = step(batches[0])
        flat = [tf.convert_to_tensor(t) for t in tf.nest.flatten(first)]
        stacked = tf.nest.map_structure(lambda *xs: tf.stack(xs), *batches)
        tas = [tf.TensorArray(t.dtype, size=len(batches), element_shape=t.shape).write(0, t)
               for t in flat]

        def body(i, tas):
            out = tf.nest.flatten(step(tf.nest.map_structure(lambda a: a[i], stacked)))
            return i + 1, [ta.write(i, o) for ta, o in zip(tas, out)]

        _, tas = tf.while_loop(lambda i, _: i < len(batches), body, (tf.constant(1), tas))
        return tf.nest.pack_sequence_as(first, [ta.concat() for ta in tas])
    return steps


def _state_variables(model):
    """Every Variable box a step reads or writes: model, optimizer, metrics."""
    boxes = list(model._tree_variables())
    if model.optimizer is not None:
        boxes += model.optimizer.variables
    boxes += model.metrics_variables
    return boxes


def _model_strategy(model):
    """The strategy a step must run under: the one whose scope is open, else the
    keras.distribution in force (its MirroredStrategy), else the one that made the
    model's variables (a model built or called in a scope), else None."""
    if strategy_scope_open():
        return tf.distribute.get_strategy()
    if _distribution[0] is not None:  # keras.distribution.DataParallel: MirroredStrategy
        return strategy_of(_distribution[0])
    vs = model._tree_variables()
    # the strategy a variable was made by (Mirrored, CentralStorage, OneDevice), or None
    return getattr(vs[0]._value, "_distribute_strategy", None) if vs else None


def _distribute_state(model, strategy):
    """Re-make, under ``strategy``'s scope, every state variable that another scope (or
    none) made: they become the strategy's (mirrored) variables, values kept."""
    from ..state.tensorflow import make_variable

    for box in _state_variables(model):
        v = box._value
        if not isinstance(v, tf.Variable) or strategy.extended.variable_created_in_scope(v):
            continue
        other = getattr(v, "_distribute_strategy", None)
        if other is not None and other.num_replicas_in_sync > 1:
            raise ValueError(
                f"Model {model.name!r}: its variable {box.path!r} was made by another "
                f"tf.distribute strategy ({type(other).__name__}) than the "
                f"one this step runs under ({type(strategy).__name__}). Build or call the "
                "model in the scope of the strategy that trains it.")
        with strategy.scope():
            box._value = make_variable(tf.identity(v), box)


def _split_batch(strategy, batch):
    """Contiguous shards of a global batch, one per replica (replica i takes rows
    [i*n//R, (i+1)*n//R)), placed on the replicas' devices."""
    replicas = strategy.num_replicas_in_sync

    def shard(ctx):
        i = ctx.replica_id_in_sync_group

        def part(a):
            if not isinstance(a, tf.Tensor) or a.shape.rank == 0:
                return a
            n = int(a.shape[0])
            return a[i * n // replicas:(i + 1) * n // replicas]
        return tf.nest.map_structure(part, batch)

    return strategy.experimental_distribute_values_from_function(shard)


def _distributed(model, strategy, step, predict=False):
    """``step`` run by every replica on its shard; logs read across replicas (metrics:
    the replicas' summed state; other values: their mean), predictions concatenated in
    replica order (the global batch's order)."""
    def run(sharded):
        out = strategy.run(step, args=(sharded,))
        if predict:
            return tf.nest.map_structure(
                lambda v: tf.concat(strategy.experimental_local_results(v), 0), out)
        metrics = model.get_metrics_result()
        mean = tf.distribute.ReduceOp.MEAN
        if isinstance(out, dict):
            return {k: metrics[k] if k in metrics else strategy.reduce(mean, v, axis=None)
                    for k, v in out.items()}
        return tf.nest.map_structure(lambda v: strategy.reduce(mean, v, axis=None), out)
    return run


class _ConcreteDispatch:
    """A step's ``tf.function`` called through the concrete function of the batch's
    signature. ``tf.function.__call__`` matches the arguments against every trace's
    function type on each call (hashing the nested structure: ~0.1 ms of Python per
    step, most of a small model's step); a batch that is a flat tuple of tensors (or
    None: fit's ``(x, y, sample_weight)``) is keyed by its shapes and dtypes instead,
    and its concrete function, taken after tf.function's own first call (which traces
    and makes variables), is called directly. Any other structure goes through the
    tf.function."""

    def __init__(self, fn):
        self.fn = fn
        self._concrete = {}

    def __call__(self, batch):
        key = _flat_signature(batch)
        if key is None:
            return self.fn(batch)
        concrete = self._concrete.get(key)
        if concrete is None:
            out = self.fn(batch)
            self._concrete[key] = self.fn.get_concrete_function(batch)
            return out
        return concrete(batch)

    def __getattr__(self, name):  # experimental_get_tracing_count, ...
        return getattr(self.fn, name)


def _flat_signature(batch):
    if type(batch) is not tuple:
        return None
    key = []
    for t in batch:
        if t is None:
            key.append(None)
        elif type(t) is _EAGER:
            key.append((t.dtype, tuple(t.shape)))
        else:
            return None
    return tuple(key)


_EAGER = type(tf.constant(0))


class Trainer:
    def __init__(self, model):
        self.model = model
        self._eager = model.run_eagerly
        self._xla = bool(model.jit_compile and getattr(model, "_explicit_jit", False))
        self._strategy = None
        self._make_functions()

    def _wrap(self, fn, relaxed=False):
        # autograph=False: the step code has no data-dependent Python control flow,
        # and autograph would rewrite its plain-Python shape logic. relaxed (the
        # single test and predict steps, and multi-batch predict): reduce_retracing,
        # so after a second batch shape TF traces once more with the differing
        # dimensions relaxed to None, and a sweep over batch sizes (evaluate/predict at
        # batch sizes 1..50) costs two or three traces, not one per size, with no
        # retracing warning. A call matching the first trace exactly still dispatches
        # to it (TF prefers an exact match). Training steps, multi-batch test steps and
        # distributed train/test steps keep static shapes (they slice and split by
        # static batch sizes); a partial last batch costs them one more trace.
        if self._eager:
            return fn
        return _ConcreteDispatch(tf.function(fn, jit_compile=self._xla, autograph=False,
                                             reduce_retracing=relaxed))

    def _make_functions(self):
        model, wrap, strategy = self.model, self._wrap, self._strategy
        if strategy is None:
            self._train = wrap(model.train_step)
            self._test = wrap(model.test_step, relaxed=True)
            self._predict = wrap(model.predict_step, relaxed=True)
            self._train_multi = wrap(_multi_step(model.train_step))
            self._test_multi = wrap(_multi_step(model.test_step))
            self._predict_multi = wrap(_multi_predict(model.predict_step), relaxed=True)
            return
        self._train = wrap(_distributed(model, strategy, model.train_step))
        self._test = wrap(_distributed(model, strategy, model.test_step))
        self._predict = wrap(_distributed(model, strategy, model.predict_step, predict=True),
                             relaxed=True)

    def _sync_strategy(self):
        """Follow the strategy in force (checked every step: a thread-local lookup)."""
        strategy = _model_strategy(self.model)
        if strategy is not self._strategy:
            if strategy is not None:
                _distribute_state(self.model, strategy)
                from .model import Model

                if (strategy.num_replicas_in_sync > 1
                        and type(self.model).train_step is not Model.train_step):
                    warnings.warn(
                        f"Model {self.model.name!r} overrides train_step and trains under "
                        f"{type(strategy).__name__} with {strategy.num_replicas_in_sync} "
                        "replicas: optimizer.apply sums the replicas' gradients "
                        "(tf.distribute's convention), so scale each replica's loss by its "
                        "share of the global batch (e.g. tf.nn.compute_average_loss).",
                        stacklevel=3)
            self._strategy = strategy
            self._make_functions()
        return strategy

    def train_step(self, batch):
        if self._sync_strategy() is not None:
            return self._train(_split_batch(self._strategy, batch))
        return self._train(batch)

    def test_step(self, batch):
        if self._sync_strategy() is not None:
            return self._test(_split_batch(self._strategy, batch))
        return self._test(batch)

    def train_steps(self, batches):
        """Several batches in order (``steps_per_execution``): each run of equal-shaped
        batches in one call (a run of one takes the single-step function)."""
        return self._steps(batches, self._train, self._train_multi, self.train_step)

    def test_steps(self, batches):
        return self._steps(batches, self._test, self._test_multi, self.test_step)

    def _steps(self, batches, one, multi, single):
        if self._eager or self._sync_strategy() is not None:
            for b in batches:  # under a strategy: one distributed step per batch
                logs = single(b)
            return logs
        for run in equal_shape_runs(batches):
            logs = one(run[0]) if len(run) == 1 else multi(tuple(run))
        return logs

    def predict_step(self, batch):
        if self._sync_strategy() is not None:
            return self._predict(_split_batch(self._strategy, batch))
        return self._predict(batch)

    def predict_steps(self, batches):
        """Outputs of several batches (``steps_per_execution``): one per run of
        equal-shaped batches, each concatenated along the batch axis."""
        if self._eager or self._sync_strategy() is not None:
            return [self.predict_step(b) for b in batches]
        return [self._predict(run[0]) if len(run) == 1 else self._predict_multi(tuple(run))
                for run in equal_shape_runs(batches)]

    def sync(self, metrics_only=False):
        pass
