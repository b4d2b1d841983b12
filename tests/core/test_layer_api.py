"""Layer API: initializers, regularizers, constraints, activations, dtype policies,
losses, config, and the core layers (Dense, Activation, Identity, Lambda)."""

import numpy as np
import pytest

import unikeras as keras
from unikeras import activations, constraints, initializers, layers, regularizers, xp
from unikeras import dtype_policies


# ------------------------------------------------------------------ initializers
@pytest.mark.parametrize("name,check", [
    ("zeros", lambda w: np.all(w == 0)),
    ("ones", lambda w: np.all(w == 1)),
    ("glorot_uniform", lambda w: np.abs(w).max() <= np.sqrt(6 / (200 + 300)) + 1e-7),
    ("he_uniform", lambda w: np.abs(w).max() <= np.sqrt(6 / 200) + 1e-7),
    ("lecun_uniform", lambda w: np.abs(w).max() <= np.sqrt(3 / 200) + 1e-7),
    ("glorot_normal", lambda w: abs(w.std() - np.sqrt(2 / 500)) < 0.1 * np.sqrt(2 / 500)),
    ("he_normal", lambda w: abs(w.std() - np.sqrt(2 / 200)) < 0.1 * np.sqrt(2 / 200)),
    ("random_normal", lambda w: abs(w.std() - 0.05) < 0.005),
    ("truncated_normal", lambda w: np.abs(w).max() <= 0.1 + 1e-7),
])
def test_initializer_distributions(name, check):
    w = initializers.get(name)((200, 300), "float32")
    assert w.shape == (200, 300) and w.dtype == np.float32
    assert check(w)


def test_orthogonal_and_identity_and_constant():
    q = initializers.Orthogonal(seed=1)((6, 4))
    np.testing.assert_allclose(q.T @ q, np.eye(4), atol=1e-5)
    np.testing.assert_array_equal(initializers.Identity(gain=2.0)((3, 3)), 2 * np.eye(3))
    np.testing.assert_array_equal(initializers.Constant(3.0)((2,)), [3.0, 3.0])


def test_seeded_initializer_is_reproducible_and_config_round_trips():
    a = initializers.GlorotUniform(seed=5)((4, 4))
    b = initializers.GlorotUniform(seed=5)((4, 4))
    np.testing.assert_array_equal(a, b)
    init = initializers.VarianceScaling(scale=2.0, mode="fan_out", distribution="uniform", seed=3)
    again = initializers.get(initializers.serialize(init))
    np.testing.assert_array_equal(init((3, 5)), again((3, 5)))


def test_bad_initializer_arguments():
    with pytest.raises(ValueError, match="Could not interpret initializer identifier: 'nope'"):
        initializers.get("nope")
    with pytest.raises(ValueError, match="mode must be fan_in, fan_out or fan_avg"):
        initializers.VarianceScaling(mode="fan")


# ------------------------------------------------------------------ regularizers / constraints
def test_regularizers(any_framework, to_fw):
    w = np.array([[1.0, -2.0], [3.0, -4.0]], "float32")
    a = to_fw(w, any_framework)
    assert np.isclose(float(xp.to_numpy(regularizers.L1(0.1)(a))), 1.0)
    assert np.isclose(float(xp.to_numpy(regularizers.L2(0.1)(a))), 3.0)
    assert np.isclose(float(xp.to_numpy(regularizers.L1L2(0.1, 0.1)(a))), 4.0)
    q = to_fw(np.eye(2, dtype="float32"), any_framework)
    assert np.isclose(float(xp.to_numpy(regularizers.OrthogonalRegularizer(1.0)(q))), 0.0)
    with pytest.raises(ValueError, match="non-negative"):
        regularizers.L2(-1)


def test_constraints(any_framework, to_fw):
    w = np.array([[3.0, -1.0], [4.0, 0.5]], "float32")
    a = to_fw(w, any_framework)
    np.testing.assert_allclose(xp.to_numpy(constraints.NonNeg()(a)), np.maximum(w, 0))
    unit = xp.to_numpy(constraints.UnitNorm(axis=0)(a))
    np.testing.assert_allclose(np.linalg.norm(unit, axis=0), 1.0, rtol=1e-5)
    capped = xp.to_numpy(constraints.MaxNorm(2.0, axis=0)(a))
    np.testing.assert_allclose(np.linalg.norm(capped, axis=0), [2.0, np.linalg.norm(w[:, 1])], rtol=1e-5)


def test_constraint_applied_after_optimizer_step(framework, to_fw):
    d = layers.Dense(2, kernel_constraint="non_neg", kernel_initializer="ones")
    model = keras.Sequential([layers.Input((3,)), d])
    model.compile(optimizer=keras.optimizers.SGD(10.0), loss="mse")
    model.fit(to_fw(np.ones((4, 3), "float32"), framework), to_fw(np.full((4, 2), -10.0, "float32"), framework),
              verbose=0)
    assert (d.kernel.numpy() >= 0).all()


# ------------------------------------------------------------------ activations
@pytest.mark.parametrize("name,ref", [
    ("relu", lambda x: np.maximum(x, 0)),
    ("sigmoid", lambda x: 1 / (1 + np.exp(-x))),
    ("tanh", np.tanh),
    ("softplus", lambda x: np.log1p(np.exp(x))),
    ("linear", lambda x: x),
    ("exponential", np.exp),
])
def test_activations_by_name(name, ref, any_framework, to_fw):
    x = np.linspace(-3, 3, 13).astype("float32")
    out = activations.get(name)(to_fw(x, any_framework))
    np.testing.assert_allclose(xp.to_numpy(out), ref(x), rtol=1e-5, atol=1e-6)


def test_relu_options(any_framework, to_fw):
    x = np.array([-2.0, -0.5, 0.5, 2.0, 8.0], "float32")
    out = activations.relu(to_fw(x, any_framework), negative_slope=0.1, max_value=6.0, threshold=1.0)
    ref = np.where(x > 1.0, x, (x - 1.0) * 0.1)
    np.testing.assert_allclose(xp.to_numpy(out), np.minimum(ref, 6.0), rtol=1e-6)
    with pytest.raises(ValueError, match="Unknown activation function: 'relux'"):
        activations.get("relux")


# ------------------------------------------------------------------ dtype policies
def test_mixed_precision_policy(framework, to_fw):
    d = layers.Dense(4, dtype="mixed_float16" if framework != "tensorflow" else "mixed_bfloat16")
    x = to_fw(np.ones((2, 3), "float32"), framework)
    y = d(x)
    assert d.kernel.dtype == "float32"
    assert xp.dtype_of(y) == d.compute_dtype
    with pytest.raises(ValueError, match="Invalid dtype policy"):
        dtype_policies.DTypePolicy("mixed_int3")


def test_float64_layer(framework, to_fw):
    d = layers.Dense(2, dtype="float64")
    y = d(to_fw(np.ones((1, 3)), framework))
    assert d.kernel.dtype in ("float64", "float32")  # jax without x64 stores float32
    assert xp.dtype_of(y) == d.kernel.dtype


# ------------------------------------------------------------------ layer mechanics
def test_add_loss_and_activity_regularizer(framework, to_fw):
    class WithLoss(layers.Layer):
        def call(self, x):
            self.add_loss(xp.namespace(x).sum(x))
            return x

    model = keras.Sequential([layers.Input((2,)), WithLoss(),
                              layers.Dense(1, activity_regularizer=regularizers.L1(1.0),
                                           kernel_initializer="ones", use_bias=False)])
    x = to_fw(np.full((4, 2), 0.5, "float32"), framework)
    model(x)
    losses = [float(xp.to_numpy(l)) for l in model.losses]
    assert sorted(losses) == pytest.approx(sorted([4.0, 4 * 1.0 / 4]))


def test_get_config_from_config_dense():
    d = layers.Dense(3, activation="relu", use_bias=False, kernel_regularizer=regularizers.L2(0.5),
                     kernel_initializer=initializers.RandomNormal(stddev=0.2, seed=2), name="dd")
    d2 = layers.Dense.from_config(d.get_config())
    assert d2.units == 3 and d2.activation is activations.relu and not d2.use_bias
    assert d2.kernel_regularizer.l2 == 0.5 and d2.kernel_initializer.stddev == 0.2
    assert d2.name == "dd"


def test_lambda_layer_and_its_config_needs_custom_objects(any_framework, to_fw):
    def double(x):
        return x * 2

    lam = layers.Lambda(double)
    out = lam(to_fw(np.ones(3, "float32"), any_framework))
    np.testing.assert_allclose(xp.to_numpy(out), 2.0)
    with pytest.raises(ValueError, match="custom_objects"):
        layers.Lambda.from_config(lam.get_config())
    again = layers.Lambda.from_config(lam.get_config(), custom_objects={"double": double})
    np.testing.assert_allclose(xp.to_numpy(again(to_fw(np.ones(3, "float32"), any_framework))), 2.0)


def test_core_layers_on_array_api_strict():
    strict = pytest.importorskip("array_api_strict")
    x = strict.asarray(np.random.default_rng(0).normal(size=(3, 4)).astype("float32"))
    d = layers.Dense(2, activation="relu")
    y = d(x)
    assert xp.framework_of(y) == "array_api_strict"
    ref = np.maximum(np.asarray(x) @ d.kernel.numpy() + d.bias.numpy(), 0)
    np.testing.assert_allclose(np.asarray(y), ref, rtol=1e-5, atol=1e-6)
    for layer in (layers.Activation("tanh"), layers.Identity(), layers.Lambda(lambda t: t + 1)):
        assert xp.framework_of(layer(x)) == "array_api_strict"


def test_unknown_constructor_argument_is_refused():
    with pytest.raises(TypeError, match="Unrecognized keyword arguments passed to Dense: \\['unitz'\\]"):
        layers.Dense(3, unitz=4)
    with pytest.raises(ValueError, match="units must be a positive int; received units=0"):
        layers.Dense(0)


def test_variable_outside_call_is_a_variable_inside_a_raw_array(framework, to_fw):
    seen = {}

    class Peek(layers.Layer):
        def build(self, shape):
            self.w = self.add_weight(shape=(2,), initializer="ones", name="w")

        def call(self, x):
            seen["type"] = xp.framework_of(self.w)
            return x * self.w

    p = Peek()
    p(to_fw(np.ones((1, 2), "float32"), framework))
    assert seen["type"] == framework
    assert isinstance(p.w, keras.Variable)
    p.w.assign(np.array([2.0, 3.0], "float32"))
    np.testing.assert_allclose(xp.to_numpy(p(to_fw(np.ones((1, 2), "float32"), framework))), [[2.0, 3.0]])


def test_config_random_backend_modules():
    assert keras.config.floatx() == "float32" and keras.backend.epsilon() == 1e-7
    keras.config.set_image_data_format("channels_first")
    try:
        assert layers.Conv2D(2, 3).data_format == "channels_first"
    finally:
        keras.config.set_image_data_format("channels_last")
    with pytest.raises(ValueError, match="channels_last"):
        keras.config.set_image_data_format("nhwc")
    a = keras.random.normal((3,), seed=keras.random.SeedGenerator(1), framework="numpy")
    assert a.shape == (3,)
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        assert layers.Dense(2).compute_dtype == "float16"
    finally:
        keras.mixed_precision.set_global_policy(None)
    assert layers.Dense(2).compute_dtype == "float32"


def test_custom_layer_calls_ops_on_its_weights(framework, to_fw):
    """Inside call(), weights are the framework's own arrays (tf.Variable on TF): every
    `unikeras.ops` function takes them, and gradients reach them."""
    from unikeras import ops

    class Block(keras.layers.Layer):
        def build(self, shape):
            self.w = self.add_weight(shape=(shape[-1], 4), initializer="glorot_uniform")
            self.b = self.add_weight(shape=(4,), initializer="zeros")

        def call(self, x):
            h = ops.relu(ops.matmul(x, self.w) + self.b)
            return ops.sum(h * ops.transpose(self.w)[:, 0], axis=-1, keepdims=True)

    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 3)).astype("float32")
    y = x[:, :1] ** 2
    model = keras.Sequential([keras.Input((3,)), Block()])
    model.compile(keras.optimizers.Adam(0.05), "mse")
    hist = model.fit(to_fw(x, framework), to_fw(y, framework), epochs=5, verbose=0)
    assert hist.history["loss"][-1] < hist.history["loss"][0]
    v = keras.Variable(np.array([-1.0, 2.0], "float32"))
    np.testing.assert_allclose(keras.ops.convert_to_numpy(ops.relu(v)), [0.0, 2.0])


def test_dtype_policy_convert_input(any_framework, to_fw, to_np):
    """Keras' DTypePolicy.convert_input: floating arrays cast to the dtype when autocast,
    on the array's own framework; ints and autocast=False unchanged."""
    policy = dtype_policies.DTypePolicy("float32")
    x = to_fw(np.array([1.5, -2.25], "float64"), any_framework)
    y = policy.convert_input(x, True, "float16")
    assert keras.ops.dtype(y) == "float16" and xp.framework_of(y) == xp.framework_of(x)
    np.testing.assert_array_equal(to_np(y), [1.5, -2.25])
    assert policy.convert_input(x, False, "float16") is x
    i = to_fw(np.array([1, 2], "int32"), any_framework)
    assert keras.ops.dtype(policy.convert_input(i, True, "float16")) == "int32"
