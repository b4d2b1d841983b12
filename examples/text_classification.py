"""Text folder -> TextVectorization -> fit, the Keras text-classification recipe, on
any framework: the folder is read with ``keras.utils.text_dataset_from_directory``
(a tf.data pipeline), ``TextVectorization`` is adapted on the raw text and mapped over
the dataset (strings become integers on the host, inside tf.data), and the model trains
with whichever framework is chosen. Finally an end-to-end model with a string ``Input``
classifies raw strings.

    python examples/text_classification.py [--framework torch] [--epochs 10] [--dir D]

Without ``--dir`` a small corpus is written to a temporary folder (no network needed):
one folder per class, one text file per review, as Keras' IMDB layout.
"""

from __future__ import annotations

import argparse
import os
import tempfile

import numpy as np

import unikeras as keras
from unikeras import layers

POSITIVE = ["great", "wonderful", "loved", "excellent", "brilliant", "fun", "moving"]
NEGATIVE = ["awful", "boring", "hated", "terrible", "dull", "waste", "bad"]
FILLER = ["the", "movie", "film", "plot", "acting", "was", "really", "quite", "and", "a"]


def write_corpus(root, n_per_class=120, seed=0):
    rng = np.random.default_rng(seed)
    for label, words in (("pos", POSITIVE), ("neg", NEGATIVE)):
        os.makedirs(os.path.join(root, label), exist_ok=True)
        for i in range(n_per_class):
            toks = list(rng.choice(FILLER, size=8)) + list(rng.choice(words, size=2))
            rng.shuffle(toks)
            text = " ".join(toks).capitalize() + "!"
            with open(os.path.join(root, label, f"{i}.txt"), "w", encoding="utf-8") as f:
                f.write(text)
    return root


def train(framework=None, epochs=10, directory=None, seed=0):
    keras.utils.set_random_seed(seed)
    tmp = None
    if directory is None:
        tmp = tempfile.TemporaryDirectory()
        directory = write_corpus(tmp.name, seed=seed)
    train_ds = keras.utils.text_dataset_from_directory(
        directory, batch_size=32, validation_split=0.2, subset="training", seed=seed)
    val_ds = keras.utils.text_dataset_from_directory(
        directory, batch_size=32, validation_split=0.2, subset="validation", seed=seed)

    vectorize = layers.TextVectorization(max_tokens=200, output_mode="int",
                                         output_sequence_length=16)
    vectorize.adapt(train_ds.map(lambda text, label: text))
    train_ids = train_ds.map(lambda text, label: (vectorize(text), label))
    val_ids = val_ds.map(lambda text, label: (vectorize(text), label))

    model = keras.Sequential([
        layers.Input(shape=(16,), dtype="int32"),
        layers.Embedding(200, 16),
        layers.GlobalAveragePooling1D(),
        layers.Dense(16, activation="relu"),
        layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="binary_crossentropy",
                  metrics=["accuracy"])
    scope = keras.framework_scope(framework) if framework else _null()
    with scope:
        history = model.fit(train_ids, validation_data=val_ids, epochs=epochs, verbose=0)

    # End to end: raw strings in, probabilities out.
    inp = keras.Input(shape=(1,), dtype="string")
    end_to_end = keras.Model(inp, model(vectorize(inp)))
    with scope:
        probs = end_to_end(np.array([["A really wonderful and moving film!"],
                                     ["Boring plot, a waste."]]))
    if tmp is not None:
        tmp.cleanup()
    return model, history, probs


class _null:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--framework", default=None, help="jax, torch or tensorflow")
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--dir", default=None, help="a folder with one sub-folder per class")
    a = p.parse_args()
    _, history, probs = train(a.framework, a.epochs, a.dir)
    print(f"val accuracy {history.history['val_accuracy'][-1]:.3f}; "
          f"P(positive) for a positive and a negative review: "
          f"{np.asarray(keras.ops.convert_to_numpy(probs)).ravel().round(3)}")


if __name__ == "__main__":
    main()
