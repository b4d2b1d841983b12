"""Audio preprocessing layers, written once: ``MelSpectrogram`` (Keras 3.15: STFT
magnitude, mel filter bank, optional decibels) and ``STFTSpectrogram`` (the STFT as a
strided convolution with ``STFT``-initialized kernels, trainable as in Keras)."""

from __future__ import annotations

import math
import warnings

import numpy as np

from ... import initializers, nn_ops
from ...config import image_data_format
from ...ops.signal import stft
from ...utils.serialization import register
from ...xp import namespace, standardize_dtype
from ..input_spec import InputSpec
from ..layer import Layer
from ..normalization import dtype_obj
from .core import _ConstCache

_MEL_BREAK_FREQUENCY_HERTZ = 700.0
_MEL_HIGH_FREQUENCY_Q = 1127.0


def _hertz_to_mel(f):
    return _MEL_HIGH_FREQUENCY_Q * np.log(1.0 + f / _MEL_BREAK_FREQUENCY_HERTZ)


def linear_to_mel_weight_matrix(num_mel_bins=20, num_spectrogram_bins=129,
                                sampling_rate=8000, lower_edge_hertz=125.0,
                                upper_edge_hertz=3800.0, dtype="float32"):
    """Keras' (and TF's) mel filter bank, ``(num_spectrogram_bins, num_mel_bins)``:
    triangles on the HTK mel scale with the DC bin zeroed; computed in ``dtype``
    (float32 by default, as Keras computes it)."""
    dt = np.dtype(dtype)
    nyquist = dt.type(sampling_rate) / dt.type(2.0)
    linear = np.linspace(dt.type(0), nyquist, num_spectrogram_bins, dtype=dt)[1:]
    bins_mel = _hertz_to_mel(linear).astype(dt)[:, None]
    edges = np.linspace(_hertz_to_mel(dt.type(lower_edge_hertz)),
                        _hertz_to_mel(dt.type(upper_edge_hertz)), num_mel_bins + 2,
                        dtype=dt)
    lower, center, upper = edges[:-2][None], edges[1:-1][None], edges[2:][None]
    lower_slopes = (bins_mel - lower) / (center - lower)
    upper_slopes = (upper - bins_mel) / (upper - center)
    weights = np.maximum(dt.type(0), np.minimum(lower_slopes, upper_slopes))
    return np.pad(weights, [[1, 0], [0, 0]]).astype(dt)


@register
class MelSpectrogram(Layer):
    """Keras' ``MelSpectrogram``: ``(batch, samples)`` (or ``(samples,)``) audio to
    ``(batch, num_mel_bins, frames)``: the STFT magnitude (``ops.stft``, centred, with
    ``window``) raised to ``mag_exp``, through the mel filter bank between ``min_freq``
    and ``max_freq``, then (``power_to_db``) ``10 log10(max(x, min_power) / ref_power)``
    floored at the batch's maximum minus ``top_db``."""

    def __init__(self, fft_length=2048, sequence_stride=512, sequence_length=None,
                 window="hann", sampling_rate=16000, num_mel_bins=128, min_freq=20.0,
                 max_freq=None, power_to_db=True, top_db=80.0, mag_exp=2.0,
                 min_power=1e-10, ref_power=1.0, **kwargs):
        self.fft_length = fft_length
        self.sequence_stride = sequence_stride
        self.sequence_length = sequence_length or fft_length
        if self.fft_length < self.sequence_length:
            raise ValueError("`fft_length` must be greater than or equal to   "
                             f"`sequence_length`. Received: `sequence_length`="
                             f"{self.sequence_length}, `fft_length`={self.fft_length}.")
        self.window = window
        self.sampling_rate = sampling_rate
        self.num_mel_bins = num_mel_bins
        self.min_freq = min_freq
        self.max_freq = max_freq or int(sampling_rate / 2)
        self.power_to_db = power_to_db
        self.top_db = top_db
        self.mag_exp = mag_exp
        self.min_power = min_power
        self.ref_power = ref_power
        super().__init__(**kwargs)
        self.autocast = False  # the input is audio, computed in float32/float64
        self._mel = _ConstCache(matrix=linear_to_mel_weight_matrix(
            num_mel_bins, fft_length // 2 + 1, sampling_rate, min_freq, self.max_freq))

    def call(self, inputs):
        xp = namespace(inputs)
        compute = standardize_dtype(self.compute_dtype)
        dt = compute if compute in ("float32", "float64") else "float32"
        if standardize_dtype(inputs.dtype) != dt:
            inputs = xp.astype(inputs, dtype_obj(xp, inputs, dt))
        if inputs.ndim not in (1, 2):
            raise ValueError(f"MelSpectrogram {self.name!r}: expected audio of shape "
                             f"(batch, samples) or (samples,); received shape "
                             f"{tuple(inputs.shape)}")
        real, imag = stft(inputs, self.sequence_length, self.sequence_stride,
                          self.fft_length, window=self.window, center=True)
        spec = xp.sqrt(real * real + imag * imag)
        if self.mag_exp != 1:
            spec = spec ** self.mag_exp
        matrix = self._mel.get("matrix", spec, standardize_dtype(spec.dtype))
        mel = xp.tensordot(spec, matrix, axes=1)
        if self.power_to_db:
            ten = 10.0
            log_spec = ten * xp.log10(xp.maximum(mel, xp.asarray(self.min_power, dtype=mel.dtype)))
            log_spec = log_spec - ten * math.log10(max(abs(self.ref_power), self.min_power))
            floor = xp.max(log_spec) - self.top_db
            mel = xp.maximum(log_spec, floor)
        out = xp.matrix_transpose(mel) if mel.ndim >= 2 else mel
        if standardize_dtype(out.dtype) != compute:
            out = xp.astype(out, dtype_obj(xp, out, compute))
        return out

    def compute_output_shape(self, input_shape):
        def frames(n):
            return None if n is None else (n + self.sequence_stride + 1) // self.sequence_stride

        if len(input_shape) == 1:
            return (self.num_mel_bins, frames(input_shape[0]))
        return (input_shape[0], self.num_mel_bins, frames(input_shape[1]))

    def get_config(self):
        config = super().get_config()
        config.update({
            "fft_length": self.fft_length, "sequence_stride": self.sequence_stride,
            "sequence_length": self.sequence_length, "window": self.window,
            "sampling_rate": self.sampling_rate, "num_mel_bins": self.num_mel_bins,
            "min_freq": self.min_freq, "max_freq": self.max_freq,
            "power_to_db": self.power_to_db, "top_db": self.top_db,
            "mag_exp": self.mag_exp, "min_power": self.min_power,
            "ref_power": self.ref_power})
        return config


_STFT_MODES = ("log", "magnitude", "psd", "real", "imag", "angle", "stft")


@register
class STFTSpectrogram(Layer):
    """Keras' ``STFTSpectrogram``: a spectrogram of ``(batch, time, channels)`` signals
    (channels first with that data format) computed as a strided 1-D convolution with
    ``real_kernel``/``imag_kernel`` ``(frame_length, 1, fft_length // 2 + 1)`` (the
    ``STFT`` initializer; trainable). ``mode``: "log" (log magnitude), "magnitude",
    "psd", "real", "imag", "angle", or "stft" (real and imaginary bins concatenated).
    Output ``(batch, frames, channels * bins)``, or ``(batch, frames, bins, channels)``
    with ``expand_dims``."""

    def __init__(self, mode="log", frame_length=256, frame_step=None, fft_length=None,
                 window="hann", periodic=False, scaling="density", padding="valid",
                 expand_dims=False, data_format=None, **kwargs):
        if frame_step is not None and (frame_step > frame_length or frame_step < 1):
            raise ValueError("`frame_step` should be a positive integer not greater than "
                             f"`frame_length`. Received frame_step={frame_step}, "
                             f"frame_length={frame_length}")
        if fft_length is not None and fft_length < frame_length:
            raise ValueError("`fft_length` should be not less than `frame_length`. "
                             f"Received fft_length={fft_length}, frame_length={frame_length}")
        if fft_length is not None and (fft_length & -fft_length) != fft_length:
            warnings.warn("`fft_length` is recommended to be a power of two. Received "
                          f"fft_length={fft_length}")
        if mode not in _STFT_MODES:
            raise ValueError(f"Output mode is invalid, it must be one of "
                             f"{', '.join(_STFT_MODES)}. Received: mode={mode}")
        if scaling is not None and scaling not in ("density", "spectrum"):
            raise ValueError("Scaling is invalid, it must be `None`, 'density' or "
                             f"'spectrum'. Received scaling={scaling}")
        if padding not in ("valid", "same"):
            raise ValueError("Padding is invalid, it should be 'valid', 'same'. Received: "
                             f"padding={padding}")
        if isinstance(window, str):
            initializers.get_window(window, 1)
        super().__init__(**kwargs)
        self.mode = mode
        self.frame_length = frame_length
        self.frame_step = frame_step
        self._frame_step = frame_step or frame_length // 2
        self.fft_length = fft_length
        self._fft_length = fft_length or 2 ** int(math.ceil(math.log2(frame_length)))
        self.window = window
        self.periodic = periodic
        self.scaling = scaling
        self.padding = padding
        self.expand_dims = expand_dims
        data_format = data_format or image_data_format()
        if data_format not in ("channels_last", "channels_first"):
            raise ValueError("data_format must be 'channels_last' or 'channels_first'; "
                             f"received {data_format!r}")
        self.data_format = data_format
        self.input_spec = InputSpec(ndim=3)

    def build(self, input_shape):
        shape = (self.frame_length, 1, self._fft_length // 2 + 1)
        if self.mode != "imag":
            self.real_kernel = self.add_weight(
                name="real_kernel", shape=shape,
                initializer=initializers.STFT("real", self.window, self.scaling,
                                              self.periodic))
        if self.mode != "real":
            self.imag_kernel = self.add_weight(
                name="imag_kernel", shape=shape,
                initializer=initializers.STFT("imag", self.window, self.scaling,
                                              self.periodic))

    def _conv(self, xp, x, kernel):
        """``(batch, channels, bins, frames)``: every channel convolved on its own."""
        if standardize_dtype(kernel.dtype) != standardize_dtype(x.dtype):
            kernel = xp.astype(kernel, x.dtype)
        if self.data_format == "channels_last":
            _, t, c = x.shape
            x = xp.reshape(xp.permute_dims(x, (0, 2, 1)), (-1, t, 1))
        else:
            _, c, t = x.shape
            x = xp.reshape(x, (-1, 1, t))
        y = nn_ops.conv(x, kernel, strides=self._frame_step, padding=self.padding,
                        data_format=self.data_format)
        if self.data_format == "channels_last":
            _, frames, bins = y.shape
            y = xp.permute_dims(y, (0, 2, 1))
        else:
            _, bins, frames = y.shape
        return xp.reshape(y, (-1, c, bins, frames))

    def _arrange(self, xp, y):
        _, c, bins, frames = y.shape
        if self.data_format == "channels_last":
            if self.expand_dims:
                return xp.permute_dims(y, (0, 3, 2, 1))
            return xp.permute_dims(xp.reshape(y, (-1, c * bins, frames)), (0, 2, 1))
        if self.expand_dims:
            return xp.permute_dims(y, (0, 1, 3, 2))
        return xp.reshape(y, (-1, c * bins, frames))

    def call(self, inputs):
        xp = namespace(inputs)
        d = standardize_dtype(inputs.dtype)
        if d not in ("float16", "float32", "float64"):
            raise TypeError(f"STFTSpectrogram {self.name!r}: Invalid input type. Expected "
                            f"`float16`, `float32` or `float64`. Received: input type={d}")
        real = self._conv(xp, inputs, self.real_kernel) if self.mode != "imag" else None
        imag = self._conv(xp, inputs, self.imag_kernel) if self.mode != "real" else None
        if self.mode == "real":
            return self._arrange(xp, real)
        if self.mode == "imag":
            return self._arrange(xp, imag)
        if self.mode == "angle":
            return self._arrange(xp, xp.atan2(imag, real))
        if self.mode == "stft":
            return self._arrange(xp, xp.concat([real, imag], axis=2))
        power = real * real + imag * imag
        if self.mode == "psd":
            # one-sided PSD: the bins strictly between DC and Nyquist count twice
            inner = power[:, :, 1:-1, :]
            zero = xp.zeros_like(power[:, :, :1, :])
            return self._arrange(xp, power + xp.concat([zero, inner, zero], axis=2))
        from ...xp import epsilon

        eps = xp.asarray(epsilon(), dtype=power.dtype)
        magnitude = self._arrange(xp, xp.sqrt(xp.maximum(power, eps)))
        if self.mode == "magnitude":
            return magnitude
        return xp.log(xp.maximum(magnitude, eps))

    def compute_output_shape(self, input_shape):
        if self.data_format == "channels_last":
            batch, t, channels = input_shape
        else:
            batch, channels, t = input_shape
        bins = self._fft_length // 2 + 1
        if self.mode == "stft":
            bins *= 2
        if t is None:
            frames = None
        elif self.padding == "same":
            frames = -(-t // self._frame_step)
        else:
            frames = (t - self.frame_length) // self._frame_step + 1
        if self.expand_dims:
            if self.data_format == "channels_last":
                return (batch, frames, bins, channels)
            return (batch, channels, frames, bins)
        if self.data_format == "channels_last":
            return (batch, frames, None if channels is None else bins * channels)
        return (batch, None if channels is None else bins * channels, frames)

    def get_config(self):
        config = super().get_config()
        config.update({
            "mode": self.mode, "frame_length": self.frame_length,
            "frame_step": self.frame_step, "fft_length": self.fft_length,
            "window": self.window, "periodic": self.periodic, "scaling": self.scaling,
            "padding": self.padding, "data_format": self.data_format,
            "expand_dims": self.expand_dims})
        return config
