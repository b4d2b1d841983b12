"""Elementwise functions (with the standard's promotion; Python scalars allowed)."""

from __future__ import annotations

import math

import tensorflow as tf

from . import _base as B

_LN2 = math.log(2.0)
_LN10 = math.log(10.0)


def _t(x):
    return B.tensor(x)


def _float_in(x):
    """Transcendental functions need a floating input; integers/bools are lifted to
    the default floating dtype (the standard leaves that case undefined)."""
    x = _t(x)
    if not B.is_inexact(x.dtype):
        x = tf.cast(x, B.DEFAULT_FLOAT)
    return x


def _unary_float(fn):
    def f(x, /):
        return fn(_float_in(x))

    return f


acos = _unary_float(tf.math.acos)
acosh = _unary_float(tf.math.acosh)
asin = _unary_float(tf.math.asin)
asinh = _unary_float(tf.math.asinh)
atan = _unary_float(tf.math.atan)
atanh = _unary_float(tf.math.atanh)
cos = _unary_float(tf.math.cos)
cosh = _unary_float(tf.math.cosh)
exp = _unary_float(tf.math.exp)
def _log_complex(z):
    # TF's complex log returns NaN real parts for |z| near 2**64 and above, and for tiny
    # |z|: log|z| is computed here as log(m) + 0.5*log1p((n/m)^2), m = max(|a|, |b|),
    # n = min(|a|, |b|) (no overflow or underflow), with inf winning over NaN.
    a, b = tf.math.abs(tf.math.real(z)), tf.math.abs(tf.math.imag(z))
    m, n = tf.math.maximum(a, b), tf.math.minimum(a, b)
    ok = tf.logical_and(m > 0, tf.math.is_finite(m))
    safe = tf.where(ok, m, tf.ones_like(m))
    r = n / safe
    re = tf.math.log(safe) + 0.5 * tf.math.log1p(r * r)
    nan = tf.logical_or(tf.math.is_nan(a), tf.math.is_nan(b))
    inf = tf.logical_or(tf.math.is_inf(a), tf.math.is_inf(b))
    re = tf.where(m == 0, tf.constant(-math.inf, re.dtype), re)
    re = tf.where(nan, tf.constant(math.nan, re.dtype), re)
    re = tf.where(inf, tf.constant(math.inf, re.dtype), re)
    return tf.complex(re, tf.math.atan2(tf.math.imag(z), tf.math.real(z)))


def log(x, /):
    x = _float_in(x)
    return _log_complex(x) if B.is_complex(x.dtype) else tf.math.log(x)


def _log_base(x, ln_base):
    x = _float_in(x)
    if B.is_complex(x.dtype):
        w = _log_complex(x)
        c = _const(ln_base, B.real_dtype(x.dtype))
        return tf.complex(tf.math.real(w) / c, tf.math.imag(w) / c)
    return tf.math.log(x) / _const(ln_base, x.dtype)


def _const(value, dt):
    """A constant of dtype ``dt`` made directly in ``dt`` (a Python float converted
    through float32 first would lose float64 precision)."""
    return tf.constant(value, dtype=dt)


def _expm1_complex(z):
    # TF's complex expm1 returns NaN for infinite parts; built from real kernels:
    # expm1(a + ib) = expm1(a) cos b - 2 sin^2(b/2) + i e^a sin b, with the standard's
    # special cases (imag +-0 kept, a = -inf gives -1 + 0j, a = +inf with b inf/NaN
    # gives inf + NaN j).
    a, b = tf.math.real(z), tf.math.imag(z)
    zero = tf.zeros_like(a)
    re = tf.math.expm1(a) * tf.math.cos(b) - 2 * tf.math.square(tf.math.sin(b / 2))
    im = tf.math.exp(a) * tf.math.sin(b)
    b_zero = tf.equal(b, 0)
    b_finite = tf.math.is_finite(b)
    neg_inf = tf.equal(a, _const(-math.inf, a.dtype))
    pos_inf = tf.equal(a, _const(math.inf, a.dtype))
    re = tf.where(b_zero, tf.math.expm1(a), re) + 0  # + 0: (-0 + 0j) -> (0 + 0j)
    im = tf.where(b_zero, b, im)
    re = tf.where(neg_inf, -tf.ones_like(a), re)
    im = tf.where(tf.logical_and(neg_inf, tf.logical_not(b_finite)), zero, im)
    re = tf.where(tf.logical_and(pos_inf, tf.logical_not(b_finite)), a, re)
    return tf.complex(re, im)


def expm1(x, /):
    x = _float_in(x)
    if B.is_complex(x.dtype):
        return _expm1_complex(x)
    return tf.math.expm1(x)


def _log1p_complex(z):
    # log(1 + z) (TF's complex log has the standard's special cases; its complex log1p
    # does not), with the real part as 0.5 * log1p(2a + a^2 + b^2) near z = 0.
    a, b = tf.math.real(z), tf.math.imag(z)
    w = _log_complex(tf.complex(1 + a, b))
    small = tf.logical_and(tf.math.abs(a) < 0.5, tf.math.abs(b) < 0.5)
    sa = tf.where(small, a, tf.zeros_like(a))
    sb = tf.where(small, b, tf.zeros_like(b))
    re_small = 0.5 * tf.math.log1p(sa * (2 + sa) + sb * sb)
    return tf.complex(tf.where(small, re_small, tf.math.real(w)), tf.math.imag(w))


def log1p(x, /):
    x = _float_in(x)
    if B.is_complex(x.dtype):
        return _log1p_complex(x)
    return tf.math.log1p(x)


sin = _unary_float(tf.math.sin)
sinh = _unary_float(tf.math.sinh)
reciprocal = _unary_float(tf.math.reciprocal)
sqrt = _unary_float(tf.math.sqrt)
tan = _unary_float(tf.math.tan)


def tanh(x, /):
    x = _float_in(x)
    r = tf.math.tanh(x)
    if not B.is_complex(x.dtype):
        return r
    # TF gives 1 +- 0j with the sign of sin(2b) for a = +-inf; the standard says
    # +-1 + 0j for b > 0 (conjugate-symmetric: -0j for b < 0).
    a, b = tf.math.real(x), tf.math.imag(x)
    edge = tf.logical_and(tf.math.is_inf(a), tf.math.is_finite(b))
    zero = tf.zeros_like(b)
    re = tf.where(edge, tf.math.sign(a), tf.math.real(r))
    im = tf.where(edge, tf.where(signbit(b), -zero, zero), tf.math.imag(r))
    return tf.complex(re, im)


def log2(x, /):
    return _log_base(x, _LN2)


def log10(x, /):
    return _log_base(x, _LN10)


def abs(x, /):
    x = _t(x)
    if x.dtype in B.UNSIGNED or x.dtype == tf.bool:
        return x
    return tf.math.abs(x)


def negative(x, /):
    x = _t(x)
    if x.dtype in B.UNSIGNED:
        return tf.zeros_like(x) - x
    return tf.math.negative(x)


def positive(x, /):
    return tf.identity(_t(x))


def square(x, /):
    x = _t(x)
    return x * x if x.dtype == tf.bool else tf.math.square(x)


def sign(x, /):
    x = _t(x)
    if x.dtype in B.UNSIGNED:
        return tf.cast(x > 0, x.dtype)
    if B.is_complex(x.dtype):
        a = tf.cast(tf.math.abs(x), x.dtype)
        safe = tf.where(tf.equal(a, 0), tf.ones_like(a), a)
        return tf.where(tf.equal(a, 0), tf.zeros_like(x), x / safe)
    return tf.math.sign(x)


def _binary(fn, x1, x2):
    (a, b), _ = B.promote(x1, x2)
    return fn(a, b)


def add(x1, x2, /):
    (a, b), dt = B.promote(x1, x2)
    if dt == tf.bool:
        return tf.logical_or(a, b)
    return tf.math.add(a, b)


def subtract(x1, x2, /):
    return _binary(tf.math.subtract, x1, x2)


def multiply(x1, x2, /):
    (a, b), dt = B.promote(x1, x2)
    if dt == tf.bool:
        return tf.logical_and(a, b)
    return tf.math.multiply(a, b)


def divide(x1, x2, /):
    (a, b), dt = B.promote(x1, x2)
    if not B.is_inexact(dt):
        return tf.math.truediv(a, b)
    return tf.math.divide(a, b)


def _int_safe_div(fn, a, b):
    zero = tf.equal(b, 0)
    safe = tf.where(zero, tf.ones_like(b), b)
    return tf.where(zero, tf.zeros_like(a), fn(a, safe))


def floor_divide(x1, x2, /):
    (a, b), dt = B.promote(x1, x2)
    if B.is_int(dt):
        return _int_safe_div(tf.math.floordiv, a, b)
    return tf.math.floordiv(a, b)


def remainder(x1, x2, /):
    (a, b), dt = B.promote(x1, x2)
    if B.is_int(dt):
        return _int_safe_div(tf.math.floormod, a, b)
    r = tf.math.floormod(a, b)
    # a zero result takes the divisor's sign (Python's %, the standard's special cases:
    # remainder(-0, 2) is +0, remainder(+0, -2) is -0); TF keeps the dividend's
    zero = tf.zeros_like(r)
    return tf.where(tf.equal(r, zero), tf.where(tf.math.less(b, zero), -zero, zero), r)


def nextafter(x1, x2, /):
    """The next float after ``x1`` towards ``x2`` (``x2`` where they are equal, so that
    nextafter(-0, +0) is +0 as the standard says)."""
    (a, b), dt = B.promote(x1, x2)
    if dt not in B.REAL_FLOAT:
        raise TypeError(f"nextafter needs real floating-point arrays; received {dt.name}")
    return tf.where(tf.equal(a, b), b, tf.math.nextafter(a, b))


def pow(x1, x2, /):
    (a, b), dt = B.promote(x1, x2)
    if dt in B.UNSIGNED or dt == tf.bool:
        c = B.int_carrier(dt) if dt != tf.bool else tf.int32
        return tf.cast(tf.math.pow(tf.cast(a, c), tf.cast(b, c)), dt)
    return tf.math.pow(a, b)


def atan2(x1, x2, /):
    (a, b), dt = B.promote(x1, x2)
    if not B.is_inexact(dt):
        a, b = tf.cast(a, B.DEFAULT_FLOAT), tf.cast(b, B.DEFAULT_FLOAT)
    return tf.math.atan2(a, b)


def equal(x1, x2, /):
    return _binary(tf.math.equal, x1, x2)


def not_equal(x1, x2, /):
    return _binary(tf.math.not_equal, x1, x2)


def _cmp(fn):
    def f(x1, x2, /):
        (a, b), dt = B.promote(x1, x2)
        if dt == tf.bool:
            a, b = tf.cast(a, tf.int8), tf.cast(b, tf.int8)
        elif B.is_complex(dt):
            raise TypeError(f"{fn.__name__}: complex numbers are not ordered; received dtype {dt.name}")
        return fn(a, b)

    return f


greater = _cmp(tf.math.greater)
greater_equal = _cmp(tf.math.greater_equal)
less = _cmp(tf.math.less)
less_equal = _cmp(tf.math.less_equal)


def maximum(x1, x2, /):
    (a, b), dt = B.promote(x1, x2)
    if dt == tf.bool:
        return tf.logical_or(a, b)
    return tf.math.maximum(a, b)


def minimum(x1, x2, /):
    (a, b), dt = B.promote(x1, x2)
    if dt == tf.bool:
        return tf.logical_and(a, b)
    return tf.math.minimum(a, b)


def _bool_in(x):
    x = _t(x)
    return x if x.dtype == tf.bool else tf.not_equal(x, tf.zeros_like(x))


def logical_and(x1, x2, /):
    return tf.logical_and(_bool_in(x1), _bool_in(x2))


def logical_or(x1, x2, /):
    return tf.logical_or(_bool_in(x1), _bool_in(x2))


def logical_xor(x1, x2, /):
    return tf.math.logical_xor(_bool_in(x1), _bool_in(x2))


def logical_not(x, /):
    return tf.logical_not(_bool_in(x))


def bitwise_and(x1, x2, /):
    (a, b), dt = B.promote(x1, x2)
    return tf.logical_and(a, b) if dt == tf.bool else tf.bitwise.bitwise_and(a, b)


def bitwise_or(x1, x2, /):
    (a, b), dt = B.promote(x1, x2)
    return tf.logical_or(a, b) if dt == tf.bool else tf.bitwise.bitwise_or(a, b)


def bitwise_xor(x1, x2, /):
    (a, b), dt = B.promote(x1, x2)
    return tf.math.logical_xor(a, b) if dt == tf.bool else tf.bitwise.bitwise_xor(a, b)


def bitwise_invert(x, /):
    x = _t(x)
    return tf.logical_not(x) if x.dtype == tf.bool else tf.bitwise.invert(x)


def bitwise_left_shift(x1, x2, /):
    (a, b), dt = B.promote(x1, x2)
    bits = B._BITS[dt]
    big = b >= bits
    safe = tf.where(big, tf.zeros_like(b), b)
    return tf.where(big, tf.zeros_like(a), tf.bitwise.left_shift(a, safe))


def bitwise_right_shift(x1, x2, /):
    (a, b), dt = B.promote(x1, x2)
    bits = B._BITS[dt]
    big = b >= bits
    safe = tf.where(big, tf.zeros_like(b), b)
    if dt in B.UNSIGNED:
        fill = tf.zeros_like(a)
    else:
        fill = tf.where(a < 0, -tf.ones_like(a), tf.zeros_like(a))
    return tf.where(big, fill, tf.bitwise.right_shift(a, safe))


def _int_identity(fn):
    def f(x, /):
        x = _t(x)
        if not B.is_inexact(x.dtype):
            return tf.identity(x)
        if B.is_complex(x.dtype):
            return tf.complex(fn(tf.math.real(x)), fn(tf.math.imag(x)))
        return fn(x)

    return f


def _trunc(x):
    return tf.where(x < 0, tf.math.ceil(x), tf.math.floor(x))


ceil = _int_identity(tf.math.ceil)
floor = _int_identity(tf.math.floor)
trunc = _int_identity(_trunc)
round = _int_identity(tf.math.round)


def conj(x, /):
    x = _t(x)
    return tf.math.conj(x) if B.is_complex(x.dtype) else tf.identity(x)


def real(x, /):
    x = _t(x)
    return tf.math.real(x) if B.is_complex(x.dtype) else tf.identity(x)


def imag(x, /):
    x = _t(x)
    return tf.math.imag(x) if B.is_complex(x.dtype) else tf.zeros_like(x)


def isfinite(x, /):
    x = _t(x)
    if B.is_complex(x.dtype):
        return tf.logical_and(tf.math.is_finite(tf.math.real(x)), tf.math.is_finite(tf.math.imag(x)))
    if B.is_float(x.dtype):
        return tf.math.is_finite(x)
    return tf.ones(B.shape_list(x), tf.bool)


def isinf(x, /):
    x = _t(x)
    if B.is_complex(x.dtype):
        return tf.logical_or(tf.math.is_inf(tf.math.real(x)), tf.math.is_inf(tf.math.imag(x)))
    if B.is_float(x.dtype):
        return tf.math.is_inf(x)
    return tf.zeros(B.shape_list(x), tf.bool)


def isnan(x, /):
    x = _t(x)
    if B.is_complex(x.dtype):
        return tf.logical_or(tf.math.is_nan(tf.math.real(x)), tf.math.is_nan(tf.math.imag(x)))
    if B.is_float(x.dtype):
        return tf.math.is_nan(x)
    return tf.zeros(B.shape_list(x), tf.bool)


def signbit(x, /):
    x = _t(x)
    if x.dtype == tf.float16 or x.dtype == tf.bfloat16:
        return tf.bitcast(x, tf.int16) < 0
    if x.dtype == tf.float32:
        return tf.bitcast(x, tf.int32) < 0
    if x.dtype == tf.float64:
        return tf.bitcast(x, tf.int64) < 0
    if x.dtype in B.SIGNED:
        return x < 0
    return tf.zeros(B.shape_list(x), tf.bool)


def copysign(x1, x2, /):
    (a, b), dt = B.promote(x1, x2)
    if not B.is_float(dt):
        a, b = tf.cast(a, B.DEFAULT_FLOAT), tf.cast(b, B.DEFAULT_FLOAT)
    m = tf.math.abs(a)
    return tf.where(signbit(b), -m, m)


def hypot(x1, x2, /):
    (a, b), dt = B.promote(x1, x2)
    if not B.is_float(dt):
        a, b = tf.cast(a, B.DEFAULT_FLOAT), tf.cast(b, B.DEFAULT_FLOAT)
    a, b = tf.math.abs(a), tf.math.abs(b)
    hi = tf.math.maximum(a, b)
    lo = tf.math.minimum(a, b)
    zero = tf.equal(hi, 0)
    any_inf = tf.logical_or(tf.math.is_inf(a), tf.math.is_inf(b))
    bad = tf.logical_or(zero, any_inf)
    safe_hi = tf.where(bad, tf.ones_like(hi), hi)
    safe_lo = tf.where(bad, tf.zeros_like(lo), lo)
    r = safe_hi * tf.math.sqrt(1 + tf.math.square(safe_lo / safe_hi))
    r = tf.where(zero, tf.zeros_like(r), r)
    r = tf.where(tf.math.is_nan(hi), hi, r)
    return tf.where(any_inf, tf.fill(tf.shape(r), tf.constant(math.inf, r.dtype)), r)


def logaddexp(x1, x2, /):
    (a, b), dt = B.promote(x1, x2)
    if not B.is_float(dt):
        a, b = tf.cast(a, B.DEFAULT_FLOAT), tf.cast(b, B.DEFAULT_FLOAT)
    same = tf.equal(a, b)
    m = tf.math.maximum(a, b)
    d = tf.where(same, tf.zeros_like(a), a - b)
    r = m + tf.math.log1p(tf.math.exp(-tf.math.abs(d)))
    # equal arguments: (a + b) / 2 rather than a, so that each gets half the gradient
    return tf.where(same, (a + b) / 2 + _const(_LN2, a.dtype), r)


def clip(x, /, min=None, max=None):
    x = _t(x)
    dt = x.dtype
    out = x
    cast_bool = dt == tf.bool
    if cast_bool:
        out = tf.cast(out, tf.int8)
    work = out.dtype

    def _bound(v):
        if B.is_pyscalar(v):
            return B.convert_scalar(v, work)
        return B.tensor(v, work)

    if min is not None:
        lo = _bound(min)
        out = tf.math.maximum(out, lo)
        if B.is_float(work):
            out = tf.where(tf.math.is_nan(lo), lo + tf.zeros_like(out), out)
    if max is not None:
        hi = _bound(max)
        out = tf.math.minimum(out, hi)
        if B.is_float(work):
            out = tf.where(tf.math.is_nan(hi), hi + tf.zeros_like(out), out)
    if min is None and max is None:
        out = tf.identity(out)
    if out.shape.rank != x.shape.rank or out.shape != x.shape:
        out = tf.broadcast_to(out, B.shape_list(x)) if out.shape.rank <= x.shape.rank else out
    return tf.cast(out, dt) if cast_bool else out


__all__ = [n for n in dir() if not n.startswith("_") and n not in ("annotations", "math", "tf", "B")]
