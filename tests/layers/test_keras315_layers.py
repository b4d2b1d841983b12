"""Layers new in Keras 3.1x: adaptive pooling, ReversibleEmbedding, SpectralNormalization,
GroupQueryAttention, ConvLSTM1D/2D/3D. Their numerics against Keras 3 itself on every
framework are in property_tests/test_every_layer.py (cases in layer_cases.py); here: a
NumPy reference where it is short, graph use, configs and errors, on every framework."""

from __future__ import annotations

import numpy as np
import pytest

import unikeras as keras
from unikeras import layers

rng = np.random.default_rng(3)


def _np_adaptive(x, out, reduce):
    """Loops over the windows [floor(i*L/o), ceil((i+1)*L/o)) of a channels-last array."""
    spatial = x.shape[1:-1]
    y = np.zeros((x.shape[0], *out, x.shape[-1]))
    for idx in np.ndindex(*out):
        sl = tuple(slice((i * n) // o, -((-(i + 1) * n) // o))
                   for i, n, o in zip(idx, spatial, out))
        y[(slice(None), *idx)] = reduce(x[(slice(None), *sl)], axis=tuple(range(1, 1 + len(out))))
    return y


@pytest.mark.parametrize("rank, size, out", [(1, (7,), 3), (2, (5, 7), (2, 4)),
                                             (3, (3, 5, 4), (2, 2, 3))])
@pytest.mark.parametrize("kind, reduce", [("Average", np.mean), ("Max", np.max)])
def test_adaptive_pooling(any_framework, to_fw, to_np, rank, size, out, kind, reduce):
    cls = getattr(layers, f"Adaptive{kind}Pooling{rank}D")
    x = rng.standard_normal((2, *size, 3)).astype("float32")
    outs = (out,) * rank if isinstance(out, int) else out
    want = _np_adaptive(x, outs, reduce)
    layer = cls(out)
    np.testing.assert_allclose(to_np(layer(to_fw(x, any_framework))), want, rtol=1e-5,
                               atol=1e-6)
    first = cls(out, data_format="channels_first")
    got = to_np(first(to_fw(np.moveaxis(x, -1, 1), any_framework)))
    np.testing.assert_allclose(got, np.moveaxis(want, -1, 1), rtol=1e-5, atol=1e-6)
    # symbolic use and config round trip
    inp = keras.Input((None,) * rank + (3,))
    assert layer(inp).shape == (None, *outs, 3)
    again = cls.from_config(layer.get_config())
    assert again.output_size == outs and again.data_format == "channels_last"


def test_adaptive_pooling_errors():
    with pytest.raises(TypeError, match=r"\(height, width\) tuple"):
        layers.AdaptiveMaxPooling2D((2, 2, 2))
    with pytest.raises(ValueError, match="AdaptiveAveragePooling1D.*ndim=3"):
        layers.AdaptiveAveragePooling1D(2)(np.ones((2, 3), "float32"))
