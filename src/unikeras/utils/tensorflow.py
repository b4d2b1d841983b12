"""TensorFlow's part of ``keras.utils``: seeding its global generator."""

from __future__ import annotations

import tensorflow as tf


def set_random_seed(seed: int) -> None:
    tf.random.set_seed(seed)
