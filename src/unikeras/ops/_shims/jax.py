"""JAX helpers for unikeras.ops."""

from __future__ import annotations

import jax
import jax.numpy as jnp


def remat(f):
    """keras.remat: ``f`` recomputed in the backward pass (``jax.checkpoint``)."""
    return jax.checkpoint(f)


def stop_gradient(x):
    return jax.lax.stop_gradient(x)


def index_update(x, key, value):
    return x.at[key].set(value)


def scatter_add(zeros, index_tuple, values):
    return zeros.at[index_tuple].add(values)


def segment_sum(data, ids, num_segments):
    return jax.ops.segment_sum(data, ids, num_segments=num_segments)


def segment_max(data, ids, num_segments):
    return jax.ops.segment_max(data, ids, num_segments=num_segments)


def cond(pred, true_fn, false_fn):
    return jax.lax.cond(pred, true_fn, false_fn)


def while_loop(cond_fn, body_fn, loop_vars, maximum_iterations=None):
    if maximum_iterations is None:
        return jax.lax.while_loop(lambda v: cond_fn(*v), lambda v: tuple(body_fn(*v)), tuple(loop_vars))

    def c(state):
        i, v = state
        return jnp.logical_and(i < maximum_iterations, cond_fn(*v))

    def b(state):
        i, v = state
        return i + 1, tuple(body_fn(*v))

    return jax.lax.while_loop(c, b, (0, tuple(loop_vars)))[1]


def fori_loop(lower, upper, body_fun, init_val):
    return jax.lax.fori_loop(lower, upper, body_fun, init_val)


def erf(x):
    return jax.scipy.special.erf(x)


def erfinv(x):
    return jax.scipy.special.erfinv(x)


def top_k(x, k, sorted=True):
    return jax.lax.top_k(x, k)


def switch(index, branches, *operands):
    return jax.lax.switch(index, branches, *operands)


def einsum(subscripts, *operands, **kwargs):
    return jnp.einsum(subscripts, *operands, **kwargs)


def segment_min(data, ids, num_segments):
    return jax.ops.segment_min(data, ids, num_segments=num_segments)


def segment_prod(data, ids, num_segments):
    return jax.ops.segment_prod(data, ids, num_segments=num_segments)


def custom_gradient(f):
    return jax.custom_gradient(f)


def jvp(fun, primals, tangents, has_aux):
    return jax.jvp(fun, primals, tangents, has_aux=has_aux)


def lu_factor(x):
    import jax.scipy.linalg

    return jax.scipy.linalg.lu_factor(x)


def view(x, dtype):
    return x.view(dtype)


def vectorized_map(function, elements):
    return jax.vmap(function)(elements)


def resize_images(x, size, interpolation, antialias, data_format):
    """keras.ops.image.resize on float images: ``jax.image.resize`` (Keras' own call)."""
    import jax.image

    if not jnp.issubdtype(x.dtype, jnp.floating):
        return None
    shape = list(x.shape)
    if data_format == "channels_last":
        shape[-3], shape[-2] = size
    else:
        shape[-2], shape[-1] = size
    return jax.image.resize(x, tuple(shape), method=interpolation, antialias=antialias)


def scale_and_translate(x, output_shape, spatial_dims, scale, translation, method, antialias):
    """keras.ops.image.scale_and_translate: ``jax.image.scale_and_translate``."""
    import jax.image

    return jax.image.scale_and_translate(x, output_shape, spatial_dims, jnp.asarray(scale),
                                         jnp.asarray(translation), method, antialias)


def _map_coordinates_fn():
    import functools

    import jax.scipy.ndimage

    @functools.partial(jax.jit, static_argnums=(2, 3, 4))
    def warp(x, coords, order, mode, cval):
        # x (N, H, W, C), coords (2, N, h, w): one jitted program per shape instead of
        # a compile per eager op
        def one(img, yc, xc):
            return jax.vmap(lambda ch: jax.scipy.ndimage.map_coordinates(
                ch, [yc, xc], order, mode, cval), in_axes=-1, out_axes=-1)(img)

        return jax.vmap(one)(x, coords[0], coords[1])

    return warp


_WARP = []


def warp_images(x, ycoords, xcoords, order, mode, cval):
    """keras.ops.image's sampler (affine/perspective/elastic) on channels_last batches:
    ``jax.scipy.ndimage.map_coordinates`` per image and channel (Keras' own call)."""
    if not _WARP:
        _WARP.append(_map_coordinates_fn())
    return _WARP[0](x, jnp.stack([ycoords, xcoords]), order, mode, float(cval))


def map_coordinates(inputs, coordinates, order, mode, cval):
    """keras.ops.image.map_coordinates: ``jax.scipy.ndimage.map_coordinates``."""
    import jax.scipy.ndimage

    return jax.scipy.ndimage.map_coordinates(inputs, coordinates, order, mode, cval)
