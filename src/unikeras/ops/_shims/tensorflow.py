"""TensorFlow helpers for unikeras.ops."""

from __future__ import annotations

import tensorflow as tf


def remat(f):
    """keras.remat: ``f`` recomputed in the backward pass (``tf.recompute_grad``)."""
    return tf.recompute_grad(f)


def stop_gradient(x):
    return tf.stop_gradient(x)


def index_update(x, key, value):
    """Functional ``x[key] = value`` (differentiable in x and value)."""
    grid = tf.reshape(tf.range(tf.size(x, out_type=tf.int64)), tf.shape(x, out_type=tf.int64))
    if isinstance(key, tuple) and key and all(isinstance(k, tf.Tensor) for k in key):
        sel = tf.gather_nd(grid, tf.stack([tf.cast(k, tf.int64) for k in key], axis=-1))
    else:
        sel = grid[key]
    value = tf.reshape(tf.broadcast_to(tf.cast(value, x.dtype), tf.shape(sel)), (-1,))
    flat = tf.tensor_scatter_nd_update(tf.reshape(x, (-1,)), tf.reshape(sel, (-1, 1)), value)
    return tf.reshape(flat, tf.shape(x))


def scatter_add(zeros, index_tuple, values):
    idx = tf.stack([tf.cast(i, tf.int64) for i in index_tuple], axis=-1)
    return tf.tensor_scatter_nd_add(zeros, idx, values)


def segment_sum(data, ids, num_segments):
    return tf.math.unsorted_segment_sum(data, ids, num_segments)


def _fill_empty_segments(out, data, ids, num_segments, value):
    """TF fills empty segments with the dtype's extreme finite value; the contract (and
    jax, torch, NumPy, Keras' jax backend) is an infinity for floats."""
    if not data.dtype.is_floating:
        return out
    count = tf.math.unsorted_segment_sum(tf.ones_like(ids), ids, num_segments)
    count = tf.reshape(count, (-1,) + (1,) * (len(data.shape) - 1))
    return tf.where(count > 0, out, tf.constant(value, data.dtype))


def segment_max(data, ids, num_segments):
    out = tf.math.unsorted_segment_max(data, ids, num_segments)
    return _fill_empty_segments(out, data, ids, num_segments, -float("inf"))


def cond(pred, true_fn, false_fn):
    return tf.cond(pred, true_fn, false_fn)


def while_loop(cond_fn, body_fn, loop_vars, maximum_iterations=None):
    return tuple(tf.while_loop(cond_fn, lambda *v: tuple(body_fn(*v)), tuple(loop_vars),
                               maximum_iterations=maximum_iterations))


def fori_loop(lower, upper, body_fun, init_val):
    return tf.while_loop(lambda i, v: i < upper, lambda i, v: (i + 1, body_fun(i, v)),
                         (lower, init_val))[1]


def erf(x):
    return tf.math.erf(x)


def erfinv(x):
    if x.dtype in (tf.float16, tf.bfloat16):  # no half kernel on CPU
        return tf.cast(tf.math.erfinv(tf.cast(x, tf.float32)), x.dtype)
    return tf.math.erfinv(x)


def top_k(x, k, sorted=True):
    return tf.math.top_k(x, k, sorted=sorted)


def switch(index, branches, *operands):
    return tf.switch_case(index, [lambda b=b: b(*operands) for b in branches])


def einsum(subscripts, *operands, **kwargs):
    return tf.einsum(subscripts, *operands)


def cumulative_prod(x, axis=None, dtype=None):
    return tf.math.cumprod(x if dtype is None else tf.cast(x, dtype), axis=axis)


def nextafter(x1, x2):
    return tf.math.nextafter(x1, x2)


def segment_min(data, ids, num_segments):
    out = tf.math.unsorted_segment_min(data, ids, num_segments)
    return _fill_empty_segments(out, data, ids, num_segments, float("inf"))


def segment_prod(data, ids, num_segments):
    return tf.math.unsorted_segment_prod(data, ids, num_segments)


def custom_gradient(f):
    return tf.custom_gradient(f)


def jvp(fun, primals, tangents, has_aux):
    flat_p = [tf.convert_to_tensor(p) for p in tf.nest.flatten(primals)]
    flat_t = [tf.convert_to_tensor(t, dtype=p.dtype) for p, t in
              zip(flat_p, tf.nest.flatten(tangents))]
    watched = tf.nest.pack_sequence_as(primals, flat_p)
    with tf.autodiff.ForwardAccumulator(flat_p, flat_t) as acc:
        result = fun(*watched)
    out, aux = result if has_aux else (result, None)
    tangents_out = tf.nest.map_structure(
        lambda o: acc.jvp(o, unconnected_gradients=tf.UnconnectedGradients.ZERO), out)
    return (out, tangents_out, aux) if has_aux else (out, tangents_out)


def view(x, dtype):
    # tf.bitcast adds a trailing axis when the item shrinks and needs one when it grows;
    # NumPy's view folds both into the last dimension instead
    a, b = x.dtype.size, dtype.size
    if a == b:
        return tf.bitcast(x, dtype)
    if a > b:
        y = tf.bitcast(x, dtype)
        return tf.reshape(y, tf.concat([tf.shape(x)[:-1], [-1]], 0))
    y = tf.reshape(x, tf.concat([tf.shape(x)[:-1], [-1, b // a]], 0))
    return tf.bitcast(y, dtype)


def vectorized_map(function, elements):
    return tf.vectorized_map(function, elements)


def resize_images(x, size, interpolation, antialias, data_format):
    """keras.ops.image.resize: ``tf.image.resize`` (Keras' TF backend call) for
    "bilinear" without antialias (ResizeBilinear, half-pixel centres) and "area"
    (ResizeArea), which compute jax.image's function to float rounding and are 5-10x
    faster than the generic matmuls on (16, 224, 224, 3) -> 128x128. The antialiased
    kernels (TF's ScaleAndTranslate) differ by ~1e-5 and gain under 2x: declined (None),
    as are dtypes other than float32 (TF resamples them in float32)."""
    if x.dtype != tf.float32 or not (
            (interpolation == "bilinear" and not antialias) or interpolation == "area"):
        return None
    if data_format == "channels_first":
        perm = (0, 2, 3, 1) if x.shape.rank == 4 else (1, 2, 0)
        x = tf.transpose(x, perm)
    y = tf.image.resize(x, size, method=interpolation, antialias=antialias)
    if data_format == "channels_first":
        y = tf.transpose(y, (0, 3, 1, 2) if y.shape.rank == 4 else (2, 0, 1))
    return y


def affine_images(x, transforms, interpolation, fill_mode, fill_value):
    """keras.ops.image.affine_transform on channels_last batches with
    ``ImageProjectiveTransformV3`` (Keras' TF backend call), ~10x the generic gathers.
    TF maps coordinates before interpolating, which equals jax's index-fixing for
    "constant" and "nearest" only; the other modes and non-float32 images decline."""
    if fill_mode not in ("constant", "nearest") or x.dtype != tf.float32:
        return None
    transforms = tf.cast(transforms, tf.float32)
    return tf.raw_ops.ImageProjectiveTransformV3(
        images=x, transforms=transforms, output_shape=tf.shape(x)[1:3],
        fill_value=tf.cast(fill_value, tf.float32), interpolation=interpolation.upper(),
        fill_mode=fill_mode.upper())
