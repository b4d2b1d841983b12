"""Keras' naming: ``to_snake_case`` exactly as ``keras.src.utils.naming.to_snake_case``
(default names of layers, losses, metrics and optimizers, and Keras' file paths)."""

from __future__ import annotations

import re

_NON_WORD = re.compile(r"\W+")
_BEFORE_WORD = re.compile(r"(.)([A-Z][a-z]+)")
_LOWER_UPPER = re.compile(r"([a-z])([A-Z])")


def to_snake_case(name: str) -> str:
    """``"KLThing"`` -> ``"kl_thing"``, ``"Conv2DTranspose"`` -> ``"conv2d_transpose"``,
    ``"ReLU"`` -> ``"re_lu"``, ``"LSTMCell"`` -> ``"lstm_cell"``."""
    name = _NON_WORD.sub("", name)
    name = _BEFORE_WORD.sub(r"\1_\2", name)
    return _LOWER_UPPER.sub(r"\1_\2", name).lower()
