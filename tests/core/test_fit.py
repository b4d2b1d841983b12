"""compile / fit / evaluate / predict on every framework, one model definition."""

import numpy as np
import pytest

import unikeras as keras
from unikeras import layers, xp


def _data(n=512, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 10)).astype("float32")
    w = rng.normal(size=(10, 3))
    y = (x @ w).argmax(-1).astype("int64")
    return x, y


def _mlp(seed=0):
    keras.utils.set_random_seed(seed)
    return keras.Sequential([layers.Input((10,)), layers.Dense(32, activation="relu"),
                             layers.Dense(3, activation="softmax")])


def test_fit_evaluate_predict(framework, to_fw):
    x, y = _data()
    model = _mlp()
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    hist = model.fit(to_fw(x, framework), to_fw(y, framework), batch_size=32, epochs=4, verbose=0,
                     validation_split=0.2)
    assert model.framework == framework
    losses = hist.history["loss"]
    assert losses[-1] < losses[0] * 0.6
    assert set(hist.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    scores = model.evaluate(to_fw(x, framework), to_fw(y, framework), return_dict=True, verbose=0)
    assert scores["accuracy"] > 0.85
    pred = model.predict(to_fw(x[:70], framework), batch_size=32, verbose=0)
    assert xp.framework_of(pred) == framework and tuple(pred.shape) == (70, 3)
    np.testing.assert_allclose(xp.to_numpy(pred).sum(-1), 1.0, rtol=1e-5)
    host = model.predict(x[:5], verbose=0)
    assert isinstance(host, np.ndarray)


def test_same_model_and_seed_agree_across_frameworks():
    """Same initial weights (host initializers), same batch order: epoch losses agree
    to within float32 reduction-order noise."""
    x, y = _data(256)
    results = {}
    for fw in xp.installed_frameworks():
        xp.set_default_framework(fw)
        model = _mlp(seed=3)
        model.compile(optimizer=keras.optimizers.SGD(0.1, momentum=0.9),
                      loss="sparse_categorical_crossentropy")
        hist = model.fit(x, y, batch_size=32, epochs=4, verbose=0)
        assert model.framework == fw
        results[fw] = np.asarray(hist.history["loss"])
    ref = next(iter(results.values()))
    for fw, losses in results.items():
        np.testing.assert_allclose(losses, ref, rtol=2e-4, err_msg=f"{fw} disagrees")


def test_framework_follows_the_data_with_one_model(to_fw):
    fws = xp.installed_frameworks()
    if len(fws) < 2:
        pytest.skip("needs two frameworks")
    x, y = _data(128)
    model = _mlp()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    for fw in fws:
        model.fit(to_fw(x, fw), to_fw(y, fw), epochs=1, batch_size=64, verbose=0)
        assert model.framework == fw
    ref = model.predict(x[:8], verbose=0)
    for fw in fws:
        out = model(to_fw(x[:8], fw))
        assert xp.framework_of(out) == fw
        np.testing.assert_allclose(xp.to_numpy(out), ref, rtol=1e-5, atol=1e-6)


def test_train_and_test_on_batch(framework, to_fw):
    x, y = _data(64)
    model = _mlp()
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    first = model.train_on_batch(to_fw(x, framework), to_fw(y, framework), return_dict=True)
    for _ in range(20):
        last = model.train_on_batch(to_fw(x, framework), to_fw(y, framework), return_dict=True)
    assert last["loss"] < first["loss"]
    logs = model.test_on_batch(to_fw(x, framework), to_fw(y, framework), return_dict=True)
    assert set(logs) == {"loss", "accuracy"}
    out = model.predict_on_batch(to_fw(x[:3], framework))
    assert tuple(out.shape) == (3, 3)


def test_sample_and_class_weights(framework, to_fw):
    x, y = _data(128)
    model = _mlp()
    model.compile(optimizer=keras.optimizers.SGD(0.0), loss="sparse_categorical_crossentropy")
    zero = model.evaluate(x, y, sample_weight=np.zeros(128, "float32"), verbose=0)
    assert zero == 0.0
    full = model.evaluate(x, y, verbose=0)
    half = model.evaluate(x, y, sample_weight=np.full(128, 0.5, "float32"), verbose=0)
    np.testing.assert_allclose(half, full / 2, rtol=1e-5)
    hist = model.fit(to_fw(x, framework), to_fw(y, framework), class_weight={0: 0.0, 1: 0.0, 2: 0.0},
                     epochs=1, verbose=0)
    assert hist.history["loss"][0] == 0.0


def test_multi_output_losses_and_weights(framework, to_fw):
    x, y = _data(128)
    inp = layers.Input((10,))
    h = layers.Dense(8, activation="relu")(inp)
    cls = layers.Dense(3, activation="softmax", name="cls")(h)
    reg = layers.Dense(1, name="reg")(h)
    model = keras.Model(inp, [cls, reg])
    model.compile(optimizer="adam", loss=["sparse_categorical_crossentropy", "mse"],
                  loss_weights=[1.0, 0.5], metrics=[["accuracy"], []])
    yr = x[:, :1]
    hist = model.fit(to_fw(x, framework), [to_fw(y, framework), to_fw(yr, framework)], epochs=2,
                     verbose=0)
    assert "cls_accuracy" in hist.history and np.isfinite(hist.history["loss"]).all()
    logs = model.evaluate(x, [y, yr], return_dict=True, verbose=0)
    p = model.predict(x, verbose=0)
    ce = -np.log(p[0][np.arange(128), y]).mean()
    mse = ((p[1] - yr) ** 2).mean()
    np.testing.assert_allclose(logs["loss"], ce + 0.5 * mse, rtol=1e-4)


def test_x_and_y_of_different_lengths_is_an_error():
    x, y = _data(64)
    model = _mlp()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match="cardinality.*x=\\[64\\].*y=\\[60\\]"):
        model.fit(x, y[:60], verbose=0)


def test_loss_not_matching_output_shape_is_an_error(framework, to_fw):
    x, y = _data(64)
    model = _mlp()
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    with pytest.raises(ValueError, match="categorical_crossentropy.*y_true.shape=\\(64,\\).*y_pred.shape=\\(64, 3\\)"):
        model.fit(to_fw(x, framework), to_fw(y, framework), batch_size=64, verbose=0)


def test_empty_dataset_is_an_error():
    model = _mlp()
    model.compile(optimizer="adam", loss="mse")
    with pytest.raises(ValueError, match="0 samples"):
        model.fit(np.zeros((0, 10), "float32"), np.zeros((0, 3), "float32"), verbose=0)


def test_fit_before_compile_is_an_error():
    with pytest.raises(RuntimeError, match="compile"):
        _mlp().fit(*_data(8), verbose=0)


def test_numpy_is_inference_only():
    xp.set_default_framework("numpy")
    x, y = _data(16)
    model = _mlp()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    assert model.evaluate(x, y, return_dict=True, verbose=0)["loss"] > 0
    with pytest.raises(ValueError, match="inference only"):
        model.fit(x, y, verbose=0)


def test_list_results_follow_keras_order(framework, to_fw):
    """``return_dict=False`` lists the loss first, then the metrics in compile order (Keras
    3's ``_flatten_metrics_in_order``), whatever order the logs dict has."""
    x, y = _data(64)
    model = _mlp()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy",
                  metrics=["sparse_top_k_categorical_accuracy", "accuracy"])
    fx, fy = to_fw(x, framework), to_fw(y, framework)
    as_dict = model.evaluate(fx, fy, return_dict=True, verbose=0)
    as_list = model.evaluate(fx, fy, verbose=0)
    assert model.metrics_names[0] == "loss"
    assert as_list == [as_dict[k] for k in ("loss", "sparse_top_k_categorical_accuracy",
                                            "accuracy")]
    assert as_list[0] > 0.5 and 0.0 <= as_list[2] <= 1.0  # a loss, then an accuracy
    d = model.test_on_batch(fx, fy, return_dict=True)
    assert model.test_on_batch(fx, fy) == [d["loss"], d["sparse_top_k_categorical_accuracy"],
                                           d["accuracy"]]
    assert len(model.train_on_batch(fx, fy)) == 3


def test_history_and_logs_keys_in_keras_order(framework, to_fw):
    """Keras 3 sorts the logs (``pythonify_logs``); validation keys follow."""
    x, y = _data(64)
    model = _mlp()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy",
                  metrics=["sparse_top_k_categorical_accuracy", "accuracy"])
    seen = []
    cb = keras.callbacks.LambdaCallback(on_epoch_end=lambda e, logs: seen.append(list(logs)))
    h = model.fit(to_fw(x, framework), to_fw(y, framework), epochs=1, verbose=0,
                  validation_split=0.25, callbacks=[cb])
    train = ["accuracy", "loss", "sparse_top_k_categorical_accuracy"]
    assert list(h.history) == train + ["val_" + k for k in train]
    assert seen == [list(h.history)]
