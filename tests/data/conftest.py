"""The dataset utilities shuffle with tf.data's seeded ops, as Keras does, and TF
combines an op seed with its global seed: a test elsewhere in the same worker that ran
``keras.utils.set_random_seed`` (which seeds TF globally, as Keras' does) would change
the order. The Keras references run in a fresh process without a global seed, so each
test here starts without one too."""

import sys

import pytest


@pytest.fixture(autouse=True)
def _no_global_tf_seed():
    tf = sys.modules.get("tensorflow")
    if tf is not None:
        tf.random.set_seed(None)
    yield
