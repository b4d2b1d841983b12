"""Keras 3's small public helpers (top level, keras.utils, keras.backend): what they
return is compared with Keras 3 itself (run in a subprocess on its JAX backend); the
custom-object scopes and the (de)serialization helpers are checked by round trips."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

import unikeras as keras

pytest.importorskip("keras")

DTYPES = ["float16", "bfloat16", "float32", "float64", "int8", "int32", "uint8", "uint32",
          "bool", "complex64"]
# (uint32, int32) is left out: Keras' lattice gives int64, which its JAX backend without
# x64 (the reference process) narrows to int32
PAIRS = [("int32", "float16"), ("uint8", "int8"), ("bool", "int16"), ("int64", "float32"),
         ("float16", "bfloat16"), ("uint8", "int32")]

KERAS_SCRIPT = f"""
import json, keras
from keras import backend as B
out = {{}}
out["is_float"] = [B.is_float_dtype(d) for d in {DTYPES!r}]
out["is_int"] = [B.is_int_dtype(d) for d in {DTYPES!r}]
out["result_type"] = [B.result_type(a, b) for a, b in {PAIRS!r}]
keras.utils.clear_session()
keras.layers.Dense(2)
out["uid_after_dense"] = keras.backend.get_uid("dense")
out["uid_fresh"] = [keras.backend.get_uid("zz_prefix"), keras.backend.get_uid("zz_prefix")]
keras.utils.clear_session()
out["name_after_clear"] = keras.layers.Dense(2).name
out["pack"] = [type(keras.utils.pack_x_y_sample_weight(1)).__name__,
               keras.utils.pack_x_y_sample_weight([1, 2]),
               keras.utils.pack_x_y_sample_weight(1, 2)]
out["unpack"] = [list(keras.utils.unpack_x_y_sample_weight((1, 2))),
                 list(keras.utils.unpack_x_y_sample_weight(5))]
out["ser_dense"] = keras.utils.serialize_keras_object(keras.layers.Dense(3, name="d"))
@keras.saving.register_keras_serializable(package="pkg")
def fn(x):
    return x
out["ser_fn"] = keras.utils.serialize_keras_object(fn)
out["registered_name"] = keras.utils.get_registered_name(fn)
out["version_type"] = type(keras.version()).__name__
print("JSON" + json.dumps(out))
"""


@pytest.fixture(scope="module")
def kref():
    env = dict(os.environ, KERAS_BACKEND="jax", JAX_PLATFORMS="cpu", TF_CPP_MIN_LOG_LEVEL="3")
    proc = subprocess.run([sys.executable, "-c", KERAS_SCRIPT], env=env, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    line = next(s for s in proc.stdout.splitlines() if s.startswith("JSON"))
    return json.loads(line[4:])


def test_top_level_classes_and_version():
    assert keras.Loss is keras.losses.Loss and keras.Metric is keras.metrics.Metric
    assert keras.Optimizer is keras.optimizers.Optimizer
    assert keras.Initializer is keras.initializers.Initializer
    assert keras.Regularizer is keras.regularizers.Regularizer
    assert isinstance(keras.version(), str) and keras.version() == keras.__version__
    assert issubclass(keras.losses.MeanSquaredError, keras.Loss)


def test_backend_dtype_helpers_match_keras(kref):
    b = keras.backend
    assert [b.is_float_dtype(d) for d in DTYPES] == kref["is_float"]
    assert [b.is_int_dtype(d) for d in DTYPES] == kref["is_int"]
    assert [b.result_type(x, y) for x, y in PAIRS] == kref["result_type"]


def test_uids_and_clear_session_match_keras(kref):
    keras.utils.clear_session()
    keras.layers.Dense(2)
    assert keras.backend.get_uid("dense") == kref["uid_after_dense"]
    assert [keras.backend.get_uid("zz_prefix"), keras.backend.get_uid("zz_prefix")] == kref["uid_fresh"]
    keras.utils.clear_session()
    assert keras.layers.Dense(2).name == kref["name_after_clear"]


def test_pack_unpack_match_keras(kref):
    u = keras.utils
    packed = [type(u.pack_x_y_sample_weight(1)).__name__, list(u.pack_x_y_sample_weight([1, 2])),
              list(u.pack_x_y_sample_weight(1, 2))]
    assert packed == [kref["pack"][0], [[1, 2]], kref["pack"][2]]
    assert [list(u.unpack_x_y_sample_weight((1, 2))), list(u.unpack_x_y_sample_weight(5))] == kref["unpack"]


def test_is_keras_tensor(framework, to_fw):
    assert keras.utils.is_keras_tensor(keras.Input((3,)))
    assert keras.backend.is_keras_tensor(keras.layers.Dense(2)(keras.Input((3,))))
    assert not keras.utils.is_keras_tensor(to_fw(np.ones(3, "float32"), framework))


@keras.saving.register_keras_serializable(package="pkg")
def fn(x):
    return x


def test_serialize_keras_object_matches_keras(kref):
    got = keras.utils.serialize_keras_object(keras.layers.Dense(3, name="d"))
    want = kref["ser_dense"]
    assert (got["module"], got["class_name"], got["registered_name"]) == \
        (want["module"], want["class_name"], want["registered_name"])
    assert got["config"]["units"] == want["config"]["units"] == 3
    assert keras.utils.serialize_keras_object(fn) == kref["ser_fn"]
    assert keras.utils.get_registered_name(fn) == kref["registered_name"]
    assert keras.utils.get_registered_object("pkg>fn") is fn


def test_deserialize_round_trip_and_custom_object_scope(framework, to_fw, to_np):
    layer = keras.layers.Dense(3, activation="relu", name="d")
    again = keras.utils.deserialize_keras_object(keras.utils.serialize_keras_object(layer))
    assert type(again) is keras.layers.Dense and again.units == 3 and again.name == "d"
    assert keras.utils.deserialize_keras_object(keras.utils.serialize_keras_object(fn)) is fn

    class Doubler(keras.layers.Layer):
        def call(self, x):
            return x * 2.0

    cfg = {"module": "mine", "class_name": "MyDoubler", "config": {"name": "dd"},
           "registered_name": "MyDoubler"}
    with pytest.raises(ValueError, match="MyDoubler"):
        keras.utils.deserialize_keras_object(cfg)
    with keras.utils.custom_object_scope({"MyDoubler": Doubler}):
        layer = keras.utils.deserialize_keras_object(cfg)
        assert keras.utils.get_registered_object("MyDoubler") is Doubler
    assert keras.utils.get_registered_object("MyDoubler") is None
    assert keras.utils.get_registered_object("MyDoubler", custom_objects={"MyDoubler": 1}) == 1
    x = to_fw(np.ones((2, 2), "float32"), framework)
    np.testing.assert_allclose(to_np(layer(x)), 2.0)
    keras.utils.get_custom_objects()["MyDoubler"] = Doubler
    try:
        assert isinstance(keras.utils.deserialize_keras_object(cfg), Doubler)
    finally:
        del keras.utils.get_custom_objects()["MyDoubler"]


def test_custom_object_scope_reaches_load_model(tmp_path, framework, to_fw, to_np):
    class Tripler(keras.layers.Layer):
        def call(self, x):
            return x * 3.0

    model = keras.Sequential([keras.Input((2,)), Tripler(name="t")])
    model.save(tmp_path / "m.keras")
    with keras.utils.CustomObjectScope({"Tripler": Tripler}):
        loaded = keras.saving.load_model(tmp_path / "m.keras")
    x = to_fw(np.ones((1, 2), "float32"), framework)
    np.testing.assert_allclose(to_np(loaded(x)), 3.0)
