"""keras.saving.KerasFileEditor on .keras and .weights.h5 files written by unikeras and by
Keras 3 itself: the weights tree (vars folded into objects), renaming / deleting /
adding objects and weights, and the edited file loading into a model, on every
framework."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

import unikeras as keras
from unikeras import layers
from unikeras.saving import KerasFileEditor


def _model(names=("first", "second")):
    return keras.Sequential([keras.Input((3,)), layers.Dense(4, name=names[0]),
                             layers.Dense(2, name=names[1])])


def test_inspect_edit_and_reload(framework, to_fw, to_np, tmp_path, capsys):
    model = _model()
    x = to_fw(np.arange(6, dtype="float32").reshape(2, 3), framework)
    want = to_np(model(x))
    path = str(tmp_path / "m.keras")
    model.save(path)
    editor = KerasFileEditor(path)
    assert editor.config["class_name"] == "Sequential"
    dense = editor.weights_dict["layers"]["dense"]
    np.testing.assert_array_equal(dense["0"], to_np(model.layers[0].kernel))
    assert set(editor.weights_dict["layers"]) == {"dense", "dense_1"}
    editor.summary()
    assert "dense_1/" in capsys.readouterr().out
    assert editor.compare(_model())["status"] == "success"
    assert editor.compare(keras.Sequential([keras.Input((3,)), layers.Dense(5)]))[
        "error_count"] > 0
    # swap the two Dense objects' places is not shape-valid; rename and re-add instead
    editor.rename_object("dense_1", "renamed")
    with pytest.raises(ValueError, match="does not appear"):
        editor.delete_object("dense_1")
    editor.rename_object("renamed", "dense_1")
    kernel = np.full((4, 2), 0.5, "float32")
    editor.add_weights("layers/dense_1", {"0": kernel})  # replace the last kernel
    out = str(tmp_path / "edited.weights.h5")
    editor.save(out)
    fresh = _model()
    fresh.load_weights(out)
    np.testing.assert_array_equal(to_np(fresh.layers[1].kernel), kernel)
    np.testing.assert_array_equal(to_np(fresh.layers[0].kernel),
                                  to_np(model.layers[0].kernel))
    hidden = to_np(model.layers[0](x))
    np.testing.assert_allclose(to_np(fresh(x)), hidden @ kernel + to_np(model.layers[1].bias),
                               rtol=1e-5)
    assert not np.allclose(to_np(fresh(x)), want)
    # deleting a weight leaves a file the model refuses, naming the object
    editor.delete_weight("dense_1", "1")
    editor.save(out)
    with pytest.raises(ValueError, match="dense_1"):
        _model().load_weights(out)
    editor.delete_object("layers/dense_1")
    editor.add_object("layers/dense_1", {"0": kernel, "1": np.zeros(2, "float32")})
    editor.save(out)
    again = _model()
    again.load_weights(out)
    np.testing.assert_array_equal(to_np(again.layers[1].bias), np.zeros(2))


def test_reads_a_keras_written_file(tmp_path):
    pytest.importorskip("keras")
    path = tmp_path / "k.keras"
    script = (
        "import keras, numpy as np\n"
        "m = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4), keras.layers.Dense(2)])\n"
        "m.layers[0].kernel.assign(np.arange(12, dtype='float32').reshape(3, 4))\n"
        f"m.save({str(path)!r})\n")
    env = dict(os.environ, KERAS_BACKEND="numpy", TF_CPP_MIN_LOG_LEVEL="3")
    proc = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    editor = KerasFileEditor(str(path))
    np.testing.assert_array_equal(editor.weights_dict["layers"]["dense"]["0"],
                                  np.arange(12, dtype="float32").reshape(3, 4))
    assert editor.metadata["keras_version"].startswith("3.")
    out = str(tmp_path / "k.weights.h5")
    editor.save(out)
    model = _model()
    model.load_weights(out)
    np.testing.assert_array_equal(model.layers[0].kernel.numpy(),
                                  np.arange(12, dtype="float32").reshape(3, 4))


def test_bad_paths():
    with pytest.raises(ValueError, match="expected a `.keras` `.weights.h5` extension"):
        KerasFileEditor("model.h5")
