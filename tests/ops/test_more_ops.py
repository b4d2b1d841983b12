"""adaptive_average_pool / adaptive_max_pool, lu_factor, view, vectorize and
vectorized_map on every installed framework, against independent NumPy / SciPy
references."""

import numpy as np
import pytest

from unikeras import ops, xp

rng = np.random.default_rng(11)


def N(a):
    return np.asarray(xp.to_numpy(a))


def _np_adaptive(x, out, reduce):
    """Loops over the windows [floor(i*H/o), ceil((i+1)*H/o)) of an NHWC array."""
    n, h, w, c = x.shape
    y = np.zeros((n, out[0], out[1], c), np.float64)
    for i in range(out[0]):
        r0, r1 = (i * h) // out[0], -((-(i + 1) * h) // out[0])
        for j in range(out[1]):
            c0, c1 = (j * w) // out[1], -((-(j + 1) * w) // out[1])
            y[:, i, j] = reduce(x[:, r0:r1, c0:c1].astype(np.float64), axis=(1, 2))
    return y


@pytest.mark.parametrize("shape, out", [((2, 7, 10, 3), (3, 4)), ((1, 6, 6, 2), 3),
                                        ((2, 3, 5, 1), (5, 7)), ((1, 9, 4, 2), (4, 1))])
@pytest.mark.parametrize("name, reduce", [("adaptive_average_pool", np.mean),
                                          ("adaptive_max_pool", np.max)])
def test_adaptive_pool(fw, shape, out, name, reduce):
    x = rng.standard_normal(shape).astype("float32")
    o = (out, out) if isinstance(out, int) else out
    want = _np_adaptive(x, o, reduce)
    got = getattr(ops, name)(fw.T(x), out)
    assert xp.framework_of(got) == fw.name and N(got).dtype == np.float32
    np.testing.assert_allclose(N(got), want, rtol=1e-5, atol=1e-6)
    got_cf = getattr(ops, name)(fw.T(x.transpose(0, 3, 1, 2)), out, data_format="channels_first")
    np.testing.assert_allclose(N(got_cf), want.transpose(0, 3, 1, 2), rtol=1e-5, atol=1e-6)


def test_adaptive_pool_errors(fw):
    with pytest.raises(ValueError, match="ops.adaptive_max_pool: expected a 3-D, 4-D or 5-D"):
        ops.adaptive_max_pool(fw.T(np.ones((2, 3), "float32")), 2)
    with pytest.raises(ValueError, match="ops.adaptive_max_pool: expected output_size to be "
                       "an int or 3 ints"):
        ops.adaptive_max_pool(fw.T(np.ones((1, 3, 4, 5, 1), "float32")), (2, 2))
    with pytest.raises(ValueError, match="ops.adaptive_average_pool: expected output_size"):
        ops.adaptive_average_pool(fw.T(np.ones((1, 3, 4, 1), "float32")), (2, 0))


def test_adaptive_pool_generic_matches_torch_kernel():
    """The torch fast path (F.adaptive_*_pool2d) and the written-once path agree."""
    torch = pytest.importorskip("torch")
    from unikeras.ops import _shims

    x = rng.standard_normal((2, 3, 11, 7)).astype("float32")
    for name in ("adaptive_average_pool", "adaptive_max_pool"):
        fast = getattr(ops, name)(torch.tensor(x), (4, 3), data_format="channels_first")
        saved = getattr(_shims.torch, name)
        try:
            delattr(_shims.torch, name)
            generic = getattr(ops, name)(torch.tensor(x), (4, 3), data_format="channels_first")
        finally:
            setattr(_shims.torch, name, saved)
        np.testing.assert_allclose(fast.numpy(), generic.numpy(), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("shape", [(4, 4), (3, 5, 5), (1, 1)])
def test_lu_factor(fw, shape):
    scipy_linalg = pytest.importorskip("scipy.linalg")
    a = rng.standard_normal(shape)
    dtype = "float64" if fw.x64 else "float32"
    lu, piv = ops.lu_factor(fw.T(a, dtype))
    assert N(piv).dtype == np.int32 and N(lu).dtype == np.dtype(dtype)
    flat_a = a.reshape((-1,) + a.shape[-2:])
    flat_lu, flat_piv = N(lu).reshape(flat_a.shape), N(piv).reshape(flat_a.shape[:-1])
    for m, l_u, p in zip(flat_a, flat_lu, flat_piv):
        want_lu, want_piv = scipy_linalg.lu_factor(m)
        np.testing.assert_array_equal(p, want_piv)
        np.testing.assert_allclose(l_u, want_lu, rtol=1e-4 if dtype == "float32" else 1e-10,
                                   atol=1e-5 if dtype == "float32" else 1e-12)


def test_lu_factor_singular_and_ties(fw):
    """A zero column (no pivot: LAPACK leaves it) and equal candidates (first one wins)."""
    scipy_linalg = pytest.importorskip("scipy.linalg")
    a = np.array([[0.0, 1.0, 2.0], [0.0, 3.0, 1.0], [0.0, -3.0, 5.0]])
    lu, piv = ops.lu_factor(fw.T(a, "float32"))
    want_lu, want_piv = scipy_linalg.lu_factor(a)
    np.testing.assert_array_equal(N(piv), want_piv)
    np.testing.assert_allclose(N(lu), want_lu, atol=1e-6)


def test_lu_factor_errors(fw):
    with pytest.raises(ValueError, match="ops.lu_factor: expected square matrices"):
        ops.lu_factor(fw.T(np.ones((2, 3), "float32")))


@pytest.mark.parametrize("src, dst", [("int32", "float32"), ("float32", "int16"),
                                      ("int32", "uint8"), ("int16", "int32"),
                                      ("uint8", "float32"), ("float32", "float32")])
def test_view(fw, src, dst):
    x = np.arange(-8, 8).reshape(2, 8).astype(src)
    got = ops.view(fw.T(x), dst)
    want = x.view(dst)
    assert N(got).shape == want.shape and N(got).dtype == want.dtype
    np.testing.assert_array_equal(N(got).view(np.uint8), want.view(np.uint8))


def test_view_errors(fw):
    with pytest.raises(ValueError, match="ops.view: viewing int16 as int32 changes the item size"):
        ops.view(fw.T(np.ones((3,), "int16")), "int32")
    with pytest.raises(ValueError, match="ops.view: viewing int32 as int16"):
        ops.view(fw.T(np.array(3, "int32")), "int16")


def test_vectorize_elementwise_and_keras_example(fw):
    vfunc = ops.vectorize(lambda a, b: a + b)
    np.testing.assert_array_equal(N(vfunc(fw.T([1, 2, 3, 4]), 2)), [3, 4, 5, 6])
    calls = []

    def clipped(a, lo, hi=1.0):
        calls.append(tuple(a.shape))
        return ops.where(a < lo, lo, ops.where(a > hi, hi, a))

    v = ops.vectorize(clipped, excluded={1, "hi"})
    x = rng.standard_normal((3, 4)).astype("float32")
    np.testing.assert_allclose(N(v(fw.T(x), -0.5, hi=0.5)), np.clip(x, -0.5, 0.5))
    assert all(c == () for c in calls), "pyfunc sees 0-d items without a signature"


def test_vectorize_signature_broadcasts(fw):
    mv = ops.vectorize(lambda m, v: ops.matmul(m, v), signature="(m,n),(n)->(m)")
    m = rng.standard_normal((2, 1, 3, 4)).astype("float32")
    v = rng.standard_normal((5, 4)).astype("float32")
    got = mv(fw.T(m), fw.T(v))
    assert tuple(got.shape) == (2, 5, 3)
    np.testing.assert_allclose(N(got), np.einsum("abmn,bn->abm", np.broadcast_to(m, (2, 5, 3, 4)), v),
                               rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="ops.vectorize: core dimension 'n' is 4"):
        mv(fw.T(m), fw.T(np.ones((3,), "float32")))
    with pytest.raises(ValueError, match="ops.vectorize: expected a signature"):
        ops.vectorize(lambda a: a, signature="(m)->")


def test_vectorized_map_nested(fw):
    a = rng.standard_normal((4, 3)).astype("float32")
    b = rng.standard_normal((4,)).astype("float32")
    out = ops.vectorized_map(lambda e: {"s": ops.sum(e["a"]) * e["b"], "a": e["a"] * 2},
                             {"a": fw.T(a), "b": fw.T(b)})
    np.testing.assert_allclose(N(out["s"]), a.sum(1) * b, rtol=1e-5)
    np.testing.assert_allclose(N(out["a"]), a * 2)


def test_vectorized_map_under_jit():
    jax = pytest.importorskip("jax")
    x = rng.standard_normal((6, 3)).astype("float32")
    f = jax.jit(lambda v: ops.vectorized_map(lambda r: ops.softmax(r), v))
    got = np.asarray(f(jax.numpy.asarray(x)))
    want = np.exp(x) / np.exp(x).sum(1, keepdims=True)
    np.testing.assert_allclose(got, want, rtol=1e-5)


def test_keras_submodule_aliases(fw):
    """keras.ops.numpy.get_item / slogdet / vectorize and keras.ops.linalg.jvp are the
    top-level ops."""
    from unikeras import ops

    assert ops.numpy.get_item is ops.get_item and ops.numpy.slogdet is ops.slogdet
    assert ops.numpy.vectorize is ops.vectorize and ops.linalg.jvp is ops.jvp
    a = np.array([[2.0, 1.0], [1.0, 3.0]], "float32")
    sign, logdet = ops.numpy.slogdet(fw.T(a))
    np.testing.assert_allclose(float(xp.to_numpy(sign)) * np.exp(float(xp.to_numpy(logdet))), 5.0,
                               rtol=1e-5)
    np.testing.assert_array_equal(xp.to_numpy(ops.numpy.get_item(fw.T(a), 1)), a[1])
