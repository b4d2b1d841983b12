"""keras.utils.FeatureSpace against Keras 3 itself (property_tests/keras_oracle.py,
"feature_space" request), on every installed framework, and end to end: tf.data into a
torch-trained model, a Functional model from get_inputs/get_encoded_features, .keras
save and load."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

import unikeras as keras
from unikeras.xp import framework_of, to_numpy

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "property_tests"))
from keras_oracle import keras_reference  # noqa: E402

pytest.importorskip("keras")

FS = keras.utils.FeatureSpace
RNG = np.random.default_rng(3)
N = 50
DATA = {
    "f": RNG.normal(size=N).astype(np.float32),
    "r": RNG.uniform(0, 10, size=N).astype(np.float32),
    "n": RNG.normal(3.0, 2.0, size=N).astype(np.float32),
    "d": RNG.uniform(size=N).astype(np.float32),
    "i": RNG.integers(0, 6, size=N).astype(np.int64),
    "s": RNG.choice(["red", "green", "blue", "cyan"], size=N),
    "ih": RNG.integers(0, 100, size=N).astype(np.int64),
    "sh": RNG.choice(["x", "y", "z", "w", "v"], size=N),
}
FEATURES = {
    "f": "float",
    "r": ("float_rescaled", {"scale": 0.1, "offset": 1.0}),
    "n": "float_normalized",
    "d": ("float_discretized", {"num_bins": 4}),
    "i": "integer_categorical",
    "s": ("string_categorical", {"max_tokens": 4}),
    "ih": ("integer_hashed", {"num_bins": 8}),
    "sh": ("string_hashed", {"num_bins": 6}),
}
CALL = {k: v[:7] for k, v in DATA.items()}


def _make(**kwargs):
    feats = {n: (getattr(FS, f[0])(name=n, **f[1]) if isinstance(f, tuple) else f)
             for n, f in FEATURES.items()}
    fs = FS(features=feats, **kwargs)
    fs.adapt(DATA)
    return fs


def _ref(**kwargs):
    return keras_reference(("feature_space", FEATURES, kwargs, DATA, CALL))


@pytest.mark.parametrize("kwargs", [dict(), dict(crosses=[("i", "s"), ("s", "sh")],
                                                 crossing_dim=7)])
def test_concat_matches_keras(framework, kwargs):
    want = _ref(**kwargs)
    fs = _make(**kwargs)
    with keras.framework_scope(framework):
        got = fs(CALL)
    assert framework_of(got) == framework
    np.testing.assert_allclose(np.asarray(to_numpy(got)), want, rtol=1e-5, atol=1e-5)


def test_dict_output_matches_keras(framework):
    kwargs = dict(output_mode="dict", crosses=[("i", "s")], crossing_dim=5)
    want = _ref(**kwargs)
    got = _make(**kwargs)(CALL)
    assert sorted(got) == sorted(want)
    for k in want:
        np.testing.assert_allclose(np.asarray(to_numpy(got[k])), want[k], rtol=1e-5,
                                   atol=1e-5, err_msg=k)


def test_adapt_from_tf_data_and_single_sample():
    import tensorflow as tf

    ref = _make()
    feats = {n: (getattr(FS, f[0])(name=n, **f[1]) if isinstance(f, tuple) else f)
             for n, f in FEATURES.items()}
    fs = FS(features=feats)
    fs.adapt(tf.data.Dataset.from_tensor_slices(DATA))
    with keras.framework_scope("numpy"):
        np.testing.assert_allclose(fs(CALL), ref(CALL), rtol=1e-5, atol=1e-5)
        one = fs({k: v[0] for k, v in CALL.items()})
        assert one.shape == (ref(CALL).shape[1],)
        np.testing.assert_allclose(one, ref(CALL)[0], rtol=1e-5, atol=1e-5)


def test_tf_data_map_feeds_torch_trained_model():
    import tensorflow as tf
    import torch

    fs = _make(crosses=[("i", "s")], crossing_dim=4)
    y = (DATA["f"] > 0).astype(np.float32)
    ds = tf.data.Dataset.from_tensor_slices((DATA, y)).batch(10).map(
        lambda x, t: (fs(x), t))
    width = fs.get_encoded_features().shape[-1]
    model = keras.Sequential([keras.Input(shape=(width,)), keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy")
    with keras.framework_scope("torch"):
        model.fit(ds, epochs=2, verbose=0)
    assert isinstance(model.layers[0].kernel.value, torch.Tensor)
    with keras.framework_scope("numpy"):
        direct = fs(DATA)
    mapped = np.concatenate([a for a, _ in ds.as_numpy_iterator()])
    np.testing.assert_allclose(mapped, direct, rtol=1e-6, atol=1e-6)


def test_functional_model_on_raw_features_and_keras_file(tmp_path, framework):
    fs = _make(crosses=[("i", "s")], crossing_dim=4)
    inputs = fs.get_inputs()
    encoded = fs.get_encoded_features()
    out = keras.layers.Dense(1)(encoded)
    model = keras.Model(inputs, out)
    raw = {k: v[:7].reshape(-1, 1) for k, v in DATA.items()}
    with keras.framework_scope(framework):
        got = model(raw)
        assert framework_of(got) == framework
        enc = fs(CALL)
    kernel, bias = (np.asarray(w) for w in model.layers[-1].get_weights())
    np.testing.assert_allclose(np.asarray(to_numpy(got)),
                               np.asarray(to_numpy(enc)) @ kernel + bias, rtol=1e-5, atol=1e-5)
    fs.save(tmp_path / "fs.keras")
    loaded = keras.saving.load_model(tmp_path / "fs.keras")
    with keras.framework_scope("numpy"):
        np.testing.assert_allclose(loaded(CALL), fs(CALL), rtol=1e-6, atol=1e-6)


def test_errors():
    with pytest.raises(ValueError, match="cannot be None or empty"):
        FS(features={})
    with pytest.raises(ValueError, match="Invalid feature type"):
        FS(features={"a": "floaty"})
    fs = FS(features={"s": "string_categorical"})
    with pytest.raises(ValueError, match="adapt"):
        fs({"s": np.array(["a"])})
    with pytest.raises(ValueError, match="not been encoded"):
        f = FS(features={"s": FS.string_categorical(output_mode="int")})
        f.adapt({"s": np.array(["a", "b"])})
