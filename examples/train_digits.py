"""The main job: train one convnet definition on scikit-learn's 8x8 digits on every
installed framework (jax, torch, tensorflow), and report validation accuracy.

    python examples/train_digits.py [--epochs 30] [--frameworks jax,torch,tensorflow]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from sklearn.datasets import load_digits

import unikeras as keras
from unikeras import layers
from unikeras.xp import asarray, installed_frameworks


def load_data(seed=0):
    digits = load_digits()
    x = (digits.images / 16.0).astype("float32")[..., None]  # (1797, 8, 8, 1)
    y = digits.target.astype("int64")
    order = np.random.default_rng(seed).permutation(len(x))
    x, y = x[order], y[order]
    n_val = len(x) // 5
    return (x[n_val:], y[n_val:]), (x[:n_val], y[:n_val])


def build_model():
    return keras.Sequential([
        layers.Input((8, 8, 1)),
        layers.Conv2D(32, 3, padding="same", activation="relu"),
        layers.Conv2D(32, 3, padding="same", activation="relu"),
        layers.MaxPooling2D(2),
        layers.Conv2D(64, 3, padding="same", activation="relu"),
        layers.GlobalAveragePooling2D(),
        layers.Dropout(0.2, seed=1),
        layers.Dense(10, activation="softmax"),
    ], name="digits_convnet")


def train(framework, epochs=30, seed=0, verbose=0):
    (x_train, y_train), (x_val, y_val) = load_data(seed)
    keras.utils.set_random_seed(seed)
    model = build_model()
    model.compile(optimizer=keras.optimizers.Adam(3e-3),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    # The framework follows the data: hand the model that framework's arrays.
    xt, yt = asarray(x_train, framework=framework), asarray(y_train, framework=framework)
    xv, yv = asarray(x_val, framework=framework), asarray(y_val, framework=framework)
    t0 = time.perf_counter()
    history = model.fit(xt, yt, batch_size=64, epochs=epochs, validation_data=(xv, yv),
                        verbose=verbose)
    seconds = time.perf_counter() - t0
    scores = model.evaluate(xv, yv, return_dict=True, verbose=0)
    return model, history, scores, seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--frameworks", default=",".join(installed_frameworks()))
    parser.add_argument("--verbose", type=int, default=0)
    args = parser.parse_args()
    build_model().summary()
    print()
    for fw in args.frameworks.split(","):
        model, history, scores, seconds = train(fw, epochs=args.epochs, verbose=args.verbose)
        print(f"{fw:>10}: val_accuracy={scores['accuracy']:.4f}  val_loss={scores['loss']:.4f}  "
              f"train_loss={history.history['loss'][-1]:.4f}  ({seconds:.1f} s, "
              f"{args.epochs} epochs)")


if __name__ == "__main__":
    main()
