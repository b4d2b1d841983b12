"""The user-facing contract (ARCHITECTURE.md section 1), run as written."""

import numpy as np
import pytest

import unikeras as keras
from unikeras import layers, ops

jax = pytest.importorskip("jax")
torch = pytest.importorskip("torch")
tf = pytest.importorskip("tensorflow")


def _data(n=400):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 784)).astype("float32")
    labels = (x[:, :10] @ rng.normal(size=(10, 10))).argmax(-1)
    y = np.eye(10, dtype="float32")[labels]
    return x, y, labels


def test_keras_workflow_unchanged():
    x_train, y_train, _ = _data()
    model = keras.Sequential([
        layers.Input(shape=(784,)),
        layers.Dense(64, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ])
    lines = []
    model.summary(print_fn=lines.append)
    assert any("Total params: 50,890" in l for l in lines)
    model.compile(optimizer=keras.optimizers.AdamW(learning_rate=1e-3),
                  loss=keras.losses.CategoricalCrossentropy(),
                  metrics=[keras.metrics.CategoricalAccuracy(), keras.metrics.AUC()])
    history = model.fit(x_train, y_train, batch_size=64, epochs=3, validation_split=0.2, verbose=0)
    assert set(history.history) == {"loss", "categorical_accuracy", "auc", "val_loss",
                                    "val_categorical_accuracy", "val_auc"}
    scores = model.evaluate(x_train[:64], y_train[:64], return_dict=True, verbose=0)
    assert 0.5 < scores["auc"] <= 1.0
    preds = model.predict(x_train[:10], verbose=0)
    assert isinstance(preds, np.ndarray) and preds.shape == (10, 10)


def test_framework_follows_the_data():
    x, y, _ = _data(128)
    model = keras.Sequential([layers.Input((784,)), layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    model.fit(torch.from_numpy(x), torch.from_numpy(y), epochs=1, verbose=0)
    assert model.framework == "torch"
    assert isinstance(model.predict(jax.numpy.asarray(x), verbose=0), jax.Array)
    assert isinstance(model(tf.constant(x)), tf.Tensor)


class RMSNorm(layers.Layer):
    def build(self, input_shape):
        self.scale = self.add_weight(shape=(input_shape[-1],), initializer="ones")

    def call(self, x):
        xp = keras.xp.namespace(x)
        return x * self.scale / xp.sqrt(xp.mean(x * x, axis=-1, keepdims=True) + 1e-6)


@pytest.mark.parametrize("make", [np.asarray, jax.numpy.asarray, torch.from_numpy, tf.constant])
def test_a_layer_written_once_runs_everywhere(make):
    x = np.random.default_rng(1).normal(size=(3, 5)).astype("float32")
    out = RMSNorm()(make(x))
    ref = x / np.sqrt((x * x).mean(-1, keepdims=True) + 1e-6)
    np.testing.assert_allclose(keras.xp.to_numpy(out), ref, rtol=1e-5)


def _model():
    keras.utils.set_random_seed(0)
    m = keras.Sequential([layers.Input((784,)), layers.Dense(16, activation="relu"), layers.Dense(10)])
    return m


def test_layers_and_models_are_pytrees():
    x, y, labels = _data(32)
    model = _model()
    jx, jy = jax.numpy.asarray(x), jax.numpy.asarray(labels)

    def loss_fn(model, x, y):
        logits = model(x)
        return -jax.numpy.mean(jax.nn.log_softmax(logits)[jax.numpy.arange(len(y)), y])

    grads = jax.grad(loss_fn)(model, jx, jy)
    assert type(grads) is type(model) and len(grads.weights) == 4
    y_out = jax.jit(lambda m, x: m(x))(model, jx)
    assert y_out.shape == (32, 10)

    def torch_loss(model, x, y):
        return torch.nn.functional.cross_entropy(model(x), y)

    tgrads = torch.func.grad(torch_loss)(model, torch.from_numpy(x), torch.from_numpy(labels))
    np.testing.assert_allclose(keras.xp.to_numpy(tgrads.weights[0].value),
                               np.asarray(grads.weights[0].value), rtol=1e-4, atol=1e-6)


def test_keras_pure_api():
    x, y, labels = _data(32)
    model = _model()
    optimizer = keras.optimizers.Adam(1e-3)
    optimizer.build(model.trainable_variables)
    jx = jax.numpy.asarray(x)
    trainable_vars = [v.value for v in model.trainable_variables]
    non_trainable_vars = [v.value for v in model.non_trainable_variables]
    y_out, non_trainable = model.stateless_call(trainable_vars, non_trainable_vars, jx, training=True)
    grads = [jax.numpy.ones_like(v) for v in trainable_vars]
    opt_vars = [v.value for v in optimizer.variables]
    trainable_vars, opt_vars = optimizer.stateless_apply(opt_vars, grads, trainable_vars)
    assert len(trainable_vars) == 4 and not np.allclose(np.asarray(trainable_vars[0]),
                                                       model.trainable_variables[0].numpy())


def test_native_training_loops():
    x, y, labels = _data(128)
    model = _model()
    xt, yt = torch.from_numpy(x), torch.from_numpy(labels)
    torch_opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    before = torch.nn.CrossEntropyLoss()(model(xt, training=True), yt).item()
    for _ in range(20):
        loss = torch.nn.CrossEntropyLoss()(model(xt, training=True), yt)
        model.zero_grad()
        loss.backward()
        torch_opt.step()
    assert loss.item() < before

    optimizer = keras.optimizers.Adam(1e-3)
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    xf, yf = tf.constant(x), tf.constant(labels)
    first = None
    for _ in range(20):
        with tf.GradientTape() as tape:
            loss = loss_fn(yf, model(xf, training=True))
        optimizer.apply(tape.gradient(loss, model.trainable_weights), model.trainable_weights)
        first = first if first is not None else float(loss)
    assert float(loss) < first


def test_ops_namespace_follows_the_data():
    a = ops.matmul(torch.ones((2, 3)), torch.ones((3, 4)))
    assert isinstance(a, torch.Tensor) and tuple(a.shape) == (2, 4)
    assert isinstance(ops.softmax(jax.numpy.ones((2, 3))), jax.Array)
    assert isinstance(ops.sum(tf.ones((2, 3)), axis=0), tf.Tensor)
