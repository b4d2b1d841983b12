"""Serving from any training framework: for each framework x format (SavedModel, ONNX,
torch ExportedProgram, jax.export, LiteRT), train a few steps,
export, reload in a fresh process that cannot import unikeras or keras, and compare the
outputs with the model's own on two batch sizes (dynamic batch).

Models: a Sequential on integer inputs (Embedding, Dense, BatchNormalization with
inference statistics), a Functional
with two named inputs (LSTM, Concatenate, BatchNormalization) and a subclassed model
(Dense, BatchNormalization, Dropout). One subprocess per format checks every artifact at
once (importing TensorFlow or torch costs seconds), all four run in parallel.
"""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import unikeras as keras
from unikeras import layers
from unikeras.xp import installed_frameworks, is_installed

FRAMEWORKS = installed_frameworks()
MODELS = ("sequential", "functional", "subclassed")
BATCHES = (3, 7)
T, F = 5, 4

# Blocks keras, unikeras (and tf_keras) in the loader processes: find_spec answers a spec
# with no origin (TensorFlow's probe for keras then sees no package) whose loader raises.
_BLOCK = textwrap.dedent('''
    import sys, importlib.machinery
    class _Blocked:
        def create_module(self, spec): raise ImportError(spec.name + " is blocked here")
        def exec_module(self, module): raise ImportError("blocked")
    class _Blocker:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in ("keras", "unikeras", "tf_keras"):
                return importlib.machinery.ModuleSpec(name, _Blocked(), origin=None)
            return None
    sys.meta_path.insert(0, _Blocker())
''')

_LOADERS = {
    "tf_saved_model": '''
import tensorflow as tf
def run(entry, inputs):
    m = tf.saved_model.load(entry["path"])
    x = inputs if entry["structured"] == "dict" else inputs[entry["names"][0]]
    return m.serve(x).numpy()
''',
    "litert": '''
import tensorflow as tf
def run(entry, inputs):
    it = tf.lite.Interpreter(model_path=entry["path"])
    runner = it.get_signature_runner("serving_default")
    names = list(it.get_signature_list()["serving_default"]["inputs"])
    if not all(n in inputs for n in names):
        inputs = dict(zip(names, [inputs[n] for n in entry["flat"]]))
    out = runner(**{n: inputs[n] for n in names})
    return list(out.values())[0]
''',
    "onnx": '''
import onnxruntime as ort
def run(entry, inputs):
    s = ort.InferenceSession(entry["path"], providers=["CPUExecutionProvider"])
    ins = s.get_inputs()
    if all(i.name in inputs for i in ins):
        return s.run(None, {i.name: inputs[i.name] for i in ins})[0]
    return s.run(None, {i.name: inputs[n] for i, n in zip(ins, entry["flat"])})[0]
''',
    "torch": '''
import torch
torch.set_num_threads(1)
def run(entry, inputs):
    m = torch.export.load(entry["path"]).module()
    assert isinstance(m, torch.nn.Module)  # a plain torch module, no unikeras at run time
    return m(*[torch.from_numpy(inputs[n]) for n in entry["flat"]]).detach().numpy()
''',
    "jax": '''
import jax, jax.export
def run(entry, inputs):
    with open(entry["path"], "rb") as f:
        exp = jax.export.deserialize(bytearray(f.read()))
    return np.asarray(exp.call(*[inputs[n] for n in entry["flat"]]))
''',
}

_MAIN = '''
import json, numpy as np
entries = json.load(open(sys.argv[1]))
results = {}
for e in entries:
    data = np.load(e["data"])
    errs, shapes = [], []
    for b in %r:
        inputs = {n: data[f"{n}_{b}"] for n in e["flat"]}
        out = np.asarray(run(e, inputs))
        shapes.append(list(out.shape))
        errs.append(float(np.max(np.abs(out - data[f"expected_{b}"]))) if out.shape == data[f"expected_{b}"].shape else None)
    results[e["id"]] = {"errors": errs, "shapes": shapes}
results["__blocked__"] = [m for m in ("keras", "unikeras") if m in sys.modules]
json.dump(results, open(sys.argv[2], "w"))
''' % (BATCHES,)


def _available(fmt):
    if fmt in ("tf_saved_model", "litert"):
        return is_installed("tensorflow")
    if fmt == "onnx":
        return is_installed("tensorflow") and _has("tf2onnx") and _has("onnxruntime")
    return is_installed("torch" if fmt == "torch" else "jax")


def _has(module):
    import importlib.util

    return importlib.util.find_spec(module) is not None


FORMATS = ["tf_saved_model", "onnx", "torch", "jax", "litert"]


class Sub(keras.Model):
    def __init__(self):
        super().__init__()
        self.hidden = layers.Dense(6, activation="relu")
        self.norm = layers.BatchNormalization()
        self.drop = layers.Dropout(0.5)
        self.out = layers.Dense(2)

    def call(self, x, training=False):
        return self.out(self.drop(self.norm(self.hidden(x), training=training), training=training))


def _build(kind):
    keras.utils.set_random_seed(1)
    if kind == "sequential":
        return keras.Sequential([layers.Input((T,), dtype="int32"), layers.Embedding(20, 4),
                                 layers.GlobalAveragePooling1D(),
                                 layers.Dense(8, activation="relu"),
                                 layers.BatchNormalization(), layers.Dense(3)])
    if kind == "functional":
        seq = keras.Input((T, F), name="seq")
        extra = keras.Input((2,), name="extra")
        h = layers.Concatenate()([layers.LSTM(5)(seq), extra])
        out = layers.Dense(3)(layers.BatchNormalization()(h))
        return keras.Model({"seq": seq, "extra": extra}, out)
    return Sub()


def _data(kind, n, rng):
    if kind == "functional":
        return {"seq": rng.normal(size=(n, T, F)).astype("float32"),
                "extra": rng.normal(size=(n, 2)).astype("float32")}
    if kind == "sequential":  # integer token ids
        return {"x": rng.integers(0, 20, size=(n, T)).astype("int32")}
    return {"x": rng.normal(size=(n, F)).astype("float32")}


def _to(fw, data):
    from unikeras.xp import asarray

    return {k: asarray(v, framework=fw) for k, v in data.items()}


def _model_input(kind, d):
    return d if kind == "functional" else d["x"]


def _train_and_export(fw, kind, root, rng, entries):
    model = _build(kind)
    n_out = 2 if kind == "subclassed" else 3
    x = _data(kind, 16, rng)
    y = rng.normal(size=(16, n_out)).astype("float32")
    model.compile(optimizer="adam", loss="mse")
    from unikeras.xp import asarray

    model.fit(_model_input(kind, _to(fw, x)), asarray(y, framework=fw), batch_size=8,
              epochs=1, verbose=0)  # two steps: BatchNormalization statistics move
    assert model.framework == fw
    test = _data(kind, max(BATCHES), rng)
    data = {}
    for b in BATCHES:
        xb = {k: v[:b] for k, v in test.items()}
        out = model(_model_input(kind, _to(fw, xb)), training=False)
        data[f"expected_{b}"] = np.asarray(keras.ops.convert_to_numpy(out))
        for k, v in xb.items():
            data[f"{k}_{b}"] = v
    base = os.path.join(root, f"{fw}_{kind}")
    np.savez(base + ".npz", **data)
    flat = sorted(test)
    names = ["x"] if kind != "functional" else flat
    for fmt in FORMATS:
        if not _available(fmt):
            continue
        path = {"tf_saved_model": base + "_sm", "onnx": base + ".onnx", "torch": base + ".pt2",
                "jax": base + ".jax", "litert": base + ".tflite"}[fmt]
        model.export(path, format=fmt, verbose=False)
        entries.setdefault(fmt, []).append({
            "id": f"{fw}-{kind}", "path": path, "data": base + ".npz", "flat": flat,
            "names": names, "structured": "dict" if kind == "functional" else "single"})
    # export never moves the model off its training framework
    assert model.framework == fw
    assert all(v.framework == fw for v in model.variables)
    return model


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """Train, export and reload once per test session: under pytest-xdist the workers
    share the results through a locked directory (the first computes, others read)."""
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    root = shared / "export_served"
    root.mkdir(exist_ok=True)
    with open(root / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        done = root / "results.json"
        if done.exists():
            with open(done) as f:
                return json.load(f)
        results = _export_and_reload(str(root))
        with open(done, "w") as f:
            json.dump(results, f)
        return results


def _export_and_reload(root):
    rng = np.random.default_rng(0)
    entries = {}
    for fw in FRAMEWORKS:
        for kind in MODELS:
            _train_and_export(fw, kind, root, rng, entries)
    procs = {}
    for fmt, items in entries.items():
        manifest = os.path.join(root, f"{fmt}.json")
        with open(manifest, "w") as f:
            json.dump(items, f)
        script = _BLOCK + "\nimport numpy as np\n" + _LOADERS[fmt] + _MAIN
        env = dict(os.environ, OMP_NUM_THREADS="1", TF_CPP_MIN_LOG_LEVEL="3",
                   PYTHONPATH="")
        procs[fmt] = subprocess.Popen(
            [sys.executable, "-c", script, manifest, os.path.join(root, f"{fmt}.out.json")],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=root)
    results = {}
    for fmt, p in procs.items():
        try:
            out, err = p.communicate(timeout=240)
        except subprocess.TimeoutExpired:
            p.kill()
            out, err = p.communicate()
            results[fmt] = {"__error__": "timeout\n" + err[-3000:]}
            continue
        if p.returncode != 0:
            results[fmt] = {"__error__": err[-3000:]}
            continue
        with open(os.path.join(root, f"{fmt}.out.json")) as f:
            results[fmt] = json.load(f)
    return results


@pytest.mark.parametrize("kind", MODELS)
@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("fw", FRAMEWORKS)
def test_reloads_without_unikeras(served, fw, fmt, kind):
    if not _available(fmt):
        pytest.skip(f"format {fmt!r} needs packages that are not installed")
    res = served[fmt]
    assert "__error__" not in res, res.get("__error__")
    assert res["__blocked__"] == []  # neither keras nor unikeras was imported
    r = res[f"{fw}-{kind}"]
    n_out = 2 if kind == "subclassed" else 3
    assert r["shapes"] == [[b, n_out] for b in BATCHES]  # one artifact, two batch sizes
    assert all(e is not None and e < 1e-4 for e in r["errors"]), r
