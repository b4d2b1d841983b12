"""examples/image_classification.py (image folder -> image_dataset_from_directory ->
augmentation layers in the model -> small convnet fit) learns the sklearn digits written
as PNG files, on every framework. The whole pipeline runs (PNG writing and decoding,
tf.data, augmentation inside the compiled train step): ~10 s for torch and TensorFlow
on a quiet machine; JAX spends 10-40 s compiling the train step with the two affine
augmentation layers inside (32 images per class: 256 training images make whole batches
of 32, so each step compiles once)."""

import importlib.util
import pathlib

import numpy as np

from unikeras.xp import to_numpy

_path = pathlib.Path(__file__).resolve().parents[2] / "examples" / "image_classification.py"
_spec = importlib.util.spec_from_file_location("image_classification", _path)
image_classification = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(image_classification)


def test_image_folder_to_fit(framework):
    model, history, (probs, labels), classes = image_classification.train(
        framework, epochs=10, per_class=32)
    assert classes == [str(d) for d in range(10)]
    assert history.history["val_accuracy"][-1] >= 0.7, history.history["val_accuracy"]
    acc = np.mean(np.argmax(np.asarray(to_numpy(probs)), -1) == labels)
    assert acc >= 0.6  # one validation batch of 32 (chance: 0.1)
    # the augmentation is the identity at inference and changes images in training
    augment = model.layers[0]
    x = np.random.default_rng(0).uniform(0, 255, (4, 16, 16, 1)).astype("float32")
    np.testing.assert_array_equal(np.asarray(to_numpy(augment(x, training=False))), x)
    assert not np.allclose(np.asarray(to_numpy(augment(x, training=True))), x)
