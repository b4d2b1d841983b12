"""Activations and the softmax family, written once against the Array API standard.

Every formula is arranged to stay finite at extreme inputs (no ``exp`` of a large
positive number, no ``log`` of 0 where the limit is finite), and keeps the input dtype.
"""

from __future__ import annotations

import math

from ..xp import floatx, namespace, standardize_dtype
from ._dispatch import fused

__all__ = [
    "relu", "relu6", "leaky_relu", "elu", "selu", "gelu", "silu", "swish", "mish",
    "softplus", "softsign", "sigmoid", "hard_sigmoid", "hard_silu", "hard_swish",
    "log_sigmoid", "tanh", "softmax", "log_softmax", "logsumexp", "erf", "erfc",
    "celu", "glu", "hard_tanh", "hard_shrink", "soft_shrink", "tanh_shrink", "threshold",
    "sparse_plus", "sparse_sigmoid", "squareplus", "sparsemax",
]

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_INV_SQRT_2 = 1.0 / math.sqrt(2.0)
_INV_SQRT_PI = 1.0 / math.sqrt(math.pi)


def _is_int(x) -> bool:
    return standardize_dtype(x.dtype) not in ("bfloat16", "float16", "float32", "float64")


def _zero(x):
    return 0 if _is_int(x) else 0.0


@fused
def relu(x):
    """max(x, 0)."""
    xp = namespace(x)
    return xp.maximum(x, _zero(x))


@fused
def relu6(x):
    """min(max(x, 0), 6)."""
    xp = namespace(x)
    return xp.clip(x, _zero(x), 6 if _is_int(x) else 6.0)


@fused
def leaky_relu(x, negative_slope=0.2):
    """x for x >= 0, negative_slope * x otherwise."""
    xp = namespace(x)
    return xp.where(x >= 0, x, x * negative_slope)


@fused
def elu(x, alpha=1.0):
    """x for x > 0, alpha * (exp(x) - 1) otherwise."""
    xp = namespace(x)
    neg = xp.minimum(x, 0.0)  # expm1 of the clamped value: no overflow in the unused branch
    return xp.where(x > 0, x, alpha * xp.expm1(neg))


@fused
def selu(x):
    """scale * elu(x, alpha) with the constants of Klambauer et al. (2017)."""
    xp = namespace(x)
    neg = xp.minimum(x, 0.0)
    return SELU_SCALE * xp.where(x > 0, x, SELU_ALPHA * xp.expm1(neg))


def _erfc_pos_parts(xp, a):
    """erf and erfc of a >= 0: a positive series for a <= 3 (no cancellation) and a
    continued fraction for erfc beyond. Absolute error ~1e-15 in float64."""
    t0 = 3.0
    z = xp.minimum(a, t0)
    z2 = z * z
    term = z
    s = z
    for n in range(1, 46):
        term = term * (z2 * (2.0 / (2 * n + 1)))
        s = s + term
    erf_small = (2.0 * _INV_SQRT_PI) * xp.exp(-z2) * s
    w = xp.maximum(a, t0)
    t = w
    for k in range(40, 0, -1):
        t = w + (k / 2.0) / t
    erfc_large = xp.exp(-(w * w)) * _INV_SQRT_PI / t
    small = a <= t0
    erf_pos = xp.where(small, erf_small, 1.0 - erfc_large)
    erfc_pos = xp.where(small, 1.0 - erf_small, erfc_large)
    return erf_pos, erfc_pos


def _upcast(xp, x):
    dt = standardize_dtype(x.dtype)
    if dt in ("float16", "bfloat16"):
        return xp.astype(x, xp.float32), dt
    return x, None


def _downcast(xp, y, dt):
    return y if dt is None else xp.astype(y, getattr(xp, dt))


@fused
def erf(x):
    """The error function (the Array API standard has none)."""
    xp = namespace(x)
    x, dt = _upcast(xp, x)
    e, _ = _erfc_pos_parts(xp, xp.abs(x))
    return _downcast(xp, xp.sign(x) * e, dt)


@fused
def erfc(x):
    """1 - erf(x), accurate for large x."""
    xp = namespace(x)
    x, dt = _upcast(xp, x)
    _, c = _erfc_pos_parts(xp, xp.abs(x))
    return _downcast(xp, xp.where(x >= 0, c, 2.0 - c), dt)


@fused
def gelu(x, approximate=True):
    """Gaussian error linear unit: x * Phi(x), or its tanh approximation (the Keras
    default)."""
    xp = namespace(x)
    if approximate:
        inner = _SQRT_2_OVER_PI * (x + 0.044715 * (x * x * x))
        return 0.5 * x * (1.0 + xp.tanh(inner))
    xu, dt = _upcast(xp, x)
    y = -xu * _INV_SQRT_2
    _, c = _erfc_pos_parts(xp, xp.abs(y))
    cdf = 0.5 * xp.where(y >= 0, c, 2.0 - c)  # Phi(x) = erfc(-x/sqrt2)/2
    return _downcast(xp, xu * cdf, dt)


@fused
def sigmoid(x):
    """1 / (1 + exp(-x)), evaluated with exp(-|x|) only."""
    xp = namespace(x)
    e = xp.exp(-xp.abs(x))
    inv = 1.0 / (1.0 + e)
    return xp.where(x >= 0, inv, e * inv)


@fused
def silu(x):
    """x * sigmoid(x) (Swish)."""
    return x * sigmoid.generic(x)


swish = silu


@fused
def softplus(x):
    """log(1 + exp(x)) = max(x, 0) + log1p(exp(-|x|))."""
    xp = namespace(x)
    return xp.maximum(x, 0.0) + xp.log1p(xp.exp(-xp.abs(x)))


@fused
def log_sigmoid(x):
    """log(sigmoid(x)) = min(x, 0) - log1p(exp(-|x|))."""
    xp = namespace(x)
    return xp.minimum(x, 0.0) - xp.log1p(xp.exp(-xp.abs(x)))


@fused
def mish(x):
    """x * tanh(softplus(x))."""
    xp = namespace(x)
    return x * xp.tanh(softplus.generic(x))


@fused
def softsign(x):
    """x / (1 + |x|)."""
    xp = namespace(x)
    return x / (1.0 + xp.abs(x))


@fused
def hard_sigmoid(x):
    """Keras 3: relu6(x + 3) / 6."""
    xp = namespace(x)
    return xp.clip(x + 3.0, 0.0, 6.0) / 6.0


@fused
def hard_silu(x):
    """x * hard_sigmoid(x) (hard Swish)."""
    xp = namespace(x)
    return x * (xp.clip(x + 3.0, 0.0, 6.0) / 6.0)


hard_swish = hard_silu


@fused
def tanh(x):
    xp = namespace(x)
    return xp.tanh(x)


def _axes(axis):
    return tuple(axis) if isinstance(axis, (tuple, list)) else axis


def _safe_max(xp, x, axis):
    """max over ``axis`` (keepdims), with non-finite maxima replaced by 0 so that rows
    of -inf give the same result as the frameworks' kernels (nan for softmax, -inf for
    logsumexp) and +inf entries do not turn finite ones into nan."""
    m = xp.max(x, axis=axis, keepdims=True)
    return xp.where(xp.isfinite(m), m, xp.zeros_like(m))


@fused
def softmax(x, axis=-1):
    """exp(x) / sum(exp(x), axis), shifted by the max for stability."""
    xp = namespace(x)
    axis = _axes(axis)
    e = xp.exp(x - _safe_max(xp, x, axis))
    return e / xp.sum(e, axis=axis, keepdims=True)


@fused
def log_softmax(x, axis=-1):
    """x - logsumexp(x, axis)."""
    xp = namespace(x)
    axis = _axes(axis)
    shifted = x - _safe_max(xp, x, axis)
    return shifted - xp.log(xp.sum(xp.exp(shifted), axis=axis, keepdims=True))


@fused
def logsumexp(x, axis=None, keepdims=False):
    """log(sum(exp(x), axis)), shifted by the max for stability."""
    xp = namespace(x)
    axis = _axes(axis)
    m = _safe_max(xp, x, axis)
    out = xp.log(xp.sum(xp.exp(x - m), axis=axis, keepdims=True)) + m
    if not keepdims:
        if axis is None:
            out = xp.reshape(out, ())
        else:
            out = xp.squeeze(out, axis=axis)
    return out


# ----------------------------------------------------------------------------------------
# Keras 3's newer activations. As in Keras (its JAX backend), integer and bool inputs give
# floatx, except hard_tanh and threshold, which keep the input dtype; glu takes floats only.


def _as_float(xp, x):
    """``x`` cast to floatx when it is an integer or bool array."""
    if _is_int(x):
        return xp.astype(x, getattr(xp, floatx()))
    return x


def _check_axis(op, x, axis):
    axis = int(axis)
    if not -x.ndim <= axis < x.ndim:
        raise ValueError(f"{op}: axis {axis} is out of bounds for an array of rank {x.ndim}")
    return axis % x.ndim


@fused
def celu(x, alpha=1.0):
    """Continuously differentiable ELU: max(x, 0) + alpha * expm1(min(x, 0) / alpha)."""
    xp = namespace(x)
    x = _as_float(xp, x)
    neg = xp.where(x > 0, xp.zeros_like(x), x)  # where, not minimum: derivative 1 at 0
    return xp.where(x > 0, x, alpha * xp.expm1(neg / alpha))


@fused
def glu(x, axis=-1):
    """Gated linear unit: a * sigmoid(b), where a, b are the two halves of x along axis."""
    xp = namespace(x)
    if _is_int(x):
        raise TypeError(f"glu: expected a float array; received dtype {standardize_dtype(x.dtype)}")
    ax = _check_axis("glu", x, axis)
    n = x.shape[ax]
    if n % 2:
        raise ValueError(f"glu: expected an even size along axis {axis}; received shape "
                         f"{tuple(x.shape)}")
    lo = [slice(None)] * x.ndim
    hi = [slice(None)] * x.ndim
    lo[ax], hi[ax] = slice(0, n // 2), slice(n // 2, n)
    return x[tuple(lo)] * sigmoid.generic(x[tuple(hi)])


@fused
def hard_tanh(x):
    """clip(x, -1, 1) (keeps integer dtypes)."""
    xp = namespace(x)
    if _is_int(x):
        if standardize_dtype(x.dtype) == "bool":
            return x
        return xp.clip(x, -1 if not standardize_dtype(x.dtype).startswith("uint") else 0, 1)
    return xp.clip(x, -1.0, 1.0)


@fused
def hard_shrink(x, threshold=0.5):
    """x where |x| > threshold, else 0."""
    xp = namespace(x)
    x = _as_float(xp, x)
    return xp.where(xp.abs(x) > threshold, x, xp.zeros_like(x))


@fused
def soft_shrink(x, threshold=0.5):
    """x - threshold above threshold, x + threshold below -threshold, else 0."""
    xp = namespace(x)
    x = _as_float(xp, x)
    zero = xp.zeros_like(x)
    return xp.where(x > threshold, x - threshold, xp.where(x < -threshold, x + threshold, zero))


@fused
def tanh_shrink(x):
    """x - tanh(x)."""
    xp = namespace(x)
    x = _as_float(xp, x)
    return x - xp.tanh(x)


@fused
def threshold(x, threshold, default_value):
    """x where x > threshold, else default_value (keeps the dtype of x)."""
    xp = namespace(x)
    fill = xp.full_like(x, default_value)
    return xp.where(x > threshold, x, fill)


@fused
def sparse_plus(x):
    """0 for x <= -1, (x + 1)**2 / 4 for -1 < x < 1, x for x >= 1."""
    xp = namespace(x)
    x = _as_float(xp, x)
    c = xp.clip(x, -1.0, 1.0) + 1.0  # clamped: the unused branches stay finite
    return xp.where(x <= -1.0, xp.zeros_like(x), xp.where(x < 1.0, 0.25 * c * c, x))


@fused
def sparse_sigmoid(x):
    """0 for x <= -1, (x + 1) / 2 for -1 < x < 1, 1 for x >= 1."""
    xp = namespace(x)
    x = _as_float(xp, x)
    return 0.5 * (xp.clip(x, -1.0, 1.0) + 1.0)


@fused
def squareplus(x, b=4):
    """(x + sqrt(x**2 + b)) / 2."""
    xp = namespace(x)
    x = _as_float(xp, x)
    return (x + xp.sqrt(x * x + b)) * 0.5


@fused
def sparsemax(x, axis=-1):
    """Euclidean projection of x onto the probability simplex along ``axis`` (Martins &
    Astudillo 2016): max(x - tau, 0) with tau = (sum of the k largest - 1) / k, k the size
    of the support. (Keras 3.15's own sparsemax sums the cumulative sums instead and does
    not sum to 1; fixed upstream in keras-team/keras#23469. This follows the paper.)"""
    xp = namespace(x)
    x = _as_float(xp, x)
    ax = _check_axis("sparsemax", x, axis)
    z = xp.moveaxis(x, ax, -1)
    z = z - xp.max(z, axis=-1, keepdims=True)  # shift-invariant: keeps the sums small
    n = z.shape[-1]
    srt = xp.flip(xp.sort(z, axis=-1), axis=-1)  # descending
    if hasattr(xp, "cumulative_sum"):
        csum = xp.cumulative_sum(srt, axis=-1)
    else:  # pragma: no cover - every supported namespace has it
        csum = xp.stack([xp.sum(srt[..., : i + 1], axis=-1) for i in range(n)], axis=-1)
    r = xp.arange(1, n + 1, dtype=z.dtype)
    support = (1.0 + r * srt) > csum
    k = xp.sum(xp.astype(support, z.dtype), axis=-1, keepdims=True)
    top = xp.sum(xp.where(support, srt, xp.zeros_like(srt)), axis=-1, keepdims=True)
    tau = (top - 1.0) / k
    return xp.moveaxis(xp.maximum(z - tau, 0.0), -1, ax)
