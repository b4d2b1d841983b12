"""``keras.layers.TFSMLayer``: a TensorFlow SavedModel endpoint as a layer (Keras 3.15's
signature and semantics). The SavedModel's own variables become the layer's weights
(the same tf.Variables its functions capture, so training the layer trains the
endpoint). It runs on TensorFlow only; the TensorFlow calls live in
``layers/tensorflow.py``. Loading a SavedModel runs its graph code: deserializing a
``TFSMLayer`` from a config is refused under safe mode (the default), as in Keras."""

from __future__ import annotations

from ..state import Variable
from ..utils.serialization import in_safe_mode
from ..xp import shim
from .layer import Layer


def _tensorflow():
    mod = shim("tensorflow", "layers")
    if mod is None:
        raise ImportError("TFSMLayer loads a TensorFlow SavedModel: it needs TensorFlow "
                          "(pip install tensorflow).")
    return mod


class TFSMLayer(Layer):
    """Reload a SavedModel (``tf.saved_model.save``, ``model.export``) as a layer.

    ``call_endpoint`` names the function called by ``call`` (an attribute of the
    reloaded object, else an entry of its ``signatures``); ``call_training_endpoint``
    the one called with ``training=True``. Only endpoints taking a single ``inputs``
    argument (a tensor or a nest of tensors) are supported, as in Keras."""

    def __init__(self, filepath, call_endpoint="serve", call_training_endpoint=None,
                 trainable=True, name=None, dtype=None):
        super().__init__(trainable=trainable, name=name, dtype=dtype)
        tfm = _tensorflow()
        self._reloaded_obj = tfm.load(filepath)
        self.filepath = filepath
        self.call_endpoint = call_endpoint
        self.call_training_endpoint = call_training_endpoint
        self.call_endpoint_fn = tfm.endpoint(self._reloaded_obj, call_endpoint)
        fns = [self.call_endpoint_fn]
        if call_training_endpoint:
            self.call_training_endpoint_fn = tfm.endpoint(self._reloaded_obj,
                                                          call_training_endpoint)
            fns.append(self.call_training_endpoint_fn)
        trainable_vars, non_trainable_vars = tfm.variables_used_by(fns)
        for v in trainable_vars + non_trainable_vars:
            # the box holds the SavedModel's own tf.Variable (no copy)
            self._track_variable(Variable(v, trainable=v.trainable,
                                          name=v.name.split(":")[0].replace("/", "_")))
        self.__dict__["_framework"] = "tensorflow"
        self.__dict__["_only_framework"] = "tensorflow"
        self.__dict__["_only_framework_reason"] = "it calls a TensorFlow SavedModel"
        self.built = True

    def call(self, inputs, training=False, **kwargs):
        if training and self.call_training_endpoint:
            return self.call_training_endpoint_fn(inputs, **kwargs)
        return self.call_endpoint_fn(inputs, **kwargs)

    def get_config(self):
        config = super().get_config()
        # as in Keras: the path, not the artifact (the config is not portable)
        config.update({"filepath": self.filepath, "call_endpoint": self.call_endpoint,
                       "call_training_endpoint": self.call_training_endpoint})
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None, safe_mode=None):
        """Refused unless ``safe_mode=False`` (here or in the loading function) or
        ``unikeras.config.enable_unsafe_deserialization()``: a SavedModel carries
        executable graph code."""
        effective = safe_mode if safe_mode is not None else in_safe_mode()
        if effective is not False:
            raise ValueError(
                "Requested the deserialization of a `TFSMLayer`, which loads an external "
                "SavedModel. This carries a potential risk of arbitrary code execution and "
                "thus it is disallowed by default. If you trust the source of the "
                "artifact, you can override this error by passing `safe_mode=False` to the "
                "loading function, or calling "
                "`unikeras.config.enable_unsafe_deserialization()`.")
        config = {k: v for k, v in config.items() if k != "batch_input_shape"}
        return cls(**config)
