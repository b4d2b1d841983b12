"""Keras 3 initializers. They run on the host (NumPy), so a seed gives the same initial
weights on every framework; Variables move them to a framework on first use. Called
inside a framework scope (a layer call, a fit step, ``framework_scope``) an initializer
returns an array of that scope's framework; outside any scope, a NumPy array."""

from __future__ import annotations

import functools
import math

import numpy as np

from .utils.serialization import register, deserialize_simple, serialize_simple
from .xp import asarray, framework_of
from .xp._registry import SCOPE as _SCOPE
from .xp.dtypes import floatx, standardize_dtype
from .xp.random import host_rng as _rng


def _np_dtype(dtype):
    name = standardize_dtype(dtype or floatx())
    if name == "bfloat16":
        import ml_dtypes

        return np.dtype(ml_dtypes.bfloat16)
    return np.dtype(name)


def compute_fans(shape, input_axes=None, output_axes=None):
    """``(fan_in, fan_out)`` of a weight shape; ``input_axes``/``output_axes`` (Keras 3.15,
    e.g. for EinsumDense kernels) name the axes that count as input and output units."""
    shape = tuple(shape)
    if input_axes is not None and output_axes is not None:
        return (int(np.prod([shape[a] for a in input_axes])),
                int(np.prod([shape[a] for a in output_axes])))
    if len(shape) < 1:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) == 2:
        return shape[0], shape[1]
    receptive = int(np.prod(shape[:-2]))
    return shape[-2] * receptive, shape[-1] * receptive


def _scoped(call):
    """Wrap an initializer's ``__call__``: its host result goes to the framework of the
    scope in progress (the call's framework inside ``Layer.call``), NumPy outside."""
    @functools.wraps(call)
    def scoped_call(self, shape, dtype=None, **kwargs):
        out = call(self, shape, dtype, **kwargs)
        fw = _SCOPE.fw
        if fw is None or fw == "numpy" or framework_of(out) == fw:
            return out
        return asarray(out, framework=fw)

    scoped_call._unikeras_scoped = True
    return scoped_call


class Initializer:
    """Base class: ``__call__(shape, dtype=None)`` returns the initial value (NumPy
    outside a framework scope, the scope's framework's array inside one)."""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        call = cls.__dict__.get("__call__")
        if call is not None and not getattr(call, "_unikeras_scoped", False):
            cls.__call__ = _scoped(call)

    def __call__(self, shape, dtype=None):
        raise NotImplementedError

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def clone(self):
        return self.__class__.from_config(self.get_config())


@register
class Zeros(Initializer):
    def __call__(self, shape, dtype=None):
        return np.zeros(shape, dtype=_np_dtype(dtype))


@register
class Ones(Initializer):
    def __call__(self, shape, dtype=None):
        return np.ones(shape, dtype=_np_dtype(dtype))


@register
class Constant(Initializer):
    def __init__(self, value=0.0):
        self.value = value

    def __call__(self, shape, dtype=None):
        return np.broadcast_to(np.asarray(self.value), shape).astype(_np_dtype(dtype))

    def get_config(self):
        v = self.value
        return {"value": v.tolist() if isinstance(v, np.ndarray) else v}


class _Seeded(Initializer):
    def __init__(self, seed=None):
        if seed is not None and not isinstance(seed, (int, np.integer)):
            raise ValueError(f"{type(self).__name__}: seed must be an int or None; received {seed!r}")
        self.seed = seed

    def get_config(self):
        return {"seed": self.seed}


@register
class RandomNormal(_Seeded):
    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        super().__init__(seed)
        self.mean, self.stddev = mean, stddev

    def __call__(self, shape, dtype=None):
        out = _rng(self.seed).normal(self.mean, self.stddev, size=shape)
        return out.astype(_np_dtype(dtype))

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


@register
class RandomUniform(_Seeded):
    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        super().__init__(seed)
        self.minval, self.maxval = minval, maxval

    def __call__(self, shape, dtype=None):
        out = _rng(self.seed).uniform(self.minval, self.maxval, size=shape)
        return out.astype(_np_dtype(dtype))

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval, "seed": self.seed}


def _truncated(rng, shape, stddev):
    # redraw the values beyond 2 std (in C order, the same draws as redrawing by a full
    # mask), re-testing only the redrawn ones: half the time of re-scanning the array
    out = rng.standard_normal(size=shape)
    flat = out.reshape(-1)
    bad = np.flatnonzero(np.abs(flat) > 2.0)
    while bad.size:
        flat[bad] = rng.standard_normal(size=bad.size)
        bad = bad[np.abs(flat[bad]) > 2.0]
    return out * stddev


@register
class TruncatedNormal(_Seeded):
    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        super().__init__(seed)
        self.mean, self.stddev = mean, stddev

    def __call__(self, shape, dtype=None):
        return (_truncated(_rng(self.seed), shape, self.stddev) + self.mean).astype(_np_dtype(dtype))

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


@register
class VarianceScaling(_Seeded):
    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None,
                 input_axes=None, output_axes=None):
        super().__init__(seed)
        self.input_axes = None if input_axes is None else list(input_axes)
        self.output_axes = None if output_axes is None else list(output_axes)
        if scale <= 0:
            raise ValueError(f"VarianceScaling: scale must be positive; received {scale}")
        if mode not in ("fan_in", "fan_out", "fan_avg"):
            raise ValueError(f"VarianceScaling: mode must be fan_in, fan_out or fan_avg; received {mode!r}")
        distribution = distribution.lower()
        if distribution == "normal":
            distribution = "truncated_normal"
        if distribution not in ("truncated_normal", "untruncated_normal", "uniform"):
            raise ValueError(
                "VarianceScaling: distribution must be truncated_normal, untruncated_normal "
                f"or uniform; received {distribution!r}")
        self.scale, self.mode, self.distribution = scale, mode, distribution

    def __call__(self, shape, dtype=None):
        fan_in, fan_out = compute_fans(shape, self.input_axes, self.output_axes)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}[self.mode]
        scale = self.scale / max(1.0, n)
        rng = _rng(self.seed)
        if self.distribution == "truncated_normal":
            out = _truncated(rng, shape, math.sqrt(scale) / 0.87962566103423978)
        elif self.distribution == "untruncated_normal":
            out = rng.normal(0.0, math.sqrt(scale), size=shape)
        else:
            limit = math.sqrt(3.0 * scale)
            out = rng.uniform(-limit, limit, size=shape)
        return np.asarray(out).astype(_np_dtype(dtype))

    def get_config(self):
        return {"scale": self.scale, "mode": self.mode, "distribution": self.distribution,
                "seed": self.seed, "input_axes": self.input_axes,
                "output_axes": self.output_axes}


def _fixed(name, scale, mode, distribution):
    class _Init(VarianceScaling):
        def __init__(self, seed=None, input_axes=None, output_axes=None):
            super().__init__(scale=scale, mode=mode, distribution=distribution, seed=seed,
                             input_axes=input_axes, output_axes=output_axes)

        def get_config(self):
            return {"seed": self.seed, "input_axes": self.input_axes,
                    "output_axes": self.output_axes}

    _Init.__name__ = _Init.__qualname__ = name
    return register(_Init)


GlorotUniform = _fixed("GlorotUniform", 1.0, "fan_avg", "uniform")
GlorotNormal = _fixed("GlorotNormal", 1.0, "fan_avg", "truncated_normal")
HeUniform = _fixed("HeUniform", 2.0, "fan_in", "uniform")
HeNormal = _fixed("HeNormal", 2.0, "fan_in", "truncated_normal")
LecunUniform = _fixed("LecunUniform", 1.0, "fan_in", "uniform")
LecunNormal = _fixed("LecunNormal", 1.0, "fan_in", "truncated_normal")


@register
class Orthogonal(_Seeded):
    def __init__(self, gain=1.0, seed=None):
        super().__init__(seed)
        self.gain = gain

    def __call__(self, shape, dtype=None):
        if len(shape) < 2:
            raise ValueError(f"Orthogonal: shape must have rank >= 2; received {tuple(shape)}")
        rows = int(np.prod(shape[:-1]))
        cols = shape[-1]
        a = _rng(self.seed).standard_normal((max(rows, cols), min(rows, cols)))
        q, r = np.linalg.qr(a)
        q *= np.sign(np.diag(r))
        if rows < cols:
            q = q.T
        return (self.gain * q[:rows, :cols]).reshape(shape).astype(_np_dtype(dtype))

    def get_config(self):
        return {"gain": self.gain, "seed": self.seed}


@register
class Identity(Initializer):
    def __init__(self, gain=1.0):
        self.gain = gain

    def __call__(self, shape, dtype=None):
        if len(shape) != 2:
            raise ValueError(f"Identity: shape must be 2D; received {tuple(shape)}")
        return (self.gain * np.eye(*shape)).astype(_np_dtype(dtype))

    def get_config(self):
        return {"gain": self.gain}


IdentityInitializer = Identity


def get_window(window, length, periodic=False):
    """A window of ``length`` samples by SciPy's name (``scipy.signal.get_window``:
    "hann", "hamming", ("kaiser", beta), ...), as Keras' STFT initializer and
    STFTSpectrogram take them; ``periodic`` is SciPy's ``fftbins``."""
    try:
        from scipy.signal import get_window as _get
    except ImportError as e:  # pragma: no cover - scipy comes with jax
        raise ImportError("Windows by name (STFT, STFTSpectrogram) need SciPy: "
                          "`pip install scipy`.") from e
    return _get(window, length, fftbins=periodic)


@register
class STFT(Initializer):
    """Keras' ``STFT`` / ``STFTInitializer``: convolution kernels computing the real or
    imaginary part of a short-time Fourier transform, shape ``(frame_length, 1,
    fft_length // 2 + 1)``: ``cos`` (real) or ``sin`` (imag) of ``-2 pi t f /
    fft_length``, times the window (SciPy's name, an array, or None), divided by its L2
    norm ("density") or L1 norm ("spectrum") or not (None)."""

    def __init__(self, side="real", window="hann", scaling="density", periodic=False):
        if side not in ("real", "imag"):
            raise ValueError(f"side should be 'real' or 'imag', not {side}")
        if isinstance(window, str):
            get_window(window, 1)  # an unknown window name fails here, as in Keras
        if scaling is not None and scaling not in ("density", "spectrum"):
            raise ValueError("Scaling is invalid, it must be `None`, 'density' or "
                             f"'spectrum'. Received scaling={scaling}")
        self.side, self.window, self.scaling, self.periodic = side, window, scaling, periodic

    def __call__(self, shape, dtype=None):
        dt = _np_dtype(dtype)
        frame_length, _, bins = shape
        win, scale = None, 1
        if self.window is not None:
            win = self.window
            if isinstance(win, str):
                win = get_window(win, frame_length, self.periodic)
            win = np.asarray(win, dtype=dt)
            if win.ndim != 1 or win.shape[-1] != frame_length:
                raise ValueError("The shape of `window` must be equal to [frame_length]."
                                 f"Received: window shape={win.shape}")
            win = win.reshape(frame_length, 1, 1)
            if self.scaling == "density":
                scale = np.sqrt(np.sum(np.square(win)))
            elif self.scaling == "spectrum":
                scale = np.sum(np.abs(win))
        freq = np.arange(bins, dtype=dt).reshape(1, 1, bins) / dt.type((bins - 1) * 2)
        time = np.arange(frame_length, dtype=dt).reshape(frame_length, 1, 1)
        args = (dt.type(-2) * time) * freq * dt.type(np.pi)
        kernel = (np.cos(args) if self.side == "real" else np.sin(args)).astype(dt)
        if win is not None:
            kernel = (kernel * win / scale).astype(dt)
        return kernel

    def get_config(self):
        window = self.window
        if isinstance(window, np.ndarray):
            window = window.tolist()
        return {"side": self.side, "window": window, "periodic": self.periodic,
                "scaling": self.scaling}


STFTInitializer = STFT

_ALIASES = {
    "zeros": Zeros, "zero": Zeros, "ones": Ones, "one": Ones, "constant": Constant,
    "random_normal": RandomNormal, "random_uniform": RandomUniform,
    "truncated_normal": TruncatedNormal, "variance_scaling": VarianceScaling,
    "glorot_uniform": GlorotUniform, "glorot_normal": GlorotNormal,
    "he_uniform": HeUniform, "he_normal": HeNormal, "lecun_uniform": LecunUniform,
    "lecun_normal": LecunNormal, "orthogonal": Orthogonal, "identity": Identity,
    "stft": STFT,
}


def get(identifier):
    """An initializer from a name ("glorot_uniform"), a config dict, an instance or a
    callable ``f(shape, dtype)``."""
    if identifier is None:
        return None
    if isinstance(identifier, Initializer):
        return identifier
    if isinstance(identifier, str):
        cls = _ALIASES.get(identifier) or _ALIASES.get(identifier.lower())
        if cls is None:
            from .utils.serialization import lookup

            cls = lookup(identifier)
        if cls is None:
            raise ValueError(f"Could not interpret initializer identifier: {identifier!r}")
        return cls()
    if isinstance(identifier, dict):
        return deserialize_simple(identifier, _ALIASES)
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret initializer identifier: {identifier!r}")


def serialize(initializer):
    return serialize_simple(initializer)


def deserialize(config, custom_objects=None):
    if isinstance(config, dict):
        return deserialize_simple(config, _ALIASES, custom_objects)
    return get(config)


# Keras 3 also exports each class under its snake-case name (and Orthogonal as
# OrthogonalInitializer): ``keras.initializers.glorot_uniform(seed=1)`` is a class call
OrthogonalInitializer = Orthogonal
(zeros, ones, constant, random_normal, random_uniform, truncated_normal, variance_scaling,
 glorot_uniform, glorot_normal, he_uniform, he_normal, lecun_uniform, lecun_normal,
 orthogonal, identity) = (
    Zeros, Ones, Constant, RandomNormal, RandomUniform, TruncatedNormal, VarianceScaling,
    GlorotUniform, GlorotNormal, HeUniform, HeNormal, LecunUniform, LecunNormal,
    Orthogonal, Identity)
stft = STFT
