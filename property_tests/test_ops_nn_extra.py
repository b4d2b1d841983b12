"""Hypothesis: the ops.nn names that are array plumbing (unfold, fold, depth_to_space,
space_to_depth, normalize, psnr) agree across every installed framework and
array_api_strict with a float64 NumPy reference written independently here; gradients agree
between jax, torch, tensorflow and finite differences."""

from __future__ import annotations

import numpy as np
from hypothesis import given, strategies as st

from harness import (arrays, assert_all_close, finite_difference_grad, float_arrays,
                     frameworks, grad_everywhere, run_everywhere, shapes)
from unikeras import ops


def _np_unfold(x, k, d, p, s):
    """im2col by explicit loops: (N, C*kh*kw, L), channel-major as torch.nn.Unfold."""
    n, c, h, w = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (p[0], p[0]), (p[1], p[1])))
    oh = (h + 2 * p[0] - d[0] * (k[0] - 1) - 1) // s[0] + 1
    ow = (w + 2 * p[1] - d[1] * (k[1] - 1) - 1) // s[1] + 1
    out = np.zeros((n, c, k[0], k[1], oh, ow), x.dtype)
    for i in range(k[0]):
        for j in range(k[1]):
            out[:, :, i, j] = xp[:, :, i * d[0]: i * d[0] + s[0] * (oh - 1) + 1: s[0],
                                 j * d[1]: j * d[1] + s[1] * (ow - 1) + 1: s[1]]
    return out.reshape(n, c * k[0] * k[1], oh * ow)


@st.composite
def unfold_cases(draw):
    k = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    d = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    p = (draw(st.integers(0, 1)), draw(st.integers(0, 1)))
    s = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    h = draw(st.integers(max(1, d[0] * (k[0] - 1) + 1 - 2 * p[0]), 6))
    w = draw(st.integers(max(1, d[1] * (k[1] - 1) + 1 - 2 * p[1]), 6))
    x = draw(arrays("float32", (draw(st.integers(1, 2)), draw(st.integers(1, 3)), h, w)))
    return x, k, d, p, s


@given(case=unfold_cases())
def test_unfold_agrees(case):
    x, k, d, p, s = case
    res = run_everywhere(ops.unfold, x, frameworks=frameworks(), kernel_size=k, dilation=d,
                         padding=p, stride=s)
    assert_all_close(res, _np_unfold(x.astype(np.float64), k, d, p, s), "float32")


@given(case=unfold_cases(), data=st.data())
def test_fold_is_the_adjoint_of_unfold(case, data):
    """fold sums patches back (col2im): <unfold(x), y> == <x, fold(y)> for every y."""
    x, k, d, p, s = case
    cols = _np_unfold(x.astype(np.float64), k, d, p, s)
    y = data.draw(arrays("float32", cols.shape))
    res = run_everywhere(ops.fold, y, frameworks=frameworks(), output_size=x.shape[2:],
                         kernel_size=k, dilation=d, padding=p, stride=s)
    for fw, f in res.items():
        np.testing.assert_allclose(np.vdot(cols, y.astype(np.float64)),
                                   np.vdot(x.astype(np.float64), f.astype(np.float64)),
                                   rtol=1e-4, atol=1e-3, err_msg=fw)


@given(data=st.data())
def test_depth_space_round_trip_and_reference(data):
    b = data.draw(st.integers(2, 3))  # block_size >= 2, as TF and Keras require
    fmt = data.draw(st.sampled_from(["channels_last", "channels_first"]))
    n, h, w, c = (data.draw(st.integers(1, 2)), data.draw(st.integers(1, 3)),
                  data.draw(st.integers(1, 3)), data.draw(st.integers(1, 2)))
    x = data.draw(arrays("float32", (n, h * b, w * b, c)))  # NHWC
    if fmt == "channels_last":  # TF's order: channel = (row in block * b + col) * c + ch
        xin = x
        want = x.reshape(n, h, b, w, b, c).transpose(0, 1, 3, 2, 4, 5).reshape(n, h, w, b * b * c)
    else:  # Keras' channels_first order is channel-major (torch's pixel_unshuffle)
        xin = x.transpose(0, 3, 1, 2)
        want = xin.reshape(n, c, h, b, w, b).transpose(0, 1, 3, 5, 2, 4).reshape(n, c * b * b, h, w)
    res = run_everywhere(ops.space_to_depth, xin, frameworks=frameworks(), block_size=b,
                         data_format=fmt)
    assert_all_close(res, want, "float32")
    back = run_everywhere(ops.depth_to_space, want, frameworks=frameworks(), block_size=b,
                          data_format=fmt)
    assert_all_close(back, xin, "float32")


@given(x=float_arrays(shapes=shapes(1, 3, 1, 5), max_magnitude=20.0), data=st.data())
def test_normalize_agrees(x, data):
    axis = data.draw(st.integers(-x.ndim, x.ndim - 1))
    order = data.draw(st.sampled_from([1, 2]))
    x64 = x.astype(np.float64)
    norm = np.sum(np.abs(x64) ** order, axis=axis, keepdims=True) ** (1.0 / order)
    ref = x64 / np.maximum(norm, 1e-7)  # Keras' epsilon() bounds the norm from below
    res = run_everywhere(ops.normalize, x, frameworks=frameworks(), axis=axis, order=order)
    assert_all_close(res, ref, x.dtype)


@given(x=arrays("float64", shapes(1, 2, 2, 4), min_value=0.5, max_value=3.0))
def test_normalize_gradients(x):
    grads = grad_everywhere(ops.normalize, x)
    assert_all_close(grads, finite_difference_grad(ops.normalize, x), "float32",
                     rtol=1e-4, atol=1e-5)


@given(data=st.data())
def test_unfold_gradients(data):
    x = data.draw(arrays("float64", (1, 2, 4, 4), max_magnitude=3.0))

    def f(v):
        return ops.unfold(v, 2, stride=2) ** 2

    assert_all_close(grad_everywhere(f, x), finite_difference_grad(f, x), "float32",
                     rtol=1e-4, atol=1e-5)
