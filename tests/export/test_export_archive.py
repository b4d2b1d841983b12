"""keras.export.ExportArchive (track, add_endpoint, add_variable_collection, write_out)
and model.export's arguments, from models living on every framework. The reloads here
run in-process (tf.saved_model.load / onnxruntime need nothing of unikeras); the
fresh-process reloads are in test_export_formats.py."""

from __future__ import annotations

import os

import numpy as np
import pytest

import unikeras as keras
from unikeras import layers

tf = pytest.importorskip("tensorflow")


def _trained(framework, to_fw, rng):
    keras.utils.set_random_seed(3)
    model = keras.Sequential([layers.Input((4,)), layers.Dense(6), layers.BatchNormalization(),
                              layers.Dense(2)])
    model.compile(optimizer="adam", loss="mse")
    x = rng.normal(size=(16, 4)).astype("float32")
    y = rng.normal(size=(16, 2)).astype("float32")
    model.fit(to_fw(x, framework), to_fw(y, framework), batch_size=8, epochs=1, verbose=0)
    return model


def test_archive_endpoints_collections_and_state(framework, to_fw, to_np, tmp_path, capsys):
    rng = np.random.default_rng(0)
    model = _trained(framework, to_fw, rng)
    if framework == "torch":
        params_before = list(model.parameters())
    x = rng.normal(size=(5, 4)).astype("float32")
    scale = rng.normal(size=(5, 2)).astype("float32")
    spec = keras.InputSpec(shape=(None, 4), dtype="float32")

    archive = keras.export.ExportArchive()
    archive.track(model)
    archive.add_endpoint("call_inference", lambda a: model(a, training=False), [spec])
    archive.add_endpoint("call_training", lambda a: model(a, training=True), [spec])
    archive.add_endpoint("scaled", lambda a, s: model(a, training=False) * s,
                         [spec, tf.TensorSpec((None, 2), tf.float32)])
    archive.add_variable_collection("optimizer_variables", model.optimizer.variables)
    path = str(tmp_path / "archive")
    archive.write_out(path)
    printed = capsys.readouterr().out
    assert f"Saved artifact at '{path}'" in printed and "* Endpoint 'scaled'" in printed

    # the model itself stayed where it trained, with the same torch Parameters
    assert model.framework == framework
    assert all(v.framework == framework for v in model.variables)
    if framework == "torch":
        assert all(a is b for a, b in zip(params_before, model.parameters()))

    xf = to_fw(x, framework)
    infer = to_np(model(xf, training=False))
    tv = [v.value for v in model.trainable_variables]
    ntv = [v.value for v in model.non_trainable_variables]
    train_out, _ = model.stateless_call(tv, ntv, xf, training=True)

    revived = tf.saved_model.load(path)
    np.testing.assert_allclose(revived.call_inference(x).numpy(), infer, atol=1e-5)
    np.testing.assert_allclose(revived.scaled(x, scale).numpy(), infer * scale, atol=1e-5)
    sig = revived.signatures["serving_default"]  # the first endpoint, for TF-Serving
    np.testing.assert_allclose(list(sig(tf.constant(x)).values())[0].numpy(), infer, atol=1e-5)
    np.testing.assert_allclose(revived.call_training(x).numpy(), to_np(train_out), atol=1e-5)
    assert not np.allclose(infer, to_np(train_out), atol=1e-3)  # batch vs moving statistics
    # as in Keras, a training-mode endpoint updates the artifact's own moving statistics
    assert not np.allclose(revived.call_inference(x).numpy(), infer, atol=1e-4)
    assert len(revived.variables) == len(model.variables)
    assert len(revived.trainable_variables) == len(model.trainable_variables)
    assert len(revived.non_trainable_variables) == len(model.non_trainable_variables)
    got = sorted(float(np.sum(v.numpy())) for v in revived.optimizer_variables)
    want = sorted(float(np.sum(v.numpy())) for v in model.optimizer.variables)
    np.testing.assert_allclose(got, want, rtol=1e-6)


def test_weights_are_those_at_write_out(framework, to_fw, tmp_path):
    rng = np.random.default_rng(1)
    model = _trained(framework, to_fw, rng)
    archive = keras.export.ExportArchive()
    archive.track_and_add_endpoint("serve", model,
                                   [keras.InputSpec(shape=(None, 4), dtype="float32")])
    model.layers[-1].bias.assign(np.full((2,), 5.0, "float32"))  # after tracing
    archive.write_out(str(tmp_path / "a"), verbose=False)
    x = rng.normal(size=(3, 4)).astype("float32")
    revived = tf.saved_model.load(str(tmp_path / "a"))  # kept alive: it owns the variables
    out = revived.serve(x).numpy()
    np.testing.assert_allclose(out, keras.ops.convert_to_numpy(model(to_fw(x, framework))),
                               atol=1e-5)


def test_traced_tf_function_endpoint(tmp_path):
    model = keras.Sequential([layers.Input((3,)), layers.Dense(2)])
    x = np.ones((4, 3), "float32")

    @tf.function
    def serving_fn(a):
        return model(a) + 1.0

    archive = keras.export.ExportArchive()
    archive.track(model)
    with pytest.raises(ValueError, match="has never been called"):
        archive.add_endpoint("serve", serving_fn)
    serving_fn(tf.constant(x))
    archive.add_endpoint("serve", serving_fn)
    archive.write_out(str(tmp_path / "fn"), verbose=False)
    revived = tf.saved_model.load(str(tmp_path / "fn"))
    out = revived.serve(tf.constant(x)).numpy()
    np.testing.assert_allclose(out, keras.ops.convert_to_numpy(model(tf.constant(x))) + 1.0,
                               atol=1e-6)


def test_archive_errors():
    model = keras.Sequential([layers.Input((3,)), layers.Dense(2)])
    archive = keras.export.ExportArchive()
    with pytest.raises(ValueError, match="No endpoints have been set yet"):
        archive.write_out("unused")
    with pytest.raises(ValueError, match="must provide an `input_signature`"):
        archive.add_endpoint("serve", model.call)
    with pytest.raises(ValueError, match="has not yet been built"):
        archive.track(layers.Dense(3))
    with pytest.raises(ValueError, match="Invalid resource type"):
        archive.track(object())
    with pytest.raises(ValueError, match="Expected `variables` to be a list/tuple/set"):
        archive.add_variable_collection("v", model.layers[0].kernel)
    with pytest.raises(ValueError, match="Expected all elements in `variables`"):
        archive.add_variable_collection("v", [np.zeros(3)])
    archive.track_and_add_endpoint("serve", model, [keras.InputSpec(shape=(None, 3), dtype="float32")])
    with pytest.raises(ValueError, match="Endpoint name 'serve' is already taken"):
        archive.add_endpoint("serve", model.call, [keras.InputSpec(shape=(None, 3), dtype="float32")])
    with pytest.raises(ValueError, match="Unsupported format"):
        keras.export.ExportArchive(format="neptune_model")


def test_export_arguments(tmp_path):
    model = keras.Sequential([layers.Input((3,)), layers.Dense(2)])
    with pytest.raises(ValueError, match="Unrecognized format=pickle"):
        model.export(str(tmp_path / "m"), format="pickle")
    with pytest.raises(ValueError, match="end with '.pt2'"):
        model.export(str(tmp_path / "m.pt"), format="torch")
    with pytest.raises(ValueError, match="end with '.tflite'"):
        model.export(str(tmp_path / "m.lite"), format="litert")
    with pytest.raises(ValueError, match="Unknown converter attribute 'no_such_option'"):
        model.export(str(tmp_path / "m.tflite"), format="litert", no_such_option=1)
    with pytest.raises(NotImplementedError, match="openvino"):
        model.export(str(tmp_path / "m.xml"), format="openvino")

    class Sub(keras.Model):
        def __init__(self):
            super().__init__()
            self.d = layers.Dense(2)

        def call(self, x):
            return self.d(x)

    sub = Sub()
    sub.build((None, 3))
    with pytest.raises(ValueError, match="has never called"):
        sub.export(str(tmp_path / "s"))


@pytest.mark.parametrize("signature", ["input_spec", "tensor_spec", "array"])
def test_input_signature_forms(signature, tmp_path):
    model = keras.Sequential([layers.Input((3,)), layers.Dense(2)])
    x = np.arange(12, dtype="float32").reshape(4, 3)
    sig = {"input_spec": [keras.InputSpec(shape=(None, 3), dtype="float32")],
           "tensor_spec": [tf.TensorSpec((None, 3), tf.float32)],
           "array": [np.zeros((1, 3), "float32")]}[signature]  # batch dim becomes None
    path = str(tmp_path / signature)
    model.export(path, input_signature=sig, verbose=False)
    revived = tf.saved_model.load(path)
    for b in (1, 4):
        np.testing.assert_allclose(revived.serve(x[:b]).numpy(),
                                   keras.ops.convert_to_numpy(model(tf.constant(x[:b]))),
                                   atol=1e-6)


def test_failed_export_leaves_previous_artifact(tmp_path):
    class Broken(keras.Model):
        def __init__(self):
            super().__init__()
            self.d = layers.Dense(2)
            self.fail = False

        def call(self, x):
            if self.fail:
                raise RuntimeError("boom")
            return self.d(x)

    model = Broken()
    model(np.ones((2, 3), "float32"))
    path = str(tmp_path / "served")
    model.export(path, verbose=False)
    before = sorted(os.listdir(path))
    model.fail = True
    with pytest.raises(RuntimeError, match="boom"):
        model.export(path, verbose=False)
    with pytest.raises(RuntimeError, match="boom"):
        model.export(str(tmp_path / "served.onnx"), format="onnx", verbose=False)
    assert sorted(os.listdir(path)) == before
    assert sorted(os.listdir(tmp_path)) == ["served"]  # no temporary leftovers


def test_onnx_torch_exporter(to_fw, tmp_path):
    """The torch.onnx (dynamo) route from a model trained on another framework. Each
    torch.onnx.export builds its operator registry again (about 5 s here), hence one
    small model, trained on the first framework that is not torch."""
    pytest.importorskip("torch")
    from unikeras.xp import installed_frameworks

    framework = [f for f in installed_frameworks() if f != "torch"][0]
    pytest.importorskip("onnxscript")
    ort = pytest.importorskip("onnxruntime")
    rng = np.random.default_rng(2)
    model = _trained(framework, to_fw, rng)
    path = str(tmp_path / "m.onnx")
    model.export(path, format="onnx", exporter="torch", verbose=False)
    assert model.framework == framework
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    name = sess.get_inputs()[0].name
    x = rng.normal(size=(7, 4)).astype("float32")
    for b in (2, 7):
        want = keras.ops.convert_to_numpy(model(to_fw(x[:b], framework), training=False))
        np.testing.assert_allclose(sess.run(None, {name: x[:b]})[0], want, atol=1e-5)


def test_dict_outputs_every_format(framework, to_fw, tmp_path):
    """A model with a dict of outputs keeps its output names in every format (the jax
    export needs `jax.export`, imported by the loader below)."""
    pytest.importorskip("jax.export")
    jax = pytest.importorskip("jax")
    ort = pytest.importorskip("onnxruntime")
    torch = pytest.importorskip("torch")
    keras.utils.set_random_seed(4)
    inp = keras.Input((3,), name="features")
    h = layers.Dense(4, activation="relu")(inp)
    model = keras.Model(inp, {"score": layers.Dense(1, name="score")(h),
                              "probs": layers.Dense(2, activation="softmax", name="probs")(h)})
    x = np.random.default_rng(5).normal(size=(6, 3)).astype("float32")
    want = {k: keras.ops.convert_to_numpy(v) for k, v in model(to_fw(x, framework)).items()}
    paths = {f: str(tmp_path / n) for f, n in
             (("tf_saved_model", "sm"), ("onnx", "m.onnx"), ("torch", "m.pt2"), ("jax", "m.jax"))}
    for fmt, p in paths.items():
        model.export(p, format=fmt, verbose=False)
    revived = tf.saved_model.load(paths["tf_saved_model"])
    got = {"tf_saved_model": {k: v.numpy() for k, v in revived.serve(x).items()},
           "torch": {k: v.detach().numpy() for k, v in
                     torch.export.load(paths["torch"]).module()(torch.from_numpy(x)).items()}}
    with open(paths["jax"], "rb") as f:
        got["jax"] = {k: np.asarray(v) for k, v in
                      jax.export.deserialize(bytearray(f.read())).call(x).items()}
    sess = ort.InferenceSession(paths["onnx"], providers=["CPUExecutionProvider"])
    got["onnx"] = dict(zip([o.name for o in sess.get_outputs()],
                           sess.run(None, {"features": x})))
    for fmt, out in got.items():
        assert sorted(out) == ["probs", "score"], fmt
        for k in want:
            np.testing.assert_allclose(out[k], want[k], atol=1e-5, err_msg=f"{fmt} {k}")
