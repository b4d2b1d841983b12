"""MelSpectrogram, STFTSpectrogram and the STFT initializer against Keras 3 itself (the
oracle subprocess, property_tests/keras_oracle.py), on every installed framework; the
spectrogram kernels are trainable (a gradient reaches them on each trainable framework)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

import unikeras as keras
from unikeras import layers
from unikeras.xp import framework_of, to_numpy

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "property_tests"))
from keras_oracle import keras_reference  # noqa: E402

pytest.importorskip("keras")

RNG = np.random.default_rng(0)
AUDIO = (np.sin(np.linspace(0, 300, 2 * 1200)).reshape(2, 1200)
         + 0.3 * RNG.normal(size=(2, 1200))).astype("float32")
SIGNAL = RNG.normal(size=(2, 200, 3)).astype("float32")


def ref(cls, config, x, as_tf=False):
    return keras_reference(("data_layer", cls, config, None, [(x, as_tf)]))


MEL_CONFIGS = [
    dict(fft_length=256, sequence_stride=64, num_mel_bins=20, sampling_rate=8000),
    dict(fft_length=128, sequence_stride=50, sequence_length=100, window="hamming",
         num_mel_bins=16, sampling_rate=16000, min_freq=100.0, max_freq=5000,
         power_to_db=False, mag_exp=1.0),
    dict(fft_length=256, sequence_stride=128, num_mel_bins=32, sampling_rate=22050,
         top_db=20.0, ref_power=2.0, min_power=1e-6),
    dict(fft_length=64, sequence_stride=32, window=None, num_mel_bins=8),
]


@pytest.mark.parametrize("i", range(len(MEL_CONFIGS)))
def test_mel_spectrogram_matches_keras(any_framework, to_fw, i):
    config = MEL_CONFIGS[i]
    # Keras' MelSpectrogram is a DataLayer: given tf tensors (as in tf.data) it computes
    # with its TensorFlow backend, ~100x faster than eager JAX, same formula
    want = ref("MelSpectrogram", config, AUDIO, as_tf=True)["outs"][0]
    layer = layers.MelSpectrogram(**config)
    got = layer(to_fw(AUDIO, any_framework))
    assert framework_of(got) == any_framework
    got = np.asarray(to_numpy(got))
    assert got.shape == want.shape == layer.compute_output_shape(AUDIO.shape)
    assert got.dtype == np.float32
    if config.get("power_to_db", True):
        np.testing.assert_allclose(got, want, atol=2e-3)  # decibels
    else:
        np.testing.assert_allclose(got, want, rtol=2e-4, atol=1e-4 * np.abs(want).max())


def test_mel_spectrogram_single_clip():
    """A rank-1 clip gives the batch output's row (without the dB floor, which is taken
    over the whole input)."""
    layer = layers.MelSpectrogram(**MEL_CONFIGS[1])
    one = layer(AUDIO[0])
    assert one.shape == layer.compute_output_shape(AUDIO[0].shape)
    np.testing.assert_allclose(one, layer(AUDIO)[0], rtol=1e-5, atol=1e-6)


STFT_CONFIGS = [
    dict(mode="log", frame_length=64, frame_step=16),
    dict(mode="magnitude", frame_length=50, frame_step=25, fft_length=64, window="hamming",
         scaling="spectrum"),
    dict(mode="psd", frame_length=32, padding="same", periodic=True),
    dict(mode="real", frame_length=32, frame_step=8, window=None, expand_dims=True),
    dict(mode="angle", frame_length=16, frame_step=4, scaling=None),
    dict(mode="stft", frame_length=32, frame_step=16, expand_dims=True),
    dict(mode="imag", frame_length=32, frame_step=16, data_format="channels_first",
         expand_dims=True),
    dict(mode="log", frame_length=32, frame_step=16, data_format="channels_first"),
]


@pytest.mark.parametrize("i", range(len(STFT_CONFIGS)))
def test_stft_spectrogram_matches_keras(any_framework, to_fw, i):
    config = STFT_CONFIGS[i]
    x = SIGNAL if config.get("data_format") != "channels_first" else SIGNAL.transpose(0, 2, 1)
    want = ref("STFTSpectrogram", config, x)["outs"][0]
    layer = layers.STFTSpectrogram(**config)
    got = layer(to_fw(x, any_framework))
    assert framework_of(got) == any_framework
    got = np.asarray(to_numpy(got))
    assert got.shape == want.shape == tuple(layer.compute_output_shape(x.shape))
    if config["mode"] == "angle":
        # atan2 is unstable where both parts are ~0: compare the complex phase
        np.testing.assert_allclose(np.cos(got), np.cos(want), atol=2e-3)
        np.testing.assert_allclose(np.sin(got), np.sin(want), atol=2e-3)
    else:
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)


def test_stft_spectrogram_is_the_fft(any_framework, to_fw):
    """Independent of Keras: mode="stft", no window, equals NumPy's rfft of each frame."""
    layer = layers.STFTSpectrogram(mode="stft", frame_length=32, frame_step=16, window=None,
                                   scaling=None)
    x = SIGNAL[:, :, :1]
    got = np.asarray(to_numpy(layer(to_fw(x, any_framework))))
    frames = np.stack([x[:, s:s + 32, 0] for s in range(0, 200 - 32 + 1, 16)], axis=1)
    f = np.fft.rfft(frames, axis=-1)
    np.testing.assert_allclose(got, np.concatenate([f.real, f.imag], axis=-1), atol=2e-4)


def test_stft_kernels_are_trainable(framework, to_fw):
    layer = layers.STFTSpectrogram(mode="magnitude", frame_length=16, frame_step=8)
    model = keras.Sequential([keras.Input((64, 1)), layer, layers.Flatten(), layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(0.01), loss="mse")
    before = layer.real_kernel.numpy().copy()
    x = to_fw(RNG.normal(size=(8, 64, 1)).astype("float32"), framework)
    y = to_fw(RNG.normal(size=(8, 1)).astype("float32"), framework)
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    assert [w.name for w in layer.trainable_weights] == ["real_kernel", "imag_kernel"]
    assert not np.allclose(layer.real_kernel.numpy(), before)


@pytest.mark.parametrize("kw", [
    dict(side="real"), dict(side="imag", window="hamming", scaling="spectrum"),
    dict(side="real", window=None, scaling=None),
    dict(side="imag", window="hann", periodic=True),
])
def test_stft_initializer_matches_keras_and_roundtrips(kw):
    init = keras.initializers.STFTInitializer(**kw)
    got = init((40, 1, 33))
    # the kernel is cos/sin(-2 pi t f / 64) times the window over its norm
    t, f = np.arange(40)[:, None, None], np.arange(33)[None, None, :]
    base = (np.cos if kw["side"] == "real" else np.sin)(-2 * np.pi * t * f / 64)
    win = np.ones(40) if kw.get("window", "hann") is None else __import__(
        "scipy.signal").signal.get_window(kw.get("window", "hann"), 40,
                                          fftbins=kw.get("periodic", False))
    scale = {"density": np.sqrt((win ** 2).sum()), "spectrum": np.abs(win).sum(),
             None: 1.0}[kw.get("scaling", "density") if kw.get("window", "hann") else None]
    np.testing.assert_allclose(got, base * win[:, None, None] / scale, atol=2e-5)  # float32
    assert got.dtype == np.float32
    clone = keras.initializers.get({"class_name": "STFT", "config": init.get_config()})
    np.testing.assert_array_equal(clone((40, 1, 33)), got)
    assert keras.initializers.STFT is keras.initializers.STFTInitializer


def test_errors_and_config_roundtrip():
    with pytest.raises(ValueError, match="fft_length"):
        layers.MelSpectrogram(fft_length=64, sequence_length=128)
    with pytest.raises(ValueError, match="mode"):
        layers.STFTSpectrogram(mode="power")
    with pytest.raises(ValueError, match="frame_step"):
        layers.STFTSpectrogram(frame_length=8, frame_step=9)
    with pytest.raises(ValueError):
        layers.STFTSpectrogram(window="no-such-window")
    with pytest.raises(TypeError, match="float"):
        layers.STFTSpectrogram(frame_length=8)(np.zeros((1, 32, 1), "int32"))
    for layer in (layers.MelSpectrogram(**MEL_CONFIGS[1]),
                  layers.STFTSpectrogram(**STFT_CONFIGS[1])):
        again = type(layer).from_config(layer.get_config())
        assert again.get_config() == layer.get_config()


def test_audio_layers_inside_tf_data_map():
    """As Keras' preprocessing layers: usable in tf.data.Dataset.map (graph mode, unknown
    batch size), giving the eager result batch by batch."""
    import tensorflow as tf

    mel = layers.MelSpectrogram(**MEL_CONFIGS[1])
    ds = tf.data.Dataset.from_tensor_slices(AUDIO).batch(1).map(mel)
    got = np.concatenate([b.numpy() for b in ds])
    np.testing.assert_allclose(got, np.asarray(mel(AUDIO)), rtol=1e-5, atol=1e-4)
    spec = layers.STFTSpectrogram(**STFT_CONFIGS[0])
    ds = tf.data.Dataset.from_tensor_slices(SIGNAL).batch(1).map(spec)
    got = np.concatenate([b.numpy() for b in ds])
    np.testing.assert_allclose(got, np.asarray(spec(SIGNAL)), rtol=1e-5, atol=1e-5)
