"""TensorFlow fast paths for unikeras.nn_ops (tf.nn). Same names and signatures as the
generic ops; each falls back to ``op.generic`` where TensorFlow has no kernel for the
arguments."""

from __future__ import annotations

import tensorflow as tf

from . import activations as _act

# ----------------------------------------------------------------- activations


def relu(x):
    return tf.nn.relu(x)


def relu6(x):
    return tf.nn.relu6(x)


def leaky_relu(x, negative_slope=0.2):
    if x.dtype == tf.float64:  # tf.nn.leaky_relu rounds alpha through float32
        return tf.where(x >= 0, x, x * tf.constant(negative_slope, tf.float64))
    return tf.nn.leaky_relu(x, alpha=negative_slope)


def elu(x, alpha=1.0):
    if alpha == 1.0:
        return tf.nn.elu(x)
    return tf.where(x > 0, x, alpha * tf.math.expm1(tf.minimum(x, tf.zeros_like(x))))


def selu(x):
    return tf.nn.selu(x)


def gelu(x, approximate=True):
    if approximate:
        # tf.nn.gelu rounds sqrt(2/pi) to float32 (2e-9 relative error in float64)
        inner = 0.7978845608028654 * (x + 0.044715 * (x * x * x))
        return 0.5 * x * (1.0 + tf.math.tanh(inner))
    # tf.nn.gelu's exact form, 0.5x(1 + erf(x/sqrt2)), cancels for x << 0; erfc does not
    return 0.5 * x * tf.math.erfc(x * -0.7071067811865476)


def silu(x):
    return tf.nn.silu(x)


swish = silu


def mish(x):
    return x * tf.math.tanh(tf.math.softplus(x))


def softplus(x):
    return tf.math.softplus(x)


def softsign(x):
    return tf.nn.softsign(x)


def sigmoid(x):
    return tf.math.sigmoid(x)


def hard_sigmoid(x):
    return tf.nn.relu6(x + 3.0) / 6.0


def hard_silu(x):
    return x * (tf.nn.relu6(x + 3.0) / 6.0)


hard_swish = hard_silu


def log_sigmoid(x):
    return tf.math.log_sigmoid(x)


def tanh(x):
    return tf.math.tanh(x)


def erf(x):
    return tf.math.erf(x)


def erfc(x):
    return tf.math.erfc(x)


def softmax(x, axis=-1):
    if not isinstance(axis, int):
        return _act.softmax.generic(x, axis)
    return tf.nn.softmax(x, axis=axis)


def log_softmax(x, axis=-1):
    if not isinstance(axis, int):
        return _act.log_softmax.generic(x, axis)
    return tf.nn.log_softmax(x, axis=axis)


def logsumexp(x, axis=None, keepdims=False):
    return tf.reduce_logsumexp(x, axis=axis, keepdims=keepdims)


# ----------------------------------------------------------------- losses
def _eps():
    from ..xp import epsilon

    return epsilon()


def _target_like(target, output):
    target = tf.convert_to_tensor(target)
    return target if target.dtype == output.dtype else tf.cast(target, output.dtype)


def _check_same(op, target, output):
    if tuple(target.shape) != tuple(output.shape):
        raise ValueError(f"{op}: arguments `target` and `output` must have the same shape; "
                         f"received target.shape={tuple(target.shape)}, "
                         f"output.shape={tuple(output.shape)}")


def _check_float(op, output):
    if not output.dtype.is_floating:
        raise ValueError(f"{op}: output must be a float array; received dtype "
                         f"{output.dtype.name!r}")


def _log_probs(output, from_logits, axis):
    if from_logits:
        return tf.nn.log_softmax(output, axis=axis)
    eps = _eps()
    output = output / tf.reduce_sum(output, axis=axis, keepdims=True)
    return tf.math.log(tf.clip_by_value(output, eps, 1.0 - eps))


def binary_crossentropy(target, output, from_logits=False):
    output = tf.convert_to_tensor(output)
    _check_float("binary_crossentropy", output)
    target = _target_like(target, output)
    _check_same("binary_crossentropy", target, output)
    if from_logits:
        return -(target * tf.math.log_sigmoid(output)
                 + (1.0 - target) * tf.math.log_sigmoid(-output))
    eps = _eps()
    output = tf.clip_by_value(output, eps, 1.0 - eps)
    return -(target * tf.math.log(output) + (1.0 - target) * tf.math.log(1.0 - output))


def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    output = tf.convert_to_tensor(output)
    _check_float("categorical_crossentropy", output)
    target = _target_like(target, output)
    _check_same("categorical_crossentropy", target, output)
    if len(output.shape) < 1:
        raise ValueError("categorical_crossentropy: arguments must have rank >= 1; received "
                         f"output.shape={tuple(output.shape)}")
    return -tf.reduce_sum(target * _log_probs(output, from_logits, axis), axis=axis)


def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    op = "sparse_categorical_crossentropy"
    output = tf.convert_to_tensor(output)
    _check_float(op, output)
    target = tf.convert_to_tensor(target)
    squeeze, ax = check_sparse_target(op, target.shape, output.shape, axis)
    if squeeze:
        target = tf.squeeze(target, axis=-1)
    if not target.dtype.is_integer:
        target = tf.cast(target, tf.int32)
    # one_hot gives all-zero rows for out-of-range ids (Keras semantics)
    onehot = tf.one_hot(target, output.shape[ax], axis=ax, dtype=output.dtype)
    return -tf.reduce_sum(onehot * _log_probs(output, from_logits, ax), axis=ax)


# ----------------------------------------------------------------- conv and pooling
from . import _utils as _U  # noqa: E402
from .conv import check_depthwise, conv_spec, conv_transpose_spec  # noqa: E402
from .conv import windows as _windows  # noqa: E402
from .pooling import pool_spec, same_counts  # noqa: E402
from .losses import check_sparse_target  # noqa: E402

_TF_FORMAT = {1: "NWC", 2: "NHWC", 3: "NDHWC"}


def _promote(a, b):
    a = tf.convert_to_tensor(a)
    b = tf.convert_to_tensor(b)
    if a.dtype != b.dtype:
        from ..xp import result_dtype

        dt = result_dtype(a.dtype.name, b.dtype.name)
        a, b = tf.cast(a, dt), tf.cast(b, dt)
    return a, b


def _to_cl(x, data_format):
    if data_format == "channels_last":
        return x
    nd = len(x.shape)
    return tf.transpose(x, (0,) + tuple(range(2, nd)) + (1,))


def _from_cl(y, data_format):
    if data_format == "channels_last":
        return y
    nd = len(y.shape)
    return tf.transpose(y, (0, nd - 1) + tuple(range(1, nd - 1)))


def _pad_cl(x, pads, value=0.0):
    if all(p == (0, 0) for p in pads):
        return x
    return tf.pad(x, [[0, 0]] + [list(p) for p in pads] + [[0, 0]], constant_values=value)


def _conv_cl(x, kernel, s):
    """channels_last conv with TF's kernels; strides and dilation > 1 together (which
    tf.nn.convolution refuses) run as a stride-1 conv then subsampling."""
    # No grouped Conv3D kernel on CPU, and no gradient of grouped convolutions on CPU
    # ("Gradients for grouped convolutions are not supported on CPU"): split the groups.
    if s.groups > 1 and (s.n == 3 or "GPU" not in (getattr(x, "device", "") or "")):
        xs = tf.split(x, s.groups, axis=-1)
        ks = tf.split(kernel, s.groups, axis=-1)
        return tf.concat([_conv_cl_one(a, k, s) for a, k in zip(xs, ks)], axis=-1)
    return _conv_cl_one(x, kernel, s)


def _convolution(x, kernel, strides, padding, dilations):
    """tf.nn.convolution, channels_last. Undilated 3-D goes to tf.nn.conv3d: in TF 2.21
    the Conv3D op that tf.nn.convolution records has no data_format attribute, and its
    registered gradient fails on it ("'NoneType' object has no attribute 'decode'");
    dilated ones run through space_to_batch, whose gradient works."""
    n = len(kernel.shape) - 2
    strides = [strides] * n if isinstance(strides, int) else list(strides)
    dilations = [dilations] * n if isinstance(dilations, int) else list(dilations)
    if n == 3 and max(dilations) == 1:
        return tf.nn.conv3d(x, kernel, strides=[1, *strides, 1], padding=padding,
                            data_format="NDHWC")
    return tf.nn.convolution(x, kernel, strides=strides, padding=padding, dilations=dilations)


def _conv_cl_one(x, kernel, s):
    if max(s.strides) > 1 and max(s.dilation) > 1:
        y = _convolution(_pad_cl(x, s.pads), kernel, 1, "VALID", s.dilation)
        return y[(slice(None),) + tuple(slice(None, None, st) for st in s.strides)]
    return _convolution(x, kernel, s.strides, s.padding.upper(), s.dilation)


def conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    s = conv_spec("conv", inputs, kernel, strides, padding, data_format, dilation_rate)
    inputs, kernel = _promote(inputs, kernel)
    return _from_cl(_conv_cl(_to_cl(inputs, s.data_format), kernel, s), s.data_format)


def _crop_or_pad(y, start, length):
    """Along each spatial axis i of channels_last ``y``: entries [start_i, start_i +
    length_i), zero-padded at the end where that runs past ``y``."""
    idx = [slice(None)]
    extra = []
    for i, (b, L) in enumerate(zip(start, length)):
        have = y.shape[1 + i]
        idx.append(slice(b, min(b + L, have)))
        extra.append(max(b + L - have, 0))
    y = y[tuple(idx)]
    if any(extra):
        y = tf.pad(y, [[0, 0]] + [[0, e] for e in extra] + [[0, 0]])
    return y


def conv_transpose(inputs, kernel, strides=1, padding="valid", output_padding=None,
                   data_format=None, dilation_rate=1):
    s = conv_transpose_spec("conv_transpose", inputs, kernel, strides, padding,
                            output_padding, data_format, dilation_rate)
    inputs, kernel = _promote(inputs, kernel)
    x = _to_cl(inputs, s.data_format)
    n = s.n
    if max(s.dilation) > 1:
        # TF's CPU kernels refuse dilated transposed convs: stride-1 dilated conv of the
        # zero-interleaved input with the flipped, in/out-swapped kernel
        for i, st in enumerate(s.strides):
            if st > 1:
                ax = 1 + i
                L = x.shape[ax]
                xe = tf.expand_dims(x, ax + 1)
                zs = [tf.zeros_like(xe)] * (st - 1)
                x = tf.concat([xe] + zs, axis=ax + 1)
                shp = tf.unstack(tf.shape(x))
                x = tf.reshape(x, shp[:ax] + [L * st] + shp[ax + 2:])
                x = x[(slice(None),) * ax + (slice(0, (L - 1) * st + 1),)]
        w = tf.reverse(kernel, axis=list(range(n)))
        w = tf.transpose(w, list(range(n)) + [n + 1, n])
        y = _convolution(_pad_cl(x, s.pads), w, 1, "VALID", s.dilation)
        return _from_cl(y, s.data_format)
    full = [(L - 1) * st + k for L, st, k in zip(s.spatial, s.strides, s.kernel_size)]
    out_shape = [tf.shape(x)[0]] + full + [kernel.shape[-2]]
    y = tf.nn.conv_transpose(x, kernel, tf.stack(out_shape), strides=s.strides, padding="VALID",
                             data_format=_TF_FORMAT[n])
    start = [k - 1 - left for k, (left, _) in zip(s.kernel_size, s.pads)]
    return _from_cl(_crop_or_pad(y, start, s.out_sizes), s.data_format)


def depthwise_conv(inputs, kernel, strides=1, padding="valid", data_format=None,
                   dilation_rate=1):
    df = check_depthwise("depthwise_conv", inputs, kernel, data_format)
    inputs, kernel = _promote(inputs, kernel)
    n = len(inputs.shape) - 2
    st = _U.standardize_tuple("depthwise_conv", "strides", strides, n)
    dil = _U.standardize_tuple("depthwise_conv", "dilation_rate", dilation_rate, n)
    pad = _U.standardize_padding("depthwise_conv", padding)
    if n == 3 or len(set(st)) > 1 or (max(st) > 1 and (max(dil) > 1 or n == 1)):
        k = tf.reshape(kernel, tuple(kernel.shape[:-2]) + (1, kernel.shape[-2] * kernel.shape[-1]))
        return conv(inputs, k, strides, padding, data_format, dilation_rate)
    x = _to_cl(inputs, df)
    if n == 1:
        y = tf.nn.depthwise_conv2d(tf.expand_dims(x, 1), tf.expand_dims(kernel, 0),
                                   (1, 1, st[0], 1), pad.upper(), dilations=(1, dil[0]))
        y = tf.squeeze(y, 1)
    else:
        y = tf.nn.depthwise_conv2d(x, kernel, (1,) + st + (1,), pad.upper(), dilations=dil)
    return _from_cl(y, df)


def _pool_sliced(x, s, kind):
    """Pooling by strided slices (TF's 3-D pooling kernels have no float64)."""
    low = -float("inf") if x.dtype.is_floating else x.dtype.min
    x = _pad_cl(x, s.pads, low if kind == "max" else 0)
    out = None
    for w in _windows(x, s.pool_size, s.strides, (1,) * s.n, s.out_sizes):
        out = w if out is None else (tf.maximum(out, w) if kind == "max" else out + w)
    if kind == "max":
        return out
    if all(p == (0, 0) for p in s.pads):
        return out / _U.prod(s.pool_size)
    for i, counts in enumerate(same_counts(s)):
        shape = [1] * (s.n + 2)
        shape[1 + i] = len(counts)
        out = out / tf.reshape(tf.constant(counts, out.dtype), shape)
    return out


def max_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    s = pool_spec("max_pool", inputs, pool_size, strides, padding, data_format)
    x = _to_cl(tf.convert_to_tensor(inputs), s.data_format)
    if s.n == 3 and x.dtype not in (tf.float16, tf.bfloat16, tf.float32):
        return _from_cl(_pool_sliced(x, s, "max"), s.data_format)
    y = tf.nn.max_pool(x, s.pool_size, s.strides, s.padding.upper(), data_format=_TF_FORMAT[s.n])
    return _from_cl(y, s.data_format)


def average_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    s = pool_spec("average_pool", inputs, pool_size, strides, padding, data_format)
    x = _to_cl(tf.convert_to_tensor(inputs), s.data_format)
    if s.n == 3 and x.dtype not in (tf.float16, tf.bfloat16, tf.float32):
        return _from_cl(_pool_sliced(x, s, "avg"), s.data_format)
    y = tf.nn.avg_pool(x, s.pool_size, s.strides, s.padding.upper(), data_format=_TF_FORMAT[s.n])
    return _from_cl(y, s.data_format)


# ----------------------------------------------------------------- top-k
def top_k(x, k, sorted=True):
    x = tf.convert_to_tensor(x)
    if not 0 <= int(k) <= x.shape[-1]:
        raise ValueError(f"top_k: k must be in [0, {x.shape[-1]}] (x.shape[-1]); "
                         f"received k={k!r}")
    res = tf.math.top_k(x, int(k), sorted=True)
    return res.values, res.indices


def one_hot(x, num_classes, axis=-1, dtype=None, sparse=False):
    if sparse:
        raise NotImplementedError("one_hot: sparse=True is not supported")
    from ..xp import floatx, standardize_dtype

    x = tf.convert_to_tensor(x)
    if not x.dtype.is_integer:
        x = tf.cast(x, tf.int32)
    return tf.one_hot(x, int(num_classes), axis=axis, dtype=standardize_dtype(dtype or floatx()))


# ----------------------------------------------------------------- CTC
def ctc_loss(target, output, target_length, output_length, mask_index=0):
    """tf.nn.ctc_loss (batch-major logits, dense labels). Samples with no alignment get inf
    and a zero gradient, as on the other frameworks (TF's kernel gives a large finite
    value): they reach the kernel with an empty label so its log-zero stays out of the
    gradient. float64 runs the generic recursion (TF's kernel is float32 only)."""
    from . import ctc as _ctc

    _, target, output, tl, ol, mask, bad = _ctc.ctc_prepare(
        target, output, target_length, output_length, mask_index)
    if output.dtype != tf.float32:  # TF's dense CTC multiplies in float32 only
        return _ctc.ctc_loss.generic(target, output, tl, ol, mask)
    tl = tf.where(bad, tf.zeros_like(tl), tl)
    loss = tf.nn.ctc_loss(labels=tf.cast(target, tf.int32), logits=output,
                          label_length=tf.cast(tl, tf.int32),
                          logit_length=tf.cast(ol, tf.int32), logits_time_major=False,
                          blank_index=mask)
    return tf.where(bad, tf.fill(tf.shape(loss), tf.constant(float("inf"), loss.dtype)), loss)
