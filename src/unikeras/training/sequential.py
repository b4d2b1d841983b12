"""Sequential models: a plain stack of layers."""

from __future__ import annotations

from ..layers.layer import Layer
from ..layers.symbolic import InputLayer, KerasTensor
from ..state.tree import bump_structure_version
from ..utils.serialization import register
from .functional import cast_input
from .model import Model


@register
class Sequential(Model):
    """``Sequential(layers=None, trainable=True, name=None)``. With an ``Input`` (or a
    first layer given ``input_shape``) the model is built at once; otherwise on first
    call or ``build(input_shape)``."""

    def __init__(self, layers=None, trainable=True, name=None):
        super().__init__(trainable=trainable, name=name)
        self.__dict__["_input_layer"] = None
        for layer in layers or []:
            self.add(layer, rebuild=False)
        self._maybe_build_from_input()

    def add(self, layer, rebuild=True):
        """Append a layer (an ``Input`` tensor starts the model with an InputLayer)."""
        if isinstance(layer, KerasTensor):
            node = layer._history[0] if layer._history else None
            if node is None or not isinstance(node.layer, InputLayer):
                raise ValueError("Sequential.add: only an Input() tensor or a Layer can be "
                                 f"added; received {layer!r}")
            layer = node.layer
        if not isinstance(layer, Layer):
            raise ValueError(f"Sequential.add: expected a Layer instance; received {layer!r} "
                             f"of type {type(layer).__name__}")
        if isinstance(layer, InputLayer):
            if self._input_layer is not None or self._layers:
                raise ValueError("Sequential: an InputLayer can only be the first layer")
            self.__dict__["_input_layer"] = layer  # not a sublayer: no weights, not in .layers
            bump_structure_version()
        else:
            if any(existing.name == layer.name for existing in self._layers):
                raise ValueError(f'Sequential: all layers must have unique names; "{layer.name}" '
                                 "is already in the model")
            self._layers.append(layer)
            bump_structure_version()
        self.built = False
        if rebuild:
            self._maybe_build_from_input()

    def pop(self):
        if not self._layers:
            raise TypeError("Sequential.pop: there are no layers in the model")
        layer = self._layers.pop()
        bump_structure_version()
        self.built = False
        self._maybe_build_from_input()
        return layer

    @property
    def layers(self):
        return list(self._layers)

    @property
    def _accepts_strings(self):
        il = self.__dict__.get("_input_layer")
        if il is not None and getattr(il, "dtype", None) == "string":
            return True
        return bool(self._layers) and self._layers[0]._accepts_strings

    def _input_shape(self):
        if self._input_layer is not None:
            return self._input_layer.batch_shape, self._input_layer.dtype
        if self._layers and self._layers[0]._batch_input_shape is not None:
            return self._layers[0]._batch_input_shape, None
        return None, None

    def _maybe_build_from_input(self):
        shape, dtype = self._input_shape()
        if shape is not None and self._layers:
            self.build(shape, dtype)

    def build(self, input_shape=None, dtype=None):
        if input_shape is None:
            input_shape, dtype = self._input_shape()
            if input_shape is None:
                raise ValueError("Sequential.build needs an input_shape (or an Input layer)")
        input_shape = tuple(input_shape)
        inp = self._input_layer
        if inp is None or tuple(inp.batch_shape) != input_shape:
            # as Keras, a Sequential built from a shape gets its own Input: `inputs` /
            # `outputs` are then a connected graph (keras.Model(m.inputs, m.outputs))
            inp = InputLayer(batch_shape=input_shape, dtype=dtype)
        x = inp.output
        self.__dict__["_graph_input"] = x
        self._build_shape = input_shape
        for layer in self._layers:
            x = layer(x)
        self._output_spec = x
        self.built = True

    def _graph(self, what):
        x = self.__dict__.get("_graph_input")
        if x is None or not self.built:
            raise AttributeError(f"Sequential model '{self.name}' has no defined {what} yet.")
        return x

    @property
    def inputs(self):
        """The model's input KerasTensor, in a list (Keras' ``Sequential.inputs``)."""
        return [self._graph("inputs")]

    @property
    def input(self):
        return self._graph("input")

    @property
    def outputs(self):
        self._graph("outputs")
        return [self._output_spec]

    @property
    def output(self):
        self._graph("output")
        return self._output_spec

    def call(self, inputs, training=None, mask=None):
        x = inputs
        if self._input_layer is not None:  # as a Functional model: cast to the Input's dtype
            x = cast_input(self, x, self._input_layer.dtype)
        for layer in self._layers:
            kwargs = {}
            if mask is not None and layer._accepts_mask():
                kwargs["mask"] = mask
            out = layer(x, **kwargs)
            if mask is not None or layer._produces_mask:
                mask = layer.compute_mask(x, mask)
            x = out
        return x

    def compute_output_spec(self, inputs, training=None, mask=None):
        x = inputs
        for layer in self._layers:
            x = layer.compute_output_spec(x)
        return x

    @property
    def output_names(self):
        return [self._layers[-1].name] if self._layers else []

    @property
    def input_shape(self):
        return self._input_shape()[0]

    @property
    def output_shape(self):
        spec = getattr(self, "_output_spec", None)
        return spec.shape if spec is not None else None

    def get_config(self):
        from ..layers import serialize

        layers = []
        if self._input_layer is not None:
            layers.append(serialize(self._input_layer))
        layers.extend(serialize(layer) for layer in self._layers)
        return {"name": self.name, "trainable": self.trainable, "layers": layers}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from ..layers import deserialize

        model = cls(name=config.get("name"), trainable=config.get("trainable", True))
        for spec in config["layers"]:
            model.add(deserialize(spec, custom_objects=custom_objects), rebuild=False)
        model._maybe_build_from_input()
        return model
