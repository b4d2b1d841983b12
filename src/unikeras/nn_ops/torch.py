"""PyTorch fast paths for unikeras.nn_ops (torch.nn.functional). Same names and
signatures as the generic ops; each falls back to ``op.generic`` where torch has no
kernel for the arguments."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from . import activations as _act

# ----------------------------------------------------------------- activations


def relu(x):
    return torch.relu(x)


def relu6(x):
    if not x.is_floating_point():
        return _act.relu6.generic(x)
    return F.relu6(x)


def leaky_relu(x, negative_slope=0.2):
    return F.leaky_relu(x, negative_slope=negative_slope)


def elu(x, alpha=1.0):
    return F.elu(x, alpha=alpha)


def selu(x):
    return F.selu(x)


def gelu(x, approximate=True):
    return F.gelu(x, approximate="tanh" if approximate else "none")


def silu(x):
    return F.silu(x)


swish = silu


def mish(x):
    return F.mish(x)


def softplus(x):
    return F.softplus(x)


def softsign(x):
    return F.softsign(x)


def sigmoid(x):
    return torch.sigmoid(x)


def hard_sigmoid(x):
    return F.hardsigmoid(x)


def hard_silu(x):
    return F.hardswish(x)


hard_swish = hard_silu


def log_sigmoid(x):
    return F.logsigmoid(x)


def tanh(x):
    return torch.tanh(x)


def erf(x):
    return torch.erf(x)


def erfc(x):
    return torch.erfc(x)


def softmax(x, axis=-1):
    if not isinstance(axis, int):
        return _act.softmax.generic(x, axis)
    return torch.softmax(x, dim=axis)


def log_softmax(x, axis=-1):
    if not isinstance(axis, int):
        return _act.log_softmax.generic(x, axis)
    return torch.log_softmax(x, dim=axis)


def logsumexp(x, axis=None, keepdims=False):
    if axis is None:
        axis = tuple(range(x.ndim))
        if x.ndim == 0:
            return x.clone()
    return torch.logsumexp(x, dim=axis, keepdim=keepdims)


def celu(x, alpha=1.0):
    if not x.is_floating_point() or alpha == 0:
        return _act.celu.generic(x, alpha)
    return F.celu(x, alpha=alpha)


def glu(x, axis=-1):
    if not x.is_floating_point() or x.ndim == 0:
        return _act.glu.generic(x, axis)
    if not -x.ndim <= int(axis) < x.ndim or x.shape[int(axis)] % 2:
        return _act.glu.generic(x, axis)  # its error message
    return F.glu(x, dim=int(axis))


def hard_tanh(x):
    if not x.is_floating_point():
        return _act.hard_tanh.generic(x)
    return F.hardtanh(x, -1.0, 1.0)


def hard_shrink(x, threshold=0.5):
    if not x.is_floating_point():
        return _act.hard_shrink.generic(x, threshold)
    return F.hardshrink(x, lambd=threshold)


def soft_shrink(x, threshold=0.5):
    if not x.is_floating_point() or threshold < 0:
        return _act.soft_shrink.generic(x, threshold)
    return F.softshrink(x, lambd=threshold)


def tanh_shrink(x):
    if not x.is_floating_point():
        return _act.tanh_shrink.generic(x)
    return F.tanhshrink(x)


# ----------------------------------------------------------------- losses
def mean_squared_error_mean(target, output):
    return F.mse_loss(output, target)


def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """Gathers the target's log-probability instead of building a one-hot array;
    out-of-range ids give 0 (Keras' one-hot semantics)."""
    from .losses import sparse_categorical_crossentropy as _generic_op

    if (not isinstance(target, torch.Tensor) or not isinstance(output, torch.Tensor)
            or not output.is_floating_point() or output.ndim < 1):
        return _generic_op.generic(target, output, from_logits, axis)
    t = target
    if t.ndim == output.ndim and t.ndim > 0 and t.shape[-1] == 1:
        t = t.squeeze(-1)
    ax = axis % output.ndim
    if tuple(t.shape) != tuple(output.shape[:ax]) + tuple(output.shape[ax + 1:]):
        return _generic_op.generic(target, output, from_logits, axis)  # raises the error
    if t.is_floating_point() or t.dtype == torch.bool:
        t = t.to(torch.int64)
    n = output.shape[ax]
    valid = (t >= 0) & (t < n)  # out-of-range ids give 0 (the final where)
    safe = torch.where(valid, t, torch.zeros_like(t)).to(torch.int64)
    if from_logits and output.ndim == 2 and ax == 1:
        # (batch, classes) logits: torch's fused cross-entropy (one autograd node for
        # log_softmax + gather)
        loss = F.cross_entropy(output, safe, reduction="none")
        return torch.where(valid, loss, torch.zeros_like(loss))
    if from_logits:
        logp = torch.log_softmax(output, dim=ax)
    else:
        from ..xp import epsilon

        eps = epsilon()
        logp = torch.log(torch.clamp(output / output.sum(dim=ax, keepdim=True), eps, 1.0 - eps))
    picked = torch.gather(logp, ax, safe.unsqueeze(ax)).squeeze(ax)
    return torch.where(valid, -picked, torch.zeros_like(picked))


_CE_MEAN_DTYPES = (torch.float32, torch.float64)


def sparse_categorical_crossentropy_mean(target, output, from_logits=False, axis=-1):
    """(batch, classes) logits with (batch,) integer ids (checked in range by the
    caller): torch's ``cross_entropy`` with its mean, one autograd node. Its gradient is
    the unfused chain's bit for bit (``(softmax - onehot) / batch``); the loss value may
    differ in the last bit (its sum runs in another order). Other shapes, probabilities,
    float16/bfloat16 (whose mean the kernel accumulates differently): the generic op."""
    from .losses import sparse_categorical_crossentropy_mean as _generic_op

    if (from_logits and isinstance(target, torch.Tensor) and isinstance(output, torch.Tensor)
            and output.ndim == 2 and axis in (1, -1) and output.dtype in _CE_MEAN_DTYPES
            and target.ndim == 1 and target.shape[0] == output.shape[0]
            and not target.is_floating_point() and not target.is_complex()
            and target.dtype != torch.bool):
        return F.cross_entropy(output, target if target.dtype == torch.int64 else target.long())
    return _generic_op.generic(target, output, from_logits, axis)


# ----------------------------------------------------------------- normalization
def layer_normalization(x, gamma=None, beta=None, axis=-1, epsilon=None):
    """``F.layer_norm`` (one kernel forward, one backward; what Keras 3's torch backend
    runs) when the normalized axes are the trailing ones and gamma/beta have their
    shape; in float32 at least, returned in ``x``'s dtype. Other axes: the generic
    formula."""
    from .misc import _axes_tuple
    from .misc import layer_normalization as _op

    if not isinstance(x, torch.Tensor) or not x.is_floating_point():
        return _op.generic(x, gamma, beta, axis, epsilon)
    nd = x.ndim
    axes = _axes_tuple("layer_normalization", axis, nd)
    k = len(axes)
    shape = tuple(x.shape[nd - k:])
    if axes != tuple(range(nd - k, nd)) or any(
            p is not None and (not isinstance(p, torch.Tensor) or tuple(p.shape) != shape)
            for p in (gamma, beta)):
        return _op.generic(x, gamma, beta, axis, epsilon)
    if epsilon is None:
        from ..xp import epsilon as _eps

        epsilon = _eps()
    orig = x.dtype
    dt = torch.promote_types(orig, torch.float32)
    g = None if gamma is None else gamma.to(dt)
    b = None if beta is None else beta.to(dt)
    out = F.layer_norm(x.to(dt), shape, g, b, float(epsilon))
    return out if out.dtype == orig else out.to(orig)


def batch_norm_training(x, axis, scale=None, offset=None, epsilon=1e-3):
    """``F.batch_norm`` in training mode (one kernel forward, one backward, channels_last
    views as they come): the channel axis is moved to dim 1 as a view. The batch
    statistics come from the same kernel: scratch running buffers with momentum 1 take
    the batch mean and torch's unbiased variance, rescaled to Keras' biased one, outside
    autodiff. One value per channel (n = 1) keeps the generic path (torch's unbiased
    variance is undefined there)."""
    from .misc import batch_norm_training as _op

    nd = x.ndim
    ax = _U.normalize_axis("batch_norm_training", axis, nd)
    c = x.shape[ax]
    n = x.numel() // max(c, 1)
    if (n <= 1 or nd < 2 or x.dtype not in (torch.float32, torch.float64) or any(
            p is not None and (not isinstance(p, torch.Tensor) or p.dtype != x.dtype
                               or tuple(p.shape) != (c,)) for p in (scale, offset))):
        return _op.generic(x, axis, scale, offset, epsilon)
    xc = x if ax == 1 else x.movedim(ax, 1)
    mean = torch.zeros(c, dtype=x.dtype, device=x.device)
    var = torch.zeros(c, dtype=x.dtype, device=x.device)
    out = F.batch_norm(xc, mean, var, scale, offset, True, 1.0, float(epsilon))
    # (out of place: the kernel keeps its running buffers for the backward)
    return (out if ax == 1 else out.movedim(1, ax)), mean, var * ((n - 1) / n)


# ----------------------------------------------------------------- dense
def dense(x, kernel, bias=None):
    """One ``addmm`` for a 2-D input (the kernel is (in, out): no transpose node)."""
    if x.ndim == 2 and bias is not None and x.dtype == kernel.dtype == bias.dtype:
        return torch.addmm(bias, x, kernel)
    y = x @ kernel
    return y if bias is None else y + bias


def embedding_lookup(table, ids):
    """``F.embedding`` (forward a gather, backward one ``embedding_dense_backward``) of
    the ids with negative ids wrapped as Keras' ``take``; out-of-range ids are torch's
    IndexError, as ``index_select``'s."""
    if (isinstance(ids, torch.Tensor) and isinstance(table, torch.Tensor) and table.ndim == 2
            and ids.dtype in (torch.int32, torch.int64)):
        return F.embedding(torch.where(ids < 0, ids + table.shape[0], ids), table)
    from .misc import embedding_lookup as _generic_op

    return _generic_op.generic(table, ids)


# ----------------------------------------------------------------- conv and pooling
from . import _utils as _U  # noqa: E402
from .conv import add_channel_bias, check_depthwise, conv_spec  # noqa: E402
from .conv import conv_transpose_spec  # noqa: E402
from .pooling import pool_spec, same_counts  # noqa: E402

_CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}
_CONV_T = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}
_MAXPOOL = {1: F.max_pool1d, 2: F.max_pool2d, 3: F.max_pool3d}
_AVGPOOL = {1: F.avg_pool1d, 2: F.avg_pool2d, 3: F.avg_pool3d}


def _promote(a, b):
    dt = torch.promote_types(a.dtype, b.dtype)
    return a.to(dt), b.to(dt)


def _to_cf(x, data_format):
    if data_format == "channels_first":
        return x
    nd = x.ndim
    return x.permute(0, nd - 1, *range(1, nd - 1))


def _from_cf(y, data_format):
    if data_format == "channels_first":
        return y
    nd = y.ndim
    return y.permute(0, *range(2, nd), 1)


def _pad_cf(x, pads, value=0.0):
    """Pad the spatial axes (2..) of a channels_first tensor; F.pad wants the last axis
    first."""
    flat = []
    for b, a in reversed(pads):
        flat += [b, a]
    if not any(flat):
        return x
    return F.pad(x, flat, value=value)


def _kernel_oi(kernel, n):
    return kernel.permute(n + 1, n, *range(n))  # (*K, A, B) -> (B, A, *K)


def _conv(op, inputs, kernel, bias, strides, padding, data_format, dilation_rate):
    s = conv_spec(op, inputs, kernel, strides, padding, data_format, dilation_rate)
    inputs, kernel = _promote(inputs, kernel)
    if bias is not None and (bias.dtype != kernel.dtype or bias.shape != kernel.shape[-1:]):
        # not the convolution's own bias: added afterwards with torch's promotion
        return add_channel_bias(_conv(op, inputs, kernel, None, strides, padding,
                                      data_format, dilation_rate), bias, s.data_format)
    x = _to_cf(inputs, s.data_format)
    if all(b == a for b, a in s.pads):
        pad = tuple(b for b, _ in s.pads)
    else:
        x = _pad_cf(x, s.pads)
        pad = 0
    y = _CONV[s.n](x, _kernel_oi(kernel, s.n), bias, s.strides, pad, s.dilation, s.groups)
    return _from_cf(y, s.data_format)


def conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    return _conv("conv", inputs, kernel, None, strides, padding, data_format, dilation_rate)


def conv_bias(inputs, kernel, bias, strides=1, padding="valid", data_format=None,
              dilation_rate=1):
    """F.convNd with the bias: one kernel forward; its backward computes the bias
    gradient inside the convolution's (no add node, no separate reduction)."""
    return _conv("conv_bias", inputs, kernel, bias, strides, padding, data_format,
                 dilation_rate)


def conv_transpose(inputs, kernel, strides=1, padding="valid", output_padding=None,
                   data_format=None, dilation_rate=1):
    s = conv_transpose_spec("conv_transpose", inputs, kernel, strides, padding,
                            output_padding, data_format, dilation_rate)
    inputs, kernel = _promote(inputs, kernel)
    n = s.n
    x = _to_cf(inputs, s.data_format)
    torch_pad, torch_op, crop = [], [], False
    for k, d, (left, right) in zip(s.kernel_size, s.dilation, s.pads):
        ke = (k - 1) * d + 1
        torch_pad.append(ke - 1 - left)  # >= 0 by Keras' rule
        op = right - left  # in [-1, max(stride, dilation))
        torch_op.append(max(op, 0))
        crop |= op < 0
    # torch's weight layout (in, out, *K) is Keras' (*K, out, in) permuted; no flip
    y = _CONV_T[n](x, _kernel_oi(kernel, n), None, s.strides, tuple(torch_pad),
                   tuple(torch_op), 1, s.dilation)
    if crop:
        y = y[(slice(None), slice(None)) + tuple(slice(0, o) for o in s.out_sizes)]
    return _from_cf(y, s.data_format)


def depthwise_conv(inputs, kernel, strides=1, padding="valid", data_format=None,
                   dilation_rate=1):
    check_depthwise("depthwise_conv", inputs, kernel, data_format)
    k = kernel.reshape(tuple(kernel.shape[:-2]) + (1, kernel.shape[-2] * kernel.shape[-1]))
    return conv(inputs, k, strides, padding, data_format, dilation_rate)


def max_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    s = pool_spec("max_pool", inputs, pool_size, strides, padding, data_format)
    x = _to_cf(inputs, s.data_format)
    if not x.is_floating_point():
        from .pooling import max_pool as _op

        return _op.generic(inputs, pool_size, strides, padding, data_format)
    x = _pad_cf(x, s.pads, -float("inf"))
    y = _MAXPOOL[s.n](x, s.pool_size, s.strides)
    return _from_cf(y, s.data_format)


def average_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    s = pool_spec("average_pool", inputs, pool_size, strides, padding, data_format)
    x = _to_cf(inputs, s.data_format)
    if all(p == (0, 0) for p in s.pads):
        y = _AVGPOOL[s.n](x, s.pool_size, s.strides)
    else:
        x = _pad_cf(x, s.pads, 0.0)
        y = _AVGPOOL[s.n](x, s.pool_size, s.strides) * float(_U.prod(s.pool_size))
        for i, counts in enumerate(same_counts(s)):
            shape = [1] * (s.n + 2)
            shape[2 + i] = len(counts)
            y = y / torch.tensor(counts, dtype=y.dtype, device=y.device).reshape(shape)
    return _from_cf(y, s.data_format)


# ----------------------------------------------------------------- top-k, attention
def top_k(x, k, sorted=True):
    if not 0 <= int(k) <= x.shape[-1]:
        raise ValueError(f"top_k: k must be in [0, {x.shape[-1]}] (x.shape[-1]); "
                         f"received k={k!r}")
    res = torch.topk(x, int(k), dim=-1, largest=True, sorted=True)
    return res.values, res.indices


def dot_product_attention(query, key, value, bias=None, mask=None, scale=None, is_causal=False,
                          flash_attention=None, attn_logits_soft_cap=None):
    """``F.scaled_dot_product_attention`` with Keras numerics: masks become an additive
    large negative number (a fully masked row averages uniformly, where torch's boolean
    mask gives nan), grouped key/value heads are repeated. A causal-only call passes
    ``is_causal`` to SDPA (no [T, S] mask built: torch's causal kernels, flash attention
    on CUDA). ``flash_attention=True`` requires torch's flash kernel (CUDA, no mask or
    bias): a ValueError where it cannot run, as Keras. Soft-capped logits and non-4-D
    inputs take the generic path."""
    from .misc import dot_product_attention as _op

    if attn_logits_soft_cap is not None or any(
            a.ndim != 4 for a in (query, key, value)) or query.shape[2] % key.shape[2]:
        if flash_attention:
            raise ValueError("dot_product_attention: flash attention is not supported with "
                             "the provided inputs (4-D query/key/value, no soft cap); "
                             f"received flash_attention={flash_attention!r}")
        return _op.generic(query, key, value, bias, mask, scale, is_causal, flash_attention,
                           attn_logits_soft_cap)
    dt = torch.promote_types(torch.promote_types(query.dtype, key.dtype), value.dtype)
    q, k, v = (a.to(dt).transpose(1, 2) for a in (query, key, value))  # B N T H
    if k.shape[1] != q.shape[1]:
        rep = q.shape[1] // k.shape[1]
        k, v = k.repeat_interleave(rep, 1), v.repeat_interleave(rep, 1)
    t, s = q.shape[2], k.shape[2]
    if flash_attention:
        if mask is not None or bias is not None or not q.is_cuda:
            raise ValueError("dot_product_attention: flash attention is not supported with "
                             "the provided inputs: torch's flash kernel takes CUDA tensors "
                             "and no mask or bias; received "
                             f"device={q.device}, mask={'set' if mask is not None else None}, "
                             f"bias={'set' if bias is not None else None}")
        from torch.nn.attention import SDPBackend, sdpa_kernel

        try:
            with sdpa_kernel([SDPBackend.FLASH_ATTENTION]):
                out = F.scaled_dot_product_attention(q, k, v, is_causal=is_causal, scale=scale)
        except RuntimeError as e:
            raise ValueError("dot_product_attention: flash attention is not supported with "
                             f"the provided inputs: {e}") from None
        return out.transpose(1, 2)
    if mask is None and bias is None:
        # SDPA's own causal mask is the top-left one, as Keras' (cols <= rows)
        out = F.scaled_dot_product_attention(q, k, v, is_causal=bool(is_causal), scale=scale)
        return out.transpose(1, 2)
    add = None if bias is None else bias.to(dt)
    keep = None
    if mask is not None:
        keep = mask if mask.dtype == torch.bool else mask != 0
    if is_causal:
        causal = torch.ones((t, s), dtype=torch.bool, device=q.device).tril()
        keep = causal if keep is None else keep & causal
    if keep is not None:
        # masked logits get Keras' large negative number (fully masked rows average
        # uniformly instead of giving nan)
        neg = torch.zeros((), dtype=dt, device=q.device).new_full((), -0.7 * torch.finfo(dt).max)
        m = torch.where(keep, torch.zeros((), dtype=dt, device=q.device), neg)
        add = m if add is None else torch.clamp(add + m, min=-0.7 * torch.finfo(dt).max)
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=add, scale=scale)
    return out.transpose(1, 2)


# ----------------------------------------------------------------- CTC
def ctc_loss(target, output, target_length, output_length, mask_index=0):
    """F.ctc_loss on time-major log-probabilities. Samples with no alignment get inf and a
    zero gradient (zero_infinity keeps torch's own inf out of the gradient)."""
    from . import ctc as _ctc

    _, target, output, tl, ol, mask, bad = _ctc.ctc_prepare(
        target, output, target_length, output_length, mask_index)
    logp = torch.log_softmax(output, dim=-1).transpose(0, 1)
    loss = F.ctc_loss(logp, target.long(), ol.long(), tl.long(), blank=mask,
                      reduction="none", zero_infinity=True)
    return torch.where(bad, torch.full_like(loss, float("inf")), loss)
