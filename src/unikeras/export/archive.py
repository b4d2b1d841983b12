"""``keras.export.ExportArchive``: SavedModel artifacts with custom endpoints.

Written once. The SavedModel is TensorFlow's format, so the endpoints are traced with
``tf.function`` whatever framework the model trained on: every tracked layer's variables
get ``tf.Variable`` copies (a layer already on TensorFlow lends its own), and while an
endpoint is traced those copies are swapped into the layers (``ServingState``), so the
traced graph captures them and the model itself is not moved (a torch optimizer's
Parameters, a jax train state stay valid). ``write_out`` refreshes the copies from the
model's current weights, so the artifact holds the weights as they are when written.
"""

from __future__ import annotations

import os
import warnings

from ..layers.layer import Layer
from ..state import Variable
from ..xp import shim
from ._common import ServingState, atomic_path, make_input_spec, map_specs

DEFAULT_ENDPOINT_NAME = "serve"


def _tf():
    mod = shim("tensorflow", "export")
    if mod is None:
        raise ImportError("SavedModel export needs TensorFlow: pip install 'unikeras[tensorflow]'")
    return mod


class ExportArchive:
    """Collects tracked layers/models and serving endpoints, then writes a SavedModel.

    ```python
    archive = keras.export.ExportArchive()
    archive.track(model)
    archive.add_endpoint("serve", model.call,
                         input_signature=[keras.InputSpec(shape=(None, 3), dtype="float32")])
    archive.write_out("path/to/location")
    tf.saved_model.load("path/to/location").serve(x)
    ```

    Endpoints that use a layer living on torch or jax must use a *tracked* one (``track``
    or ``track_and_add_endpoint``): tracked layers run on TensorFlow copies of their
    weights while an endpoint is traced. A layer already on TensorFlow works untracked,
    as in Keras.
    """

    def __init__(self, format="saved_model"):
        if format != "saved_model":
            raise ValueError(f"Unsupported format: {format}. unikeras writes "
                             "format='saved_model'.")
        self._tfm = _tf()
        self.tensorflow_version = self._tfm.version()
        self._root = self._tfm.new_root()
        self._endpoint_names = []
        self._endpoint_signatures = {}
        self._layers = []
        self._copies = {}  # id(Variable) -> (Variable, tf.Variable)
        self._tf_tracked = []

    # -- properties of the revived object ---------------------------------------------
    @property
    def variables(self):
        return self._root.variables

    @property
    def trainable_variables(self):
        return self._root.trainable_variables

    @property
    def non_trainable_variables(self):
        return self._root.non_trainable_variables

    # -- tracking -------------------------------------------------------------------------
    def _tf_variable(self, v: Variable):
        entry = self._copies.get(id(v))
        if entry is None:
            own = v._value if v.framework == "tensorflow" and self._tfm.is_tf_variable(v._value) else None
            tfv = own if own is not None else self._tfm.variable(v.numpy(), v.trainable, v.path or v.name)
            entry = self._copies[id(v)] = (v, tfv)
        return entry[1]

    def track(self, resource):
        """Track the variables of a layer or model (or a TensorFlow trackable, e.g. a
        lookup table) so endpoints can use them."""
        if isinstance(resource, Layer):
            if not resource.built:
                raise ValueError("The layer provided has not yet been built. "
                                 "It must be built before export.")
            if resource not in self._layers:
                self._layers.append(resource)
            root = self._root
            root.variables += [self._tf_variable(v) for v in resource.variables]
            root.trainable_variables += [self._tf_variable(v) for v in resource.trainable_variables]
            root.non_trainable_variables += [
                self._tf_variable(v) for v in resource.non_trainable_variables]
            return
        if self._tfm.is_trackable(resource):
            self._tf_tracked.append(resource)
            return
        raise ValueError(
            "Invalid resource type. Expected a Keras `Layer` or `Model` or a TensorFlow "
            f"`Trackable` object. Received object {resource} of type '{type(resource)}'. ")

    def _serving(self):
        """A context in which every tracked layer runs on its tf.Variable copies."""
        state = ServingState(self._layers, "tensorflow")
        return state.active([self._tf_variable(v) for v in state.variables], stateless=False)

    # -- endpoints ------------------------------------------------------------------------
    def add_endpoint(self, name, fn, input_signature=None, **kwargs):
        """Register a serving endpoint ``name`` running ``fn``; returns its tf.function.

        ``input_signature``: one entry per positional argument of ``fn``, each a
        (nest of) ``keras.InputSpec``, ``tf.TensorSpec``, ``KerasTensor`` or array. Without
        it, ``fn`` must be a ``tf.function`` that has been called at least once."""
        if name in self._endpoint_names:
            raise ValueError(f"Endpoint name '{name}' is already taken.")
        _check_kwargs(kwargs)
        if input_signature is None:
            if not self._tfm.is_tf_function(fn):
                raise ValueError(
                    "If the `fn` argument provided is not a `tf.function`, you must "
                    "provide an `input_signature` argument to specify the shape and dtype "
                    "of the function arguments. Example:\n\n"
                    "export_archive.add_endpoint(\n    name='call',\n    fn=model.call,\n"
                    "    input_signature=[\n        keras.InputSpec(\n"
                    "            shape=(None, 224, 224, 3),\n            dtype='float32',\n"
                    "        )\n    ],\n)")
            if not self._tfm.has_traces(fn):
                raise ValueError(
                    f"The provided tf.function '{fn}' has never been called. To specify the "
                    "expected shape and dtype of the function's arguments, you must either "
                    "provide a function that has been called at least once, or "
                    "alternatively pass an `input_signature` argument in `add_endpoint()`.")
            decorated = fn
        else:
            if not isinstance(input_signature, (list, tuple)):
                input_signature = [input_signature]  # one positional argument
            specs = map_specs(lambda s: self._tfm.tensor_spec(make_input_spec(s)),
                              list(input_signature))
            decorated = self._tfm.function(fn, specs)
            with self._serving():
                decorated.get_concrete_function()  # trace now, on the copies
            self._endpoint_signatures[name] = specs
        setattr(self._root, name, decorated)
        self._endpoint_names.append(name)
        return decorated

    def track_and_add_endpoint(self, name, resource, input_signature, **kwargs):
        """``track(resource)`` then ``add_endpoint(name, resource.__call__, ...)``."""
        self.track(resource)
        return self.add_endpoint(name, resource.__call__, input_signature, **kwargs)

    def add_variable_collection(self, name, variables):
        """Save ``variables`` (keras Variables or tf.Variables) as attribute ``name`` of
        the reloaded object."""
        if not isinstance(variables, (list, tuple, set)):
            raise ValueError("Expected `variables` to be a list/tuple/set. "
                             f"Received instead object of type '{type(variables)}'.")
        if not all(isinstance(v, Variable) or self._tfm.is_tf_variable(v) for v in variables):
            raise ValueError(
                "Expected all elements in `variables` to be `tf.Variable` instances. Found "
                f"instead the following types: {list(set(type(v) for v in variables))}")
        setattr(self._root, name, [self._tf_variable(v) if isinstance(v, Variable) else v
                                   for v in variables])

    # -- writing --------------------------------------------------------------------------
    def write_out(self, filepath, options=None, verbose=True):
        """Write the SavedModel to ``filepath`` (a directory, replaced atomically). Every
        endpoint is a signature; the first is also ``serving_default`` for TF-Serving."""
        if not self._endpoint_names:
            raise ValueError("No endpoints have been set yet. Call add_endpoint().")
        tfm = self._tfm
        for v, tfv in self._copies.values():  # the weights as they are now
            if tfv is not v._value:
                tfm.assign(tfv, v.numpy())
        fns = [getattr(self._root, n) for n in self._endpoint_names]
        trainable, others = tfm.variables_used(fns)
        self._root._all_variables = list(trainable) + list(others)
        self._root._misc_assets = tfm.resources_under(self._tf_tracked)
        signatures = {n: tfm.concrete(getattr(self._root, n)) for n in self._endpoint_names}
        if "serving_default" not in signatures:
            signatures["serving_default"] = signatures[self._endpoint_names[0]]
        filepath = os.fspath(filepath)
        # Saving may trace the endpoints again: on the copies, like the first trace.
        with atomic_path(filepath, directory=True) as tmp, self._serving():
            tfm.save(self._root, tmp, signatures, options)
        if verbose:
            endpoints = "\n\n".join(tfm.describe(getattr(self._root, n), n)
                                    for n in self._endpoint_names)
            print(f"Saved artifact at '{filepath}'. The following endpoints are available:"
                  f"\n\n{endpoints}")


def _check_kwargs(kwargs):
    jax_only = {"jax2tf_kwargs", "is_static"} & set(kwargs)
    if jax_only:
        warnings.warn(
            f"{sorted(jax_only)} tune Keras' jax2tf conversion; unikeras traces every model "
            "with tf.function on TensorFlow, so they have no effect.", stacklevel=3)
    unknown = set(kwargs) - {"jax2tf_kwargs", "is_static"}
    if unknown:
        raise ValueError(f"Unknown arguments for a SavedModel endpoint: {sorted(unknown)}")


def export_saved_model(model, filepath, verbose=None, input_signature=None, **kwargs):
    """``model.export(filepath, format="tf_saved_model")``: the model's forward pass
    (inference mode) as endpoint ``serve`` (and ``serving_default``)."""
    from ._common import get_input_signature

    if verbose is None:
        verbose = True
    archive = ExportArchive()
    if input_signature is None:
        input_signature = get_input_signature(model)
    archive.track_and_add_endpoint(DEFAULT_ENDPOINT_NAME, model, input_signature, **kwargs)
    archive.write_out(filepath, verbose=verbose)
    return archive
