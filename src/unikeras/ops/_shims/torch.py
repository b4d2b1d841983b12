"""PyTorch helpers for unikeras.ops."""

from __future__ import annotations

import torch


def remat(f):
    """keras.remat: ``f`` recomputed in the backward pass
    (``torch.utils.checkpoint.checkpoint``, non-reentrant: closed-over parameters get
    their gradients)."""
    import torch.utils.checkpoint

    def wrapped(*args):
        return torch.utils.checkpoint.checkpoint(f, *args, use_reentrant=False)
    return wrapped


def stop_gradient(x):
    return x.detach()


def index_update(x, key, value):
    out = x.clone()
    out[key] = value
    return out


def scatter_add(zeros, index_tuple, values):
    return zeros.index_put(index_tuple, values, accumulate=True)


def segment_sum(data, ids, num_segments):
    ids = ids.long()
    keep = (ids >= 0) & (ids < num_segments)
    out = data.new_zeros((num_segments,) + tuple(data.shape[1:]))
    return out.index_add(0, ids[keep], data[keep])


def _extreme(dtype, largest):
    """The identity of min (largest=True) or max (False) for ``dtype``."""
    if dtype.is_floating_point:
        return float("inf") if largest else float("-inf")
    if dtype == torch.bool:
        return largest
    info = torch.iinfo(dtype)
    return info.max if largest else info.min


def _segment_reduce(data, ids, num_segments, init, reduce):
    ids = ids.long()
    keep = (ids >= 0) & (ids < num_segments)
    data, ids = data[keep], ids[keep]
    out = torch.full((num_segments,) + tuple(data.shape[1:]), init, dtype=data.dtype, device=data.device)
    index = ids.reshape((-1,) + (1,) * (data.ndim - 1)).expand_as(data)
    return out.scatter_reduce(0, index, data, reduce=reduce, include_self=True)


def segment_min(data, ids, num_segments):
    return _segment_reduce(data, ids, num_segments, _extreme(data.dtype, True), "amin")


def segment_prod(data, ids, num_segments):
    return _segment_reduce(data, ids, num_segments, 1, "prod")


def segment_max(data, ids, num_segments):
    return _segment_reduce(data, ids, num_segments, _extreme(data.dtype, False), "amax")


def erf(x):
    return torch.special.erf(x)


def erfinv(x):
    return torch.special.erfinv(x)


def top_k(x, k, sorted=True):
    return torch.topk(x, k, dim=-1, largest=True, sorted=sorted)


def einsum(subscripts, *operands, **kwargs):
    return torch.einsum(subscripts, *operands)


class _Holder:
    """Not a container, so torch.func does not treat it as a pytree and copy it."""

    grad_fn = None


class _CustomGradient(torch.autograd.Function):
    """``f(*args) -> (out, grad_fn)`` as an autograd node whose backward is grad_fn.
    Written with ``setup_context`` so torch.func transforms (grad, vjp) accept it; the
    grad_fn made by the forward travels to the context in a per-call holder."""

    @staticmethod
    def forward(f, holder, *args):
        out, holder.grad_fn = f(*args)
        return out

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.holder = inputs[1]

    @staticmethod
    def backward(ctx, *upstream):
        grads = ctx.holder.grad_fn(*upstream)
        if not isinstance(grads, (tuple, list)):
            grads = (grads,)
        return (None, None, *grads)


def custom_gradient(f):
    def call(*args, **kwargs):
        fn = (lambda *a: f(*a, **kwargs)) if kwargs else f
        return _CustomGradient.apply(fn, _Holder(), *args)
    return call


def jvp(fun, primals, tangents, has_aux):
    return torch.func.jvp(fun, primals, tangents, has_aux=has_aux)


def adaptive_average_pool(x, output_size):
    # channels-first (N, C, *spatial) with 1 to 3 spatial axes
    fn = getattr(torch.nn.functional, f"adaptive_avg_pool{x.ndim - 2}d")
    return fn(x, output_size)


def adaptive_max_pool(x, output_size):
    fn = getattr(torch.nn.functional, f"adaptive_max_pool{x.ndim - 2}d")
    return fn(x, output_size)


def lu_factor(x):
    # the _ex form leaves singular matrices to the caller, as LAPACK's getrf does
    lu, pivots, _ = torch.linalg.lu_factor_ex(x)
    return lu, pivots - 1  # torch counts pivots from 1 (LAPACK's Fortran convention)


def view(x, dtype):
    return x.contiguous().view(dtype)


def vectorized_map(function, elements):
    return torch.vmap(function)(elements)


def resize_images(x, size, interpolation, antialias, data_format):
    """keras.ops.image.resize: ``F.interpolate`` where torch computes jax.image's
    function (half-pixel centres, weights renormalised at the edges): "bilinear" with or
    without antialias and "bicubic" with antialias (Keys a=-0.5; without antialias torch
    uses a=-0.75). float32/float64 only; anything else declines (None)."""
    import torch.nn.functional as F

    if x.dtype not in (torch.float32, torch.float64):
        return None
    if not (interpolation == "bilinear" or (interpolation == "bicubic" and antialias)):
        return None
    unbatched = x.ndim == 3
    if unbatched:
        x = x[None]
    if data_format == "channels_last":
        x = x.permute(0, 3, 1, 2)
    if interpolation == "bicubic" and (size[0] > x.shape[2] or size[1] > x.shape[3]):
        return None  # torch's antialiased bicubic upsampling clamps at the edges
    y = F.interpolate(x, size=tuple(size), mode=interpolation, align_corners=False,
                      antialias=antialias)
    if data_format == "channels_last":
        y = y.permute(0, 2, 3, 1)
    return y[0] if unbatched else y


def warp_images(x, ycoords, xcoords, order, mode, cval):
    """keras.ops.image's sampler on channels_last batches with ``F.grid_sample``
    (bilinear; "constant" as zeros padding of ``x - cval`` plus ``cval``, "nearest" as
    border, "mirror" / "reflect" as reflection with aligned / half-pixel corners), ~10x
    the generic gathers. Order 0 (torch rounds ties to even, Keras away from zero), the
    "wrap" mode, 1-pixel axes and non-float images decline (None)."""
    import torch.nn.functional as F

    n, h, w, c = x.shape
    if (order != 1 or mode == "wrap" or h < 2 or w < 2
            or x.dtype not in (torch.float32, torch.float64)):
        return None
    yc, xc = ycoords.to(x.dtype), xcoords.to(x.dtype)
    if mode == "reflect":
        grid = torch.stack([(2 * xc + 1) / w - 1, (2 * yc + 1) / h - 1], dim=-1)
        align = False
    else:
        grid = torch.stack([2 * xc / (w - 1) - 1, 2 * yc / (h - 1) - 1], dim=-1)
        align = True
    pad = {"constant": "zeros", "nearest": "border", "mirror": "reflection",
           "reflect": "reflection"}[mode]
    img = x.permute(0, 3, 1, 2)
    if mode == "constant" and cval != 0:
        img = img - cval
    y = F.grid_sample(img, grid, mode="bilinear", padding_mode=pad, align_corners=align)
    if mode == "constant" and cval != 0:
        y = y + cval
    return y.permute(0, 2, 3, 1)
