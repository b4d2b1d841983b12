"""Keras 3.15's ``Pipeline``: preprocessing layers applied in order."""

from __future__ import annotations

from ...utils.serialization import register
from ..layer import Layer, _call_params


@register
class Pipeline(Layer):
    """Keras 3's ``Pipeline(layers, name=None)``: calls each layer on the previous
    one's output (dicts of images/labels/boxes/masks included), passing ``training``
    (default True, as the image layers) to the layers whose ``call`` takes it. Unlike
    ``Sequential`` it is not a model: no ``fit``, and it takes any structure the
    layers take."""

    def __init__(self, layers, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        self._pipeline_layers = list(layers)
        self.built = True

    @property
    def layers(self):
        return self._pipeline_layers

    def call(self, inputs, training=True, mask=None):
        outputs = inputs
        for layer in self._pipeline_layers:
            has_training, has_mask = _call_params(type(layer))
            kwargs = {}
            if has_mask and mask is not None:
                kwargs["mask"] = mask
            if has_training and training is not None:
                kwargs["training"] = training
            outputs = layer(inputs, **kwargs)
            inputs = outputs
            mask = None
        return outputs

    def compute_output_shape(self, input_shape):
        for layer in self._pipeline_layers:
            input_shape = layer.compute_output_shape(input_shape)
        return input_shape

    @classmethod
    def from_config(cls, config):
        from ..serialization import deserialize

        layers = config.get("layers")
        if not isinstance(layers, (list, tuple)):
            raise ValueError("`Pipeline` config must contain a `layers` key mapping to a list "
                             f"of serialized layers. Received config with layers={layers}.")
        config = dict(config)
        config["layers"] = [deserialize(x) for x in layers]
        return cls(**config)

    def get_config(self):
        from ..serialization import serialize

        return {"layers": [serialize(layer) for layer in self._pipeline_layers],
                "name": self.name}
