"""Cross-backend property tests of unikeras.ops: elementwise and reduction ops on drawn
shapes, dtypes and values, every usable framework (array_api_strict included: the
generic code paths) against a NumPy float64 reference."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, strategies as st

from harness import arrays, assert_all_close, float_dtypes, frameworks, run_everywhere, shapes

from unikeras import ops, xp

SHIMMED = ("numpy", "jax", "torch", "tensorflow")


def f32_exact(x):
    """float64 draws rounded through float32: JAX (no x64) computes float64 in float32,
    so discontinuous ops (floor, sign) must not see values float32 cannot hold."""
    if x.dtype != np.float64:
        return x
    x = x.astype(np.float32).astype(np.float64)
    return np.where(np.abs(x) < 1e-30, 0.0, x)  # JAX flushes float32 subnormals to zero


# Known bug, reported to the TF namespace's owner: xp/tensorflow/array_api casts a Python
# float constant through float32 (tf.cast(math.log(2.0), float64)), so float64 log2/log10
# /logaddexp are float32-accurate. Checked at 1e-7 there until fixed.
TF_F64_CONST_BUG = {"log2", "log10", "logaddexp"}


def check(name, results, ref, dtype, rtol=None, atol=None):
    if dtype == "float64" and name in TF_F64_CONST_BUG and "tensorflow" in results:
        assert_all_close({"tensorflow": results.pop("tensorflow")}, ref, dtype, rtol=1e-7, atol=1e-7)
    assert_all_close(results, ref, dtype, rtol=rtol, atol=atol)


def everywhere(fn, *args, **kwargs):
    """run_everywhere with each shimmed framework as the default framework, so NumPy
    arguments run on NumPy itself (ops send host data to the default framework)."""
    out = {}
    for fw in frameworks():
        xp.set_default_framework(fw if fw in SHIMMED else None)
        try:
            out.update(run_everywhere(fn, *args, frameworks=[fw], **kwargs))
        finally:
            xp.set_default_framework(None)
    return out


# name: (numpy reference, (min, max) of the drawn values)
ELEMENTWISE = {
    "abs": (np.abs, None), "negative": (np.negative, None), "square": (np.square, None),
    "sqrt": (np.sqrt, (0.0, 10.0)), "exp": (np.exp, (-5.0, 5.0)), "expm1": (np.expm1, (-5.0, 5.0)),
    "log": (np.log, (0.125, 10.0)), "log1p": (np.log1p, (0.0, 10.0)), "log2": (np.log2, (0.125, 10.0)),
    "log10": (np.log10, (0.125, 10.0)), "sin": (np.sin, None), "cos": (np.cos, None),
    "tanh": (np.tanh, None), "arctan": (np.arctan, None), "arcsinh": (np.arcsinh, None),
    "arcsin": (np.arcsin, (-0.9375, 0.9375)), "sinh": (np.sinh, (-5.0, 5.0)),
    "floor": (np.floor, None), "ceil": (np.ceil, None), "sign": (np.sign, None),
    "reciprocal": (np.reciprocal, (0.5, 10.0)), "cbrt": (np.cbrt, None),
    "deg2rad": (np.deg2rad, None), "exp2": (np.exp2, (-5.0, 5.0)),
    "sinc": (np.sinc, None),
}

BINARY = {
    "add": np.add, "subtract": np.subtract, "multiply": np.multiply, "maximum": np.maximum,
    "minimum": np.minimum, "arctan2": np.arctan2, "logaddexp": np.logaddexp, "hypot": np.hypot,
}

REDUCTIONS = {
    "sum": np.sum, "mean": np.mean, "max": np.max, "min": np.min, "var": np.var, "std": np.std,
    "prod": np.prod, "logsumexp": lambda x, axis=None, keepdims=False: np.log(
        np.sum(np.exp(x), axis=axis, keepdims=keepdims)),
    "median": np.median, "ptp": np.ptp,
}


@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
@given(data=st.data())
def test_elementwise_matches_numpy(name, data):
    ref, bounds = ELEMENTWISE[name]
    dtype = data.draw(float_dtypes(half=False))
    lo, hi = bounds or (-10.0, 10.0)
    x = f32_exact(data.draw(arrays(dtype, data.draw(shapes(max_rank=3)), min_value=lo, max_value=hi)))
    results = everywhere(getattr(ops, name), x)
    check(name, results, ref(x.astype(np.float64)), dtype)


@pytest.mark.parametrize("name", sorted(BINARY))
@given(data=st.data())
def test_binary_matches_numpy(name, data):
    dtype = data.draw(float_dtypes(half=False))
    shape = data.draw(shapes(max_rank=3))
    a = f32_exact(data.draw(arrays(dtype, shape)))
    b = f32_exact(data.draw(arrays(dtype, shape[-1:])))  # broadcast along the last axis
    results = everywhere(getattr(ops, name), a, b)
    ref = BINARY[name](a.astype(np.float64), b.astype(np.float64))
    check(name, results, ref, dtype)


@pytest.mark.parametrize("name", sorted(REDUCTIONS))
@given(data=st.data())
def test_reduction_matches_numpy(name, data):
    dtype = data.draw(float_dtypes(half=False))
    shape = data.draw(shapes(max_rank=3))
    x = f32_exact(data.draw(arrays(dtype, shape, max_magnitude=3.0)))
    axis = data.draw(st.one_of(st.none(), st.integers(-len(shape), len(shape) - 1)))
    keepdims = data.draw(st.booleans())
    results = everywhere(getattr(ops, name), x, axis=axis, keepdims=keepdims)
    ref = REDUCTIONS[name](x.astype(np.float64), axis=axis, keepdims=keepdims)
    rtol = 1e-4 if dtype == "float32" and name in ("var", "std", "prod") else None
    atol = rtol
    if name == "std":
        # sqrt amplifies the rounding of a near-zero variance: a float32 std (jax without
        # x64 computes float64 input in float32) is only good to ~sqrt(eps32) * max|x|
        atol = 4e-4 * max(1.0, float(np.abs(x).max(initial=0.0)))
    check(name, results, ref, dtype, rtol=rtol, atol=atol)
