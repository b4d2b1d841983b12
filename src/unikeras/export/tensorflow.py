"""TensorFlow side of export: tf.function, tf.Variable copies, SavedModel writing, and
the TF -> ONNX converter (tf2onnx). Loaded through ``xp.shim("tensorflow", "export")``."""

from __future__ import annotations

import functools

import tensorflow as tf

from ..xp import standardize_dtype


def version():
    return tf.__version__


def new_root():
    root = tf.__internal__.tracking.AutoTrackable()
    root.variables = []
    root.trainable_variables = []
    root.non_trainable_variables = []
    return root


def is_tf_function(fn) -> bool:
    return isinstance(fn, tf.types.experimental.GenericFunction)


def has_traces(fn) -> bool:
    return bool(fn._list_all_concrete_functions())


def is_tf_variable(v) -> bool:
    return isinstance(v, tf.Variable)


def is_trackable(obj) -> bool:
    return isinstance(obj, tf.__internal__.tracking.Trackable)


def tensor_spec(spec):
    """tf.TensorSpec for an InputSpec (shape/dtype/name)."""
    return tf.TensorSpec(spec.shape, dtype=tf.as_dtype(standardize_dtype(spec.dtype)),
                         name=spec.name)


def variable(value, trainable, name):
    return tf.Variable(value, trainable=trainable, name=name.replace("/", "_").replace(":", "_"))


def assign(tf_variable, value):
    tf_variable.assign(value)


def function(fn, input_signature):
    """``fn`` as a tf.function for export, traced without fused RNN kernels (the graph
    is read by TFLite, tf2onnx and serving runtimes, which lack them)."""
    from ..layers.rnn.tensorflow import portable_graphs

    @functools.wraps(fn)
    def traced(*args, **kwargs):
        with portable_graphs():
            return fn(*args, **kwargs)

    return tf.function(traced, input_signature=input_signature, autograph=False)


def concrete(fn):
    """The concrete function of a tf.function traced once (with its input signature)."""
    if hasattr(fn, "get_concrete_function"):
        fns = fn._list_all_concrete_functions()
        return fns[0] if fns else fn.get_concrete_function()
    return fn


def variables_used(fns):
    """(trainable, non-trainable) tf.Variables captured by the concrete functions."""
    from ..state.tensorflow import variables_captured_by

    return variables_captured_by(fns)


def resources_under(roots):
    """TrackableResources (lookup tables, ...) reachable from tracked TF objects."""
    from tensorflow.saved_model.experimental import TrackableResource

    out = []
    for root in roots:
        if isinstance(root, TrackableResource):
            out.append(root)
            continue
        try:
            descendants = tf.train.TrackableView(root).descendants()
        except Exception:  # objects that cannot be walked hold no resources we can save
            continue
        out.extend(t for t in descendants if isinstance(t, TrackableResource))
    return out


def save(root, path, signatures, options=None):
    tf.saved_model.save(root, path, signatures=signatures, options=options)


def describe(fn, name):
    cf = concrete(fn)
    lines = cf.pretty_printed_signature(verbose=True).split("\n")
    return "\n".join([f"* Endpoint '{name}'"] + lines[1:])


# ----------------------------------------------------------------------------- ONNX
def to_onnx(fn, specs, path, opset=None):
    """Convert a traced tf.function to ONNX with tf2onnx (dynamic dims stay symbolic)."""
    import tf2onnx

    tf2onnx.convert.from_function(fn, input_signature=specs, opset=opset, output_path=path)


# --------------------------------------------------------------------------- LiteRT
def to_tflite(saved_model_dir, options):
    """TFLite flatbuffer bytes of a SavedModel, with Keras' converter settings
    (builtin and select TF ops, resource variables); ``options`` set converter
    attributes (``target_spec`` as a dict of its attributes)."""
    converter = tf.lite.TFLiteConverter.from_saved_model(saved_model_dir)
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS,
                                           tf.lite.OpsSet.SELECT_TF_OPS]
    converter.experimental_enable_resource_variables = True
    for attr, value in options.items():
        if attr == "target_spec" and isinstance(value, dict):
            for key, v in value.items():
                if not hasattr(converter.target_spec, key):
                    raise ValueError(f"Unknown target_spec attribute '{key}'")
                setattr(converter.target_spec, key, v)
        elif hasattr(converter, attr):
            setattr(converter, attr, value)
        else:
            raise ValueError(f"Unknown converter attribute '{attr}'")
    return converter.convert()
