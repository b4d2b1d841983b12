"""StringLookup, IntegerLookup, Hashing, HashedCrossing, Discretization and
TextVectorization against Keras 3 itself (a subprocess: property_tests/keras_oracle.py),
on every installed framework: string inputs as NumPy under that framework's scope
(the output lands there), numeric inputs as that framework's arrays."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

import unikeras as keras
from unikeras import layers
from unikeras.xp import framework_of, to_numpy

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "property_tests"))
from keras_oracle import keras_reference  # noqa: E402

pytest.importorskip("keras")

WORDS = np.array([["a", "b", "zz"], ["c", "c", "a"], ["", "q", "b"]])
TEXT = ["The cat sat on the mat.", "the DOG, sat!  On a log", "Ünïcode cat\tand\nDOG",
        "a cat; a dog? the end"]


def ref(cls, config, adapt=None, calls=()):
    return keras_reference(("data_layer", cls, config, adapt, list(calls)))


def on(fw, layer, x):
    """Call ``layer`` on host data under ``fw``'s scope: the output must land there."""
    with keras.framework_scope(fw):
        y = layer(x)
    assert framework_of(y) == fw, f"{type(layer).__name__}: output on {framework_of(y)}"
    return np.asarray(to_numpy(y))


def same(got, want):
    assert got.shape == want.shape, (got.shape, want.shape)
    if want.dtype.kind == "f":
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)
    else:
        np.testing.assert_array_equal(got, want)


# ------------------------------------------------------------------ StringLookup
LOOKUP_CASES = [
    dict(vocabulary=["a", "b", "c"]),
    dict(vocabulary=["a", "b", "c"], mask_token=""),
    dict(vocabulary=["a", "b", "c"], num_oov_indices=3),
    dict(vocabulary=["a", "b", "c"], num_oov_indices=3, salt=[7, 11]),
    dict(vocabulary=["a", "b", "c"], num_oov_indices=0, mask_token="zz"),
    dict(vocabulary=["[UNK]", "a", "b", "c"]),
]


@pytest.mark.parametrize("mode", ["int", "one_hot", "multi_hot", "count", "tf_idf"])
@pytest.mark.parametrize("ci", range(len(LOOKUP_CASES)))
def test_string_lookup_matches_keras(framework, mode, ci):
    config = dict(LOOKUP_CASES[ci], output_mode=mode)
    if ci == 4:  # num_oov_indices=0: every token must be known
        x = np.array([["a", "b", "zz"], ["c", "c", "a"]])
    else:
        x = WORDS
    if mode == "tf_idf":
        config["idf_weights"] = [0.5, 1.0, 2.0] if ci != 5 else [0.3, 0.5, 1.0, 2.0]
    if mode == "one_hot":
        x = x[:, :1]
    if mode != "int" and ci == 4:
        config["pad_to_max_tokens"], config["max_tokens"] = True, 6
    want = ref("StringLookup", config, calls=[(x, False)])["outs"][0]
    got = on(framework, layers.StringLookup(**config), x)
    same(got, want)


def test_string_lookup_oov_zero_refuses_unknown():
    layer = layers.StringLookup(vocabulary=["a"], num_oov_indices=0)
    with pytest.raises(ValueError, match="num_oov_indices=0"):
        layer(np.array(["a", "b"]))


def test_string_lookup_invert_and_vocabulary():
    config = dict(vocabulary=["a", "b", "c"], invert=True, mask_token="[M]")
    x = np.array([[0, 1, 2, 3, 4, 9]])
    answer = ref("StringLookup", config, calls=[(x, True)])
    got = layers.StringLookup(**config)(x)
    assert got.dtype == object and got.tolist() == answer["outs"][0].tolist()
    assert layers.StringLookup(**config).get_vocabulary() == answer["vocab"]


# ------------------------------------------------------------------ adapt sources
def _batches():
    for i in range(0, len(WORDS), 2):
        yield WORDS[i:i + 2]


def _sources():
    import tensorflow as tf

    return {
        "array": lambda: WORDS,
        "list": lambda: WORDS.tolist(),
        "tf.data": lambda: tf.data.Dataset.from_tensor_slices(WORDS).batch(2),
        "generator": _batches,
    }


@pytest.mark.parametrize("source", ["array", "list", "tf.data", "generator"])
@pytest.mark.parametrize("mode", ["int", "tf_idf"])
def test_string_lookup_adapt_matches_keras(source, mode):
    config = dict(output_mode=mode, mask_token="", num_oov_indices=2, max_tokens=6)
    answer = ref("StringLookup", config, adapt=WORDS, calls=[(WORDS, False)])
    layer = layers.StringLookup(**config)
    layer.adapt(_sources()[source]())
    assert layer.get_vocabulary() == answer["vocab"]
    same(np.asarray(to_numpy(layer(WORDS))), answer["outs"][0])


@pytest.mark.parametrize("cfg", [dict(), dict(num_oov_indices=3),
                                 dict(num_oov_indices=3, oov_method="farmhash"),
                                 dict(num_oov_indices=2, oov_method="farmhash", salt=5),
                                 dict(mask_token=0, output_mode="multi_hot"),
                                 dict(output_mode="count", max_tokens=4),
                                 dict(output_mode="tf_idf")])
def test_integer_lookup_matches_keras(framework, to_fw, cfg):
    data = np.array([[1, 2, 2], [3, 3, 3], [7, 0, 1]], dtype=np.int64)
    x = np.array([[1, 7, 8], [9, 2, -4], [0, 3, 12]], dtype=np.int64)
    answer = ref("IntegerLookup", cfg, adapt=data, calls=[(x, False)])
    layer = layers.IntegerLookup(**cfg)
    layer.adapt(to_fw(data, framework))
    assert [int(v) for v in layer.get_vocabulary()] == [int(v) for v in answer["vocab"]]
    y = layer(to_fw(x, framework))
    assert framework_of(y) == framework
    same(np.asarray(to_numpy(y)), answer["outs"][0])


def test_integer_lookup_invert(framework, to_fw):
    layer = layers.IntegerLookup(vocabulary=[12, 36, 1138, 42], invert=True)
    y = layer(to_fw(np.array([[1, 3, 4], [0, 2, 9]]), framework))
    np.testing.assert_array_equal(to_numpy(y), [[12, 1138, 42], [-1, 36, -1]])


# ------------------------------------------------------------------ Hashing
@pytest.mark.parametrize("cfg", [dict(num_bins=5), dict(num_bins=7, salt=[3, 9]),
                                 dict(num_bins=5, salt=133),
                                 dict(num_bins=4, mask_value="b"),
                                 dict(num_bins=6, output_mode="multi_hot"),
                                 dict(num_bins=6, output_mode="count"),
                                 dict(num_bins=6, output_mode="one_hot")])
def test_hashing_strings_match_keras(framework, cfg):
    x = np.array([["a"], ["b"], ["c"], ["hello world"], ["b"]])
    if cfg.get("output_mode") in ("multi_hot", "count"):
        x = np.array([["a", "b", "b"], ["c", "d", "a"]])
    want = ref("Hashing", cfg, calls=[(x, False)])["outs"][0]
    same(on(framework, layers.Hashing(**cfg), x), want)


@pytest.mark.parametrize("cfg", [dict(num_bins=5), dict(num_bins=9, mask_value=0),
                                 dict(num_bins=5, salt=[1, 2])])
def test_hashing_numbers_match_keras(framework, to_fw, cfg):
    ints = np.array([[0, 1, -3, 1234567890]], dtype=np.int64)
    floats = np.array([1.5, 2.7, -3.2, 0.0], dtype=np.float32)
    answer = ref("Hashing", cfg, calls=[(ints, False), (floats, False)])
    layer = layers.Hashing(**cfg)
    for x, want in zip((ints, floats), answer["outs"]):
        y = layer(to_fw(x, framework))
        assert framework_of(y) == framework
        same(np.asarray(to_numpy(y)), want)


def test_hashed_crossing_matches_keras(framework, to_fw):
    a = np.array([1, 2, 3, -4], dtype=np.int64)
    b = np.array(["a", "b", "c", "d"])
    c = np.array([[5], [6], [7], [8]], dtype=np.int64)
    answer = ref("HashedCrossing", dict(num_bins=11),
                 calls=[((a, b), False), ((c, c * 3), False)])
    with keras.framework_scope(framework):
        got = layers.HashedCrossing(num_bins=11)((a, b))
    same(np.asarray(to_numpy(got)), answer["outs"][0])
    got = layers.HashedCrossing(num_bins=11)((to_fw(c, framework), to_fw(c * 3, framework)))
    assert framework_of(got) == framework
    same(np.asarray(to_numpy(got)), answer["outs"][1])
    oh = ref("HashedCrossing", dict(num_bins=5, output_mode="one_hot"),
             calls=[((a, b), False)])["outs"][0]
    with keras.framework_scope(framework):
        got = layers.HashedCrossing(num_bins=5, output_mode="one_hot")((a, b))
    same(np.asarray(to_numpy(got)), oh)


# ------------------------------------------------------------------ Discretization
@pytest.mark.parametrize("mode", ["int", "one_hot", "multi_hot", "count"])
def test_discretization_matches_keras(any_framework, to_fw, mode):
    x = np.array([[-1.5, 0.0, 0.2], [1.0, 2.5, 0.7]], dtype=np.float32)
    cfg = dict(bin_boundaries=[0.0, 0.5, 1.0], output_mode=mode)
    want = ref("Discretization", cfg, calls=[(x, False)])["outs"][0]
    y = layers.Discretization(**cfg)(to_fw(x, any_framework))
    assert framework_of(y) == any_framework
    got = np.asarray(to_numpy(y))
    assert got.dtype == want.dtype or (got.dtype.kind == want.dtype.kind == "i")
    same(got, want)


@pytest.mark.parametrize("source", ["array", "generator", "tf.data"])
def test_discretization_adapt_matches_keras(source):
    import tensorflow as tf

    rng = np.random.default_rng(0)
    data = rng.normal(size=(200, 1)).astype(np.float32)
    answer = ref("Discretization", dict(num_bins=4, epsilon=0.05), adapt=data,
                 calls=[(data[:5], False)])
    layer = layers.Discretization(num_bins=4, epsilon=0.05)
    src = {"array": data, "generator": (data[i:i + 50] for i in range(0, 200, 50)),
           "tf.data": tf.data.Dataset.from_tensor_slices(data).batch(200)}[source]
    layer.adapt(src)
    if source == "generator":  # merged summaries: the same quantiles within epsilon
        np.testing.assert_allclose(layer.bin_boundaries, answer["bins"], atol=0.15)
    else:
        np.testing.assert_allclose(layer.bin_boundaries, answer["bins"], rtol=1e-6)
        same(np.asarray(to_numpy(layer(data[:5]))), answer["outs"][0])


def test_discretization_under_jit():
    import jax

    layer = layers.Discretization(bin_boundaries=[0.0, 1.0])
    y = jax.jit(lambda x: layer(x))(jax.numpy.asarray([-1.0, 0.5, 3.0]))
    np.testing.assert_array_equal(np.asarray(y), [0, 1, 2])


# ------------------------------------------------------------------ TextVectorization
TV_CASES = {
    "int": dict(),
    "int_len": dict(output_sequence_length=5),
    "ngrams": dict(ngrams=2, output_sequence_length=12),
    "chars": dict(split="character", standardize="lower", output_sequence_length=8),
    "max_tokens": dict(max_tokens=6, output_mode="multi_hot"),
    "count": dict(output_mode="count", ngrams=(1, 3)),
    "tf_idf": dict(output_mode="tf_idf", pad_to_max_tokens=True, max_tokens=20),
    "no_split": dict(split=None, standardize=None),
}


@pytest.mark.parametrize("case", list(TV_CASES))
def test_text_vectorization_matches_keras(framework, case):
    cfg = TV_CASES[case]
    x = np.array([["the cat ate a dog"], ["Ünïcode  dog, DOG!"], ["zzz"]])
    data = np.array(TEXT) if case != "no_split" else np.array(["a", "b", "b", "c"])
    if case == "no_split":
        x = np.array([["a"], ["c"], ["q"]])
    answer = ref("TextVectorization", cfg, adapt=data, calls=[(x, False)])
    layer = layers.TextVectorization(**cfg)
    layer.adapt(data)
    assert layer.get_vocabulary() == answer["vocab"]
    same(on(framework, layer, x), answer["outs"][0])


def _tf_lower_strip(t):
    import tensorflow as tf

    return tf.strings.regex_replace(tf.strings.lower(t), "[^a-z ]", "")


def _tf_split_on_a(t):
    import tensorflow as tf

    return tf.strings.split(t, sep="a")


def test_text_vectorization_tf_callables_in_tf_data():
    """A Keras-style custom_standardization / split written with tf.strings, adapted on
    a tf.data dataset and mapped over one: the same numbers as Keras."""
    import tensorflow as tf

    import keras_oracle  # noqa: F401  (the Keras side needs the callables: compare to formula)

    tv = layers.TextVectorization(standardize=_tf_lower_strip, split=_tf_split_on_a,
                                  output_sequence_length=4)
    ds = tf.data.Dataset.from_tensor_slices(TEXT).batch(2)
    tv.adapt(ds)
    out = np.concatenate(list(ds.map(tv).as_numpy_iterator()))
    # reference: the same pipeline computed with tf ops and Python counting
    toks = [[t.decode() for t in r] for r in _tf_split_on_a(_tf_lower_strip(tf.constant(TEXT))).to_list()]
    from collections import Counter

    counts = Counter(t for r in toks for t in r)
    counts.pop("", None)
    vocab = ["", "[UNK]"] + sorted(counts, key=lambda t: (counts[t], t.encode()), reverse=True)
    assert tv.get_vocabulary() == vocab
    want = np.zeros((len(TEXT), 4), dtype=np.int64)
    for i, r in enumerate(toks):
        ids = [0 if t == "" else vocab.index(t) for t in r][:4]
        want[i, :len(ids)] = ids
    np.testing.assert_array_equal(out, want)


def test_text_vectorization_numpy_callable_and_ragged():
    import tensorflow as tf

    def std(a):  # on NumPy data a callable receives a NumPy array of str
        assert isinstance(a, np.ndarray)
        return np.char.upper(a.astype(str))

    tv = layers.TextVectorization(standardize=std)
    tv.adapt(["a b", "b c"])
    assert tv.get_vocabulary() == ["", "[UNK]", "B", "C", "A"]
    rg = layers.TextVectorization(vocabulary=["x", "y"], ragged=True)
    r = rg(tf.constant(["x y x", "y", ""]))
    assert isinstance(r, tf.RaggedTensor)
    assert r.to_list() == [[2, 3, 2], [3], []]
    with pytest.raises(ValueError, match="ragged=True"):
        rg(np.array(["x"]))


def test_text_vectorization_inside_tf_function_graph():
    import tensorflow as tf

    tv = layers.TextVectorization(vocabulary=["cat", "dog"], output_sequence_length=3)
    f = tf.function(lambda s: tv(s))
    out = f(tf.constant(["dog cat bird", "cat"]))
    assert out.shape == (2, 3)
    np.testing.assert_array_equal(out.numpy(), [[3, 2, 1], [2, 0, 0]])


# ------------------------------------------------------------------ vocabulary files
def test_vocabulary_file_local_only(tmp_path):
    path = tmp_path / "vocab.txt"
    path.write_text("a\nb\nc\n", encoding="utf-8")
    layer = layers.StringLookup(vocabulary=str(path))
    assert layer.get_vocabulary() == ["[UNK]", "a", "b", "c"]
    np.testing.assert_array_equal(to_numpy(layer(np.array(["c", "x"]))), [3, 0])
    tv = layers.TextVectorization(vocabulary=str(path))
    assert tv.get_vocabulary() == ["", "[UNK]", "a", "b", "c"]
    for bad in ("http://example.invalid/vocab.txt", "gs://bucket/vocab.txt",
                "file:///etc/passwd", "//server/share/vocab.txt"):
        with pytest.raises(ValueError, match="local"):
            layers.StringLookup(vocabulary=bad)
    with pytest.raises(ValueError, match="does not exist"):
        layers.StringLookup(vocabulary=str(tmp_path / "missing.txt"))
    with pytest.raises(ValueError, match="regular file"):
        layers.StringLookup(vocabulary=str(tmp_path))


def test_vocabulary_file_refused_while_loading_in_safe_mode(tmp_path):
    path = tmp_path / "vocab.txt"
    path.write_text("a\nb\n", encoding="utf-8")
    cfg = layers.StringLookup(vocabulary=["a"]).get_config()
    cfg["vocabulary"] = str(path)
    from unikeras.utils.serialization import SafeModeScope

    # (a TypeError around it, as Keras' from_config wraps a constructor's failure)
    with SafeModeScope(True), pytest.raises(TypeError, match="outside of the model archive"):
        layers.StringLookup.from_config(cfg)
    with SafeModeScope(False):
        assert layers.StringLookup.from_config(cfg).get_vocabulary() == ["[UNK]", "a", "b"]


# ------------------------------------------------------------------ config and .keras
def test_configs_round_trip():
    tv = layers.TextVectorization(max_tokens=10, ngrams=2, output_mode="tf_idf")
    tv.adapt(TEXT)
    lk = layers.IntegerLookup(num_oov_indices=2, oov_method="farmhash", salt=3)
    lk.adapt(np.array([5, 5, 6, 9]))
    for layer, x in ((tv, np.array(TEXT)), (lk, np.array([5, 6, 7, 100])),
                     (layers.Hashing(num_bins=4, salt=1), np.array(["a", "b"])),
                     (layers.Discretization(bin_boundaries=[0.5]), np.array([0.1, 0.9]))):
        clone = type(layer).from_config(layer.get_config())
        with keras.framework_scope("numpy"):
            np.testing.assert_allclose(to_numpy(clone(x)), to_numpy(layer(x)))


def test_keras_file_round_trip_with_string_input(tmp_path, framework):
    tv = layers.TextVectorization(output_sequence_length=6)
    tv.adapt(TEXT)
    inp = keras.Input(shape=(1,), dtype="string")
    h = layers.Embedding(tv.vocabulary_size(), 4)(tv(inp))
    out = layers.Dense(1)(layers.GlobalAveragePooling1D()(h))
    model = keras.Model(inp, out)
    x = np.array([[t] for t in TEXT])
    with keras.framework_scope(framework):
        before = np.asarray(to_numpy(model(x)))
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    with keras.framework_scope(framework):
        after = loaded(x)
    assert framework_of(after) == framework
    np.testing.assert_allclose(np.asarray(to_numpy(after)), before, rtol=1e-5, atol=1e-6)
    assert loaded.layers[1].get_vocabulary() == tv.get_vocabulary()


# ------------------------------------------------------------------ pipelines
def test_tf_data_pipeline_feeds_torch_trained_model():
    import tensorflow as tf
    import torch

    labels = np.array([1.0, 0.0, 1.0, 0.0], dtype=np.float32)
    tv = layers.TextVectorization(output_mode="multi_hot", max_tokens=16,
                                  pad_to_max_tokens=True)
    tv.adapt(TEXT)
    ds = tf.data.Dataset.from_tensor_slices((TEXT, labels)).batch(2).map(
        lambda s, y: (tv(s), y))
    model = keras.Sequential([keras.Input(shape=(16,)), layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="sgd", loss="binary_crossentropy")
    with keras.framework_scope("torch"):
        hist = model.fit(ds, epochs=2, verbose=0)
    assert isinstance(model.layers[0].kernel.value, torch.Tensor)
    feats = np.asarray(tv(tf.constant(TEXT)))
    np.testing.assert_array_equal(feats, np.concatenate(list(ds.map(lambda a, b: a)
                                                             .as_numpy_iterator())))
    assert np.isfinite(hist.history["loss"]).all()


class _TextSet:
    def __init__(self, layer):
        self.layer = layer

    def __len__(self):
        return len(TEXT)

    def __getitem__(self, i):
        with keras.framework_scope("numpy"):  # a worker hands NumPy to torch's collate
            return self.layer(np.array([TEXT[i]]))[0]


def test_torch_dataloader_workers():
    import torch

    tv = layers.TextVectorization(output_sequence_length=5)
    tv.adapt(TEXT)
    loader = torch.utils.data.DataLoader(_TextSet(tv), batch_size=2, num_workers=2)
    got = torch.cat(list(loader)).numpy()
    with keras.framework_scope("numpy"):
        np.testing.assert_array_equal(got, tv(np.array(TEXT)))


_KERAS_SAVES = r'''
import os, sys; os.environ["KERAS_BACKEND"] = "jax"
import numpy as np, keras, tensorflow as tf
d = sys.argv[1]
tv = keras.layers.TextVectorization(output_sequence_length=5)
tv.adapt(["the cat sat", "the dog ran", "a cat"])
inp = keras.Input(shape=(1,), dtype="string")
keras.Model(inp, tv(inp)).save(os.path.join(d, "tv.keras"))
sl = keras.layers.StringLookup(output_mode="tf_idf")
sl.adapt(np.array([["a", "b"], ["a", "c"], ["d", "a"]]))
i2 = keras.Input(shape=(2,), dtype="string")
keras.Model(i2, sl(i2)).save(os.path.join(d, "sl.keras"))
x1, x2 = [["the cat ran far"], ["dog"]], [["a", "q"], ["c", "d"]]
np.savez(os.path.join(d, "ref.npz"), tv=np.asarray(tv(np.array(x1))), sl=np.asarray(sl(np.array(x2))))
'''


def test_loads_keras_written_vocabulary_assets(tmp_path):
    """Keras writes an adapted vocabulary as assets/<layer path>/vocabulary.txt (and the
    tf_idf weights in model.weights.h5): both load, as data, and compute what Keras did."""
    import os
    import subprocess

    env = dict(os.environ, KERAS_BACKEND="jax", JAX_PLATFORMS="cpu", TF_CPP_MIN_LOG_LEVEL="3")
    subprocess.run([sys.executable, "-c", _KERAS_SAVES, str(tmp_path)], check=True, env=env,
                   capture_output=True, timeout=300)
    ref = np.load(tmp_path / "ref.npz")
    tv = keras.saving.load_model(tmp_path / "tv.keras")
    sl = keras.saving.load_model(tmp_path / "sl.keras")
    with keras.framework_scope("numpy"):
        np.testing.assert_array_equal(tv(np.array([["the cat ran far"], ["dog"]])), ref["tv"])
        np.testing.assert_allclose(sl(np.array([["a", "q"], ["c", "d"]])), ref["sl"], rtol=1e-6)


@pytest.mark.parametrize("cls,cfg,x", [
    ("StringLookup", dict(vocabulary=["a", "b", "c"], output_mode="multi_hot"), WORDS),
    ("IntegerLookup", dict(vocabulary=[4, 5], output_mode="count"),
     np.array([[4, 4, 9], [5, 1, 4]])),
    ("Hashing", dict(num_bins=5, output_mode="one_hot"), np.array(["a", "b", "q"])),
    ("Discretization", dict(bin_boundaries=[0.0, 1.0], output_mode="count"),
     np.array([[-1.0, 0.5, 0.7], [2.0, 3.0, -4.0]], dtype=np.float32)),
])
def test_sparse_outputs_on_tensorflow(cls, cfg, x):
    """sparse=True (Keras: TF backend only) gives a tf.SparseTensor holding Keras' dense
    result on TensorFlow, and a clear error on other frameworks."""
    import tensorflow as tf

    want = ref(cls, cfg, calls=[(x, False)])["outs"][0]
    layer = getattr(layers, cls)(sparse=True, **cfg)
    out = layer(tf.constant(x))
    assert isinstance(out, tf.SparseTensor)
    np.testing.assert_allclose(tf.sparse.to_dense(out).numpy(), want)
    with keras.framework_scope("tensorflow"):
        assert isinstance(layer(x), tf.SparseTensor)
    with keras.framework_scope("torch"), pytest.raises(ValueError, match="tf.SparseTensor"):
        layer(x)


def _string_model():
    keras.utils.set_random_seed(1)
    tv = layers.TextVectorization(output_mode="multi_hot", vocabulary=["cat", "dog", "sat",
                                                                       "the", "log"])
    inp = keras.Input(shape=(1,), dtype="string")
    out = layers.Dense(1)(tv(inp))
    return keras.Model(inp, out)


def test_string_input_model_trains_in_native_torch_loop():
    """A model whose first layer takes strings, trained the PyTorch way: the host step
    gives torch tensors, autograd reaches the Dense weights, the loss falls."""
    import torch

    x = np.array([[t] for t in TEXT])
    y = torch.tensor([[1.0], [0.0], [1.0], [0.0]])
    model = _string_model()
    with keras.framework_scope("torch"):
        model(x)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    losses = []
    for _ in range(20):
        loss = torch.nn.functional.mse_loss(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss))
    assert losses[-1] < 0.5 * losses[0]


def test_string_input_model_under_jax_grad():
    import jax

    x = np.array([[t] for t in TEXT])
    y = jax.numpy.asarray([[1.0], [0.0], [1.0], [0.0]])
    model = _string_model()
    with keras.framework_scope("jax"):
        model(x)

    def loss_fn(m):
        return jax.numpy.mean((m(x) - y) ** 2)

    grads = jax.grad(loss_fn)(model)
    g = np.asarray(grads.layers[-1].kernel.value if hasattr(grads.layers[-1].kernel, "value")
                   else grads.layers[-1].kernel)
    feats = np.asarray(model.layers[1](x), dtype=np.float64)
    k, b = (np.asarray(w, dtype=np.float64) for w in model.layers[-1].get_weights())
    want = feats.T @ (2 * (feats @ k + b - np.asarray(y)) / len(x))
    np.testing.assert_allclose(g, want, rtol=1e-4, atol=1e-5)


def test_ragged_tf_inputs_int_mode():
    import tensorflow as tf

    layer = layers.StringLookup(vocabulary=["a", "b"])
    r = layer(tf.ragged.constant([["a", "b", "q"], ["b"]]))
    assert isinstance(r, tf.RaggedTensor) and r.to_list() == [[1, 2, 0], [2]]
    ds = tf.data.Dataset.from_tensor_slices(["a b", "b q a"]).map(
        lambda s: layer(tf.strings.split(s)))
    assert [t.numpy().tolist() for t in ds] == [[1, 2], [2, 0, 1]]


def test_integer_lookup_traces_under_jit_and_fits_on_jax():
    import jax

    layer = layers.IntegerLookup(vocabulary=[12, 36, 1138, 42], num_oov_indices=2,
                                 mask_token=0)
    x = np.array([[12, 7, 0], [42, 1138, 8]])
    want = ref("IntegerLookup", dict(vocabulary=[12, 36, 1138, 42], num_oov_indices=2,
                                     mask_token=0), calls=[(x, False)])["outs"][0]
    got = jax.jit(lambda a: layer(a))(jax.numpy.asarray(x))
    np.testing.assert_array_equal(np.asarray(got), want)
    inp = keras.Input(shape=(3,), dtype="int32")
    h = layers.IntegerLookup(vocabulary=list(range(10)), output_mode="multi_hot")(inp)
    model = keras.Model(inp, layers.Dense(1)(h))
    model.compile(optimizer="sgd", loss="mse")
    data = np.random.default_rng(0).integers(0, 12, size=(32, 3))
    with keras.framework_scope("jax"):
        hist = model.fit(data, data[:, :1].astype("float32") / 10, epochs=2, verbose=0)
    assert np.isfinite(hist.history["loss"]).all()
