"""Cross-backend property-test harness.

Everything a hypothesis test needs to check that a unikeras function computes the
same thing on every installed framework (and on ``array_api_strict``, which runs the
generic Array API code paths with nothing but the standard):

Strategies
    ``shapes(min_rank, max_rank, min_side, max_side)``, ``float_dtypes(half=False)``,
    ``finite_floats(dtype, max_magnitude)``, ``arrays(dtype, shape, max_magnitude)`` and
    ``float_arrays(shapes=..., dtypes=...)`` (drawn shape and dtype together).

Frameworks
    ``frameworks()``: the installed and usable among numpy, jax, torch, tensorflow,
    array_api_strict. ``differentiable_frameworks()``: jax, torch, tensorflow.
    ``unusable_frameworks()``: {name: reason} for those left out (only frameworks that
    are not installed: an installed one that fails is a failure, never a skip).

Running
    ``run_everywhere(fn, *numpy_args, frameworks=None, **kwargs)`` -> {fw: numpy result}
    ``assert_all_close(results, reference, dtype)``: dtype-aware tolerances, errors name
    the framework that disagreed and the max abs/rel error.

Gradients
    ``grad_everywhere(fn, *numpy_args, argnums=0)`` -> {fw: numpy gradient(s)} of
    ``sum(fn(...))`` on jax (jax.grad), torch (autograd), tensorflow (GradientTape);
    ``finite_difference_grad(fn, *numpy_args, argnums=0)``: the float64 central-difference
    reference computed with NumPy arrays.

This file lives outside ``src/`` and may import frameworks freely.
"""

from __future__ import annotations

import functools
import importlib.util
import os
from collections.abc import Callable, Mapping, Sequence

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402

from unikeras import xp as uxp  # noqa: E402

__all__ = [
    "ALL_FRAMEWORKS",
    "DIFFERENTIABLE",
    "shapes",
    "float_dtypes",
    "finite_floats",
    "arrays",
    "float_arrays",
    "frameworks",
    "differentiable_frameworks",
    "unusable_frameworks",
    "supports_dtype",
    "computes_in",
    "to_framework",
    "map_arrays",
    "assert_covered",
    "run_everywhere",
    "tolerances",
    "assert_close",
    "assert_all_close",
    "grad_everywhere",
    "finite_difference_grad",
    "np_dtype",
]

ALL_FRAMEWORKS = ("numpy", "jax", "torch", "tensorflow", "array_api_strict")
DIFFERENTIABLE = ("jax", "torch", "tensorflow")


# --------------------------------------------------------------------------- dtypes
def np_dtype(name) -> np.dtype:
    """NumPy dtype for a Keras dtype name (bfloat16 through ml_dtypes)."""
    name = uxp.standardize_dtype(name)
    if name == "bfloat16":
        import ml_dtypes

        return np.dtype(ml_dtypes.bfloat16)
    return np.dtype(name)


# --------------------------------------------------------------------------- strategies
def shapes(min_rank: int = 1, max_rank: int = 4, min_side: int = 1, max_side: int = 5):
    """Array shapes with ``min_rank..max_rank`` dimensions of ``min_side..max_side``."""
    return hnp.array_shapes(min_dims=min_rank, max_dims=max_rank, min_side=min_side,
                            max_side=max_side)


def float_dtypes(half: bool = False, bfloat16: bool | None = None):
    """"float32" / "float64" (and "float16", "bfloat16" with ``half=True``)."""
    names = ["float32", "float64"]
    if half:
        names.append("float16")
    if bfloat16 if bfloat16 is not None else half:
        names.append("bfloat16")
    return st.sampled_from(names)


_HALF_MAX = {"float16": 6e4, "bfloat16": 3e38}


def finite_floats(dtype="float32", max_magnitude: float = 10.0, min_value=None, max_value=None):
    """Finite floats representable in ``dtype`` within ``[-max_magnitude, max_magnitude]``
    (or ``[min_value, max_value]``)."""
    dtype = uxp.standardize_dtype(dtype)
    lo = -max_magnitude if min_value is None else min_value
    hi = max_magnitude if max_value is None else max_value
    width = {"float64": 64, "float32": 32}.get(dtype, 16 if dtype == "float16" else 32)
    return st.floats(min_value=lo, max_value=hi, allow_nan=False, allow_infinity=False,
                     allow_subnormal=False, width=width)


def arrays(dtype="float32", shape=(3,), max_magnitude: float = 10.0, min_value=None,
           max_value=None, unique: bool = False):
    """NumPy arrays of ``dtype`` and ``shape`` (a tuple or a shape strategy) with finite
    values of bounded magnitude. float16/bfloat16 values are drawn in float32 and rounded."""
    dtype = uxp.standardize_dtype(dtype)
    draw_dtype = dtype if dtype in ("float32", "float64") else "float32"
    if dtype.startswith(("int", "uint")):
        lo = int(-max_magnitude if min_value is None else min_value)
        hi = int(max_magnitude if max_value is None else max_value)
        return hnp.arrays(np.dtype(dtype), shape, elements=st.integers(lo, hi), unique=unique)
    if dtype == "bool":
        return hnp.arrays(np.bool_, shape)
    elems = finite_floats(draw_dtype, max_magnitude, min_value, max_value)
    base = hnp.arrays(np.dtype(draw_dtype), shape, elements=elems, unique=unique)
    if draw_dtype == dtype:
        return base
    return base.map(lambda a: a.astype(np_dtype(dtype)))


@st.composite
def float_arrays(draw, shapes=shapes(), dtypes=float_dtypes(), max_magnitude: float = 10.0,
                 min_value=None, max_value=None):
    """A float array with drawn shape and dtype."""
    shape = draw(shapes) if not isinstance(shapes, tuple) else shapes
    dtype = draw(dtypes) if not isinstance(dtypes, str) else dtypes
    return draw(arrays(dtype, shape, max_magnitude, min_value, max_value))


# --------------------------------------------------------------------------- frameworks
@functools.lru_cache(maxsize=None)
def _missing(fw: str) -> str | None:
    """None if ``fw`` is installed, else the reason it is left out. An installed framework
    is always used: one whose unikeras namespace or fast path fails to import makes the
    tests fail rather than disappear from them."""
    if fw == "numpy" or importlib.util.find_spec(fw) is not None:
        return None
    return f"{fw} is not installed"


def frameworks(include=ALL_FRAMEWORKS) -> list[str]:
    """The installed frameworks among ``include``."""
    return [f for f in include if _missing(f) is None]


def differentiable_frameworks() -> list[str]:
    return frameworks(DIFFERENTIABLE)


def unusable_frameworks(include=ALL_FRAMEWORKS) -> dict[str, str]:
    """{framework: reason} for those among ``include`` that are not installed."""
    return {f: _missing(f) for f in include if _missing(f) is not None}


def supports_dtype(fw: str, dtype) -> bool:
    """False where a framework has no (usable) support for a dtype: array_api_strict has
    no float16/bfloat16; NumPy's bfloat16 (ml_dtypes) lacks most array-API functions."""
    name = uxp.standardize_dtype(dtype)
    if fw == "array_api_strict" and name in ("float16", "bfloat16"):
        return False
    if fw == "numpy" and name == "bfloat16":
        return False
    return True


def computes_in(fw: str, dtype) -> str:
    """The dtype ``fw`` really computes in when asked for ``dtype`` (jax without x64
    mode computes float64 in float32)."""
    name = uxp.standardize_dtype(dtype)
    if fw == "jax" and name == "float64":
        import jax

        if not jax.config.jax_enable_x64:
            return "float32"
    return name


def to_framework(a, fw: str):
    """A NumPy array (or scalar) as an array of ``fw``; non-arrays pass through."""
    if not isinstance(a, (np.ndarray, np.generic)):
        return a
    if fw == "array_api_strict":
        import array_api_strict

        return array_api_strict.asarray(np.asarray(a))
    if fw == "numpy":
        return np.asarray(a)
    return uxp.asarray(np.asarray(a), framework=fw)


def map_arrays(obj, fn):
    """``fn`` applied to every NumPy array in ``obj`` (also inside lists, tuples and
    dicts); everything else is kept."""
    if isinstance(obj, np.ndarray):
        return fn(obj)
    if isinstance(obj, (list, tuple)):
        return type(obj)(map_arrays(o, fn) for o in obj)
    if isinstance(obj, Mapping):
        return {k: map_arrays(v, fn) for k, v in obj.items()}
    return obj


def _to_numpy_nested(x):
    if isinstance(x, (tuple, list)):
        return type(x)(_to_numpy_nested(v) for v in x)
    if isinstance(x, Mapping):
        return {k: _to_numpy_nested(v) for k, v in x.items()}
    if x is None or isinstance(x, (bool, int, float, complex, str)):
        return x
    if type(x).__module__.partition(".")[0] == "array_api_strict":
        return np.asarray(x._array) if hasattr(x, "_array") else np.from_dlpack(x)
    out = uxp.to_numpy(x)
    return np.array(out, copy=True)


def _arg_dtypes(args) -> set[str]:
    out = set()
    for a in args:
        if isinstance(a, np.ndarray) and a.dtype.kind in "fV" or (
                isinstance(a, np.ndarray) and a.dtype.name == "bfloat16"):
            out.add(uxp.standardize_dtype(a.dtype))
    return out


def run_everywhere(fn: Callable, *numpy_args, frameworks: Sequence[str] | None = None,
                   skip_unsupported: bool = True, **kwargs) -> dict:
    """Run ``fn(*args, **kwargs)`` on each framework and return {fw: result as NumPy}.

    NumPy array arguments (positional and keyword) are converted to each framework;
    other arguments pass through. Results may be nested tuples/lists/dicts. With
    ``skip_unsupported`` a framework that has no support for an argument's dtype (see
    ``supports_dtype``) is left out. An exception is re-raised with a note naming the
    framework it happened on.
    """
    fws = list(frameworks) if frameworks is not None else globals()["frameworks"]()
    dts = _arg_dtypes(list(numpy_args) + list(kwargs.values()))
    results = {}
    for fw in fws:
        if skip_unsupported and not all(supports_dtype(fw, d) for d in dts):
            continue
        args = [to_framework(a, fw) for a in numpy_args]
        kw = {k: to_framework(v, fw) for k, v in kwargs.items()}
        try:
            out = fn(*args, **kw)
            results[fw] = _to_numpy_nested(out)
        except Exception as e:
            e.add_note(f"[harness] raised on framework {fw!r}")
            raise
    return results


# --------------------------------------------------------------------------- coverage
def assert_covered(names, cases, excluded, what: str, where: str):
    """Every name of a registry (public ops, layer classes) has a property case or a
    reasoned exclusion, and no case or exclusion names something that is gone."""
    names, cases, excluded = set(names), set(cases), set(excluded)
    missing = names - cases - excluded
    assert not missing, f"{what} with no property case in {where}: {sorted(missing)}"
    stale = (cases | excluded) - names
    assert not stale, f"cases in {where} for names that are not {what}: {sorted(stale)}"
    assert not cases & excluded, f"both a case and an exclusion: {sorted(cases & excluded)}"


# --------------------------------------------------------------------------- comparison
_TOLS = {
    # dtype: (rtol, atol); atol is scaled by max(1, max |reference|)
    "float64": (1e-9, 1e-11),
    "float32": (1e-5, 1e-6),
    "float16": (1e-2, 1e-3),
    "bfloat16": (5e-2, 1e-2),
}


def tolerances(dtype) -> tuple[float, float]:
    """(rtol, atol) for comparing results computed in ``dtype``."""
    try:
        name = uxp.standardize_dtype(dtype)
    except ValueError:
        name = "float64"
    return _TOLS.get(name, (0.0, 0.0))


def _leaves(x, path=""):
    if isinstance(x, (tuple, list)):
        for i, v in enumerate(x):
            yield from _leaves(v, f"{path}[{i}]")
    elif isinstance(x, Mapping):
        for k, v in x.items():
            yield from _leaves(v, f"{path}[{k!r}]")
    else:
        yield path, x


def assert_close(actual, reference, dtype="float32", rtol=None, atol=None, name="result",
                 check_dtype: bool = False):
    """Assert that (possibly nested) ``actual`` matches ``reference``."""
    r0, a0 = tolerances(dtype)
    act_leaves = list(_leaves(actual))
    ref_leaves = list(_leaves(reference))
    if len(act_leaves) != len(ref_leaves):
        raise AssertionError(f"{name}: structure differs: {len(act_leaves)} leaves, "
                             f"reference has {len(ref_leaves)}")
    for (path, a), (_, r) in zip(act_leaves, ref_leaves):
        a = np.asarray(a)
        r = np.asarray(r)
        where = f"{name}{path}"
        # A result computed in a narrower dtype than asked (jax without x64 mode gives
        # float32 for float64) is compared at that dtype's tolerance.
        r1, a1 = tolerances(a.dtype) if a.dtype.kind in "fV" else (0.0, 0.0)
        rtol_ = max(r0, r1) if rtol is None else rtol
        atol_ = max(a0, a1) if atol is None else atol
        if a.shape != r.shape:
            raise AssertionError(f"{where}: shape {a.shape} != reference shape {r.shape}")
        if check_dtype and uxp.standardize_dtype(a.dtype) != uxp.standardize_dtype(r.dtype):
            raise AssertionError(f"{where}: dtype {a.dtype} != reference dtype {r.dtype}")
        if a.dtype.kind in "biu" and r.dtype.kind in "biu":
            if not np.array_equal(a, r):
                bad = np.argwhere(a != r)
                raise AssertionError(f"{where}: {len(bad)} entries differ (first at "
                                     f"{tuple(bad[0])}: {a[tuple(bad[0])]} vs {r[tuple(bad[0])]})")
            continue
        a64 = a.astype(np.float64)
        r64 = r.astype(np.float64)
        nan_a, nan_r = np.isnan(a64), np.isnan(r64)
        if not np.array_equal(nan_a, nan_r):
            raise AssertionError(f"{where}: NaNs differ ({nan_a.sum()} vs reference "
                                 f"{nan_r.sum()})")
        fin = np.isfinite(r64) & ~nan_a
        inf_r = np.isinf(r64)
        if not np.array_equal(a64[inf_r], r64[inf_r]):
            raise AssertionError(f"{where}: infinities differ from the reference")
        if not fin.any():
            continue
        scale = max(1.0, float(np.max(np.abs(r64[fin]))))
        err = np.abs(a64[fin] - r64[fin])
        allowed = atol_ * scale + rtol_ * np.abs(r64[fin])
        if np.any(~(err <= allowed)):
            i = int(np.argmax(err - allowed))
            rel = err / np.maximum(np.abs(r64[fin]), np.finfo(np.float64).tiny)
            raise AssertionError(
                f"{where}: max abs error {err.max():.3g}, max rel error {rel.max():.3g} "
                f"(rtol={rtol_:g}, atol={atol_:g}x{scale:.3g}, dtype {dtype}); worst: "
                f"{a64[fin][i]!r} vs reference {r64[fin][i]!r}; "
                f"{int(np.sum(~(err <= allowed)))} of {err.size} entries out of tolerance")


def assert_all_close(results: Mapping, reference, dtype="float32", rtol=None, atol=None,
                     check_dtype: bool = False):
    """Assert every framework's result matches ``reference``; the error names the
    framework that disagreed and its max abs / rel error. ``results`` may also be a
    single value (then it is just compared)."""
    if not isinstance(results, Mapping) or not all(isinstance(k, str) for k in results):
        assert_close(results, reference, dtype, rtol, atol, check_dtype=check_dtype)
        return
    failures = []
    for fw, res in results.items():
        try:
            assert_close(res, reference, dtype, rtol, atol, name=f"[{fw}]",
                         check_dtype=check_dtype)
        except AssertionError as e:
            failures.append(f"framework {fw!r} disagrees with the reference: {e}")
    if failures:
        raise AssertionError("\n".join(failures))


# --------------------------------------------------------------------------- gradients
def _argnums(argnums):
    return (argnums,) if isinstance(argnums, int) else tuple(argnums)


def _sum_all(xp_sum, out):
    total = None
    for _, leaf in _leaves(out):
        if leaf is None:
            continue
        s = xp_sum(leaf)
        total = s if total is None else total + s
    return total


def _grad_jax(fn, args, nums, kwargs):
    import jax
    import jax.numpy as jnp

    jargs = [to_framework(a, "jax") for a in args]

    def f(*a):
        return _sum_all(jnp.sum, fn(*a, **kwargs))

    return jax.grad(f, argnums=nums)(*jargs)


def _grad_torch(fn, args, nums, kwargs):
    import torch

    targs = [to_framework(a, "torch") for a in args]
    for i in nums:
        targs[i] = targs[i].detach().clone().requires_grad_(True)
    total = _sum_all(torch.sum, fn(*targs, **kwargs))
    grads = torch.autograd.grad(total, [targs[i] for i in nums], allow_unused=True)
    return tuple(torch.zeros_like(targs[i]) if g is None else g for i, g in zip(nums, grads))


def _grad_tf(fn, args, nums, kwargs):
    import tensorflow as tf

    targs = [to_framework(a, "tensorflow") for a in args]
    with tf.GradientTape() as tape:
        for i in nums:
            tape.watch(targs[i])
        total = _sum_all(tf.reduce_sum, fn(*targs, **kwargs))
    grads = tape.gradient(total, [targs[i] for i in nums],
                          unconnected_gradients=tf.UnconnectedGradients.ZERO)
    # gathers (embeddings) give IndexedSlices: densify them for comparison
    return tuple(tf.convert_to_tensor(g) if isinstance(g, tf.IndexedSlices) else g
                 for g in grads)


_GRADS = {"jax": _grad_jax, "torch": _grad_torch, "tensorflow": _grad_tf}


def grad_everywhere(fn: Callable, *numpy_args, argnums=0, frameworks: Sequence[str] | None = None,
                    **kwargs) -> dict:
    """{fw: gradient of sum(fn(*args, **kwargs)) w.r.t. ``args[argnums]``} as NumPy, on
    each differentiable framework. With a tuple ``argnums`` each value is a tuple."""
    fws = list(frameworks) if frameworks is not None else differentiable_frameworks()
    nums = _argnums(argnums)
    out = {}
    for fw in fws:
        try:
            g = _GRADS[fw](fn, list(numpy_args), nums, kwargs)
        except Exception as e:
            e.add_note(f"[harness] gradient raised on framework {fw!r}")
            raise
        g = _to_numpy_nested(tuple(g))
        out[fw] = g[0] if isinstance(argnums, int) else g
    return out


def finite_difference_grad(fn: Callable, *numpy_args, argnums=0, eps: float = 1e-6,
                           **kwargs):
    """Central-difference gradient of sum(fn(...)) in float64, with NumPy arrays.

    Float arguments are cast to float64; ``fn`` runs on NumPy (unikeras' NumPy path, with
    NumPy as the default framework while it runs).
    Returns one gradient (int ``argnums``) or a tuple of them."""
    nums = _argnums(argnums)
    args = [np.asarray(a, dtype=np.float64) if isinstance(a, np.ndarray) and a.dtype.kind == "f"
            or (isinstance(a, np.ndarray) and a.dtype.name == "bfloat16") else a
            for a in numpy_args]

    def total(a):
        # NumPy data alone runs on the default framework (Keras' rule for ops): pin NumPy
        # here, or ops.<name>(float64 numpy) would run on jax in float32
        from unikeras.xp import _registry

        saved = list(_registry._default)
        uxp.set_default_framework("numpy")
        try:
            out = fn(*a, **kwargs)
        finally:
            uxp.set_default_framework(saved[0] if saved else None)
        return float(sum(np.sum(np.asarray(uxp.to_numpy(leaf), dtype=np.float64))
                         for _, leaf in _leaves(out) if leaf is not None))

    grads = []
    for i in nums:
        x = np.array(args[i], dtype=np.float64, copy=True)
        g = np.zeros_like(x)
        flat = x.reshape(-1)
        gflat = g.reshape(-1)
        for j in range(flat.size):
            h = eps * max(1.0, abs(flat[j]))
            orig = flat[j]
            flat[j] = orig + h
            a_plus = list(args)
            a_plus[i] = x.copy()
            fp = total(a_plus)
            flat[j] = orig - h
            a_minus = list(args)
            a_minus[i] = x.copy()
            fm = total(a_minus)
            flat[j] = orig
            gflat[j] = (fp - fm) / (2 * h)
        grads.append(g)
    return grads[0] if isinstance(argnums, int) else tuple(grads)
