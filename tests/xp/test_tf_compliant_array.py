"""Tests of unikeras.xp.tensorflow.compliant: the Array object and the wrapped namespace,
against NumPy."""

from __future__ import annotations

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")

from unikeras.xp.tensorflow import compliant as xp  # noqa: E402
from unikeras.xp.tensorflow.compliant import Array  # noqa: E402


def same(a, expected, dtype=None):
    assert isinstance(a, Array), type(a)
    expected = np.asarray(expected)
    got = np.asarray(a)
    assert got.shape == expected.shape, (got.shape, expected.shape)
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-6)
    if dtype is not None:
        assert a.dtype == getattr(xp, dtype), (a.dtype, dtype)


def arr(values, dtype):
    return xp.asarray(np.asarray(values, dtype=dtype))


# ----------------------------------------------------------------- operators


@pytest.mark.parametrize(
    "d1,d2,expected",
    [
        ("uint8", "int16", "int16"),
        ("int8", "uint8", "int16"),
        ("uint8", "uint16", "uint16"),
        ("uint32", "int32", "int64"),
        ("float32", "float64", "float64"),
        ("float32", "complex64", "complex64"),
        ("float64", "complex64", "complex128"),
    ],
)
def test_binary_operators_promote(d1, d2, expected):
    a, b = np.array([1, 2, 30], dtype=d1), np.array([3, 1, 7], dtype=d2)
    x, y = arr(a, d1), arr(b, d2)
    same(x + y, a + b, expected)
    same(y - x, b - a, expected)
    if expected.startswith("complex"):
        with pytest.raises(TypeError, match="not ordered"):
            x < y
    same(x * y, a * b, expected)
    same(x == y, a == b, "bool")
    if not expected.startswith("complex"):
        same(x < y, a < b, "bool")
        same(x >= y, a >= b, "bool")
        same(x // y, a // b, expected)
        same(x % y, a % b, expected)


def test_scalars_and_reflected_operators():
    x = arr([1, 2, 3], "int8")
    same(x + 3, [4, 5, 6], "int8")
    same(3 - x, [2, 1, 0], "int8")
    same(2 ** x, [2, 4, 8], "int8")
    f = arr([1.0, 2.0], "float64")
    same(1 / f, [1.0, 0.5], "float64")
    same(f * 1j, [1j, 2j], "complex128")
    assert (x + np.int8(1)).dtype == xp.int8
    assert (x.__add__("a")) is NotImplemented
    with pytest.raises(TypeError):
        x + "a"


def test_unsigned_unary_pow_and_shifts():
    a = np.array([0, 1, 200], dtype=np.uint8)
    x = arr(a, "uint8")
    same(-x, -a, "uint8")  # wraps modulo 256, like numpy
    same(abs(x), a, "uint8")
    same(+x, a, "uint8")
    same(x ** 2, a ** 2, "uint8")
    same(~x, ~a, "uint8")
    same(x << 1, a << 1, "uint8")
    same(x >> 1, a >> 1, "uint8")
    same(x & 3, a & 3, "uint8")
    same(x | arr([4, 4, 4], "uint16"), a | np.array([4, 4, 4], np.uint16), "uint16")
    same(1 << x[:2], [1, 2], "uint8")


def test_matmul_operator():
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    x = xp.asarray(a)
    same(x @ x.T, a @ a.T, "float32")
    same(a.T @ x if False else x.mT @ x, a.T @ a, "float32")


def test_inplace_operators_keep_identity_and_dtype():
    x = arr([1, 2, 3], "int16")
    alias = x
    x += arr([1, 1, 1], "uint8")
    x *= 2
    x <<= 1
    assert x is alias
    same(x, [8, 12, 16], "int16")
    with pytest.raises(TypeError, match="int16 to int32"):
        x += arr([1, 1, 1], "int32")
    with pytest.raises(ValueError, match="shape"):
        x += xp.ones((2, 3), dtype=xp.int16)
    same(x, [8, 12, 16], "int16")  # unchanged after the refused updates


# ----------------------------------------------------------------- attributes


def test_attributes():
    a = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    x = xp.asarray(a)
    assert x.shape == (2, 3, 4) and type(x.shape) is tuple
    assert x.ndim == 3 and x.size == 24 and x.dtype == xp.float32
    same(x.mT, np.swapaxes(a, -1, -2))
    with pytest.raises(ValueError, match="2-d"):
        x.T
    assert "CPU" in x.device
    y = x.to_device(x.device)
    same(y, a)
    assert y is not x
    assert x.__array_namespace__() is xp
    with pytest.raises(ValueError, match="api_version"):
        x.__array_namespace__(api_version="1999.01")
    assert isinstance(x.tensor, tf.Tensor)
    assert "Array(" in repr(x) and "float32" in repr(x)


def test_python_conversions():
    assert bool(xp.asarray(True)) is True
    assert int(xp.asarray(3.7)) == 3
    assert float(xp.asarray(2, dtype=xp.int32)) == 2.0
    assert complex(xp.asarray(1.5)) == 1.5 + 0j
    assert [10, 20, 30][xp.asarray(1)] == 20
    with pytest.raises(TypeError, match="integer"):
        [1, 2][xp.asarray(1.0)]
    with pytest.raises(TypeError, match="complex"):
        float(xp.asarray(1j))
    with pytest.raises(TypeError, match="one element"):
        bool(xp.ones(3))


def test_tf_accepts_arrays():
    x = xp.asarray([1.0, 2.0, 3.0])
    assert isinstance(tf.convert_to_tensor(x), tf.Tensor)
    assert float(tf.reduce_sum(x)) == 6.0
    with pytest.raises(ValueError, match="requested dtype float64"):
        tf.convert_to_tensor(x, dtype=tf.float64)


# ----------------------------------------------------------------- indexing


def test_getitem_basic_matches_numpy():
    a = np.arange(60).reshape(3, 4, 5)
    x = xp.asarray(a)
    for key in [1, -1, (0, 2), slice(None, None, -1), (Ellipsis, 1), (None, 1, Ellipsis, slice(1, 4, 2)),
                (slice(1, None), 0, slice(None, None, -2)), ()]:
        same(x[key], a[key])
    with pytest.raises(IndexError, match="out of bounds"):
        x[3]
    with pytest.raises(IndexError, match="too many"):
        x[0, 0, 0, 0]
    with pytest.raises(IndexError, match="valid indices"):
        x["a"]


def test_getitem_masks_and_integer_arrays():
    a = np.arange(12.0).reshape(3, 4)
    x = xp.asarray(a)
    same(x[x > 4], a[a > 4])
    row = np.array([True, False, True])
    same(x[xp.asarray(row)], a[row])
    same(x[xp.asarray(True)], a[True])
    same(x[xp.asarray(False)], a[False])
    same(x[xp.asarray([2, 0, -1])], a[[2, 0, -1]])
    same(x[xp.asarray([[0], [2]]), xp.asarray([1, 3])], a[[[0], [2]], [1, 3]])
    same(x[1, xp.asarray([0, 0])], a[1, [0, 0]])
    with pytest.raises(IndexError, match="does not match"):
        x[xp.asarray([True, False])]


def test_setitem():
    a = np.zeros((3, 4), dtype=np.int32)
    x = xp.asarray(a)
    for key, value in [((0, 1), 5), ((slice(None), 2), [7, 8, 9]), ((Ellipsis, -1), -1), (1, 3),
                       ((slice(None, None, 2), slice(1, 3)), np.array([[1, 2]], np.int32))]:
        a[key] = value
        x[key] = xp.asarray(value, dtype=xp.int32) if isinstance(value, np.ndarray) else value
        same(x, a, "int32")
    mask = a > 4
    a[mask] = 0
    x[xp.asarray(mask)] = 0
    same(x, a, "int32")
    m2 = a < 2
    a[m2] = np.arange(int(m2.sum()))
    x[xp.asarray(m2)] = xp.arange(int(m2.sum()), dtype=xp.int32)
    same(x, a, "int32")
    with pytest.raises(ValueError, match="broadcast"):
        x[0] = xp.asarray([1, 2], dtype=xp.int32)
    y = xp.asarray([1.0, 2.0])
    y[0] = 7  # a Python int into a float array
    same(y, [7.0, 2.0], "float32")


# ----------------------------------------------------------------- the namespace


def test_namespace_wraps_inputs_and_outputs():
    x = xp.asarray([3, 1, 3, 2])
    u = xp.unique_all(x)
    assert type(u).__name__ == "UniqueAllResult"
    assert all(isinstance(v, Array) for v in u)
    same(u.values, [1, 2, 3])
    m = xp.reshape(xp.arange(6.0), (2, 3))
    svd = xp.linalg.svd(m, full_matrices=False)
    assert isinstance(svd.S, Array)
    same(svd.U @ (svd.S[:, None] * svd.Vh), np.arange(6.0).reshape(2, 3))
    outs = xp.broadcast_arrays(m, xp.asarray(1.0))
    assert isinstance(outs, tuple) and all(isinstance(o, Array) and o.shape == (2, 3) for o in outs)
    same(xp.concat([m, tf.ones((1, 3))], axis=0), np.concatenate([np.arange(6.0).reshape(2, 3), np.ones((1, 3))]))
    same(xp.fft.fft(xp.asarray([1.0, 0.0])), [1.0, 1.0])
    assert xp.asarray(x, copy=False) is x
    assert xp.asarray(x, copy=True) is not x
    assert xp.__array_namespace_info__().capabilities()["boolean indexing"] is True
    assert xp.float32 is tf.float32 and xp.__array_api_version__ == "2025.12"


def test_namespace_resolution():
    import unikeras.xp as uxp

    x = xp.ones((2,))
    assert uxp.namespace(x) is xp
    compat = pytest.importorskip("array_api_compat")
    assert compat.array_namespace(x) is xp


# ----------------------------------------------------------------- tf.function, GradientTape


def test_tf_function_with_arrays():
    @tf.function
    def f(a, b):
        c = a + b  # promotes inside the graph
        c[0] = 100
        return c[c > 2], c.shape

    out, shape = f(arr([1, 2, 3], "uint8"), arr([0, 1, 0], "int16"))
    assert isinstance(out, Array)
    same(out, [100, 3, 3], "int16")
    out2, _ = f(arr([5, 0, 1], "uint8"), arr([0, 1, 0], "int16"))  # same trace type: no retrace
    same(out2, [100], "int16")
    assert f.experimental_get_tracing_count() == 1
    assert shape == (3,)


def test_tf_function_input_signature_unknown_dims():
    seen = {}

    @tf.function(input_signature=[tf.TensorSpec([None, None], tf.float32)])
    def f(t):
        x = Array(t)
        seen["shape"], seen["size"] = x.shape, x.size
        x[:, 0] = 0.0
        return (x.mT @ x).tensor, xp.sum(x[x > 1.0]).tensor

    a = np.arange(6, dtype=np.float32).reshape(3, 2)
    gram, s = f(tf.constant(a))
    assert seen["shape"] == (None, None) and seen["size"] is None
    b = a.copy()
    b[:, 0] = 0
    np.testing.assert_allclose(gram.numpy(), b.T @ b)
    np.testing.assert_allclose(s.numpy(), b[b > 1].sum())


def test_gradient_tape_through_arrays():
    v = tf.Variable([1.0, 2.0, 3.0])
    with tf.GradientTape() as tape:
        x = Array(v)
        y = x * x
        y[1] = 0.0  # setitem is differentiable: the overwritten entry gets no gradient
        loss = xp.sum(y[y > 0.5])
    g = tape.gradient(loss.tensor, v)
    np.testing.assert_allclose(g.numpy(), [2.0, 0.0, 6.0])

    x = xp.asarray([1.0, 2.0])
    with tf.GradientTape() as tape:
        tape.watch(x)  # tf.nest sees the inner tensor
        loss = xp.sum(xp.exp(x))
    g = tape.gradient(loss, x)  # the gradient comes back as an Array
    assert isinstance(g, Array)
    same(g, np.exp([1.0, 2.0]))


# ----------------------------------------------------------------- DLPack


def test_dlpack_round_trip():
    a = np.arange(6, dtype=np.int16).reshape(2, 3)
    x = xp.asarray(a)
    assert x.__dlpack_device__() == (1, 0)
    np.testing.assert_array_equal(np.from_dlpack(x), a)
    y = xp.from_dlpack(x)
    same(y, a, "int16")
    for kw in [dict(copy=True), dict(copy=False), dict(dl_device=(1, 0)), dict(max_version=(1, 0))]:
        cap = x.__dlpack__(**kw)
        same(xp.asarray(tf.experimental.dlpack.from_dlpack(cap)), a)
    with pytest.raises(BufferError):
        x.__dlpack__(dl_device=(2, 0), copy=False)
    torch = pytest.importorskip("torch")
    np.testing.assert_array_equal(torch.from_dlpack(x).numpy(), a)
