"""Loader errors are ValueErrors naming the problem; loads are all-or-nothing; saves are
atomic (a process killed while saving leaves the previous file loadable); a fresh
process loads a Sequential without touching unikeras.models first."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import zipfile

import h5py
import numpy as np
import pytest

import unikeras as keras
from unikeras import layers


def _model(fill=0.25):
    m = keras.Sequential([layers.Input((4,)), layers.Dense(3), layers.Dense(2)])
    m.set_weights([np.full(w.shape, fill, "float32") for w in m.get_weights()])
    return m


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    d = tmp_path_factory.mktemp("good")
    m = _model()
    m.save(d / "good.keras")
    m.save_weights(d / "good.weights.h5")
    with zipfile.ZipFile(d / "good.keras") as z:
        config = z.read("config.json").decode()
    return {"keras": d / "good.keras", "h5": d / "good.weights.h5", "config": config}


def _with_config(saved, tmp_path, text):
    path = tmp_path / "c.keras"
    with zipfile.ZipFile(saved["keras"]) as src, zipfile.ZipFile(path, "w") as dst:
        dst.writestr("config.json", text)
        dst.writestr("model.weights.h5", src.read("model.weights.h5"))
    return path


def _edit(spec_text, fn):
    spec = json.loads(spec_text)
    fn(spec)
    return json.dumps(spec)


def _set_layers(s):
    s["config"]["layers"] = "abc"


def _set_units(s):
    s["config"]["layers"][1]["config"]["units"] = "many"


CONFIGS = {
    "a list": ("[]", "expected a JSON object"),
    "a number": ("42", "expected a JSON object"),
    "config is a string": ('{"class_name": "Sequential", "config": "x"}', "must be a JSON object"),
    "layers is a string": (None, "layers"),
    "units is a string": (None, "units"),
    "not JSON": ("{nope", "not valid JSON"),
    "deeply nested": ("[" * 100000 + "]" * 100000, "config.json"),
    "no class_name": ('{"config": {}}', "class_name"),
}


@pytest.mark.parametrize("case", sorted(CONFIGS))
def test_bad_configs_give_value_errors_naming_the_problem(saved, tmp_path, case):
    text, words = CONFIGS[case]
    if case == "layers is a string":
        text = _edit(saved["config"], _set_layers)
    if case == "units is a string":
        text = _edit(saved["config"], _set_units)
    with pytest.raises(ValueError, match=words) as info:
        keras.saving.load_model(_with_config(saved, tmp_path, text))
    assert "c.keras" in str(info.value)


def _weights_edit(saved, tmp_path, edit):
    path = tmp_path / "w.weights.h5"
    path.write_bytes(saved["h5"].read_bytes())
    with h5py.File(path, "r+") as f:
        edit(f)
    return path


def _rename_to_evil(f):
    f.move("layers/dense/vars/1", "layers/dense/vars/evil")


def _string_bias(f):
    del f["layers/dense_1/vars/1"]
    f["layers/dense_1/vars/1"] = np.array([b"a", b"b"])


def _wrong_shape_last(f):
    del f["layers/dense_1/vars/1"]
    f["layers/dense_1/vars/1"] = np.zeros((7,), "float32")


def _group_for_dataset(f):
    del f["layers/dense_1/vars/0"]
    f.create_group("layers/dense_1/vars/0")


def _complex_kernel(f):
    del f["layers/dense_1/vars/0"]
    f["layers/dense_1/vars/0"] = np.zeros((3, 2), "complex64")


def _unwritten_kernel(f):
    del f["layers/dense_1/vars/0"]
    f.create_dataset("layers/dense_1/vars/0", shape=(3, 2), dtype="f4")  # nothing stored


def _unwritten_chunks(f):
    del f["layers/dense_1/vars/0"]
    d = f.create_dataset("layers/dense_1/vars/0", shape=(3, 2), dtype="f4", chunks=(1, 2),
                         compression="gzip")
    d[0] = 1.0  # one chunk of three written


@pytest.mark.parametrize("edit, words", [
    (_unwritten_kernel, "stores only 0 bytes"),
    (_unwritten_chunks, "1 of its 3 chunks"),
    (_rename_to_evil, "'evil'"),
    (_string_bias, "layers/dense_1/vars/1"),
    (_wrong_shape_last, "expected shape (2,)"),
    (_group_for_dataset, "should be a dataset"),
    (_complex_kernel, "complex"),
])
def test_bad_weights_refused_and_nothing_changes(framework, to_fw, saved, tmp_path, edit, words):
    """All-or-nothing: the first layer's kernel is valid in the file and comes first,
    yet a failure later leaves every weight as it was (on every framework)."""
    m = _model(fill=0.5)
    m(to_fw(np.ones((1, 4), "float32"), framework))  # variables live on `framework`
    before = [np.array(w) for w in m.get_weights()]
    path = _weights_edit(saved, tmp_path, edit)
    with pytest.raises(ValueError, match=words.replace("(", r"\(").replace(")", r"\)")):
        m.load_weights(path)
    for a, b in zip(m.get_weights(), before):
        np.testing.assert_array_equal(np.asarray(a), b)
    m.load_weights(saved["h5"])  # and a good file still loads
    for w in m.get_weights():
        np.testing.assert_array_equal(np.asarray(w), 0.25)


def test_failed_assignment_rolls_back(saved, monkeypatch):
    """If assigning a variable fails half-way, the ones already assigned are restored."""
    from unikeras.saving import weights_h5

    m = _model(fill=0.5)
    variables = [v for _, layer in weights_h5.walk(m) for v in weights_h5.own_variables(layer)]
    boom = variables[2]
    original = type(boom).assign
    calls = []

    def assign(self, value):
        if self is boom and not calls:
            calls.append(1)
            raise RuntimeError("device lost")
        return original(self, value)

    monkeypatch.setattr(type(boom), "assign", assign)
    with pytest.raises(RuntimeError, match="device lost"):
        m.load_weights(saved["h5"])
    for w in m.get_weights():
        np.testing.assert_array_equal(np.asarray(w), 0.5)


def test_fresh_process_loads_a_sequential_through_saving_only(saved):
    code = ("import sys, unikeras.saving as s; m = s.load_model(sys.argv[1]); "
            "import numpy as np; print(type(m).__name__, float(np.asarray(m.get_weights()[0]).sum()))")
    env = dict(os.environ, UNIKERAS_BACKEND="numpy")
    out = subprocess.run([sys.executable, "-c", code, str(saved["keras"])], env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["Sequential", "3.0"]  # 4x3 kernel of 0.25


# ------------------------------------------------------------------ atomic saves
_SAVER = r"""
import os, sys
os.environ["UNIKERAS_BACKEND"] = "numpy"
import numpy as np, unikeras as keras
from unikeras import layers
path = sys.argv[1]
m = keras.Sequential([layers.Input((256,)), layers.Dense(2048), layers.Dense(1024)])  # ~10 MB
k = 1
while True:
    m.set_weights([np.full(w.shape, float(k), "float32") for w in m.get_weights()])
    m.save(path) if path.endswith(".keras") else m.save_weights(path)
    print(k, flush=True)
    k += 1
"""


@pytest.mark.parametrize("suffix", [".keras", ".weights.h5"])
def test_killed_during_save_keeps_the_previous_file(tmp_path, suffix):
    path = tmp_path / ("m" + suffix)
    env = dict(os.environ, UNIKERAS_BACKEND="numpy", OMP_NUM_THREADS="1")
    for delay in (0.05, 0.13, 0.31):
        proc = subprocess.Popen([sys.executable, "-c", _SAVER, str(path)], env=env,
                                stdout=subprocess.PIPE, text=True)
        try:
            assert proc.stdout.readline().strip() == "1"  # one complete save exists
            time.sleep(delay)
            os.kill(proc.pid, signal.SIGKILL)
        finally:
            proc.wait()
        m = keras.Sequential([layers.Input((256,)), layers.Dense(2048), layers.Dense(1024)])
        if suffix == ".keras":
            m = keras.saving.load_model(path, compile=False)
        else:
            m.load_weights(path)
        values = {float(np.asarray(w).ravel()[0]) for w in m.get_weights()}
        assert len(values) == 1 and min(values) >= 1  # one complete save, not a mix
        for w in m.get_weights():
            assert np.all(np.asarray(w) == min(values))


def test_save_errors_leave_the_old_file(tmp_path):
    path = tmp_path / "m.keras"
    _model(0.25).save(path)

    class Unsavable(layers.Layer):
        def call(self, x):
            return x

        def get_config(self):
            raise RuntimeError("no config")

    bad = keras.Sequential([layers.Input((4,)), Unsavable()])
    with pytest.raises(RuntimeError):
        bad.save(path)
    assert sorted(os.listdir(tmp_path)) == ["m.keras"]  # no temporary file left behind
    m = keras.saving.load_model(path)
    assert all(np.all(np.asarray(w) == 0.25) for w in m.get_weights())


def test_model_checkpoint_writes_atomically(tmp_path, monkeypatch):
    """ModelCheckpoint saves through model.save / save_weights, which go through
    atomic_write: the checkpoint path is only ever replaced by os.replace."""
    from unikeras.saving import _files

    replaced = []
    real = os.replace
    monkeypatch.setattr(_files.os, "replace",
                        lambda a, b: (replaced.append((str(a), str(b))), real(a, b))[1])
    m = _model()
    m.compile("sgd", "mse")
    x, y = np.ones((8, 4), "float32"), np.ones((8, 2), "float32")
    for name, weights_only in (("ck.keras", False), ("ck.weights.h5", True)):
        target = str(tmp_path / name)
        m.fit(x, y, epochs=2, verbose=0, callbacks=[
            keras.callbacks.ModelCheckpoint(target, save_weights_only=weights_only)])
        assert [b for _, b in replaced if b == target] == [target, target]
        assert all(os.path.dirname(a) == str(tmp_path) for a, _ in replaced)
        m2 = _model(0.0)
        m2.load_weights(target)
        for a, b in zip(m2.get_weights(), m.get_weights()):
            np.testing.assert_allclose(np.asarray(a), np.asarray(b))
