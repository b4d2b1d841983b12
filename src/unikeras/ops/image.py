"""Keras 3's ``keras.ops.image``, written once against the Array API standard.

Numerics follow Keras 3.15 on its JAX backend (the reference of the parity tests):

* ``resize`` / ``scale_and_translate``: separable resampling, one weight matrix per
  resized axis (``jax.image.scale_and_translate``'s formulation: half-pixel centres,
  kernels triangle / Keys cubic (a=-0.5) / Lanczos-3/5 / box-overlap "area", weights
  normalised per output pixel, a kernel widened by ``1 / scale`` when ``antialias``
  downsamples), applied by one ``matmul`` per axis. The weights of ``resize`` depend on
  the static sizes only and are built on the host (float64, then cast). "nearest" is a
  gather at ``floor((i + 0.5) * in / out)``. Integer images are resampled in float32,
  rounded (half to even) and saturate-cast back, as Keras does.
* ``affine_transform`` / ``perspective_transform`` / ``map_coordinates`` /
  ``elastic_transform``: ``jax.scipy.ndimage.map_coordinates`` semantics (order 0 rounds
  half away from zero; order 1 is multilinear; out-of-range *indices* are fixed per
  fill mode, and with "constant" each out-of-range corner contributes ``fill_value``),
  as flat-index gathers. ``affine_transform`` applies the projective terms ``c0, c1``
  (``k = c0 x + c1 y + 1``) as TensorFlow's ImageProjectiveTransformV3 does; Keras' JAX,
  NumPy and torch backends drop them (they agree with this when ``c0 = c1 = 0``).
* ``gaussian_blur``, ``sobel_edges``, ``ssim``, ``extract_patches(_3d)``: convolutions
  through ``unikeras.nn_ops`` (fused per framework), zero "same" padding.

Framework fast paths (``unikeras.ops._shims.<fw>``: ``resize_images``,
``scale_and_translate``, ``warp_images``, ``map_coordinates``, ``affine_images``) replace the generic code
where the framework has a kernel computing the same function (on jax: Keras' own
``jax.image`` / ``jax.scipy.ndimage`` calls, jitted once per shape instead of one
compile per eager op; torch ``F.interpolate`` / ``F.grid_sample``; TF
``tf.image.resize`` / ``ImageProjectiveTransformV3``); a fast path returns None to
decline a case it would compute differently.
"""

from __future__ import annotations

import math as _math

import numpy as np

from ..xp.dtypes import index_dtype
from ._common import (
    FLOATS, INTS, cast_to, dtype_name, dtype_obj, floatx, ops_shim, resolve, result_type,
    to_array,
)

__all__ = [
    "affine_transform", "crop_images", "elastic_transform", "extract_patches",
    "extract_patches_3d", "gaussian_blur", "hsv_to_rgb", "map_coordinates", "pad_images",
    "perspective_transform", "resize", "rgb_to_grayscale", "rgb_to_hsv",
    "scale_and_translate", "sobel_edges", "ssim",
]

RESIZE_INTERPOLATIONS = ("bilinear", "nearest", "lanczos3", "lanczos5", "bicubic", "area")
AFFINE_INTERPOLATIONS = {"nearest": 0, "bilinear": 1}
FILL_MODES = ("constant", "nearest", "wrap", "mirror", "reflect")
SCALE_AND_TRANSLATE_METHODS = ("linear", "bilinear", "trilinear", "triangle", "cubic",
                               "bicubic", "tricubic", "lanczos3", "lanczos5")


# ------------------------------------------------------------------------- helpers
def _data_format(data_format):
    if data_format is None:
        from ..config import image_data_format

        return image_data_format()
    df = str(data_format).lower()
    if df not in ("channels_first", "channels_last"):
        raise ValueError("The `data_format` argument must be one of {'channels_first', "
                         f"'channels_last'}}. Received: data_format={data_format}")
    return df


def _shape_of(images):
    return tuple(images.shape) if hasattr(images, "shape") else np.shape(images)


def _check_rank(images, name="images", ranks=(3, 4)):
    shape = _shape_of(images)
    if len(shape) not in ranks:
        if ranks == (3, 4):
            raise ValueError(f"Invalid {name} rank: expected rank 3 (single image) or rank 4 "
                             f"(batch of images). Received input with shape: "
                             f"{name}.shape={shape}")
        raise ValueError(f"Invalid {name} rank: expected rank {' or '.join(map(str, ranks))}. "
                         f"Received input with shape: {name}.shape={shape}")
    return shape


def _one(op, x):
    xp, fw = resolve(op, x)
    return xp, fw, to_array(xp, fw, x)


def _hw_axes(df):
    return (-3, -2) if df == "channels_last" else (-2, -1)


def _compute_dtype(d):
    """Resampling dtype: float32 for integers and half floats, else the dtype."""
    return d if d in ("float32", "float64") else "float32"


def _round_back(xp, fw, y, d):
    """``y`` (float) as dtype ``d``: integers are rounded half to even and saturated."""
    if d in INTS or d == "bool":
        if d == "bool":
            return y > 0.5
        info = np.iinfo(d)
        y = xp.clip(xp.round(y), float(info.min), float(info.max))
    return cast_to(xp, fw, y, d)


def _move_matmul(xp, x, w, axis):
    """Contract ``x``'s ``axis`` with the rows of ``w`` (in, out); the result keeps the
    axis position."""
    x = xp.moveaxis(x, axis, -1)
    return xp.moveaxis(xp.matmul(x, w), -1, axis)


# ------------------------------------------------------------- resampling kernels
def _triangle(xp, x):
    return xp.maximum(xp.zeros_like(x), 1.0 - xp.abs(x))


def _keys_cubic(xp, x):
    out = ((1.5 * x - 2.5) * x) * x + 1.0
    out = xp.where(x >= 1.0, ((-0.5 * x + 2.5) * x - 4.0) * x + 2.0, out)
    return xp.where(x >= 2.0, xp.zeros_like(x), out)


def _lanczos(radius):
    def kernel(xp, x):
        y = radius * xp.sin(_math.pi * x) * xp.sin(_math.pi * x / radius)
        safe = xp.where(x != 0, _math.pi ** 2 * x ** 2, xp.ones_like(x))
        out = xp.where(x > 1e-3, y / safe, xp.ones_like(x))
        return xp.where(x > radius, xp.zeros_like(x), out)

    return kernel


_KERNELS = {"linear": _triangle, "bilinear": _triangle, "cubic": _keys_cubic,
            "bicubic": _keys_cubic, "lanczos3": _lanczos(3.0), "lanczos5": _lanczos(5.0),
            "area": "area"}


def _weight_mat(xp, in_size, out_size, scale, translation, kernel, antialias, dtype):
    """(in_size, out_size) resampling weights (``jax.image.compute_weight_mat``).
    ``xp`` is NumPy for static scales (built on the host) or the images' namespace for
    array scales."""
    inv_scale = 1.0 / scale
    sample_f = ((xp.arange(out_size, dtype=dtype) + 0.5) * inv_scale
                - translation * inv_scale - 0.5)
    in_idx = xp.arange(in_size, dtype=dtype)
    if kernel == "area":
        left = xp.arange(out_size, dtype=dtype) * inv_scale - translation * inv_scale
        right = left + inv_scale
        w = (xp.minimum(right[None, :], in_idx[:, None] + 1.0)
             - xp.maximum(left[None, :], in_idx[:, None]))
        w = xp.maximum(w, xp.zeros_like(w))
    else:
        kernel_scale = xp.maximum(inv_scale, xp.ones_like(inv_scale)) if antialias else 1.0
        w = kernel(xp, xp.abs(sample_f[None, :] - in_idx[:, None]) / kernel_scale)
    total = xp.sum(w, axis=0, keepdims=True)
    eps = 1000.0 * float(np.finfo(np.float32).eps)
    w = xp.where(xp.abs(total) > eps, w / xp.where(total != 0, total, xp.ones_like(total)),
                 xp.zeros_like(w))
    if kernel == "area":
        return w
    inside = (sample_f >= -0.5) & (sample_f <= in_size - 0.5)
    return xp.where(inside[None, :], w, xp.zeros_like(w))


def _resample(xp, fw, x, axes, out_sizes, scales, translations, kernel, antialias):
    """Separable resampling of ``x`` along ``axes`` (float ``x``)."""
    d = dtype_name(x)
    for ax, n, s, t in zip(axes, out_sizes, scales, translations):
        m = x.shape[ax]
        if isinstance(s, (int, float)) and isinstance(t, (int, float)):
            w = to_array(xp, fw, _weight_mat(np, m, n, float(s), float(t), kernel, antialias,
                                             np.float64), d)
        else:
            w = cast_to(xp, fw, _weight_mat(xp, m, n, s, t, kernel, antialias, x.dtype), d)
        x = _move_matmul(xp, x, w, ax)
    return x


def _nearest_indices(m, n):
    """jax.image's nearest source rows, computed in float32 as jax does."""
    off = (np.arange(n, dtype=np.float32) + np.float32(0.5)) * np.float32(m) / np.float32(n)
    return np.floor(off.astype(np.float32)).astype(np.int64)


# ------------------------------------------------------------------------- resize
def resize(images, size, interpolation="bilinear", antialias=False,
           crop_to_aspect_ratio=False, pad_to_aspect_ratio=False, fill_mode="constant",
           fill_value=0.0, data_format=None):
    """Resize image(s) (rank 3, or rank 4 batched) to ``size = (height, width)``.

    ``interpolation``: "bilinear" (default), "nearest", "bicubic" (Keys, a=-0.5),
    "lanczos3", "lanczos5", "area". ``antialias`` widens the kernel when downsampling.
    ``crop_to_aspect_ratio`` crops the largest centred window of the target aspect
    ratio first; ``pad_to_aspect_ratio`` pads the short side evenly with ``fill_value``
    (``fill_mode`` "constant" only). The result has the input's dtype (integers are
    rounded and saturated)."""
    if len(size) != 2:
        raise ValueError(f"Expected `size` to be a tuple of 2 integers. Received: size={size}")
    if size[0] <= 0 or size[1] <= 0:
        raise ValueError(f"`size` must have positive height and width. Received: size={size}")
    _check_rank(images)
    if pad_to_aspect_ratio and crop_to_aspect_ratio:
        raise ValueError("Only one of `pad_to_aspect_ratio` & `crop_to_aspect_ratio` can be "
                         "`True`.")
    if interpolation not in RESIZE_INTERPOLATIONS:
        raise ValueError("Invalid value for argument `interpolation`. Expected of one "
                         f"{RESIZE_INTERPOLATIONS}. Received: interpolation={interpolation}")
    if fill_mode != "constant":
        raise ValueError("Invalid value for argument `fill_mode`. Only `'constant'` is "
                         f"supported. Received: fill_mode={fill_mode}")
    df = _data_format(data_format)
    xp, fw, x = _one("image.resize", images)
    th, tw = int(size[0]), int(size[1])
    ha, wa = _hw_axes(df)
    nd = x.ndim
    ha, wa = ha % nd, wa % nd
    d = dtype_name(x)
    height, width = x.shape[ha], x.shape[wa]
    if crop_to_aspect_ratio:
        ch = max(min(height, int(float(width * th) / tw)), 1)
        cw = max(min(width, int(float(height * tw) / th)), 1)
        h0 = int(float(height - ch) / 2)
        w0 = int(float(width - cw) / 2)
        idx = [slice(None)] * nd
        idx[ha], idx[wa] = slice(h0, h0 + ch), slice(w0, w0 + cw)
        x = x[tuple(idx)]
    elif pad_to_aspect_ratio:
        ph = max(height, int(float(width * th) / tw))
        pw = max(width, int(float(height * tw) / th))
        h0 = int(float(ph - height) / 2)
        w0 = int(float(pw - width) / 2)
        if d not in FLOATS and interpolation != "nearest":
            x = cast_to(xp, fw, x, "float32")
        if h0 > 0:
            x = _pad_const(xp, x, ha, h0, h0, fill_value)
        elif w0 > 0:
            x = _pad_const(xp, x, wa, w0, w0, fill_value)
    if interpolation == "nearest":
        for ax, n in ((ha, th), (wa, tw)):
            m = x.shape[ax]
            if m != n:
                x = xp.take(x, to_array(xp, fw, _nearest_indices(m, n), index_dtype(fw)), axis=ax)
        return cast_to(xp, fw, x, d)
    fast = getattr(ops_shim(fw), "resize_images", None)
    if fast is not None:
        out = fast(x, (th, tw), interpolation, bool(antialias), df)
        if out is not None:
            return _round_back(xp, fw, out, d) if dtype_name(out) != d else out
    cd = _compute_dtype(dtype_name(x))
    y = cast_to(xp, fw, x, cd)
    axes, outs, scales = [], [], []
    for ax, n in ((ha, th), (wa, tw)):
        m = y.shape[ax]
        if m != n:
            axes.append(ax)
            outs.append(n)
            scales.append(n / m)
    y = _resample(xp, fw, y, axes, outs, scales, [0.0] * len(axes), _KERNELS[interpolation],
                  antialias)
    return _round_back(xp, fw, y, d)


def _pad_const(xp, x, axis, before, after, value):
    """``x`` with ``before``/``after`` entries of ``value`` along ``axis`` (built from a
    slice of ``x``, so a size unknown until run time, a traced batch axis, is fine)."""
    idx = [slice(None)] * x.ndim
    idx[axis] = slice(0, 1)
    unit = xp.full_like(x[tuple(idx)], value)
    parts = [xp.repeat(unit, n, axis=axis) for n in (before, after)]
    return xp.concat([parts[0], x, parts[1]], axis=axis)


# ------------------------------------------------------------------ crop / pad
def _validate_two_of(kind, a, b, target, names):
    if [a, b, target].count(None) != 1:
        raise ValueError(f"Must specify exactly two of {names[0]}, {names[1]}, {names[2]}. "
                         f"Received: {names[0]}={a}, {names[1]}={b}, {names[2]}={target}")


def _non_negative(value, name):
    if value is not None and value < 0:
        raise ValueError(f"{name} must be >= 0. Received: {name}={value}")


def _validate_box_args(verb, top, left, bottom, right, target_height, target_width):
    t, lft, b, r = (f"top_{verb}", f"left_{verb}", f"bottom_{verb}", f"right_{verb}")
    _validate_two_of(verb, top, bottom, target_height, (t, b, "target_height"))
    _validate_two_of(verb, left, right, target_width, (lft, r, "target_width"))
    for v, n in ((top, t), (bottom, b), (target_height, "target_height"), (left, lft),
                 (right, r), (target_width, "target_width")):
        _non_negative(v, n)


def _rank_error(shape):
    return ValueError("Invalid images rank: expected rank 3 (single image) or rank 4 (batch of "
                      f"images). Received: images.shape={shape}")


def pad_images(images, top_padding=None, left_padding=None, bottom_padding=None,
               right_padding=None, target_height=None, target_width=None, data_format=None):
    """Pad image(s) with zeros: exactly two of ``top_padding``, ``bottom_padding``,
    ``target_height`` (and of ``left_padding``, ``right_padding``, ``target_width``)."""
    df = _data_format(data_format)
    xp, fw, x = _one("image.pad_images", images)
    if x.ndim not in (3, 4):
        raise _rank_error(tuple(x.shape))
    _validate_box_args("padding", top_padding, left_padding, bottom_padding, right_padding,
                       target_height, target_width)
    ha, wa = (a % x.ndim for a in _hw_axes(df))
    height, width = x.shape[ha], x.shape[wa]
    if top_padding is None:
        top_padding = target_height - bottom_padding - height
    if bottom_padding is None:
        bottom_padding = target_height - top_padding - height
    if left_padding is None:
        left_padding = target_width - right_padding - width
    if right_padding is None:
        right_padding = target_width - left_padding - width
    for v, n in ((top_padding, "top_padding"), (left_padding, "left_padding"),
                 (right_padding, "right_padding"), (bottom_padding, "bottom_padding")):
        _non_negative(v, n)
    if top_padding or bottom_padding:
        x = _pad_const(xp, x, ha, int(top_padding), int(bottom_padding), 0)
    if left_padding or right_padding:
        x = _pad_const(xp, x, wa, int(left_padding), int(right_padding), 0)
    return x


def crop_images(images, top_cropping=None, left_cropping=None, bottom_cropping=None,
                right_cropping=None, target_height=None, target_width=None, data_format=None):
    """Crop image(s): exactly two of ``top_cropping``, ``bottom_cropping``,
    ``target_height`` (and of ``left_cropping``, ``right_cropping``, ``target_width``)."""
    df = _data_format(data_format)
    xp, fw, x = _one("image.crop_images", images)
    if x.ndim not in (3, 4):
        raise _rank_error(tuple(x.shape))
    _validate_box_args("cropping", top_cropping, left_cropping, bottom_cropping,
                       right_cropping, target_height, target_width)
    ha, wa = (a % x.ndim for a in _hw_axes(df))
    height, width = x.shape[ha], x.shape[wa]
    if top_cropping is None:
        top_cropping = height - target_height - bottom_cropping
    if target_height is None:
        target_height = height - bottom_cropping - top_cropping
    if left_cropping is None:
        left_cropping = width - target_width - right_cropping
    if target_width is None:
        target_width = width - right_cropping - left_cropping
    for v, n in ((top_cropping, "top_cropping"), (target_height, "target_height"),
                 (left_cropping, "left_cropping"), (target_width, "target_width")):
        _non_negative(v, n)
    if top_cropping + target_height > height or left_cropping + target_width > width:
        raise ValueError(f"The crop box (top_cropping={top_cropping}, left_cropping="
                         f"{left_cropping}, target_height={target_height}, target_width="
                         f"{target_width}) does not fit in images of height {height} and "
                         f"width {width}. Received: images.shape={tuple(x.shape)}")
    idx = [slice(None)] * x.ndim
    idx[ha] = slice(int(top_cropping), int(top_cropping + target_height))
    idx[wa] = slice(int(left_cropping), int(left_cropping + target_width))
    return x[tuple(idx)]


# ------------------------------------------------------------- map_coordinates
def _round_half_away(xp, c):
    return xp.sign(c) * xp.floor(xp.abs(c) + 0.5)


def _mirror(index, size):
    if size == 1:
        return index * 0
    s = size - 1
    return abs((index + s) % (2 * s) - s)


def _fix_index(xp, index, size, mode):
    if mode == "constant":
        return xp.clip(index, 0, size - 1)
    if mode == "nearest":
        return xp.clip(index, 0, size - 1)
    if mode == "wrap":
        return index % size
    if mode == "mirror":
        return _mirror(index, size)
    # reflect: (d c b a | a b c d | d c b a)
    return (_mirror(2 * index + 1, 2 * size + 1) - 1) // 2


def _nodes(xp, fw, c, order):
    it = dtype_obj(xp, fw, index_dtype(fw))
    if order == 0:
        return [(xp.astype(_round_half_away(xp, c), it), None)]
    lower = xp.floor(c)
    upper_w = c - lower
    i = xp.astype(lower, it)
    return [(i, 1.0 - upper_w), (i + 1, upper_w)]


def _sample(xp, fw, flat, sizes, coords, order, mode, cval, out_dtype):
    """Interpolate ``flat`` (the input reshaped to ``(prod(sizes), *rest)``) at
    ``coords`` (one float array per leading axis, all of one shape ``S``): an array of
    shape ``S + rest``."""
    import itertools

    per_dim = []
    for c, size in zip(coords, sizes):
        nodes = []
        for idx, w in _nodes(xp, fw, c, order):
            valid = ((idx >= 0) & (idx < size)) if mode == "constant" else None
            nodes.append((_fix_index(xp, idx, size, mode), valid, w))
        per_dim.append(nodes)
    strides = [int(np.prod(sizes[i + 1:])) for i in range(len(sizes))]
    rest = tuple(flat.shape[1:])
    cshape = tuple(-1 if d is None else d for d in coords[0].shape)   # -1: a tf.data batch
    out = None
    for items in itertools.product(*per_dim):
        flat_idx = None
        valid = None
        weight = None
        for (idx, v, w), st in zip(items, strides):
            term = idx * st if st != 1 else idx
            flat_idx = term if flat_idx is None else flat_idx + term
            if v is not None:
                valid = v if valid is None else valid & v
            if w is not None:
                weight = w if weight is None else weight * w
        vals = xp.take(flat, xp.reshape(flat_idx, (-1,)), axis=0)
        vals = xp.reshape(vals, cshape + rest)
        vals = cast_to(xp, fw, vals, out_dtype)
        expand = (slice(None),) * len(cshape) + (None,) * len(rest)
        if valid is not None:
            fill = xp.full((), cval, dtype=vals.dtype)
            vals = xp.where(valid[expand] if rest else valid, vals, fill)
        if weight is not None:
            vals = vals * cast_to(xp, fw, weight[expand] if rest else weight, out_dtype)
        out = vals if out is None else out + vals
    return out


def _interp_dtype(d_in, d_coord):
    if d_in in FLOATS:
        return result_type(d_in, d_coord)
    return d_coord


def _finish_interp(xp, fw, out, d):
    if d in INTS:
        out = _round_half_away(xp, out)
    return cast_to(xp, fw, out, d)


def _check_fill_mode(fill_mode, modes=FILL_MODES):
    if fill_mode not in modes:
        raise ValueError("Invalid value for argument `fill_mode`. Expected of one "
                         f"{set(modes)}. Received: fill_mode={fill_mode}")


def map_coordinates(inputs, coordinates, order, fill_mode="constant", fill_value=0):
    """Interpolate ``inputs`` at ``coordinates`` (shape ``(inputs.ndim, ...)``) with
    spline ``order`` 0 (nearest) or 1 (linear); points outside are filled per
    ``fill_mode`` ("constant", "nearest", "wrap", "mirror", "reflect")."""
    xp, fw = resolve("image.map_coordinates", inputs, coordinates)
    x = to_array(xp, fw, inputs)
    if isinstance(coordinates, (list, tuple)) and coordinates and not isinstance(
            coordinates[0], (int, float)):
        cs = [to_array(xp, fw, c) for c in coordinates]
        cshape = (len(cs),) + tuple(cs[0].shape)
    else:
        cs = to_array(xp, fw, coordinates)
        cshape = tuple(cs.shape)
        cs = [cs[i, ...] for i in range(cshape[0])] if cs.ndim >= 1 else []
    if cshape[0] != x.ndim:
        raise ValueError("First dim of `coordinates` must be the same as the rank of `inputs`. "
                         f"Received inputs with shape: {tuple(x.shape)} and coordinate leading "
                         f"dim of {cshape[0]}")
    if len(cshape) < 2:
        raise ValueError("Invalid coordinates rank: expected at least rank 2. Received input "
                         f"with shape: {cshape}")
    _check_fill_mode(fill_mode)
    if order not in (0, 1):
        raise ValueError(f"Invalid value for argument `order`. Expected one of [0, 1]. "
                         f"Received: order={order}")
    d = dtype_name(x)
    cd = dtype_name(cs[0])
    cd = cd if cd in FLOATS else floatx()
    cs = [cast_to(xp, fw, c, cd) for c in cs]
    fast = getattr(ops_shim(fw), "map_coordinates", None)
    if fast is not None:
        return fast(x, cs, order, fill_mode, fill_value)
    od = _interp_dtype(d, cd)
    flat = xp.reshape(x, (-1,))
    out = _sample(xp, fw, flat, tuple(x.shape), cs, order, fill_mode, fill_value, od)
    return _finish_interp(xp, fw, out, d)


# ------------------------------------------------------------- affine_transform
def _grid(xp, fw, h, w, dtype):
    ys = xp.arange(h, dtype=dtype_obj(xp, fw, dtype))
    xs = xp.arange(w, dtype=dtype_obj(xp, fw, dtype))
    return ys[:, None], xs[None, :]


def _dynamic_batch(fw, x):
    """The run-time size of the leading axis of ``x`` (a ``tf.data`` batch axis, unknown
    while the map function is traced)."""
    from ..xp._registry import shim

    return shim(fw, "xp").dynamic_shape(x)[0]


def _warp(xp, fw, x, ycoords, xcoords, order, fill_mode, fill_value):
    """Sample channels_last batched images ``x`` (N, H, W, C) at per-image coordinates
    (N, h, w): the (N, h, w, C) result in the interpolation dtype."""
    fast = getattr(ops_shim(fw), "warp_images", None)
    if fast is not None:
        out = fast(x, ycoords, xcoords, order, fill_mode, fill_value)
        if out is not None:
            return out
    n, h, w, c = (None if s is None else int(s) for s in x.shape)
    sizes = (n, h, w)
    if n is None:
        # a tf.data batch axis, its size known only at run time: the batch coordinate
        # is an exact index in [0, n), so any size above n leaves it as it is (the
        # bilinear upper neighbour n, of weight 0, reads an appended zero image)
        n = _dynamic_batch(fw, x)
        x = xp.concat([x, xp.zeros_like(x[:1])], axis=0)
        sizes = (2 ** 20, h, w)
    flat = xp.reshape(x, (-1, c))
    cd = dtype_name(ycoords)
    od = _interp_dtype(dtype_name(x), cd)
    # the batch index is a coordinate that is always an exact integer
    if isinstance(n, int):
        bidx = xp.reshape(xp.arange(n, dtype=ycoords.dtype), (n, 1, 1))
    else:               # 0, 1, ..., n-1 for a run-time n (arange needs a number)
        bidx = xp.cumulative_sum(xp.ones_like(ycoords[:, :1, :1]), axis=0) - 1
    bidx = bidx + xp.zeros_like(ycoords)
    return _sample(xp, fw, flat, sizes, [bidx, ycoords, xcoords], order, fill_mode,
                   fill_value, od)


def _to_nhwc(xp, x, df):
    unbatched = x.ndim == 3
    if unbatched:
        x = x[None, ...]
    if df == "channels_first":
        x = xp.permute_dims(x, (0, 2, 3, 1))
    return x, unbatched


def _from_nhwc(xp, x, df, unbatched):
    if df == "channels_first":
        x = xp.permute_dims(x, (0, 3, 1, 2))
    return x[0, ...] if unbatched else x


def _check_interpolation(interpolation):
    if interpolation not in AFFINE_INTERPOLATIONS:
        raise ValueError("Invalid value for argument `interpolation`. Expected of one "
                         f"{set(AFFINE_INTERPOLATIONS)}. Received: interpolation={interpolation}")


def affine_transform(images, transform, interpolation="bilinear", fill_mode="constant",
                     fill_value=0, data_format=None):
    """Apply projective transform(s) ``[a0, a1, a2, b0, b1, b2, c0, c1]`` (one row, or
    one per image): output pixel ``(x, y)`` samples the input at
    ``((a0 x + a1 y + a2) / k, (b0 x + b1 y + b2) / k)``, ``k = c0 x + c1 y + 1``."""
    df = _data_format(data_format)
    _check_interpolation(interpolation)
    _check_fill_mode(fill_mode)
    xp, fw = resolve("image.affine_transform", images, transform)
    x = to_array(xp, fw, images)
    t = to_array(xp, fw, transform)
    if x.ndim not in (3, 4):
        _check_rank(x)
    if t.ndim not in (1, 2):
        raise ValueError("Invalid transform rank: expected rank 1 (single transform) or rank 2 "
                         "(batch of transforms). Received input with shape: "
                         f"transform.shape={tuple(t.shape)}")
    if t.shape[-1] != 8:
        raise ValueError("Invalid transform shape: expected 8 values per transform "
                         "[a0, a1, a2, b0, b1, b2, c0, c1]. Received input with shape: "
                         f"transform.shape={tuple(t.shape)}")
    d = dtype_name(x)
    td = dtype_name(t)
    cd = td if td in FLOATS and td != "bfloat16" and td != "float16" else "float32"
    if d == "float64" or td == "float64":
        cd = "float64"
    t = cast_to(xp, fw, t, cd)
    x, unbatched = _to_nhwc(xp, x, df)
    if t.ndim == 1:
        t = t[None, :]
    fast = getattr(ops_shim(fw), "affine_images", None)
    if fast is not None:  # takes one transform for the batch (an unknown batch size too)
        out = fast(x, t, interpolation, fill_mode, fill_value)
        if out is not None:
            return _from_nhwc(xp, cast_to(xp, fw, out, d), df, unbatched)
    n, h, w = int(x.shape[0]), int(x.shape[1]), int(x.shape[2])
    if t.shape[0] not in (1, n):
        raise ValueError(f"Invalid transform shape: expected 1 or {n} transforms for a batch of "
                         f"{n} images. Received input with shape: transform.shape="
                         f"{tuple(t.shape)}")
    ys, xs = _grid(xp, fw, h, w, cd)
    col = [t[:, i, None, None] for i in range(8)]
    k = col[6] * xs + col[7] * ys + 1.0
    xin = (col[0] * xs + col[1] * ys + col[2]) / k
    yin = (col[3] * xs + col[4] * ys + col[5]) / k
    shape = (n, h, w)
    xin, yin = xp.broadcast_to(xin, shape), xp.broadcast_to(yin, shape)
    out = _warp(xp, fw, x, yin, xin, AFFINE_INTERPOLATIONS[interpolation], fill_mode, fill_value)
    out = _finish_interp(xp, fw, out, d)
    return _from_nhwc(xp, out, df, unbatched)


# ------------------------------------------------------------------ colour spaces
def _channel_axis(df):
    return -1 if df == "channels_last" else -3


def rgb_to_grayscale(images, data_format=None):
    """Luma ``0.2989 R + 0.5870 G + 0.1140 B`` (tf.image's weights), keeping a channel
    axis of size 1; a 1-channel input is returned as is. Integer images are weighted in
    float and truncated back to their dtype, as Keras does."""
    df = _data_format(data_format)
    xp, fw, x = _one("image.rgb_to_grayscale", images)
    _check_rank(x)
    ax = _channel_axis(df) % x.ndim
    if x.shape[ax] not in (1, 3):
        raise ValueError("Invalid channel size: expected 3 (RGB) or 1 (Grayscale). Received "
                         f"input with shape: images.shape={tuple(x.shape)}")
    if x.shape[ax] == 1:
        return x
    d = dtype_name(x)
    cd = result_type(d, float)
    y = cast_to(xp, fw, x, cd)
    w = to_array(xp, fw, np.array([0.2989, 0.5870, 0.1140]), cd)
    g = xp.sum(xp.moveaxis(y, ax, -1) * w, axis=-1)
    return cast_to(xp, fw, xp.expand_dims(g, axis=ax), d)


def _float_images(op, images):
    xp, fw, x = _one(op, images)
    _check_rank(x)
    d = dtype_name(x)
    if d not in FLOATS:
        raise ValueError(f"Invalid images dtype: expected float dtype. Received: images.dtype={d}")
    return xp, fw, x, d


def _planes(xp, x, ax):
    return [x[(slice(None),) * ax + (i,)] for i in range(3)]


def rgb_to_hsv(images, data_format=None):
    """RGB -> HSV (all in [0, 1] for RGB in [0, 1]); float images only."""
    df = _data_format(data_format)
    xp, fw, x, d = _float_images("image.rgb_to_hsv", images)
    ax = _channel_axis(df) % x.ndim
    eps = 2.0 ** -7 if d == "bfloat16" else float(np.finfo(d).eps)
    zero = xp.zeros((), dtype=x.dtype)
    one = xp.ones((), dtype=x.dtype)
    x = xp.where(xp.abs(x) < eps, zero, x)
    r, g, b = _planes(xp, x, ax)
    value = xp.maximum(xp.maximum(r, g), b)
    minimum = xp.minimum(xp.minimum(r, g), b)
    rng_ = value - minimum
    safe_value = xp.where(value > 0, value, one)
    safe_range = xp.where(rng_ > 0, rng_, one)
    saturation = xp.where(value > 0, rng_ / safe_value, zero)
    norm = 1.0 / (6.0 * safe_range)
    hue = xp.where(value == g, norm * (b - r) + 2.0 / 6.0, norm * (r - g) + 4.0 / 6.0)
    hue = xp.where(value == r, norm * (g - b), hue)
    hue = xp.where(rng_ > 0, hue, zero) + xp.astype(hue < 0.0, x.dtype)
    return xp.stack([hue, saturation, value], axis=ax)


def hsv_to_rgb(images, data_format=None):
    """HSV -> RGB (the inverse of ``rgb_to_hsv``); float images only."""
    df = _data_format(data_format)
    xp, fw, x, d = _float_images("image.hsv_to_rgb", images)
    ax = _channel_axis(df) % x.ndim
    hue, sat, val = _planes(xp, x, ax)
    dh = (hue % 1.0) * 6.0
    dr = xp.clip(xp.abs(dh - 3.0) - 1.0, 0.0, 1.0)
    dg = xp.clip(2.0 - xp.abs(dh - 2.0), 0.0, 1.0)
    db = xp.clip(2.0 - xp.abs(dh - 4.0), 0.0, 1.0)
    oms = 1.0 - sat
    out = [val * (oms + sat * c) for c in (dr, dg, db)]
    return cast_to(xp, fw, xp.stack(out, axis=ax), d)


# ------------------------------------------------------------- patch extraction
def _tuple(v, n, name):
    if isinstance(v, int):
        return (v,) * n
    v = tuple(int(a) for a in v)
    if len(v) != n:
        raise ValueError(f"Invalid `{name}` argument. Expected an int or a tuple of length {n}. "
                         f"Received: {name}={v}")
    return v


def _patches(op, images, size, strides, dilation_rate, padding, data_format, n):
    from ..nn_ops._utils import conv_output_size, conv_padding
    from ..nn_ops.conv import pad_spatial, windows

    df = _data_format(data_format)
    xp, fw, x = _one(op, images)
    if x.ndim not in (n + 1, n + 2):
        raise ValueError(f"Invalid images rank: expected rank {n + 1} (unbatched) or rank "
                         f"{n + 2} (batched). Received input with shape: "
                         f"images.shape={tuple(x.shape)}")
    size = _tuple(size, n, "size")
    strides = size if not strides else _tuple(strides, n, "strides")
    dil = _tuple(dilation_rate, n, "dilation_rate")
    pad = str(padding).lower()
    if pad not in ("valid", "same"):
        raise ValueError(f"Invalid `padding` argument. Expected 'valid' or 'same'. "
                         f"Received: padding={padding}")
    unbatched = x.ndim == n + 1
    if unbatched:
        x = x[None, ...]
    if df == "channels_first":
        x = xp.permute_dims(x, (0,) + tuple(range(2, n + 2)) + (1,))
    spatial = tuple(int(v) for v in x.shape[1:-1])
    pads = conv_padding(pad, spatial, size, strides, dil)
    outs = tuple(conv_output_size(sz, k, st, dl, p)
                 for sz, k, st, dl, p in zip(spatial, size, strides, dil, pads))
    if any(o <= 0 for o in outs):
        raise ValueError(f"Invalid `size` argument: patches of size {size} (dilation {dil}) do "
                         f"not fit images of spatial shape {spatial} with padding={pad!r}")
    x = pad_spatial(xp, x, pads)
    parts = list(windows(x, size, strides, dil, outs))
    y = xp.stack(parts, axis=-2)                      # (N, *outs, prod(size), C)
    y = xp.reshape(y, (int(x.shape[0]),) + outs + (-1,))
    if df == "channels_first":
        y = xp.permute_dims(y, (0, n + 1) + tuple(range(1, n + 1)))
    return y[0, ...] if unbatched else y


def extract_patches(images, size, strides=None, dilation_rate=1, padding="valid",
                    data_format=None):
    """Patches of ``size`` (an int or ``(h, w)``; ``(d, h, w)`` extracts 3-D patches) every
    ``strides`` (default ``size``), flattened into the channel axis in the order
    (row, column, channel), as Keras' identity-kernel convolution orders them."""
    if not isinstance(size, int):
        if not isinstance(size, (tuple, list)):
            raise TypeError("Invalid `size` argument. Expected an int or a tuple. Received: "
                            f"size={size} of type {type(size).__name__}")
        if len(size) not in (2, 3):
            raise ValueError("Invalid `size` argument. Expected a tuple of length 2 or 3. "
                             f"Received: size={size} with length {len(size)}")
        if len(size) == 3:
            return _patches("image.extract_patches", images, size, strides, dilation_rate,
                            padding, data_format, 3)
    return _patches("image.extract_patches", images, size, strides, dilation_rate, padding,
                    data_format, 2)


def extract_patches_3d(volumes, size, strides=None, dilation_rate=1, padding="valid",
                       data_format=None):
    """3-D patches of volumes (rank 4 unbatched, rank 5 batched)."""
    return _patches("image.extract_patches_3d", volumes, size, strides, dilation_rate,
                    padding, data_format, 3)


# --------------------------------------------------------------- filters (convs)
def _gauss_1d(xp, fw, size, sigma, d):
    x = to_array(xp, fw, np.arange(size, dtype=np.float64) - (size - 1) / 2.0, d)
    if not isinstance(sigma, (int, float)):
        sigma = cast_to(xp, fw, to_array(xp, fw, sigma), d)
    k = xp.exp(-0.5 * (x / sigma) ** 2)
    return k / xp.sum(k)


def _depthwise_same(xp, fw, x, kernel2d, channels_last=True, multiplier_kernels=None):
    """Depthwise 'same' (zero-padded) cross-correlation of channels_last ``x`` with one
    2-D kernel per output multiplier."""
    from ..nn_ops import depthwise_conv

    c = int(x.shape[-1])
    ks = multiplier_kernels if multiplier_kernels is not None else [kernel2d]
    k = xp.stack(ks, axis=-1)                                   # (kh, kw, M)
    k = xp.broadcast_to(k[:, :, None, :], (int(k.shape[0]), int(k.shape[1]), c, len(ks)))
    return depthwise_conv(x, k, strides=1, padding="same", data_format="channels_last")


def gaussian_blur(images, kernel_size=(3, 3), sigma=(1.0, 1.0), data_format=None):
    """Gaussian blur with zero "same" padding. As in Keras, ``kernel_size[0]`` and
    ``sigma[0]`` apply along the width and ``kernel_size[1]``, ``sigma[1]`` along the
    height (the kernel is ``outer(k(size[1], sigma[1]), k(size[0], sigma[0]))``)."""
    df = _data_format(data_format)
    xp, fw, x = _one("image.gaussian_blur", images)
    _check_rank(x)
    kernel_size = _tuple(kernel_size, 2, "kernel_size")
    if isinstance(sigma, (int, float)):
        sigma = (float(sigma), float(sigma))
    d = dtype_name(x)
    cd = d if d in FLOATS else "float32"
    y = cast_to(xp, fw, x, cd)
    y, unbatched = _to_nhwc(xp, y, df)
    kx = _gauss_1d(xp, fw, kernel_size[0], sigma[0], cd)
    ky = _gauss_1d(xp, fw, kernel_size[1], sigma[1], cd)
    out = _depthwise_same(xp, fw, y, ky[:, None] * kx[None, :])
    out = _from_nhwc(xp, out, df, unbatched)
    return out if cd == d else _round_back(xp, fw, out, d)


def sobel_edges(images, data_format=None):
    """Sobel gradients of a batch of images: ``(..., 2)`` holding ``[dy, dx]``
    (zero-padded 3x3 cross-correlations), shape ``(N, H, W, C, 2)`` or, channels_first,
    ``(N, C, H, W, 2)``."""
    df = _data_format(data_format)
    xp, fw, x = _one("image.sobel_edges", images)
    if x.ndim != 4:
        raise ValueError("Invalid images rank: expected rank 4 (batch of images). Received: "
                         f"images.shape={list(x.shape)}")
    d = dtype_name(x)
    cd = d if d in FLOATS else "float32"
    y = cast_to(xp, fw, x, cd)
    if df == "channels_first":
        y = xp.permute_dims(y, (0, 2, 3, 1))
    sy = to_array(xp, fw, np.array([[-1, -2, -1], [0, 0, 0], [1, 2, 1]], np.float32), cd)
    sx = to_array(xp, fw, np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], np.float32), cd)
    out = _depthwise_same(xp, fw, y, None, multiplier_kernels=[sy, sx])
    n, h, w, c = (int(v) for v in y.shape)
    out = xp.reshape(out, (n, h, w, c, 2))
    if df == "channels_first":
        out = xp.permute_dims(out, (0, 3, 1, 2, 4))
    return out if cd == d else _round_back(xp, fw, out, d)


def ssim(image1, image2, max_val=1.0, filter_size=11, filter_sigma=1.5, k1=0.01, k2=0.03,
         data_format=None):
    """Structural similarity (Wang et al. 2004) with a ``filter_size`` Gaussian window
    ("valid" positions), averaged over positions and channels: one value per image."""
    from ..nn_ops import conv

    df = _data_format(data_format)
    xp, fw = resolve("image.ssim", image1, image2)
    a, b = to_array(xp, fw, image1), to_array(xp, fw, image2)
    _check_rank(a, "image1")
    _check_rank(b, "image2")
    if tuple(a.shape) != tuple(b.shape):
        raise ValueError("Expected image1 and image2 of the same shape. Received: "
                         f"image1.shape={tuple(a.shape)}, image2.shape={tuple(b.shape)}")
    d = dtype_name(a)
    cd = result_type(d, float)
    a, b = cast_to(xp, fw, a, cd), cast_to(xp, fw, b, cd)
    a, unbatched = _to_nhwc(xp, a, df)
    b, _ = _to_nhwc(xp, b, df)
    n, h, w, c = (int(v) for v in a.shape)
    if filter_size > h or filter_size > w:
        raise ValueError(f"Expected images of height and width >= filter_size={filter_size}. "
                         f"Received: image1.shape={tuple(image1.shape)}")
    g = _gauss_1d(xp, fw, int(filter_size), float(filter_sigma), cd)
    kernel = (g[:, None] * g[None, :])[:, :, None, None]

    def blur(t):
        t = xp.reshape(xp.permute_dims(t, (0, 3, 1, 2)), (n * c, h, w, 1))
        return conv(t, kernel, strides=1, padding="valid", data_format="channels_last")

    c1 = (k1 * max_val) ** 2
    c2 = (k2 * max_val) ** 2
    mu1, mu2 = blur(a), blur(b)
    mu1_sq, mu2_sq, mu12 = mu1 * mu1, mu2 * mu2, mu1 * mu2
    s1 = blur(a * a) - mu1_sq
    s2 = blur(b * b) - mu2_sq
    s12 = blur(a * b) - mu12
    smap = ((2.0 * mu12 + c1) * (2.0 * s12 + c2)) / ((mu1_sq + mu2_sq + c1) * (s1 + s2 + c2))
    per = xp.mean(xp.reshape(smap, (n, c, -1)), axis=-1)
    out = xp.mean(per, axis=-1)
    if unbatched:
        out = out[0]
    return cast_to(xp, fw, out, d)


# ------------------------------------------------------- perspective / elastic
def _homography(xp, fw, start, end):
    """The 8 coefficients mapping output (end) points to input (start) points."""
    sx, sy = start[..., 0], start[..., 1]
    ex, ey = end[..., 0], end[..., 1]
    z, o = xp.zeros_like(ex), xp.ones_like(ex)
    xr = xp.stack([ex, ey, o, z, z, z, -sx * ex, -sx * ey], axis=-1)
    yr = xp.stack([z, z, z, ex, ey, o, -sy * ex, -sy * ey], axis=-1)
    a = xp.concat([xr, yr], axis=1)                      # (N, 8, 8)
    rhs = xp.concat([sx, sy], axis=-1)[..., None]        # (N, 8, 1)
    return xp.linalg.solve(a, rhs)[..., 0]


def perspective_transform(images, start_points, end_points, interpolation="bilinear",
                          fill_value=0, data_format=None):
    """Warp image(s) so that ``start_points`` (4 corners ``(x, y)``, shape ``(4, 2)`` or
    ``(N, 4, 2)``) land on ``end_points``; outside points get ``fill_value``."""
    df = _data_format(data_format)
    _check_interpolation(interpolation)
    xp, fw = resolve("image.perspective_transform", images, start_points, end_points)
    x = to_array(xp, fw, images)
    _check_rank(x)
    sp = cast_to(xp, fw, to_array(xp, fw, start_points), "float32")
    ep = cast_to(xp, fw, to_array(xp, fw, end_points), "float32")
    for name, p in (("start_points", sp), ("end_points", ep)):
        if tuple(p.shape[-2:]) != (4, 2) or p.ndim not in (2, 3):
            raise ValueError(f"Invalid {name} shape: expected (4,2) for a single image or "
                             f"(N,4,2) for a batch. Received shape: {tuple(p.shape)}")
    if tuple(sp.shape) != tuple(ep.shape):
        raise ValueError("start_points and end_points must have the same shape. Received "
                         f"start_points.shape={tuple(sp.shape)}, end_points.shape="
                         f"{tuple(ep.shape)}")
    if sp.ndim == 2:
        sp, ep = sp[None], ep[None]
    d = dtype_name(x)
    x, unbatched = _to_nhwc(xp, x, df)
    n, h, w = int(x.shape[0]), int(x.shape[1]), int(x.shape[2])
    if sp.shape[0] not in (1, n):
        raise ValueError(f"Expected 1 or {n} sets of points for a batch of {n} images. "
                         f"Received: start_points.shape={tuple(sp.shape)}")
    t = _homography(xp, fw, sp, ep)
    ys, xs = _grid(xp, fw, h, w, "float32")
    col = [t[:, i, None, None] for i in range(8)]
    k = col[6] * xs + col[7] * ys + 1.0
    xin = xp.broadcast_to((col[0] * xs + col[1] * ys + col[2]) / k, (n, h, w))
    yin = xp.broadcast_to((col[3] * xs + col[4] * ys + col[5]) / k, (n, h, w))
    out = _warp(xp, fw, x, yin, xin, AFFINE_INTERPOLATIONS[interpolation], "constant",
                fill_value)
    return _from_nhwc(xp, _finish_interp(xp, fw, out, d), df, unbatched)


def elastic_transform(images, alpha=20.0, sigma=5.0, interpolation="bilinear",
                      fill_mode="reflect", fill_value=0.0, seed=None, data_format=None):
    """Elastic deformation (Simard et al. 2003): per image, displacement fields
    ``alpha * blur(sigma * N(0, 1))`` (Gaussian blur of size ``int(6 sigma) | 1``,
    standard deviation ``sigma``) move each output pixel's sample point. The two fields
    (rows, columns) are drawn independently (Keras' JAX and TF backends draw them from
    one seed, so they coincide)."""
    return _elastic_transform(images, alpha, sigma, interpolation, fill_mode, fill_value,
                              seed, data_format)


def _elastic_transform(images, alpha, sigma, interpolation, fill_mode, fill_value, seed,
                       data_format, max_sigma=None):
    """``elastic_transform``; ``alpha`` and ``sigma`` may also be framework scalars
    (values drawn inside a ``tf.data`` map or a traced function) when ``max_sigma``, a
    Python bound on ``sigma``, is given: the blur kernel then has the static size
    ``int(6 max_sigma) | 1`` with its taps beyond ``int(6 sigma) | 1`` zeroed, which under
    the zero "same" padding is exactly the smaller kernel."""
    from ..xp.random import normal

    df = _data_format(data_format)
    _check_interpolation(interpolation)
    _check_fill_mode(fill_mode)
    xp, fw, x = _one("image.elastic_transform", images)
    _check_rank(x)
    d = dtype_name(x)
    cd = d if d in ("float32", "float64") else "float32"
    x, unbatched = _to_nhwc(xp, x, df)
    h, w = int(x.shape[1]), int(x.shape[2])
    n = x.shape[0] if x.shape[0] is not None else _dynamic_batch(fw, x)
    noise = normal((n, h, w, 2), dtype=cd, seed=seed, framework=fw)
    if isinstance(sigma, (int, float)) or max_sigma is None:
        sigma_f = float(sigma)
        ksize = int(6 * sigma_f) | 1
        disp = gaussian_blur(noise * sigma_f, (ksize, ksize), (sigma_f, sigma_f),
                             "channels_last")
    else:
        sig = cast_to(xp, fw, to_array(xp, fw, sigma), cd)
        size = int(6 * float(max_sigma)) | 1
        offs = to_array(xp, fw, np.arange(size, dtype=np.float64) - (size - 1) // 2, cd)
        radius = xp.floor(xp.floor(6 * sig) / 2)           # (int(6 sigma) | 1) // 2
        k = xp.where(xp.abs(offs) <= radius, xp.exp(-0.5 * (offs / sig) ** 2),
                     xp.zeros_like(offs))
        k = k / xp.sum(k)
        disp = _depthwise_same(xp, fw, noise * sig, k[:, None] * k[None, :])
    a = alpha if isinstance(alpha, (int, float)) else cast_to(xp, fw, to_array(xp, fw, alpha), cd)
    gy, gx = _grid(xp, fw, h, w, cd)
    yin = gy[None] + a * disp[..., 0]
    xin = gx[None] + a * disp[..., 1]
    out = _warp(xp, fw, x, yin, xin, AFFINE_INTERPOLATIONS[interpolation], fill_mode,
                fill_value)
    return _from_nhwc(xp, _finish_interp(xp, fw, out, d), df, unbatched)


# ------------------------------------------------------------ scale_and_translate
def scale_and_translate(images, output_shape, scale, translation, spatial_dims, method,
                        antialias=True):
    """Resample ``images`` to ``output_shape``: along each of ``spatial_dims`` an input
    location ``x`` maps to ``x * scale + translation`` (half-pixel centres; samples
    outside the input are zero). ``method``: "linear" ("bilinear", "trilinear",
    "triangle"), "cubic" ("bicubic", "tricubic"; Keys a=-0.5), "lanczos3", "lanczos5".
    Integer images give float32, as in Keras."""
    if method not in SCALE_AND_TRANSLATE_METHODS:
        raise ValueError("Invalid value for argument `method`. Expected of one "
                         f"{set(SCALE_AND_TRANSLATE_METHODS)}. Received: method={method}")
    kname = {"trilinear": "linear", "triangle": "linear", "tricubic": "cubic"}.get(method, method)
    xp, fw = resolve("image.scale_and_translate", images, scale, translation)
    x = to_array(xp, fw, images)
    output_shape = tuple(int(v) for v in output_shape)
    spatial_dims = tuple(int(v) for v in spatial_dims)
    if len(output_shape) != x.ndim:
        raise ValueError("output_shape must have one entry per dimension of images; "
                         f"received output_shape={output_shape}, images.shape={tuple(x.shape)}")
    host = [framework_of_host(v) for v in (scale, translation)]
    if all(host):
        sc = [float(v) for v in np.asarray(scale, dtype=np.float64).reshape(-1)]
        tr = [float(v) for v in np.asarray(translation, dtype=np.float64).reshape(-1)]
    else:
        sa = to_array(xp, fw, scale)
        ta = to_array(xp, fw, translation)
        sd = result_type(dtype_name(sa), dtype_name(ta), float)
        sa, ta = cast_to(xp, fw, sa, sd), cast_to(xp, fw, ta, sd)
        sc = [sa[i] for i in range(int(sa.shape[0]))]
        tr = [ta[i] for i in range(int(ta.shape[0]))]
    if len(sc) != len(spatial_dims) or len(tr) != len(spatial_dims):
        raise ValueError("scale and translation must have one entry per spatial dim; received "
                         f"{len(sc)} scales and {len(tr)} translations for spatial_dims="
                         f"{spatial_dims}")
    for dd in range(x.ndim):
        if dd not in [a % x.ndim for a in spatial_dims] and x.shape[dd] != output_shape[dd]:
            raise ValueError(f"output_shape[{dd}]={output_shape[dd]} differs from images.shape"
                             f"[{dd}]={x.shape[dd]} on an axis not in spatial_dims")
    d = dtype_name(x)
    if d not in FLOATS:
        x = cast_to(xp, fw, x, "float32")
    fast = getattr(ops_shim(fw), "scale_and_translate", None)
    if fast is not None and all(host):
        return fast(x, output_shape, spatial_dims, np.asarray(sc, np.float32),
                    np.asarray(tr, np.float32), kname, bool(antialias))
    axes = [a % x.ndim for a in spatial_dims]
    outs = [output_shape[a] for a in axes]
    return _resample(xp, fw, x, axes, outs, sc, tr, _KERNELS[kname], antialias)


def framework_of_host(v):
    """True for host data (Python numbers, lists, NumPy arrays)."""
    from ..xp import framework_of

    return framework_of(v) in (None, "numpy")
