"""The framework of a call is a scope; one rule for host data; Keras's state idioms
inside ``call`` (issue 10, items 1, 5, 7, 8). Written as Keras users write layers,
checked against NumPy references on every framework."""

import numpy as np
import pytest

import unikeras as keras
from unikeras import layers, ops, xp

from ..conftest import TRAINABLE


# ------------------------------------------------------------------ the call's framework
class TokenAndPositionEmbedding(layers.Layer):
    """The Keras Core announcement's layer: positions from ops.arange, made without
    array inputs, added to the token embeddings."""

    def __init__(self, maxlen, vocab_size, embed_dim, **kwargs):
        super().__init__(**kwargs)
        self.token_emb = layers.Embedding(input_dim=vocab_size, output_dim=embed_dim)
        self.pos_emb = layers.Embedding(input_dim=maxlen, output_dim=embed_dim)

    def call(self, x):
        maxlen = ops.shape(x)[-1]
        positions = ops.arange(start=0, stop=maxlen, step=1)
        positions = self.pos_emb(positions)
        x = self.token_emb(x)
        return x + positions


@pytest.mark.parametrize("default", TRAINABLE)
def test_token_and_position_embedding_runs_on_the_call_framework(framework, default, to_fw, to_np):
    xp.set_default_framework(default)
    ids = np.random.default_rng(0).integers(0, 20, size=(3, 6))
    layer = TokenAndPositionEmbedding(maxlen=6, vocab_size=20, embed_dim=4)
    y = layer(to_fw(ids, framework))
    assert xp.framework_of(y) == framework
    tok, pos = layer.token_emb.embeddings.numpy(), layer.pos_emb.embeddings.numpy()
    np.testing.assert_allclose(to_np(y), tok[ids] + pos[None], rtol=1e-6)


@pytest.mark.parametrize("library", ["numpy", "array_api_strict"])
def test_token_and_position_embedding_inference_libraries(library, to_fw, to_np):
    """Inference-only libraries: positions made inside the call are the call's own
    arrays (NumPy, array_api_strict) whatever the default framework is."""
    pytest.importorskip(library)
    ids = np.random.default_rng(1).integers(0, 20, size=(2, 5))
    layer = TokenAndPositionEmbedding(maxlen=5, vocab_size=20, embed_dim=3)
    x = to_fw(ids, library) if library != "numpy" else ids
    with keras.framework_scope(library):  # NumPy data runs on NumPy only when chosen
        y = layer(x)
    assert xp.framework_of(y) == library
    tok, pos = layer.token_emb.embeddings.numpy(), layer.pos_emb.embeddings.numpy()
    np.testing.assert_allclose(np.asarray(y), tok[ids] + pos[None], rtol=1e-6)


def test_array_less_creation_inside_call_follows_the_call(framework, to_fw, to_np):
    # default jax (or the first installed): a call on another framework still gets its own
    seen = {}

    class Creates(layers.Layer):
        def call(self, x):
            z, o, e = ops.zeros((2,)), ops.ones((2,)), ops.eye(2)
            r = keras.random.uniform((2,), seed=keras.random.SeedGenerator(1))
            init = keras.initializers.Constant(3.0)((2,))
            seen.update(z=z, o=o, e=e, r=r, init=init)
            return x + z + o + ops.sum(e, axis=0) + 0 * r + init

    out = Creates()(to_fw(np.zeros((1, 2), "float32"), framework))
    assert {k: xp.framework_of(v) for k, v in seen.items()} == dict.fromkeys(seen, framework)
    np.testing.assert_allclose(to_np(out), [[5.0, 5.0]])
    # outside any call: the default framework, and initializers give NumPy
    assert xp.framework_of(ops.zeros((2,))) == xp.default_framework()
    assert isinstance(keras.initializers.Constant(3.0)((2,)), np.ndarray)


def test_framework_scope(framework, to_np):
    with keras.framework_scope(framework):
        assert keras.config.backend() == framework
        a = ops.arange(3)
        w = keras.initializers.Ones()((2,))
        with keras.framework_scope("numpy"):
            assert xp.framework_of(ops.ones((1,))) == "numpy"
        assert xp.framework_of(ops.ones((1,))) == framework
    assert xp.framework_of(a) == framework and xp.framework_of(w) == framework
    np.testing.assert_array_equal(to_np(a), [0, 1, 2])
    assert xp.framework_of(ops.ones((1,))) == xp.default_framework()
    with pytest.raises(ValueError, match="unknown framework 'caffe'"):
        keras.framework_scope("caffe")


def test_device_scope(framework, to_fw):
    """keras.device: the frameworks' own device contexts (CPU here; a missing GPU is a
    ValueError that names the framework and the device)."""
    to_fw(np.zeros(1), framework)  # the framework is imported
    with keras.device("cpu:0"):
        with keras.framework_scope(framework):
            assert xp.device_of(ops.zeros((2,))).startswith("cpu")
    with pytest.raises(ValueError, match="Invalid device name 'tpu'"):
        keras.device("tpu")
    if framework == "torch":
        import torch

        if not torch.cuda.is_available():
            # (the first imported framework without a GPU names itself)
            with pytest.raises(ValueError, match=r"keras.device: \w+ has no (gpu|cuda|GPU):?0"):
                with keras.device("gpu:0"):
                    pass
        assert str(torch.get_default_device()) == "cpu"  # nothing left entered


# ------------------------------------------------------------------ host data: one rule
def _mlp():
    keras.utils.set_random_seed(1)
    model = keras.Sequential([layers.Input((3,)), layers.Dense(4, activation="relu"),
                              layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(0.05), loss="mse")
    return model


def _np_forward(model, x):
    (k1, b1), (k2, b2) = [(l.kernel.numpy(), l.bias.numpy()) for l in model.layers]
    return np.maximum(x @ k1 + b1, 0) @ k2 + b2


@pytest.mark.parametrize("default", TRAINABLE)
def test_host_data_runs_where_the_model_lives(framework, default, to_fw, to_np):
    """After a call on ``framework``, NumPy data given to __call__, predict, evaluate and
    fit runs there too (the model never bounces to the default framework); inside
    framework_scope, the scope's framework wins."""
    xp.set_default_framework(default)
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(8, 3)).astype("float32"), rng.normal(size=(8, 1)).astype("float32")
    model = _mlp()
    model(to_fw(x, framework))
    assert model.framework == framework
    out = model(x)
    assert xp.framework_of(out) == framework and model.framework == framework
    np.testing.assert_allclose(to_np(out), _np_forward(model, x), rtol=1e-5, atol=1e-6)
    pred = model.predict(x, batch_size=4, verbose=0)
    assert isinstance(pred, np.ndarray) and model.framework == framework
    np.testing.assert_allclose(pred, _np_forward(model, x), rtol=1e-5, atol=1e-6)
    loss = model.evaluate(x, y, batch_size=8, verbose=0)
    assert model.framework == framework
    np.testing.assert_allclose(loss, np.mean((_np_forward(model, x) - y) ** 2), rtol=1e-5)
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    assert model.framework == framework
    # a fresh model: host data runs on the default framework
    fresh = _mlp()
    fresh.predict(x, verbose=0)
    assert fresh.framework == default
    # an explicit scope is a choice the user made: it wins
    other = next(f for f in TRAINABLE if f != framework) if len(TRAINABLE) > 1 else framework
    with keras.framework_scope(other):
        assert xp.framework_of(model(x)) == other
        model.predict(x, verbose=0)
    assert model.framework == other


# ------------------------------------------------------------------ array API libraries
def test_predict_and_evaluate_on_array_api_strict():
    strict = pytest.importorskip("array_api_strict")
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(10, 3)).astype("float32"), rng.normal(size=(10, 1)).astype("float32")
    model = _mlp()
    model.compile(loss="mse", metrics=["mae"])
    pred = model.predict(strict.asarray(x), batch_size=4, verbose=0)
    assert xp.framework_of(pred) == "array_api_strict"
    ref = _np_forward(model, x)
    np.testing.assert_allclose(np.asarray(pred), ref, rtol=1e-5, atol=1e-6)
    loss, mae = model.evaluate(strict.asarray(x), strict.asarray(y), batch_size=4, verbose=0)
    np.testing.assert_allclose(loss, np.mean((ref - y) ** 2), rtol=1e-5)
    np.testing.assert_allclose(mae, np.mean(np.abs(ref - y)), rtol=1e-5)


# ------------------------------------------------------------------ metrics
class BinaryTruePositives(keras.metrics.Metric):
    """The Keras guide's metric: result() returns its own variable."""

    def __init__(self, name="binary_true_positives", **kwargs):
        super().__init__(name=name, **kwargs)
        self.true_positives = self.add_variable(shape=(), initializer="zeros",
                                                name="true_positives")

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = ops.cast(y_true, "bool")
        y_pred = ops.cast(y_pred, "bool")
        values = ops.logical_and(ops.equal(y_true, True), ops.equal(y_pred, True))
        values = ops.cast(values, self.dtype)
        if sample_weight is not None:
            sample_weight = ops.cast(sample_weight, self.dtype)
            values = ops.multiply(values, ops.broadcast_to(sample_weight, ops.shape(values)))
        self.true_positives.assign(self.true_positives + ops.sum(values))

    def result(self):
        return self.true_positives

    def reset_state(self):
        self.true_positives.assign(0)


def test_metric_whose_result_is_its_variable_in_fit(framework, to_fw):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(48, 4)).astype("float32")
    y = (rng.random((48, 1)) > 0.5).astype("float32")
    keras.utils.set_random_seed(0)
    model = keras.Sequential([layers.Input((4,)), layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="sgd", loss="binary_crossentropy", metrics=[BinaryTruePositives()])
    # the reference: y_pred cast to bool is "nonzero", i.e. every sigmoid output
    expected = float(np.sum(y))
    hist = model.fit(to_fw(x, framework), to_fw(y, framework), batch_size=16, epochs=2,
                     verbose=0, shuffle=False)
    assert hist.history["binary_true_positives"] == [expected, expected]
    logs = model.evaluate(to_fw(x, framework), to_fw(y, framework), batch_size=16,
                          verbose=0, return_dict=True)
    assert logs["binary_true_positives"] == expected


# ------------------------------------------------------------------ state idioms in call
class ComputeSum(layers.Layer):
    """keras.io "Making new layers and models via subclassing"."""

    def __init__(self, input_dim):
        super().__init__()
        self.total = self.add_weight(initializer="zeros", shape=(input_dim,), trainable=False)

    def call(self, inputs):
        self.total.assign_add(ops.sum(inputs, axis=0))
        return self.total


def test_guide_compute_sum_eager(framework, to_fw, to_np):
    x = np.ones((2, 2), "float32")
    my_sum = ComputeSum(2)
    y = my_sum(to_fw(x, framework))
    first = to_np(y).copy()
    y2 = my_sum(to_fw(x, framework))
    np.testing.assert_allclose(first, [2.0, 2.0])
    np.testing.assert_allclose(to_np(y), [2.0, 2.0])  # a returned value is a snapshot
    np.testing.assert_allclose(to_np(y2), [4.0, 4.0])
    assert my_sum.weights == [my_sum.total]
    assert my_sum.non_trainable_weights == [my_sum.total] and my_sum.trainable_weights == []


def test_guide_compute_sum_compiled(framework, to_fw, to_np):
    x = np.ones((2, 2), "float32")
    my_sum = ComputeSum(2)
    my_sum(to_fw(x, framework))  # build and place
    if framework == "jax":
        import jax

        step = jax.jit(lambda ntv, x: my_sum.stateless_call([], ntv, x))
        ntv = [v.value for v in my_sum.non_trainable_variables]
        for expected in (4.0, 6.0):
            y, ntv = step(ntv, to_fw(x, framework))
            np.testing.assert_allclose(to_np(y), [expected] * 2)
            np.testing.assert_allclose(to_np(ntv[0]), [expected] * 2)
        np.testing.assert_allclose(my_sum.total.numpy(), [2.0, 2.0])  # pure: untouched
    elif framework == "tensorflow":
        import tensorflow as tf

        step = tf.function(lambda x: my_sum(x))
        for expected in (4.0, 6.0):
            np.testing.assert_allclose(step(to_fw(x, framework)).numpy(), [expected] * 2)
        np.testing.assert_allclose(my_sum.total.numpy(), [6.0, 6.0])
    else:
        # torch.compile: dynamo traces the bytecode itself and the caller's next
        # instruction cannot be read there, so variable reads are raw tensors
        # (docs/architecture.md, "Keras's variable idioms inside call"); torch eager,
        # the default fit step, is covered above and below.
        pytest.skip("Keras variable API inside call under torch.compile: documented limit")


class SumInTraining(layers.Layer):
    """Counts the training inputs it sees (state updated in call), passes x through."""

    def build(self, input_shape):
        self.total = self.add_weight(shape=(input_shape[-1],), initializer="zeros",
                                     trainable=False)
        self.calls = self.add_weight(shape=(), initializer="zeros", trainable=False)

    def call(self, x, training=False):
        if training:
            self.total.assign_add(ops.sum(x, axis=0))
            self.calls.assign_add(1.0)
            self.calls.assign_sub(0.5)
            # (outside `assert`: pytest rewrites asserts in test files into temporaries)
            self.attributes = (self.total.dtype, self.total.trainable)
        return x + 0.0 * ops.sum(self.total.value)


@pytest.mark.parametrize("jit", [False, True])
def test_state_updates_inside_call_in_fit(framework, jit, to_fw):
    if framework == "torch" and jit:
        pytest.skip("jit_compile=True on torch is torch.compile: the Keras variable API "
                    "inside call is a documented limit there")
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(32, 3)).astype("float32"), rng.normal(size=(32, 1)).astype("float32")
    counter = SumInTraining()
    model = keras.Sequential([layers.Input((3,)), counter, layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse", jit_compile=jit)
    model.fit(to_fw(x, framework), to_fw(y, framework), batch_size=8, epochs=2, verbose=0,
              shuffle=False)
    np.testing.assert_allclose(counter.total.numpy(), 2 * x.sum(axis=0), rtol=1e-5)
    np.testing.assert_allclose(counter.calls.numpy(), 0.5 * 2 * 4)
    assert counter.attributes == ("float32", False)  # Keras' variable dtype and flag


def test_variable_read_into_a_local_then_assigned(framework, to_fw, to_np):
    class Alias(layers.Layer):
        def build(self, input_shape):
            self.total = self.add_weight(shape=(input_shape[-1],), initializer="zeros",
                                         trainable=False)

        def call(self, x):
            t = self.total
            t.assign_add(ops.sum(x, axis=0))
            return x + t

    layer = Alias()
    x = np.arange(6, dtype="float32").reshape(2, 3)
    out = layer(to_fw(x, framework))
    np.testing.assert_allclose(layer.total.numpy(), x.sum(0))
    np.testing.assert_allclose(to_np(out), x + x.sum(0))


def test_raw_array_reads_stay_native(framework, to_fw):
    """``self.kernel`` used in arithmetic or in the framework's own functions is the
    framework's array (torch Parameter, jax Array, tf.Variable): no wrapper."""
    seen = []

    class Native(layers.Layer):
        def build(self, input_shape):
            self.kernel = self.add_weight(shape=(input_shape[-1], 2))

        def call(self, x):
            k = self.kernel
            seen.append(k)
            return x @ self.kernel

    layer = Native()
    layer(to_fw(np.ones((1, 3), "float32"), framework))
    assert not isinstance(seen[0], keras.Variable)
    assert seen[0] is layer.kernel.value


# ------------------------------------------------------------------ Functional building
def _native_sum_layer(framework):
    if framework == "torch":
        import torch

        return lambda x: torch.sum(x, dim=-1, keepdim=True)
    if framework == "jax":
        import jax.numpy as jnp

        return lambda x: jnp.sum(x, axis=-1, keepdims=True)
    import tensorflow as tf

    return lambda x: tf.reduce_sum(x, axis=-1, keepdims=True)


def test_functional_build_runs_custom_layers_on_their_framework(framework, to_fw, to_np):
    native_sum = _native_sum_layer(framework)

    class NativeSum(layers.Layer):
        def call(self, inputs):
            return native_sum(inputs)

    xp.set_default_framework(framework)
    inputs = keras.Input((3,))
    outputs = layers.Dense(2)(NativeSum()(inputs))
    model = keras.Model(inputs, outputs)
    assert model.outputs[0].shape == (None, 2)
    x = np.arange(6, dtype="float32").reshape(2, 3)
    dense = model.layers[-1]
    ref = x.sum(-1, keepdims=True) @ dense.kernel.numpy() + dense.bias.numpy()
    np.testing.assert_allclose(model.predict(x, verbose=0), ref, rtol=1e-5)
    # also under an explicit scope while the default is another framework
    xp.set_default_framework(next(f for f in TRAINABLE if f != framework)
                             if len(TRAINABLE) > 1 else framework)
    with keras.framework_scope(framework):
        inputs = keras.Input((3,))
        model2 = keras.Model(inputs, NativeSum()(inputs))
        np.testing.assert_allclose(to_np(model2(x)), x.sum(-1, keepdims=True))


# ------------------------------------------------------------------ the bytecode decoder
def test_next_instruction_decoder_on_this_python():
    """layers/_varread.py on the running interpreter's bytecode (3.10-3.13 differ:
    LOAD_METHOD vs LOAD_ATTR with the method bit, CACHE entries, fused loads): what a
    read of ``self.total`` gives, decided by the instruction after it."""
    import sys

    from unikeras.layers import _varread

    class Box:
        def assign_add(self, x):
            return "assigned"

        @property
        def value(self):
            return "boxvalue"

        dtype = "float32"

    class Holder:
        def __getattr__(self, name):
            f = sys._getframe(1)
            kind = _varread.read_kind(f.f_code, f.f_lasti)
            return {_varread.RAW: "RAW", _varread.BOX: Box(), _varread.VALUE: "VALUE"}[kind]

    def ident(a):
        return a

    def plain(self):
        return ident(self.total)

    def method(self):
        return self.total.assign_add(1)

    def value(self):
        return self.total.value

    def dtype(self):
        r = self.total.dtype
        return r

    def returned(self):
        return self.total

    def alias(self):
        t = self.total
        return t.assign_add(2)

    def via_getattr(self):
        return getattr(self, "total")

    def in_list(self):
        return [self.total][0]

    def branch(self, flag=True):
        out = None
        if flag:
            out = self.total.assign_add(3)
        return out

    h = Holder()
    got = {f.__name__: f(h) for f in (plain, method, value, dtype, returned, alias,
                                      via_getattr, in_list, branch)}
    assert got == {"plain": "RAW", "method": "assigned", "value": "boxvalue",
                   "dtype": "float32", "returned": "VALUE", "alias": "assigned",
                   "via_getattr": "RAW", "in_list": "RAW", "branch": "assigned"}
