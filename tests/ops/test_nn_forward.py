"""ops.nn forwards to unikeras.nn_ops, with host data sent to the default framework."""

import numpy as np
import pytest

from unikeras import ops, xp

X = np.random.default_rng(0).standard_normal((2, 5)).astype("float32")

REFS = {
    "relu": lambda x: np.maximum(x, 0),
    "sigmoid": lambda x: 1 / (1 + np.exp(-x)),
    "softmax": lambda x: np.exp(x) / np.exp(x).sum(-1, keepdims=True),
    "log_softmax": lambda x: x - np.log(np.exp(x).sum(-1, keepdims=True)),
    "silu": lambda x: x / (1 + np.exp(-x)),
    "softplus": lambda x: np.log1p(np.exp(x)),
}


@pytest.mark.parametrize("name", sorted(REFS))
def test_nn_forward(fw, name):
    assert name in ops.nn.__all__
    fn = getattr(ops, name)
    assert fn is getattr(ops.nn, name)
    out = fn(fw.T(X))
    assert xp.framework_of(out) == fw.name
    np.testing.assert_allclose(xp.to_numpy(out), REFS[name](X), rtol=1e-5, atol=1e-6)
    out = fn(X)  # NumPy data runs on the default framework
    assert xp.framework_of(out) == fw.name
