"""Cross-backend property tests for the normalization, activation, merging, EinsumDense
and Embedding layers.

Hypothesis draws the layer, its arguments and the input shape; the same layer with the
same weights runs through ``stateless_call`` on every usable framework (numpy, jax,
torch, tensorflow, array_api_strict) and all must agree with NumPy. Gradients with
respect to the inputs and the trainable weights agree between jax, torch and
tensorflow, and the input gradient matches float64 central differences on the NumPy
path. Input values come from a drawn seed (normal draws): kinks of ReLU-like layers and
max ties have probability 0.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from harness import (assert_all_close, differentiable_frameworks, finite_difference_grad,
                     frameworks, grad_everywhere, run_everywhere)

from unikeras import layers
from unikeras.xp import framework_of, set_default_framework

TOL = {"rtol": 1e-4, "atol": 1e-4}

SINGLE = ["BatchNormalization", "LayerNormalization", "GroupNormalization",
          "RMSNormalization", "UnitNormalization", "ReLU", "LeakyReLU", "ELU", "PReLU",
          "Softmax", "EinsumDense"]
MERGE = ["Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate",
         "Dot"]


@st.composite
def cases(draw, kinds):
    """(kind, constructor kwargs, input shapes, call kwargs, seed)."""
    kind = draw(st.sampled_from(kinds))
    rank = draw(st.integers(2, 4))
    shape = tuple(draw(st.integers(1, 4)) for _ in range(rank))
    shape = (draw(st.integers(2, 3)),) + shape[1:]
    kw, call_kw, shapes = {}, {}, [shape]
    if kind == "BatchNormalization":
        kw = {"axis": draw(st.sampled_from([-1, 1])), "momentum": 0.9,
              "center": draw(st.booleans())}
        call_kw = {"training": draw(st.booleans())}
    elif kind == "LayerNormalization":
        axes = sorted(draw(st.sets(st.integers(1, rank - 1), min_size=1)))
        kw = {"axis": axes if len(axes) > 1 else axes[0], "scale": draw(st.booleans())}
    elif kind == "GroupNormalization":
        c = shape[-1] * draw(st.integers(1, 2))
        shape = shape[:-1] + (c,)
        shapes = [shape]
        kw = {"groups": draw(st.sampled_from([g for g in (1, 2, 3, 4) if c % g == 0]))}
    elif kind in ("RMSNormalization", "UnitNormalization", "Softmax"):
        kw = {"axis": draw(st.sampled_from([-1, 1]))}
    elif kind == "ReLU":
        kw = {"max_value": draw(st.sampled_from([None, 0.5, 2.0])),
              "negative_slope": draw(st.sampled_from([0.0, 0.2])),
              "threshold": draw(st.sampled_from([0.0, 0.3]))}
    elif kind == "LeakyReLU":
        kw = {"negative_slope": draw(st.sampled_from([0.01, 0.3]))}
    elif kind == "ELU":
        kw = {"alpha": draw(st.sampled_from([0.5, 1.0]))}
    elif kind == "PReLU":
        kw = {"shared_axes": draw(st.sampled_from([None, [1]]))}
    elif kind == "EinsumDense":
        eq = draw(st.sampled_from(["...b,bc->...c", "ab...,bc->ac..."]))
        units = draw(st.integers(1, 3))
        out = (units,) if eq.startswith("...") else (units,) + shape[2:]
        kw = {"equation": eq, "output_shape": out, "bias_axes": "c",
              "activation": draw(st.sampled_from([None, "tanh"]))}
    elif kind in MERGE:
        n = 2 if kind in ("Subtract", "Dot") else draw(st.integers(2, 3))
        shapes = [shape] * n
        if kind == "Concatenate":
            kw = {"axis": draw(st.sampled_from([-1, 1]))}
            ax = kw["axis"] % rank
            shapes = [shape[:ax] + (draw(st.integers(1, 3)),) + shape[ax + 1:] for _ in range(n)]
        if kind == "Dot":
            kw = {"axes": draw(st.sampled_from([-1, 1])), "normalize": draw(st.booleans())}
    seed = draw(st.integers(0, 2**16))
    return kind, kw, shapes, call_kw, seed


def _setup(kind, kw, shapes, seed, dtype="float32"):
    layer = getattr(layers, kind)(**kw, dtype=dtype)
    layer.build(shapes if kind in MERGE else shapes[0])
    rng = np.random.default_rng(seed)
    weights = []
    for v in layer.trainable_weights:
        weights.append(rng.normal(size=v.shape).astype(dtype))
    ntv = []
    for v in layer.non_trainable_weights:
        # moving variance must stay positive
        ntv.append(rng.uniform(0.5, 1.5, size=v.shape).astype(dtype))
    xs = [rng.normal(size=s).astype(dtype) for s in shapes]
    return layer, xs, weights, ntv


def _fn(layer, n_inputs, n_weights, call_kw, merge):
    """fn(*inputs, *weights, *non_trainable) -> (output, new non-trainable values)."""
    def fn(*args):
        xs, ws, nts = args[:n_inputs], args[n_inputs:n_inputs + n_weights], args[n_inputs + n_weights:]
        numpy_run = framework_of(xs[0]) == "numpy"
        if numpy_run:
            set_default_framework("numpy")
        try:
            out, new_nts = layer.stateless_call(list(ws), list(nts),
                                                list(xs) if merge else xs[0], **call_kw)
        finally:
            if numpy_run:
                set_default_framework(None)
        return (out, tuple(new_nts)) if new_nts else out
    return fn


def _out_only(fn):
    def g(*args):
        out = fn(*args)
        return out[0] if isinstance(out, tuple) else out
    return g


@pytest.mark.skipif(len(frameworks()) < 2, reason="needs two usable frameworks")
@given(case=cases(SINGLE + MERGE))
def test_layers_agree_across_frameworks(case):
    kind, kw, shapes, call_kw, seed = case
    layer, xs, ws, nts = _setup(kind, kw, shapes, seed)
    results = run_everywhere(_fn(layer, len(xs), len(ws), call_kw, kind in MERGE),
                             *xs, *ws, *nts)
    # moving statistics (BatchNormalization in training) are compared too
    assert_all_close(results, results["numpy"], "float32", **TOL)


@pytest.mark.skipif(not differentiable_frameworks(), reason="no differentiable framework")
@given(case=cases(SINGLE + MERGE))
def test_gradients_agree_and_match_finite_differences(case):
    kind, kw, shapes, call_kw, seed = case
    layer, xs, ws, nts = _setup(kind, kw, shapes, seed)
    n_in = len(xs)
    fn = _out_only(_fn(layer, n_in, len(ws), call_kw, kind in MERGE))
    argnums = tuple(range(n_in + len(ws)))
    grads = grad_everywhere(fn, *xs, *ws, *nts, argnums=argnums)
    ref_fw = next(iter(grads))
    assert_all_close(grads, grads[ref_fw], "float32", **TOL)
    if sum(x.size for x in xs) <= 40:
        layer64, _, _, _ = _setup(kind, kw, shapes, seed, dtype="float64")
        fn64 = _out_only(_fn(layer64, n_in, len(ws), call_kw, kind in MERGE))
        args64 = [a.astype("float64") for a in xs + ws + nts]
        fd = finite_difference_grad(fn64, *args64, argnums=tuple(range(n_in)))
        assert_all_close({fw: tuple(g[:n_in]) for fw, g in grads.items()}, fd, "float32",
                         rtol=2e-3, atol=2e-3)


@pytest.mark.skipif(not differentiable_frameworks(), reason="no differentiable framework")
@given(vocab=st.integers(2, 6), dim=st.integers(1, 3),
       shape=st.tuples(st.integers(1, 3), st.integers(1, 4)), seed=st.integers(0, 2**16))
def test_embedding_agrees_and_scatters_gradients(vocab, dim, shape, seed):
    rng = np.random.default_rng(seed)
    layer = layers.Embedding(vocab, dim)
    layer.build()
    w = rng.normal(size=(vocab, dim)).astype("float32")
    ids = rng.integers(0, vocab, size=shape).astype("int64")

    def fn(table, ids):
        numpy_run = framework_of(table) == "numpy"
        if numpy_run:
            set_default_framework("numpy")
        try:
            return layer.stateless_call([table], [], ids)[0]
        finally:
            if numpy_run:
                set_default_framework(None)

    results = run_everywhere(fn, w, ids)
    assert_all_close(results, w[ids], "float32")
    grads = grad_everywhere(fn, w, ids, argnums=0)
    want = np.zeros_like(w)
    np.add.at(want, ids.reshape(-1), 1.0)
    assert_all_close(grads, want, "float32")
