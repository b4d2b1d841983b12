"""The three ways to build a model: Sequential, Functional, subclassing."""

import numpy as np
import pytest

import unikeras as keras
from unikeras import layers, xp

X = np.random.default_rng(0).normal(size=(6, 4)).astype("float32")


def _dense_stack():
    return [layers.Dense(8, activation="linear", name="a"), layers.Dense(3, name="b")]


def test_sequential_with_input_builds_at_once():
    model = keras.Sequential([layers.Input((4,))] + _dense_stack())
    assert model.built
    assert [w.shape for w in model.weights] == [(4, 8), (8,), (8, 3), (3,)]
    assert model.count_params() == 4 * 8 + 8 + 8 * 3 + 3
    assert model.output_shape == (None, 3)


def test_sequential_without_input_builds_on_first_call(any_framework, to_fw):
    model = keras.Sequential(_dense_stack())
    assert not model.built
    y = model(to_fw(X, any_framework))
    assert xp.framework_of(y) == any_framework and tuple(y.shape) == (6, 3)
    a, b = model.layers
    ref = (X @ a.kernel.numpy() + a.bias.numpy()) @ b.kernel.numpy() + b.bias.numpy()
    np.testing.assert_allclose(xp.to_numpy(y), ref, rtol=1e-5, atol=1e-6)


def test_sequential_add_and_pop():
    model = keras.Sequential()
    model.add(layers.Input((4,)))
    model.add(layers.Dense(2))
    model.add(layers.Dense(1))
    assert model.output_shape == (None, 1)
    model.pop()
    assert model.output_shape == (None, 2) and len(model.layers) == 1
    with pytest.raises(ValueError, match="expected a Layer"):
        model.add("dense")


def test_functional_multi_input_multi_output_and_shared_layer(any_framework, to_fw):
    a = layers.Input((4,), name="a")
    b = layers.Input((4,), name="b")
    shared = layers.Dense(5, name="shared")
    ha, hb = shared(a), shared(b)
    out1 = layers.Dense(2, name="out1")(ha)
    out2 = layers.Dense(1, name="out2")(hb)
    model = keras.Model([a, b], {"first": out1, "second": out2})
    assert model.output_names == ["out1", "out2"]
    assert len(model.weights) == 6  # shared counted once
    xa, xb = to_fw(X, any_framework), to_fw(X * 2, any_framework)
    res = model([xa, xb])
    k, c = shared.kernel.numpy(), shared.bias.numpy()
    ref2 = (X * 2 @ k + c) @ model.get_layer("out2").kernel.numpy() + model.get_layer("out2").bias.numpy()
    np.testing.assert_allclose(xp.to_numpy(res["second"]), ref2, rtol=1e-5, atol=1e-5)
    by_name = model({"a": xa, "b": xb})
    np.testing.assert_allclose(xp.to_numpy(by_name["first"]), xp.to_numpy(res["first"]), rtol=1e-6)


def test_nested_models_as_layers(any_framework, to_fw):
    inner = keras.Sequential([layers.Input((4,)), layers.Dense(3, name="inner_dense")], name="inner")
    inp = layers.Input((4,))
    out = layers.Dense(2, name="head")(inner(inp))
    model = keras.Model(inp, out)
    assert model.count_params() == (4 * 3 + 3) + (3 * 2 + 2)
    y = model(to_fw(X, any_framework))
    assert tuple(y.shape) == (6, 2)


def test_subclassed_model(any_framework, to_fw):
    class Mlp(keras.Model):
        def __init__(self):
            super().__init__()
            self.blocks = [layers.Dense(4), layers.Dense(2)]

        def call(self, x):
            for blk in self.blocks:
                x = blk(x)
            return x

    m = Mlp()
    y = m(to_fw(X, any_framework))
    assert tuple(y.shape) == (6, 2) and len(m.weights) == 4


def test_config_round_trip_sequential_and_functional(any_framework, to_fw):
    seq = keras.Sequential([layers.Input((4,))] + _dense_stack(), name="seq")
    seq2 = keras.Sequential.from_config(seq.get_config())
    assert [w.shape for w in seq2.weights] == [w.shape for w in seq.weights]
    seq2.set_weights(seq.get_weights())
    x = to_fw(X, any_framework)
    np.testing.assert_allclose(xp.to_numpy(seq2(x)), xp.to_numpy(seq(x)), rtol=1e-6)

    a = layers.Input((4,), name="in")
    h = layers.Dense(3, name="h")(a)
    model = keras.Model(a, [layers.Dense(2, name="o1")(h), layers.Dense(1, name="o2")(h)])
    model2 = keras.Model.from_config(model.get_config()) if hasattr(keras.Model, "from_config") else None
    from unikeras.training.functional import Functional

    model2 = Functional.from_config(model.get_config())
    model2.set_weights(model.get_weights())
    for r1, r2 in zip(model(x), model2(x)):
        np.testing.assert_allclose(xp.to_numpy(r1), xp.to_numpy(r2), rtol=1e-6)


def test_summary_prints_parameter_counts():
    model = keras.Sequential([layers.Input((784,)), layers.Dense(512, activation="linear"),
                              layers.Dense(10)], name="mlp")
    lines = []
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert "(None, 512)" in text and "401,920" in text and "5,130" in text
    assert "Total params: 407,050" in text and "Non-trainable params: 0" in text


def test_functional_summary():
    inp = layers.Input((3,))
    model = keras.Model(inp, layers.Dense(2)(inp))
    lines = []
    model.summary(print_fn=lines.append)
    assert any("Total params: 8" in l for l in lines)


def test_wrong_input_shape_names_layer_expected_and_received(any_framework, to_fw):
    model = keras.Sequential([layers.Input((4,)), layers.Dense(2, name="dense_in")])
    with pytest.raises(ValueError) as err:
        model(to_fw(np.ones((2, 5), "float32"), any_framework))
    msg = str(err.value)
    assert "dense_in" in msg and "4" in msg and "(2, 5)" in msg


def test_graph_disconnected_is_refused():
    a, b = layers.Input((2,)), layers.Input((2,))
    out = layers.Dense(1)(b)
    with pytest.raises(ValueError, match="disconnected"):
        keras.Model(a, out)


def test_layer_weights_api(any_framework, to_fw):
    d = layers.Dense(2, kernel_regularizer="l2")
    d(to_fw(X, any_framework))
    assert [v.path.split("/")[-1] for v in d.weights] == ["kernel", "bias"]
    d.set_weights([np.ones((4, 2)), np.zeros(2)])
    np.testing.assert_allclose(xp.to_numpy(d(to_fw(X, any_framework))), X.sum(1, keepdims=True) * np.ones((1, 2)), rtol=1e-5)
    assert len(d.losses) == 1
    np.testing.assert_allclose(float(xp.to_numpy(d.losses[0])), 0.01 * 8, rtol=1e-6)
    d.trainable = False
    assert d.trainable_weights == [] and len(d.non_trainable_weights) == 2
    with pytest.raises(ValueError, match="expected 2 weights"):
        d.set_weights([np.ones((4, 2))])


def test_subclassed_model_config_round_trip(any_framework, to_fw):
    class Tower(keras.Model):
        def __init__(self, width, depth, **kwargs):
            super().__init__(**kwargs)
            self.width, self.depth = width, depth
            self.blocks = [layers.Dense(width, activation="relu") for _ in range(depth)]
            self.head = layers.Dense(1)

        def call(self, x):
            for blk in self.blocks:
                x = blk(x)
            return self.head(x)

        def get_config(self):
            config = super().get_config()
            config.update(width=self.width, depth=self.depth)
            return config

    m = Tower(6, 2, name="tower")
    x = to_fw(X, any_framework)
    y = m(x)
    m2 = Tower.from_config(m.get_config())
    assert (m2.width, m2.depth, m2.name) == (6, 2, "tower")
    m2(x)
    m2.set_weights(m.get_weights())
    np.testing.assert_allclose(xp.to_numpy(m2(x)), xp.to_numpy(y), rtol=1e-6)


def test_subclassed_model_layers_get_layer_and_summary(any_framework, to_fw):
    class Net(keras.Model):
        def __init__(self):
            super().__init__()
            self.body = keras.layers.Dense(4, name="body")
            self.head = keras.layers.Dense(2, name="head")

        def call(self, x):
            return self.head(self.body(x))

    net = Net()
    net(to_fw(np.ones((3, 5), "float32"), any_framework))
    assert [layer.name for layer in net.layers] == ["body", "head"]
    assert net.get_layer("head") is net.head and net.get_layer(index=0) is net.body
    with pytest.raises(ValueError, match="No such layer: tail"):
        net.get_layer("tail")
    lines = []
    net.summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert "body (Dense)" in text and "head (Dense)" in text
    assert "Total params: 34" in text  # 5*4+4 + 4*2+2


def test_model_subclass_called_on_inputs_outputs_is_functional(any_framework, to_fw):
    """Keras 3: ``CustomModel(inputs, outputs)`` for a ``keras.Model`` subclass gives a
    Functional model that keeps the subclass' methods (e.g. a custom train_step)."""
    from unikeras.training.functional import Functional

    class Tagged(keras.Model):
        def tag(self):
            return f"tagged {self.name}"

    inp = keras.Input((4,))
    m = Tagged(inp, layers.Dense(2)(inp), name="t")
    assert isinstance(m, Tagged) and isinstance(m, Functional)
    assert m.tag() == "tagged t" and len(m.layers) == 2
    x = to_fw(X, any_framework)
    assert tuple(m(x).shape) == (6, 2)
    again = Tagged(inp, layers.Dense(3)(inp))  # the class is patched once, still works
    assert tuple(again(x).shape) == (6, 3)
