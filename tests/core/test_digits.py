"""The main job's convnet reaches >= 97% validation accuracy on the 8x8 digits on each
of jax, torch and tensorflow (one model definition)."""

import importlib.util
import pathlib
import sys

import pytest

pytest.importorskip("sklearn")

_path = pathlib.Path(__file__).resolve().parents[2] / "examples" / "train_digits.py"
_spec = importlib.util.spec_from_file_location("train_digits", _path)
train_digits = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(train_digits)


def test_digits_convnet_reaches_97_percent(framework):
    model, history, scores, _ = train_digits.train(framework, epochs=20)
    assert model.framework == framework
    assert scores["accuracy"] >= 0.97, scores
    assert history.history["val_accuracy"][-1] >= 0.97
