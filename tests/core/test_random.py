"""Seeded random numbers: the same seed gives the same numbers on one framework."""

import numpy as np
import pytest

from unikeras import xp
from unikeras.state import SeedGenerator
from unikeras.xp import random


@pytest.mark.parametrize("fn,kwargs", [
    (random.normal, {}), (random.uniform, {}), (random.truncated_normal, {}),
    (random.randint, {"minval": 0, "maxval": 10}),
])
def test_same_seed_same_numbers(any_framework, fn, kwargs):
    a = fn((50,), seed=7, framework=any_framework, **kwargs)
    b = fn((50,), seed=7, framework=any_framework, **kwargs)
    c = fn((50,), seed=8, framework=any_framework, **kwargs)
    assert xp.framework_of(a) == any_framework
    np.testing.assert_array_equal(xp.to_numpy(a), xp.to_numpy(b))
    assert not np.array_equal(xp.to_numpy(a), xp.to_numpy(c))


def test_distributions_have_the_right_moments(any_framework):
    n = xp.to_numpy(random.normal((20000,), mean=2.0, stddev=3.0, seed=1, framework=any_framework))
    assert abs(n.mean() - 2.0) < 0.1 and abs(n.std() - 3.0) < 0.1
    u = xp.to_numpy(random.uniform((20000,), minval=-1, maxval=3, seed=1, framework=any_framework))
    assert u.min() >= -1 and u.max() < 3 and abs(u.mean() - 1.0) < 0.05
    t = xp.to_numpy(random.truncated_normal((20000,), seed=1, framework=any_framework))
    assert np.abs(t).max() <= 2.0 + 1e-6
    r = xp.to_numpy(random.randint((20000,), 3, 7, seed=1, framework=any_framework))
    assert set(np.unique(r)) == {3, 4, 5, 6}


def test_seed_generator_advances_and_is_reproducible(any_framework):
    g1, g2 = SeedGenerator(3), SeedGenerator(3)
    a1 = xp.to_numpy(random.normal((5,), seed=g1, framework=any_framework))
    a2 = xp.to_numpy(random.normal((5,), seed=g1, framework=any_framework))
    b1 = xp.to_numpy(random.normal((5,), seed=g2, framework=any_framework))
    assert not np.array_equal(a1, a2)
    np.testing.assert_array_equal(a1, b1)


def test_dropout_mask_rate_and_scaling(any_framework, to_fw):
    x = to_fw(np.ones((100, 100), "float32"), any_framework)
    y = xp.to_numpy(random.dropout(x, 0.3, seed=SeedGenerator(1)))
    assert abs((y == 0).mean() - 0.3) < 0.03
    np.testing.assert_allclose(y[y != 0], 1 / 0.7, rtol=1e-6)


def test_categorical_and_shuffle(any_framework, to_fw):
    logits = to_fw(np.log(np.array([[0.0001, 0.9998, 0.0001]], "float32")), any_framework)
    s = xp.to_numpy(random.categorical(logits, 20, seed=2))
    assert s.shape == (1, 20) and (s == 1).mean() > 0.9
    x = to_fw(np.arange(10), any_framework)
    sh = np.sort(xp.to_numpy(random.shuffle(x, seed=3)))
    np.testing.assert_array_equal(sh, np.arange(10))


def test_bad_seed_is_refused():
    with pytest.raises(ValueError, match="seed"):
        random.normal((2,), seed="abc", framework="numpy")
    with pytest.raises(ValueError, match="seed must be an int"):
        SeedGenerator("x")


def _native_draw(framework):
    """A draw from the framework's own global generator, as a user would make it."""
    if framework == "torch":
        import torch

        return torch.rand(4).numpy()
    if framework == "tensorflow":
        import tensorflow as tf

        return tf.random.uniform((4,)).numpy()
    import jax  # jax has no global generator; Keras does not seed it either

    return np.asarray(jax.random.uniform(jax.random.key(0), (4,)))


def test_set_random_seed_reseeds_python_numpy_initializers_and_frameworks(framework):
    import random

    from unikeras import initializers, utils

    def draws():
        return (random.random(), np.random.rand(3), initializers.GlorotUniform()((3, 2)),
                _native_draw(framework))

    _native_draw(framework)  # the user's framework is imported before seeding
    utils.set_random_seed(123)
    first = draws()
    utils.set_random_seed(123)
    again = draws()
    utils.set_random_seed(124)
    other = draws()
    for a, b in zip(first, again):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    assert first[0] != other[0] and not np.array_equal(first[2], other[2])
    if framework != "jax":
        assert not np.array_equal(first[3], other[3])


def test_gamma_and_beta_moments_and_reproducibility(any_framework, to_fw):
    # Gamma(a, 1): mean a, variance a. Beta(a, b): mean a/(a+b), var ab/((a+b)^2(a+b+1)).
    # One gamma shape throughout, (2, n) (a beta of shape (n,) draws that): jax compiles
    # its gamma sampler once per shape, ~10 s on a loaded CPU.
    n = 10000
    for a in (0.3, 2.5):
        g = xp.to_numpy(random.gamma((2, n), a, seed=5, framework=any_framework))
        assert g.min() >= 0 and abs(g.mean() - a) < 0.05 * max(a, 1)
        assert abs(g.var() - a) < 0.15 * max(a, 1)
    g1 = random.gamma((2, n), 1.5, seed=SeedGenerator(2), framework=any_framework)
    g2 = random.gamma((2, n), 1.5, seed=SeedGenerator(2), framework=any_framework)
    assert xp.framework_of(g1) == any_framework
    np.testing.assert_array_equal(xp.to_numpy(g1), xp.to_numpy(g2))
    for a, b in ((0.2, 0.2), (2.0, 5.0)):
        s = xp.to_numpy(random.beta((n,), a, b, seed=9, framework=any_framework))
        assert s.min() >= 0 and s.max() <= 1
        mean, var = a / (a + b), a * b / ((a + b) ** 2 * (a + b + 1))
        assert abs(s.mean() - mean) < 0.012 and abs(s.var() - var) < 0.012
    # concentration as a framework array, broadcast against the shape (Keras' CutMix
    # draws its alpha as a tensor): the first half 0.5, the second 4.0
    alpha = to_fw(np.repeat(np.asarray([0.5, 4.0], "float32"), n // 2), any_framework)
    s = xp.to_numpy(random.beta((n,), alpha, alpha, seed=3, framework=any_framework))
    assert abs(s[: n // 2].var() - 0.125) < 0.012 and abs(s[n // 2:].var() - 1 / 36) < 0.006
    g = xp.to_numpy(random.gamma((2, n), alpha, seed=3, framework=any_framework))
    np.testing.assert_allclose([g[:, : n // 2].mean(), g[:, n // 2:].mean()], [0.5, 4.0],
                               rtol=0.06)


def test_binomial_moments_and_reproducibility(any_framework, to_fw):
    # Binomial(n, p): mean n p, variance n p (1 - p); integer values in [0, n]
    for n, p in ((10, 0.3), (3, 0.9)):
        s = xp.to_numpy(random.binomial((40000,), n, p, seed=4, framework=any_framework))
        assert s.dtype == np.float32
        np.testing.assert_array_equal(s, np.round(s))
        assert s.min() >= 0 and s.max() <= n
        assert abs(s.mean() - n * p) < 0.03 * n and abs(s.var() - n * p * (1 - p)) < 0.05 * n
    a = random.binomial((6,), 5.0, 0.5, seed=SeedGenerator(1), framework=any_framework)
    b = random.binomial((6,), 5.0, 0.5, seed=SeedGenerator(1), framework=any_framework)
    assert xp.framework_of(a) == any_framework
    np.testing.assert_array_equal(xp.to_numpy(a), xp.to_numpy(b))
    # counts and probabilities as framework arrays, broadcast against the shape
    counts = to_fw(np.asarray([2.0, 20.0], "float32"), any_framework)
    probs = to_fw(np.asarray([0.5, 0.25], "float32"), any_framework)
    s = xp.to_numpy(random.binomial((20000, 2), counts, probs, seed=8,
                                    framework=any_framework))
    assert s[:, 0].max() <= 2
    np.testing.assert_allclose(s.mean(0), [1.0, 5.0], rtol=0.03)
