"""Image folder -> augmentation -> small convnet fit, the Keras image-classification
recipe, on any framework: the folder is read with
``keras.utils.image_dataset_from_directory`` (a tf.data pipeline: decode, resize,
batch), augmentation layers (``RandomZoom``, ``RandomTranslation``) are the
first layers of the model, active only while training, and the model trains with
whichever framework is chosen.

    python examples/image_classification.py [--framework torch] [--epochs 12] [--dir D]

Without ``--dir`` the scikit-learn digits (8x8 grayscale, 10 classes) are written as PNG
files to a temporary folder, one sub-folder per class, as an image dataset on disk is
laid out (no network needed).
"""

from __future__ import annotations

import argparse
import os
import tempfile

import numpy as np

import unikeras as keras
from unikeras import layers


def write_digits(root, per_class=64, seed=0):
    """The sklearn digits as PNG files under ``root/<digit>/``; returns ``root``."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    rng = np.random.default_rng(seed)
    for label in range(10):
        folder = os.path.join(root, str(label))
        os.makedirs(folder, exist_ok=True)
        idx = rng.permutation(np.flatnonzero(digits.target == label))[:per_class]
        for i, j in enumerate(idx):
            img = (digits.images[j] * (255 / 16)).round()[..., None]
            keras.utils.save_img(os.path.join(folder, f"{i}.png"), img, scale=False)
    return root


def build_model(image_size=(16, 16), num_classes=10, seed=0):
    augment = keras.Sequential([
        layers.RandomZoom(0.1, seed=seed + 1),
        layers.RandomTranslation(0.08, 0.08, seed=seed + 2),
    ], name="augmentation")
    return keras.Sequential([
        layers.Input(shape=image_size + (1,)),
        augment,
        layers.Rescaling(1 / 255),
        layers.Conv2D(16, 3, padding="same", activation="relu"),
        layers.MaxPooling2D(),
        layers.Conv2D(32, 3, padding="same", activation="relu"),
        layers.MaxPooling2D(),
        layers.Flatten(),
        layers.Dense(64, activation="relu"),
        layers.Dense(num_classes, activation="softmax"),
    ])


def train(framework=None, epochs=12, directory=None, seed=0, per_class=64):
    keras.utils.set_random_seed(seed)
    tmp = None
    if directory is None:
        tmp = tempfile.TemporaryDirectory()
        directory = write_digits(tmp.name, per_class=per_class, seed=seed)
    common = dict(color_mode="grayscale", image_size=(16, 16), batch_size=32, seed=seed,
                  validation_split=0.2, verbose=False)
    train_ds, val_ds = keras.utils.image_dataset_from_directory(directory, subset="both",
                                                                **common)
    model = build_model(seed=seed)
    model.compile(optimizer=keras.optimizers.Adam(3e-3),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    scope = keras.framework_scope(framework) if framework else _null()
    with scope:
        history = model.fit(train_ds, validation_data=val_ds, epochs=epochs, verbose=0)
        images, labels = next(iter(val_ds.as_numpy_iterator()))
        probs = model.predict(images, verbose=0)
    if tmp is not None:
        tmp.cleanup()
    return model, history, (probs, labels), train_ds.class_names


class _null:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--framework", default=None, help="jax, torch or tensorflow")
    p.add_argument("--epochs", type=int, default=12)
    p.add_argument("--dir", default=None, help="a folder with one sub-folder per class")
    a = p.parse_args()
    _, history, (probs, labels), classes = train(a.framework, a.epochs, a.dir)
    acc = float(np.mean(np.argmax(np.asarray(keras.ops.convert_to_numpy(probs)), -1)
                        == labels))
    print(f"classes {classes}; val accuracy {history.history['val_accuracy'][-1]:.3f} "
          f"(first validation batch: {acc:.3f})")


if __name__ == "__main__":
    main()
