"""Keras' ``keras.models``: the model classes and the whole-model helpers."""

from __future__ import annotations

import json

from .saving import load_model, save_model  # noqa: F401
from .training import Functional, Model, Sequential  # noqa: F401

__all__ = ["Model", "Sequential", "Functional", "load_model", "save_model",
           "model_from_json", "clone_model"]


def model_from_json(json_string, custom_objects=None):
    """Rebuild a model (fresh weights) from ``model.to_json()``. Only registered classes
    or ``custom_objects`` are instantiated; nothing in the string is executed."""
    from .saving.keras_file import deserialize_model

    try:
        spec = json.loads(json_string)
    except (TypeError, ValueError) as e:
        raise ValueError("model_from_json: expected the JSON string that model.to_json() "
                         f"returns; received {str(json_string)[:80]!r} ({e})") from None
    if not isinstance(spec, dict) or "class_name" not in spec:
        raise ValueError("model_from_json: expected a JSON object with 'class_name' and "
                         f"'config'; received {str(json_string)[:80]!r}")
    return deserialize_model(spec, custom_objects)


def _default_clone(layer):
    return layer.__class__.from_config(layer.get_config())


def clone_model(model, input_tensors=None, clone_function=None, call_function=None,
                recursive=False, **kwargs):
    """A new model of the same architecture with newly created weights (Keras 3).

    Sequential and Functional models are rebuilt layer by layer: ``clone_function(layer)``
    makes each new layer (default: ``from_config(get_config())``); with ``recursive``,
    nested Sequential/Functional models are cloned layer by layer too. ``call_function``
    (Functional only) is called as ``call_function(layer, *args, **kwargs)`` in place of
    ``layer(*args, **kwargs)``. A subclassed model is rebuilt from its config.
    """
    from .training.functional import Functional as _Functional

    if kwargs:
        raise TypeError(f"clone_model: unexpected arguments {sorted(kwargs)}")
    if not isinstance(model, Model):
        raise TypeError(f"clone_model: expected a unikeras Model; received "
                        f"{type(model).__name__}")
    clone = clone_function or _default_clone

    def clone_layer(layer):
        if recursive and isinstance(layer, (Sequential, _Functional)):
            return clone_model(layer, clone_function=clone_function,
                               call_function=call_function, recursive=True)
        return clone(layer)

    if isinstance(model, Sequential):
        if call_function is not None:
            raise ValueError("clone_model: call_function is only supported for Functional "
                             "models; received a Sequential model")
        new = Sequential([clone_layer(layer) for layer in model.layers], name=model.name)
        shape = getattr(model, "_build_shape", None)
        if input_tensors is not None:
            new(input_tensors)
        elif shape is not None:
            new.build(shape)
        return new
    if isinstance(model, _Functional):
        if input_tensors is not None:
            raise ValueError("clone_model: input_tensors is not supported for Functional "
                             "models in unikeras; clone, then call the clone on them")
        return _clone_functional(model, clone_layer, call_function)
    if clone_function is not None or call_function is not None:
        raise ValueError("clone_model: clone_function/call_function need a Sequential or "
                         f"Functional model; received a subclassed {type(model).__name__}")
    return model.__class__.from_config(model.get_config())


def _clone_functional(model, clone_layer, call_function):
    """Replay ``model``'s graph on new Inputs with cloned layers (a layer shared by
    several nodes is cloned once and stays shared)."""
    from .layers import Input
    from ._nest import map_nested
    from .layers.symbolic import KerasTensor, _flat
    from .training.functional import Functional as _Functional

    new_tensor = {}
    for t in model._flat_inputs:
        layer = t._history[0].layer
        new_tensor[id(t)] = Input(batch_shape=tuple(t.shape), dtype=t.dtype, name=layer.name)
    new_layers = {}

    def swap(a):
        return new_tensor[id(a)] if isinstance(a, KerasTensor) else a

    for layer_index, args, kwargs, outputs, _ in model._nodes:
        layer = model._layers[layer_index]
        if id(layer) not in new_layers:
            new_layers[id(layer)] = clone_layer(layer)
        new_layer = new_layers[id(layer)]
        cargs, ckwargs = map_nested(swap, args), map_nested(swap, kwargs)
        out = (call_function(new_layer, *cargs, **ckwargs) if call_function is not None
               else new_layer(*cargs, **ckwargs))
        for t, v in zip(outputs, _flat(out)):
            new_tensor[id(t)] = v
    return _Functional(map_nested(lambda t: new_tensor[id(t)], model._inputs_struct),
                       map_nested(lambda t: new_tensor[id(t)], model._outputs_struct),
                       name=model.name, trainable=model.trainable)
