"""Layer wrappers, written once: ``Wrapper``, ``Bidirectional``, ``TimeDistributed``."""

from __future__ import annotations

import copy

from ..utils.serialization import register
from ..xp import namespace
from .layer import Layer, _call_params
from .serialization import deserialize, serialize

__all__ = ["Wrapper", "Bidirectional", "TimeDistributed", "SpectralNormalization"]

_MERGE_MODES = ("sum", "mul", "ave", "concat", None)


@register
class Wrapper(Layer):
    """Keras' ``Wrapper(layer)``: a layer that holds and calls another layer."""

    def __init__(self, layer, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(f"{type(self).__name__}: `layer` must be a unikeras Layer "
                             f"instance; received {layer!r}")
        super().__init__(**kwargs)
        self.layer = layer

    def build(self, input_shape=None):
        if not self.layer.built:
            self.layer.build(input_shape)
            self.layer.built = True
        self.built = True

    def get_config(self):
        config = super().get_config()
        config["layer"] = serialize(self.layer)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        config["layer"] = deserialize(config["layer"], custom_objects)
        return cls(**config)


@register
class TimeDistributed(Wrapper):
    """Keras' ``TimeDistributed(layer)``: apply ``layer`` to every temporal slice
    (axis 1) of the input, one timestep at a time as Keras 3 does (so layers with
    per-call statistics, e.g. BatchNormalization, see the same batches as in Keras).
    ``call(inputs, training=None, mask=None)``; the mask slice of each step is passed to
    the wrapped layer when it takes one."""

    def __init__(self, layer, **kwargs):
        super().__init__(layer, **kwargs)
        self.supports_masking = True

    def _child_shape(self, input_shape):
        if not isinstance(input_shape, (tuple, list)) or len(input_shape) < 3:
            raise ValueError(
                f'TimeDistributed layer "{self.name}" expects inputs with at least 3 '
                f"dimensions (batch, timesteps, ...); received input_shape={input_shape}")
        return (input_shape[0], *input_shape[2:])

    def build(self, input_shape):
        super().build(self._child_shape(tuple(input_shape)))

    def compute_output_shape(self, input_shape):
        child = self.layer.compute_output_shape(self._child_shape(tuple(input_shape)))
        return (child[0], input_shape[1], *child[1:])

    def compute_output_spec(self, inputs, training=None, mask=None):
        from .symbolic import KerasTensor

        child_in = KerasTensor(self._child_shape(tuple(inputs.shape)), inputs.dtype)
        child = self.layer.compute_output_spec(child_in)
        return KerasTensor((child.shape[0], inputs.shape[1], *child.shape[1:]), child.dtype)

    def call(self, inputs, training=None, mask=None):
        xp = namespace(inputs)
        if inputs.ndim < 3:
            raise ValueError(
                f'TimeDistributed layer "{self.name}" expects inputs with at least 3 '
                f"dimensions (batch, timesteps, ...); received shape {tuple(inputs.shape)}")
        steps = inputs.shape[1]
        if steps is None:
            raise ValueError(f'TimeDistributed layer "{self.name}": the number of timesteps '
                             f"must be known; received shape {tuple(inputs.shape)}")
        if mask is not None:
            if mask.ndim < 2 or any(
                    a is not None and b is not None and a != b
                    for a, b in zip(tuple(mask.shape[:2]), tuple(inputs.shape[:2]))):
                raise ValueError(
                    f'TimeDistributed layer "{self.name}": the mask must have shape '
                    f"(batch, timesteps, ...) = {tuple(inputs.shape[:2])}; received "
                    f"{tuple(mask.shape)}")
        takes_training, takes_mask = _call_params(type(self.layer))
        kwargs = {}
        if takes_training:
            kwargs["training"] = training
        outs = []
        for t in range(steps):
            if takes_mask and mask is not None:
                kwargs["mask"] = mask[:, t, ...]
            outs.append(self.layer(inputs[:, t, ...], **kwargs))
        return xp.stack(outs, axis=1)

    def compute_mask(self, inputs, mask=None):
        return mask


@register
class Bidirectional(Wrapper):
    """Keras' ``Bidirectional(layer, merge_mode="concat", weights=None,
    backward_layer=None)``: run a recurrent layer forwards and a copy of it (or
    ``backward_layer``) backwards, and merge the two outputs ("concat", "sum", "mul",
    "ave", or None for a list). Weights: the forward layer's, then the backward's.

    ``call(sequences, initial_state=None, mask=None, training=None)``: ``initial_state``
    holds the forward states then the backward states."""

    def __init__(self, layer, merge_mode="concat", weights=None, backward_layer=None,
                 **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError("Bidirectional: `layer` must be a unikeras Layer instance; "
                             f"received {layer!r}")
        if backward_layer is not None and not isinstance(backward_layer, Layer):
            raise ValueError("Bidirectional: `backward_layer` must be a unikeras Layer "
                             f"instance; received {backward_layer!r}")
        if merge_mode not in _MERGE_MODES:
            raise ValueError(f"Bidirectional: invalid merge mode {merge_mode!r}; expected "
                             'one of {"sum", "mul", "ave", "concat", None}')
        # Wrapper.__init__ keeps `layer` as self.layer: the forward copy.
        config = serialize(layer)
        config = copy.deepcopy(config)
        base = layer.name[len("forward_"):] if layer.name.startswith("forward_") else layer.name
        config["config"]["name"] = f"forward_{base}"
        forward = deserialize(config)
        super().__init__(forward, **kwargs)
        self.forward_layer = forward
        if backward_layer is None:
            config = copy.deepcopy(serialize(layer))
            config["config"]["go_backwards"] = not config["config"].get("go_backwards", False)
            base = (layer.name[len("backward_"):] if layer.name.startswith("backward_")
                    else layer.name)
            config["config"]["name"] = f"backward_{base}"
            backward_layer = deserialize(config)
        self.backward_layer = backward_layer
        self._verify()
        for sub in (self.forward_layer, self.backward_layer):
            if hasattr(sub, "zero_output_for_mask"):
                sub.zero_output_for_mask = sub.return_sequences
        self.merge_mode = merge_mode
        self.stateful = False
        self.return_sequences = layer.return_sequences
        self.return_state = layer.return_state
        self.supports_masking = True
        self.input_spec = layer.input_spec
        if weights:
            n = len(weights)
            self.forward_layer._initial_weights = weights[: n // 2]
            self.backward_layer._initial_weights = weights[n // 2:]

    def _verify(self):
        f, b = self.forward_layer, self.backward_layer
        if getattr(f, "go_backwards", None) == getattr(b, "go_backwards", None):
            raise ValueError(
                "Bidirectional: the forward and backward layers must have different "
                f"`go_backwards` values; received forward_layer.go_backwards="
                f"{getattr(f, 'go_backwards', None)}, backward_layer.go_backwards="
                f"{getattr(b, 'go_backwards', None)}")
        for a in ("stateful", "return_sequences", "return_state"):
            if getattr(f, a, None) != getattr(b, a, None):
                raise ValueError(
                    f'Bidirectional: the forward and backward layers must have the same '
                    f'"{a}"; received {getattr(f, a, None)!r} (forward) and '
                    f"{getattr(b, a, None)!r} (backward)")

    def build(self, sequences_shape, initial_state_shape=None):
        for sub in (self.forward_layer, self.backward_layer):
            if not sub.built:
                sub._maybe_build((_Shaped(sequences_shape),))
        self.built = True

    def compute_output_shape(self, sequences_shape, initial_state_shape=None):
        shape = self.forward_layer.compute_output_shape(sequences_shape)
        states = ()
        if self.return_state:
            shape, states = shape[0], tuple(shape[1:])
        if self.merge_mode == "concat":
            shape = tuple(shape[:-1]) + (None if shape[-1] is None else 2 * shape[-1],)
        elif self.merge_mode is None:
            shape = [tuple(shape), tuple(shape)]
        if self.return_state:
            if self.merge_mode is None:
                return tuple(shape) + states + states
            return (tuple(shape),) + states + states
        return shape if self.merge_mode is None else tuple(shape)

    def compute_output_spec(self, sequences, initial_state=None, mask=None, training=None):
        from .symbolic import KerasTensor

        shapes = self.compute_output_shape(tuple(sequences.shape))
        dt = self.compute_dtype

        def spec(s):
            if isinstance(s, list) or (isinstance(s, tuple) and s and isinstance(s[0], tuple)):
                return type(s)(spec(o) for o in s)
            return KerasTensor(s, dt)

        return spec(shapes)

    def call(self, sequences, initial_state=None, mask=None, training=None):
        takes_training, takes_mask = _call_params(type(self.forward_layer))
        kwargs = {}
        if takes_training:
            kwargs["training"] = training
        if takes_mask and mask is not None:
            kwargs["mask"] = mask
        if initial_state is not None:
            initial_state = list(initial_state)
            # Forward states first (as many as the forward layer has; Keras halves).
            sizes = getattr(self.forward_layer, "state_size", None)
            n = len(sizes) if isinstance(sizes, list) else len(initial_state) // 2
            fw_state, bw_state = initial_state[:n], initial_state[n:]
        else:
            fw_state = bw_state = None
        if fw_state is not None:
            y = self.forward_layer(sequences, initial_state=fw_state, **kwargs)
            y_rev = self.backward_layer(sequences, initial_state=bw_state, **kwargs)
        else:
            y = self.forward_layer(sequences, **kwargs)
            y_rev = self.backward_layer(sequences, **kwargs)
        states = ()
        if self.return_state:
            states = tuple(y[1:]) + tuple(y_rev[1:])
            y, y_rev = y[0], y_rev[0]
        xp = namespace(y)
        if self.return_sequences:
            y_rev = xp.flip(y_rev, axis=1)
        mode = self.merge_mode
        if mode == "concat":
            out = xp.concat([y, y_rev], axis=-1)
        elif mode == "sum":
            out = y + y_rev
        elif mode == "ave":
            out = (y + y_rev) / 2
        elif mode == "mul":
            out = y * y_rev
        else:
            out = [y, y_rev]
        if self.return_state:
            if mode is None:
                return tuple(out) + states
            return (out,) + states
        return out

    def compute_mask(self, inputs, mask=None):
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        if self.return_sequences:
            out = [mask, mask] if not self.merge_mode else mask
        else:
            out = [None, None] if not self.merge_mode else None
        if self.return_state:
            n = len(getattr(self.forward_layer, "state_size", [])) * 2
            return (out if isinstance(out, list) else [out]) + [None] * n
        return out

    def get_config(self):
        config = Layer.get_config(self)
        config["merge_mode"] = self.merge_mode
        config["layer"] = serialize(self.forward_layer)
        config["backward_layer"] = serialize(self.backward_layer)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = copy.deepcopy(config)
        config["layer"] = deserialize(config["layer"], custom_objects)
        back = config.pop("backward_layer", None)
        if back is not None:
            config["backward_layer"] = deserialize(back, custom_objects)
        return cls(**config)


class _Shaped:
    """A stand-in with only a ``shape``, to build a sublayer from a shape."""

    def __init__(self, shape):
        self.shape = tuple(shape)


@register
class SpectralNormalization(Wrapper):
    """Keras' ``SpectralNormalization(layer, power_iterations=1)``: the wrapped layer's
    ``kernel`` (or ``embeddings``) divided by its largest singular value, estimated by
    ``power_iterations`` steps of power iteration from the non-trainable ``vector_u``
    (shape ``(1, units)``). As in Keras, a ``training=True`` call assigns the normalized
    kernel and the new ``vector_u`` (the kernel is left alone while it is all zeros) and
    then runs the layer; an inference call runs the layer as it is. The weight order is
    Keras': ``kernel``, ``vector_u``, then the layer's other weights."""

    def __init__(self, layer, power_iterations=1, **kwargs):
        super().__init__(layer, **kwargs)
        if power_iterations <= 0:
            raise ValueError("`power_iterations` should be greater than zero. Received: "
                             f"`power_iterations={power_iterations}`")
        self.power_iterations = power_iterations

    def build(self, input_shape=None):
        from .input_spec import InputSpec

        super().build(input_shape)
        self.input_spec = InputSpec(min_ndim=1, axes={-1: input_shape[-1]})
        by_attr = self.layer.__dict__["_vars_by_attr"]
        name = "kernel" if "kernel" in by_attr else "embeddings" if "embeddings" in by_attr else None
        if name is None:
            raise ValueError(f"{type(self.layer).__name__} object has no attribute 'kernel' "
                             "nor 'embeddings'")
        self._kernel_name = name
        self.kernel = by_attr[name]  # tracked here too: Keras' weight order
        self.kernel_shape = tuple(self.kernel.shape)
        from .. import initializers

        self.vector_u = self.add_weight(
            shape=(1, self.kernel_shape[-1]),
            initializer=initializers.TruncatedNormal(stddev=0.02), trainable=False,
            name="vector_u", dtype=self.kernel.dtype)
        self.built = True

    def call(self, inputs, training=False):
        if training:
            new_u, new_kernel = self._normalized(self.kernel, self.vector_u)
            self.vector_u = new_u
            self.kernel = new_kernel
        out = self.layer(inputs)
        if out.dtype != inputs.dtype:
            xp = namespace(out)
            out = xp.astype(out, inputs.dtype)
        return out

    def _normalized(self, kernel, u):
        """(new vector_u, kernel / sigma); both unchanged where the kernel is all zeros."""
        from .. import ops
        from ..config import epsilon

        xp = namespace(kernel)
        w = xp.reshape(kernel, (-1, self.kernel_shape[-1]))
        cap = 1.0 / epsilon()

        def l2_normalize(x):
            inv = 1.0 / xp.sqrt(xp.sum(x * x))
            return x * xp.minimum(inv, xp.asarray(cap, dtype=x.dtype))

        new_u = u
        for _ in range(self.power_iterations):
            v = l2_normalize(xp.matmul(new_u, xp.matrix_transpose(w)))
            new_u = l2_normalize(xp.matmul(v, w))
        new_u = ops.stop_gradient(new_u)
        v = ops.stop_gradient(v)
        sigma = xp.matmul(xp.matmul(v, w), xp.matrix_transpose(new_u))[0, 0]
        all_zero = xp.all(kernel == 0)
        safe_sigma = xp.where(all_zero, xp.ones_like(sigma), sigma)
        new_kernel = xp.where(all_zero, kernel, kernel / safe_sigma)
        new_u = xp.where(all_zero, u, new_u)
        return new_u, new_kernel

    def compute_output_shape(self, input_shape):
        return self.layer.compute_output_shape(input_shape)

    def get_config(self):
        config = super().get_config()
        config["power_iterations"] = self.power_iterations
        return config
