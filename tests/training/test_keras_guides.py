"""Keras 3 behaviours that the keras.io guides rely on, checked on every framework:
numbers against Keras 3 itself (``_keras_guide_refs.py`` run in a subprocess on its JAX
backend), and whole guide-style programs (a GAN and a VAE that override only
``train_step``, callbacks that read ``logs.keys()``, uint8 images, a JAX ``test_step``
that walks ``self.metrics`` statelessly, Sequential ``inputs``/``outputs``, summaries of
unbuilt models, functions saved in ``.keras`` files)."""

from pathlib import Path

import numpy as np
import pytest

import unikeras as keras
from unikeras import layers, ops

pytest.importorskip("keras")

REFS_SCRIPT = Path(__file__).with_name("_keras_guide_refs.py")


@pytest.fixture(scope="module")
def keras_refs(keras_script_refs):
    """Keras 3's numbers and files (``refs["dir"]``), cached by the script's hash."""
    return keras_script_refs(REFS_SCRIPT)


# ------------------------------------------------------------------ numbers vs Keras
def test_gelu_activation_is_exact_by_default(framework, to_fw, to_np, keras_refs):
    # atol 1e-6: torch's exact F.gelu (what Keras' torch backend calls too) cancels in
    # float32 for x << 0 (5e-7 off at x=-4, where the tanh form is 5.7e-5 off)
    x = to_fw(np.linspace(-4.0, 3.0, 15).astype("float32"), framework)
    np.testing.assert_allclose(to_np(keras.activations.gelu(x)), keras_refs["gelu_act"],
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(to_np(layers.Activation("gelu")(x)),
                               keras_refs["gelu_layer"], rtol=1e-5, atol=1e-6)
    # only ops.gelu defaults to the tanh approximation
    np.testing.assert_allclose(to_np(ops.gelu(x)), keras_refs["gelu_ops"], rtol=1e-5,
                               atol=1e-6)
    assert abs(keras_refs["gelu_act"][0] - keras_refs["gelu_ops"][0]) > 5e-5


@pytest.mark.parametrize("reduction", ["sum_over_batch_size", "sum", "mean", "none"])
def test_sparse_crossentropy_ignore_class(framework, to_fw, to_np, keras_refs, reduction):
    y = to_fw(np.array([0, -1, 1, 2, -1, 2], "int32"), framework)
    logits = to_fw(np.random.default_rng(0).normal(size=(6, 3)).astype("float32"), framework)
    sw = to_fw(np.array([1.0, 2.0, 3.0, 4.0, 5.0, 0.5], "float32"), framework)
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=-1,
                                                      reduction=reduction)
    np.testing.assert_allclose(to_np(loss(y, logits)), keras_refs[f"sce_{reduction}"],
                               rtol=1e-5)
    np.testing.assert_allclose(to_np(loss(y, logits, sample_weight=sw)),
                               keras_refs[f"sce_{reduction}_sw"], rtol=1e-5)


def test_sparse_crossentropy_all_ignored_is_zero(framework, to_fw, to_np, keras_refs):
    loss = keras.losses.SparseCategoricalCrossentropy(ignore_class=-1)
    got = loss(to_fw(np.full((3,), -1, "int32"), framework),
               to_fw(np.full((3, 3), 1 / 3, "float32"), framework))
    np.testing.assert_allclose(to_np(got), keras_refs["sce_all_ignored"], atol=1e-7)


def test_multi_output_history_has_per_output_losses(framework, to_fw, keras_refs):
    r = keras_refs
    inp = keras.Input((4,))
    model = keras.Model(inp, [layers.Dense(3, name="cls")(inp),
                              layers.Dense(1, name="reg")(inp)])
    model.set_weights([r[f"multi_w{i}"] for i in range(4)])
    model.compile(keras.optimizers.SGD(0.1), loss=["mse", "mae"], loss_weights=[1.0, 0.5],
                  metrics=[["mae"], ["mse"]])
    x, y1, y2 = (to_fw(r[k], framework) for k in ("multi_x", "multi_y1", "multi_y2"))
    h = model.fit(x, [y1, y2], batch_size=4, epochs=2, shuffle=False, verbose=0,
                  validation_data=(x[:5], [y1[:5], y2[:5]]))
    want = {k[len("multi_hist_"):]: v for k, v in r.items() if k.startswith("multi_hist_")}
    assert {"cls_loss", "reg_loss", "val_cls_loss", "val_reg_loss"} <= set(want)
    assert set(h.history) == set(want)
    for k, v in want.items():
        np.testing.assert_allclose(h.history[k], v, rtol=2e-5, atol=1e-6, err_msg=k)
    # evaluate's list is in Keras' order: loss, per-output losses, then the rest sorted
    np.testing.assert_allclose(model.evaluate(x, [y1, y2], verbose=0), r["multi_eval_list"],
                               rtol=2e-5)
    assert model.metrics_names[:2] == ["loss", "compile_metrics"]


def test_keras_file_with_function_loss_loads(framework, to_fw, to_np, keras_refs):
    r = keras_refs
    model = keras.saving.load_model(r["dir"] / "function_loss.keras")
    assert model._user_loss is keras.losses.mean_squared_error
    x, y = to_fw(r["multi_x"], framework), to_fw(r["multi_y1"][:, :2], framework)
    np.testing.assert_allclose(model.evaluate(x, y, verbose=0), r["fn_eval"], rtol=1e-5)
    model.fit(x, y, batch_size=12, epochs=1, shuffle=False, verbose=0)
    np.testing.assert_allclose(to_np(model.predict(x, verbose=0)), r["fn_after_step"],
                               rtol=1e-5, atol=1e-6)


@keras.saving.register_keras_serializable(package="guides")
def scaled_tanh(x):
    return ops.tanh(x) * 2.0


@keras.saving.register_keras_serializable(package="guides")
def half_mse(y_true, y_pred):
    return ops.mean(ops.square(y_true - y_pred), axis=-1) * 0.5


@pytest.mark.parametrize("loss", ["builtin_fn", "registered_fn"])
def test_functions_save_and_load(framework, to_fw, to_np, tmp_path, loss):
    loss_fn = keras.losses.mean_squared_error if loss == "builtin_fn" else half_mse
    rng = np.random.default_rng(2)
    x = to_fw(rng.normal(size=(8, 3)).astype("float32"), framework)
    y = to_fw(rng.normal(size=(8, 2)).astype("float32"), framework)
    model = keras.Sequential([keras.Input((3,)), layers.Dense(2, activation=scaled_tanh)])
    model.compile(keras.optimizers.SGD(0.05), loss=loss_fn)
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    assert loaded.layers[0].activation is scaled_tanh
    assert loaded._user_loss is loss_fn
    assert loaded.loss is loss_fn
    np.testing.assert_allclose(loaded.evaluate(x, y, verbose=0), model.evaluate(x, y, verbose=0),
                               rtol=1e-6)
    want = to_np(loss_fn(y, model(x))).mean()
    np.testing.assert_allclose(loaded.evaluate(x, y, verbose=0), want, rtol=1e-5)


# ------------------------------------------------------------------ guide programs
def test_sequential_inputs_outputs_make_a_functional_model(framework, to_fw, to_np):
    model = keras.Sequential([layers.Dense(4, activation="relu"), layers.Dense(2)])
    with pytest.raises(AttributeError):
        model.inputs
    model.build((None, 3))
    assert [tuple(t.shape) for t in model.inputs] == [(None, 3)]
    assert [tuple(t.shape) for t in model.outputs] == [(None, 2)]
    x = to_fw(np.random.default_rng(3).normal(size=(5, 3)).astype("float32"), framework)
    extractor = keras.Model(inputs=model.inputs, outputs=model.outputs)
    np.testing.assert_allclose(to_np(extractor(x)[0]), to_np(model(x)), rtol=1e-6)
    with_input = keras.Sequential([keras.Input((3,)), layers.Dense(2)])
    assert with_input.input is with_input.inputs[0]
    assert tuple(with_input.output.shape) == (None, 2)


def test_summary_of_an_unbuilt_sequential_prints():
    lines = []
    model = keras.Sequential([layers.Dense(4, name="d1"), layers.Dense(2, name="d2")])
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert "d1 (Dense)" in text and "0 (unbuilt)" in text and "?" in text
    assert "Total params: 0" in text
    model.build((None, 3))
    lines.clear()
    model.summary(print_fn=lines.append)
    assert "Total params: 26" in "\n".join(lines)


def test_callbacks_always_get_dicts(framework, to_fw):
    seen = []

    class KeysLogger(keras.callbacks.Callback):
        def _log(self, name, logs):
            seen.append((name, sorted(logs.keys())))

        def on_train_begin(self, logs=None): self._log("train_begin", logs)
        def on_epoch_begin(self, epoch, logs=None): self._log("epoch_begin", logs)
        def on_train_batch_begin(self, batch, logs=None): self._log("train_batch_begin", logs)
        def on_epoch_end(self, epoch, logs=None): self._log("epoch_end", logs)
        def on_train_end(self, logs=None): self._log("train_end", logs)
        def on_test_begin(self, logs=None): self._log("test_begin", logs)
        def on_test_batch_begin(self, batch, logs=None): self._log("test_batch_begin", logs)
        def on_predict_begin(self, logs=None): self._log("predict_begin", logs)
        def on_predict_batch_begin(self, batch, logs=None): self._log("predict_batch_begin", logs)
        def on_predict_end(self, logs=None): self._log("predict_end", logs)

    model = keras.Sequential([keras.Input((3,)), layers.Dense(1)])
    model.compile("sgd", "mse", metrics=["mae"])
    x, y = to_fw(np.ones((4, 3), "float32"), framework), to_fw(np.ones((4, 1), "float32"), framework)
    model.fit(x, y, epochs=1, batch_size=2, verbose=0, callbacks=[KeysLogger()])
    model.evaluate(x, y, verbose=0, callbacks=[KeysLogger()])
    model.predict(x, verbose=0, callbacks=[KeysLogger()])
    got = dict(seen)
    assert got["train_begin"] == [] and got["predict_begin"] == []
    assert got["epoch_end"] == ["loss", "mae"] == got["train_end"]
    assert {"train_begin", "epoch_begin", "train_batch_begin", "test_begin",
            "test_batch_begin", "predict_begin", "predict_batch_begin", "predict_end"} <= set(got)


def test_uint8_images_are_cast_to_the_compute_dtype(framework, to_fw, to_np):
    class Net(keras.Model):
        def __init__(self):
            super().__init__()
            self.conv = layers.Conv2D(2, 3)
            self.flat = layers.Flatten()
            self.dense = layers.Dense(3)

        def call(self, x):
            return self.dense(self.flat(self.conv(x)))

    img = np.random.default_rng(4).integers(0, 255, size=(4, 6, 6, 1)).astype("uint8")
    model = Net()
    out = to_np(model(to_fw(img, framework)))
    np.testing.assert_allclose(out, to_np(model(to_fw(img.astype("float32"), framework))),
                               rtol=1e-6)
    model.compile("sgd", "mse")
    model.fit(to_fw(img, framework), to_fw(np.zeros((4, 3), "float32"), framework),
              epochs=1, verbose=0)
    assert to_np(model.predict(to_fw(img, framework), verbose=0)).dtype == np.float32


def _grads_of(framework, loss_fn, model, weights):
    """``(loss, aux), grads``: the gradient of ``loss_fn() -> (loss, aux)`` w.r.t.
    ``weights``, the way a user of the framework writes it in a custom train_step
    (keras.io's guides: GradientTape, backward(), jax.value_and_grad with has_aux)."""
    if framework == "tensorflow":
        import tensorflow as tf

        with tf.GradientTape() as tape:
            loss, aux = loss_fn()
        return (loss, aux), tape.gradient(loss, weights)
    if framework == "torch":
        model.zero_grad()
        loss, aux = loss_fn()
        loss.backward()
        return (loss, aux), [v.value.grad for v in weights]
    import jax

    from unikeras.state import swap_values

    def pure(vals):
        with swap_values(weights, vals):
            return loss_fn()

    return jax.value_and_grad(pure, has_aux=True)([v.value for v in weights])


def test_gan_overriding_train_step(framework, to_fw, to_np):
    """Keras' GAN guide shape: a Model with only train_step, two optimizers set in an
    overridden compile, metrics as a property. The discriminator must end where a plain
    fit on the same (fixed) combined batches ends. The guide runs on one backend
    (KERAS_BACKEND): arrays its train_step creates (ops.ones) land there."""
    keras.xp.set_default_framework(framework)
    keras.utils.set_random_seed(5)
    latent = 3

    def make_disc():
        return keras.Sequential([keras.Input((4,)), layers.Dense(5, activation="relu"),
                                 layers.Dense(1)], name="discriminator")

    disc = make_disc()
    gen = keras.Sequential([keras.Input((latent,)), layers.Dense(4)], name="generator")
    reference = make_disc()
    reference.set_weights(disc.get_weights())

    class GAN(keras.Model):
        def __init__(self, discriminator, generator):
            super().__init__()
            self.discriminator = discriminator
            self.generator = generator

        def compile(self, d_optimizer, loss_fn):
            super().compile()
            self.d_optimizer = d_optimizer
            self.loss_fn = loss_fn
            self.d_loss_metric = keras.metrics.Mean(name="d_loss")

        @property
        def metrics(self):
            return [self.d_loss_metric]

        def train_step(self, real):
            n = ops.shape(real)[0]
            fake = self.generator(ops.ones((n, latent)))
            combined = ops.concatenate([fake, real], axis=0)
            labels = ops.concatenate([ops.ones((n, 1)), ops.zeros((n, 1))], axis=0)
            w = self.discriminator.trainable_weights
            (d_loss, _), grads = _grads_of(framework, lambda: (self.loss_fn(
                labels, self.discriminator(combined)), ()), self, w)
            self.d_optimizer.apply_gradients(zip(grads, w))
            self.d_loss_metric.update_state(d_loss)
            return {"d_loss": self.d_loss_metric.result()}

    real = np.random.default_rng(6).normal(size=(8, 4)).astype("float32")
    gan = GAN(disc, gen)
    gan.compile(keras.optimizers.SGD(0.1), keras.losses.BinaryCrossentropy(from_logits=True))
    h = gan.fit(to_fw(real, framework), batch_size=4, epochs=2, shuffle=False, verbose=0)
    assert list(h.history) == ["d_loss"] and len(h.history["d_loss"]) == 2

    fake = to_np(gen(to_fw(np.ones((4, latent), "float32"), framework)))
    xs = np.concatenate([np.concatenate([fake, real[i:i + 4]]) for i in (0, 4)])
    ys = np.tile(np.concatenate([np.ones((4, 1)), np.zeros((4, 1))]), (2, 1)).astype("float32")
    reference.compile(keras.optimizers.SGD(0.1), keras.losses.BinaryCrossentropy(from_logits=True))
    ref_h = reference.fit(to_fw(xs, framework), to_fw(ys, framework), batch_size=8, epochs=2,
                          shuffle=False, verbose=0)
    for a, b in zip(disc.get_weights(), reference.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(h.history["d_loss"], ref_h.history["loss"], rtol=1e-5)


def test_vae_overriding_train_step(framework, to_fw):
    """Keras' VAE guide shape: encoder/decoder models, a Sampling layer, loss trackers
    as metrics, self.optimizer from compile()."""
    keras.xp.set_default_framework(framework)
    keras.utils.set_random_seed(7)

    class Sampling(layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.seed_generator = keras.random.SeedGenerator(1337)

        def call(self, inputs):
            z_mean, z_log_var = inputs
            eps = keras.random.normal(shape=ops.shape(z_mean), seed=self.seed_generator)
            return z_mean + ops.exp(0.5 * z_log_var) * eps

    enc_in = keras.Input((6,))
    h = layers.Dense(8, activation="relu")(enc_in)
    z_mean, z_log_var = layers.Dense(2, name="z_mean")(h), layers.Dense(2, name="z_log_var")(h)
    encoder = keras.Model(enc_in, [z_mean, z_log_var, Sampling()([z_mean, z_log_var])])
    dec_in = keras.Input((2,))
    decoder = keras.Model(dec_in, layers.Dense(6, activation="sigmoid")(
        layers.Dense(8, activation="relu")(dec_in)))

    class VAE(keras.Model):
        def __init__(self, encoder, decoder, **kwargs):
            super().__init__(**kwargs)
            self.encoder, self.decoder = encoder, decoder
            self.total_loss_tracker = keras.metrics.Mean(name="total_loss")
            self.reconstruction_loss_tracker = keras.metrics.Mean(name="reconstruction_loss")
            self.kl_loss_tracker = keras.metrics.Mean(name="kl_loss")

        @property
        def metrics(self):
            return [self.total_loss_tracker, self.reconstruction_loss_tracker,
                    self.kl_loss_tracker]

        def train_step(self, data):
            def loss_fn():
                z_mean, z_log_var, z = self.encoder(data)
                recon = self.decoder(z)
                rec = ops.mean(ops.sum(
                    keras.losses.binary_crossentropy(data[..., None], recon[..., None]), axis=1))
                kl = -0.5 * (1 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var))
                kl = ops.mean(ops.sum(kl, axis=1))
                return rec + kl, (rec, kl)

            w = self.trainable_weights
            (total, (rec, kl)), grads = _grads_of(framework, loss_fn, self, w)
            self.optimizer.apply_gradients(zip(grads, w))
            self.total_loss_tracker.update_state(total)
            self.reconstruction_loss_tracker.update_state(rec)
            self.kl_loss_tracker.update_state(kl)
            return {m.name: m.result() for m in self.metrics}

    data = np.random.default_rng(8).uniform(size=(16, 6)).astype("float32")
    vae = VAE(encoder, decoder)
    vae.compile(optimizer=keras.optimizers.Adam(1e-2))
    hist = vae.fit(to_fw(data, framework), epochs=3, batch_size=8, verbose=0).history
    assert set(hist) == {"total_loss", "reconstruction_loss", "kl_loss"}
    np.testing.assert_allclose(np.add(hist["reconstruction_loss"], hist["kl_loss"]),
                               hist["total_loss"], rtol=1e-5)
    assert hist["total_loss"][-1] < hist["total_loss"][0]


def test_jax_stateless_test_step_walking_metrics():
    """keras.io's "customizing evaluate with JAX": test_step(state, data) updates each of
    ``self.metrics`` statelessly and returns the last one's stateless_result as logs,
    which is the "compile_metrics" container's dict, as in Keras."""
    pytest.importorskip("jax")
    import jax.numpy as jnp

    class CustomModel(keras.Model):
        def test_step(self, state, data):
            x, y = data
            trainable_variables, non_trainable_variables, metrics_variables = state
            y_pred, non_trainable_variables = self.stateless_call(
                trainable_variables, non_trainable_variables, x, training=False)
            loss = self.compute_loss(x, y, y_pred)
            new_metrics_vars, logs = [], []
            for metric in self.metrics:
                this = metrics_variables[len(new_metrics_vars):
                                         len(new_metrics_vars) + len(metric.variables)]
                if metric.name == "loss":
                    this = metric.stateless_update_state(this, loss)
                else:
                    this = metric.stateless_update_state(this, y, y_pred)
                logs = metric.stateless_result(this)
                new_metrics_vars += this
            return logs, (trainable_variables, non_trainable_variables, new_metrics_vars)

    inputs = keras.Input((4,))
    model = CustomModel(inputs, layers.Dense(1)(inputs))
    model.compile(loss="mse", metrics=["mae"])
    rng = np.random.default_rng(9)
    x = jnp.asarray(rng.normal(size=(12, 4)).astype("float32"))
    y = jnp.asarray(rng.normal(size=(12, 1)).astype("float32"))
    got = model.evaluate(x, y, batch_size=4, verbose=0, return_dict=True)
    pred = np.asarray(model.predict(x, verbose=0))
    assert set(got) == {"mae"}
    np.testing.assert_allclose(got["mae"], np.abs(pred - np.asarray(y)).mean(), rtol=1e-5)
