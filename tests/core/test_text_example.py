"""examples/text_classification.py (text folder -> TextVectorization in tf.data -> fit ->
end-to-end model on raw strings) learns the toy corpus on every framework. The whole
pipeline runs (folder reading, adapt, tf.data map, a compiled fit): 5-10 s per framework
on an idle machine, mostly the first jit/tf.function compile."""

import importlib.util
import pathlib

import numpy as np

from unikeras.xp import framework_of, to_numpy

_path = pathlib.Path(__file__).resolve().parents[2] / "examples" / "text_classification.py"
_spec = importlib.util.spec_from_file_location("text_classification", _path)
text_classification = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(text_classification)


def test_text_folder_to_fit(framework):
    model, history, probs = text_classification.train(framework, epochs=6)
    assert history.history["val_accuracy"][-1] >= 0.9
    assert framework_of(probs) == framework
    p = np.asarray(to_numpy(probs)).ravel()
    assert p[0] > 0.5 > p[1], p
