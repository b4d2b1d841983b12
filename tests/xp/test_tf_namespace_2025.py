"""The functions the Array API added in 2024.12 and 2025.12, in unikeras' TensorFlow
namespace (plain tf.Tensor in and out), against NumPy: reciprocal, nextafter, diff,
count_nonzero, isin, broadcast_shapes, linalg.eig/eigvals, expand_dims with a tuple of
axes, tuple results (meshgrid, broadcast_arrays, devices) and remainder's signed zeros.
Each also runs through the compliant namespace (Array objects) once."""

from __future__ import annotations

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")

from unikeras.xp.tensorflow import array_api as xp  # noqa: E402
from unikeras.xp.tensorflow import compliant as cx  # noqa: E402

RNG = np.random.default_rng(0)


def t(a, dtype=None):
    return tf.constant(np.asarray(a), dtype=dtype)


def test_declares_2025_12():
    assert xp.__array_api_version__ == "2025.12" == cx.__array_api_version__
    assert cx.asarray([1.0]).__array_namespace__(api_version="2025.12") is cx


@pytest.mark.parametrize("dtype", ["float32", "float64", "complex64"])
def test_reciprocal(dtype):
    x = (RNG.uniform(0.5, 4, (3, 4)) * (1 if "float" in dtype else 1 + 1j)).astype(dtype)
    out = xp.reciprocal(t(x))
    assert out.dtype.name == dtype
    np.testing.assert_allclose(out.numpy(), np.reciprocal(x), rtol=1e-6)
    assert xp.reciprocal(t([2, 4])).dtype == xp.float32  # integers: the default float


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_nextafter(dtype):
    a = RNG.normal(size=(5,)).astype(dtype)
    b = RNG.normal(size=(5,)).astype(dtype)
    a = np.concatenate([a, np.array([-0.0, 0.0, 1.0, np.nan, 2.0], dtype)])
    b = np.concatenate([b, np.array([0.0, -0.0, 1.0, 1.0, np.inf], dtype)])
    out = xp.nextafter(t(a), t(b)).numpy()
    want = np.nextafter(a, b)
    np.testing.assert_array_equal(out, want)
    np.testing.assert_array_equal(np.signbit(out), np.signbit(want))  # nextafter(-0, +0) is +0
    assert xp.nextafter(t(a), 3.0).dtype.name == dtype  # a Python scalar takes x1's dtype
    with pytest.raises(TypeError):
        xp.nextafter(t([1, 2]), t([2, 3]))


def test_remainder_signed_zero():
    a = np.array([-0.0, 0.0, -4.0, 4.0, 3.5, -3.5, 0.0])
    b = np.array([2.0, -2.0, 2.0, -2.0, 2.0, 2.0, 3.0])
    out = xp.remainder(t(a), t(b)).numpy()
    np.testing.assert_array_equal(out, np.remainder(a, b))
    np.testing.assert_array_equal(np.signbit(out), np.signbit(np.remainder(a, b)))
    np.testing.assert_array_equal(xp.remainder(t([7, -7]), t([3, 3])).numpy(), [1, 2])


@pytest.mark.parametrize("dtype", ["int32", "uint8", "float64", "bool"])
@pytest.mark.parametrize("axis,n", [(-1, 1), (0, 2), (1, 3), (1, 0)])
def test_diff(dtype, axis, n):
    x = RNG.integers(0, 9, (4, 5)).astype(dtype)
    out = xp.diff(t(x), axis=axis, n=n)
    want = np.diff(x, axis=axis, n=n)
    assert out.dtype.name == want.dtype.name
    np.testing.assert_array_equal(out.numpy(), want)


def test_diff_prepend_append_promotes():
    x = RNG.normal(size=(3, 4)).astype("float32")
    pre = RNG.normal(size=(3, 1))
    app = RNG.normal(size=(3, 2))
    out = xp.diff(t(x), axis=1, n=2, prepend=t(pre), append=t(app))
    assert out.dtype == xp.float64
    np.testing.assert_allclose(out.numpy(), np.diff(x.astype("float64"), axis=1, n=2,
                                                    prepend=pre, append=app), rtol=1e-12)
    with pytest.raises(ValueError):
        xp.diff(t(1.0))


@pytest.mark.parametrize("axis", [None, 0, -1, (0, 2)])
@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("dtype", ["int8", "uint64", "float32", "complex64", "bool"])
def test_count_nonzero(axis, keepdims, dtype):
    x = RNG.integers(0, 3, (2, 3, 4)).astype(dtype)
    out = xp.count_nonzero(t(x), axis=axis, keepdims=keepdims)
    assert out.dtype == xp.int64
    np.testing.assert_array_equal(out.numpy(), np.count_nonzero(x, axis=axis, keepdims=keepdims))


@pytest.mark.parametrize("dtypes", [("int32", "int32"), ("int8", "uint8"), ("float64", "float32"),
                                    ("complex64", "complex64")])
@pytest.mark.parametrize("invert", [False, True])
def test_isin(dtypes, invert):
    a = RNG.integers(-5, 6, (3, 4)).astype(dtypes[0])
    b = RNG.integers(-5, 6, (2, 3)).astype(dtypes[1])
    out = xp.isin(t(a), t(b), invert=invert)
    assert out.dtype == xp.bool and tuple(out.shape) == a.shape
    np.testing.assert_array_equal(out.numpy(), np.isin(a, b, invert=invert))


def test_isin_scalars_and_empty():
    assert bool(xp.isin(3, t([1, 3]))) and not bool(xp.isin(t(4), 3))
    np.testing.assert_array_equal(xp.isin(t([1, 2]), 2).numpy(), [False, True])
    np.testing.assert_array_equal(xp.isin(t([1, 2]), t(np.zeros(0, "int64"))).numpy(), [False, False])
    np.testing.assert_array_equal(xp.isin(t([np.nan, 1.0]), t([np.nan, 1.0])).numpy(), [False, True])
    x = t(RNG.integers(0, 50, 30))
    s = t(RNG.integers(0, 50, 10))
    traced = tf.function(lambda a, b: xp.isin(a, b))(x, s)
    np.testing.assert_array_equal(traced.numpy(), np.isin(x.numpy(), s.numpy()))


@pytest.mark.parametrize("shapes", [(), ((2, 3),), ((2, 1), (3,)), ((4, 1, 5), (1, 3, 1), (5,)),
                                    ((0, 1), (1, 7)), ((1,), ())])
def test_broadcast_shapes(shapes):
    assert xp.broadcast_shapes(*shapes) == np.broadcast_shapes(*shapes)
    assert isinstance(xp.broadcast_shapes(*shapes), tuple)


def test_broadcast_shapes_errors_and_unknown_sizes():
    with pytest.raises(ValueError):
        xp.broadcast_shapes((2, 3), (4,))
    assert xp.broadcast_shapes((None, 3), (2, 1)) == (2, 3)
    assert xp.broadcast_shapes((None, 1), (1, 4)) == (None, 4)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_eig_and_eigvals(dtype):
    x = RNG.normal(size=(2, 4, 4)).astype(dtype)
    w, v = xp.linalg.eig(t(x))
    cdt = {"float32": "complex64", "float64": "complex128"}[dtype]
    assert w.dtype.name == cdt and v.dtype.name == cdt
    assert tuple(w.shape) == (2, 4) and tuple(v.shape) == (2, 4, 4)
    tol = 1e-4 if dtype == "float32" else 1e-10
    # x v = v diag(w), column by column, and the eigenvalues are NumPy's (as a set)
    np.testing.assert_allclose(x @ v.numpy(), v.numpy() * w.numpy()[:, None, :], atol=tol * 10)
    ref = np.linalg.eigvals(x)
    got = xp.linalg.eigvals(t(x)).numpy()
    for g, r in zip(got, ref):
        np.testing.assert_allclose(np.sort_complex(g), np.sort_complex(r), atol=tol * 10)
    res = cx.linalg.eig(cx.asarray(x))
    assert res.eigenvalues.dtype.name == cdt and isinstance(res.eigenvectors, cx.Array)


@pytest.mark.parametrize("axis", [(0,), (0, 1), (-1, 0), (1, 3), (-1, -2)])
def test_expand_dims_tuple(axis):
    x = RNG.normal(size=(2, 3))
    out = xp.expand_dims(t(x), axis=axis)
    np.testing.assert_array_equal(out.numpy(), np.expand_dims(x, axis))


def test_expand_dims_tuple_errors():
    with pytest.raises(ValueError):
        xp.expand_dims(t(np.zeros((2,))), axis=(0, -3))  # the same axis twice
    with pytest.raises(IndexError):
        xp.expand_dims(t(np.zeros((2,))), axis=(0, 3))


def test_tuple_results():
    gx = xp.meshgrid(t([1, 2]), t([3, 4, 5]))
    bx = xp.broadcast_arrays(t([[1.0], [2.0]]), t([1.0, 2.0]))
    assert isinstance(gx, tuple) and isinstance(bx, tuple) and xp.broadcast_arrays() == ()
    assert isinstance(cx.meshgrid(cx.asarray([1, 2])), tuple)
    devs = xp.__array_namespace_info__().devices()
    assert isinstance(devs, tuple) and xp.__array_namespace_info__().default_device() in devs
