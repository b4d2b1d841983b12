"""``keras.RematScope`` and ``keras.remat`` (Keras 3.15): rematerialization (gradient
checkpointing) on each framework's own mechanism: ``jax.checkpoint``,
``torch.utils.checkpoint.checkpoint`` (non-reentrant), ``tf.recompute_grad``
(``ops/_shims/<framework>.py: remat``). The activations of a rematerialized function
are not kept for the backward pass; they are recomputed there.

As in Keras, a layer takes the remat mode in force when it is **created** and applies it
at every call: ``"full"`` (the whole ``call``), ``"activations"`` (the layer's
``activation`` function), ``"larger_than"`` (layers whose output has more than
``output_size_threshold`` elements), ``"list_of_layers"`` (layers named in
``layer_names``), None (off)."""

from __future__ import annotations

import functools
import math
import numbers
from collections import namedtuple

from ._nest import flatten_nested, map_nested
from .xp import framework_of, shim

__all__ = ["RematScope", "remat", "get_current_remat_mode"]

RematMode = namedtuple("RematMode", ["mode", "output_size_threshold", "layer_names"])

_MODES = {"full", "activations", "larger_than", "list_of_layers", None}
_stack: list = []


class RematScope:
    """``with keras.RematScope(mode="full"): layer = Dense(...)``: layers created in the
    scope recompute their activations in the backward pass. Scopes nest (innermost
    wins)."""

    def __init__(self, mode="full", output_size_threshold=1024, layer_names=None):
        if mode not in _MODES:
            raise ValueError(
                f"Invalid mode '{mode}'. Supported modes are: 'full', 'activations', "
                "'larger_than', 'list_of_layers', or  None.")
        self.mode = mode
        self.output_size_threshold = output_size_threshold
        self.layer_names = layer_names or []
        self._pop_on_exit = False

    def __enter__(self):
        _stack.append(self)
        self._pop_on_exit = True
        return self

    def __exit__(self, *exc):
        if self._pop_on_exit:
            _stack.remove(self)
            self._pop_on_exit = False


def get_current_remat_mode():
    """The innermost ``RematScope``'s settings as a ``RematMode``, or None."""
    if not _stack:
        return None
    s = _stack[-1]
    return RematMode(s.mode, s.output_size_threshold, s.layer_names)


def _is_array(a):
    fw = framework_of(a)
    return fw is not None and fw != "numpy"


def remat(f):
    """``f`` rematerialized: under a gradient, its intermediate values are recomputed in
    the backward pass instead of being stored. The framework is that of the array
    arguments; non-array arguments (``training=True``, shapes) are passed through as
    constants. Without framework arrays (NumPy inference) ``f`` runs as is."""

    @functools.wraps(f)
    def wrapped(*args, **kwargs):
        leaves = flatten_nested((args, kwargs))
        arrays = [a for a in leaves if _is_array(a)]
        if not arrays:
            return f(*args, **kwargs)
        mod = shim(framework_of(arrays[0]), "ops._shims")
        checkpoint = getattr(mod, "remat", None) if mod is not None else None
        if checkpoint is None:
            return f(*args, **kwargs)

        def on_arrays(*new):
            it = iter(new)
            a, k = map_nested(lambda x: next(it) if _is_array(x) else x, (args, kwargs))
            return f(*a, **k)

        return checkpoint(on_arrays)(*arrays)

    return wrapped


def layer_call(layer, call, args, kwargs):
    """``layer.call`` rematerialized as the layer's remat mode asks (Keras 3's
    ``Layer.rematerialized_call``), run on ``args``/``kwargs``."""
    mode = layer._remat_mode
    if mode.mode == "full" or (mode.mode == "list_of_layers" and layer.name in mode.layer_names):
        return remat(call)(*args, **kwargs)
    if mode.mode == "activations":
        act = layer.__dict__.get("activation")
        if act is None:
            return call(*args, **kwargs)
        layer.__dict__["activation"] = remat(act)
        try:
            return call(*args, **kwargs)
        finally:
            layer.__dict__["activation"] = act
    if mode.mode == "larger_than" and _output_size(layer, args) > mode.output_size_threshold:
        return remat(call)(*args, **kwargs)
    return call(*args, **kwargs)


_inferring: list = []


def _output_size(layer, args):
    """The number of elements of ``layer``'s output for inputs shaped like ``args``, from
    ``compute_output_shape`` (cached per layer and input shapes: shape inference runs
    the layer once; calls made by that inference itself are not rematerialized)."""
    if _inferring:
        return 0
    shapes = map_nested(lambda a: tuple(a.shape) if _is_array(a) else a, args)
    key = repr(shapes)
    cache = layer.__dict__.setdefault("_remat_output_sizes", {})
    size = cache.get(key)
    if size is None:
        _inferring.append(layer)
        try:
            size = sum(math.prod(d or 1 for d in s)
                       for s in _shapes(layer.compute_output_shape(*shapes)))
        except Exception:  # a layer whose output shape cannot be inferred: no remat
            size = 0
        finally:
            _inferring.pop()
        cache[key] = size
    return size


def _shapes(out):
    """The shapes in ``compute_output_shape``'s answer (one shape or a nest of them)."""
    if isinstance(out, tuple) and all(d is None or isinstance(d, numbers.Integral) for d in out):
        return [out]
    if isinstance(out, dict):
        out = list(out.values())
    return [s for o in out for s in _shapes(o)]
