"""Every public op of ``unikeras.ops`` against Keras 3 (invariant 6), generated from the
op registry: ``test_every_public_op_has_a_case`` fails when an op has neither a case in
``op_cases.OPS`` nor a reasoned entry in ``op_cases.EXCLUDED``, so a new op is covered by
default.

For each drawn case the op runs on every installed framework (numpy, jax, torch,
tensorflow; NumPy arguments converted to that framework, which is also the default
framework of the call) and must match Keras' own ``keras.ops`` (JAX backend, float64
arithmetic, in a separate process: see ``keras_oracle.py``). For the differentiable ones
the gradient of ``sum(op(...))`` on jax, torch and tensorflow must match float64 central
differences.
"""

from __future__ import annotations

import inspect

import numpy as np
import pytest
from hypothesis import given, settings

import op_cases
from harness import (_to_numpy_nested, assert_close, assert_covered, differentiable_frameworks,
                     finite_difference_grad, frameworks, grad_everywhere, map_arrays,
                     to_framework)
from keras_oracle import keras_reference

from unikeras import ops, xp

SHIMMED = [f for f in frameworks() if f != "array_api_strict"]

# A few drawn examples per op (hundreds of ops): a third of the profile's budget, at
# least 2; HYPOTHESIS_PROFILE=thorough scales it up.
EXAMPLES = max(2, settings.default.max_examples // 4)


def public_ops() -> list[str]:
    """The public ops, and those of ``ops.image`` as ``image.<name>`` (Keras keeps them
    in that submodule only)."""
    top = [n for n in dir(ops) if not n.startswith("_")
           and callable(getattr(ops, n)) and not inspect.ismodule(getattr(ops, n))
           and not inspect.isclass(getattr(ops, n))]
    return sorted(top + [f"image.{n}" for n in ops.image.__all__])


def test_every_public_op_has_a_case():
    assert_covered(public_ops(), op_cases.OPS, op_cases.EXCLUDED, "public ops", "op_cases.py")


def test_unikeras_has_every_keras_op():
    keras_names = set(keras_reference(("names",))["ops"]) | {
        f"image.{n}" for n in keras_reference(("names",))["image_ops"]}
    assert not keras_names - set(public_ops()), sorted(keras_names - set(public_ops()))


# --------------------------------------------------------------------------- helpers
def _is_complex_marker(obj):
    return isinstance(obj, tuple) and obj and isinstance(obj[0], str) and obj[0] == "__complex__"


def convert(obj, fw):
    """NumPy arrays (also inside lists/tuples/dicts) as arrays of ``fw``; a
    ``("__complex__", stacked)`` marker becomes a complex array."""
    if _is_complex_marker(obj):
        return ops.view_as_complex(to_framework(obj[1], fw))
    if isinstance(obj, (list, tuple)):
        return type(obj)(convert(o, fw) for o in obj)
    if isinstance(obj, dict):
        return {k: convert(v, fw) for k, v in obj.items()}
    return map_arrays(obj, lambda a: to_framework(a, fw))


def upcast(obj):
    """float32 arrays as float64 (Keras then computes the reference in float64)."""
    return map_arrays(obj, lambda a: a.astype(np.float64) if a.dtype == np.float32 else a)


def call(name, spec, args, kwargs):
    if spec.call is not None:
        return op_cases.CALLS[spec.call](ops, *args, **kwargs)
    fn = ops
    for part in name.split("."):
        fn = getattr(fn, part)
    return fn(*args, **kwargs)


def run_on(fw, name, spec, args, kwargs):
    xp.set_default_framework(fw)
    try:
        out = call(name, spec, convert(args, fw), convert(kwargs, fw))
        return _to_numpy_nested(out)
    except Exception as e:
        e.add_note(f"[every_op] ops.{name} raised on framework {fw!r}")
        raise
    finally:
        xp.set_default_framework(None)


def leaves(x):
    if isinstance(x, (list, tuple)):
        for v in x:
            yield from leaves(v)
    elif isinstance(x, dict):
        for k in sorted(x):
            yield from leaves(x[k])
    else:
        yield x


def compare(fw, name, got, want, spec):
    g, w = list(leaves(got)), list(leaves(want))
    assert len(g) == len(w), f"ops.{name} on {fw}: {len(g)} outputs, Keras gives {len(w)}"
    tol = spec.tol
    for i, (a, b) in enumerate(zip(g, w)):
        where = f"ops.{name} on {fw}, output {i}"
        if isinstance(b, str) or isinstance(a, str):
            assert a == b, f"{where}: {a!r}, Keras gives {b!r}"
            continue
        a, b = np.asarray(a), np.asarray(b)
        if not spec.values:
            assert a.shape == b.shape, f"{where}: shape {a.shape}, Keras gives {b.shape}"
            continue
        if a.dtype.kind == "c" or b.dtype.kind == "c":
            a, b = np.stack([a.real, a.imag], -1), np.stack([b.real, b.imag], -1)
        if a.dtype.kind in "biu" and b.dtype.kind in "biu":
            a, b = a.astype(np.int64), b.astype(np.int64)
        dtype = "float64" if a.dtype == np.float64 and not spec.upcast else "float32"
        assert_close(a, b, dtype, rtol=tol, atol=tol, name=where)


def reference(name, spec, args, kwargs):
    if spec.ref is not None:
        return spec.ref(*upcast(args), **kwargs)
    send = (upcast(args), upcast(kwargs)) if spec.upcast else (args, kwargs)
    return keras_reference(("op", name, spec.call, *send))


# --------------------------------------------------------------------------- the tests
@pytest.mark.parametrize("name", sorted(op_cases.OPS))
@settings(max_examples=EXAMPLES)
@given(data=__import__("hypothesis").strategies.data())
def test_op_matches_keras(name, data):
    spec = op_cases.OPS[name]
    args, kwargs = data.draw(op_cases.case_strategy(spec), label="args, kwargs")
    want = reference(name, spec, args, kwargs)
    for fw in SHIMMED:
        if spec.autodiff and fw not in differentiable_frameworks():
            continue
        compare(fw, name, run_on(fw, name, spec, args, kwargs), want, spec)


GRAD_OPS = sorted(n for n, s in op_cases.OPS.items() if s.grad)


@pytest.mark.parametrize("name", GRAD_OPS)
@settings(max_examples=max(1, EXAMPLES // 2))
@given(data=__import__("hypothesis").strategies.data())
def test_op_gradient_matches_finite_differences(name, data):
    spec = op_cases.OPS[name]
    args, kwargs = data.draw(op_cases.case_strategy(spec), label="args, kwargs")

    def fn(*a):
        fw = next((xp.framework_of(v) for v in a if not isinstance(v, (int, float, str, tuple))
                   and v is not None), "numpy")
        return call(name, spec, a, convert(kwargs, fw))

    grads = grad_everywhere(fn, *args, argnums=spec.grad, frameworks=differentiable_frameworks())
    fd = finite_difference_grad(fn, *args, argnums=spec.grad)
    for fw, g in grads.items():
        for i, (a, b) in enumerate(zip(g, fd)):
            assert_close(a, b, "float32", rtol=2e-3, atol=2e-3,
                         name=f"d ops.{name} / d arg {spec.grad[i]} on {fw}")
