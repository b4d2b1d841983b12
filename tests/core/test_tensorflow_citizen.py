"""A unikeras model used from TensorFlow code as a TF user writes it: tf.function +
GradientTape loops, tf.train.Checkpoint, tf.distribute strategies, TFSMLayer. Each test
compares numbers with a pure-TensorFlow reference."""

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")

import unikeras as keras  # noqa: E402
from unikeras import layers  # noqa: E402


def _data(n=32, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 5)).astype("float32")
    y = rng.normal(size=(n, 2)).astype("float32")
    return x, y


def _model(seed=0):
    keras.utils.set_random_seed(seed)
    return keras.Sequential([layers.Input((5,)), layers.Dense(8, activation="tanh"),
                             layers.Dense(2)])


def _reference_forward(ws, x):
    k1, b1, k2, b2 = ws
    return tf.matmul(tf.tanh(tf.matmul(x, k1) + b1), k2) + b2


def _reference_adam_step(ws, ms, vs, grads, t, lr=0.01, b1=0.9, b2=0.999, eps=1e-7):
    """Adam as Keras writes it, in plain TF ops on tf.Variables."""
    alpha = lr * tf.sqrt(1 - b2 ** t) / (1 - b1 ** t)
    for w, m, v, g in zip(ws, ms, vs, grads):
        m.assign_add((g - m) * (1 - b1))
        v.assign_add((tf.square(g) - v) * (1 - b2))
        w.assign_sub(alpha * m / (tf.sqrt(v) + eps))


def test_tape_gradient_over_trainable_weights_gives_tf_tensors_eagerly():
    x, y = _data()
    model = _model()
    ws = [tf.Variable(w) for w in model.get_weights()]
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.square(model(tf.constant(x)) - y))
    grads = tape.gradient(loss, model.trainable_weights)
    with tf.GradientTape() as tape:
        ref_loss = tf.reduce_mean(tf.square(_reference_forward(ws, x) - y))
    ref = tape.gradient(ref_loss, ws)
    assert all(isinstance(g, tf.Tensor) for g in grads)
    for g, r in zip(grads, ref):
        np.testing.assert_allclose(g.numpy(), r.numpy(), rtol=1e-5, atol=1e-6)
    # a box converts like a tf.Variable, and an unconnected weight gives None
    np.testing.assert_array_equal(tf.convert_to_tensor(model.layers[0].kernel).numpy(),
                                  ws[0].numpy())
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(model.layers[1](tf.constant(x[:, :8].repeat(2, 1)[:, :8])))
    g = tape.gradient(loss, model.trainable_weights)
    assert g[0] is None and g[1] is None and isinstance(g[2], tf.Tensor)


def test_tf_function_gradient_tape_loop_matches_pure_tf_adam():
    x, y = _data()
    model = _model()
    ws = [tf.Variable(w) for w in model.get_weights()]
    ms = [tf.Variable(tf.zeros_like(w)) for w in ws]
    vs = [tf.Variable(tf.zeros_like(w)) for w in ws]
    optimizer = keras.optimizers.Adam(0.01)

    @tf.function
    def train_step(x, y):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(model(x, training=True) - y))
        grads = tape.gradient(loss, model.trainable_weights)
        optimizer.apply(grads, model.trainable_weights)
        return loss, grads  # gradients are tf.Tensors: they leave the tf.function

    @tf.function
    def reference_step(x, y, t):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(_reference_forward(ws, x) - y))
        grads = tape.gradient(loss, ws)
        _reference_adam_step(ws, ms, vs, grads, t)
        return loss, grads

    for step in range(1, 11):
        xb, yb = tf.constant(x[step % 4 * 8:][:8]), tf.constant(y[step % 4 * 8:][:8])
        loss, grads = train_step(xb, yb)
        ref_loss, ref_grads = reference_step(xb, yb, tf.constant(float(step)))
        np.testing.assert_allclose(float(loss), float(ref_loss), rtol=1e-5)
        for g, r in zip(grads, ref_grads):
            assert isinstance(g, tf.Tensor)
            np.testing.assert_allclose(g.numpy(), r.numpy(), rtol=1e-4, atol=1e-6)
    for w, r in zip(model.get_weights(), ws):
        np.testing.assert_allclose(w, r.numpy(), rtol=1e-4, atol=1e-6)
    assert int(optimizer.iterations.numpy()) == 10


def _train_with_tape(model, optimizer, x, y, steps):
    @tf.function
    def step(x, y):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(model(x, training=True) - y))
        optimizer.apply(tape.gradient(loss, model.trainable_weights), model.trainable_weights)
        return loss

    return [float(step(tf.constant(x), tf.constant(y))) for _ in range(steps)]


def _dropout_model(seed, with_input=True):
    keras.utils.set_random_seed(seed)
    head = [layers.Input((5,))] if with_input else []
    return keras.Sequential(head + [layers.Dense(8, activation="tanh"),
                                    layers.Dropout(0.2, seed=3), layers.Dense(2)])


def test_tf_train_checkpoint_restores_model_and_optimizer_into_fresh_objects(tmp_path):
    x, y = _data()
    model, optimizer = _dropout_model(0), keras.optimizers.Adam(0.01)
    _train_with_tape(model, optimizer, x, y, 3)
    path = tf.train.Checkpoint(model=model, optimizer=optimizer).save(str(tmp_path / "ckpt"))
    names = {n for n, _ in tf.train.list_variables(path)}
    assert {"model/layer-0/kernel/.ATTRIBUTES/VARIABLE_VALUE",
            "model/layer-1/seed_generator/state/.ATTRIBUTES/VARIABLE_VALUE",
            "optimizer/iterations/.ATTRIBUTES/VARIABLE_VALUE"} <= names

    # a fresh model (other initial weights) and a fresh, unbuilt optimizer: the
    # optimizer's slots are restored when it builds (TF's deferred restoration)
    fresh, fresh_opt = _dropout_model(1), keras.optimizers.Adam(0.01)
    status = tf.train.Checkpoint(model=fresh, optimizer=fresh_opt).restore(path)
    fresh_opt.build(fresh.trainable_weights)
    status.assert_consumed()
    for a, b in zip(model.get_weights(), fresh.get_weights()):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(optimizer.variables, fresh_opt.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    # the next steps (Adam moments, dropout seeds) are the same
    np.testing.assert_allclose(_train_with_tape(fresh, fresh_opt, x, y, 2),
                               _train_with_tape(model, optimizer, x, y, 2), rtol=1e-6)
    for a, b in zip(model.get_weights(), fresh.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def test_checkpoint_restored_before_the_model_is_built_and_tf_module_tracking(tmp_path):
    x, y = _data()
    model = _dropout_model(0, with_input=False)
    model(tf.constant(x[:2]))
    path = tf.train.Checkpoint(model=model).save(str(tmp_path / "ckpt"))
    fresh = _dropout_model(1, with_input=False)  # no variables yet
    status = tf.train.Checkpoint(model=fresh).restore(path)
    out = fresh(tf.constant(x))  # builds: the waiting values fill the new variables
    status.assert_existing_objects_matched()
    np.testing.assert_array_equal(out.numpy(), model(tf.constant(x)).numpy())

    # a tf.Module holding the model tracks its variables, as with any TF layer
    class Holder(tf.Module):
        def __init__(self, net):
            super().__init__()
            self.net = net

    holder = Holder(fresh)
    assert {id(v) for v in holder.trainable_variables} == {
        id(v.value) for v in fresh.trainable_weights}
    restored = Holder(_dropout_model(2))
    tf.train.Checkpoint(holder).write(str(tmp_path / "h"))
    tf.train.Checkpoint(restored).read(str(tmp_path / "h")).assert_consumed()
    np.testing.assert_array_equal(restored.net(tf.constant(x)).numpy(), out.numpy())


class _Affine(tf.Module):
    """A plain TF module as a TF user saves one: serve, and a training endpoint."""

    def __init__(self):
        super().__init__()
        rng = np.random.default_rng(1)
        self.w = tf.Variable(rng.normal(size=(5, 2)).astype("float32"), name="w")
        self.b = tf.Variable(np.zeros(2, "float32"), name="b")
        self.calls = tf.Variable(0, trainable=False, name="calls")

    @tf.function(input_signature=[tf.TensorSpec([None, 5], tf.float32)])
    def serve(self, x):
        return tf.matmul(x, self.w) + self.b

    @tf.function(input_signature=[tf.TensorSpec([None, 5], tf.float32)])
    def train(self, x):
        self.calls.assign_add(1)
        return tf.matmul(x, self.w) + self.b + 1.0


def test_tfsm_layer_loads_trains_and_is_refused_under_safe_mode(tmp_path):
    from unikeras.saving import SafeModeScope

    x, y = _data()
    module = _Affine()
    path = str(tmp_path / "affine")
    tf.saved_model.save(module, path)
    reference = tf.saved_model.load(path)

    layer = layers.TFSMLayer(path, call_endpoint="serve", call_training_endpoint="train")
    np.testing.assert_allclose(layer(x).numpy(), module.serve(x).numpy(), rtol=1e-6)
    np.testing.assert_allclose(layer(tf.constant(x), training=True).numpy(),
                               module.serve(x).numpy() + 1.0, rtol=1e-6)
    assert [tuple(w.shape) for w in layer.trainable_weights] == [(5, 2), (2,)]
    assert [tuple(w.shape) for w in layer.non_trainable_weights] == [()]

    # fine-tuning trains the SavedModel's own variables: one SGD step == plain TF's
    model = keras.Sequential([layers.Input((5,)), layer])
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    model.fit(tf.constant(x), tf.constant(y), batch_size=32, epochs=1, shuffle=False,
              verbose=0)
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.square(reference.train(x) - y))
    grads = tape.gradient(loss, [reference.w, reference.b])
    np.testing.assert_allclose(layer.trainable_weights[0].numpy(),
                               (reference.w - 0.1 * grads[0]).numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(layer.call_endpoint_fn(x).numpy(),
                               model.predict(tf.constant(x), verbose=0),
                               rtol=1e-6)

    # a config names an external SavedModel (graph code): refused unless safe mode is off
    config = layers.serialize(layer)
    with pytest.raises(ValueError, match="Requested the deserialization of a `TFSMLayer`"):
        layers.deserialize(config)
    with SafeModeScope(False):
        again = layers.deserialize(config)
    assert isinstance(again, layers.TFSMLayer) and again.call_endpoint == "serve"
    np.testing.assert_allclose(again(x).numpy(), reference.serve(x).numpy(), rtol=1e-6)

    with pytest.raises(ValueError, match="Available endpoints"):
        layers.TFSMLayer(path, call_endpoint="predict")
    jnp = pytest.importorskip("jax.numpy")
    with pytest.raises(ValueError, match="runs on tensorflow only"):
        layer(jnp.asarray(x))
    with pytest.raises(ValueError, match="runs on tensorflow only"):
        model.predict(jnp.asarray(x), verbose=0)


def test_checkpointing_does_not_change_a_models_jax_tree_structure(tmp_path):
    jax = pytest.importorskip("jax")
    saved, fresh = _dropout_model(0), _dropout_model(0)
    tf.train.Checkpoint(model=saved).save(str(tmp_path / "c"))  # TF bookkeeping on it
    saved._move_to("jax")
    fresh._move_to("jax")
    assert jax.tree_util.tree_structure(saved) == jax.tree_util.tree_structure(fresh)
