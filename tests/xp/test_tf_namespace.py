"""Unit tests of the TensorFlow Array API namespace against numpy."""

from __future__ import annotations

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")

from unikeras.xp.tensorflow import array_api as xp  # noqa: E402

RNG = np.random.default_rng(0)


def close(a, b, **kw):
    assert isinstance(a, tf.Tensor), type(a)
    np.testing.assert_allclose(a.numpy(), np.asarray(b), rtol=kw.get("rtol", 1e-5), atol=kw.get("atol", 1e-6))


def t(a, dtype=None):
    return tf.constant(np.asarray(a), dtype=dtype)


# ----------------------------------------------------------------- promotion


@pytest.mark.parametrize(
    "a,b,expected",
    [
        ("int8", "uint8", "int16"),
        ("int16", "uint16", "int32"),
        ("int32", "uint32", "int64"),
        ("uint8", "uint32", "uint32"),
        ("int8", "int64", "int64"),
        ("float32", "float64", "float64"),
        ("float32", "complex64", "complex64"),
        ("float64", "complex64", "complex128"),
        ("bool", "bool", "bool"),
    ],
)
def test_promotion_table(a, b, expected):
    x = xp.ones((2,), dtype=getattr(xp, a))
    y = xp.ones((2,), dtype=getattr(xp, b))
    assert xp.result_type(x, y) == getattr(xp, expected)
    assert xp.add(x, y).dtype == getattr(xp, expected) if a != "bool" else True
    assert xp.can_cast(getattr(xp, a), getattr(xp, expected))


def test_python_scalars_take_array_dtype():
    x = xp.asarray([1, 2], dtype=xp.int8)
    assert xp.add(x, 3).dtype == xp.int8
    f = xp.asarray([1.0], dtype=xp.float64)
    assert xp.multiply(f, 2).dtype == xp.float64
    assert xp.multiply(2.5, f).dtype == xp.float64
    h = xp.asarray([1.0], dtype=xp.float32)
    assert xp.add(h, 1j).dtype == xp.complex64
    assert not xp.can_cast(xp.float64, xp.float32)
    assert not xp.can_cast(xp.int64, xp.uint64)


def test_defaults_and_info():
    assert xp.asarray(1).dtype == xp.int64
    assert xp.asarray(1.0).dtype == xp.float32
    assert xp.asarray([True, False]).dtype == xp.bool
    assert xp.asarray(1j).dtype == xp.complex64
    info = xp.__array_namespace_info__()
    d = info.default_dtypes()
    assert d["real floating"] == xp.float32 and d["indexing"] == xp.int64
    assert set(info.dtypes(kind="real floating").values()) == {xp.float32, xp.float64}
    assert info.default_device() in info.devices()
    assert xp.__array_api_version__ == "2025.12"
    assert xp.finfo(xp.float32).eps == float(np.finfo(np.float32).eps)
    assert xp.iinfo(xp.uint8).max == 255
    assert xp.isdtype(xp.int8, ("signed integer", "real floating"))
    assert not xp.isdtype(xp.uint8, "signed integer")


def test_asarray_copy():
    x = t([1.0, 2.0])
    assert xp.asarray(x) is x
    assert xp.asarray(x, copy=False) is x
    with pytest.raises(ValueError):
        xp.asarray([1, 2], copy=False)
    assert xp.asarray(x, dtype=xp.float64).dtype == xp.float64
    assert xp.asarray(np.arange(3, dtype=np.int16)).dtype == xp.int16


# ----------------------------------------------------------------- creation


def test_creation():
    close(xp.arange(1, 10, 3), np.arange(1, 10, 3))
    assert xp.arange(5).dtype == xp.int64
    close(xp.arange(0.0, 1.0, 0.25), np.arange(0.0, 1.0, 0.25))
    close(xp.linspace(0, 1, 5), np.linspace(0, 1, 5))
    close(xp.linspace(0, 1, 4, endpoint=False), np.linspace(0, 1, 4, endpoint=False))
    close(xp.eye(3, 4, k=1), np.eye(3, 4, k=1))
    close(xp.full((2, 3), 7, dtype=xp.int8), np.full((2, 3), 7))
    assert xp.full((2,), 7).dtype == xp.int64
    m = RNG.normal(size=(4, 5))
    close(xp.tril(t(m), k=-1), np.tril(m, k=-1))
    close(xp.triu(t(m), k=2), np.triu(m, k=2))
    gx, gy = xp.meshgrid(t([1, 2, 3]), t([4, 5]))
    nx, ny = np.meshgrid([1, 2, 3], [4, 5])
    close(gx, nx), close(gy, ny)
    close(xp.zeros_like(t(m), dtype=xp.int32), np.zeros((4, 5)))


# ----------------------------------------------------------------- elementwise


def test_elementwise_against_numpy():
    a = RNG.normal(size=(3, 4)).astype(np.float32)
    b = RNG.normal(size=(4,)).astype(np.float32)
    close(xp.atan2(t(a), t(b)), np.arctan2(a, b))
    close(xp.hypot(t(a), t(b)), np.hypot(a, b))
    close(xp.logaddexp(t(a), t(b)), np.logaddexp(a, b))
    close(xp.copysign(t(a), t(b)), np.copysign(a, b))
    close(xp.log2(t(np.abs(a))), np.log2(np.abs(a)), rtol=1e-5)
    close(xp.trunc(t(a * 3)), np.trunc(a * 3))
    close(xp.clip(t(a), -0.5, 0.5), np.clip(a, -0.5, 0.5))
    close(xp.round(t([0.5, 1.5, -2.5])), [0.0, 2.0, -2.0])
    s = xp.signbit(t([-0.0, 0.0, -1.0, np.nan], dtype=tf.float32))
    assert s.numpy().tolist() == [True, False, True, False]
    i = np.array([7, -7, 5, 0], np.int32)
    j = np.array([2, 2, -3, 3], np.int32)
    close(xp.floor_divide(t(i), t(j)), i // j)
    close(xp.remainder(t(i), t(j)), i % j)
    close(xp.bitwise_left_shift(t(i), t([1, 2, 3, 40])), [14, -28, 40, 0])
    u = xp.asarray([1, 200], dtype=xp.uint8)
    assert xp.negative(u).numpy().tolist() == [255, 56]
    assert xp.abs(u).dtype == xp.uint8
    assert xp.isnan(xp.asarray([complex(np.nan, 0), 1j])).numpy().tolist() == [True, False]
    assert xp.maximum(t([1.0, np.nan]), 0.0).numpy()[1] != xp.maximum(t([1.0, np.nan]), 0.0).numpy()[1]
    assert xp.equal(xp.asarray([1], dtype=xp.int8), xp.asarray([1.0])).numpy().all()


# ----------------------------------------------------------------- manipulation & indexing


def test_manipulation():
    a = RNG.normal(size=(2, 3, 4))
    x = t(a)
    close(xp.permute_dims(x, (2, 0, 1)), a.transpose(2, 0, 1))
    close(xp.moveaxis(x, 0, -1), np.moveaxis(a, 0, -1))
    close(xp.concat([x, x], axis=None), np.concatenate([a.ravel(), a.ravel()]))
    assert xp.concat([xp.ones(2, dtype=xp.int8), xp.ones(2, dtype=xp.uint8)]).dtype == xp.int16
    close(xp.stack([x, x], axis=-1), np.stack([a, a], axis=-1))
    close(xp.flip(x, axis=(0, 2)), np.flip(a, axis=(0, 2)))
    close(xp.roll(x, 2), np.roll(a, 2))
    close(xp.roll(x, (1, -1), axis=(0, 2)), np.roll(a, (1, -1), axis=(0, 2)))
    close(xp.repeat(x, 2, axis=1), np.repeat(a, 2, axis=1))
    close(xp.tile(x, (2, 1, 1, 1)), np.tile(a, (2, 1, 1, 1)))
    close(xp.squeeze(xp.expand_dims(x, axis=-1), axis=-1), a)
    with pytest.raises(ValueError):
        xp.squeeze(x, axis=0)
    close(xp.take(x, t([2, 0]), axis=2), np.take(a, [2, 0], axis=2))
    assert len(xp.unstack(x, axis=1)) == 3
    bx, by = xp.broadcast_arrays(t([[1.0], [2.0]]), t([1.0, 2.0, 3.0]))
    assert bx.shape == (2, 3) and by.shape == (2, 3)


# ----------------------------------------------------------------- search / sort / set / stats


def test_search_sort_set():
    a = np.array([3.0, 1.0, np.nan, 2.0, 1.0])
    x = t(a)
    close(xp.sort(x), np.sort(a))
    assert xp.argsort(x, stable=True).numpy().tolist() == np.argsort(a, kind="stable").tolist()
    assert xp.argsort(t([1, 2, 2, 0]), descending=True).numpy().tolist() == [1, 2, 0, 3]
    assert int(xp.argmax(x[:2])) == 0
    r = xp.unique_all(t([3, 1, 3, 2, 1]))
    v, i, inv, c = np.unique([3, 1, 3, 2, 1], return_index=True, return_inverse=True, return_counts=True)
    close(r.values, v), close(r.indices, i), close(r.inverse_indices, inv), close(r.counts, c)
    (nz0, nz1) = xp.nonzero(t([[0, 1], [2, 0]]))
    assert nz0.numpy().tolist() == [0, 1] and nz1.numpy().tolist() == [1, 0]
    close(xp.searchsorted(t([1, 3, 5]), t([[0, 3], [6, 5]]), side="right"), [[0, 2], [3, 3]])
    close(xp.where(t([True, False]), t([1.0, 2.0]), 0.0), [1.0, 0.0])


def test_statistics():
    a = RNG.normal(size=(3, 4, 5))
    x = t(a)
    close(xp.sum(x, axis=(0, 2), keepdims=True), a.sum(axis=(0, 2), keepdims=True))
    close(xp.var(x, axis=1, correction=1), a.var(axis=1, ddof=1))
    close(xp.std(x, axis=(0, 1)), a.std(axis=(0, 1)))
    close(xp.mean(x, axis=-1), a.mean(axis=-1))
    close(xp.prod(x, axis=0), a.prod(axis=0))
    close(xp.max(x), a.max())
    assert xp.sum(xp.asarray([1, 2], dtype=xp.int8)).dtype == xp.int64
    assert xp.sum(xp.asarray([1, 2], dtype=xp.uint8)).dtype == xp.uint64
    close(xp.cumulative_sum(t([1, 2, 3]), include_initial=True), [0, 1, 3, 6])
    assert bool(xp.all(t([1.0, 2.0]))) and not bool(xp.any(t([0, 0])))


# ----------------------------------------------------------------- linalg / fft


def test_linalg():
    a = RNG.normal(size=(2, 4, 4))
    spd = a @ np.swapaxes(a, -1, -2) + 4 * np.eye(4)
    x = t(spd)
    close(xp.linalg.cholesky(x), np.linalg.cholesky(spd), rtol=1e-6)
    close(xp.linalg.inv(x), np.linalg.inv(spd), rtol=1e-6)
    close(xp.linalg.det(x), np.linalg.det(spd), rtol=1e-6)
    b = RNG.normal(size=(4,))
    close(xp.linalg.solve(x, t(b)), np.linalg.solve(spd, b[..., None])[..., 0], rtol=1e-6)
    close(xp.linalg.svdvals(t(a)), np.linalg.svd(a, compute_uv=False), rtol=1e-6)
    u, s, vh = xp.linalg.svd(t(a))
    close(xp.matmul(u * s[..., None, :], vh), a, rtol=1e-6, atol=1e-8)
    close(xp.linalg.matrix_norm(t(a), ord=1), np.linalg.norm(a, ord=1, axis=(-2, -1)))
    close(xp.linalg.vector_norm(t(a), axis=-1, ord=3), np.linalg.norm(a, ord=3, axis=-1))
    close(xp.linalg.matrix_power(t(a), 3), np.linalg.matrix_power(a, 3), rtol=1e-6)
    close(xp.linalg.trace(t(a), offset=1), np.trace(a, offset=1, axis1=-2, axis2=-1))
    close(xp.linalg.cross(t([1.0, 0, 0]), t([0.0, 1, 0])), [0, 0, 1])
    close(xp.vecdot(t(a), t(a)), (a * a).sum(-1))
    close(xp.tensordot(t(a), t(a), axes=([1, 2], [1, 2])), np.tensordot(a, a, axes=([1, 2], [1, 2])))
    close(xp.matmul(t([1, 2], tf.int8), t([[1], [2]], tf.int8)), [5])
    assert xp.matrix_transpose(t(a)).shape == (2, 4, 4)
    assert int(xp.linalg.matrix_rank(t(np.ones((3, 3))))) == 1


def test_fft():
    a = RNG.normal(size=(4, 6))
    c = a + 1j * RNG.normal(size=(4, 6))
    close(xp.fft.fft(t(c), axis=0, norm="ortho"), np.fft.fft(c, axis=0, norm="ortho"), rtol=1e-6)
    close(xp.fft.ifftn(t(c)), np.fft.ifftn(c), rtol=1e-6)
    close(xp.fft.rfft(t(a), n=8), np.fft.rfft(a, n=8), rtol=1e-6)
    close(xp.fft.irfft(t(c), n=9, norm="forward"), np.fft.irfft(c, n=9, norm="forward"), rtol=1e-6)
    close(xp.fft.rfftn(t(a)), np.fft.rfftn(a), rtol=1e-6)
    close(xp.fft.hfft(t(c)), np.fft.hfft(c), rtol=1e-6)
    close(xp.fft.fftshift(xp.fft.fftfreq(5, d=0.5)), np.fft.fftshift(np.fft.fftfreq(5, d=0.5)))


# ----------------------------------------------------------------- tf.function, XLA, gradients


def _model(x, w):
    h = xp.matmul(x, w)
    h = xp.where(xp.greater(h, 0.0), h, xp.multiply(h, 0.1))
    h = xp.concat([h, xp.flip(h, axis=-1)], axis=-1)
    h = xp.logaddexp(h, xp.zeros_like(h))
    return xp.mean(xp.sum(xp.square(h), axis=-1)) + xp.std(h, correction=1)


@pytest.mark.parametrize("jit", [False, True])
def test_tf_function_and_gradient(jit):
    x = t(RNG.normal(size=(3, 4)), tf.float32)
    w = tf.Variable(RNG.normal(size=(4, 2)).astype(np.float32))
    eager = _model(x, w)

    @tf.function(jit_compile=jit)
    def step(x):
        with tf.GradientTape() as tape:
            loss = _model(x, w)
        return loss, tape.gradient(loss, w)

    loss, g = step(x)
    close(loss, eager.numpy(), rtol=1e-5)
    assert g is not None and g.shape == (4, 2)
    # finite differences on one coordinate
    eps = 1e-3
    bump = np.zeros((4, 2), np.float32)
    bump[0, 0] = eps
    w2 = tf.Variable(w.numpy() + bump)
    fd = (_model(x, w2) - eager) / eps
    np.testing.assert_allclose(fd.numpy(), g.numpy()[0, 0], rtol=5e-2, atol=5e-3)


def test_unknown_shapes_in_tf_function():
    @tf.function(input_signature=[tf.TensorSpec([None, None], tf.float32)])
    def f(x):
        return (
            xp.sum(xp.tril(x, k=-1)),
            xp.roll(x, 1),
            xp.var(x, axis=0, correction=1),
            xp.sort(x, axis=0),
            xp.fft.rfft(x),
        )

    a = RNG.normal(size=(3, 5)).astype(np.float32)
    s, r, v, srt, fr = f(t(a))
    close(s, np.tril(a, -1).sum(), rtol=1e-5)
    close(r, np.roll(a, 1))
    close(v, a.var(axis=0, ddof=1), rtol=1e-5)
    close(srt, np.sort(a, axis=0))
    close(fr, np.fft.rfft(a), rtol=1e-4, atol=1e-5)


def test_no_global_tf_changes():
    # the namespace must not switch on numpy behaviour (which would add e.g. .T)
    assert not hasattr(tf.constant([1.0]), "T")


# ----------------------------------------------------------------- special values


def _sign(v):
    return np.copysign(1.0, v)


def test_signed_zero_scalars_survive_tf_scalar_cache():
    # tf.constant(-0.0) and tf.constant(0.0) share TF's eager scalar cache entry;
    # asarray/full must not lose the sign whichever came first.
    for v in (0.0, -0.0, 0.0, -0.0):
        for dt in (xp.float32, xp.float64):
            assert _sign(float(xp.asarray(v, dtype=dt))) == _sign(v)
            assert _sign(xp.full((2,), v, dtype=dt).numpy()[0]) == _sign(v)
    z = xp.asarray(complex(-0.0, -0.0), dtype=xp.complex128)
    assert _sign(complex(z).real) == -1 and _sign(complex(z).imag) == -1
    assert _sign(float(xp.add(xp.asarray(0.0), xp.asarray(-0.0)))) == 1
    assert float(xp.divide(xp.asarray(1.0), xp.asarray(-0.0))) == -np.inf


def test_complex_expm1_log1p_tanh_special_cases():
    inf, nan = np.inf, np.nan
    e = xp.expm1(t([complex(inf, 0.0), complex(-inf, inf), complex(-inf, nan), complex(nan, 0.0),
                    complex(inf, inf), 0j], xp.complex128)).numpy()
    assert e[0] == complex(inf, 0.0)
    assert e[1] == -1 and e[2] == -1
    assert np.isnan(e[3].real) and e[3].imag == 0
    assert np.isinf(e[4].real) and np.isnan(e[4].imag)
    assert e[5] == 0 and _sign(e[5].real) == 1
    p = xp.log1p(t([complex(-1.0, 0.0), complex(2.0, inf), complex(-inf, 1.0), complex(inf, inf),
                    complex(nan, inf)], xp.complex128)).numpy()
    assert p[0] == complex(-inf, 0.0)
    np.testing.assert_allclose(p[1].imag, np.pi / 2)
    assert p[1].real == inf and p[2] == complex(inf, np.pi)
    np.testing.assert_allclose(p[3].imag, np.pi / 4)
    assert p[4].real == inf and np.isnan(p[4].imag)
    th = xp.tanh(t([complex(inf, 2.0), complex(-inf, -2.0)], xp.complex128)).numpy()
    assert th[0] == 1 and _sign(th[0].imag) == 1 and th[1] == -1 and _sign(th[1].imag) == -1
    # ordinary values still agree with numpy (and are accurate near 0)
    z = np.array([0.3 - 0.2j, 3 + 4j, -2 + 0.5j, 1e-5 + 2e-5j], np.complex128)
    close(xp.expm1(t(z)), np.expm1(z), rtol=1e-12, atol=0)
    close(xp.log1p(t(z)), np.log1p(z), rtol=1e-10, atol=0)
    close(xp.tanh(t(z)), np.tanh(z), rtol=1e-12, atol=0)


@pytest.mark.parametrize("jit", [False, True])
def test_special_value_fixes_in_tf_function_and_gradient(jit):
    z = t([0.3 - 0.2j, 1.5 + 0.7j], xp.complex128)
    r = t([0.3, 1.7], xp.float64)

    @tf.function(jit_compile=jit)
    def grads(z, r):
        with tf.GradientTape(persistent=True) as tape:
            tape.watch([z, r])
            yz = tf.reduce_sum(tf.math.real(xp.expm1(z) + xp.log1p(z) + xp.tanh(z)))
            yr = tf.reduce_sum(xp.log2(r) + xp.log10(r) + xp.logaddexp(r, 2 * r) + xp.expm1(r))
        return tape.gradient(yz, z), tape.gradient(yr, r)

    gz, gr = grads(z, r)
    zz, rr = z.numpy(), r.numpy()
    # d/dz of an analytic f, as TF reports for real(f): conj(f'(z))
    ref_z = np.conj(np.exp(zz) + 1 / (1 + zz) + 1 / np.cosh(zz) ** 2)
    np.testing.assert_allclose(gz.numpy(), ref_z, rtol=1e-10)
    ref_r = 1 / (rr * np.log(2)) + 1 / (rr * np.log(10)) + (np.exp(rr) + 2 * np.exp(2 * rr)) / (
        np.exp(rr) + np.exp(2 * rr)) + np.exp(rr)
    np.testing.assert_allclose(gr.numpy(), ref_r, rtol=1e-10)


def test_float64_constants_are_exact():
    x = t([8.0, 1e-3, 7.0], xp.float64)
    np.testing.assert_allclose(xp.log2(x).numpy(), np.log2(x.numpy()), rtol=1e-15, atol=0)
    np.testing.assert_allclose(xp.log10(x).numpy(), np.log10(x.numpy()), rtol=1e-15, atol=0)
    np.testing.assert_allclose(xp.logaddexp(x, x).numpy(), np.logaddexp(x.numpy(), x.numpy()),
                               rtol=1e-15, atol=0)


def test_half_precision_is_kept():
    for dt in (tf.float16, tf.bfloat16):
        x = tf.constant([0.25, 0.5], dt)
        for name in ("sin", "cos", "exp", "sqrt", "tanh", "expm1", "log1p", "log", "log2", "abs"):
            assert getattr(xp, name)(x).dtype == dt, (name, dt)
        assert xp.add(x, 1.0).dtype == dt
        assert xp.add(x, tf.ones(2, tf.float32)).dtype == tf.float32
        assert not bool(xp.any(xp.signbit(x)))
    assert xp.add(tf.ones(2, tf.float16), tf.ones(2, tf.bfloat16)).dtype == tf.float32
    assert xp.add(tf.ones(2, tf.float32), tf.ones(2, tf.float64)).dtype == tf.float64
    assert xp.multiply(tf.ones(2, tf.float64), tf.ones(2, tf.float32)).dtype == tf.float64


def test_take_along_axis_and_cumulative_prod():
    x = RNG.normal(size=(3, 4, 5))
    i = np.argsort(x, axis=1)
    close(xp.take_along_axis(t(x), t(i), axis=1), np.take_along_axis(x, i, 1))
    j = RNG.integers(-5, 5, size=(1, 4, 2))
    close(xp.take_along_axis(t(x), t(j), axis=2), np.take_along_axis(x, j, 2))
    f = tf.function(lambda a, b: xp.take_along_axis(a, b, axis=0),
                    input_signature=[tf.TensorSpec([None, None], tf.float64),
                                     tf.TensorSpec([None, None], tf.int64)])
    close(f(t(x[0]), t(i[0, :2])), np.take_along_axis(x[0], i[0, :2], 0))
    a = np.array([[1, 2, 3], [4, 5, 6]], np.uint8)
    out = xp.cumulative_prod(t(a), axis=1, include_initial=True)
    assert out.dtype == tf.uint64 and out.numpy().tolist() == [[1, 1, 2, 6], [1, 4, 20, 120]]
    close(xp.cumulative_prod(t([1.5, 2.0, -1.0], xp.float32)), [1.5, 3.0, -3.0])


# ----------------------------------------------------------------- fixes found by the compliant run


def test_complex_log_family_at_extreme_magnitudes():
    z = np.array([8.97e15 + 1.8446743e19j, 1.8446743e19 - 3.9e18j, 3e38 + 3e38j, 1e-30 + 1e-30j,
                  1 + 1e-5j, complex(-0.0, 0.0), complex(np.inf, np.nan)], np.complex64)
    with np.errstate(all="ignore"):
        for name in ("log", "log2", "log10"):
            got = getattr(xp, name)(tf.constant(z)).numpy()
            want = getattr(np, name)(z)
            np.testing.assert_allclose(got.real, want.real, rtol=1e-5)
            np.testing.assert_allclose(got.imag, want.imag, rtol=1e-5, atol=1e-7)
        got = xp.log1p(tf.constant(z[:3])).numpy()
        # numpy's complex64 log1p overflows at 3e38+3e38j; log(1 + z) in complex128 does not
        np.testing.assert_allclose(got, np.log(1 + z[:3].astype(np.complex128)), rtol=1e-5)


def test_complex_unique():
    z = np.array([[1 + 2j, 0j, 1 + 2j], [3j, 0j, -1j]], np.complex64)
    u = xp.unique_all(tf.constant(z))
    np.testing.assert_array_equal(u.values.numpy(), [-1j, 0j, 3j, 1 + 2j])
    np.testing.assert_array_equal(u.counts.numpy(), [1, 2, 1, 2])
    np.testing.assert_array_equal(tf.gather(u.values, u.inverse_indices).numpy(), z)
    np.testing.assert_array_equal(tf.gather(tf.reshape(z, [-1]), u.indices).numpy(), u.values.numpy())


def test_linalg_edge_cases():
    m = tf.ones((2, 3))
    assert xp.linalg.diagonal(m, offset=3).shape == (0,)
    assert xp.linalg.diagonal(m, offset=-2).shape == (0,)
    assert float(xp.linalg.trace(m, offset=5)) == 0.0
    c = xp.linalg.cross(tf.constant([[1.0, 0.0, 0.0]] * 2), tf.constant([0.0, 1.0, 0.0]))
    np.testing.assert_array_equal(c.numpy(), [[0.0, 0.0, 1.0]] * 2)
    r = xp.linalg.qr(tf.constant([[np.inf, 1.0], [1.0, 2.0]])).R.numpy()
    assert r[1, 0] == 0.0


def test_asarray_mixed_python_kinds_and_complex_ordering():
    assert xp.asarray(False, dtype=xp.uint8).numpy() == 0
    np.testing.assert_array_equal(xp.asarray([1, 2j, 3]).numpy(), [1, 2j, 3])
    np.testing.assert_array_equal(xp.asarray([True, 2]).numpy(), [1, 2])
    with pytest.raises(TypeError, match="not ordered"):
        xp.less(tf.constant([1j]), tf.constant([2j]))
