"""TensorFlow trainer: steps under ``tf.function`` (XLA with ``jit_compile=True``),
gradients from ``tf.GradientTape`` over the tf.Variables.

``steps_per_execution=k``: one ``tf.function`` takes a tuple of up to k batches of equal
shapes, runs the first step, then the rest in a ``tf.while_loop`` over the stacked
batches (so tracing costs two steps whatever k is).
"""

from __future__ import annotations

import tensorflow as tf

from ._step_utils import equal_shape_runs


def loss_and_grads(model, x, y, sample_weight):
    tv = model.trainable_variables
    with tf.GradientTape() as tape:
        y_pred = model(x, training=True)
        loss = model.compute_loss(x, y, y_pred, sample_weight, training=True)
        scale = model.optimizer.loss_scale_factor if model.optimizer is not None else None
        scaled = loss * scale if scale else loss
    grads = tape.gradient(scaled, [v.value for v in tv]) if tv else []
    return loss, y_pred, dense_gradients(grads)


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


class Trainer:
    def __init__(self, model):
        self.model = model
        eager = model.run_eagerly
        xla = bool(model.jit_compile and getattr(model, "_explicit_jit", False))

        def wrap(fn):
            # autograph=False: the step code has no data-dependent Python control flow,
            # and autograph would rewrite its plain-Python shape logic. Static shapes:
            # a partial last batch costs one more trace, not dynamic-shape code.
            return fn if eager else tf.function(fn, jit_compile=xla, autograph=False)

        self._train = wrap(model.train_step)
        self._test = wrap(model.test_step)
        self._predict = wrap(model.predict_step)
        self._train_multi = wrap(_multi_step(model.train_step))
        self._test_multi = wrap(_multi_step(model.test_step))
        self._predict_multi = wrap(_multi_predict(model.predict_step))
        self._eager = eager

    def train_step(self, batch):
        return self._train(batch)

    def test_step(self, batch):
        return self._test(batch)

    def train_steps(self, batches):
        """Several batches in order (``steps_per_execution``): each run of equal-shaped
        batches in one call (a run of one takes the single-step function)."""
        return self._steps(batches, self._train, self._train_multi)

    def test_steps(self, batches):
        return self._steps(batches, self._test, self._test_multi)

    def _steps(self, batches, one, multi):
        if self._eager:
            for b in batches:
                logs = one(b)
            return logs
        for run in equal_shape_runs(batches):
            logs = one(run[0]) if len(run) == 1 else multi(tuple(run))
        return logs

    def predict_step(self, batch):
        return self._predict(batch)

    def predict_steps(self, batches):
        """Outputs of several batches (``steps_per_execution``): one per run of
        equal-shaped batches, each concatenated along the batch axis."""
        if self._eager:
            return [self._predict(b) for b in batches]
        return [self._predict(run[0]) if len(run) == 1 else self._predict_multi(tuple(run))
                for run in equal_shape_runs(batches)]

    def sync(self, metrics_only=False):
        pass
