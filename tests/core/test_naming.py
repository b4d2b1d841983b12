"""Default names follow Keras' to_snake_case (one implementation: unikeras.utils.naming)."""

import pytest

import unikeras as keras
from unikeras.utils.naming import to_snake_case

NAMES = ["KLThing", "MeanSquaredError", "AUC", "Conv2DTranspose", "ReLU", "LSTMCell", "SGD",
         "AdamW", "KLDivergence", "MyHTTPLayer2D", "Top_K", "My.Name", "x"]


def test_to_snake_case_is_keras():
    naming = pytest.importorskip("keras.src.utils.naming")
    for name in NAMES:
        assert to_snake_case(name) == naming.to_snake_case(name), name


def test_user_classes_get_keras_default_names():
    naming = pytest.importorskip("keras.src.utils.naming")
    expected = naming.to_snake_case("KLThing")  # "kl_thing"

    class KLThing(keras.losses.Loss):
        def call(self, y_true, y_pred):
            return (y_true - y_pred) ** 2

    class KLThingMetric(keras.metrics.Mean):
        pass

    class KLThingOpt(keras.optimizers.SGD):
        def __init__(self, **kwargs):
            super().__init__(name=None, **kwargs)

    class KLThingLayer(keras.layers.Layer):
        def call(self, x):
            return x

    assert KLThing().name == expected
    assert KLThingMetric(name=None).name == naming.to_snake_case("KLThingMetric")
    assert KLThingLayer().name.startswith(naming.to_snake_case("KLThingLayer"))
    opt = KLThingOpt()
    assert opt.name == naming.to_snake_case("KLThingOpt")
