"""Keras 3's NumPy-named ops (``keras.ops.numpy``), written once against the Array API.

Dtype rules follow Keras 3 (which follows JAX without x64): Python scalars are weak
types; int/bool inputs of float functions give floatx; int + Python float gives floatx;
``mean`` of ints gives float32; ``sum``/``prod`` of bool/int8/int16 give int32 (uint8,
uint16: uint32); indices (argmax, argsort, nonzero, ...) are int32.
"""

from __future__ import annotations

import builtins
import math as _math

import numpy as np

from .. import xp as _xp
from ..xp import framework_of
from ._common import (
    FLOATS, INTS, cast_to, dtype_name, dtype_obj, floatx, op_error, ops_shim, resolve,
    result_type, standardize_dtype, to_array, to_float,
)

_bmax, _bmin, _babs, _bround, _bsum, _ball, _bany = (
    builtins.max, builtins.min, builtins.abs, builtins.round, builtins.sum, builtins.all, builtins.any)

__all__: list[str] = []


def _export(fn):
    __all__.append(fn.__name__)
    return fn


def _xfn(xp, fw, name):
    """``xp.<name>``, else the ops shim's function of that name, else None."""
    fn = getattr(xp, name, None)
    if fn is None:
        fn = getattr(ops_shim(fw), name, None)
    return fn


def _need(xp, fw, name):
    fn = _xfn(xp, fw, name)
    if fn is None:
        raise op_error(name, f"the {fw} array namespace has no {name}", NotImplementedError)
    return fn


def _keep(xp, fw, out, d):
    """``out`` cast back to the float dtype ``d`` when a namespace widened it (TF's
    float16 kernels, NumPy's bfloat16 with Python floats)."""
    if d in FLOATS and dtype_name(out) in FLOATS and dtype_name(out) != d:
        return cast_to(xp, fw, out, d)
    return out


def _nelems(x):
    n = 1
    for s in x.shape:
        n *= int(s)
    return n


def _one(op, x):
    xp, fw = resolve(op, x)
    return xp, fw, to_array(xp, fw, x)


def _axis(axis):
    if axis is None:
        return None
    if isinstance(axis, (list, tuple)):
        return tuple(int(a) for a in axis)
    return int(axis)


def _is_float_name(d):
    return d in FLOATS or d.startswith("complex")


# --------------------------------------------------------------------------------------
# elementwise unary

def _make_float_unary(name, xp_name, doc):
    def op(x):
        xp, fw, x = _one(name, x)
        x = to_float(xp, fw, x)
        return _keep(xp, fw, getattr(xp, xp_name)(x), dtype_name(x))

    op.__name__ = op.__qualname__ = name
    op.__doc__ = doc
    return _export(op)


for _name, _xpn, _doc in [
    ("arccos", "acos", "Inverse cosine, elementwise."),
    ("arccosh", "acosh", "Inverse hyperbolic cosine, elementwise."),
    ("arcsin", "asin", "Inverse sine, elementwise."),
    ("arcsinh", "asinh", "Inverse hyperbolic sine, elementwise."),
    ("arctan", "atan", "Inverse tangent, elementwise."),
    ("arctanh", "atanh", "Inverse hyperbolic tangent, elementwise."),
    ("cos", "cos", "Cosine, elementwise."),
    ("cosh", "cosh", "Hyperbolic cosine, elementwise."),
    ("exp", "exp", "Exponential, elementwise."),
    ("expm1", "expm1", "``exp(x) - 1``, elementwise."),
    ("log", "log", "Natural logarithm, elementwise."),
    ("log10", "log10", "Base-10 logarithm, elementwise."),
    ("log1p", "log1p", "``log(1 + x)``, elementwise."),
    ("log2", "log2", "Base-2 logarithm, elementwise."),
    ("sin", "sin", "Sine, elementwise."),
    ("sinh", "sinh", "Hyperbolic sine, elementwise."),
    ("sqrt", "sqrt", "Square root, elementwise."),
    ("tan", "tan", "Tangent, elementwise."),
    ("tanh", "tanh", "Hyperbolic tangent, elementwise."),
    ("ceil", "ceil", "Ceiling, elementwise (int/bool inputs give floatx)."),
    ("floor", "floor", "Floor, elementwise (int/bool inputs give floatx)."),
]:
    globals()[_name] = _make_float_unary(_name, _xpn, _doc)


@_export
def exp2(x):
    """``2 ** x``, elementwise."""
    xp, fw, x = _one("exp2", x)
    x = to_float(xp, fw, x)
    return _keep(xp, fw, xp.exp(x * _math.log(2.0)), dtype_name(x))


@_export
def cbrt(x):
    """Cube root, elementwise."""
    xp, fw, x = _one("cbrt", x)
    x = to_float(xp, fw, x)
    return xp.sign(x) * xp.pow(xp.abs(x), 1.0 / 3.0)


@_export
def deg2rad(x):
    """Degrees to radians."""
    xp, fw, x = _one("deg2rad", x)
    x = to_float(xp, fw, x)
    return _keep(xp, fw, x * (_math.pi / 180.0), dtype_name(x))


@_export
def rad2deg(x):
    """Radians to degrees."""
    xp, fw, x = _one("rad2deg", x)
    x = to_float(xp, fw, x)
    return _keep(xp, fw, x * (180.0 / _math.pi), dtype_name(x))


@_export
def sinc(x):
    """``sin(pi x) / (pi x)`` with ``sinc(0) = 1``."""
    xp, fw, x = _one("sinc", x)
    x = to_float(xp, fw, x)
    px = x * _math.pi
    safe = xp.where(x == 0, xp.ones_like(px), px)
    return xp.where(x == 0, xp.ones_like(px), xp.sin(safe) / safe)


@_export
def fabs(x):
    """Absolute value as a float."""
    xp, fw, x = _one("fabs", x)
    return xp.abs(to_float(xp, fw, x))


@_export
def abs(x):
    """Absolute value, elementwise (dtype kept)."""
    xp, fw, x = _one("abs", x)
    if dtype_name(x) == "bool":
        return x
    return xp.abs(x)


@_export
def absolute(x):
    """Alias of ``abs``."""
    return abs(x)


@_export
def negative(x):
    """``-x``."""
    xp, fw, x = _one("negative", x)
    if dtype_name(x) == "bool":
        raise op_error("negative", "expected a numeric array; received dtype bool", TypeError)
    return xp.negative(x)


@_export
def sign(x):
    """The sign of each element (-1, 0 or 1), dtype kept."""
    xp, fw, x = _one("sign", x)
    if dtype_name(x).startswith("uint"):
        return cast_to(xp, fw, x != 0, dtype_name(x))
    return xp.sign(x)


@_export
def square(x):
    """``x * x`` (bool gives int32)."""
    xp, fw, x = _one("square", x)
    if dtype_name(x) == "bool":
        x = cast_to(xp, fw, x, "int32")
    return x * x


@_export
def reciprocal(x):
    """``1 / x`` (int/bool give floatx)."""
    xp, fw, x = _one("reciprocal", x)
    x = to_float(xp, fw, x)
    return _keep(xp, fw, 1.0 / x, dtype_name(x))


@_export
def trunc(x):
    """Round towards zero (dtype kept)."""
    xp, fw, x = _one("trunc", x)
    if not _is_float_name(dtype_name(x)):
        return x
    return xp.trunc(x)


@_export
def round(x, decimals=0):
    """Round half to even to ``decimals`` decimals (dtype kept)."""
    xp, fw, x = _one("round", x)
    d = dtype_name(x)
    if d == "bool":
        raise op_error("round", "expected a numeric array; received dtype bool", TypeError)
    if d in INTS:
        if decimals >= 0:
            return x
        f = 10 ** (-decimals)
        xf = cast_to(xp, fw, x, floatx())
        return cast_to(xp, fw, xp.round(xf / f) * f, d)
    if decimals == 0:
        return xp.round(x)
    f = 10.0 ** decimals
    return xp.round(x * f) / f


@_export
def conj(x):
    """Complex conjugate (real inputs returned unchanged)."""
    xp, fw, x = _one("conj", x)
    return xp.conj(x) if dtype_name(x).startswith("complex") else x


@_export
def conjugate(x):
    """Alias of ``conj``."""
    return conj(x)


@_export
def real(x):
    """Real part."""
    xp, fw, x = _one("real", x)
    return xp.real(x) if dtype_name(x).startswith("complex") else x


@_export
def imag(x):
    """Imaginary part (zeros for real inputs)."""
    xp, fw, x = _one("imag", x)
    return xp.imag(x) if dtype_name(x).startswith("complex") else xp.zeros_like(x)


@_export
def angle(x):
    """Argument of complex numbers (float inputs: 0 or pi)."""
    xp, fw, x = _one("angle", x)
    if dtype_name(x).startswith("complex"):
        return xp.atan2(xp.imag(x), xp.real(x))
    x = to_float(xp, fw, x)
    return xp.atan2(xp.zeros_like(x), x)


def _make_predicate(name, fn, doc):
    def op(x):
        xp, fw, x = _one(name, x)
        return fn(xp, x, dtype_name(x))

    op.__name__ = op.__qualname__ = name
    op.__doc__ = doc
    return _export(op)


isfinite = _make_predicate(
    "isfinite", lambda xp, x, d: xp.isfinite(x) if _is_float_name(d) else xp.ones_like(x, dtype=xp.bool),
    "True where ``x`` is finite.")
isinf = _make_predicate(
    "isinf", lambda xp, x, d: xp.isinf(x) if _is_float_name(d) else xp.zeros_like(x, dtype=xp.bool),
    "True where ``x`` is +/-inf.")
isnan = _make_predicate(
    "isnan", lambda xp, x, d: xp.isnan(x) if _is_float_name(d) else xp.zeros_like(x, dtype=xp.bool),
    "True where ``x`` is NaN.")
isposinf = _make_predicate(
    "isposinf", lambda xp, x, d: (xp.isinf(x) & (x > 0)) if _is_float_name(d) else xp.zeros_like(x, dtype=xp.bool),
    "True where ``x`` is +inf.")
isneginf = _make_predicate(
    "isneginf", lambda xp, x, d: (xp.isinf(x) & (x < 0)) if _is_float_name(d) else xp.zeros_like(x, dtype=xp.bool),
    "True where ``x`` is -inf.")
isreal = _make_predicate(
    "isreal", lambda xp, x, d: (xp.imag(x) == 0) if d.startswith("complex") else xp.ones_like(x, dtype=xp.bool),
    "True where ``x`` has no imaginary part.")
signbit = _make_predicate(
    "signbit", lambda xp, x, d: xp.signbit(x) if _is_float_name(d)
    else (x < 0) if d != "bool" else xp.zeros_like(x, dtype=xp.bool),
    "True where the sign bit of ``x`` is set.")


def _to_bool(xp, fw, x):
    return x if dtype_name(x) == "bool" else x != 0


@_export
def logical_not(x):
    """Elementwise NOT of the truth values of ``x``."""
    xp, fw, x = _one("logical_not", x)
    return xp.logical_not(_to_bool(xp, fw, x))


@_export
def nan_to_num(x, nan=0.0, posinf=None, neginf=None):
    """Replace NaN with ``nan`` and +/-inf with ``posinf``/``neginf`` (default: the
    largest/smallest finite value of the dtype)."""
    xp, fw, x = _one("nan_to_num", x)
    d = dtype_name(x)
    if not _is_float_name(d):
        return x
    info = xp.finfo(x.dtype)
    posinf = float(info.max) if posinf is None else posinf
    neginf = float(info.min) if neginf is None else neginf
    x = xp.where(xp.isnan(x), to_array(xp, fw, nan, d), x)
    x = xp.where(xp.isinf(x) & (x > 0), to_array(xp, fw, posinf, d), x)
    return xp.where(xp.isinf(x) & (x < 0), to_array(xp, fw, neginf, d), x)


@_export
def clip(x, x_min, x_max):
    """``x`` limited to ``[x_min, x_max]`` (bool gives int32)."""
    xp, fw = resolve("clip", x, x_min, x_max)
    x = to_array(xp, fw, x)
    d = dtype_name(x)
    if d == "bool":
        x, d = cast_to(xp, fw, x, "int32"), "int32"
    lo = to_array(xp, fw, x_min, d) if x_min is not None else None
    hi = to_array(xp, fw, x_max, d) if x_max is not None else None
    if lo is not None:
        x = xp.maximum(x, lo)
    if hi is not None:
        x = xp.minimum(x, hi)
    return x


# --------------------------------------------------------------------------------------
# elementwise binary

def _two(op, x1, x2, *extra_types):
    """(xp, fw, a, b, dtype) with both operands as arrays of the Keras result dtype."""
    xp, fw = resolve(op, x1, x2)
    if framework_of(x1) is None and not isinstance(x1, (bool, int, float, complex)):
        x1 = to_array(xp, fw, x1)
    if framework_of(x2) is None and not isinstance(x2, (bool, int, float, complex)):
        x2 = to_array(xp, fw, x2)
    d = result_type(x1, x2, *extra_types)
    try:
        a = to_array(xp, fw, x1, d)
        b = to_array(xp, fw, x2, d)
    except (TypeError, ValueError) as e:
        raise op_error(op, f"expected numeric arrays or scalars; received {type(x1).__name__} "
                       f"and {type(x2).__name__} ({e})", TypeError) from None
    return xp, fw, a, b, d


def _make_binary(name, body, doc, extra=()):
    def op(x1, x2):
        xp, fw, a, b, d = _two(name, x1, x2, *extra)
        try:
            return _keep(xp, fw, body(xp, fw, a, b, d), d)
        except Exception as e:  # noqa: BLE001 - each framework words shape errors its own way
            m = str(e).lower()
            if tuple(a.shape) != tuple(b.shape) and ("broadcast" in m or "size of tensor" in m
                                                     or "shape" in m):
                raise op_error(name, f"expected shapes that broadcast together; received "
                               f"{tuple(a.shape)} and {tuple(b.shape)}") from None
            raise

    op.__name__ = op.__qualname__ = name
    op.__doc__ = doc
    return _export(op)


def _int_if_bool(xp, fw, a, b, d):
    if d == "bool":
        return cast_to(xp, fw, a, "int32"), cast_to(xp, fw, b, "int32"), "int32"
    return a, b, d


def _add(xp, fw, a, b, d):
    if d == "bool":
        return xp.logical_or(a, b)
    return xp.add(a, b)


def _multiply(xp, fw, a, b, d):
    if d == "bool":
        return xp.logical_and(a, b)
    return xp.multiply(a, b)


def _subtract(xp, fw, a, b, d):
    if d == "bool":
        raise op_error("subtract", "expected numeric arrays; received two bool arrays", TypeError)
    return xp.subtract(a, b)


def _floor_divide(xp, fw, a, b, d):
    a, b, d = _int_if_bool(xp, fw, a, b, d)
    return xp.floor_divide(a, b)


def _mod(xp, fw, a, b, d):
    a, b, d = _int_if_bool(xp, fw, a, b, d)
    return xp.remainder(a, b)


def _fmod(xp, fw, a, b, d):
    a, b, d = _int_if_bool(xp, fw, a, b, d)
    r = xp.remainder(a, b)
    fix = (r != 0) & ((r < 0) != (a < 0))
    return xp.where(fix, r - b, r)


def _power(xp, fw, a, b, d):
    a, b, d = _int_if_bool(xp, fw, a, b, d)
    return xp.pow(a, b)


def _divide_no_nan(xp, fw, a, b, d):
    zero = b == 0
    safe = xp.where(zero, xp.ones_like(b), b)
    return xp.where(zero, xp.zeros_like(a), a / safe)


def _fmax(xp, fw, a, b, d):
    if not _is_float_name(d):
        return xp.maximum(a, b)
    return xp.where(xp.isnan(a), b, xp.where(xp.isnan(b), a, xp.maximum(a, b)))


def _fmin(xp, fw, a, b, d):
    if not _is_float_name(d):
        return xp.minimum(a, b)
    return xp.where(xp.isnan(a), b, xp.where(xp.isnan(b), a, xp.minimum(a, b)))


def _heaviside(xp, fw, a, b, d):
    return xp.where(a < 0, xp.zeros_like(a), xp.where(a > 0, xp.ones_like(a), b))


def _logaddexp2(xp, fw, a, b, d):
    ln2 = _math.log(2.0)
    return xp.logaddexp(a * ln2, b * ln2) / ln2


def _ldexp(xp, fw, a, b, d):
    return a * xp.pow(to_array(xp, fw, 2.0, d), b)


_FLOAT = (float,)
for _name, _body, _doc, _extra in [
    ("add", _add, "``x1 + x2`` with Keras dtype promotion.", ()),
    ("subtract", _subtract, "``x1 - x2``.", ()),
    ("multiply", _multiply, "``x1 * x2``.", ()),
    ("divide", lambda xp, fw, a, b, d: xp.divide(a, b), "True division (ints give floatx).", _FLOAT),
    ("true_divide", lambda xp, fw, a, b, d: xp.divide(a, b), "Alias of ``divide``.", _FLOAT),
    ("divide_no_nan", _divide_no_nan, "``x1 / x2`` with 0 where ``x2 == 0``.", _FLOAT),
    ("floor_divide", _floor_divide, "``x1 // x2``.", ()),
    ("mod", _mod, "Remainder with the sign of the divisor.", ()),
    ("fmod", _fmod, "Remainder with the sign of the dividend.", ()),
    ("power", _power, "``x1 ** x2``.", ()),
    ("maximum", lambda xp, fw, a, b, d: xp.maximum(a, b), "Elementwise maximum.", ()),
    ("minimum", lambda xp, fw, a, b, d: xp.minimum(a, b), "Elementwise minimum.", ()),
    ("fmax", _fmax, "Elementwise maximum ignoring NaN.", ()),
    ("fmin", _fmin, "Elementwise minimum ignoring NaN.", ()),
    ("arctan2", lambda xp, fw, a, b, d: xp.atan2(a, b), "Quadrant-aware ``arctan(x1 / x2)``.", _FLOAT),
    ("logaddexp", lambda xp, fw, a, b, d: xp.logaddexp(a, b), "``log(exp(x1) + exp(x2))``.", _FLOAT),
    ("logaddexp2", _logaddexp2, "``log2(2**x1 + 2**x2)``.", _FLOAT),
    ("hypot", lambda xp, fw, a, b, d: xp.hypot(a, b), "``sqrt(x1**2 + x2**2)``.", _FLOAT),
    ("copysign", lambda xp, fw, a, b, d: xp.copysign(a, b), "``|x1|`` with the sign of ``x2``.", _FLOAT),
    ("heaviside", _heaviside, "Heaviside step: 0 below zero, 1 above, ``x2`` at zero.", _FLOAT),
    ("nextafter", lambda xp, fw, a, b, d: _need(xp, fw, "nextafter")(a, b), "Next float after ``x1`` towards ``x2``.", _FLOAT),
    ("ldexp", _ldexp, "``x1 * 2 ** x2``.", _FLOAT),
]:
    globals()[_name] = _make_binary(_name, _body, _doc, _extra)


def _cmp(xp_name):
    return lambda xp, fw, a, b, d: getattr(xp, xp_name)(a, b)


for _name, _xpn in [("equal", "equal"), ("not_equal", "not_equal"), ("greater", "greater"),
                    ("greater_equal", "greater_equal"), ("less", "less"), ("less_equal", "less_equal")]:
    globals()[_name] = _make_binary(_name, _cmp(_xpn), f"Elementwise ``{_name}`` (bool result).")


def _logical(xp_name):
    return lambda xp, fw, a, b, d: getattr(xp, xp_name)(_to_bool(xp, fw, a), _to_bool(xp, fw, b))


for _name in ("logical_and", "logical_or", "logical_xor"):
    globals()[_name] = _make_binary(_name, _logical(_name), f"Elementwise ``{_name}`` of truth values.")


def _bitwise(xp_name):
    def body(xp, fw, a, b, d):
        if d in FLOATS or d.startswith("complex"):
            raise op_error(xp_name, f"expected integer or bool arrays; received dtype {d}", TypeError)
        return getattr(xp, xp_name)(a, b)
    return body


for _name, _xpn in [("bitwise_and", "bitwise_and"), ("bitwise_or", "bitwise_or"),
                    ("bitwise_xor", "bitwise_xor"), ("bitwise_left_shift", "bitwise_left_shift"),
                    ("bitwise_right_shift", "bitwise_right_shift"),
                    ("left_shift", "bitwise_left_shift"), ("right_shift", "bitwise_right_shift")]:
    globals()[_name] = _make_binary(_name, _bitwise(_xpn), f"Elementwise ``{_xpn}``.")


@_export
def bitwise_invert(x):
    """Elementwise bitwise NOT."""
    xp, fw, x = _one("bitwise_invert", x)
    return xp.bitwise_invert(x)


@_export
def bitwise_not(x):
    """Alias of ``bitwise_invert``."""
    return bitwise_invert(x)


@_export
def isclose(x1, x2, rtol=1e-5, atol=1e-8, equal_nan=False):
    """``|x1 - x2| <= atol + rtol * |x2|`` elementwise."""
    xp, fw, a, b, d = _two("isclose", x1, x2)
    if not _is_float_name(d):
        return a == b
    close = xp.abs(a - b) <= atol + rtol * xp.abs(b)
    close = xp.where(xp.isinf(a) | xp.isinf(b), a == b, close)
    if equal_nan:
        close = close | (xp.isnan(a) & xp.isnan(b))
    return close


@_export
def allclose(x1, x2, rtol=1e-5, atol=1e-8, equal_nan=False):
    """True when every element is ``isclose``."""
    xp, fw = resolve("allclose", x1, x2)
    return xp.all(isclose(x1, x2, rtol=rtol, atol=atol, equal_nan=equal_nan))


# --------------------------------------------------------------------------------------
# reductions

def _sum_dtype(d):
    if d in ("bool", "int8", "int16"):
        return "int32"
    if d in ("uint8", "uint16"):
        return "uint32"
    return d


@_export
def sum(x, axis=None, keepdims=False):
    """Sum over ``axis`` (bool/int8/int16 give int32; uint8/uint16 give uint32)."""
    xp, fw, x = _one("sum", x)
    d = _sum_dtype(dtype_name(x))
    return _accumulate(xp, fw, xp.sum, x, _axis(axis), keepdims, d)


def _accumulate(xp, fw, fn, x, axis, keepdims, d):
    try:
        return fn(x, axis=axis, keepdims=keepdims, dtype=dtype_obj(xp, fw, d))
    except (NotImplementedError, RuntimeError, TypeError):
        # e.g. torch has no uint32 sums on CPU: accumulate in int64, then cast
        if d not in INTS:
            raise
        out = fn(cast_to(xp, fw, x, "int64"), axis=axis, keepdims=keepdims)
        return cast_to(xp, fw, out, d)


@_export
def prod(x, axis=None, keepdims=False, dtype=None):
    """Product over ``axis`` (accumulation dtype as ``sum``)."""
    xp, fw, x = _one("prod", x)
    d = standardize_dtype(dtype) if dtype is not None else _sum_dtype(dtype_name(x))
    return _accumulate(xp, fw, xp.prod, x, _axis(axis), keepdims, d)


@_export
def mean(x, axis=None, keepdims=False):
    """Mean over ``axis`` (ints/bool give float32; float16 accumulates in float32)."""
    xp, fw, x = _one("mean", x)
    d = dtype_name(x)
    compute = result_type(d, "float32")
    out = xp.mean(cast_to(xp, fw, x, compute), axis=_axis(axis), keepdims=keepdims)
    return out if d not in FLOATS else cast_to(xp, fw, out, d)


def _var(op, x, axis, keepdims, sqrt):
    xp, fw, x = _one(op, x)
    d = dtype_name(x)
    compute = result_type(d, "float32")
    out = xp.var(cast_to(xp, fw, x, compute), axis=_axis(axis), keepdims=keepdims)
    if sqrt:
        out = xp.sqrt(out)
    return cast_to(xp, fw, out, result_type(d, float))


@_export
def var(x, axis=None, keepdims=False):
    """Population variance over ``axis``."""
    return _var("var", x, axis, keepdims, False)


@_export
def std(x, axis=None, keepdims=False):
    """Population standard deviation over ``axis``."""
    return _var("std", x, axis, keepdims, True)


def _maxmin(op, fn, x, axis, keepdims, initial):
    xp, fw, x = _one(op, x)
    ax = _axis(axis)
    empty_ = _nelems(x) == 0
    if empty_:
        if initial is None:
            raise op_error(op, f"expected a non-empty array or an initial value; received shape "
                           f"{tuple(x.shape)}")
    if dtype_name(x) == "bool":
        red = xp.any if fn == "max" else xp.all
        out = red(x, axis=ax, keepdims=keepdims)
    elif initial is not None and empty_:
        shape = [1 if (ax is None or i in (ax if isinstance(ax, tuple) else (ax,)) or i - x.ndim in
                       (ax if isinstance(ax, tuple) else (ax,))) else s for i, s in enumerate(x.shape)]
        if not keepdims:
            shape = [s for i, s in enumerate(x.shape) if not (ax is None or i in (ax if isinstance(ax, tuple) else (ax,)))]
        return xp.full(tuple(shape), initial, dtype=x.dtype)
    else:
        out = getattr(xp, fn)(x, axis=ax, keepdims=keepdims)
    if initial is not None:
        init = to_array(xp, fw, initial, dtype_name(x))
        out = xp.maximum(out, init) if fn == "max" else xp.minimum(out, init)
    return out


@_export
def max(x, axis=None, keepdims=False, initial=None):
    """Maximum over ``axis``."""
    return _maxmin("max", "max", x, axis, keepdims, initial)


@_export
def min(x, axis=None, keepdims=False, initial=None):
    """Minimum over ``axis``."""
    return _maxmin("min", "min", x, axis, keepdims, initial)


@_export
def amax(x, axis=None, keepdims=False):
    """Maximum over ``axis``."""
    return _maxmin("amax", "max", x, axis, keepdims, None)


@_export
def amin(x, axis=None, keepdims=False):
    """Minimum over ``axis``."""
    return _maxmin("amin", "min", x, axis, keepdims, None)


@_export
def ptp(x, axis=None, keepdims=False):
    """``max - min`` over ``axis``."""
    xp, fw, x = _one("ptp", x)
    if dtype_name(x) == "bool":
        raise op_error("ptp", "expected a numeric array; received dtype bool", TypeError)
    ax = _axis(axis)
    return xp.max(x, axis=ax, keepdims=keepdims) - xp.min(x, axis=ax, keepdims=keepdims)


@_export
def all(x, axis=None, keepdims=False):
    """True where all elements along ``axis`` are truthy."""
    xp, fw, x = _one("all", x)
    return xp.all(_to_bool(xp, fw, x), axis=_axis(axis), keepdims=keepdims)


@_export
def any(x, axis=None, keepdims=False):
    """True where any element along ``axis`` is truthy."""
    xp, fw, x = _one("any", x)
    return xp.any(_to_bool(xp, fw, x), axis=_axis(axis), keepdims=keepdims)


def _arg(op, x, axis, keepdims):
    xp, fw, x = _one(op, x)
    if dtype_name(x) == "bool":
        x = cast_to(xp, fw, x, "int8")
    if axis is None:
        out = getattr(xp, op)(xp.reshape(x, (-1,)), axis=0)
        if keepdims:
            out = xp.reshape(out, (1,) * x.ndim)
    else:
        out = getattr(xp, op)(x, axis=int(axis), keepdims=keepdims)
    return cast_to(xp, fw, out, "int32")


@_export
def argmax(x, axis=None, keepdims=False):
    """Index of the maximum along ``axis`` (int32)."""
    return _arg("argmax", x, axis, keepdims)


@_export
def argmin(x, axis=None, keepdims=False):
    """Index of the minimum along ``axis`` (int32)."""
    return _arg("argmin", x, axis, keepdims)


@_export
def count_nonzero(x, axis=None):
    """Number of non-zero elements along ``axis`` (int32)."""
    xp, fw, x = _one("count_nonzero", x)
    out = xp.sum(cast_to(xp, fw, _to_bool(xp, fw, x), "int32"), axis=_axis(axis))
    return cast_to(xp, fw, out, "int32")


def _cum(op, x, axis, dtype):
    xp, fw, x = _one(op, x)
    d = standardize_dtype(dtype) if dtype is not None else dtype_name(x)
    if d == "bool":
        d = "int32"
    x = cast_to(xp, fw, x, d)
    if axis is None:
        x, axis = xp.reshape(x, (-1,)), 0
    name = "cumulative_sum" if op == "cumsum" else "cumulative_prod"
    fn = _xfn(xp, fw, name)
    if fn is None:  # sequential fallback
        x = xp.moveaxis(x, int(axis), 0)
        acc, outs = None, []
        for i in range(x.shape[0]):
            acc = x[i] if acc is None else (acc + x[i] if op == "cumsum" else acc * x[i])
            outs.append(acc)
        return xp.moveaxis(xp.stack(outs), 0, int(axis))
    return fn(x, axis=int(axis), dtype=dtype_obj(xp, fw, d))


@_export
def cumsum(x, axis=None, dtype=None):
    """Cumulative sum along ``axis`` (flattened when None; bool gives int32)."""
    return _cum("cumsum", x, axis, dtype)


@_export
def cumprod(x, axis=None, dtype=None):
    """Cumulative product along ``axis`` (flattened when None; bool gives int32)."""
    return _cum("cumprod", x, axis, dtype)


@_export
def average(x, axis=None, weights=None):
    """Weighted mean over ``axis`` (ints give floatx)."""
    xp, fw = resolve("average", x, weights)
    x = to_array(xp, fw, x)
    if weights is None:
        d = result_type(x, float)
        x = cast_to(xp, fw, x, d)
        return xp.mean(x, axis=_axis(axis))
    w = to_array(xp, fw, weights)
    d = result_type(x, w, float)
    x, w = cast_to(xp, fw, x, d), cast_to(xp, fw, w, d)
    if w.ndim != x.ndim:
        if axis is None or w.ndim != 1 or isinstance(axis, (tuple, list)):
            raise op_error("average", f"expected weights of shape {tuple(x.shape)} or 1-D along axis; "
                           f"received {tuple(w.shape)}")
        ax = int(axis) % x.ndim
        if w.shape[0] != x.shape[ax]:
            raise op_error("average", f"expected 1-D weights of length {x.shape[ax]} (axis {axis}); "
                           f"received shape {tuple(w.shape)}")
        w = xp.reshape(w, tuple(-1 if i == ax else 1 for i in range(x.ndim)))
    ax = _axis(axis)
    return xp.sum(x * w, axis=ax) / xp.sum(w * xp.ones_like(x), axis=ax)


def _move_reduced_last(xp, x, axis):
    """``x`` with the reduced axes merged into one last axis, and the kept shape."""
    if axis is None:
        return xp.reshape(x, (-1,)), None
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    axes = tuple(sorted(a % x.ndim for a in axes))
    keep = [i for i in range(x.ndim) if i not in axes]
    x = xp.permute_dims(x, tuple(keep) + axes)
    kept_shape = tuple(x.shape[: len(keep)])
    return xp.reshape(x, kept_shape + (-1,)), axes


@_export
def quantile(x, q, axis=None, method="linear", keepdims=False):
    """The ``q``-th quantiles (``q`` in [0, 1]) along ``axis``; methods linear, lower,
    higher, midpoint, nearest. ``q`` dims come first, as in NumPy."""
    if method not in ("linear", "lower", "higher", "midpoint", "nearest"):
        raise op_error("quantile", "expected method in ('linear', 'lower', 'higher', 'midpoint', "
                       f"'nearest'); received {method!r}")
    xp, fw = resolve("quantile", x, q)
    x = to_array(xp, fw, x)
    d = result_type(x, float)
    compute = result_type(d, "float32")
    x = cast_to(xp, fw, x, compute)
    flat, axes = _move_reduced_last(xp, x, _axis(axis))
    s = xp.sort(flat, axis=-1)
    n = s.shape[-1]
    qa = to_array(xp, fw, q, compute)
    q_shape = tuple(qa.shape)
    qf = xp.reshape(qa, (-1,))
    pos = qf * (n - 1)
    lo = xp.floor(pos)
    hi = xp.ceil(pos)
    if method == "nearest":
        idx = xp.astype(xp.round(pos), dtype_obj(xp, fw, "int64" if fw != "jax" else "int32"))
        out = xp.take(s, idx, axis=-1)
    else:
        it = dtype_obj(xp, fw, "int64" if fw != "jax" else "int32")
        v_lo = xp.take(s, xp.astype(lo, it), axis=-1)
        v_hi = xp.take(s, xp.astype(hi, it), axis=-1)
        out = _interpolate(method, v_lo, v_hi, pos - lo)
    return cast_to(xp, fw, _quantile_layout(xp, out, x, axes, keepdims, q_shape), d)


def _interpolate(method, v_lo, v_hi, frac):
    """Between the order statistics below and above a quantile's position."""
    if method == "lower":
        return v_lo
    if method == "higher":
        return v_hi
    if method == "midpoint":
        return (v_lo + v_hi) * 0.5
    return v_lo + (v_hi - v_lo) * frac


def _quantile_layout(xp, out, x, axes, keepdims, q_shape):
    """``kept_shape + (nq,)`` -> ``q_shape + kept_shape`` (reduced axes as 1 with keepdims)."""
    out = xp.moveaxis(out, -1, 0)
    if keepdims:
        kept = (1,) * x.ndim if axes is None else tuple(
            1 if i in axes else x.shape[i] for i in range(x.ndim))
        out = xp.reshape(out, (out.shape[0],) + kept)
    return xp.reshape(out, q_shape + tuple(out.shape[1:]))


def _percent_to_fraction(q):
    if framework_of(q) is not None:
        return q / 100.0
    q = np.asarray(q, dtype=np.float64) / 100.0
    return float(q) if q.ndim == 0 else q.tolist()


@_export
def percentile(x, q, axis=None, method="linear", keepdims=False):
    """``quantile`` with ``q`` in percent."""
    return quantile(x, _percent_to_fraction(q), axis=axis, method=method, keepdims=keepdims)


@_export
def median(x, axis=None, keepdims=False):
    """Median along ``axis`` (ints give floatx)."""
    return quantile(x, 0.5, axis=axis, keepdims=keepdims)


@_export
def trace(x, offset=0, axis1=0, axis2=1):
    """Sum of a diagonal (dtype as ``sum``)."""
    xp, fw, x = _one("trace", x)
    dg = diagonal(x, offset=offset, axis1=axis1, axis2=axis2)
    return xp.sum(dg, axis=-1, dtype=dtype_obj(xp, fw, _sum_dtype(dtype_name(x))))


def _nan_fill(op, x, fill):
    xp, fw, x = _one(op, x)
    if not _is_float_name(dtype_name(x)):
        return xp, fw, x, None
    nan = xp.isnan(x)
    return xp, fw, xp.where(nan, to_array(xp, fw, fill, dtype_name(x)), x), nan


@_export
def nansum(x, axis=None, keepdims=False):
    """``sum`` ignoring NaN."""
    xp, fw, x, _ = _nan_fill("nansum", x, 0)
    return sum(x, axis=axis, keepdims=keepdims)


@_export
def nanprod(x, axis=None, keepdims=False):
    """``prod`` ignoring NaN."""
    xp, fw, x, _ = _nan_fill("nanprod", x, 1)
    return prod(x, axis=axis, keepdims=keepdims)


@_export
def nanmax(x, axis=None, keepdims=False):
    """``max`` ignoring NaN (NaN where all are NaN)."""
    xp, fw, x, nan = _nan_fill("nanmax", x, -_math.inf)
    out = max(x, axis=axis, keepdims=keepdims)
    if nan is None:
        return out
    return xp.where(xp.all(nan, axis=_axis(axis), keepdims=keepdims), to_array(xp, fw, _math.nan, dtype_name(out)), out)


@_export
def nanmin(x, axis=None, keepdims=False):
    """``min`` ignoring NaN (NaN where all are NaN)."""
    xp, fw, x, nan = _nan_fill("nanmin", x, _math.inf)
    out = min(x, axis=axis, keepdims=keepdims)
    if nan is None:
        return out
    return xp.where(xp.all(nan, axis=_axis(axis), keepdims=keepdims), to_array(xp, fw, _math.nan, dtype_name(out)), out)


@_export
def nanmean(x, axis=None, keepdims=False):
    """``mean`` ignoring NaN."""
    xp, fw, x = _one("nanmean", x)
    d = dtype_name(x)
    if not _is_float_name(d):
        return mean(x, axis=axis, keepdims=keepdims)
    compute = result_type(d, "float32")
    xc = cast_to(xp, fw, x, compute)
    ok = xp.logical_not(xp.isnan(xc))
    total = xp.sum(xp.where(ok, xc, xp.zeros_like(xc)), axis=_axis(axis), keepdims=keepdims)
    count = xp.sum(cast_to(xp, fw, ok, compute), axis=_axis(axis), keepdims=keepdims)
    return cast_to(xp, fw, total / count, d)


@_export
def nanvar(x, axis=None, keepdims=False):
    """``var`` ignoring NaN."""
    xp, fw, x = _one("nanvar", x)
    d = dtype_name(x)
    if not _is_float_name(d):
        return var(x, axis=axis, keepdims=keepdims)
    m = nanmean(cast_to(xp, fw, x, result_type(d, "float32")), axis=axis, keepdims=True)
    dev = cast_to(xp, fw, x, dtype_name(m)) - m
    return cast_to(xp, fw, nanmean(dev * dev, axis=axis, keepdims=keepdims), d)


@_export
def nanstd(x, axis=None, keepdims=False):
    """``std`` ignoring NaN."""
    xp, fw, x = _one("nanstd", x)
    return xp.sqrt(nanvar(x, axis=axis, keepdims=keepdims))


@_export
def nancumsum(x, axis=None, dtype=None):
    """``cumsum`` treating NaN as 0."""
    xp, fw, x, _ = _nan_fill("nancumsum", x, 0)
    return cumsum(x, axis=axis, dtype=dtype)


@_export
def nancumprod(x, axis=None, dtype=None):
    """``cumprod`` treating NaN as 1."""
    xp, fw, x, _ = _nan_fill("nancumprod", x, 1)
    return cumprod(x, axis=axis, dtype=dtype)


# --------------------------------------------------------------------------------------
# creation

def _creation_ns(op):
    return resolve(op)


@_export
def arange(start, stop=None, step=None, dtype=None):
    """Evenly spaced values in ``[start, stop)``; int32 for Python ints, floatx when any
    bound is a float."""
    vals = [v for v in (start, stop, step) if v is not None]
    xp, fw = resolve("arange", *vals)
    if dtype is None:
        dtype = result_type(*[v if not hasattr(v, "dtype") else v for v in vals])
    d = standardize_dtype(dtype)
    start, stop, step = (_scalar(v) for v in (start, stop, step))
    if step is None:
        step = 1
    return xp.arange(start, stop, step, dtype=dtype_obj(xp, fw, d))


__all__.append("arange")


def _scalar(v):
    if v is None or isinstance(v, (int, float)):
        return v
    return np.asarray(_xp.to_numpy(v)).item()


def _shape(shape):
    if isinstance(shape, (int, np.integer)):
        return (int(shape),)
    return tuple(int(s) for s in shape)


def _dt(dtype):
    return floatx() if dtype is None else standardize_dtype(dtype)


@_export
def zeros(shape, dtype=None):
    """Zeros of ``shape`` (floatx by default) in the default framework."""
    xp, fw = resolve("zeros")
    return xp.zeros(_shape(shape), dtype=dtype_obj(xp, fw, _dt(dtype)))


@_export
def ones(shape, dtype=None):
    """Ones of ``shape`` (floatx by default) in the default framework."""
    xp, fw = resolve("ones")
    return xp.ones(_shape(shape), dtype=dtype_obj(xp, fw, _dt(dtype)))


@_export
def empty(shape, dtype=None):
    """An uninitialised array of ``shape`` (floatx by default)."""
    xp, fw = resolve("empty")
    return xp.empty(_shape(shape), dtype=dtype_obj(xp, fw, _dt(dtype)))


@_export
def full(shape, fill_value, dtype=None):
    """``shape`` filled with ``fill_value`` (floatx by default)."""
    xp, fw = resolve("full", fill_value)
    d = _dt(dtype)
    if framework_of(fill_value) is not None:
        v = to_array(xp, fw, fill_value, d)
        return xp.broadcast_to(v, _shape(shape)) * xp.ones(_shape(shape), dtype=v.dtype)
    return xp.full(_shape(shape), fill_value, dtype=dtype_obj(xp, fw, d))


def _like(op, x, dtype):
    xp, fw, x = _one(op, x)
    d = dtype_name(x) if dtype is None else standardize_dtype(dtype)
    return xp, fw, x, dtype_obj(xp, fw, d)


@_export
def zeros_like(x, dtype=None):
    """Zeros with the shape (and dtype, unless given) of ``x``."""
    xp, fw, x, d = _like("zeros_like", x, dtype)
    return xp.zeros_like(x, dtype=d)


@_export
def ones_like(x, dtype=None):
    """Ones with the shape (and dtype, unless given) of ``x``."""
    xp, fw, x, d = _like("ones_like", x, dtype)
    return xp.ones_like(x, dtype=d)


@_export
def empty_like(x, dtype=None):
    """Uninitialised array shaped like ``x``."""
    xp, fw, x, d = _like("empty_like", x, dtype)
    return xp.empty_like(x, dtype=d)


@_export
def full_like(x, fill_value, dtype=None):
    """``fill_value`` with the shape (and dtype, unless given) of ``x``."""
    xp, fw, x, d = _like("full_like", x, dtype)
    if framework_of(fill_value) is not None:
        return xp.zeros_like(x, dtype=d) + to_array(xp, fw, fill_value, standardize_dtype(d))
    return xp.full_like(x, fill_value, dtype=d)


@_export
def eye(N, M=None, k=0, dtype=None):
    """A 2-D array with ones on the ``k``-th diagonal (floatx by default)."""
    xp, fw = resolve("eye")
    return xp.eye(int(N), None if M is None else int(M), k=int(k), dtype=dtype_obj(xp, fw, _dt(dtype)))


@_export
def identity(n, dtype=None):
    """The ``n`` x ``n`` identity matrix."""
    return eye(n, dtype=dtype)


@_export
def tri(N, M=None, k=0, dtype=None):
    """Ones at and below the ``k``-th diagonal."""
    xp, fw = resolve("tri")
    M = N if M is None else M
    rows = xp.arange(int(N))[:, None]
    cols = xp.arange(int(M))[None, :]
    return xp.astype(cols - rows <= k, dtype_obj(xp, fw, _dt(dtype)))


@_export
def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    """``num`` evenly spaced values from ``start`` to ``stop`` (floatx by default)."""
    xp, fw = resolve("linspace", start, stop)
    d = _dt(dtype)
    compute = "float64" if fw != "jax" and d != "float64" and fw != "tensorflow" else d
    compute = d if not (d in FLOATS) else compute
    if compute not in FLOATS:
        compute = floatx()
    a = to_array(xp, fw, start, compute)
    b = to_array(xp, fw, stop, compute)
    num = int(num)
    div = (num - 1) if endpoint else num
    steps = xp.arange(num, dtype=dtype_obj(xp, fw, compute))
    shape = tuple(a.shape) if a.ndim >= b.ndim else tuple(b.shape)
    a = xp.broadcast_to(a, xp.broadcast_shapes(tuple(a.shape), tuple(b.shape))) if shape else a
    b = xp.broadcast_to(b, tuple(a.shape)) if shape else b
    steps = xp.reshape(steps, (num,) + (1,) * a.ndim)
    delta = (b - a) / div if div > 0 else (b - a) * 0
    out = a + steps * delta
    if endpoint and num > 1:
        out = xp.concat([out[:-1], b[None, ...]], axis=0)
    if axis != 0:
        out = xp.moveaxis(out, 0, axis)
    if d in INTS:
        out = xp.floor(out)
    out = cast_to(xp, fw, out, d)
    if retstep:
        return out, cast_to(xp, fw, delta, d if d in FLOATS else floatx())
    return out


@_export
def logspace(start, stop, num=50, endpoint=True, base=10, dtype=None, axis=0):
    """``base ** linspace(start, stop)``."""
    xp, fw = resolve("logspace", start, stop)
    d = _dt(dtype)
    exps = linspace(start, stop, num=num, endpoint=endpoint, dtype=floatx() if d not in FLOATS else d, axis=axis)
    out = xp.pow(to_array(xp, fw, base, dtype_name(exps)), exps)
    return cast_to(xp, fw, out, d)


@_export
def geomspace(start, stop, num=50, endpoint=True, dtype=None, axis=0):
    """Numbers spaced evenly on a log scale from ``start`` to ``stop``."""
    xp, fw = resolve("geomspace", start, stop)
    d = _dt(dtype)
    a = to_array(xp, fw, start, floatx() if d not in FLOATS else d)
    b = to_array(xp, fw, stop, dtype_name(a))
    sign_ = xp.sign(a)
    out = logspace(xp.log10(xp.abs(a)), xp.log10(xp.abs(b)), num=num, endpoint=endpoint,
                   dtype=dtype_name(a), axis=axis)
    out = out * sign_
    return cast_to(xp, fw, out, d)


@_export
def array(x, dtype=None):
    """``x`` as an array (see ``convert_to_tensor``)."""
    from .core import convert_to_tensor

    return convert_to_tensor(x, dtype=dtype)


@_export
def copy(x):
    """A copy of ``x``."""
    xp, fw, x = _one("copy", x)
    return xp.asarray(x, copy=True)


@_export
def meshgrid(*x, indexing="xy"):
    """Coordinate grids from 1-D arrays."""
    if indexing not in ("xy", "ij"):
        raise op_error("meshgrid", f"expected indexing 'xy' or 'ij'; received {indexing!r}")
    xp, fw = resolve("meshgrid", *x)
    arrs = [to_array(xp, fw, v) for v in x]
    d = result_type(*arrs) if arrs else floatx()
    return list(xp.meshgrid(*[cast_to(xp, fw, a, d) for a in arrs], indexing=indexing))


# --------------------------------------------------------------------------------------
# shapes and indexing

@_export
def ndim(x):
    """The number of dimensions of ``x``."""
    if hasattr(x, "ndim"):
        return x.ndim
    return np.ndim(x)


@_export
def size(x):
    """The number of elements of ``x``."""
    if hasattr(x, "shape"):
        return int(np.prod([int(s) for s in x.shape], dtype=np.int64))
    return int(np.size(x))


@_export
def reshape(x, newshape):
    """``x`` with shape ``newshape`` (one -1 allowed)."""
    xp, fw, x = _one("reshape", x)
    shp = _shape(newshape)
    try:
        return xp.reshape(x, shp)
    except Exception as e:  # framework errors differ; give Keras-style context
        raise op_error("reshape", f"cannot reshape an array of shape {tuple(x.shape)} "
                       f"({size(x)} elements) into {shp} ({e})") from None


@_export
def ravel(x):
    """``x`` flattened to 1-D."""
    xp, fw, x = _one("ravel", x)
    return xp.reshape(x, (-1,))


@_export
def transpose(x, axes=None):
    """``x`` with axes permuted (reversed when None)."""
    xp, fw, x = _one("transpose", x)
    if axes is None:
        axes = tuple(range(x.ndim))[::-1]
    axes = tuple(int(a) % x.ndim for a in axes) if x.ndim else tuple(axes)
    if sorted(axes) != list(range(x.ndim)):
        raise op_error("transpose", f"expected a permutation of range({x.ndim}); received axes {axes}")
    return xp.permute_dims(x, axes)


@_export
def swapaxes(x, axis1, axis2):
    """``x`` with ``axis1`` and ``axis2`` exchanged."""
    xp, fw, x = _one("swapaxes", x)
    perm = list(range(x.ndim))
    a, b = int(axis1) % x.ndim, int(axis2) % x.ndim
    perm[a], perm[b] = perm[b], perm[a]
    return xp.permute_dims(x, tuple(perm))


@_export
def moveaxis(x, source, destination):
    """``x`` with axes moved from ``source`` to ``destination``."""
    xp, fw, x = _one("moveaxis", x)
    return xp.moveaxis(x, source if isinstance(source, int) else tuple(source),
                       destination if isinstance(destination, int) else tuple(destination))


@_export
def expand_dims(x, axis):
    """``x`` with new size-1 axes at ``axis`` (an int or tuple)."""
    xp, fw, x = _one("expand_dims", x)
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    out_ndim = x.ndim + len(axes)
    axes = sorted(a % out_ndim for a in axes)
    for a in axes:
        x = xp.expand_dims(x, axis=a)
    return x


@_export
def squeeze(x, axis=None):
    """``x`` without size-1 axes (those in ``axis`` when given)."""
    xp, fw, x = _one("squeeze", x)
    if axis is None:
        axes = tuple(i for i, s in enumerate(x.shape) if s == 1)
    else:
        axes = (axis,) if isinstance(axis, int) else tuple(axis)
        axes = tuple(a % x.ndim for a in axes)
        bad = [a for a in axes if x.shape[a] != 1]
        if bad:
            raise op_error("squeeze", f"expected axis {bad[0]} to have size 1; received shape "
                           f"{tuple(x.shape)}")
    if not axes:
        return x
    return xp.squeeze(x, axis=axes)


@_export
def broadcast_to(x, shape):
    """``x`` broadcast to ``shape``."""
    xp, fw, x = _one("broadcast_to", x)
    try:
        return xp.broadcast_to(x, _shape(shape))
    except Exception:
        raise op_error("broadcast_to", f"cannot broadcast shape {tuple(x.shape)} to "
                       f"{_shape(shape)}") from None


def _seq(op, xs):
    if framework_of(xs) is not None:
        xp, fw = resolve(op, xs)
        return xp, fw, [xs[i] for i in range(xs.shape[0])]
    xp, fw = resolve(op, *xs)
    arrs = [to_array(xp, fw, v) if framework_of(v) is not None or isinstance(v, (list, tuple))
            else v for v in xs]
    d = result_type(*arrs) if arrs else floatx()
    return xp, fw, [to_array(xp, fw, a, d) for a in arrs]


@_export
def concatenate(xs, axis=0):
    """Join arrays along an existing ``axis`` (None: flatten first)."""
    xp, fw, arrs = _seq("concatenate", xs)
    if axis is None:
        arrs, axis = [xp.reshape(a, (-1,)) for a in arrs], 0
    ndims = {a.ndim for a in arrs}
    if len(ndims) > 1:
        raise op_error("concatenate", f"expected arrays of the same rank; received shapes "
                       f"{[tuple(a.shape) for a in arrs]}")
    try:
        return xp.concat(arrs, axis=int(axis))
    except Exception:
        raise op_error("concatenate", f"expected shapes equal except on axis {axis}; received "
                       f"{[tuple(a.shape) for a in arrs]}") from None


@_export
def append(x1, x2, axis=None):
    """``x2`` appended to ``x1`` along ``axis`` (flattened when None)."""
    return concatenate([x1, x2], axis=axis)


@_export
def stack(x, axis=0):
    """Join arrays along a new ``axis``."""
    xp, fw, arrs = _seq("stack", x)
    shapes = {tuple(a.shape) for a in arrs}
    if len(shapes) > 1:
        raise op_error("stack", f"expected arrays of one shape; received {[tuple(a.shape) for a in arrs]}")
    return xp.stack(arrs, axis=int(axis))


def _atleast(xp, a, n):
    if a.ndim >= n:
        return a
    if n == 1:
        return xp.reshape(a, (1,))
    if n == 2:
        return xp.reshape(a, (1, -1)) if a.ndim <= 1 else a
    if a.ndim == 0:
        return xp.reshape(a, (1, 1, 1))
    if a.ndim == 1:
        return xp.reshape(a, (1, -1, 1))
    return xp.expand_dims(a, axis=-1)


@_export
def hstack(xs):
    """Stack horizontally (axis 1, or 0 for 1-D arrays)."""
    xp, fw, arrs = _seq("hstack", xs)
    arrs = [_atleast(xp, a, 1) for a in arrs]
    return xp.concat(arrs, axis=0 if arrs[0].ndim == 1 else 1)


@_export
def vstack(xs):
    """Stack vertically (axis 0 of at-least-2-D arrays)."""
    xp, fw, arrs = _seq("vstack", xs)
    return xp.concat([_atleast(xp, a, 2) for a in arrs], axis=0)


@_export
def dstack(xs):
    """Stack along the third axis."""
    xp, fw, arrs = _seq("dstack", xs)
    return xp.concat([_atleast(xp, a, 3) for a in arrs], axis=2)


@_export
def column_stack(xs):
    """Stack 1-D arrays as columns."""
    xp, fw, arrs = _seq("column_stack", xs)
    arrs = [xp.reshape(a, (-1, 1)) if a.ndim < 2 else a for a in arrs]
    return xp.concat(arrs, axis=1)


def _split_points(n, indices_or_sections, op, even=True):
    if isinstance(indices_or_sections, (int, np.integer)):
        k = int(indices_or_sections)
        if k <= 0:
            raise op_error(op, f"expected a positive number of sections; received {k}")
        if even and n % k:
            raise op_error(op, f"expected a number of sections that divides the axis size {n}; "
                           f"received {k}")
        q, r = divmod(n, k)
        sizes = [q + 1] * r + [q] * (k - r)
        pts, acc = [], 0
        for s in sizes[:-1]:
            acc += s
            pts.append(acc)
        return pts
    return [int(i) for i in indices_or_sections]


def _split(op, x, indices_or_sections, axis, even):
    xp, fw, x = _one(op, x)
    axis = int(axis) % x.ndim
    n = x.shape[axis]
    pts = [0] + _split_points(n, indices_or_sections, op, even) + [n]
    out = []
    for a, b in zip(pts[:-1], pts[1:]):
        key = (builtins.slice(None),) * axis + (builtins.slice(_bmin(a, n), _bmax(_bmin(b, n), _bmin(a, n))),)
        out.append(x[key])
    return out


@_export
def split(x, indices_or_sections, axis=0):
    """Split ``x`` into equal sections or at indices along ``axis``."""
    return _split("split", x, indices_or_sections, axis, True)


@_export
def array_split(x, indices_or_sections, axis=0):
    """``split`` allowing unequal sections."""
    return _split("array_split", x, indices_or_sections, axis, False)


@_export
def hsplit(x, indices_or_sections):
    """``split`` along axis 1 (0 for 1-D)."""
    return _split("hsplit", x, indices_or_sections, 0 if ndim(x) == 1 else 1, True)


@_export
def vsplit(x, indices_or_sections):
    """``split`` along axis 0."""
    return _split("vsplit", x, indices_or_sections, 0, True)


@_export
def dsplit(x, indices_or_sections):
    """``split`` along axis 2."""
    return _split("dsplit", x, indices_or_sections, 2, True)


@_export
def flip(x, axis=None):
    """``x`` reversed along ``axis`` (all axes when None)."""
    xp, fw, x = _one("flip", x)
    return xp.flip(x, axis=_axis(axis))


@_export
def fliplr(x):
    """``x`` reversed along axis 1."""
    return flip(x, axis=1)


@_export
def flipud(x):
    """``x`` reversed along axis 0."""
    return flip(x, axis=0)


@_export
def rot90(array, k=1, axes=(0, 1)):
    """Rotate by 90 degrees ``k`` times in the plane of ``axes``."""
    xp, fw, x = _one("rot90", array)
    a0, a1 = (int(a) % x.ndim for a in axes)
    if a0 == a1:
        raise op_error("rot90", f"expected two different axes; received {axes}")
    k = int(k) % 4
    if k == 0:
        return x
    if k == 2:
        return xp.flip(xp.flip(x, axis=a0), axis=a1)
    perm = list(range(x.ndim))
    perm[a0], perm[a1] = perm[a1], perm[a0]
    if k == 1:
        return xp.permute_dims(xp.flip(x, axis=a1), tuple(perm))
    return xp.flip(xp.permute_dims(x, tuple(perm)), axis=a1)


@_export
def roll(x, shift, axis=None):
    """Roll elements along ``axis`` (flattened when None)."""
    xp, fw, x = _one("roll", x)
    if isinstance(shift, (list, tuple)):
        shift = tuple(int(s) for s in shift)
    else:
        shift = int(shift)
    return xp.roll(x, shift, axis=_axis(axis))


@_export
def repeat(x, repeats, axis=None):
    """Repeat elements of ``x`` (flattened when ``axis`` is None)."""
    xp, fw, x = _one("repeat", x)
    if axis is None:
        x, axis = xp.reshape(x, (-1,)), 0
    if framework_of(repeats) is not None or isinstance(repeats, (list, tuple)):
        repeats = to_array(xp, fw, repeats, "int64" if fw != "jax" else "int32")
    else:
        repeats = int(repeats)
    return xp.repeat(x, repeats, axis=int(axis))


@_export
def tile(x, repeats):
    """``x`` repeated ``repeats`` times along each axis."""
    xp, fw, x = _one("tile", x)
    reps = (int(repeats),) if isinstance(repeats, (int, np.integer)) else tuple(int(r) for r in repeats)
    if len(reps) > x.ndim:
        x = xp.reshape(x, (1,) * (len(reps) - x.ndim) + tuple(x.shape))
    return xp.tile(x, reps)


def _index_dtype(fw):
    return "int32" if fw == "jax" else "int64"


@_export
def take(x, indices, axis=None):
    """Elements of ``x`` at ``indices`` along ``axis`` (flattened when None); negative
    indices count from the end."""
    xp, fw = resolve("take", x, indices)
    x = to_array(xp, fw, x)
    idx = to_array(xp, fw, indices)
    if not dtype_name(idx).startswith(("int", "uint")):
        raise op_error("take", f"expected integer indices; received dtype {dtype_name(idx)}", TypeError)
    if axis is None:
        x, axis = xp.reshape(x, (-1,)), 0
    axis = int(axis) % x.ndim
    n = x.shape[axis]
    idx = cast_to(xp, fw, idx, _index_dtype(fw))
    idx = xp.where(idx < 0, idx + n, idx)
    flat = xp.reshape(idx, (-1,))
    out = xp.take(x, flat, axis=axis)
    return xp.reshape(out, tuple(x.shape[:axis]) + tuple(idx.shape) + tuple(x.shape[axis + 1:]))


@_export
def take_along_axis(x, indices, axis=None):
    """Elements of ``x`` picked by ``indices`` along ``axis`` (other axes broadcast)."""
    xp, fw = resolve("take_along_axis", x, indices)
    x = to_array(xp, fw, x)
    idx = cast_to(xp, fw, to_array(xp, fw, indices), _index_dtype(fw))
    if axis is None:
        x, axis = xp.reshape(x, (-1,)), 0
        idx = xp.reshape(idx, (-1,))
    axis = int(axis) % x.ndim
    if idx.ndim != x.ndim:
        raise op_error("take_along_axis", f"expected indices of rank {x.ndim}; received shape "
                       f"{tuple(idx.shape)}")
    n = x.shape[axis]
    idx = xp.where(idx < 0, idx + n, idx)
    xs, is_ = list(x.shape), list(idx.shape)
    xs[axis] = is_[axis] = 1
    b = list(np.broadcast_shapes(tuple(xs), tuple(is_)))
    bx, bi = list(b), list(b)
    bx[axis], bi[axis] = x.shape[axis], idx.shape[axis]
    x = xp.broadcast_to(x, tuple(bx))
    idx = xp.broadcast_to(idx, tuple(bi))
    fn = _xfn(xp, fw, "take_along_axis")
    if fn is not None:
        return fn(x, idx, axis=axis)
    return _take_along_generic(xp, fw, x, idx, axis)


def _take_along_generic(xp, fw, x, idx, axis):
    """take_along_axis from a flat ``take`` (namespaces before the 2024.12 standard)."""
    it = dtype_obj(xp, fw, _index_dtype(fw))
    shape = tuple(idx.shape)
    lin = None
    stride = 1
    for d in range(x.ndim - 1, -1, -1):
        if d == axis:
            coord = idx
        else:
            coord = xp.reshape(xp.arange(shape[d], dtype=it), tuple(shape[d] if k == d else 1 for k in range(x.ndim)))
        term = coord * stride
        lin = term if lin is None else lin + term
        stride *= int(x.shape[d])
    out = xp.take(xp.reshape(x, (-1,)), xp.reshape(lin, (-1,)), axis=0)
    return xp.reshape(out, shape)


@_export
def where(condition, x1=None, x2=None):
    """``x1`` where ``condition`` else ``x2``; with one argument, ``nonzero(condition)``."""
    if x1 is None and x2 is None:
        return nonzero(condition)
    if x1 is None or x2 is None:
        raise op_error("where", "expected both x1 and x2, or neither; received one of them")
    xp, fw = resolve("where", condition, x1, x2)
    c = to_array(xp, fw, condition)
    c = _to_bool(xp, fw, c)
    if framework_of(x1) is None and not isinstance(x1, (bool, int, float)):
        x1 = to_array(xp, fw, x1)
    if framework_of(x2) is None and not isinstance(x2, (bool, int, float)):
        x2 = to_array(xp, fw, x2)
    d = result_type(x1, x2)
    return xp.where(c, to_array(xp, fw, x1, d), to_array(xp, fw, x2, d))


@_export
def nonzero(x):
    """Tuple of int32 index arrays of the non-zero elements (data-dependent shape)."""
    xp, fw, x = _one("nonzero", x)
    if x.ndim == 0:
        raise op_error("nonzero", "expected an array of rank >= 1; received a 0-d array")
    return tuple(cast_to(xp, fw, i, "int32") for i in xp.nonzero(_to_bool(xp, fw, x)))


@_export
def argwhere(x):
    """Indices of non-zero elements, one row each (int32)."""
    xp, fw, x = _one("argwhere", x)
    return xp.stack(nonzero(x), axis=-1)


@_export
def sort(x, axis=-1):
    """``x`` sorted along ``axis`` (flattened when None)."""
    xp, fw, x = _one("sort", x)
    if axis is None:
        x, axis = xp.reshape(x, (-1,)), -1
    if dtype_name(x) == "bool":
        return cast_to(xp, fw, xp.sort(cast_to(xp, fw, x, "int8"), axis=int(axis)), "bool")
    return xp.sort(x, axis=int(axis))


@_export
def argsort(x, axis=-1):
    """Indices that sort ``x`` along ``axis`` (stable; int32)."""
    xp, fw, x = _one("argsort", x)
    if axis is None:
        x, axis = xp.reshape(x, (-1,)), -1
    if dtype_name(x) == "bool":
        x = cast_to(xp, fw, x, "int8")
    return cast_to(xp, fw, xp.argsort(x, axis=int(axis), stable=True), "int32")


@_export
def searchsorted(sorted_sequence, values, side="left"):
    """Insertion indices of ``values`` into the 1-D ``sorted_sequence`` (int32)."""
    if side not in ("left", "right"):
        raise op_error("searchsorted", f"expected side 'left' or 'right'; received {side!r}")
    xp, fw = resolve("searchsorted", sorted_sequence, values)
    s = to_array(xp, fw, sorted_sequence)
    if s.ndim != 1:
        raise op_error("searchsorted", f"expected a 1-D sorted_sequence; received shape {tuple(s.shape)}")
    v = to_array(xp, fw, values)
    d = result_type(s, v)
    s, v = cast_to(xp, fw, s, d), cast_to(xp, fw, v, d)
    return cast_to(xp, fw, xp.searchsorted(s, v, side=side), "int32")


@_export
def digitize(x, bins):
    """Index of the bin each element of ``x`` falls in (increasing ``bins``; int32)."""
    return searchsorted(bins, x, side="right")


@_export
def bincount(x, weights=None, minlength=0, sparse=False):
    """Counts (or summed ``weights``) of each non-negative int in ``x``; a 2-D ``x`` counts
    per row. Output length is ``max(x) + 1`` or ``minlength`` (data-dependent)."""
    if sparse:
        raise op_error("bincount", "sparse outputs are not supported; received sparse=True")
    xp, fw = resolve("bincount", x, weights)
    x = to_array(xp, fw, x)
    if not dtype_name(x).startswith(("int", "uint")):
        raise op_error("bincount", f"expected an integer array; received dtype {dtype_name(x)}", TypeError)
    if x.ndim not in (1, 2):
        raise op_error("bincount", f"expected a 1-D or 2-D array; received shape {tuple(x.shape)}")
    n = int(xp.max(x)) + 1 if _nelems(x) else 0
    n = _bmax(n, int(minlength))
    if weights is None:
        w = xp.ones_like(x, dtype=dtype_obj(xp, fw, "int32"))
    else:
        w = to_array(xp, fw, weights)
        if dtype_name(w) == "bool":
            w = cast_to(xp, fw, w, "int32")
    from .math import segment_sum

    if x.ndim == 1:
        return segment_sum(w, x, num_segments=n)
    rows = x.shape[0]
    ids = x + xp.arange(rows, dtype=x.dtype)[:, None] * n
    out = segment_sum(xp.reshape(w, (-1,)), xp.reshape(ids, (-1,)), num_segments=rows * n)
    return xp.reshape(out, (rows, n))


@_export
def isin(x1, x2, assume_unique=False, invert=False):
    """True where elements of ``x1`` occur in ``x2``."""
    xp, fw = resolve("isin", x1, x2)
    a = to_array(xp, fw, x1)
    b = xp.reshape(to_array(xp, fw, x2), (-1,))
    d = result_type(a, b)
    a, b = cast_to(xp, fw, a, d), cast_to(xp, fw, b, d)
    out = xp.any(a[..., None] == b, axis=-1)
    return xp.logical_not(out) if invert else out


@_export
def unravel_index(indices, shape):
    """Tuple of coordinate arrays for flat ``indices`` into ``shape``."""
    xp, fw = resolve("unravel_index", indices)
    idx = to_array(xp, fw, indices)
    out = []
    for s in reversed(_shape(shape)):
        out.append(idx % s)
        idx = idx // s
    return tuple(reversed(out))


@_export
def diagonal(x, offset=0, axis1=0, axis2=1):
    """The ``offset`` diagonal of the ``(axis1, axis2)`` planes, as a last axis."""
    xp, fw, x = _one("diagonal", x)
    if x.ndim < 2:
        raise op_error("diagonal", f"expected an array of rank >= 2; received shape {tuple(x.shape)}")
    a1, a2 = int(axis1) % x.ndim, int(axis2) % x.ndim
    rest = [i for i in range(x.ndim) if i not in (a1, a2)]
    x = xp.permute_dims(x, tuple(rest) + (a1, a2))
    return xp.linalg.diagonal(x, offset=int(offset))


@_export
def diag(x, k=0):
    """Diagonal of a 2-D array, or a 2-D array with the 1-D ``x`` on its diagonal."""
    xp, fw, x = _one("diag", x)
    k = int(k)
    if x.ndim == 2:
        return xp.linalg.diagonal(x, offset=k)
    if x.ndim != 1:
        raise op_error("diag", f"expected a 1-D or 2-D array; received shape {tuple(x.shape)}")
    n = x.shape[0] + _babs(k)
    pad_ = xp.zeros((_babs(k),), dtype=x.dtype)
    v = xp.concat([x, pad_] if k >= 0 else [pad_, x])
    mask = xp.eye(n, k=k, dtype=xp.bool)
    return xp.where(mask, v[:, None], xp.zeros((), dtype=x.dtype))


@_export
def diagflat(x, k=0):
    """A 2-D array with the flattened ``x`` on its ``k``-th diagonal."""
    return diag(ravel(x), k=k)


def _tri_mask(xp, x, k, lower):
    n, m = x.shape[-2], x.shape[-1]
    rows = xp.arange(n)[:, None]
    cols = xp.arange(m)[None, :]
    return (cols - rows <= k) if lower else (cols - rows >= k)


@_export
def tril(x, k=0):
    """``x`` with elements above the ``k``-th diagonal zeroed."""
    xp, fw, x = _one("tril", x)
    if x.ndim < 2:
        raise op_error("tril", f"expected an array of rank >= 2; received shape {tuple(x.shape)}")
    return xp.where(_tri_mask(xp, x, int(k), True), x, xp.zeros((), dtype=x.dtype))


@_export
def triu(x, k=0):
    """``x`` with elements below the ``k``-th diagonal zeroed."""
    xp, fw, x = _one("triu", x)
    if x.ndim < 2:
        raise op_error("triu", f"expected an array of rank >= 2; received shape {tuple(x.shape)}")
    return xp.where(_tri_mask(xp, x, int(k), False), x, xp.zeros((), dtype=x.dtype))


def _pad_index(n, before, after, mode):
    """Host index array mapping padded positions to source positions."""
    pos = np.arange(-before, n + after)
    if mode == "edge":
        return np.clip(pos, 0, n - 1)
    if mode == "wrap":
        return pos % n
    if mode == "reflect":
        if n == 1:
            return np.zeros_like(pos)
        period = 2 * (n - 1)
        p = np.abs(pos) % period
        return np.where(p >= n, period - p, p)
    if mode == "symmetric":
        period = 2 * n
        p = pos % period
        return np.where(p >= n, period - 1 - p, p)
    raise ValueError(mode)


@_export
def pad(x, pad_width, mode="constant", constant_values=None):
    """``x`` padded by ``pad_width`` (NumPy spellings) with ``mode`` in constant, edge,
    reflect, symmetric, wrap."""
    modes = ("constant", "edge", "reflect", "symmetric", "wrap")
    if mode not in modes:
        raise op_error("pad", f"expected mode in {modes}; received {mode!r}")
    if constant_values is not None and mode != "constant":
        raise op_error("pad", f"constant_values only applies to mode='constant'; received mode={mode!r}")
    xp, fw, x = _one("pad", x)
    pw = np.asarray(_xp.to_numpy(pad_width) if framework_of(pad_width) else pad_width, dtype=np.int64)
    pw = np.broadcast_to(pw.reshape((-1, 2)) if pw.size > 1 or pw.ndim else pw, (x.ndim, 2)) \
        if pw.ndim < 2 or pw.shape[0] != x.ndim else pw
    if pw.shape != (x.ndim, 2):
        raise op_error("pad", f"expected pad_width of shape ({x.ndim}, 2); received {pw.shape}")
    if (pw < 0).any():
        raise op_error("pad", f"expected non-negative pad widths; received {pw.tolist()}")
    d = dtype_name(x)
    for ax in range(x.ndim):
        b, a = int(pw[ax, 0]), int(pw[ax, 1])
        if b == 0 and a == 0:
            continue
        if mode == "constant":
            val = 0 if constant_values is None else constant_values
            parts = []
            shp = list(x.shape)
            if b:
                shp[ax] = b
                parts.append(xp.full(tuple(shp), val, dtype=x.dtype))
            parts.append(x)
            if a:
                shp[ax] = a
                parts.append(xp.full(tuple(shp), val, dtype=x.dtype))
            x = xp.concat(parts, axis=ax)
        else:
            idx = _pad_index(x.shape[ax], b, a, mode)
            x = xp.take(x, to_array(xp, fw, idx, _index_dtype(fw)), axis=ax)
    return cast_to(xp, fw, x, d)


# --------------------------------------------------------------------------------------
# products

def _product_operands(op, x1, x2):
    xp, fw = resolve(op, x1, x2)
    a = to_array(xp, fw, x1)
    b = to_array(xp, fw, x2)
    da, db = dtype_name(a), dtype_name(b)
    d = result_type(da, db)
    a, b = cast_to(xp, fw, a, d), cast_to(xp, fw, b, d)
    out_d = "int32" if da == db == "int8" else d
    if out_d != d:
        a, b = cast_to(xp, fw, a, out_d), cast_to(xp, fw, b, out_d)
    return xp, fw, a, b, out_d


@_export
def matmul(x1, x2):
    """Matrix product with broadcasting (int8 x int8 gives int32)."""
    xp, fw, a, b, d = _product_operands("matmul", x1, x2)
    if a.ndim == 0 or b.ndim == 0:
        raise op_error("matmul", f"expected arrays of rank >= 1; received shapes {tuple(a.shape)} "
                       f"and {tuple(b.shape)}")
    ka = a.shape[-1]
    kb = b.shape[-2] if b.ndim > 1 else b.shape[0]
    if ka is not None and kb is not None and ka != kb:
        raise op_error("matmul", f"expected x1.shape[-1] == x2.shape[-2]; received shapes "
                       f"{tuple(a.shape)} and {tuple(b.shape)}")
    if d == "bool":
        return xp.matmul(cast_to(xp, fw, a, "int32"), cast_to(xp, fw, b, "int32")) != 0
    return xp.matmul(a, b)


@_export
def dot(x1, x2):
    """NumPy ``dot``: products of scalars, inner products of vectors, matmul of
    matrices, and sums over the last axis of x1 and second-to-last of x2 otherwise."""
    xp, fw, a, b, d = _product_operands("dot", x1, x2)
    if a.ndim == 0 or b.ndim == 0:
        return a * b
    if b.ndim == 1:
        return xp.tensordot(a, b, axes=([a.ndim - 1], [0]))
    if a.ndim <= 2 and b.ndim == 2:
        return xp.matmul(a, b)
    return xp.tensordot(a, b, axes=([a.ndim - 1], [b.ndim - 2]))


@_export
def vdot(x1, x2):
    """Dot product of the flattened arrays (``x1`` conjugated)."""
    xp, fw, a, b, d = _product_operands("vdot", x1, x2)
    a, b = xp.reshape(a, (-1,)), xp.reshape(b, (-1,))
    if d.startswith("complex"):
        a = xp.conj(a)
    return xp.sum(a * b)


@_export
def inner(x1, x2):
    """Inner product over the last axes."""
    xp, fw, a, b, d = _product_operands("inner", x1, x2)
    if a.ndim == 0 or b.ndim == 0:
        return a * b
    return xp.tensordot(a, b, axes=([a.ndim - 1], [b.ndim - 1]))


@_export
def outer(x1, x2):
    """Outer product of the flattened arrays."""
    xp, fw, a, b, d = _product_operands("outer", x1, x2)
    return xp.reshape(a, (-1, 1)) * xp.reshape(b, (1, -1))


@_export
def tensordot(x1, x2, axes=2):
    """Sum of products over ``axes`` (an int or a pair of axis sequences)."""
    xp, fw, a, b, d = _product_operands("tensordot", x1, x2)
    if not isinstance(axes, int):
        axes = tuple(tuple(ax) if isinstance(ax, (list, tuple)) else (int(ax),) for ax in axes)
    return xp.tensordot(a, b, axes=axes)


@_export
def kron(x1, x2):
    """Kronecker product."""
    xp, fw, a, b, d = _product_operands("kron", x1, x2)
    nd = _bmax(a.ndim, b.ndim)
    a = xp.reshape(a, (1,) * (nd - a.ndim) + tuple(a.shape))
    b = xp.reshape(b, (1,) * (nd - b.ndim) + tuple(b.shape))
    ea = xp.reshape(a, tuple(s for dim in a.shape for s in (dim, 1)))
    eb = xp.reshape(b, tuple(s for dim in b.shape for s in (1, dim)))
    return xp.reshape(ea * eb, tuple(p * q for p, q in zip(a.shape, b.shape)))


@_export
def cross(x1, x2, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """Cross product of 2- or 3-vectors."""
    if axis is not None:
        axisa = axisb = axisc = axis
    xp, fw, a, b, d = _product_operands("cross", x1, x2)
    a = xp.moveaxis(a, axisa, -1)
    b = xp.moveaxis(b, axisb, -1)
    na, nb = a.shape[-1], b.shape[-1]
    if na not in (2, 3) or nb not in (2, 3):
        raise op_error("cross", f"expected vectors of dimension 2 or 3; received {na} and {nb}")
    a0, a1 = a[..., 0], a[..., 1]
    b0, b1 = b[..., 0], b[..., 1]
    if na == 2 and nb == 2:
        return a0 * b1 - a1 * b0
    a2 = a[..., 2] if na == 3 else xp.zeros_like(a0)
    b2 = b[..., 2] if nb == 3 else xp.zeros_like(b0)
    out = xp.stack([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0], axis=-1)
    return xp.moveaxis(out, -1, axisc)


def _einsum_generic(xp, subscripts, *ops):
    lhs, _, rhs = subscripts.replace(" ", "").partition("->")
    ins = lhs.split(",")
    if "..." in subscripts:
        raise NotImplementedError("einsum with '...' needs a framework einsum")
    if not _:
        letters = "".join(ins)
        rhs = "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    order = sorted(set("".join(ins)), key=lambda c: (c not in rhs, rhs.index(c) if c in rhs else 0, c))
    total = None
    for term, o in zip(ins, ops):
        # collapse repeated letters in one term to their diagonal
        while len(set(term)) != len(term):
            c = next(ch for ch in term if term.count(ch) > 1)
            i, j = term.index(c), term.index(c, term.index(c) + 1)
            rest = [k for k in range(o.ndim) if k not in (i, j)]
            o = xp.linalg.diagonal(xp.permute_dims(o, tuple(rest) + (i, j)))
            term = "".join(term[k] for k in rest) + c
        perm = sorted(range(len(term)), key=lambda k: order.index(term[k]))
        o = xp.permute_dims(o, tuple(perm))
        placed = "".join(term[k] for k in perm)
        shape = [o.shape[placed.index(c)] if c in placed else 1 for c in order]
        o = xp.reshape(o, tuple(shape))
        total = o if total is None else total * o
    summed = tuple(i for i, c in enumerate(order) if c not in rhs)
    if summed:
        total = xp.sum(total, axis=summed)
    return total


@_export
def einsum(subscripts, *operands, **kwargs):
    """Einstein summation (int8 operands give int32)."""
    xp, fw = resolve("einsum", *operands)
    arrs = [to_array(xp, fw, o) for o in operands]
    dts = [dtype_name(a) for a in arrs]
    d = result_type(*dts)
    if d == "int8":
        d = "int32"
    arrs = [cast_to(xp, fw, a, d) for a in arrs]
    mod = ops_shim(fw)
    if mod is not None:
        return mod.einsum(subscripts, *arrs)
    return _einsum_generic(xp, subscripts, *arrs)


@_export
def vander(x, N=None, increasing=False):
    """Vandermonde matrix of the 1-D ``x``."""
    xp, fw, x = _one("vander", x)
    N = x.shape[0] if N is None else int(N)
    powers = xp.arange(N, dtype=x.dtype)
    if not increasing:
        powers = xp.flip(powers)
    return xp.pow(x[:, None], powers[None, :])


@_export
def trapezoid(y, x=None, dx=1.0, axis=-1):
    """Integral of ``y`` by the trapezoidal rule along ``axis``."""
    xp, fw = resolve("trapezoid", y, x)
    y = to_float(xp, fw, to_array(xp, fw, y))
    y = xp.moveaxis(y, axis, -1)
    avg = (y[..., 1:] + y[..., :-1]) * 0.5
    if x is None:
        return xp.sum(avg, axis=-1) * dx
    xv = to_array(xp, fw, x, dtype_name(y))
    if xv.ndim == 1:
        dxv = xv[1:] - xv[:-1]
    else:
        xv = xp.moveaxis(xv, axis, -1)
        dxv = xv[..., 1:] - xv[..., :-1]
    return xp.sum(avg * dxv, axis=-1)


@_export
def diff(a, n=1, axis=-1):
    """``n``-th discrete difference along ``axis``."""
    xp, fw, x = _one("diff", a)
    for _ in range(int(n)):
        x = xp.moveaxis(x, axis, -1)
        if dtype_name(x) == "bool":
            x = xp.not_equal(x[..., 1:], x[..., :-1])
        else:
            x = x[..., 1:] - x[..., :-1]
        x = xp.moveaxis(x, -1, axis)
    return x


@_export
def select(condlist, choicelist, default=0):
    """Elements from ``choicelist`` where the first matching ``condlist`` entry holds."""
    if len(condlist) != len(choicelist):
        raise op_error("select", f"expected condlist and choicelist of one length; received "
                       f"{len(condlist)} and {len(choicelist)}")
    xp, fw = resolve("select", *condlist, *choicelist, default)
    choices = [to_array(xp, fw, c) for c in choicelist]
    d = result_type(*choices, default)
    out = to_array(xp, fw, default, d)
    for c, v in zip(reversed(condlist), reversed(choices)):
        out = xp.where(_to_bool(xp, fw, to_array(xp, fw, c)), cast_to(xp, fw, v, d), out)
    return out


@_export
def corrcoef(x):
    """Pearson correlation coefficients of the rows of ``x``."""
    xp, fw, x = _one("corrcoef", x)
    x = to_float(xp, fw, x)
    if x.ndim == 1:
        x = x[None, :]
    xc = x - xp.mean(x, axis=1, keepdims=True)
    cov = xp.matmul(xc, xp.matrix_transpose(xc))
    dg = xp.sqrt(xp.linalg.diagonal(cov))
    out = cov / (dg[:, None] * dg[None, :])
    out = xp.clip(out, -1.0, 1.0)
    return out[0, 0] if out.shape[0] == 1 else out
