"""Cross-backend property tests for the convolution, pooling and up-sampling layers.

Hypothesis draws the layer, its arguments (kernel size, strides / dilation, padding,
data format) and the input shape; the same layer with the same weights is run through
``stateless_call`` on every usable framework (numpy, jax, torch, tensorflow,
array_api_strict) and all must agree with NumPy. Gradients with respect to the inputs
and the weights agree between jax, torch and tensorflow, and the input gradient agrees
with float64 central differences computed on the NumPy path.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness import (assert_all_close, differentiable_frameworks, finite_difference_grad,
                     frameworks, grad_everywhere, run_everywhere)

from unikeras import layers
from unikeras.xp import framework_of, set_default_framework

TOL = {"rtol": 1e-4, "atol": 1e-4}


@st.composite
def layer_cases(draw, kinds):
    """(layer constructor kwargs, layer class name, input shape)."""
    kind = draw(st.sampled_from(kinds))
    rank = 1 if "1D" in kind else 2
    data_format = draw(st.sampled_from(["channels_last", "channels_first"]))
    channels = draw(st.integers(1, 3))
    k = draw(st.integers(1, 3))
    padding = draw(st.sampled_from(["valid", "same"]))
    if kind in ("Conv1D",) and draw(st.booleans()):
        padding = "causal"
    use_dilation = kind in ("Conv1D", "Conv2D", "Conv2DTranspose", "DepthwiseConv2D",
                            "SeparableConv2D") and draw(st.booleans())
    stride = 1 if use_dilation else draw(st.integers(1, 3))
    dilation = draw(st.integers(1, 2)) if use_dilation else 1
    eff = (k - 1) * dilation + 1
    sides = [draw(st.integers(eff, eff + 4)) for _ in range(rank)]
    batch = draw(st.integers(1, 2))
    shape = ((batch, *sides, channels) if data_format == "channels_last"
             else (batch, channels, *sides))
    kw = {"data_format": data_format}
    if kind.startswith(("MaxPooling", "AveragePooling")):
        kw.update(pool_size=k, strides=stride, padding=padding)
    elif kind.startswith("UpSampling"):
        kw.update(size=draw(st.integers(1, 3)))
        if kind == "UpSampling2D":
            kw["interpolation"] = draw(st.sampled_from(["nearest", "bilinear"]))
        else:
            kw.pop("data_format")
    else:
        kw.update(kernel_size=k, strides=stride, padding=padding, dilation_rate=dilation)
        if kind.startswith("Depthwise"):
            kw["depth_multiplier"] = draw(st.integers(1, 2))
        else:
            kw["filters"] = draw(st.integers(1, 3))
        if kind == "Conv2D":
            groups = draw(st.sampled_from([g for g in (1, 2, 3) if channels % g == 0]))
            kw["groups"] = groups
            kw["filters"] = groups * draw(st.integers(1, 2))
        if kind.endswith("Transpose") and stride > 1 and draw(st.booleans()):
            kw["output_padding"] = draw(st.integers(0, stride - 1))
    seed = draw(st.integers(0, 2**16))
    return kind, kw, shape, seed


def _setup(kind, kw, shape, seed, dtype="float32"):
    layer = getattr(layers, kind)(**kw, dtype=dtype)
    layer.build(shape)
    rng = np.random.default_rng(seed)
    # Normal values: ties (which make max-pooling gradients ambiguous) have probability 0.
    weights = [rng.normal(size=w.shape).astype(dtype) for w in layer.get_weights()]
    x = rng.normal(size=shape).astype(dtype)
    return layer, x, weights


def _fn(layer):
    def fn(x, *weights):
        numpy_run = framework_of(x) == "numpy"
        if numpy_run:
            set_default_framework("numpy")
        try:
            out, _ = layer.stateless_call(list(weights), [], x)
        finally:
            if numpy_run:
                set_default_framework(None)
        return out
    return fn


CONV = ["Conv1D", "Conv2D", "Conv1DTranspose", "Conv2DTranspose", "DepthwiseConv1D",
        "DepthwiseConv2D", "SeparableConv1D", "SeparableConv2D"]
POOL = ["MaxPooling1D", "MaxPooling2D", "AveragePooling1D", "AveragePooling2D",
        "UpSampling1D", "UpSampling2D"]


@pytest.mark.skipif(len(frameworks()) < 2, reason="needs two usable frameworks")
@given(case=layer_cases(CONV))
def test_conv_layers_agree_across_frameworks(case):
    layer, x, weights = _setup(*case)
    results = run_everywhere(_fn(layer), x, *weights)
    assert_all_close(results, results["numpy"], "float32", **TOL)


@pytest.mark.skipif(len(frameworks()) < 2, reason="needs two usable frameworks")
@given(case=layer_cases(POOL))
def test_pool_and_upsampling_layers_agree_across_frameworks(case):
    layer, x, weights = _setup(*case)
    results = run_everywhere(_fn(layer), x, *weights)
    assert_all_close(results, results["numpy"], "float32", **TOL)


# Half the profile's examples: each drawn shape costs a fresh jax trace per op.
@pytest.mark.skipif(not differentiable_frameworks(), reason="no differentiable framework")
@settings(max_examples=max(2, settings.default.max_examples // 2))
@given(case=layer_cases(CONV + POOL))
def test_gradients_agree_and_match_finite_differences(case):
    kind, kw, shape, seed = case
    layer, x, weights = _setup(*case)
    argnums = tuple(range(1 + len(weights)))
    grads = grad_everywhere(_fn(layer), x, *weights, argnums=argnums)
    ref_fw = next(iter(grads))
    assert_all_close(grads, grads[ref_fw], "float32", **TOL)
    # Input gradient against float64 central differences on the NumPy path (small inputs).
    if x.size <= 32:
        layer64, _, _ = _setup(kind, kw, shape, seed, dtype="float64")
        fd = finite_difference_grad(_fn(layer64), x.astype("float64"),
                                    *[w.astype("float64") for w in weights], argnums=0)
        assert_all_close({fw: g[0] for fw, g in grads.items()}, fd, "float32",
                         rtol=2e-3, atol=2e-3)
