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
    """(trainable, non-trainable) tf.Variables the functions' concrete functions capture,
    each once, in first-use order."""
    trainable, non_trainable, seen = [], [], set()
    concrete = []
    for fn in fns:
        if hasattr(fn, "concrete_functions"):
            concrete += list(fn.concrete_functions)
        elif hasattr(fn, "get_concrete_function"):
            concrete.append(fn.get_concrete_function())
        else:
            concrete.append(fn)
    for cf in concrete:
        for v in cf.trainable_variables:
            if id(v) not in seen:
                seen.add(id(v))
                trainable.append(v)
    for cf in concrete:
        for v in cf.variables:
            if id(v) not in seen:
                seen.add(id(v))
                non_trainable.append(v)
    return trainable, non_trainable
