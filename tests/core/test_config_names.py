"""``keras.constraints`` / ``keras.regularizers`` ``serialize``/``deserialize`` give and
take what Keras 3 writes (``_keras_config_refs.py``, run by Keras itself), and the
lowercase initializer names are the classes Keras exports under them."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import unikeras as keras

REFS = Path(__file__).with_name("_keras_config_refs.py")


@pytest.fixture(scope="module")
def refs(keras_script_refs):
    return keras_script_refs(REFS)


OBJECTS = {
    "max_norm": lambda: keras.constraints.MaxNorm(2.0, axis=1),
    "min_max_norm": lambda: keras.constraints.MinMaxNorm(0.5, 2.0, rate=0.5, axis=0),
    "non_neg": lambda: keras.constraints.NonNeg(),
    "l1_l2": lambda: keras.regularizers.L1L2(l1=0.01, l2=0.02),
    "l2": lambda: keras.regularizers.L2(0.3),
    "orthogonal_regularizer": lambda: keras.regularizers.OrthogonalRegularizer(0.1, mode="columns"),
}


def _module(key):
    return keras.constraints if "norm" in key or key == "non_neg" else keras.regularizers


def _close(a, b):
    """Configs equal, floats compared after float32 rounding (Keras stores some as
    float32)."""
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k]) for k in a)
    if isinstance(a, float) or isinstance(b, float):
        return np.float32(a) == np.float32(b)
    return a == b


@pytest.mark.parametrize("key", sorted(OBJECTS))
def test_serialize_matches_keras_and_round_trips(key, refs, framework, to_fw, to_np):
    mod = _module(key)
    theirs = json.loads(str(refs[key]))
    ours = mod.serialize(OBJECTS[key]())
    assert _close(ours, theirs), (ours, theirs)
    # Keras' config deserializes into the same object, which computes the same
    back = mod.deserialize(theirs)
    assert type(back) is type(OBJECTS[key]())
    w = to_fw(np.random.default_rng(0).normal(size=(4, 3)).astype("float32"), framework)
    np.testing.assert_allclose(to_np(back(w)), to_np(OBJECTS[key]()(w)), rtol=1e-6)
    assert mod.serialize(None) is None and mod.deserialize(None) is None


def test_deserialize_by_name_and_custom_objects():
    assert isinstance(keras.constraints.deserialize("max_norm"), keras.constraints.MaxNorm)
    assert isinstance(keras.regularizers.deserialize("l2"), keras.regularizers.L2)

    class Clip(keras.constraints.Constraint):
        def __call__(self, w):
            return w

    cfg = {"class_name": "Clip", "config": {}, "module": None, "registered_name": "Clip"}
    assert isinstance(keras.constraints.deserialize(cfg, custom_objects={"Clip": Clip}), Clip)
    with pytest.raises(ValueError, match="Unknown object 'Clip'"):
        keras.constraints.deserialize(cfg)


def test_lowercase_initializer_names_are_keras_classes(refs):
    aliases = json.loads(str(refs["initializer_aliases"]))
    missing = []
    for name, cls_name in aliases.items():
        ours = getattr(keras.initializers, name, None)
        if ours is None:
            missing.append(name)
            continue
        assert ours.__name__ == cls_name, (name, ours, cls_name)
    assert not missing, missing
    assert keras.initializers.OrthogonalInitializer is keras.initializers.Orthogonal
    a = keras.initializers.glorot_uniform(seed=3)((4, 5))
    b = keras.initializers.GlorotUniform(seed=3)((4, 5))
    np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
