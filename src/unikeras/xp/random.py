"""Seeded random numbers on every framework (Keras' ``keras.random``).

Every function is stateless given a seed: the same seed gives the same numbers every
run on one framework. ``seed`` may be an int, a ``SeedGenerator`` (whose state advances
on each draw, recorded like any variable assignment) or a framework int array of shape
(2,). ``seed=None`` draws a fresh seed from NumPy's global generator (eager use only).

The framework is the seed generator's, else ``framework=``, else the default one.
"""

from __future__ import annotations

import numpy as np

from ._registry import SHIMMED, default_framework, framework_of, is_imported, shim
from .dtypes import floatx, standardize_dtype

__all__ = [
    "normal",
    "uniform",
    "truncated_normal",
    "randint",
    "bernoulli",
    "dropout",
    "categorical",
    "shuffle",
    "gamma",
    "beta",
    "binomial",
    "draw_seed",
    "host_rng",
    "set_random_seed",
]

# The host generator unseeded initializers draw from (reseeded by set_random_seed).
_host_rng = [np.random.default_rng()]


def host_rng(seed=None):
    """NumPy's generator for host-side draws (initializers): the global one for
    ``seed=None``, else a fresh one seeded with ``seed``."""
    if seed is None:
        return _host_rng[0]
    return np.random.default_rng(int(seed))


def set_random_seed(seed: int) -> None:
    """Keras' ``keras.utils.set_random_seed``: seed Python's ``random``, NumPy's global
    generator, unikeras' host generator (initializers) and the global generator of every
    framework already imported (its ``utils`` shim's ``set_random_seed``; none is
    imported for this)."""
    import random as _pyrandom

    _pyrandom.seed(seed)
    np.random.seed(seed)
    _host_rng[0] = np.random.default_rng(seed)
    for fw in SHIMMED:
        if is_imported(fw):
            mod = shim(fw, "utils")
            if mod is not None:
                mod.set_random_seed(seed)


def draw_seed(seed, framework: str):
    """Turn ``seed`` into the (2,) seed-pair a framework's stateless RNG takes."""
    if seed is None:
        return tuple(int(v) for v in np.random.randint(0, 2**31 - 1, size=2))
    if isinstance(seed, (int, np.integer)):
        return (int(seed), 0)
    nxt = getattr(seed, "next", None)
    if nxt is not None:
        return nxt(framework)
    if isinstance(seed, (tuple, list)) and len(seed) == 2:
        return tuple(int(v) for v in seed)
    fw = framework_of(seed)
    if fw is not None:
        return seed
    raise ValueError(
        f"seed must be an int, a SeedGenerator, None or a (2,) int array; received {seed!r}"
    )


def _resolve(seed, framework):
    if framework is None:
        # A generator placed on a framework draws there; an unplaced one (host state)
        # draws on the framework of the scope (the call in progress), else the default.
        framework = getattr(seed, "framework", None)
        if framework is None or framework == "numpy":
            framework = default_framework()
    return framework, shim(framework, "xp")


def _generic(mod_name, framework, *args):
    mod = shim(framework, "xp")
    if mod is not None:
        return getattr(mod, mod_name)(*args)
    from . import asarray, shim as _shim

    np_mod = _shim("numpy", "xp")
    seed = args[-1]
    args = args[:-1] + (np.asarray(seed) if framework_of(seed) is not None else seed,)
    return asarray(getattr(np_mod, mod_name)(*args), framework=framework)


def normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None, framework=None):
    framework, _ = _resolve(seed, framework)
    dt = standardize_dtype(dtype or floatx())
    out = _generic("random_normal", framework, tuple(shape), dt, draw_seed(seed, framework))
    if stddev != 1.0:
        out = out * stddev
    if mean != 0.0:
        out = out + mean
    return out


def uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None, framework=None):
    framework, _ = _resolve(seed, framework)
    dt = standardize_dtype(dtype or floatx())
    if dt not in ("bfloat16", "float16", "float32", "float64"):
        raise ValueError(f"uniform: dtype must be a float dtype; received {dt!r} (use randint)")
    out = _generic("random_uniform", framework, tuple(shape), dt, draw_seed(seed, framework))
    if (minval, maxval) != (0.0, 1.0):
        out = out * (maxval - minval) + minval
    return out


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None, framework=None):
    """Normal values redrawn beyond two standard deviations (Keras semantics)."""
    framework, _ = _resolve(seed, framework)
    dt = standardize_dtype(dtype or floatx())
    out = _generic("random_truncated_normal", framework, tuple(shape), dt, draw_seed(seed, framework))
    if stddev != 1.0:
        out = out * stddev
    if mean != 0.0:
        out = out + mean
    return out


def randint(shape, minval, maxval, dtype="int32", seed=None, framework=None):
    framework, _ = _resolve(seed, framework)
    dt = standardize_dtype(dtype)
    return _generic("random_randint", framework, tuple(shape), int(minval), int(maxval), dt,
                    draw_seed(seed, framework))


def bernoulli(shape, p=0.5, dtype="bool", seed=None, framework=None):
    """Samples that are True (1) with probability ``p``."""
    framework, _ = _resolve(seed, framework)
    u = uniform(shape, seed=seed, framework=framework)
    keep = u < p
    if standardize_dtype(dtype) == "bool":
        return keep
    from . import namespace

    xp = namespace(keep)
    return xp.astype(keep, getattr(xp, standardize_dtype(dtype)))


def dropout(x, rate, noise_shape=None, seed=None):
    """Keras' ``random.dropout``: zero entries with probability ``rate`` and scale the
    rest by 1/(1-rate)."""
    from . import namespace

    if not 0.0 <= rate < 1.0:
        raise ValueError(f"dropout: rate must be in [0, 1); received {rate!r}")
    if rate == 0.0:
        return x
    xp = namespace(x)
    fw = framework_of(x)
    shape = tuple(x.shape) if noise_shape is None else tuple(
        d if d is not None else s for d, s in zip(noise_shape, x.shape)
    )
    keep = uniform(shape, dtype=standardize_dtype(x.dtype), seed=seed, framework=fw) >= rate
    return xp.where(keep, x / (1.0 - rate), xp.zeros_like(x))


def categorical(logits, num_samples, dtype="int32", seed=None):
    """Draw ``num_samples`` class indices per row of 2D ``logits``."""
    fw = framework_of(logits)
    if len(logits.shape) != 2:
        raise ValueError(f"categorical: logits must be 2D (batch, classes); received shape {tuple(logits.shape)}")
    return _generic("random_categorical", fw, logits, int(num_samples), standardize_dtype(dtype),
                    draw_seed(seed, fw))


def shuffle(x, axis=0, seed=None):
    """``x`` with its entries along ``axis`` permuted."""
    from . import namespace

    fw = framework_of(x)
    xp = namespace(x)
    perm = _generic("random_permutation", fw, int(x.shape[axis]), draw_seed(seed, fw))
    return xp.take(x, perm, axis=axis)


def _alpha_array(alpha, shape, dt, framework):
    """``alpha`` as a Python float, or an array on ``framework`` broadcast to ``shape``."""
    if isinstance(alpha, (int, float, np.integer, np.floating)):
        return float(alpha)
    from . import asarray, namespace

    if framework_of(alpha) != framework or framework not in SHIMMED:
        alpha = asarray(np.asarray(alpha if framework_of(alpha) is None
                                   else _to_host(alpha), dtype=np.float64), framework=framework)
    xp = namespace(alpha)
    return xp.broadcast_to(xp.astype(alpha, getattr(xp, dt)), tuple(shape))


def _to_host(x):
    from . import to_numpy

    return to_numpy(x)


def _float_setup(name, dtype, seed, framework):
    """(framework, dtype name, dtype computed in) of a float draw."""
    framework, _ = _resolve(seed, framework)
    dt = standardize_dtype(dtype or floatx())
    if dt not in ("bfloat16", "float16", "float32", "float64"):
        raise ValueError(f"{name}: dtype must be a float dtype; received {dt!r}")
    return framework, dt, (dt if dt in ("float32", "float64") else "float32")


def gamma(shape, alpha, dtype=None, seed=None, framework=None):
    """Keras' ``random.gamma``: samples of the Gamma distribution of concentration
    ``alpha`` (a number or an array broadcastable to ``shape``) and scale 1."""
    framework, dt, calc = _float_setup("gamma", dtype, seed, framework)
    shape = tuple(shape)
    a = _alpha_array(alpha, shape, calc, framework)
    if framework not in SHIMMED:
        from . import asarray

        np_mod = shim("numpy", "xp")
        host = np.asarray(a) if isinstance(a, float) else _to_host(a)
        s = draw_seed(seed, framework)
        s = _to_host(s) if framework_of(s) is not None else s
        return asarray(np_mod.random_gamma(shape, host, dt, s), framework=framework)
    return shim(framework, "xp").random_gamma(shape, a, dt, draw_seed(seed, framework))


def beta(shape, alpha, beta, dtype=None, seed=None, framework=None):
    """Keras' ``random.beta``: samples of the Beta(``alpha``, ``beta``) distribution
    (numbers or arrays broadcastable to ``shape``), drawn as ``X / (X + Y)`` of two
    Gamma samples taken in one draw."""
    framework, dt, calc = _float_setup("beta", dtype, seed, framework)
    shape = tuple(shape)
    both = (2,) + shape
    scalars = all(isinstance(v, (int, float, np.integer, np.floating)) for v in (alpha, beta))
    static = all(isinstance(d, (int, np.integer)) for d in shape)
    if scalars and static:
        conc = np.stack([np.full(shape, float(alpha)), np.full(shape, float(beta))])
        from . import asarray

        conc = asarray(conc.astype(calc), framework=framework) if framework in SHIMMED else conc
    elif scalars:  # sizes known only at run time (a tf.data batch)
        from . import namespace_of_framework

        xp = namespace_of_framework(framework)
        conc = xp.stack([xp.full(shape, float(v), dtype=getattr(xp, calc)) for v in (alpha, beta)])
    else:
        from . import namespace

        a = _alpha_array(alpha, shape, calc, framework)
        b = _alpha_array(beta, shape, calc, framework)
        like = a if not isinstance(a, float) else b
        xp = namespace(like)
        full = lambda v: xp.full(shape, v, dtype=like.dtype) if isinstance(v, float) else v  # noqa: E731
        conc = xp.stack([full(a), full(b)])
    g = gamma(both, conc, dtype=calc, seed=seed, framework=framework)
    out = g[0, ...] / (g[0, ...] + g[1, ...])
    if calc != dt:
        from . import namespace

        xp = namespace(out)
        out = xp.astype(out, getattr(xp, dt))
    return out


def binomial(shape, counts, probabilities, dtype=None, seed=None, framework=None):
    """Keras' ``random.binomial``: the number of successes in ``counts`` trials of
    success probability ``probabilities`` (numbers or arrays broadcastable to
    ``shape``), as floats of ``dtype``."""
    framework, dt, calc = _float_setup("binomial", dtype, seed, framework)
    shape = tuple(shape)
    n = _alpha_array(counts, shape, calc, framework)
    p = _alpha_array(probabilities, shape, calc, framework)
    s = draw_seed(seed, framework)
    if framework not in SHIMMED:
        from . import asarray

        host = [np.asarray(a) if isinstance(a, float) else _to_host(a) for a in (n, p)]
        s = _to_host(s) if framework_of(s) is not None else s
        return asarray(shim("numpy", "xp").random_binomial(shape, *host, dt, s),
                       framework=framework)
    return shim(framework, "xp").random_binomial(shape, n, p, dt, s)
