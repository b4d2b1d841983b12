"""Preprocessing layers written once: Rescaling, Normalization (with ``adapt``),
CategoryEncoding."""

from __future__ import annotations

import math

import numpy as np

from ...utils.serialization import register
from ...xp import asarray, epsilon, framework_of, namespace, standardize_dtype, to_numpy
from ...xp._registry import SHIMMED
from ..layer import Layer
from ..normalization import dtype_obj


def _cast(xp, x, name):
    if standardize_dtype(x.dtype) == name:
        return x
    return xp.astype(x, dtype_obj(xp, x, name))


class _ConstCache:
    """NumPy constants converted once per framework (host-to-device copy on first use
    only). TensorFlow constants are not cached: one made while tracing a tf.function
    belongs to that graph and must not leak out of it."""

    def __init__(self, **arrays):
        self.host = arrays
        self.by_fw = {}

    def get(self, name, like, dtype):
        fw = framework_of(like)
        key = (fw, name, dtype)
        try:
            return self.by_fw[key]
        except KeyError:
            pass
        value = self.host[name].astype(dtype)
        if fw == "numpy":
            arr = value
        elif fw is None or fw in SHIMMED:
            arr = asarray(value, framework=fw)
        else:  # any other Array API library (array_api_strict): its own asarray
            arr = namespace(like).asarray(value)
        if fw != "tensorflow":
            self.by_fw[key] = arr
        return arr


def _to_config_value(v):
    if isinstance(v, np.ndarray):
        return v.tolist()
    if framework_of(v) is not None:
        return to_numpy(v).tolist()
    return v


@register
class Rescaling(Layer):
    """Keras 3's ``Rescaling(scale, offset=0.0)``: ``inputs * scale + offset`` in the
    compute dtype (``scale``/``offset`` may be scalars or per-channel lists)."""

    def __init__(self, scale, offset=0.0, **kwargs):
        super().__init__(**kwargs)
        self.scale = scale
        self.offset = offset
        self.supports_masking = True
        self.built = True
        self._consts = _ConstCache(scale=np.asarray(_to_config_value(scale)),
                                   offset=np.asarray(_to_config_value(offset)))

    def call(self, inputs):
        xp = namespace(inputs)
        dt = self.compute_dtype
        x = _cast(xp, inputs, dt)
        scale = self._consts.get("scale", x, dt)
        offset = self._consts.get("offset", x, dt)
        return x * scale + offset

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update({"scale": _to_config_value(self.scale),
                       "offset": _to_config_value(self.offset)})
        return config


def _extract_batch(batch):
    return batch[0] if isinstance(batch, tuple) else batch


@register
class Normalization(Layer):
    """Keras 3's ``Normalization(axis=-1, mean=None, variance=None, invert=False)``:
    ``(x - mean) / max(sqrt(variance), epsilon)`` (or the inverse with ``invert=True``)
    with one mean/variance per index of the kept ``axis`` (int, tuple, or None for a
    single scalar). Give ``mean``/``variance``, or learn them with ``adapt(data)`` where
    ``data`` is a NumPy array, a framework array, or an iterable of batches (lists,
    generators, tf.data datasets, PyDatasets; ``(x, y)`` tuples use ``x``). After
    ``adapt`` the weights are ``[mean, variance, count]`` as in Keras (which, like Keras
    3, leaves ``count`` at 0)."""

    def __init__(self, axis=-1, mean=None, variance=None, invert=False, **kwargs):
        super().__init__(**kwargs)
        if axis is None:
            axis = ()
        elif isinstance(axis, int):
            axis = (axis,)
        else:
            axis = tuple(axis)
        self.axis = axis
        self.input_mean = mean
        self.input_variance = variance
        self.invert = invert
        self.supports_masking = True
        self._build_input_shape = None
        if (mean is not None) != (variance is not None):
            raise ValueError("Normalization: when setting values directly, both mean and "
                             f"variance must be set; received mean={mean!r}, "
                             f"variance={variance!r}")
        if mean is not None:
            if np.shape(mean) != np.shape(variance):
                raise ValueError("Normalization: mean and variance must have the same shape; "
                                 f"received shapes {np.shape(mean)} and {np.shape(variance)}")
            if len(np.shape(mean)) > len(self.axis):
                raise ValueError(f"Normalization: the rank of mean must be at most the number "
                                 f"of axes ({len(self.axis)}); received mean shape "
                                 f"{np.shape(mean)} for axis={self.axis}")

    def build(self, input_shape):
        if input_shape is None:
            return
        input_shape = tuple(input_shape)
        ndim = len(input_shape)
        self._build_input_shape = input_shape
        if any(a < -ndim or a >= ndim for a in self.axis):
            raise ValueError(f'Normalization layer "{self.name}": every axis must be in '
                             f"[-{ndim}, {ndim}); received axis={self.axis} for inputs of "
                             f"shape {input_shape}")
        self._keep_axis = tuple(sorted(a % ndim for a in self.axis))
        for d in self._keep_axis:
            if input_shape[d] is None:
                raise ValueError(f'Normalization layer "{self.name}": the kept axes must have '
                                 f"known sizes; received axis={self.axis}, input_shape="
                                 f"{input_shape} (axis {d} unknown)")
        self._reduce_axis = tuple(d for d in range(ndim) if d not in self._keep_axis)
        self._broadcast_shape = tuple(input_shape[d] if d in self._keep_axis else 1
                                      for d in range(ndim))
        self._mean_and_var_shape = tuple(input_shape[d] for d in self._keep_axis)
        if self.input_mean is None:
            self.adapt_mean = self.add_weight(name="mean", shape=self._mean_and_var_shape,
                                              initializer="zeros", trainable=False)
            self.adapt_variance = self.add_weight(name="variance",
                                                  shape=self._mean_and_var_shape,
                                                  initializer="ones", trainable=False)
            self.count = self.add_weight(name="count", shape=(), dtype="int64",
                                         initializer="zeros", trainable=False)
            self._consts = None
        else:
            mean = np.asarray(self.input_mean, dtype=np.float64)
            var = np.asarray(self.input_variance, dtype=np.float64)
            if mean.ndim:
                expanded = [1] * ndim
                for i in range(1, mean.ndim + 1):
                    expanded[self._keep_axis[-i]] = mean.shape[-i]
                mean = mean.reshape(expanded)
                var = var.reshape(expanded)
            try:
                mean = np.broadcast_to(mean, self._broadcast_shape)
                var = np.broadcast_to(var, self._broadcast_shape)
            except ValueError:
                raise ValueError(f'Normalization layer "{self.name}": mean of shape '
                                 f"{np.shape(self.input_mean)} does not broadcast to the kept "
                                 f"axes {self._keep_axis} of input shape {input_shape}") from None
            self._consts = _ConstCache(mean=np.ascontiguousarray(mean),
                                       variance=np.ascontiguousarray(var))
        self.built = True

    # ------------------------------------------------------------------ adapt
    def adapt(self, data):
        """Compute the mean and variance of ``data`` over the reduced axes."""
        if self.input_mean is not None:
            raise ValueError(f'Normalization layer "{self.name}" was given mean and variance; '
                             "adapt() would overwrite nothing")
        batches = None
        if isinstance(data, np.ndarray) or (framework_of(data) is not None
                                            and hasattr(data, "shape")):
            input_shape = tuple(data.shape)
            batches = [data]
        else:
            if hasattr(data, "element_spec") and hasattr(data, "batch"):  # tf.data.Dataset
                spec = data.element_spec
                spec = spec[0] if isinstance(spec, tuple) else spec
                if len(spec.shape) <= 1:
                    data = data.batch(128)
                it = iter(data)
            elif hasattr(data, "__getitem__") and hasattr(data, "__len__") and hasattr(
                    data, "on_epoch_end"):  # PyDataset
                it = (data[i] for i in range(len(data)))
            elif hasattr(data, "__iter__"):
                it = iter(data)
            else:
                raise TypeError(f'Normalization layer "{self.name}".adapt: expected a NumPy '
                                "array, a framework array or an iterable of batches; received "
                                f"{type(data).__name__}")
            first = next(it, None)
            if first is None:
                raise ValueError(f'Normalization layer "{self.name}".adapt received an empty '
                                 "iterable: expected at least one batch")
            first = _extract_batch(first)
            if getattr(first, "shape", None) is None:
                first = np.asarray(first)
            input_shape = tuple(first.shape)

            def chain():
                yield first
                for b in it:
                    yield _extract_batch(b)
            batches = chain()
        if not self.built:
            self.build(input_shape)
        total_mean = total_var = None
        total_count = 0
        for batch in batches:
            b = np.asarray(to_numpy(batch), dtype=np.float64)
            if b.ndim != len(self._build_input_shape) or any(
                    b.shape[d] != self._build_input_shape[d] for d in self._keep_axis):
                raise ValueError(f'Normalization layer "{self.name}" was built with '
                                 f"input_shape={self._build_input_shape}; adapt() received a "
                                 f"batch of incompatible shape {b.shape}")
            bm = b.mean(axis=self._reduce_axis)
            bv = b.var(axis=self._reduce_axis)
            n = math.prod(b.shape[d] for d in self._reduce_axis) if self._reduce_axis else 1
            if n == 0:
                continue
            if total_mean is None:
                total_mean, total_var, total_count = bm, bv, n
                continue
            total_count += n
            w = n / total_count
            new_mean = total_mean * (1 - w) + bm * w
            total_var = ((total_var + (total_mean - new_mean) ** 2) * (1 - w)
                         + (bv + (bm - new_mean) ** 2) * w)
            total_mean = new_mean
        if total_mean is None:
            raise ValueError(f'Normalization layer "{self.name}".adapt received no data')
        self.adapt_mean.assign(np.asarray(total_mean, dtype=self.adapt_mean.dtype))
        self.adapt_variance.assign(np.asarray(total_var, dtype=self.adapt_variance.dtype))

    def finalize_state(self):
        """Kept for Keras compatibility: the statistics are read from the weights at
        each call, so there is nothing to finalize."""

    # ------------------------------------------------------------------ call
    def call(self, inputs):
        xp = namespace(inputs)
        dt = self.compute_dtype
        x = _cast(xp, inputs, dt)
        if self._consts is not None:
            mean = self._consts.get("mean", x, dt)
            var = self._consts.get("variance", x, dt)
        else:
            mean = xp.reshape(_cast(xp, self.adapt_mean, dt), self._broadcast_shape)
            var = xp.reshape(_cast(xp, self.adapt_variance, dt), self._broadcast_shape)
        denom = xp.maximum(xp.sqrt(var), epsilon())
        if self.invert:
            return mean + x * denom
        return (x - mean) / denom

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update({"axis": self.axis, "invert": self.invert,
                       "mean": _to_config_value(self.input_mean),
                       "variance": _to_config_value(self.input_variance)})
        return config

    def get_build_config(self):
        return {"input_shape": self._build_input_shape} if self._build_input_shape else None


@register
class CategoryEncoding(Layer):
    """Keras 3's ``CategoryEncoding(num_tokens, output_mode="multi_hot", sparse=False)``:
    integer token ids in ``[0, num_tokens)`` to ``"one_hot"``, ``"multi_hot"`` (a 1 for
    each token present in the last axis) or ``"count"`` vectors (``count_weights``
    weighs each token). Ids outside the range are not checked and encode to zeros."""

    def __init__(self, num_tokens=None, output_mode="multi_hot", sparse=False, **kwargs):
        super().__init__(**kwargs)
        if output_mode == "binary":
            output_mode = "multi_hot"
        if output_mode not in ("count", "one_hot", "multi_hot"):
            raise ValueError("CategoryEncoding: output_mode must be one of 'one_hot', "
                             f"'multi_hot', 'count'; received output_mode={output_mode!r}")
        if num_tokens is None:
            raise ValueError("CategoryEncoding: num_tokens must be set; received None")
        if not isinstance(num_tokens, int) or num_tokens < 1:
            raise ValueError("CategoryEncoding: num_tokens must be an int >= 1; received "
                             f"num_tokens={num_tokens!r}")
        if sparse:
            raise ValueError("CategoryEncoding: sparse=True is not supported by unikeras "
                             "(dense outputs only); received sparse=True")
        self.num_tokens = num_tokens
        self.output_mode = output_mode
        self.sparse = False
        self.autocast = False
        self.built = True

    def _one_hot(self, xp, x, dtype):
        tokens = xp.arange(self.num_tokens, dtype=x.dtype)
        return xp.astype(xp.expand_dims(x, axis=-1) == tokens, dtype)

    def call(self, inputs, count_weights=None):
        xp = namespace(inputs)
        dt = self.dtype
        x = inputs
        if standardize_dtype(x.dtype) not in ("int32", "int64"):
            x = xp.astype(x, xp.int64 if standardize_dtype(x.dtype) in ("uint32", "uint64")
                          else xp.int32)
        if count_weights is not None and self.output_mode != "count":
            raise ValueError(f'CategoryEncoding layer "{self.name}": count_weights is only '
                             f"used with output_mode='count'; received output_mode="
                             f"{self.output_mode!r}")
        if x.ndim == 0:
            x = xp.expand_dims(x, axis=0)
        if self.output_mode == "one_hot":
            if x.ndim > 1 and x.shape[-1] == 1:
                x = xp.reshape(x, tuple(x.shape[:-1]))
            return self._one_hot(xp, x, dtype_obj(xp, x, dt))
        if self.output_mode == "multi_hot":
            return xp.max(self._one_hot(xp, x, dtype_obj(xp, x, dt)), axis=-2)
        if count_weights is not None:
            cw = count_weights if framework_of(count_weights) is not None else asarray(
                np.asarray(count_weights, dtype=dt), framework=framework_of(inputs))
            if cw.ndim == 0 or tuple(cw.shape) != tuple(x.shape):
                raise ValueError(f'CategoryEncoding layer "{self.name}": count_weights must '
                                 f"have the shape of the inputs {tuple(x.shape)}; received "
                                 f"{tuple(cw.shape)}")
            oh = self._one_hot(xp, x, cw.dtype) * xp.expand_dims(cw, axis=-1)
        else:
            oh = self._one_hot(xp, x, dtype_obj(xp, x, dt))
        return xp.sum(oh, axis=-2)

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        if len(input_shape) == 0:
            return (self.num_tokens,)
        if self.output_mode == "one_hot" and (input_shape[-1] != 1 or len(input_shape) == 1):
            return input_shape + (self.num_tokens,)
        return input_shape[:-1] + (self.num_tokens,)

    def get_config(self):
        config = super().get_config()
        config.update({"num_tokens": self.num_tokens, "output_mode": self.output_mode,
                       "sparse": self.sparse})
        return config
