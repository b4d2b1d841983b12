"""Fuzzing the loader with hypothesis: mutations of config.json and of the HDF5 tree of
real saved models. Whatever the mutation, loading either succeeds or raises a
ValueError (never AttributeError / KeyError / TypeError / RecursionError / ...), and a
failed ``load_weights`` leaves every weight as it was.

Mutated integers stay small (a config may legitimately describe a model too large to
build, which is a memory limit of the machine, not a loader bug: docs/security.md).
"""

from __future__ import annotations

import copy
import json
import math
import zipfile

import h5py
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import unikeras as keras
from unikeras import layers

JSON_LEAF = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 70), st.sampled_from([4096, -(2**31), 2**63]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["", "x", "relu", "os.system", "__lambda__", "function", "Functional",
                     "Sequential", "Dense", "float64", "int8", "channels_first", "same",
                     "keras.src.ops.numpy", "0", "-1", "../x"]))
JSON_VALUE = st.recursive(JSON_LEAF, lambda c: st.one_of(
    st.lists(c, max_size=3), st.dictionaries(st.sampled_from(
        ["class_name", "config", "module", "name", "layers", "units", "shape"]), c,
        max_size=3)), max_leaves=6)


def _paths(obj, prefix=()):
    yield prefix
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _paths(v, prefix + (i,))


def _mutate(spec, path, op, value):
    if not path:
        return value if op == "replace" else [spec]
    parent = spec
    for k in path[:-1]:
        parent = parent[k]
    key = path[-1]
    if op == "replace":
        parent[key] = value
    elif op == "delete":
        if isinstance(parent, dict):
            del parent[key]
        else:
            parent.pop(key)
    elif op == "wrap":
        parent[key] = [parent[key]]
    elif op == "duplicate" and isinstance(parent, list):
        parent.insert(key, copy.deepcopy(parent[key]))
    elif op == "duplicate":
        parent[str(key) + "_"] = copy.deepcopy(parent[key])
    return spec


def _model():
    i = layers.Input((6,))
    h = layers.Dense(5, activation="relu")(i)
    h = layers.BatchNormalization()(h)
    h = layers.Dropout(0.1)(h)
    o = layers.Dense(3, activation="softmax")(h)
    m = keras.Model(i, o)
    m.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy",
              metrics=["accuracy"])
    return m


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    d = tmp_path_factory.mktemp("fuzz")
    m = _model()
    x = np.random.default_rng(0).normal(size=(16, 6)).astype("float32")
    y = (np.arange(16) % 3).astype("int32")
    m.fit(x, y, epochs=1, batch_size=8, verbose=0)
    m.save(d / "m.keras")
    m.save_weights(d / "m.weights.h5")
    with zipfile.ZipFile(d / "m.keras") as z:
        spec = json.loads(z.read("config.json"))
        weights = z.read("model.weights.h5")
    paths = list(_paths(spec))
    return {"dir": d, "spec": spec, "weights": weights, "paths": paths,
            "h5": d / "m.weights.h5"}


def _only_value_errors(fn):
    try:
        fn()
    except ValueError:
        return False
    return True


@given(data=st.data())
def test_mutated_config_json_loads_or_raises_value_error(saved, data):
    spec = copy.deepcopy(saved["spec"])
    for _ in range(data.draw(st.integers(1, 3), label="mutations")):
        paths = list(_paths(spec))
        path = data.draw(st.sampled_from(paths), label="path")
        op = data.draw(st.sampled_from(["replace", "replace", "delete", "wrap", "duplicate"]),
                       label="op")
        spec = _mutate(spec, path, op, data.draw(JSON_VALUE, label="value"))
    target = saved["dir"] / "mutated.keras"
    with zipfile.ZipFile(target, "w") as z:
        z.writestr("config.json", json.dumps(spec, allow_nan=True))
        z.writestr("model.weights.h5", saved["weights"])
    _only_value_errors(lambda: keras.saving.load_model(target))


H5_OPS = ["delete", "rename", "regroup", "reshape", "retype", "softlink", "extlink",
          "external", "attr", "scalar", "empty", "chunked"]


def _h5_mutate(f, name, op, draw, tmp):
    parent, _, base = name.rpartition("/")
    g = f[parent] if parent else f
    if op == "delete":
        del g[base]
    elif op == "rename":
        g.move(base, draw(st.sampled_from(["evil", "01", "-1", "99", "vars", "", " "])) or "x")
    elif op == "regroup":
        del g[base]
        g.create_group(base)
    elif op == "softlink":
        del g[base]
        g[base] = h5py.SoftLink(draw(st.sampled_from(["/", "/layers", "/nowhere", name])))
    elif op == "extlink":
        del g[base]
        g[base] = h5py.ExternalLink(str(tmp / "nofile.h5"), "/x")
    elif op == "attr":
        g.attrs["name"] = np.arange(3)
    elif isinstance(g[base], h5py.Dataset):
        old = g[base]
        shape, dtype = old.shape, old.dtype
        del g[base]
        if op == "reshape":
            g[base] = np.zeros(tuple(reversed(shape)) + (1,), "f4")
        elif op == "retype":
            kind = draw(st.sampled_from(["S3", "complex64", "bool", "int8", "float64", "O"]))
            if kind == "O":
                g[base] = np.array(["ab"] * math.prod(shape), dtype=object).reshape(shape)
            else:
                g[base] = np.zeros(shape, kind)
        elif op == "external":
            (tmp / "raw.bin").write_bytes(b"\0" * 4 * max(1, math.prod(shape)))
            g.create_dataset(base, shape=shape, dtype="f4",
                             external=[(str(tmp / "raw.bin"), 0, 4 * max(1, math.prod(shape)))])
        elif op == "scalar":
            g[base] = np.float32(1)
        elif op == "empty":
            g.create_dataset(base, data=h5py.Empty("f4"))
        elif op == "chunked" and shape:
            g.create_dataset(base, data=np.ones(shape, "f4"), chunks=True, compression="gzip")
        else:
            g[base] = np.float32(2)


def _exists(f, name):
    try:
        return f.get(name, getlink=True) is not None
    except (KeyError, RuntimeError, OSError):
        return False


@given(data=st.data())
def test_mutated_hdf5_tree_loads_or_refuses_all_or_nothing(saved, data, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("h5fuzz")
    target = tmp / "mutated.weights.h5"
    target.write_bytes(saved["h5"].read_bytes())
    with h5py.File(target, "r+") as f:
        names = []
        f.visit(names.append)
        for _ in range(data.draw(st.integers(1, 2), label="mutations")):
            live = [n for n in names if _exists(f, n)]
            if not live:
                break
            name = data.draw(st.sampled_from(sorted(live)), label="name")
            op = data.draw(st.sampled_from(H5_OPS), label="op")
            try:
                _h5_mutate(f, name, op, data.draw, tmp)
            except (KeyError, ValueError, RuntimeError, OSError):
                pass  # a mutation h5py itself cannot make here (a taken name, a dead link)
    m = _model()
    m(np.zeros((1, 6), "float32"))
    m.optimizer.build(m.trainable_variables)
    before = [np.array(w) for w in m.get_weights()]
    opt_before = [np.array(v.numpy()) for v in m.optimizer.variables]
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ok = _only_value_errors(lambda: m.load_weights(target))
    if not ok:  # refused: every model and optimizer variable as it was
        for a, b in zip(m.get_weights(), before):
            np.testing.assert_array_equal(np.asarray(a), b)
        for v, b in zip(m.optimizer.variables, opt_before):
            np.testing.assert_array_equal(np.asarray(v.numpy()), b)
