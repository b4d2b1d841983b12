"""Harness-driven checks of unikeras' TensorFlow Array API namespace against NumPy."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given

from harness import arrays, assert_all_close, float_arrays, run_everywhere, shapes, unusable_frameworks

why = unusable_frameworks(("tensorflow",)).get("tensorflow")
pytestmark = pytest.mark.skipif(why is not None, reason=str(why))


def _ns(x):
    from unikeras.xp import namespace

    return namespace(x)


@given(x=float_arrays(shapes=shapes(1, 3, 1, 4), max_magnitude=10.0))
def test_elementwise(x):
    f = lambda a: (_ns(a).exp(a), _ns(a).tanh(a), _ns(a).abs(a), a * 2.0 - a / 3.0)  # noqa: E731
    ref = (np.exp(x), np.tanh(x), np.abs(x), x * 2.0 - x / 3.0)
    assert_all_close(run_everywhere(f, x, frameworks=["tensorflow"]), ref, x.dtype)


@given(x=float_arrays(shapes=shapes(2, 3, 1, 4), max_magnitude=10.0))
def test_reductions(x):
    f = lambda a: (_ns(a).sum(a, axis=0), _ns(a).max(a, axis=-1), _ns(a).mean(a, axis=(0, 1), keepdims=True))  # noqa: E731
    ref = (x.sum(0), x.max(-1), x.mean((0, 1), keepdims=True))
    assert_all_close(run_everywhere(f, x, frameworks=["tensorflow"]), ref, x.dtype, rtol=1e-4, atol=1e-5)


@given(a=arrays("float32", (3, 4)), b=arrays("float32", (4, 2)))
def test_matmul(a, b):
    assert_all_close(run_everywhere(lambda p, q: _ns(p).matmul(p, q), a, b, frameworks=["tensorflow"]),
                     a @ b, "float32", rtol=1e-4, atol=1e-4)


def test_promotion():
    # Through the namespace's binary functions: the raw ``+`` operator of tf.Tensor is
    # TF's own and refuses mixed dtypes (unikeras does not patch tf.Tensor).
    import array_api_strict  # noqa: F401

    a = np.ones(3, dtype="float32")
    b = np.ones(3, dtype="float64")

    def f(p, q):
        xp = _ns(p)
        return (xp.result_type(p.dtype, q.dtype) == xp.float64, xp.add(p, q), xp.multiply(q, p),
                xp.maximum(p, q), xp.pow(p, q))

    res = run_everywhere(f, a, b, frameworks=["tensorflow"])["tensorflow"]
    assert res[0] and all(r.dtype == np.float64 for r in res[1:])
