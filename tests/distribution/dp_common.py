"""Shared by the multi-process scripts (jax_multiprocess_script.py, torch_dp_script.py):
the data, the model, and each process's rows of every global batch of 16."""

import numpy as np


def data():
    rng = np.random.default_rng(0)
    return rng.normal(size=(48, 6)).astype("float32"), rng.normal(size=(48, 2)).astype("float32")


def make(keras):
    from unikeras import layers
    keras.utils.set_random_seed(0)
    m = keras.Sequential([layers.Input((6,)), layers.Dense(8, activation="tanh"), layers.Dense(2)])
    m.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
    return m


def local_rows(rank):
    """Process ``rank`` of 2 takes rows [8 * rank, 8 * rank + 8) of each global batch."""
    return np.concatenate([np.arange(g, g + 16)[rank * 8:(rank + 1) * 8]
                           for g in range(0, 48, 16)])
