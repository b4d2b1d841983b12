"""Normalization layers: BatchNormalization, LayerNormalization, RMSNormalization,
GroupNormalization, UnitNormalization. Written once against the Array API standard.

Statistics are computed in at least float32 (float16/bfloat16 inputs are upcast, as in
Keras 3) and the result is cast back to the layer's compute dtype.
"""

from __future__ import annotations

import warnings

from .. import constraints, initializers, nn_ops, regularizers
from ..utils.serialization import register, serialize_simple
from ..xp import framework_of, namespace, shim, standardize_dtype
from .input_spec import InputSpec
from .layer import Layer

_HALF = ("float16", "bfloat16")


def _upcast(xp, x):
    """``x`` in at least float32 (ints and halves go to float32)."""
    name = standardize_dtype(x.dtype)
    if name in _HALF or name not in ("float32", "float64"):
        return xp.astype(x, xp.float32)
    return x


def _as(xp, a, dtype):
    """``a`` (a raw variable value) as an array of ``dtype`` (no copy when it is)."""
    if a.dtype == dtype:
        return a
    return xp.astype(a, dtype)


def dtype_obj(xp, x, name):
    """The dtype object named ``name`` in the framework of ``x`` (the Array API
    namespaces need not have float16/bfloat16 attributes; the xp shims know them)."""
    mod = shim(framework_of(x), "xp")
    return mod.dtype(name) if mod is not None else getattr(xp, name)


def _to_dtype(xp, x, name):
    if standardize_dtype(x.dtype) == name:
        return x
    return xp.astype(x, dtype_obj(xp, x, name))


def _check_axes(layer, axes, input_shape):
    n = len(input_shape)
    for a in axes:
        if not -n <= a < n:
            raise ValueError(
                f'{type(layer).__name__} layer "{layer.name}": axis {a} is out of bounds for '
                f"input shape {tuple(input_shape)} (expected -{n} <= axis < {n}); received "
                f"axis={layer.axis}")


def _broadcast_shape(ndim, axes, sizes):
    shape = [1] * ndim
    for a, s in zip(axes, sizes):
        shape[a] = s
    return tuple(shape)


def _moments(xp, x, axes, keepdims=False):
    mean = xp.mean(x, axis=axes, keepdims=True)
    d = x - mean
    var = xp.mean(d * d, axis=axes, keepdims=keepdims)
    if not keepdims:
        mean = xp.squeeze(mean, axis=axes)
    return mean, var


def _int_or_list_axis(who, axis):
    """``axis`` as given to the layer: an int, or a list/tuple of ints (made a list)."""
    if isinstance(axis, (list, tuple)):
        return list(axis)
    if isinstance(axis, int):
        return axis
    raise TypeError(f"{who}: expected an int or a list/tuple of ints for axis; received "
                    f"axis={axis!r}")


def _norm_axes(layer, axis, ndim):
    axes = [axis] if isinstance(axis, int) else list(axis)
    out = []
    for a in axes:
        if not -ndim <= a < ndim:
            raise ValueError(
                f'{type(layer).__name__} layer "{layer.name}": axis {a} is out of bounds for '
                f"an input of rank {ndim}; received axis={layer.axis}")
        out.append(a % ndim)
    return sorted(out)


class _GammaBeta(Layer):
    """Shared constructor bits of the layers with gamma/beta weights."""

    def _init_gamma_beta(self, center, scale, beta_initializer, gamma_initializer,
                         beta_regularizer, gamma_regularizer, beta_constraint,
                         gamma_constraint):
        self.center = center
        self.scale = scale
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)

    def _gamma_beta_config(self):
        return {
            "center": self.center,
            "scale": self.scale,
            "beta_initializer": serialize_simple(self.beta_initializer),
            "gamma_initializer": serialize_simple(self.gamma_initializer),
            "beta_regularizer": serialize_simple(self.beta_regularizer),
            "gamma_regularizer": serialize_simple(self.gamma_regularizer),
            "beta_constraint": serialize_simple(self.beta_constraint),
            "gamma_constraint": serialize_simple(self.gamma_constraint),
        }

    def _add_gamma(self, shape):
        return self.add_weight(shape=shape, name="gamma", initializer=self.gamma_initializer,
                               regularizer=self.gamma_regularizer,
                               constraint=self.gamma_constraint, trainable=True,
                               autocast=False)

    def _add_beta(self, shape):
        return self.add_weight(shape=shape, name="beta", initializer=self.beta_initializer,
                               regularizer=self.beta_regularizer,
                               constraint=self.beta_constraint, trainable=True,
                               autocast=False)

    def compute_output_shape(self, input_shape):
        axes = [self.axis] if isinstance(self.axis, int) else self.axis
        _check_axes(self, axes, input_shape)
        return input_shape


@register
class BatchNormalization(_GammaBeta):
    """Keras 3's ``BatchNormalization(axis=-1, momentum=0.99, epsilon=1e-3, center=True,
    scale=True, beta_initializer="zeros", gamma_initializer="ones",
    moving_mean_initializer="zeros", moving_variance_initializer="ones", ...,
    synchronized=False)``.

    Training (``training=True`` and the layer trainable): normalizes with the batch
    mean/variance over every axis but ``axis`` (mask-weighted when a mask is given) and
    updates ``moving_mean``/``moving_variance`` as
    ``moving * momentum + batch * (1 - momentum)``. Otherwise normalizes with the moving
    statistics. Weights, in order: gamma, beta, moving_mean, moving_variance.
    ``synchronized=True`` is accepted; on one device it changes nothing.
    """

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones",
                 moving_mean_initializer="zeros", moving_variance_initializer="ones",
                 beta_regularizer=None, gamma_regularizer=None, beta_constraint=None,
                 gamma_constraint=None, renorm=False, renorm_clipping=None,
                 renorm_momentum=0.99, synchronized=False, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axis, (list, tuple)):
            if len(axis) != 1:
                raise ValueError(f"BatchNormalization: axis must be an int; received axis={axis!r}")
            axis = axis[0]
        if not isinstance(axis, int):
            raise TypeError(f"BatchNormalization: axis must be an int; received axis={axis!r}")
        if renorm:
            raise ValueError("BatchNormalization: renorm=True (batch renormalization) is not "
                             "supported by unikeras; received renorm=True")
        self.axis = int(axis)
        self.momentum = float(momentum)
        self.epsilon = float(epsilon)
        self.synchronized = bool(synchronized)
        self.renorm = False
        self.renorm_clipping = renorm_clipping
        self.renorm_momentum = renorm_momentum
        self._init_gamma_beta(center, scale, beta_initializer, gamma_initializer,
                              beta_regularizer, gamma_regularizer, beta_constraint,
                              gamma_constraint)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)
        self.supports_masking = True

    def build(self, input_shape):
        _check_axes(self, [self.axis], input_shape)
        dim = input_shape[self.axis]
        if dim is None:
            raise ValueError(f'BatchNormalization layer "{self.name}": axis {self.axis} of the '
                             f"input must have a known size; received input_shape={input_shape}")
        shape = (dim,)
        self.gamma = self._add_gamma(shape) if self.scale else None
        self.beta = self._add_beta(shape) if self.center else None
        self.moving_mean = self.add_weight(shape=shape, name="moving_mean",
                                           initializer=self.moving_mean_initializer,
                                           trainable=False, autocast=False)
        self.moving_variance = self.add_weight(shape=shape, name="moving_variance",
                                               initializer=self.moving_variance_initializer,
                                               trainable=False, autocast=False)
        self.input_spec = InputSpec(ndim=len(input_shape), axes={self.axis: dim})
        self.built = True

    def _masked_moments(self, xp, x, mask, red):
        m = xp.astype(mask, x.dtype)
        m = xp.expand_dims(m, axis=-1)
        m = xp.broadcast_to(m, x.shape)
        weights = xp.sum(m, axis=red, keepdims=True) + 1e-7
        mean = xp.sum(x * m, axis=red, keepdims=True) / weights
        d = (x - mean) * m
        var = xp.sum(d * d, axis=red, keepdims=True) / weights
        return xp.reshape(mean, (-1,)), xp.reshape(var, (-1,))

    def call(self, inputs, training=None, mask=None):
        xp = namespace(inputs)
        ndim = inputs.ndim
        if mask is not None and mask.ndim != ndim - 1:
            raise ValueError(
                f'BatchNormalization layer "{self.name}": the mask must have one dimension '
                f"less than the inputs; received mask.shape={tuple(mask.shape)}, "
                f"inputs.shape={tuple(inputs.shape)}")
        x = _upcast(xp, inputs)
        axis = self.axis % ndim
        red = tuple(i for i in range(ndim) if i != axis)
        if training and self.trainable:
            if mask is None:
                # one dispatched op (torch: F.batch_norm's fused kernels)
                out, mean, var = nn_ops.batch_norm_training(
                    x, axis, _as(xp, self.gamma, x.dtype) if self.scale else None,
                    _as(xp, self.beta, x.dtype) if self.center else None, self.epsilon)
                self._update_moving(xp, mean, var, x.dtype)
                return _to_dtype(xp, out, self.compute_dtype)
            mean, var = self._masked_moments(xp, x, mask, red)
            self._update_moving(xp, mean, var, x.dtype)
        else:
            mean = _as(xp, self.moving_mean, x.dtype)
            var = _as(xp, self.moving_variance, x.dtype)
        inv = 1.0 / xp.sqrt(var + self.epsilon)
        if self.scale:
            inv = inv * _as(xp, self.gamma, x.dtype)
        res = -mean * inv
        if self.center:
            res = res + _as(xp, self.beta, x.dtype)
        if axis != ndim - 1:
            bshape = _broadcast_shape(ndim, [axis], [x.shape[axis]])
            inv = xp.reshape(inv, bshape)
            res = xp.reshape(res, bshape)
        return _to_dtype(xp, x * inv + res, self.compute_dtype)

    def _update_moving(self, xp, mean, var, dtype):
        mom = self.momentum
        self.moving_mean = _as(xp, self.moving_mean, dtype) * mom + mean * (1.0 - mom)
        self.moving_variance = (_as(xp, self.moving_variance, dtype) * mom
                                + var * (1.0 - mom))

    def get_config(self):
        config = super().get_config()
        config.update({
            "axis": self.axis,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            **self._gamma_beta_config(),
            "moving_mean_initializer": serialize_simple(self.moving_mean_initializer),
            "moving_variance_initializer": serialize_simple(self.moving_variance_initializer),
            "synchronized": self.synchronized,
            "renorm": self.renorm,
            "renorm_clipping": self.renorm_clipping,
            "renorm_momentum": self.renorm_momentum,
        })
        return config


@register
class LayerNormalization(_GammaBeta):
    """Keras 3's ``LayerNormalization(axis=-1, epsilon=1e-3, center=True, scale=True,
    beta_initializer="zeros", gamma_initializer="ones", ..., rms_scaling=False)``:
    normalizes each example over ``axis`` (an int or a list of ints). Weights: gamma
    (``scale``), beta (``center``), of shape ``input_shape[axis]``. ``rms_scaling=True``
    reproduces Keras' deprecated behaviour (``x / sqrt(var + eps) * gamma``, no beta)."""

    def __init__(self, axis=-1, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones", beta_regularizer=None,
                 gamma_regularizer=None, beta_constraint=None, gamma_constraint=None,
                 rms_scaling=False, **kwargs):
        if rms_scaling:
            warnings.warn("LayerNormalization: rms_scaling=True is deprecated in Keras 3 (it "
                          "scales by the variance, not the root mean square); use "
                          "RMSNormalization instead.", stacklevel=2)
        super().__init__(**kwargs)
        self.axis = _int_or_list_axis("LayerNormalization", axis)
        self.epsilon = epsilon
        self.rms_scaling = bool(rms_scaling)
        self._init_gamma_beta(center, scale, beta_initializer, gamma_initializer,
                              beta_regularizer, gamma_regularizer, beta_constraint,
                              gamma_constraint)
        self.supports_masking = True
        self.autocast = False

    def build(self, input_shape):
        if isinstance(self.axis, (list, tuple)):
            self.axis = sorted(self.axis)
        else:
            self.axis = [self.axis]
        _check_axes(self, self.axis, input_shape)
        shape = tuple(input_shape[a] for a in self.axis)
        if any(d is None for d in shape):
            raise ValueError(f'LayerNormalization layer "{self.name}": the normalized axes '
                             f"{self.axis} must have known sizes; received input_shape="
                             f"{input_shape}")
        self.gamma = self._add_gamma(shape) if (self.scale or self.rms_scaling) else None
        self.beta = self._add_beta(shape) if (self.center and not self.rms_scaling) else None
        self.built = True

    def call(self, inputs):
        xp = namespace(inputs)
        ndim = inputs.ndim
        axes = tuple(_norm_axes(self, self.axis, ndim))
        trailing = axes == tuple(range(ndim - len(axes), ndim))
        if (not self.rms_scaling and trailing
                and nn_ops.layer_normalization.fast_path(self._framework) is not None):
            # a framework kernel for it (torch's F.layer_norm, as Keras 3's torch backend)
            out = nn_ops.layer_normalization(inputs, self.gamma, self.beta,
                                             axes, self.epsilon)
            return _to_dtype(xp, out, self.compute_dtype)
        orig = standardize_dtype(inputs.dtype)
        x = _upcast(xp, inputs)

        def bc(v):
            v = _as(xp, v, x.dtype)
            if not trailing:
                v = xp.reshape(v, _broadcast_shape(ndim, axes, [x.shape[a] for a in axes]))
            return v

        if self.rms_scaling:
            _, var = _moments(xp, x, axes, keepdims=True)
            out = x * (1.0 / xp.sqrt(var + self.epsilon))
            if self.gamma is not None:
                out = out * bc(self.gamma)
        else:
            mean, var = _moments(xp, x, axes, keepdims=True)
            inv = 1.0 / xp.sqrt(var + self.epsilon)
            if self.gamma is not None:
                inv = inv * bc(self.gamma)
            res = -mean * inv
            if self.beta is not None:
                res = res + bc(self.beta)
            out = x * inv + res
        out = _to_dtype(xp, out, orig)
        return _to_dtype(xp, out, self.compute_dtype)

    def get_config(self):
        config = super().get_config()
        config.update({"axis": self.axis, "epsilon": self.epsilon,
                       "rms_scaling": self.rms_scaling, **self._gamma_beta_config()})
        return config


@register
class RMSNormalization(Layer):
    """Keras 3's ``RMSNormalization(axis=-1, epsilon=1e-6)``:
    ``x / sqrt(mean(x**2, axis) + epsilon) * scale``; one weight, ``scale``."""

    def __init__(self, axis=-1, epsilon=1e-6, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis
        self.epsilon = epsilon

    def build(self, input_shape):
        self.axis = sorted(self.axis) if isinstance(self.axis, (list, tuple)) else [self.axis]
        _check_axes(self, self.axis, input_shape)
        shape = tuple(input_shape[a] for a in self.axis)
        self.scale = self.add_weight(name="scale", shape=shape, initializer="ones")
        self.built = True

    def call(self, x):
        xp = namespace(x)
        orig = standardize_dtype(x.dtype)
        x = _upcast(xp, x)
        ndim = x.ndim
        axes = tuple(_norm_axes(self, self.axis, ndim))
        rrms = 1.0 / xp.sqrt(xp.mean(x * x, axis=axes, keepdims=True) + self.epsilon)
        scale = _as(xp, self.scale, x.dtype)
        if axes != tuple(range(ndim - len(axes), ndim)):
            scale = xp.reshape(scale, _broadcast_shape(ndim, axes, [x.shape[a] for a in axes]))
        return _to_dtype(xp, x * rrms * scale, orig)

    def compute_output_shape(self, input_shape):
        _check_axes(self, [self.axis] if isinstance(self.axis, int) else self.axis, input_shape)
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update({"axis": self.axis, "epsilon": self.epsilon})
        return config


@register
class GroupNormalization(_GammaBeta):
    """Keras 3's ``GroupNormalization(groups=32, axis=-1, epsilon=1e-3, center=True,
    scale=True, ...)``: the channels along ``axis`` are split into ``groups`` groups
    and each example is normalized within each group (``groups=-1``: instance norm)."""

    def __init__(self, groups=32, axis=-1, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones", beta_regularizer=None,
                 gamma_regularizer=None, beta_constraint=None, gamma_constraint=None,
                 **kwargs):
        if not isinstance(groups, int) or (groups <= 0 and groups != -1):
            raise ValueError("GroupNormalization: groups must be a positive int (or -1 for "
                             f"instance normalization); received groups={groups!r}")
        super().__init__(**kwargs)
        self.groups = groups
        self.axis = axis
        self.epsilon = epsilon
        self._init_gamma_beta(center, scale, beta_initializer, gamma_initializer,
                              beta_regularizer, gamma_regularizer, beta_constraint,
                              gamma_constraint)
        self.supports_masking = True
        self.autocast = False

    def build(self, input_shape):
        _check_axes(self, [self.axis], input_shape)
        dim = input_shape[self.axis]
        if dim is None:
            raise ValueError(f'GroupNormalization layer "{self.name}": axis {self.axis} must '
                             f"have a known size; received input_shape={input_shape}")
        if self.groups == -1:
            self.groups = dim
        if dim < self.groups:
            raise ValueError(f'GroupNormalization layer "{self.name}": groups ({self.groups}) '
                             f"cannot be more than the number of channels ({dim})")
        if dim % self.groups:
            raise ValueError(f'GroupNormalization layer "{self.name}": the number of channels '
                             f"({dim}) must be a multiple of groups ({self.groups})")
        self.input_spec = InputSpec(ndim=len(input_shape), axes={self.axis: dim})
        self.gamma = self._add_gamma((dim,)) if self.scale else None
        self.beta = self._add_beta((dim,)) if self.center else None
        self.built = True

    def call(self, inputs):
        xp = namespace(inputs)
        orig = standardize_dtype(inputs.dtype)
        ndim = inputs.ndim
        axis = self.axis % ndim
        shape = tuple(inputs.shape)
        c = shape[axis]
        g = self.groups
        gshape = list(shape[:axis]) + [g, c // g] + list(shape[axis + 1:])
        gshape[0] = -1
        x = xp.reshape(_upcast(xp, inputs), tuple(gshape))
        red = tuple(i for i in range(1, ndim + 1) if i != axis)
        mean, var = _moments(xp, x, red, keepdims=True)
        inv = 1.0 / xp.sqrt(var + self.epsilon)
        bshape = [1] * (ndim + 1)
        bshape[axis], bshape[axis + 1] = g, c // g
        bshape = tuple(bshape)
        if self.gamma is not None:
            inv = inv * xp.reshape(_as(xp, self.gamma, x.dtype), bshape)
        res = -mean * inv
        if self.beta is not None:
            res = res + xp.reshape(_as(xp, self.beta, x.dtype), bshape)
        out = x * inv + res
        out = xp.reshape(_to_dtype(xp, out, orig), (-1,) + shape[1:])
        return _to_dtype(xp, out, self.compute_dtype)

    def get_config(self):
        config = super().get_config()
        config.update({"groups": self.groups, "axis": self.axis, "epsilon": self.epsilon,
                       **self._gamma_beta_config()})
        return config


@register
class UnitNormalization(Layer):
    """Keras 3's ``UnitNormalization(axis=-1)``: each example divided by its L2 norm
    over ``axis`` (an int or list of ints); norms below 1e-12 count as 1e-12."""

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = _int_or_list_axis("UnitNormalization", axis)
        self.supports_masking = True
        self.built = True

    def call(self, inputs):
        xp = namespace(inputs)
        axes = tuple(_norm_axes(self, self.axis, inputs.ndim))
        square_sum = xp.sum(inputs * inputs, axis=axes, keepdims=True)
        # min(rsqrt(s), 1/eps) with eps = 1e-12, without dividing by zero
        return inputs * (1.0 / xp.sqrt(xp.maximum(square_sum, 1e-24)))

    def compute_output_shape(self, input_shape):
        _check_axes(self, [self.axis] if isinstance(self.axis, int) else self.axis, input_shape)
        return input_shape

    def get_config(self):
        config = super().get_config()
        config["axis"] = self.axis
        return config
