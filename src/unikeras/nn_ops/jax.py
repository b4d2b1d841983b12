"""JAX fast paths for unikeras.nn_ops (jax.nn / jax.lax). Same names and signatures as
the generic ops; each falls back to ``op.generic`` where JAX has no fused kernel."""

from __future__ import annotations

import jax
import numpy as _np  # concrete init values: reduce_window's autodiff needs them
import jax.numpy as jnp
from jax import lax

from . import activations as _act

# ----------------------------------------------------------------- activations


def relu(x):
    return jax.nn.relu(x)


def relu6(x):
    return jax.nn.relu6(x)


def leaky_relu(x, negative_slope=0.2):
    return jax.nn.leaky_relu(x, negative_slope=negative_slope)


def elu(x, alpha=1.0):
    return jax.nn.elu(x, alpha=alpha)


def selu(x):
    return jax.nn.selu(x)


def gelu(x, approximate=True):
    return jax.nn.gelu(x, approximate=bool(approximate))


def silu(x):
    return jax.nn.silu(x)


swish = silu


def mish(x):
    return jax.nn.mish(x)


def softplus(x):
    return jax.nn.softplus(x)


def softsign(x):
    return jax.nn.soft_sign(x)


def sigmoid(x):
    return jax.nn.sigmoid(x)


def hard_sigmoid(x):
    return jax.nn.hard_sigmoid(x)


def hard_silu(x):
    return jax.nn.hard_silu(x)


hard_swish = hard_silu


def log_sigmoid(x):
    return jax.nn.log_sigmoid(x)


def tanh(x):
    return jnp.tanh(x)


def erf(x):
    return lax.erf(x)


def erfc(x):
    return lax.erfc(x)


def softmax(x, axis=-1):
    return jax.nn.softmax(x, axis=tuple(axis) if isinstance(axis, list) else axis)


def log_softmax(x, axis=-1):
    return jax.nn.log_softmax(x, axis=tuple(axis) if isinstance(axis, list) else axis)


def logsumexp(x, axis=None, keepdims=False):
    return jax.nn.logsumexp(x, axis=tuple(axis) if isinstance(axis, list) else axis,
                            keepdims=keepdims)


def _floating(x):
    return jnp.issubdtype(x.dtype, jnp.floating)


def celu(x, alpha=1.0):
    if not _floating(x):
        return _act.celu.generic(x, alpha)
    return jax.nn.celu(x, alpha=alpha)


def hard_tanh(x):
    if not _floating(x):
        return _act.hard_tanh.generic(x)
    return jax.nn.hard_tanh(x)


def sparse_plus(x):
    if not _floating(x):
        return _act.sparse_plus.generic(x)
    return jax.nn.sparse_plus(x)


def squareplus(x, b=4):
    if not _floating(x):
        return _act.squareplus.generic(x, b)
    return jax.nn.squareplus(x, b=b)


# ----------------------------------------------------------------- conv and pooling
from . import _utils as _U  # noqa: E402
from .conv import check_depthwise, conv_spec, conv_transpose_spec  # noqa: E402
from .pooling import pool_spec, same_counts  # noqa: E402

_DN = {1: ("NWC", "WIO", "NWC"), 2: ("NHWC", "HWIO", "NHWC"), 3: ("NDHWC", "DHWIO", "NDHWC")}
_DN_CF = {1: ("NCW", "WIO", "NCW"), 2: ("NCHW", "HWIO", "NCHW"), 3: ("NCDHW", "DHWIO", "NCDHW")}


def _promote(a, b):
    dt = jnp.result_type(a.dtype, b.dtype)
    return a.astype(dt), b.astype(dt)


def conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    s = conv_spec("conv", inputs, kernel, strides, padding, data_format, dilation_rate)
    inputs, kernel = _promote(jnp.asarray(inputs), jnp.asarray(kernel))
    dn = (_DN if s.data_format == "channels_last" else _DN_CF)[s.n]
    return lax.conv_general_dilated(inputs, kernel, s.strides, s.pads, rhs_dilation=s.dilation,
                                    dimension_numbers=dn, feature_group_count=s.groups)


def conv_transpose(inputs, kernel, strides=1, padding="valid", output_padding=None,
                   data_format=None, dilation_rate=1):
    s = conv_transpose_spec("conv_transpose", inputs, kernel, strides, padding,
                            output_padding, data_format, dilation_rate)
    inputs, kernel = _promote(jnp.asarray(inputs), jnp.asarray(kernel))
    n = s.n
    w = jnp.flip(kernel, axis=tuple(range(n)))
    w = jnp.swapaxes(w, -1, -2)
    dn = (_DN if s.data_format == "channels_last" else _DN_CF)[n]
    return lax.conv_general_dilated(inputs, w, (1,) * n, s.pads, lhs_dilation=s.strides,
                                    rhs_dilation=s.dilation, dimension_numbers=dn)


def depthwise_conv(inputs, kernel, strides=1, padding="valid", data_format=None,
                   dilation_rate=1):
    check_depthwise("depthwise_conv", inputs, kernel, data_format)
    k = jnp.reshape(kernel, tuple(kernel.shape[:-2]) + (1, kernel.shape[-2] * kernel.shape[-1]))
    return conv(inputs, k, strides, padding, data_format, dilation_rate)


def _window(s, spatial_value, other=1):
    if s.data_format == "channels_last":
        return (other,) + tuple(spatial_value) + (other,)
    return (other, other) + tuple(spatial_value)


def _pads(s):
    z = [(0, 0)]
    return z + list(s.pads) + z if s.data_format == "channels_last" else z + z + list(s.pads)


def max_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    s = pool_spec("max_pool", inputs, pool_size, strides, padding, data_format)
    x = jnp.asarray(inputs)
    init = -jnp.inf if jnp.issubdtype(x.dtype, jnp.floating) else jnp.iinfo(x.dtype).min
    return lax.reduce_window(x, _np.asarray(init, x.dtype), lax.max, _window(s, s.pool_size),
                             _window(s, s.strides), _pads(s))


def average_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    s = pool_spec("average_pool", inputs, pool_size, strides, padding, data_format)
    x = jnp.asarray(inputs)
    total = lax.reduce_window(x, _np.asarray(0, x.dtype), lax.add, _window(s, s.pool_size),
                              _window(s, s.strides), _pads(s))
    if all(p == (0, 0) for p in s.pads):
        return total / _U.prod(s.pool_size)
    for i, counts in enumerate(same_counts(s)):
        shape = [1] * (s.n + 2)
        shape[(1 if s.data_format == "channels_last" else 2) + i] = len(counts)
        total = total / jnp.asarray(counts, x.dtype).reshape(shape)
    return total


# ----------------------------------------------------------------- top-k, attention
def top_k(x, k, sorted=True):
    if not 0 <= int(k) <= x.shape[-1]:
        raise ValueError(f"top_k: k must be in [0, {x.shape[-1]}] (x.shape[-1]); "
                         f"received k={k!r}")
    return lax.top_k(x, int(k))


def dot_product_attention(query, key, value, bias=None, mask=None, scale=None, is_causal=False,
                          flash_attention=None, attn_logits_soft_cap=None):
    """``jax.nn.dot_product_attention`` (Keras numerics: masked logits get a large
    negative number, so a fully masked row averages uniformly). ``flash_attention=None``
    lets jax pick its kernel (cuDNN flash attention on a GPU where the inputs allow,
    XLA otherwise); ``True`` requires cuDNN (a ValueError where it cannot run, as Keras);
    ``False`` is the XLA kernel. Soft-capped logits and non-4-D inputs take the generic
    path (as do values whose head size differs from the query's)."""
    from .misc import dot_product_attention as _op

    if attn_logits_soft_cap is not None or any(len(a.shape) != 4 for a in (query, key, value)) \
            or value.shape[-1] != query.shape[-1]:  # jax.nn's kernels take one head size
        if flash_attention:
            raise ValueError("dot_product_attention: flash attention is not supported with "
                             "the provided inputs (4-D query/key/value, no soft cap); "
                             f"received flash_attention={flash_attention!r}")
        return _op.generic(query, key, value, bias, mask, scale, is_causal, flash_attention,
                           attn_logits_soft_cap)
    dt = jnp.result_type(query.dtype, key.dtype, value.dtype)
    if mask is not None and mask.dtype != jnp.bool_:
        mask = mask != 0
    args = (query.astype(dt), key.astype(dt), value.astype(dt))
    kw = dict(bias=bias, mask=mask, scale=scale, is_causal=is_causal)
    if flash_attention:
        try:
            return jax.nn.dot_product_attention(*args, **kw, implementation="cudnn")
        except Exception as e:  # no GPU, or a shape/dtype cuDNN does not take
            raise ValueError("dot_product_attention: flash attention is not supported with "
                             f"the provided inputs on this device: {e}") from None
    impl = "xla" if flash_attention is False or not _on_gpu(query) or dt not in _CUDNN_DTYPES \
        else None
    return jax.nn.dot_product_attention(*args, **kw, implementation=impl)


_CUDNN_DTYPES = (jnp.float16, jnp.bfloat16)


def _on_gpu(x):
    try:
        return next(iter(x.devices())).platform == "gpu"
    except Exception:  # a tracer: the default backend
        return jax.default_backend() == "gpu"


# ----------------------------------------------------------------- CTC
def ctc_loss(target, output, target_length, output_length, mask_index=0):
    """The generic forward recursion (nn_ops/ctc.py) with the time loop in lax.scan."""
    from . import ctc as _ctc

    _, target, output, tl, ol, mask, bad = _ctc.ctc_prepare(
        target, output, target_length, output_length, mask_index)
    b, t_max, _ = output.shape
    logp = jax.nn.log_softmax(output, axis=-1)
    _, emit, skip = _ctc.ctc_emissions(jnp, logp, target, mask)
    s = emit.shape[2]
    alpha0 = jnp.full((b, s), _ctc.LOG_ZERO, logp.dtype).at[:, 0].set(0.0)

    def step(alpha, xs):
        emit_t, t = xs
        nxt = _ctc.ctc_step(jnp, alpha, emit_t, skip, _ctc.LOG_ZERO)
        return jnp.where((ol > t)[:, None], nxt, alpha), None

    alpha, _ = lax.scan(step, alpha0, (jnp.moveaxis(emit, 1, 0), jnp.arange(t_max)))
    return _ctc.ctc_final(jnp, alpha, tl, bad)


def _beam_search_jax(x, lengths, beam_width, top_paths, mask_index):
    from . import ctc as _ctc

    b, t_max, _ = x.shape
    logp = jax.nn.log_softmax(x, axis=-1)
    st = _ctc._beam_init(jnp, b, beam_width, t_max, logp.dtype, lengths.dtype)
    st = _ctc._beam_step(jnp, st, logp[:, 0, :], mask_index, first=True)
    fields = _ctc._Beam.FIELDS

    def step(carry, xs):
        y, t = xs
        old = _ctc._Beam(**dict(zip(fields, carry)))
        new = _ctc._beam_step(jnp, old, y, mask_index)
        new = _ctc._beam_select(jnp, lengths > t, new, old)
        return tuple(getattr(new, k) for k in fields), None

    if t_max > 1:
        carry, _ = lax.scan(step, tuple(getattr(st, k) for k in fields),
                            (jnp.moveaxis(logp[:, 1:, :], 1, 0), jnp.arange(1, t_max)))
        st = _ctc._Beam(**dict(zip(fields, carry)))
    return _ctc._beam_best(jnp, st, top_paths)


_beam_search_jit = jax.jit(_beam_search_jax, static_argnums=(2, 3, 4))


def ctc_decode(inputs, sequence_lengths, strategy="greedy", beam_width=100, top_paths=1,
               merge_repeated=True, mask_index=0):
    """Beam search: the generic step (nn_ops/ctc.py) compiled once, the time loop in
    lax.scan; greedy: the generic op."""
    from . import ctc as _ctc

    if strategy != "beam_search":
        return _ctc.ctc_decode.generic(inputs, sequence_lengths, strategy, beam_width,
                                       top_paths, merge_repeated, mask_index)
    _, x, lengths, mask = _ctc.decode_prepare(inputs, sequence_lengths, strategy, beam_width,
                                              top_paths, mask_index)
    return _beam_search_jit(x, lengths, int(beam_width), int(top_paths), mask)
