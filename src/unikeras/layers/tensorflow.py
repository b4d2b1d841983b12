"""TensorFlow calls of the TF-only layers (``TFSMLayer``, layers/tfsm.py)."""

import tensorflow as tf


def load(filepath):
    return tf.saved_model.load(str(filepath))


def endpoint(obj, name):
    """The function ``name`` of a reloaded SavedModel: an attribute, else a signature."""
    if hasattr(obj, name):
        return getattr(obj, name)
    if name in obj.signatures:
        return obj.signatures[name]
    raise ValueError(
        f"The endpoint '{name}' is neither an attribute of the reloaded SavedModel, nor an "
        "entry in the `signatures` field of the reloaded SavedModel. Select another "
        "endpoint via the `call_endpoint` argument. Available endpoints for this "
        f"SavedModel: {list(obj.signatures.keys())}")


def variables_used_by(fns):
    from ..state.tensorflow import variables_captured_by

    return variables_captured_by(fns)
