"""Keras 3's small public API outside layers and training objects: the top-level names
(``Operation``, ``Function``, ``name_scope``, ``SymbolicScope``, ``DTypePolicy``), the
``keras.config`` switches (``set_max_epochs`` / ``set_max_steps_per_epoch`` honoured by
``fit``, interactive logging, traceback filtering, ``set_backend``), ``keras.utils``
(``Progbar`` drawn as Keras draws it, ``Config``, ``get_source_inputs``, ``Sequence``),
``keras.dtype_policies`` (``DTypePolicyMap``, ``serialize`` / ``deserialize``) and the
serialization helpers of ``keras.saving``. Where Keras' output is the reference, Keras 3
runs in a subprocess (``_misc_keras_refs.py``)."""

import json
import logging
import re
import sys
from pathlib import Path

import numpy as np
import pytest

import unikeras as keras
from unikeras import dtype_policies, layers, ops

sys.path.insert(0, str(Path(__file__).parent))
import _misc_keras_refs  # noqa: E402

pytest.importorskip("keras")


@pytest.fixture(scope="module")
def refs():
    return _misc_keras_refs.run_keras_script(_misc_keras_refs.__file__)


def _untimed(text):
    # elapsed times and per-step durations vary from run to run, and so do the blank
    # padding after a line and the backspaces before the next draw (both cover the
    # previous, timed line's width: under load a slow step's wider time makes them
    # longer): times become T, pads go, a run of backspaces counts as one
    text = re.sub(r"\d+(s|ms|us)(/step)?", "T", text)
    draws = re.split(r"([\r\n\b]+)", text)  # each draw and the separators, kept
    return "".join(re.sub(r"\x08+", "\x08", d) if i % 2 else
                   re.sub(r" {2,}", " ", d.rstrip(" ")) for i, d in enumerate(draws))


def test_progbar_draws_as_keras(refs):
    ours = _misc_keras_refs.progbar_script(keras)
    assert _untimed(ours) == _untimed(refs["progbar"])
    assert "loss: 1.0000e-04" not in ours  # averaged: (1+2+3)e-4 / 3 with the last final
    assert "\x1b[32m" in ours and "/Unknown" in ours


def test_dtype_policy_map_serializes_as_keras(refs):
    ours = _misc_keras_refs.policy_map_config(dtype_policies)
    assert ours == refs["policy_map"]
    assert dtype_policies.serialize(keras.DTypePolicy("mixed_float16")) == refs["policy"]
    back = dtype_policies.deserialize(ours)
    assert isinstance(back, dtype_policies.DTypePolicyMap)
    assert back["encoder/mlp"].name == "float16"
    assert back["decoder"].compute_dtype == "bfloat16" and back["other"].name == "float32"
    m = dtype_policies.DTypePolicyMap(default_policy="float32")
    m["encoder/.*"] = "float16"
    m["encoder/attention/.*"] = "bfloat16"
    for path, expected in refs["lookups"].items():
        if expected == "ValueError":
            with pytest.raises(ValueError, match="matches multiple"):
                m[path]
        else:
            assert m[path].name == expected, path
    with pytest.raises(ValueError, match="already exist"):
        m["encoder/.*"] = "float32"


def test_layer_takes_its_policy_from_a_map(framework, to_fw):
    m = dtype_policies.DTypePolicyMap(default_policy="float32",
                                      policy_map={"half": "float16"})
    half = layers.Dense(2, dtype=m, name="half")
    full = layers.Dense(2, dtype=m, name="full")
    x = to_fw(np.ones((1, 3), "float32"), framework)
    assert keras.backend.standardize_dtype(half(x).dtype) == "float16"
    assert keras.backend.standardize_dtype(full(x).dtype) == "float32"
    assert isinstance(keras.FloatDTypePolicy("float32"), keras.DTypePolicy)


def test_layers_are_operations_as_keras(refs):
    """Layer and Model derive from keras.Operation; the Operation API (symbolic_call,
    compute_output_spec, input/output, name, the automatic get_config of a class that
    defines none, from_config's TypeError) gives what Keras 3 gives."""
    assert keras.Operation in layers.Layer.__mro__
    ours = json.loads(json.dumps(_misc_keras_refs.operation_api(keras)))
    theirs = refs["operation_api"]
    # a subclassed Model's automatic config: Keras 3.15 raises (its Model.__new__ drops the
    # arguments), unikeras records them as for any layer
    assert theirs.pop("model_config") == "NotImplementedError"
    assert ours.pop("model_config") == {"name": "net", "units": 4, "trainable": True}
    assert ours == theirs


def test_user_operation_is_a_pytree_and_a_torch_module_part(framework, to_fw):
    """A user's Operation in a model: the model stays a pytree with the same leaves, and
    on torch the model (with the op inside) is a torch.nn.Module."""
    class Shift(keras.Operation):
        def call(self, x):
            return x + 1.0

    inp = keras.Input((3,))
    model = keras.Model(inp, layers.Dense(2)(Shift()(inp)))
    x = to_fw(np.ones((2, 3), "float32"), framework)
    y = keras.ops.convert_to_numpy(model(x))
    kernel, bias = (keras.ops.convert_to_numpy(w) for w in model.weights)
    np.testing.assert_allclose(y, 2.0 * np.ones((2, 3)) @ kernel + bias, rtol=1e-6)
    if framework == "jax":
        import jax

        leaves = jax.tree_util.tree_leaves(model)
    elif framework == "torch":
        import torch.utils._pytree as pytree

        leaves = pytree.tree_leaves(model)
    else:
        import tensorflow as tf

        leaves = tf.nest.flatten(model)
    assert [tuple(leaf.shape) for leaf in leaves] == [(3, 2), (2,)]
    if framework == "torch":
        import torch

        assert isinstance(model, torch.nn.Module)
        assert len(list(model.parameters())) == 2


def test_operation_in_a_functional_model(framework, to_fw):
    class ScaledSum(keras.Operation):
        def __init__(self, scale, name=None):
            super().__init__(name=name)
            self.scale = scale

        def call(self, a, b):
            return ops.multiply(ops.add(a, b), self.scale)

    a, b = keras.Input((3,)), keras.Input((3,))
    out = layers.Dense(2, kernel_initializer="ones")(ScaledSum(0.5)(a, b))
    model = keras.Model([a, b], out)
    xa = np.arange(6, dtype="float32").reshape(2, 3)
    y = model([to_fw(xa, framework), to_fw(xa + 1, framework)])
    expected = ((xa + xa + 1) * 0.5).sum(1, keepdims=True).repeat(2, 1)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(y), expected, rtol=1e-6)


def test_function_runs_the_graph_of_bare_keras_tensors(framework, to_fw):
    a = keras.KerasTensor((None, 2, 3))
    b = keras.KerasTensor((None, 2, 3))
    fn = keras.Function([a, b], ops.sigmoid(a + b), name="fn")
    x = np.linspace(-1, 1, 6, dtype="float32").reshape(1, 2, 3)
    y = fn([to_fw(x, framework), to_fw(2 * x, framework)])
    np.testing.assert_allclose(keras.ops.convert_to_numpy(y), 1 / (1 + np.exp(-3 * x)),
                               rtol=1e-6)
    assert [type(o).__name__ for o in fn.operations][-2:] == ["OpLayer", "OpLayer"]
    assert len(fn.inputs) == 2 and fn.outputs[0].shape == (None, 2, 3)


def test_symbolic_scope_is_open_during_shape_inference():
    seen = []

    class Probe(layers.Layer):
        def call(self, x):
            from unikeras.layers.symbolic import in_symbolic_scope

            seen.append(in_symbolic_scope())
            return x

    Probe()(keras.Input((2,)))
    Probe()(np.ones((1, 2), "float32"))
    # a None batch dimension is inferred from two runs (batch 2 and 3)
    assert seen == [True, True, False]
    with keras.SymbolicScope():
        from unikeras.layers.symbolic import in_symbolic_scope

        assert in_symbolic_scope()


def test_name_scope_prefixes_variable_paths():
    with keras.name_scope("outer") as scope:
        assert scope.name == "outer"
        dense = layers.Dense(2, name="d")
        dense.build((None, 3))
        v = keras.Variable(1.0, name="v")
        with keras.name_scope("inner"):
            w = keras.Variable(1.0, name="w")
        with keras.name_scope("outer"):  # deduplicated, as in Keras
            u = keras.Variable(1.0, name="u")
        with keras.name_scope("x", override_parent="top"):
            t = keras.Variable(1.0, name="t")
    assert (dense.kernel.path, v.path, w.path, u.path, t.path) == (
        "outer/d/kernel", "outer/v", "outer/inner/w", "outer/u", "top/x/t")
    assert keras.Variable(1.0, name="free").path == "free"
    with pytest.raises(ValueError, match="cannot contain"):
        keras.name_scope("a/b")


def test_max_epochs_and_steps_cap_fit(framework, to_fw):
    model = keras.Sequential([keras.Input((3,)), layers.Dense(1)])
    model.compile("sgd", "mse")
    batches = []

    class Count(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            batches.append(batch)

    x, y = to_fw(np.ones((40, 3), "float32"), framework), to_fw(np.ones((40, 1), "float32"), framework)
    keras.config.set_max_epochs(2)
    keras.config.set_max_steps_per_epoch(3)
    try:
        assert keras.config.max_epochs() == 2 and keras.config.max_steps_per_epoch() == 3
        hist = model.fit(x, y, batch_size=4, epochs=5, verbose=0, callbacks=[Count()])
    finally:
        keras.config.set_max_epochs(None)
        keras.config.set_max_steps_per_epoch(None)
    assert len(hist.history["loss"]) == 2 and batches == [0, 1, 2, 0, 1, 2]
    hist = model.fit(x, y, batch_size=20, epochs=2, verbose=0)
    assert len(hist.history["loss"]) == 2


def test_interactive_logging_goes_to_the_logger(caplog, capsys):
    model = keras.Sequential([keras.Input((2,)), layers.Dense(1)])
    model.compile("sgd", "mse")
    keras.config.disable_interactive_logging()
    try:
        assert not keras.config.is_interactive_logging_enabled()
        assert not keras.utils.is_interactive_logging_enabled()
        with caplog.at_level(logging.INFO, logger="unikeras"):
            model.fit(np.ones((4, 2), "float32"), np.ones((4, 1), "float32"), epochs=1,
                      verbose=1)
            keras.utils.Progbar(2).update(2, [("loss", 1.0)])
    finally:
        keras.utils.enable_interactive_logging()
    assert keras.config.is_interactive_logging_enabled()
    text = " ".join(r.getMessage() for r in caplog.records if r.name == "unikeras")
    assert "Epoch 1/1" in text and "loss" in text and "2/2" in text
    assert "Epoch" not in capsys.readouterr().out


def test_config_switches():
    assert keras.config.is_traceback_filtering_enabled()
    keras.config.disable_traceback_filtering()
    assert not keras.config.is_traceback_filtering_enabled()
    keras.config.enable_traceback_filtering()
    assert keras.config.is_nnx_enabled() is False
    with pytest.raises(ValueError, match="expected one of"):
        keras.config.set_backend("mxnet")
    keras.backend.set_image_data_format("channels_first")
    try:
        assert keras.config.image_data_format() == "channels_first"
    finally:
        keras.config.set_image_data_format("channels_last")


def test_set_backend_sets_the_default_framework(framework):
    keras.config.set_backend(framework)
    assert keras.config.backend() == framework
    y = layers.Dense(1)(np.ones((1, 2), "float32"))
    assert keras.xp.framework_of(y) == framework
    assert keras.ops.zeros((2,)).shape == (2,)
    assert keras.xp.framework_of(keras.ops.zeros((2,))) == framework


def test_utils_config_get_source_inputs_standardize_dtype():
    c = keras.utils.Config(lr=0.1)
    c.epochs = 3
    assert c["epochs"] == 3 and c.as_dict() == {"lr": 0.1, "epochs": 3}
    assert json.loads(c.to_json()) == {"lr": 0.1, "epochs": 3}
    c.freeze()
    with pytest.raises(ValueError, match="frozen"):
        c.lr = 1.0
    with pytest.raises(AttributeError, match="Unknown attribute"):
        c.missing
    a, b = keras.Input((3,), name="a"), keras.Input((3,), name="b")
    out = layers.Dense(1)(layers.Add()([layers.Dense(3)(a), b]))
    assert keras.utils.get_source_inputs(out) == [a, b]
    assert keras.utils.standardize_dtype("float32") == "float32"
    assert keras.utils.standardize_dtype(np.dtype("int64")) == "int64"
    assert keras.utils.Sequence is keras.utils.PyDataset


def test_saving_serialization_helpers():
    @keras.saving.register_keras_serializable(package="s14b")
    class Twice(layers.Layer):
        def call(self, x):
            return x * 2

    cfg = keras.saving.serialize_keras_object(Twice(name="t"))
    assert keras.saving.get_registered_name(Twice) == "s14b>Twice"
    back = keras.saving.deserialize_keras_object(cfg)
    assert isinstance(back, Twice) and back.name == "t"

    class Local(layers.Layer):
        def call(self, x):
            return x

    cfg = keras.saving.serialize_keras_object(Local(name="loc"))
    with keras.saving.custom_object_scope({"Local": Local}):
        assert isinstance(keras.saving.deserialize_keras_object(cfg), Local)
    with keras.saving.CustomObjectScope({"Local": Local}):
        assert isinstance(keras.saving.deserialize_keras_object(cfg), Local)


def _branchy_model():
    a = keras.Input((4,), name="left_in")
    b = keras.Input((3,), name="right_in")
    h = layers.Dense(5, activation="relu", name="hidden")(a)
    merged = layers.Concatenate(name="join")([h, b])
    inner = keras.Sequential([keras.Input((8,)), layers.Dense(2, name="inner_dense")],
                             name="inner_block")
    return keras.Model([a, b], layers.Dense(1, name="head")(inner(merged)), name="branchy")


def test_model_to_dot_names_every_layer_and_edge():
    pydot = pytest.importorskip("pydot")
    model = _branchy_model()
    dot = keras.utils.model_to_dot(model, show_shapes=True, show_layer_activations=True,
                                   show_trainable=True, show_dtype=True)
    assert isinstance(dot, pydot.Dot)
    text = dot.to_string()
    for layer in model.layers:
        assert f"{layer.name} ({type(layer).__name__})" in text, layer.name
    assert "(None, 8)" in text and "Activation: relu" in text and "Trainable: Y" in text
    ids = {str(id(l)): l.name for l in model.layers}
    edges = {(ids[e.get_source()], ids[e.get_destination()]) for e in dot.get_edges()}
    assert edges == {("left_in", "hidden"), ("hidden", "join"), ("right_in", "join"),
                     ("join", "inner_block"), ("inner_block", "head")}
    nested = keras.utils.model_to_dot(model, expand_nested=True).to_string()
    assert "inner_dense (Dense)" in nested and "cluster" in nested
    seq = keras.Sequential([keras.Input((3,)), layers.Dense(2, name="d1"),
                            layers.Dense(1, name="d2")])
    seq_dot = keras.utils.model_to_dot(seq, show_shapes=True)
    assert len(seq_dot.get_edges()) == 1 and "(None, 2)" in seq_dot.to_string()
    with pytest.raises(ValueError, match="not yet been built"):
        keras.utils.model_to_dot(keras.Sequential([layers.Dense(1)]))


def test_plot_model_writes_dot_text_and_a_picture(tmp_path):
    pytest.importorskip("pydot")
    import shutil

    model = _branchy_model()
    dot_file = tmp_path / "m.dot"
    keras.utils.plot_model(model, to_file=str(dot_file), show_layer_names=True)
    assert all(l.name in dot_file.read_text() for l in model.layers)
    if shutil.which("dot") is None:
        pytest.skip("the Graphviz `dot` program is not installed: the picture is not drawn "
                    "(the DOT text above is checked)")
    png, svg = tmp_path / "m.png", tmp_path / "m.svg"
    keras.utils.plot_model(model, to_file=str(png), show_shapes=True, show_layer_names=True)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 1000
    keras.utils.plot_model(model, to_file=str(svg), show_layer_names=True)
    picture = svg.read_text()
    assert all(l.name in picture for l in model.layers)  # the drawing names every layer


def test_layer_input_and_output_are_its_first_symbolic_call():
    x = keras.Input((3,))
    dense = layers.Dense(2)
    y = dense(x)
    assert dense.input is x and dense.output is y
    add = layers.Add()
    z = add([y, y])
    assert add.input == [y, y] and add.output is z
    dense(keras.Input((3,)))  # a second call: Keras reports the first
    assert dense.input is x
    model = keras.Model(x, z)
    assert model.layers[1].output is y
    with pytest.raises(AttributeError, match="has never been called"):
        layers.Dense(1).output
    with pytest.raises(AttributeError, match="has never been called"):
        layers.Dense(1).input


def test_keyword_only_calls(framework, to_fw, to_np):
    q = to_fw(np.random.default_rng(0).standard_normal((2, 3, 4)).astype("float32"), framework)
    v = to_fw(np.random.default_rng(1).standard_normal((2, 5, 4)).astype("float32"), framework)
    mha = layers.MultiHeadAttention(num_heads=2, key_dim=2)
    by_name = mha(query=q, value=v, key=v)  # unbuilt: builds from the keyword inputs
    np.testing.assert_allclose(to_np(by_name), to_np(mha(q, v, v)), rtol=1e-6)
    assert keras.xp.framework_of(by_name) == framework
    sym = layers.MultiHeadAttention(2, 2)(value=keras.Input((5, 4)), query=keras.Input((3, 4)))
    assert sym.shape == (None, 3, 4)
    dense = layers.Dense(2)
    np.testing.assert_allclose(to_np(dense(inputs=q)), to_np(dense(q)), rtol=1e-6)
    # host data given by keyword runs on the default framework like positional data
    keras.config.set_backend(framework)
    host = dense(inputs=np.ones((1, 4), "float32"))
    assert keras.xp.framework_of(host) == framework
