"""Merging layers: Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate, Dot,
and their functional forms (``add(inputs)``, ...). Each takes a list of inputs.

Element-wise merges broadcast like Keras 3: the shapes (batch excluded) must agree where
neither is 1 or unknown; inputs of lower rank get size-1 axes inserted after the batch
axis. Masks (a list, one per input, as a Functional model passes them) combine like
Keras: Maximum/Minimum/Multiply ignore masked entries, the output mask is the logical
OR of the input masks.
"""

from __future__ import annotations

from ..utils.serialization import register
from ..xp import namespace
from .layer import Layer


def _who(layer):
    return f'{type(layer).__name__} layer "{layer.name}"'


def _as_shape_list(layer, input_shape):
    if not isinstance(input_shape, (list, tuple)) or not input_shape or not all(
            s is None or isinstance(s, (list, tuple)) for s in input_shape):
        raise ValueError(f"{_who(layer)} should be called on a list of inputs; received "
                         f"input_shape={input_shape}")
    return [None if s is None else tuple(s) for s in input_shape]


def _elemwise_shape(layer, shape1, shape2):
    if shape1 is None or shape2 is None:
        return None
    if len(shape1) < len(shape2):
        shape1, shape2 = shape2, shape1
    if not shape2:
        return tuple(shape1)
    out = list(shape1[:len(shape1) - len(shape2)])
    for i, j in zip(shape1[len(shape1) - len(shape2):], shape2):
        if i is None or j is None:
            out.append(None)
        elif i == 1:
            out.append(j)
        elif j == 1 or i == j:
            out.append(i)
        else:
            raise ValueError(f"{_who(layer)}: inputs have incompatible shapes: expected equal "
                             f"or broadcastable shapes; received {shape1} and {shape2}")
    return tuple(out)


class Merge(Layer):
    """Base of the element-wise merging layers (Keras' ``Merge``)."""

    _min_inputs = 1

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def _check_list(self, inputs):
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(f"{_who(self)} should be called on a list of inputs; received "
                             f"a single {type(inputs).__name__}")
        if len(inputs) < self._min_inputs:
            raise ValueError(f"{_who(self)} should be called on a list of at least "
                             f"{self._min_inputs} inputs; received {len(inputs)}")

    def build(self, input_shape):
        shapes = _as_shape_list(self, input_shape)
        self._check_list(shapes)
        batch = {s[0] for s in shapes if s} - {None}
        if len(batch) > 1:
            raise ValueError(f"{_who(self)}: cannot merge tensors with different batch sizes; "
                             f"received shapes {shapes}")
        self.compute_output_shape(shapes)
        self.built = True

    def compute_output_shape(self, input_shape):
        shapes = _as_shape_list(self, input_shape)
        out = None if shapes[0] is None else shapes[0][1:]
        for s in shapes[1:]:
            out = _elemwise_shape(self, out, None if s is None else s[1:])
        batch = {s[0] for s in shapes if s} - {None}
        if out is None:
            return None
        return ((batch.pop() if len(batch) == 1 else None),) + tuple(out)

    def _expand(self, xp, inputs):
        nd = max(x.ndim for x in inputs)
        out = []
        for x in inputs:
            while x.ndim < nd:
                x = xp.expand_dims(x, axis=1)
            out.append(x)
        return out

    def call(self, inputs, mask=None):
        self._check_list(inputs)
        xp = namespace(*inputs)
        if len({x.ndim for x in inputs}) > 1:
            inputs = self._expand(xp, inputs)
        if mask is not None and not isinstance(mask, (list, tuple)):
            mask = None
        if mask is not None and all(m is None for m in mask):
            mask = None
        return self._merge(xp, list(inputs), mask)

    def _merge(self, xp, inputs, mask):
        raise NotImplementedError  # every concrete merge layer defines it

    def _merge_masked(self, xp, op, inputs, mask):
        """Keras' masked merge for max/min: masked entries of one input take the other's
        value; the combined mask is the OR of both."""
        out = out_mask = None
        for x, m in zip(inputs, mask if mask is not None else [None] * len(inputs)):
            if m is not None:
                m = xp.broadcast_to(xp.expand_dims(xp.astype(m, xp.bool), axis=-1), x.shape)
            if out is None:
                out, out_mask = x, m
                continue
            if m is not None:
                x = xp.where(m, x, out)
            if out_mask is not None:
                out = xp.where(out_mask, out, x)
            out_mask = xp.logical_or(out_mask, m) if (m is not None and out_mask is not None) else None
            out = op(out, x)
        return out

    def compute_mask(self, inputs, mask=None):
        if mask is None:
            return None
        if not isinstance(mask, (list, tuple)) or not isinstance(inputs, (list, tuple)):
            raise ValueError(f"{_who(self)}: mask and inputs should be lists; received "
                             f"mask={type(mask).__name__}, inputs={type(inputs).__name__}")
        if len(mask) != len(inputs):
            raise ValueError(f"{_who(self)}: expected one mask per input ({len(inputs)}); "
                             f"received {len(mask)} masks")
        if any(m is None for m in mask):
            return None
        xp = namespace(*mask)
        out = xp.astype(mask[0], xp.bool)
        for m in mask[1:]:
            out = xp.logical_or(out, xp.astype(m, xp.bool))
        return out


@register
class Add(Merge):
    """Keras 3's ``Add()``: the element-wise sum of a list of inputs."""

    def _merge(self, xp, inputs, mask):
        out = inputs[0]
        for x in inputs[1:]:
            out = out + x
        return out


@register
class Subtract(Merge):
    """Keras 3's ``Subtract()``: ``inputs[0] - inputs[1]`` (exactly two inputs)."""

    def _check_list(self, inputs):
        super()._check_list(inputs)
        if len(inputs) != 2:
            raise ValueError(f"{_who(self)} should be called on exactly 2 inputs; received "
                             f"{len(inputs)}")

    def _merge(self, xp, inputs, mask):
        return inputs[0] - inputs[1]


@register
class Multiply(Merge):
    """Keras 3's ``Multiply()``: the element-wise product; masked entries count as 1,
    and where every input is masked the output is 0."""

    def _merge(self, xp, inputs, mask):
        if mask is None:
            out = inputs[0]
            for x in inputs[1:]:
                out = out * x
            return out
        all_masked = all(m is not None for m in mask)
        out = out_mask = None
        for x, m in zip(inputs, mask):
            if m is not None:
                m = xp.broadcast_to(xp.expand_dims(xp.astype(m, xp.bool), axis=-1), x.shape)
                x = xp.where(m, x, xp.ones_like(x))
                if all_masked:
                    out_mask = m if out_mask is None else xp.logical_or(out_mask, m)
            out = x if out is None else out * x
        if all_masked:
            out = xp.where(out_mask, out, xp.zeros_like(out))
        return out


@register
class Average(Merge):
    """Keras 3's ``Average()``: the element-wise mean of a list of inputs."""

    def _merge(self, xp, inputs, mask):
        out = inputs[0]
        for x in inputs[1:]:
            out = out + x
        return out / len(inputs)


@register
class Maximum(Merge):
    """Keras 3's ``Maximum()``: the element-wise maximum (masked entries ignored)."""

    def _merge(self, xp, inputs, mask):
        return self._merge_masked(xp, xp.maximum, inputs, mask)


@register
class Minimum(Merge):
    """Keras 3's ``Minimum()``: the element-wise minimum (masked entries ignored)."""

    def _merge(self, xp, inputs, mask):
        return self._merge_masked(xp, xp.minimum, inputs, mask)


@register
class Concatenate(Merge):
    """Keras 3's ``Concatenate(axis=-1)``: joins a list of inputs along ``axis``; all
    other dimensions must match."""

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis

    def _check_shapes(self, shapes):
        ranks = {len(s) for s in shapes if s is not None}
        if len(ranks) > 1:
            raise ValueError(f"{_who(self)} requires inputs of the same rank with matching "
                             f"shapes except for the concatenation axis {self.axis}; received "
                             f"shapes {shapes}")
        if not ranks:
            return
        rank = ranks.pop()
        if not -rank <= self.axis < rank:
            raise ValueError(f"{_who(self)}: axis {self.axis} is out of bounds for inputs of "
                             f"rank {rank}; received shapes {shapes}")
        ax = self.axis % rank
        for d in range(rank):
            if d == ax:
                continue
            # static sizes only: traced dims (torch.export SymInts) are not hashable
            sizes = {s[d] for s in shapes if s is not None and isinstance(s[d], int)}
            if len(sizes) > 1:
                raise ValueError(f"{_who(self)} requires inputs with matching shapes except "
                                 f"for the concatenation axis {self.axis}; received shapes "
                                 f"{shapes}")

    def build(self, input_shape):
        shapes = _as_shape_list(self, input_shape)
        self._check_list(shapes)
        self._check_shapes(shapes)
        self.built = True

    def compute_output_shape(self, input_shape):
        shapes = _as_shape_list(self, input_shape)
        self._check_shapes(shapes)
        out = list(shapes[0])
        ax = self.axis % len(out)
        for s in shapes[1:]:
            for d in range(len(out)):
                if d != ax and out[d] is None:
                    out[d] = s[d]
        sizes = [s[ax] for s in shapes]
        out[ax] = None if any(v is None for v in sizes) else sum(sizes)
        return tuple(out)

    def call(self, inputs, mask=None):
        self._check_list(inputs)
        self._check_shapes([tuple(x.shape) for x in inputs])
        xp = namespace(*inputs)
        return xp.concat(list(inputs), axis=self.axis)

    def compute_mask(self, inputs, mask=None):
        if mask is None:
            return None
        if not isinstance(mask, (list, tuple)) or not isinstance(inputs, (list, tuple)):
            raise ValueError(f"{_who(self)}: mask and inputs should be lists; received "
                             f"mask={type(mask).__name__}, inputs={type(inputs).__name__}")
        if len(mask) != len(inputs):
            raise ValueError(f"{_who(self)}: expected one mask per input ({len(inputs)}); "
                             f"received {len(mask)} masks")
        if all(m is None for m in mask):
            return None
        xp = namespace(*inputs)
        masks = []
        for x, m in zip(inputs, mask):
            if m is None:
                masks.append(xp.ones(x.shape, dtype=xp.bool))
            elif m.ndim < x.ndim:
                masks.append(xp.broadcast_to(xp.expand_dims(xp.astype(m, xp.bool), axis=-1),
                                             x.shape))
            else:
                masks.append(xp.astype(m, xp.bool))
        return xp.any(xp.concat(masks, axis=self.axis), axis=-1)

    def get_config(self):
        config = super().get_config()
        config["axis"] = self.axis
        return config


def _l2_normalize(xp, x, axis, epsilon=1e-7):
    square_sum = xp.sum(x * x, axis=axis, keepdims=True)
    return x * (1.0 / xp.sqrt(xp.maximum(square_sum, epsilon * epsilon)))


def batch_dot(x, y, axes):
    """Keras' ``batch_dot`` for two inputs of rank >= 2 sharing the batch axis:
    contracts ``x``'s axis ``axes[0]`` with ``y``'s axis ``axes[1]``; the result is
    (batch, x's other axes, y's other axes), with a trailing size-1 axis when both
    inputs are 2D."""
    xp = namespace(x, y)
    a0, a1 = axes
    xs, ys = tuple(x.shape), tuple(y.shape)
    x_rest = [d for i, d in enumerate(xs) if i not in (0, a0)]
    y_rest = [d for i, d in enumerate(ys) if i not in (0, a1)]
    xt = xp.permute_dims(x, (0,) + tuple(i for i in range(1, x.ndim) if i != a0) + (a0,))
    yt = xp.permute_dims(y, (0, a1) + tuple(i for i in range(1, y.ndim) if i != a1))
    k = xs[a0]
    xt = xp.reshape(xt, (-1, _prod(x_rest), k))
    yt = xp.reshape(yt, (-1, k, _prod(y_rest)))
    out = xp.matmul(xt, yt)
    shape = (-1,) + tuple(x_rest) + tuple(y_rest)
    if len(shape) == 1:
        shape = (-1, 1)
    return xp.reshape(out, shape)


def _prod(values):
    p = 1
    for v in values:
        p *= int(v)
    return p


@register
class Dot(Merge):
    """Keras 3's ``Dot(axes, normalize=False)``: the dot product of two inputs along
    ``axes`` (an int or a pair of ints), per batch entry; ``normalize=True`` L2-normalizes
    both along those axes first (cosine proximity)."""

    _min_inputs = 2

    def __init__(self, axes, normalize=False, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(axes, int):
            if not isinstance(axes, (list, tuple)):
                raise TypeError(f"Dot: axes must be an int or a list of 2 ints; received "
                                f"axes={axes!r}")
            if len(axes) != 2 or not all(isinstance(a, int) for a in axes):
                raise ValueError(f"Dot: axes must be an int or a list of 2 ints; received "
                                 f"axes={axes!r}")
            axes = list(axes)
        self.axes = axes
        self.normalize = normalize

    def _axes_for(self, shapes):
        axes = [self.axes, self.axes] if isinstance(self.axes, int) else list(self.axes)
        return [a % len(s) if a < 0 else a for a, s in zip(axes, shapes)]

    def _check(self, shapes):
        if len(shapes) != 2:
            raise ValueError(f"{_who(self)} should be called on a list of 2 inputs; received "
                             f"{len(shapes)}")
        s1, s2 = shapes
        if len(s1) < 2 or len(s2) < 2:
            raise ValueError(f"{_who(self)}: inputs must have rank >= 2 (batch first); "
                             f"received shapes {s1} and {s2}")
        a = self._axes_for(shapes)
        if not (0 < a[0] < len(s1) and 0 < a[1] < len(s2)):
            raise ValueError(f"{_who(self)}: axes {self.axes} must name non-batch axes of the "
                             f"inputs; received shapes {s1} and {s2}")
        d1, d2 = s1[a[0]], s2[a[1]]
        if d1 is not None and d2 is not None and d1 != d2:
            raise ValueError(f"{_who(self)}: incompatible input shapes: axis values {d1} (at "
                             f"axis {a[0]}) != {d2} (at axis {a[1]}); received shapes {s1} "
                             f"and {s2}")
        if s1[0] is not None and s2[0] is not None and s1[0] != s2[0]:
            raise ValueError(f"{_who(self)}: inputs have different batch sizes; received "
                             f"shapes {s1} and {s2}")
        return a

    def build(self, input_shape):
        self._check(_as_shape_list(self, input_shape))
        self.built = True

    def compute_output_shape(self, input_shape):
        s1, s2 = _as_shape_list(self, input_shape)
        a = self._check([s1, s2])
        out = [d for i, d in enumerate(s1) if i != a[0]] + [
            d for i, d in enumerate(s2) if i not in (0, a[1])]
        if len(out) == 1:
            out.append(1)
        return tuple(out)

    def call(self, inputs, mask=None):
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(f"{_who(self)} should be called on a list of 2 inputs; received "
                             f"a single {type(inputs).__name__}")
        a = self._check([tuple(x.shape) for x in inputs])
        x1, x2 = inputs
        xp = namespace(x1, x2)
        if self.normalize:
            x1 = _l2_normalize(xp, x1, a[0])
            x2 = _l2_normalize(xp, x2, a[1])
        return batch_dot(x1, x2, a)

    def compute_mask(self, inputs, mask=None):
        return None

    def get_config(self):
        config = super().get_config()
        config.update({"axes": self.axes, "normalize": self.normalize})
        return config


def add(inputs, **kwargs):
    """Functional form of ``Add``."""
    return Add(**kwargs)(inputs)


def subtract(inputs, **kwargs):
    """Functional form of ``Subtract``."""
    return Subtract(**kwargs)(inputs)


def multiply(inputs, **kwargs):
    """Functional form of ``Multiply``."""
    return Multiply(**kwargs)(inputs)


def average(inputs, **kwargs):
    """Functional form of ``Average``."""
    return Average(**kwargs)(inputs)


def maximum(inputs, **kwargs):
    """Functional form of ``Maximum``."""
    return Maximum(**kwargs)(inputs)


def minimum(inputs, **kwargs):
    """Functional form of ``Minimum``."""
    return Minimum(**kwargs)(inputs)


def concatenate(inputs, axis=-1, **kwargs):
    """Functional form of ``Concatenate``."""
    return Concatenate(axis=axis, **kwargs)(inputs)


def dot(inputs, axes=-1, **kwargs):
    """Functional form of ``Dot``."""
    return Dot(axes=axes, **kwargs)(inputs)
