"""Keras 3 layers, written once against the Array API standard."""

from .input_spec import InputSpec
from .layer import Layer
from .symbolic import Input, InputLayer, KerasTensor
from .core import Activation, Dense, Identity, Lambda
