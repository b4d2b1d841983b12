"""Overriding train_step / test_step in each framework's idiom, as Keras 3 allows."""

import numpy as np
import pytest

import unikeras as keras
from unikeras import layers


def _data(n=256, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 10)).astype("float32")
    y = (x @ rng.normal(size=(10, 3))).argmax(-1).astype("int64")
    return x, y


def _fit(model_cls, framework):
    from unikeras.xp import asarray

    x, y = _data()
    keras.utils.set_random_seed(0)
    model = model_cls([layers.Input((10,)), layers.Dense(32, activation="relu"),
                       layers.Dense(3, activation="softmax")])
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    hist = model.fit(asarray(x, framework=framework), asarray(y, framework=framework),
                     batch_size=32, epochs=5, verbose=0)
    return model, hist


def _update_metrics(model, loss, y, y_pred):
    for metric in model.metrics:
        if metric.name == "loss":
            metric.update_state(loss)
        else:
            metric.update_state(y, y_pred)
    return {m.name: m.result() for m in model.metrics}


def test_tensorflow_gradient_tape_train_step():
    tf = pytest.importorskip("tensorflow")
    calls = []

    class TapeModel(keras.Sequential):
        def train_step(self, data):
            calls.append(1)
            x, y = data
            with tf.GradientTape() as tape:
                y_pred = self(x, training=True)
                loss = self.compute_loss(y=y, y_pred=y_pred)
            grads = tape.gradient(loss, self.trainable_weights)
            self.optimizer.apply(grads, self.trainable_weights)
            return _update_metrics(self, loss, y, y_pred)

    model, hist = _fit(TapeModel, "tensorflow")
    assert calls  # traced through our step
    assert hist.history["loss"][-1] < 0.5 * hist.history["loss"][0]
    assert hist.history["accuracy"][-1] > 0.8


def test_torch_backward_train_step():
    torch = pytest.importorskip("torch")
    calls = []

    class BackwardModel(keras.Sequential):
        def train_step(self, data):
            calls.append(1)
            x, y = data
            self.zero_grad()
            y_pred = self(x, training=True)
            loss = self.compute_loss(y=y, y_pred=y_pred)
            loss.backward()
            weights = self.trainable_weights
            grads = [v.value.grad for v in weights]
            with torch.no_grad():
                self.optimizer.apply(grads, weights)
            return _update_metrics(self, loss.detach(), y, y_pred.detach())

    model, hist = _fit(BackwardModel, "torch")
    assert len(calls) == 5 * 8
    assert hist.history["loss"][-1] < 0.5 * hist.history["loss"][0]


def test_jax_pure_train_step():
    jax = pytest.importorskip("jax")
    traces = []

    class PureModel(keras.Sequential):
        def compute_loss_and_updates(self, tv, ntv, x, y, training=False):
            y_pred, ntv = self.stateless_call(tv, ntv, x, training=training)
            return self.compute_loss(x, y, y_pred), (y_pred, ntv)

        def train_step(self, state, data):
            traces.append(1)
            tv, ntv, ov, mv = state
            x, y = data
            grad_fn = jax.value_and_grad(self.compute_loss_and_updates, has_aux=True)
            (loss, (y_pred, ntv)), grads = grad_fn(tv, ntv, x, y, training=True)
            tv, ov = self.optimizer.stateless_apply(ov, grads, tv)
            new_mv, logs = [], {}
            for metric in self.metrics:
                n = len(metric.variables)
                these = mv[len(new_mv):len(new_mv) + n]
                if metric.name == "loss":
                    these = metric.stateless_update_state(these, loss)
                else:
                    these = metric.stateless_update_state(these, y, y_pred)
                logs[metric.name] = metric.stateless_result(these)
                new_mv += these
            return logs, (tv, ntv, ov, new_mv)

    model, hist = _fit(PureModel, "jax")
    assert 1 <= len(traces) <= 2  # jitted: traced once (plus the partial batch)
    assert hist.history["loss"][-1] < 0.5 * hist.history["loss"][0]
    assert hist.history["accuracy"][-1] > 0.8


def test_jax_default_pure_steps_through_super():
    """A JAX user's train_step(state, data) calling super(): Model.train_step with the
    state tuple runs the jax trainer's pure step; new weights are one SGD step (NumPy
    reference), the model's own variables are untouched."""
    jax = pytest.importorskip("jax")
    import jax.numpy as jnp

    rng = np.random.default_rng(1)
    x = rng.normal(size=(8, 3)).astype("float32")
    y = rng.normal(size=(8, 1)).astype("float32")
    w0 = rng.normal(size=(3, 1)).astype("float32")
    b0 = np.array([0.5], "float32")
    model = keras.Sequential([layers.Input((3,)), layers.Dense(1)])
    model.set_weights([w0, b0])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss="mse")
    xj, yj = jnp.asarray(x), jnp.asarray(y)
    model.predict(xj, verbose=0)  # the model lives on jax
    model.optimizer.build(model.trainable_variables)

    def values(vs):
        return [v.value for v in vs]

    state = (values(model.trainable_variables), values(model.non_trainable_variables),
             values(model.optimizer.variables), values(model.metrics_variables))
    logs, new_state = model.train_step(state, (xj, yj))
    err = x @ w0 + b0 - y
    np.testing.assert_allclose(float(logs["loss"]), np.mean(err ** 2), rtol=1e-5)
    w1 = w0 - 0.1 * 2 * x.T @ err / 8
    b1 = b0 - 0.1 * 2 * err.sum(0) / 8
    np.testing.assert_allclose(np.asarray(new_state[0][0]), w1, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np.asarray(new_state[0][1]), b1, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(np.asarray(model.get_weights()[0]), w0)
    tv, ntv, _, _ = new_state
    test_logs, _ = model.test_step((tv, ntv, state[3]), (xj, yj))  # fresh metrics
    err1 = x @ w1 + b1 - y
    np.testing.assert_allclose(float(test_logs["loss"]), np.mean(err1 ** 2), rtol=1e-5)


@pytest.mark.parametrize("fw", ["jax", "torch", "tensorflow"])
def test_stateful_train_step_idiom_everywhere(fw):
    """The framework-neutral stateful idiom (`train_step(self, data)` with
    compute_loss and optimizer.apply through a unikeras helper) works on every framework."""
    pytest.importorskip(fw)

    class Custom(keras.Sequential):
        def train_step(self, data):
            self.custom_calls = getattr(self, "custom_calls", 0) + 1
            return super().train_step(data)

    model, hist = _fit(Custom, fw)
    assert hist.history["loss"][-1] < 0.5 * hist.history["loss"][0]
