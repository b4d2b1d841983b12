"""Property cases for every public op of ``unikeras.ops``, and the helpers the layer
cases share. Imported by the tests AND by the Keras reference process
(``keras_oracle.py``): NumPy and hypothesis only, no unikeras, no framework.

A case (``Spec``) draws ``(args, kwargs)`` of NumPy values with ``gen(d)`` (``d`` a
``Draw`` with shape/value helpers; values come from a drawn seed, so kinks, ties and
domain edges have probability 0). The test runs ``ops.<name>`` on every framework and
Keras' ``keras.ops.<name>`` on the same values (float arrays sent in float64, so the
reference is a float64 computation), or with ``call`` the function ``CALLS[call](ops,
...)`` on both sides. ``grad`` lists the arguments whose gradients are checked against
float64 central differences; ``tol`` loosens the float32 comparison; ``upcast=False``
sends the exact dtypes to Keras (ops whose result depends on the dtype); ``values=False``
compares shapes only (``empty``: unspecified contents); ``ref`` is a NumPy float64
formula used instead of Keras (names keras.ops lacks, Keras' own bugs); ``autodiff`` ops
(``jvp``, ``custom_gradient``) run on the differentiable frameworks only (NumPy refuses
them with a clear error, tested in tests/ops).

``EXCLUDED`` is the short list of public names with no numeric case, each with the reason.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st


class Spec:
    def __init__(self, gen, grad=(), call=None, tol=None, upcast=True, values=True,
                 ref=None, autodiff=False):
        self.gen, self.grad, self.call, self.tol = gen, tuple(grad), call, tol
        self.upcast, self.values, self.ref = upcast, values, ref
        self.autodiff = autodiff  # autodiff ops: NumPy refuses them by design


class Draw:
    """Shape and value helpers over a hypothesis ``draw``."""

    def __init__(self, draw):
        self.draw = draw
        self.n = 0

    def int(self, lo, hi):
        return self.draw(st.integers(lo, hi))

    def pick(self, seq):
        return self.draw(st.sampled_from(list(seq)))

    def bool(self):
        return self.draw(st.booleans())

    def shape(self, min_rank=1, max_rank=3, lo=1, hi=4):
        return tuple(self.int(lo, hi) for _ in range(self.int(min_rank, max_rank)))

    def axis(self, rank, none=True):
        choices = list(range(-rank, rank)) + ([None] if none else [])
        return self.pick(choices)

    def x(self, shape, kind="normal", dtype=None):
        # the draw's position in the seed: two arrays of one case differ even where
        # hypothesis draws the same (minimal) seed for both
        self.n += 1
        rng = np.random.default_rng([self.int(0, 2**31 - 1), self.n])
        shape = tuple(shape)
        if kind == "normal":
            v = rng.normal(size=shape) * 2
        elif kind == "pos":
            v = rng.uniform(0.5, 3.0, shape)
        elif kind == "unit":
            v = rng.uniform(-0.9, 0.9, shape)
        elif kind == "prob":
            v = rng.uniform(0.05, 0.95, shape)
        elif kind == "ge1":
            v = rng.uniform(1.1, 4.0, shape)
        elif kind == "int":
            return rng.integers(-20, 21, shape).astype(dtype or "int32")
        elif kind == "nat":
            return rng.integers(1, 10, shape).astype(dtype or "int32")
        elif kind == "small":
            return rng.integers(0, 4, shape).astype(dtype or "int32")
        elif kind == "bool":
            return rng.integers(0, 2, shape).astype(bool)
        elif kind == "nan":
            v = rng.normal(size=shape) * 2
            v[rng.uniform(size=shape) < 0.3] = np.nan
        else:
            raise ValueError(kind)
        return np.asarray(v, dtype=dtype or "float32")


OPS: dict[str, Spec] = {}


def op(names, gen, **kw):
    for n in names.split():
        OPS[n] = Spec(gen, **kw)


def case_strategy(spec):
    @st.composite
    def strat(draw):
        return spec.gen(Draw(draw))

    return strat()


# ----------------------------------------------------------------- elementwise, unary
def unary(kind="normal", rank=(0, 3)):
    return lambda d: ((d.x(d.shape(*rank), kind),), {})


SMOOTH = {
    "normal": "abs absolute negative square exp expm1 sin cos tanh arctan arcsinh sinh cosh "
              "cbrt deg2rad rad2deg exp2 sinc erf erfc fabs sigmoid silu swish softplus "
              "softsign log_sigmoid selu tanh_shrink sparse_plus gelu elu celu leaky_relu "
              "squareplus hard_sigmoid hard_silu hard_swish hard_tanh relu relu6 "
              "sparse_sigmoid copy i0",
    "pos": "sqrt log log1p log2 log10 reciprocal rsqrt",
    "unit": "arcsin arccos arctanh tan erfinv",
    "ge1": "arccosh",
}
for _kind, _names in SMOOTH.items():
    op(_names, unary(_kind), grad=(0,))
op("real conj conjugate", unary(), grad=(0,))
op("floor ceil sign trunc isfinite isinf isnan isneginf isposinf isreal signbit imag angle "
   "ravel ones_like zeros_like stop_gradient convert_to_tensor array convert_to_numpy "
   "shape ndim size", unary())
op("logical_not", unary("bool"))
op("bitwise_not bitwise_invert", unary("int"))
op("round", lambda d: ((d.x(d.shape(0, 3)) * 10,), {"decimals": d.pick([0, 1])}))
op("hard_shrink soft_shrink", lambda d: ((d.x(d.shape()),), {"threshold": d.pick([0.3, 1.0])}),
   grad=(0,))
op("threshold", lambda d: ((d.x(d.shape()), d.pick([-0.5, 0.7]), d.pick([0.0, -3.0])), {}))
def _with_nonfinite(d):
    x = d.x((2, 3), "nan")
    x[0, 0], x[1, 2] = np.inf, -np.inf
    return x


op("nan_to_num", lambda d: ((_with_nonfinite(d),), {"nan": d.pick([0.0, 9.0]), "posinf": 5.0,
                                                      "neginf": -5.0}))
op("glu", lambda d: ((d.x(d.shape(1, 3)[:-1] + (2 * d.int(1, 3),)),), {}), grad=(0,))
op("softmax log_softmax", lambda d: ((d.x(d.shape()),), {"axis": d.pick([-1, 0])}), grad=(0,))
op("sparsemax", lambda d: ((d.x(d.shape(1, 2), "normal"),), {"axis": -1}),
   ref=lambda x, axis=-1: _np_sparsemax(x, axis))
op("normalize", lambda d: ((d.x(d.shape()),), {"axis": -1, "order": d.pick([1, 2])}), grad=(0,))
op("dtype", unary(), upcast=False)
op("is_tensor", unary())
op("fliplr flipud", unary(rank=(2, 3)))
op("transpose", lambda d: (lambda x: ((x,), {"axes": tuple(d.draw(st.permutations(range(x.ndim))))}))(
    d.x(d.shape(1, 4))))
op("cast", lambda d: ((d.x(d.shape()) * 5, d.pick(["int32", "float64", "bool"])), {}),
   upcast=False)
op("saturate_cast", lambda d: ((d.x(d.shape()) * 200, d.pick(["uint8", "int8"])), {}),
   upcast=False)
op("view", lambda d: ((d.x(d.shape(1, 2), "int"),), {"dtype": d.pick(["float32", "int16"])}),
   upcast=False)
op("empty_like", unary(), values=False)


def _np_sparsemax(x, axis=-1):
    """Martins & Astudillo (2016), per row (Keras 3.15's own sparsemax does not sum to 1:
    keras-team/keras#23469, so the paper's formula is the reference)."""
    z = np.moveaxis(np.asarray(x, np.float64), axis, -1)
    out = np.empty_like(z)
    for i in np.ndindex(z.shape[:-1]):
        srt = np.sort(z[i])[::-1]
        k = np.arange(1, srt.size + 1)
        kk = k[1 + k * srt > np.cumsum(srt)].max()
        out[i] = np.maximum(z[i] - (srt[:kk].sum() - 1) / kk, 0)
    return np.moveaxis(out, -1, axis)


# ----------------------------------------------------------------- elementwise, binary
def binary(k1="normal", k2="normal"):
    def gen(d):
        s = d.shape(1, 3)
        s2 = d.pick([s, s[-1:], (1,) + s[1:], ()])
        return (d.x(s, k1), d.x(s2, k2)), {}
    return gen


op("add subtract multiply maximum minimum arctan2 logaddexp logaddexp2 hypot copysign fmax "
   "fmin", binary(), grad=(0, 1))
OPS["copysign"].ref = np.copysign  # not in keras.ops
op("divide true_divide", binary("normal", "pos"), grad=(0, 1))
op("power", binary("pos", "normal"), grad=(0, 1))
op("divide_no_nan", lambda d: ((d.x((3, 4)), np.where(d.x((3, 4), "bool"), 0.0, d.x((3, 4), "pos")
                                                       ).astype("float32")), {}))
op("mod fmod floor_divide", binary("normal", "pos"))
op("heaviside", lambda d: ((d.x((2, 3)), np.float32(0.5)), {}))
op("equal not_equal greater greater_equal less less_equal", lambda d: (
    (d.x((3, 4), "small"), d.x((4,), "small")), {}))
op("logical_and logical_or logical_xor", lambda d: ((d.x((3, 4), "bool"), d.x((4,), "bool")), {}))
op("bitwise_and bitwise_or bitwise_xor", lambda d: ((d.x((3, 4), "int"), d.x((4,), "int")), {}))
op("left_shift right_shift bitwise_left_shift bitwise_right_shift", lambda d: (
    (d.x((3, 4), "nat"), d.x((4,), "small")), {}))
op("gcd lcm", lambda d: ((d.x((3, 4), "int"), d.x((4,), "nat")), {}))
op("nextafter", lambda d: ((d.x((3, 4)), d.x((4,))), {}), upcast=False)
op("ldexp", lambda d: ((d.x((3, 4)), d.x((4,), "int") // 4), {}))
op("isclose", lambda d: (lambda a: ((a, a + d.x(a.shape) * d.pick([1e-9, 1e-3])), {}))(
    d.x(d.shape())))
op("allclose", lambda d: (lambda a: ((a, a + d.x(a.shape) * d.pick([1e-9, 1e-3])), {}))(
    d.x(d.shape())))
op("polar", lambda d: ((d.x((2, 3), "pos"), d.x((2, 3))), {}))

# ----------------------------------------------------------------- reductions
def reduce(kind="normal", keepdims=True, lo=1):
    def gen(d):
        s = d.shape(1, 3, lo=lo)
        kw = {"axis": d.axis(len(s))}
        if keepdims:
            kw["keepdims"] = d.bool()
        return (d.x(s, kind),), kw
    return gen


op("sum mean max min amax amin var logsumexp", reduce(), grad=(0,))
op("std", reduce(lo=2), grad=(0,))  # sides >= 2: std over one element has no derivative
op("prod", reduce("pos"), grad=(0,))
op("median ptp argmax argmin", reduce())
op("all any", reduce("bool"))
op("count_nonzero", reduce("small", keepdims=False))
op("nanmax nanmin nanmean nansum nanprod nanstd nanvar nanmedian", lambda d: (
    (d.x((3, 4), "nan"),), {"axis": d.pick([None, 0, 1]), "keepdims": d.bool()}))
op("nanargmax nanargmin", lambda d: ((np.where(np.arange(12).reshape(3, 4) % 5 == 1, np.nan,
                                               d.x((3, 4))).astype("float32"),),
                                     {"axis": d.pick([None, 0, 1])}))
op("nancumsum nancumprod", lambda d: ((d.x((3, 4), "nan"),), {"axis": d.pick([None, 0, 1])}))
op("cumsum cumprod", lambda d: ((d.x(d.shape(1, 3), "pos"),), {"axis": d.pick([None, 0, -1])}),
   grad=(0,))
op("average", lambda d: (lambda s: ((d.x(s),), {"axis": -1, "weights": d.x(s[-1:], "pos")}))(
    d.shape(1, 3)), grad=(0,))
op("quantile nanquantile", lambda d: ((d.x((3, 5)), np.float32(d.pick([0.1, 0.5, 0.75]))),
                                      {"axis": d.pick([None, 1]),
                                       "method": d.pick(["linear", "lower", "higher",
                                                         "midpoint", "nearest"])}))
op("percentile nanpercentile", lambda d: ((d.x((3, 5)), np.float32(d.pick([10.0, 50.0, 90.0]))),
                                          {"axis": d.pick([None, 0])}))
op("moments", lambda d: (lambda s: ((d.x(s), tuple(sorted(set(
    d.draw(st.lists(st.integers(0, len(s) - 1), min_size=1, max_size=len(s))))))),
    {"keepdims": d.bool()}))(d.shape(1, 3)), grad=(0,))
op("norm", lambda d: ((d.x((3, 4)),), d.pick([{}, {"ord": 1, "axis": 1}, {"ord": "fro"},
                                              {"ord": 2, "axis": 0}, {"ord": np.inf, "axis": -1},
                                              {"ord": "nuc"}])), tol=1e-4)
op("trapezoid", lambda d: ((d.x((3, 5)),), {"dx": d.pick([1.0, 0.5]), "axis": d.pick([0, -1])}),
   grad=(0,))

# ----------------------------------------------------------------- shapes and indexing
op("expand_dims", lambda d: (lambda x: ((x, d.int(-x.ndim - 1, x.ndim)), {}))(d.x(d.shape(0, 3))))
op("squeeze", lambda d: ((d.x((2, 1, 3, 1)),), {"axis": d.pick([None, 1, -1])}))
op("reshape", lambda d: ((d.x((2, 3, 2)), d.pick([(12,), (3, -1), (2, 2, 3)])), {}))
op("broadcast_to", lambda d: ((d.x((3, 1)), (2, 3, 4)), {}))
op("moveaxis", lambda d: ((d.x((2, 3, 4)), d.int(-3, 2), d.int(-3, 2)), {}))
op("swapaxes", lambda d: ((d.x((2, 3, 4)), d.int(-3, 2), d.int(-3, 2)), {}))
op("flip", lambda d: ((d.x((2, 3, 4)),), {"axis": d.pick([None, 0, (1, 2), -1])}))
op("roll", lambda d: ((d.x((3, 4)), d.int(-5, 5)), {"axis": d.pick([None, 0, 1])}))
op("rot90", lambda d: ((d.x((3, 4, 2)),), {"k": d.int(-2, 3), "axes": d.pick([(0, 1), (1, 2)])}))
op("tile", lambda d: ((d.x((2, 3)), d.pick([2, (2, 1), (1, 2, 2)])), {}))
op("repeat", lambda d: ((d.x((2, 3)), d.int(1, 3)), {"axis": d.pick([None, 0, 1])}))
op("concatenate", lambda d: (([d.x((2, 3)), d.x((2, 3))],), {"axis": d.pick([0, 1, None])}))
op("stack", lambda d: (([d.x((2, 3)), d.x((2, 3))],), {"axis": d.pick([0, -1])}))
op("hstack vstack dstack", lambda d: (([d.x((2, 3)), d.x((2, 3))],), {}))
op("column_stack", lambda d: (([d.x((2, 3)), d.x((2, 3))],), {}), ref=np.column_stack)
op("append", lambda d: ((d.x((2, 3)), d.x((2, 3))), {"axis": d.pick([None, 0, 1])}))
op("split", lambda d: ((d.x((6, 4)), d.pick([2, 3, [1, 4]])), {"axis": 0}))
op("array_split", lambda d: ((d.x((7, 4)), d.pick([2, 3])), {"axis": 0}))  # Keras: ints only
op("hsplit", lambda d: ((d.x((3, 4)), 2), {}))
op("vsplit", lambda d: ((d.x((4, 3)), 2), {}))
op("dsplit", lambda d: ((d.x((2, 3, 4)), 2), {}))
op("unstack", lambda d: ((d.x((2, 3)),), {"axis": d.pick([0, 1])}))
op("take", lambda d: ((d.x((3, 4)), d.x((2, 2), "small")), {"axis": d.pick([None, 0, 1])}),
   grad=(0,))
op("take_along_axis", lambda d: ((d.x((3, 4)), d.x((3, 4), "small")), {"axis": 1}), grad=(0,))
op("get_item", lambda d: ((d.x((4, 5)), d.pick([1, (slice(1, 3), 2), (Ellipsis, slice(None, None, 2))])),
                          {}))
op("slice", lambda d: ((d.x((4, 5)), (d.int(0, 2), d.int(0, 2)), (2, 3)), {}))
op("slice_update", lambda d: ((d.x((4, 5)), (d.int(0, 2), d.int(0, 2)), d.x((2, 3))), {}))
op("scatter", lambda d: ((np.array([[0, 1], [2, 3], [1, 0]], "int32"), d.x((3,)), (3, 4)), {}))
op("scatter_update", lambda d: ((d.x((3, 4)), np.array([[0, 1], [2, 3]], "int32"), d.x((2,))), {}))
op("diagonal", lambda d: ((d.x((3, 4, 2)),), {"offset": d.int(-1, 1), "axis1": 0, "axis2": 1}))
op("trace", lambda d: ((d.x((3, 4, 2)),), {"offset": d.int(-1, 1), "axis1": 0, "axis2": 1}))
op("diag diagflat", lambda d: ((d.x(d.pick([(4,), (3, 4)])),), {"k": d.int(-1, 1)}))
op("tril triu", lambda d: ((d.x((3, 4)),), {"k": d.int(-1, 1)}))
op("pad", lambda d: ((d.x((2, 3)), ((1, 0), (0, 2))), d.pick([{}, {"mode": "reflect"},
                                                             {"mode": "symmetric"},
                                                             {"constant_values": 2.0}])))
op("where", lambda d: ((d.x((3, 4), "bool"), d.x((3, 4)), d.x((4,))), {}))
op("select", lambda d: (([d.x((3, 4), "bool"), d.x((3, 4), "bool")], [d.x((3, 4)), d.x((3, 4))]),
                        {"default": 0.5}))
op("clip", lambda d: ((d.x((3, 4)), -1.0, 1.5), {}))
op("nonzero", lambda d: ((d.x((3, 4), "small"),), {}))
op("argwhere", lambda d: ((d.x((3, 4), "small"),), {}), ref=np.argwhere)  # not in keras.ops
op("sort argsort", lambda d: ((d.x(d.shape(1, 3)),), {"axis": d.pick([-1, 0])}))
op("argpartition", lambda d: (lambda k: ((d.x((3, 5)), k), {"k": k}))(d.int(0, 4)),
   call="argpartition_kth")
op("top_k", lambda d: ((d.x((3, 5)), d.int(1, 5)), {}))
op("in_top_k", lambda d: ((d.x((3,), "small"), d.x((3, 5)), d.int(1, 4)), {}))
op("searchsorted", lambda d: ((np.sort(d.x((6,))), d.x((4,))), {"side": d.pick(["left", "right"])}))
op("digitize", lambda d: ((d.x((3, 4)), np.sort(d.x((5,)))), {}))
op("unravel_index", lambda d: ((d.x((4,), "small") * 3, (3, 4)), {}))
op("bincount", lambda d: ((d.x((8,), "small"),), {"minlength": d.int(0, 6)}))
op("histogram", lambda d: ((d.x((20,)),), {"bins": d.int(2, 6)}))
op("unique", lambda d: ((d.x((8,), "small"),), {"return_counts": d.bool()}))
op("isin", lambda d: ((d.x((3, 4), "small"), d.x((3,), "small")), {"invert": d.bool()}))
op("one_hot", lambda d: ((d.x((2, 3), "small"), 4), {"axis": d.pick([-1, 0])}))
op("multi_hot", lambda d: ((d.x((2, 3), "small"), 4), {}))
op("meshgrid", lambda d: ((d.x((3,)), d.x((2,))), {"indexing": d.pick(["xy", "ij"])}))
op("vander", lambda d: ((d.x((4,)),), {"N": d.int(1, 4), "increasing": d.bool()}))
op("diff", lambda d: ((d.x((3, 5)),), {"n": d.int(1, 2), "axis": d.pick([0, -1])}))
op("extract_sequences", lambda d: ((d.x((2, 10)), d.int(2, 4), d.int(1, 3)), {}))
op("rearrange", lambda d: ((d.x((2, 4, 3)), "b (h w) c -> b c h w"), {"h": 2}))
op("depth_to_space", lambda d: ((d.x((1, 2, 3, 8)), 2), {}))
op("space_to_depth", lambda d: ((d.x((1, 4, 6, 2)), 2), {}))
op("unfold", lambda d: ((d.x((1, 2, 5, 4)), d.pick([2, (2, 3)])), {"stride": d.pick([1, 2])}))
op("fold", lambda d: ((d.x((1, 8, 12)), (4, 5), 2), {}))

# ----------------------------------------------------------------- creation
op("arange", lambda d: ((d.int(-3, 2), d.int(3, 8), d.int(1, 3)), {}))
op("eye tri", lambda d: ((d.int(1, 4), d.int(1, 4)), {"k": d.int(-1, 1)}))
op("identity", lambda d: ((d.int(1, 4),), {}))
op("ones zeros", lambda d: ((d.shape(0, 3),), {}))
op("full", lambda d: ((d.shape(0, 3), 1.5), {}))
op("full_like", lambda d: ((d.x(d.shape()), 2.5), {}))
op("empty", lambda d: ((d.shape(0, 3),), {}), values=False)
op("linspace", lambda d: ((-1.0, 2.0), {"num": d.int(1, 6), "endpoint": d.bool()}))
op("logspace", lambda d: ((-1.0, 1.0), {"num": d.int(1, 6), "base": d.pick([10, 2])}))
op("geomspace", lambda d: ((1.0, 100.0), {"num": d.int(2, 6), "endpoint": d.bool()}))
op("bartlett blackman hamming hanning", lambda d: ((d.int(1, 8),), {}))
op("kaiser", lambda d: ((d.int(1, 8), 5.0), {}))

# ----------------------------------------------------------------- linear algebra
def square(d, n=None, spd=False):
    n = n or d.int(1, 4)
    a = d.x((n, n))
    if spd:
        return (a @ a.T + n * np.eye(n)).astype("float32")
    return (a + 3 * n * np.eye(n)).astype("float32")


op("inner", lambda d: (lambda n: ((d.x((d.int(1, 3), n)), d.x((d.int(1, 2), n))), {}))(
    d.int(1, 4)), grad=(0, 1))
op("matmul dot", lambda d: (lambda n: ((d.x((d.int(1, 3), n)), d.x((n, d.int(1, 3)))
                                              if d.bool() else d.x((n,))), {}))(d.int(1, 4)),
   grad=(0, 1))
op("vdot", lambda d: ((d.x((5,)), d.x((5,))), {}), grad=(0, 1))
op("outer kron", lambda d: ((d.x((3,)), d.x((2,))), {}), grad=(0, 1))
op("tensordot", lambda d: ((d.x((2, 3, 4)), d.x((3, 4, 2))), {"axes": d.pick([2, ([1], [0])])}),
   grad=(0, 1))
op("einsum", lambda d: (("ij,jk->ik", d.x((2, 3)), d.x((3, 4))), {}))
op("cross", lambda d: ((d.x((2, 3)), d.x((2, 3))), {}), grad=(0, 1))
op("cdist", lambda d: ((d.x((2, 3, 4)), d.x((2, 2, 4))), {}), tol=1e-4)
op("correlate", lambda d: ((d.x((7,)), d.x((3,))), {"mode": d.pick(["valid", "same", "full"])}))
op("det inv logdet", lambda d: ((square(d, spd=True),), {}), grad=(0,), tol=1e-4)
op("slogdet", lambda d: ((square(d),), {}), tol=1e-4)
op("cholesky", lambda d: ((square(d, spd=True),), {"upper": d.bool()}), tol=1e-4)
op("cholesky_inverse", lambda d: ((np.linalg.cholesky(square(d, spd=True)).astype("float32"),),
                                  {}), tol=1e-4)
op("solve", lambda d: (lambda a: ((a, d.x((a.shape[0], 2))), {}))(square(d)), grad=(0, 1),
   tol=1e-4)
op("solve_triangular", lambda d: (lambda a: ((np.tril(a), d.x((a.shape[0], 2))),
                                             {"lower": True}))(square(d)), tol=1e-4)
op("lstsq", lambda d: ((d.x((5, 3)), d.x((5, 2))), {}), tol=1e-4)
op("pinv", lambda d: ((d.x((4, 3)),), {}), tol=1e-4)
op("matrix_rank", lambda d: (((d.x((4, 1)) @ d.x((1, 3)) + d.pick([0.0, 1.0]) * d.x((4, 3))
                               ).astype("float32"),), {}), upcast=False)  # rank 1 or 3
op("qr", lambda d: ((d.x((4, 3)),), {}), call="qr_recon", tol=1e-4)
op("svd", lambda d: ((d.x((4, 3)),), {}), call="svd_recon", tol=1e-4)
op("eigh", lambda d: ((square(d, spd=True),), {}), call="eigh_recon", tol=1e-4)
op("eig", lambda d: ((square(d, spd=True),), {}), call="eig_values", tol=1e-4)
op("lu_factor", lambda d: ((square(d),), {}), tol=1e-4)
op("corrcoef", lambda d: ((d.x((3, 6)),), {}), tol=1e-4)
op("psnr", lambda d: (lambda a: ((a, a + 0.1 * d.x(a.shape, "unit"), 3.0), {}))(d.x((2, 3), "pos")),
   tol=1e-4)

# ----------------------------------------------------------------- complex and Fourier
def cplx(d, shape):
    return ("__complex__", np.stack([d.x(shape), d.x(shape)], -1))


op("fft fft2 ifft2", lambda d: (((d.x((2, 4, 3)), d.x((2, 4, 3))),), {}), tol=1e-4)
op("rfft", lambda d: ((d.x((2, 6)),), {"fft_length": d.pick([None, 8])}), tol=1e-4)
op("irfft", lambda d: (((d.x((2, 4)), d.x((2, 4))),), {"fft_length": d.pick([None, 6])}), tol=1e-4)
op("stft", lambda d: ((d.x((2, 24)), 8, 4, 8), {"center": d.bool()}), tol=1e-4)
op("istft", lambda d: ((d.x((2, 24)),), {}), call="istft_roundtrip", tol=1e-4)
op("view_as_complex", lambda d: ((d.x((2, 3, 2)),), {}))
op("view_as_real", lambda d: ((cplx(d, (2, 3)),), {}))

# ----------------------------------------------------------------- neural-net ops
op("conv", lambda d: ((d.x((2, 6, 3)), d.x((3, 3, 2))), {"strides": d.int(1, 2),
                                                         "padding": d.pick(["valid", "same"]),
                                                         "dilation_rate": 1}),
   grad=(0, 1), tol=1e-4)
op("depthwise_conv", lambda d: ((d.x((2, 5, 5, 2)), d.x((2, 2, 2, 2))),
                                {"padding": d.pick(["valid", "same"])}), grad=(0, 1), tol=1e-4)
op("separable_conv", lambda d: ((d.x((2, 5, 5, 2)), d.x((2, 2, 2, 1)), d.x((1, 1, 2, 3))),
                                {"padding": d.pick(["valid", "same"])}), tol=1e-4)
op("conv_transpose", lambda d: ((d.x((2, 4, 2)), d.x((3, 3, 2))),
                                {"strides": d.int(1, 2), "padding": d.pick(["valid", "same"])}),
   grad=(0, 1), tol=1e-4)
op("max_pool average_pool", lambda d: ((d.x((2, 6, 5, 2)), 2),
                                       {"strides": d.pick([1, 2]),
                                        "padding": d.pick(["valid", "same"])}), grad=(0,))
op("adaptive_average_pool adaptive_max_pool", lambda d: ((d.x((1, 5, 7, 2)), (2, 3)), {}))
op("batch_normalization", lambda d: ((d.x((3, 4)), d.x((4,)), d.x((4,), "pos"), -1),
                                     {"offset": d.x((4,)), "scale": d.x((4,))}), grad=(0,))
op("layer_normalization", lambda d: ((d.x((3, 4)),), {"gamma": d.x((4,)), "beta": d.x((4,)),
                                                      "epsilon": 1e-3}), grad=(0,))
op("rms_normalization", lambda d: ((d.x((3, 4)),), {"scale": d.x((4,)), "epsilon": 1e-3}),
   grad=(0,))
op("binary_crossentropy", lambda d: ((d.x((3, 4), "prob"), d.x((3, 4), "prob")),
                                     {"from_logits": False}), grad=(1,))
op("categorical_crossentropy", lambda d: ((np.eye(4, dtype="float32")[d.x((3,), "small")],
                                           d.x((3, 4))), {"from_logits": True}), grad=(1,))
op("sparse_categorical_crossentropy", lambda d: ((d.x((3,), "small"), d.x((3, 4))),
                                                 {"from_logits": True}), grad=(1,))
op("dot_product_attention", lambda d: ((d.x((2, 3, 2, 4)), d.x((2, 5, 2, 4)), d.x((2, 5, 2, 4))),
                                       {"is_causal": False}), grad=(0, 1, 2), tol=1e-4)
op("segment_sum segment_max segment_min segment_prod",
   lambda d: ((d.x((6, 3)), np.sort(d.x((6,), "small"))), {"num_segments": 4}))
op("ctc_loss", lambda d: ((np.array([[1, 2, 2], [3, 1, 0]], "int32"), d.x((2, 6, 4)),
                           np.array([3, 2], "int32"), np.array([6, 5], "int32")), {}), tol=1e-4)
op("ctc_decode", lambda d: ((d.x((2, 6, 4)), np.array([6, 4], "int32")), {}))

# ----------------------------------------------------------------- functions of functions
op("cond", lambda d: ((np.array(d.bool()), d.x((3,))), {}), call="cond")
op("switch", lambda d: ((np.array(d.int(0, 1), "int32"), d.x((3,))), {}), call="switch")
op("while_loop", lambda d: ((d.x((3,), "pos"),), {}), call="while_loop")
op("fori_loop", lambda d: ((d.x((3,)),), {}), call="fori_loop")
op("scan", lambda d: ((d.x((4, 3)),), {}), call="scan")
op("associative_scan", lambda d: ((d.x((5, 2)),), {"axis": 0}), call="associative_scan")
op("map", lambda d: ((d.x((4, 3)),), {}), call="map")
op("vectorized_map", lambda d: ((d.x((4, 3)),), {}), call="vectorized_map")
op("vectorize", lambda d: ((d.x((4, 3)),), {}), call="vectorize")
op("custom_gradient", lambda d: ((d.x((4,)),), {}), call="custom_gradient", autodiff=True)
op("jvp", lambda d: ((d.x((4,)), d.x((4,))), {}), call="jvp", autodiff=True)


def _qr_recon(ops, x):
    q, r = ops.qr(x)
    return ops.matmul(q, r), ops.abs(r)


def _svd_recon(ops, x):
    u, s, vh = ops.svd(x, full_matrices=False)
    return ops.matmul(u * s[None, :], vh), s


def _eigh_recon(ops, x):
    w, v = ops.eigh(x)
    return ops.matmul(v * w[None, :], ops.transpose(v)), w


def _eig_values(ops, x):
    w, _ = ops.eig(x)
    return ops.sort(ops.real(w))


def _istft_roundtrip(ops, x):
    spec = ops.stft(x, 8, 4, 8)
    return ops.istft(spec, 8, 4, 8, length=24)


def _custom_gradient(ops, x):
    @ops.custom_gradient
    def f(x):
        def grad(*args, upstream=None):
            up = upstream if upstream is not None else args[0]
            return up * 3.0
        return ops.square(x), grad
    return f(x)


def _argpartition_kth(ops, x, kth, k=0):
    """The kth element after partitioning and the partition property (the order within
    each side is unspecified)."""
    part = ops.take_along_axis(x, ops.argpartition(x, kth), axis=-1)
    pivot = part[:, kth:kth + 1]
    return pivot, ops.all(part[:, :kth] <= pivot), ops.all(part[:, kth + 1:] >= pivot)


# --------------------------------------------------------------------- ops.image
# (named "image.<fn>": Keras has them in keras.ops.image only). data_format is always
# given: Keras' JAX backend reads data_format=None as channels_first in gaussian_blur.
_DF = ("channels_last", "channels_first")


def _image(d, batched=None, channels=None, lo=2, hi=7, kind="prob", rank4=False):
    """(images, data_format): a drawn image or batch of images of either layout."""
    b = rank4 or (d.bool() if batched is None else batched)
    h, w = d.int(lo, hi), d.int(lo, hi)
    c = channels or d.int(1, 3)
    df = d.pick(_DF)
    shape = (h, w, c) if df == "channels_last" else (c, h, w)
    if b:
        shape = (d.int(1, 2),) + shape
    return d.x(shape, kind), df


def _hw(x, df):
    return (x.shape[-3], x.shape[-2]) if df == "channels_last" else (x.shape[-2], x.shape[-1])


def _resize_case(d):
    x, df = _image(d)
    kw = {"interpolation": d.pick(["bilinear", "nearest", "bicubic", "lanczos3", "lanczos5"]),
          "antialias": d.bool(), "data_format": df}
    mode = d.pick([None, "crop", "pad"])
    if mode == "crop":
        kw["crop_to_aspect_ratio"] = True
    elif mode == "pad":
        kw.update(pad_to_aspect_ratio=True, fill_value=float(d.pick([0.0, 0.5, -1.0])))
    return (x, (d.int(1, 8), d.int(1, 8))), kw


def _transforms(d, n):
    rng = np.random.default_rng(d.int(0, 2**31 - 1))
    t = np.zeros((n, 8))
    t[:, [0, 4]] = rng.uniform(0.6, 1.4, (n, 2))
    t[:, [1, 3]] = rng.uniform(-0.3, 0.3, (n, 2))
    t[:, [2, 5]] = rng.uniform(-2.0, 2.0, (n, 2))
    return t.astype("float32")


def _affine_case(d):
    x, df = _image(d)
    t = _transforms(d, x.shape[0] if x.ndim == 4 else 1)
    return (x, t if x.ndim == 4 else t[0]), {
        "interpolation": d.pick(["bilinear", "nearest"]),
        "fill_mode": d.pick(["constant", "nearest", "wrap", "mirror", "reflect"]),
        "fill_value": float(d.pick([0.0, 0.5])), "data_format": df}


def _map_coordinates_case(d):
    shape = d.shape(1, 3, 2, 5)
    rng = np.random.default_rng(d.int(0, 2**31 - 1))
    k = d.int(1, 6)
    coords = np.stack([rng.uniform(-2.0, s + 1.0, k) for s in shape]).astype("float32")
    return (d.x(shape), coords, d.pick([0, 1])), {
        "fill_mode": d.pick(["constant", "nearest", "wrap", "mirror", "reflect"]),
        "fill_value": float(d.pick([0.0, -0.5]))}


def _box_case(d, verb):
    x, df = _image(d, lo=2, hi=6)
    h, w = _hw(x, df)
    kw = {"data_format": df}
    for (a, b, t), size in ((("top", "bottom", "target_height"), h),
                            (("left", "right", "target_width"), w)):
        if verb == "cropping":
            target = d.int(0, size)
            first = d.int(0, size - target)
            second = size - target - first
        else:
            first, second = d.int(0, 3), d.int(0, 3)
            target = size + first + second
        which = d.pick([(a, b), (a, t), (b, t)])
        vals = {a: first, b: second, t: target}
        for key in which:
            kw[key if key.startswith("target") else f"{key}_{verb}"] = vals[key]
    return (x,), kw


def _patch_case(d, n):
    df = d.pick(_DF)
    spatial = tuple(d.int(2, 5) for _ in range(n))
    c = d.int(1, 2)
    shape = spatial + (c,) if df == "channels_last" else (c,) + spatial
    if d.bool():
        shape = (d.int(1, 2),) + shape
    size = tuple(d.int(1, s) for s in spatial)
    kw = {"padding": d.pick(["valid", "same"]), "data_format": df}
    if d.bool():
        kw["dilation_rate"] = 2 if all(2 * k - 1 <= s for k, s in zip(size, spatial)) else 1
        kw["strides"] = 1
    elif d.bool():
        kw["strides"] = tuple(d.int(1, 3) for _ in range(n))
    return (d.x(shape), size), kw


def _perspective_case(d):
    x, df = _image(d, lo=3, hi=7)
    h, w = _hw(x, df)
    n = x.shape[0] if x.ndim == 4 else 1
    rng = np.random.default_rng(d.int(0, 2**31 - 1))
    start = np.array([[0, 0], [0, h], [w, 0], [w, h]], "float64")[None].repeat(n, 0)
    end = start + rng.uniform(-1.0, 1.0, start.shape)
    if x.ndim == 3:
        start, end = start[0], end[0]
    return (x, start.astype("float32"), end.astype("float32")), {
        "interpolation": d.pick(["bilinear", "nearest"]), "fill_value": float(d.pick([0.0, 0.5])),
        "data_format": df}


def _scale_translate_case(d):
    x, _ = _image(d, batched=True, lo=2, hi=6)
    rng = np.random.default_rng(d.int(0, 2**31 - 1))
    out = (x.shape[0], d.int(1, 8), d.int(1, 8), x.shape[3])
    return (x, out, rng.uniform(0.4, 2.5, 2).astype("float32"),
            rng.uniform(-1.5, 1.5, 2).astype("float32"), (1, 2),
            d.pick(["linear", "bilinear", "cubic", "bicubic", "lanczos3", "lanczos5"])), {
        "antialias": d.bool()}


def _ssim_case(d):
    x, df = _image(d, lo=5, hi=8)
    y = np.clip(x + d.x(x.shape) * 0.05, 0.0, 1.0).astype("float32")
    fs = d.pick([3, 5])
    return (x, y), {"filter_size": fs, "filter_sigma": float(d.pick([0.8, 1.5])),
                    "max_val": 1.0, "data_format": df}


op("image.resize", _resize_case, tol=1e-4)
op("image.affine_transform", _affine_case, tol=1e-4)
op("image.map_coordinates", _map_coordinates_case, tol=1e-4)
op("image.crop_images", lambda d: _box_case(d, "cropping"))
op("image.pad_images", lambda d: _box_case(d, "padding"))
op("image.rgb_to_grayscale", lambda d: (lambda x, df: ((x,), {"data_format": df}))(
    *_image(d, channels=d.pick([1, 3]))))
op("image.rgb_to_hsv", lambda d: (lambda x, df: ((x,), {"data_format": df}))(
    *_image(d, channels=3)), tol=1e-4)
op("image.hsv_to_rgb", lambda d: (lambda x, df: ((x,), {"data_format": df}))(
    *_image(d, channels=3, kind="normal")), tol=1e-4)
op("image.extract_patches", lambda d: _patch_case(d, d.pick([2, 2, 3])))
op("image.extract_patches_3d", lambda d: _patch_case(d, 3))
op("image.gaussian_blur", lambda d: (lambda x, df: ((x,), {
    "kernel_size": (d.int(1, 5), d.int(1, 5)), "sigma": (d.pick([0.5, 1.0, 2.0]),
                                                       d.pick([0.7, 1.5])),
    "data_format": df}))(*_image(d)), tol=1e-4)
op("image.sobel_edges", lambda d: (lambda x, df: ((x,), {"data_format": df}))(
    *_image(d, rank4=True)), tol=1e-4)
op("image.ssim", _ssim_case, tol=1e-4)
op("image.perspective_transform", _perspective_case, tol=1e-4)
op("image.scale_and_translate", _scale_translate_case, tol=1e-4)
# random: alpha=0 is the identity on every backend (its distribution is tested in
# tests/ops/test_image_ops.py)
op("image.elastic_transform", lambda d: (lambda x, df: ((x,), {
    "alpha": 0.0, "sigma": d.pick([1.0, 2.0]), "seed": 5, "data_format": df,
    "fill_mode": d.pick(["reflect", "constant", "nearest"])}))(*_image(d)))


CALLS = {
    "argpartition_kth": _argpartition_kth,
    "qr_recon": _qr_recon,
    "svd_recon": _svd_recon,
    "eigh_recon": _eigh_recon,
    "eig_values": _eig_values,
    "istft_roundtrip": _istft_roundtrip,
    "cond": lambda ops, p, x: ops.cond(p, lambda: x * 2.0, lambda: x - 1.0),
    "switch": lambda ops, i, x: ops.switch(i, [lambda v: v * 2.0, lambda v: v - 1.0], x),
    "while_loop": lambda ops, x: ops.while_loop(lambda v: ops.sum(v) < 50.0,
                                                lambda v: (v * 1.5,), (x,))[0],
    "fori_loop": lambda ops, x: ops.fori_loop(0, 4, lambda i, v: v * 0.5 + i, x),
    "scan": lambda ops, xs: ops.scan(lambda c, v: (c + v, c * v), ops.zeros_like(xs[0]), xs),
    "associative_scan": lambda ops, x, axis=0: ops.associative_scan(lambda a, b: a + b, x,
                                                                    axis=axis),
    "map": lambda ops, xs: ops.map(lambda v: ops.sum(v * v), xs),
    "vectorized_map": lambda ops, xs: ops.vectorized_map(lambda v: v * ops.sum(v), xs),
    "vectorize": lambda ops, xs: ops.vectorize(lambda v: v * 2.0 + 1.0)(xs),
    "custom_gradient": _custom_gradient,
    "jvp": lambda ops, x, t: ops.jvp(ops.sin, (x,), (t,)),
}

# Public names with no numeric property case, each with its reason.
EXCLUDED: dict[str, str] = {}
