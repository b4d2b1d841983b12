"""TensorFlow trainer: steps under ``tf.function`` (XLA with ``jit_compile=True``),
gradients from ``tf.GradientTape`` over the tf.Variables."""

from __future__ import annotations

import tensorflow as tf


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

    def train_step(self, batch):
        return self._train(batch)

    def test_step(self, batch):
        return self._test(batch)

    def predict_step(self, batch):
        return self._predict(batch)

    def sync(self, metrics_only=False):
        pass
