"""Keras 3's elementwise NumPy-named ops (part of ``keras.ops.numpy``): unary math,
predicates, binary arithmetic with Keras' dtype rules, comparisons, logical and bitwise
ops, gcd/lcm and the Bessel function i0.
"""

from __future__ import annotations

import math as _math

from ..xp import framework_of
from ._common import (
    _brange, cast_to, dtype_name, FLOATS, floatx, INTS, _is_float_name, _keep, _need, _one,
    op_error, resolve, result_type, to_array, to_float,
)

__all__: list[str] = []


def _export(fn):
    __all__.append(fn.__name__)
    return fn


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


# ------------------------------------------------------------------------------ gcd / lcm

def _gcd_abs(xp, a, b, bits):
    """Euclid's algorithm, vectorized, with a fixed number of steps (enough for any pair
    of ``bits``-bit integers: Lamé's bound), so it traces under jit."""
    zero = xp.zeros_like(b)
    one = xp.ones_like(b)
    steps = 47 if bits <= 32 else 93
    for _ in _brange(steps):
        nz = b != zero
        r = xp.where(nz, xp.remainder(a, xp.where(nz, b, one)), zero)
        a = xp.where(nz, b, a)
        b = r
    return a


def _int_pair(op, x1, x2):
    xp, fw = resolve(op, x1, x2)
    a = to_array(xp, fw, x1)
    b = to_array(xp, fw, x2)
    da, db = dtype_name(a), dtype_name(b)
    if not (da.startswith(("int", "uint")) and db.startswith(("int", "uint"))):
        raise op_error(op, f"expected integer arrays; received dtypes {da} and {db}", TypeError)
    d = result_type(a, b)
    a, b = cast_to(xp, fw, a, d), cast_to(xp, fw, b, d)
    a, b = xp.broadcast_arrays(a, b)
    return xp, fw, xp.abs(a), xp.abs(b), d


@_export
def gcd(x1, x2):
    """Greatest common divisor, elementwise (integers; gcd(0, 0) = 0)."""
    xp, fw, a, b, d = _int_pair("gcd", x1, x2)
    return _gcd_abs(xp, a, b, 64 if d.endswith("64") else 32)


@_export
def lcm(x1, x2):
    """Least common multiple, elementwise (integers; 0 where either is 0)."""
    xp, fw, a, b, d = _int_pair("lcm", x1, x2)
    g = _gcd_abs(xp, a, b, 64 if d.endswith("64") else 32)
    zero = xp.zeros_like(g)
    safe = xp.where(g == zero, xp.ones_like(g), g)
    return xp.where(g == zero, zero, (a // safe) * b)


def _i0_generic(xp, x):
    """I0 by its power series (positive terms: no cancellation) for |x| <= 30 and its
    asymptotic expansion beyond; relative error ~1e-15 in float64."""
    a = xp.abs(x)
    small = xp.minimum(a, 30.0)
    y = small * small * 0.25
    term = xp.ones_like(y)
    s = xp.ones_like(y)
    for k in _brange(1, 90):
        term = term * y / float(k * k)
        s = s + term
    big = xp.maximum(a, 30.0)
    z = 1.0 / (8.0 * big)
    t = xp.ones_like(z)
    series = xp.ones_like(z)
    for k in _brange(1, 20):
        t = t * z * float((2 * k - 1) ** 2) / k
        series = series + t
    # e^x / sqrt(2 pi x) computed as (e^(x/2))^2 / ... so float32 overflows only where I0 does
    half = xp.exp(big * 0.5)
    asym = half * (half / xp.sqrt(2.0 * _math.pi * big)) * series
    return xp.where(a <= 30.0, s, asym)


@_export
def i0(x):
    """The modified Bessel function of the first kind, order 0 (ints give floatx; float16,
    bfloat16 and float64 are kept)."""
    xp, fw = resolve("i0", x)
    x = to_array(xp, fw, x)
    d = dtype_name(x)
    if d in ("int64", "float64"):
        d = "float64"
    elif d not in ("bfloat16", "float16"):
        d = floatx()
    compute = result_type(d, "float32")
    return cast_to(xp, fw, _i0_generic(xp, cast_to(xp, fw, x, compute)), d)


