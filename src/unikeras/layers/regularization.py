"""Regularization layers: Dropout, SpatialDropout1D/2D/3D, GaussianNoise,
GaussianDropout, AlphaDropout, ActivityRegularization.

Every random layer holds a ``SeedGenerator`` (``self.seed_generator``) whose state is a
non-trainable variable: the same seed gives the same masks on one framework, and under
``stateless_call`` / the JAX train step the advanced seed comes back with the rest of the
state. All are the identity when ``training`` is falsy.
"""

from __future__ import annotations

import math

from .. import regularizers
from ..state import SeedGenerator
from ..utils.serialization import register
from ..xp import framework_of, namespace, random as xrandom, standardize_dtype
from .input_spec import InputSpec
from .layer import Layer


def _check_rate(cls, rate, upper_inclusive=True):
    ok = isinstance(rate, (int, float)) and (0 <= rate <= 1 if upper_inclusive else 0 <= rate < 1)
    if not ok:
        raise ValueError(f"{cls}: rate must be a float in [0, 1{']' if upper_inclusive else ')'}; "
                         f"received rate={rate!r}")
    return float(rate)


def _data_format(cls, value):
    if value is None:
        return "channels_last"
    v = str(value).lower()
    if v not in ("channels_last", "channels_first"):
        raise ValueError(f"{cls}: data_format must be 'channels_last' or 'channels_first'; "
                         f"received data_format={value!r}")
    return v


class _Random(Layer):
    """Shared bits: a seed, a seed generator, masking passes through."""

    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.seed = seed
        self.seed_generator = SeedGenerator(seed)
        self.supports_masking = True
        self.built = True

    def compute_output_shape(self, input_shape):
        return input_shape


@register
class Dropout(_Random):
    """Keras 3's ``Dropout(rate, noise_shape=None, seed=None)``: in training, zero each
    entry with probability ``rate`` and scale the rest by ``1 / (1 - rate)``;
    ``noise_shape`` (``None`` entries take the input's size) shares one draw along the
    axes where it is 1."""

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.rate = _check_rate("Dropout", rate)
        self.noise_shape = None if noise_shape is None else tuple(noise_shape)

    def _noise_shape(self, inputs):
        if self.noise_shape is None:
            return None
        if len(self.noise_shape) != inputs.ndim:
            raise ValueError(
                f'{type(self).__name__} layer "{self.name}": noise_shape {self.noise_shape} '
                f"must have the rank of the inputs; received inputs of shape "
                f"{tuple(inputs.shape)}")
        return self.noise_shape

    def call(self, inputs, training=False):
        if not training or self.rate == 0:
            return inputs
        if self.rate == 1:
            xp = namespace(inputs)
            return xp.zeros_like(inputs)
        return xrandom.dropout(inputs, self.rate, noise_shape=self._noise_shape(inputs),
                               seed=self.seed_generator)

    def get_config(self):
        config = super().get_config()
        config.update({"rate": self.rate, "seed": self.seed,
                       "noise_shape": None if self.noise_shape is None else list(self.noise_shape)})
        return config


class _SpatialDropout(Dropout):
    _ndim = 3

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(rate, seed=seed, **kwargs)
        self.input_spec = InputSpec(ndim=self._ndim)

    def _noise_shape(self, inputs):
        shape = tuple(inputs.shape)
        if getattr(self, "data_format", "channels_last") == "channels_first":
            return shape[:2] + (1,) * (self._ndim - 2)
        return (shape[0],) + (1,) * (self._ndim - 2) + (shape[-1],)

    def get_config(self):
        config = super().get_config()
        config.pop("noise_shape", None)
        if hasattr(self, "data_format"):
            config["data_format"] = self.data_format
        return config


@register
class SpatialDropout1D(_SpatialDropout):
    """Keras 3's ``SpatialDropout1D(rate, seed=None)``: drops whole channels of
    (batch, steps, channels) inputs."""
    _ndim = 3


@register
class SpatialDropout2D(_SpatialDropout):
    """Keras 3's ``SpatialDropout2D(rate, data_format=None, seed=None)``: drops whole
    feature maps of 4D inputs."""
    _ndim = 4

    def __init__(self, rate, data_format=None, seed=None, **kwargs):
        self.__dict__["data_format"] = _data_format("SpatialDropout2D", data_format)
        super().__init__(rate, seed=seed, **kwargs)


@register
class SpatialDropout3D(_SpatialDropout):
    """Keras 3's ``SpatialDropout3D(rate, data_format=None, seed=None)``: drops whole
    feature volumes of 5D inputs."""
    _ndim = 5

    def __init__(self, rate, data_format=None, seed=None, **kwargs):
        self.__dict__["data_format"] = _data_format("SpatialDropout3D", data_format)
        super().__init__(rate, seed=seed, **kwargs)


@register
class GaussianNoise(_Random):
    """Keras 3's ``GaussianNoise(stddev, seed=None)``: adds N(0, stddev) noise in
    training."""

    def __init__(self, stddev, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        if not isinstance(stddev, (int, float)) or stddev < 0:
            raise ValueError(f"GaussianNoise: stddev must be a non-negative float; received "
                             f"stddev={stddev!r}")
        self.stddev = float(stddev)

    def call(self, inputs, training=False):
        if not training or self.stddev == 0:
            return inputs
        noise = xrandom.normal(tuple(inputs.shape), mean=0.0, stddev=self.stddev,
                               dtype=standardize_dtype(inputs.dtype), seed=self.seed_generator,
                               framework=framework_of(inputs))
        return inputs + noise

    def get_config(self):
        config = super().get_config()
        config.update({"stddev": self.stddev, "seed": self.seed})
        return config


@register
class GaussianDropout(_Random):
    """Keras 3's ``GaussianDropout(rate, seed=None)``: multiplies by N(1, sqrt(rate /
    (1 - rate))) noise in training."""

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.rate = _check_rate("GaussianDropout", rate)

    def call(self, inputs, training=False):
        if not training or not 0 < self.rate < 1:
            return inputs
        stddev = math.sqrt(self.rate / (1.0 - self.rate))
        noise = xrandom.normal(tuple(inputs.shape), mean=1.0, stddev=stddev,
                               dtype=standardize_dtype(inputs.dtype), seed=self.seed_generator,
                               framework=framework_of(inputs))
        return inputs * noise

    def get_config(self):
        config = super().get_config()
        config.update({"rate": self.rate, "seed": self.seed})
        return config


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


@register
class AlphaDropout(Dropout):
    """Keras 3's ``AlphaDropout(rate, noise_shape=None, seed=None)``: dropout that keeps
    the mean and variance of SELU activations (dropped entries are set to the SELU
    saturation value, then an affine correction is applied)."""

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(rate, noise_shape=noise_shape, seed=seed, **kwargs)

    def call(self, inputs, training=False):
        if not training or self.rate == 0:
            return inputs
        xp = namespace(inputs)
        shape = self._noise_shape(inputs)
        shape = tuple(inputs.shape) if shape is None else tuple(
            s if d is None else d for d, s in zip(shape, inputs.shape))
        alpha_p = -_SELU_ALPHA * _SELU_SCALE
        u = xrandom.uniform(shape, dtype=standardize_dtype(inputs.dtype),
                            seed=self.seed_generator, framework=framework_of(inputs))
        kept = xp.astype(u >= self.rate, inputs.dtype)
        a = ((1 - self.rate) * (1 + self.rate * alpha_p**2)) ** -0.5
        b = -a * alpha_p * self.rate
        x = inputs * kept + alpha_p * (1 - kept)
        return a * x + b


@register
class ActivityRegularization(Layer):
    """Keras 3's ``ActivityRegularization(l1=0.0, l2=0.0)``: the identity, adding
    ``l1 * sum|x| + l2 * sum x**2`` (divided by the batch size) to ``layer.losses``."""

    def __init__(self, l1=0.0, l2=0.0, **kwargs):
        super().__init__(activity_regularizer=regularizers.L1L2(l1=l1, l2=l2), **kwargs)
        self.l1 = l1
        self.l2 = l2
        self.supports_masking = True
        self.built = True

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update({"l1": self.l1, "l2": self.l2})
        return config
