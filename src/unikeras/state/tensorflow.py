"""TensorFlow shim for unikeras.state: variables are tf.Variable objects updated with
``.assign`` (GradientTape watches them). Layers take part in tf.nest through the
``__tf_flatten__`` / ``__tf_unflatten__`` protocol defined on the class itself; a
``Variable`` box is a tf.nest leaf that TF treats as a resource variable
(``_should_act_as_resource_variable``, ``handle``, ``__tf_tensor__``)."""

import tensorflow as tf

try:  # unikeras is written without data-dependent Python control flow: autograph must
    # not rewrite it when a user's tf.function calls a layer (Keras is excluded likewise).
    from tensorflow.python.autograph.core import config as _ag_config

    if not any(getattr(r, "_prefix", None) == "unikeras" for r in _ag_config.CONVERSION_RULES):
        _ag_config.CONVERSION_RULES = (_ag_config.DoNotConvert("unikeras"),) + tuple(
            _ag_config.CONVERSION_RULES)
except Exception:  # pragma: no cover - internal layout of another TF version
    pass


def make_variable(value, variable):
    if isinstance(value, tf.Variable):
        return value
    name = variable.name.replace("/", "_")
    return tf.Variable(value, trainable=variable.trainable, name=name)


def storage_dtype(dtype):
    return dtype


def raw_array(native):
    if isinstance(native, tf.Variable):
        return tf.convert_to_tensor(native)
    return native


def assign(native, value, variable):
    if isinstance(native, tf.Variable):
        native.assign(tf.cast(value, native.dtype))
        return native
    return tf.cast(value, native.dtype)


def to_tensor(native, dtype=None, name=None):
    """``tf.convert_to_tensor`` of a box's value (its ``__tf_tensor__``)."""
    return tf.convert_to_tensor(native, dtype=dtype, name=name)
