"""Keras 3's ``keras.utils.FeatureSpace``: one-stop preprocessing of a dict of
structured features (floats, integer and string categories, hashes, crosses) into one
vector (``output_mode="concat"``) or a dict of encoded features.

It is a layer made of the data layers of this package, so it follows their rules
(``_host.py``): string/lookup steps run on the host, the outputs land on the framework
of the call (the inputs' framework; for host data the active scope or the default
framework), and on tf.Tensors (inside ``tf.data.Dataset.map``) the outputs are
tf.Tensors, so ``dataset.map(feature_space)`` feeds a model trained by any framework.
"""

from __future__ import annotations

import numpy as np

from ...utils.serialization import (deserialize_keras_object, register,
                                    serialize_keras_object)
from ...xp import framework_of, namespace, to_numpy
from ...xp._registry import SCOPE as _SCOPE
from ..layer import Layer
from ..normalization import dtype_obj
from ._host import first_leaf, tf_side
from .core import CategoryEncoding, Normalization, Rescaling
from .discretization import Discretization
from .hashing import HashedCrossing, Hashing
from .lookup import IntegerLookup, StringLookup

_COUNTERS = {}


def _auto_name(prefix):
    _COUNTERS[prefix] = _COUNTERS.get(prefix, 0) + 1
    n = _COUNTERS[prefix]
    return prefix if n == 1 else f"{prefix}_{n - 1}"


@register
class Cross:
    """A crossed feature: ``feature_names`` hashed together into ``crossing_dim`` bins."""

    def __init__(self, feature_names, crossing_dim, output_mode="one_hot"):
        if output_mode not in {"int", "one_hot"}:
            raise ValueError("Invalid value for argument `output_mode`. Expected one of "
                             f"{{'int', 'one_hot'}}. Received: output_mode={output_mode}")
        self.feature_names = tuple(feature_names)
        self.crossing_dim = crossing_dim
        self.output_mode = output_mode

    @property
    def name(self):
        return "_X_".join(self.feature_names)

    def get_config(self):
        return {"feature_names": self.feature_names, "crossing_dim": self.crossing_dim,
                "output_mode": self.output_mode}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


@register
class Feature:
    """One feature of a FeatureSpace: its input ``dtype``, its ``preprocessor`` layer and
    its ``output_mode`` ("int", "one_hot" or "float")."""

    def __init__(self, dtype, preprocessor, output_mode):
        if output_mode not in {"int", "one_hot", "float"}:
            raise ValueError("Invalid value for argument `output_mode`. Expected one of "
                             "{'int', 'one_hot', 'float'}. Received: "
                             f"output_mode={output_mode}")
        self.dtype = dtype
        if isinstance(preprocessor, dict):
            preprocessor = deserialize_keras_object(preprocessor)
        self.preprocessor = preprocessor
        self.output_mode = output_mode

    def get_config(self):
        return {"dtype": self.dtype, "preprocessor": serialize_keras_object(self.preprocessor),
                "output_mode": self.output_mode}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


@register
class TFDIdentity(Layer):
    """The preprocessor of ``FeatureSpace.float``: the values as float32."""

    def call(self, x):
        xp = namespace(x)
        return xp.astype(x, dtype_obj(xp, x, "float32"))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)


@register
class FeatureSpace(Layer):
    """Keras 3's ``FeatureSpace(features, output_mode="concat", crosses=None,
    crossing_dim=32, hashing_dim=32, num_discretization_bins=32)``. ``features`` maps
    names to a type name ("float", "float_rescaled", "float_normalized",
    "float_discretized", "integer_categorical", "string_categorical",
    "integer_hashed", "string_hashed") or a ``FeatureSpace.<type>(...)`` Feature;
    ``adapt(dataset)`` learns vocabularies, statistics and bins from a tf.data dataset of
    dicts or a dict of arrays; calling it on a dict of values (arrays, lists, tf tensors)
    returns the encoded features; ``get_inputs()`` / ``get_encoded_features()`` build a
    Functional model around it; ``save(path)`` writes a ``.keras`` file."""

    # ------------------------------------------------------------------ feature types
    @classmethod
    def cross(cls, feature_names, crossing_dim, output_mode="one_hot"):
        return Cross(feature_names, crossing_dim, output_mode=output_mode)

    @classmethod
    def feature(cls, dtype, preprocessor, output_mode):
        return Feature(dtype, preprocessor, output_mode)

    @classmethod
    def float(cls, name=None):
        name = name or _auto_name("float")
        return Feature("float32", TFDIdentity(name=f"{name}_preprocessor"), "float")

    @classmethod
    def float_rescaled(cls, scale=1.0, offset=0.0, name=None):
        name = name or _auto_name("float_rescaled")
        return Feature("float32", Rescaling(scale=scale, offset=offset,
                                            name=f"{name}_preprocessor"), "float")

    @classmethod
    def float_normalized(cls, name=None):
        name = name or _auto_name("float_normalized")
        return Feature("float32", Normalization(axis=-1, name=f"{name}_preprocessor"), "float")

    @classmethod
    def float_discretized(cls, num_bins, bin_boundaries=None, output_mode="one_hot",
                          name=None):
        name = name or _auto_name("float_discretized")
        pre = Discretization(num_bins=num_bins, bin_boundaries=bin_boundaries,
                             name=f"{name}_preprocessor")
        return Feature("float32", pre, output_mode)

    @classmethod
    def integer_categorical(cls, max_tokens=None, num_oov_indices=1, output_mode="one_hot",
                            name=None):
        name = name or _auto_name("integer_categorical")
        pre = IntegerLookup(name=f"{name}_preprocessor", max_tokens=max_tokens,
                            num_oov_indices=num_oov_indices)
        return Feature("int32", pre, output_mode)

    @classmethod
    def string_categorical(cls, max_tokens=None, num_oov_indices=1, output_mode="one_hot",
                           name=None):
        name = name or _auto_name("string_categorical")
        pre = StringLookup(name=f"{name}_preprocessor", max_tokens=max_tokens,
                           num_oov_indices=num_oov_indices)
        return Feature("string", pre, output_mode)

    @classmethod
    def string_hashed(cls, num_bins, output_mode="one_hot", name=None):
        name = name or _auto_name("string_hashed")
        return Feature("string", Hashing(name=f"{name}_preprocessor", num_bins=num_bins),
                       output_mode)

    @classmethod
    def integer_hashed(cls, num_bins, output_mode="one_hot", name=None):
        name = name or _auto_name("integer_hashed")
        return Feature("int32", Hashing(name=f"{name}_preprocessor", num_bins=num_bins),
                       output_mode)

    # ------------------------------------------------------------------ construction
    def __init__(self, features, output_mode="concat", crosses=None, crossing_dim=32,
                 hashing_dim=32, num_discretization_bins=32, name=None, **kwargs):
        kwargs.pop("trainable", None)
        kwargs.pop("dtype", None)
        self._restored_adapted = kwargs.pop("adapted", False)
        super().__init__(name=name, **kwargs)
        if not features:
            raise ValueError("The `features` argument cannot be None or empty.")
        self.crossing_dim = crossing_dim
        self.hashing_dim = hashing_dim
        self.num_discretization_bins = num_discretization_bins
        self.features = {n: self._standardize_feature(n, v) for n, v in features.items()}
        self.crosses = []
        if crosses:
            known = set(features)
            for cross in crosses:
                if isinstance(cross, dict):
                    cross = _deserialize_spec(cross)
                if isinstance(cross, Cross):
                    self.crosses.append(cross)
                    continue
                if not crossing_dim:
                    raise ValueError("When specifying `crosses`, the argument `crossing_dim` "
                                     "(dimensionality of the crossing space) should be "
                                     "specified as well.")
                if any(k not in known for k in cross):
                    raise ValueError("All features referenced in the `crosses` argument "
                                     "should be present in the `features` dict. Received "
                                     f"unknown features: {cross}")
                self.crosses.append(Cross(cross, crossing_dim=crossing_dim))
        self.crosses_by_name = {c.name: c for c in self.crosses}
        if output_mode not in {"dict", "concat"}:
            raise ValueError("Invalid value for argument `output_mode`. Expected one of "
                             f"{{'dict', 'concat'}}. Received: output_mode={output_mode}")
        self.output_mode = output_mode
        self.preprocessors = {n: f.preprocessor for n, f in self.features.items()}
        self.crossers = {c.name: HashedCrossing(c.crossing_dim, name=c.name)
                         for c in self.crosses}
        self.one_hot_encoders = {}
        self._inputs = None
        self.encoded_features = None
        self._is_adapted = bool(self._restored_adapted)
        self._sublayers_built = False
        self.built = True
        self.autocast = False

    def _standardize_feature(self, name, feature):
        if isinstance(feature, Feature):
            return feature
        if isinstance(feature, dict):
            return _deserialize_spec(feature)
        makers = {
            "float": lambda: self.float(name=name),
            "float_normalized": lambda: self.float_normalized(name=name),
            "float_rescaled": lambda: self.float_rescaled(name=name),
            "float_discretized": lambda: self.float_discretized(
                name=name, num_bins=self.num_discretization_bins),
            "integer_categorical": lambda: self.integer_categorical(name=name),
            "string_categorical": lambda: self.string_categorical(name=name),
            "integer_hashed": lambda: self.integer_hashed(self.hashing_dim, name=name),
            "string_hashed": lambda: self.string_hashed(self.hashing_dim, name=name),
        }
        if feature not in makers:
            raise ValueError(f"Invalid feature type: {feature}")
        return makers[feature]()

    # ------------------------------------------------------------------ adapt
    def _list_adaptable_preprocessors(self):
        names = []
        for name in self.features:
            pre = self.preprocessors[name]
            if isinstance(pre, Normalization) and pre.input_mean is not None:
                continue
            if getattr(pre, "_has_input_vocabulary", False):
                continue
            if isinstance(pre, Discretization) and pre.num_bins is None:
                continue
            if hasattr(pre, "adapt"):
                names.append(name)
        return names

    def adapt(self, dataset):
        """Adapt every adaptable preprocessor on its feature of ``dataset`` (a
        tf.data.Dataset of dicts, or a dict of arrays/lists)."""
        if isinstance(dataset, dict):
            columns = {k: np.asarray(to_numpy(v) if framework_of(v) not in (None, "numpy")
                                     else v) for k, v in dataset.items()}
        elif hasattr(dataset, "element_spec") and hasattr(dataset, "batch"):
            columns = None
        else:
            raise ValueError("`adapt()` can only be called on a tf.data.Dataset or a dict of "
                             f"arrays/lists. Received instead: {dataset!r:.200} (of type "
                             f"{type(dataset)})")
        for name in self._list_adaptable_preprocessors():
            pre = self.preprocessors[name]
            if columns is not None:
                # batches of 32 rows, as Keras adapts from tf.data (the quantile
                # summaries of Discretization depend on the batching)
                x = columns[name]
                if x.ndim in (0, 1):
                    x = x.reshape(-1, 1)
                pre.adapt([x[i:i + 32] for i in range(0, len(x), 32)]
                          if isinstance(pre, Discretization) else x)
            else:
                feature_ds = dataset.map(lambda d, n=name: d[n])
                first = next(iter(feature_ds))
                if len(first.shape) == 0:
                    feature_ds = feature_ds.batch(32)
                if len(first.shape) in (0, 1):
                    feature_ds = feature_ds.map(tf_side().expand_last)
                pre.adapt(feature_ds)
        self._is_adapted = True
        self.get_encoded_features()
        self._sublayers_built = True

    def _check_if_adapted(self):
        if not self._is_adapted:
            if not self._list_adaptable_preprocessors():
                self._is_adapted = True
            else:
                raise ValueError("You need to call `.adapt(dataset)` on the FeatureSpace before "
                                 "you can start using it.")

    def _check_if_built(self):
        if not self._sublayers_built:
            self._check_if_adapted()
            self.get_encoded_features()
            self._sublayers_built = True

    # ------------------------------------------------------------------ symbolic
    @property
    def inputs(self):
        if self._inputs is None:
            from ..symbolic import Input

            self._inputs = {n: Input(shape=(1,), dtype=f.dtype, name=n)
                            for n, f in self.features.items()}
        return self._inputs

    def get_inputs(self):
        self._check_if_built()
        return self.inputs

    def get_encoded_features(self):
        self._check_if_adapted()
        if self.encoded_features is None:
            pre = {n: self.preprocessors[n](x) for n, x in self.inputs.items()}
            crossed = {c.name: self.crossers[c.name]([pre[n] for n in c.feature_names])
                       for c in self.crosses}
            self.encoded_features = self._merge(pre, crossed, symbolic=True)
        return self.encoded_features

    def _encoder(self, name, spec):
        if name in self.one_hot_encoders or spec.output_mode != "one_hot":
            return self.one_hot_encoders.get(name)
        pre = self.preprocessors.get(name) or self.crossers.get(name)
        if isinstance(pre, (IntegerLookup, StringLookup)):
            card = pre.vocabulary_size()
        elif isinstance(pre, CategoryEncoding):
            card = pre.num_tokens
        elif isinstance(pre, Discretization):
            card = pre.num_bins if pre.num_bins is not None else len(pre.bin_boundaries) + 1
        elif isinstance(pre, (HashedCrossing, Hashing)):
            card = pre.num_bins
        else:
            raise ValueError(f"Feature '{name}' has `output_mode='one_hot'`. However it isn't a "
                             "standard feature and the dimensionality of its output space is "
                             "not known, thus it cannot be one-hot encoded. Try using "
                             "`output_mode='int'`.")
        enc = CategoryEncoding(num_tokens=card, output_mode="multi_hot",
                               name=f"{name}_one_hot")
        self.one_hot_encoders[name] = enc
        return enc

    def _merge(self, pre, crossed, symbolic=False):
        names = sorted(pre) + sorted(crossed)
        values = [pre[n] for n in sorted(pre)] + [crossed[n] for n in sorted(crossed)]
        specs = [self.features[n] for n in sorted(pre)] + [self.crosses_by_name[n]
                                                          for n in sorted(crossed)]
        out = {}
        for name, value, spec in zip(names, values, specs):
            dt = str(value.dtype) if symbolic else _dtype_name(value)
            if spec.output_mode == "one_hot" and not dt.startswith("int"):
                raise ValueError(f"Feature '{name}' has `output_mode='one_hot'`. Thus its "
                                 "preprocessor should return an integer dtype. Instead it "
                                 f"returns a {dt} dtype.")
            enc = self._encoder(name, spec)
            if enc is not None:
                value = enc(value)
                dt = str(value.dtype) if symbolic else _dtype_name(value)
            if self.output_mode == "concat" and (dt.startswith("int") or dt == "string"):
                raise ValueError(f"Cannot concatenate features because feature '{name}' has not "
                                 f"been encoded (it has dtype {dt}). Consider using "
                                 "`output_mode='dict'`.")
            out[name] = value
        if self.output_mode == "dict":
            return out
        if symbolic:
            from ..merging import Concatenate

            return Concatenate(axis=-1)(list(out.values()))
        parts = list(out.values())
        xp = namespace(*parts)
        parts = [p if _dtype_name(p) == "float32" else xp.astype(p, dtype_obj(xp, p, "float32"))
                 for p in parts]
        return xp.concat(parts, axis=-1)

    # ------------------------------------------------------------------ call
    def __call__(self, data):
        self._check_if_built()
        if not isinstance(data, dict):
            raise ValueError("A FeatureSpace can only be called with a dict. Received: "
                             f"data={data!r:.200} (of type {type(data)}")
        fw = framework_of(first_leaf(list(data.values())))
        target = fw if fw not in (None, "numpy") else (_SCOPE.fw or self._host_framework())
        prepared, rebatched = {}, False
        for name, x in data.items():
            if framework_of(x) is None:
                x = np.asarray(x)
            if len(x.shape) == 0:
                x, rebatched = _reshape(x, (1, 1)), True
            elif len(x.shape) == 1:
                x = _reshape(x, (x.shape[0], 1))
            prepared[name] = x
        from ...xp import framework_scope

        with framework_scope(target):
            pre = {n: self.preprocessors[n](prepared[n]) for n in prepared}
            crossed = {c.name: self.crossers[c.name]([pre[n] for n in c.feature_names])
                       for c in self.crosses}
            merged = self._merge(pre, crossed)
        if rebatched:
            if self.output_mode == "concat":
                merged = _reshape(merged, tuple(merged.shape[1:]))
            else:
                merged = {k: _reshape(v, tuple(v.shape[1:])) if len(v.shape) == 2 and
                          v.shape[0] == 1 else v for k, v in merged.items()}
        return merged

    def call(self, data):
        return self(data)

    # ------------------------------------------------------------------ saving
    def get_config(self):
        return {"name": self.name,
                "features": {n: _serialize_spec(f) for n, f in self.features.items()},
                "output_mode": self.output_mode,
                "crosses": [_serialize_spec(c) for c in self.crosses],
                "crossing_dim": self.crossing_dim, "hashing_dim": self.hashing_dim,
                "num_discretization_bins": self.num_discretization_bins,
                "adapted": self._is_adapted}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        layer = cls(**config)
        for name, f in layer.features.items():
            pre = f.preprocessor
            if isinstance(pre, Normalization) and pre.input_mean is None:
                pre.build((None, 1))  # the adapted statistics load as its weights
        return layer

    def get_build_config(self):
        return {}

    def save(self, filepath):
        """Write a ``.keras`` file (the vocabularies ride in the configs, the adapted
        statistics in the weights)."""
        from ...saving import save_model

        save_model(self, filepath)


def _serialize_spec(obj):
    return {"module": "keras.src.layers.preprocessing.feature_space",
            "class_name": type(obj).__name__, "config": obj.get_config(),
            "registered_name": type(obj).__name__}


def _deserialize_spec(config):
    kind = {"Feature": Feature, "Cross": Cross}.get(config.get("class_name"))
    if kind is None:
        raise ValueError("FeatureSpace: expected a serialized Feature or Cross; received "
                         f"class_name={config.get('class_name')!r}")
    return kind.from_config(dict(config.get("config", {})))


def _dtype_name(x):
    from ...xp import standardize_dtype

    dt = x.dtype
    if getattr(dt, "kind", None) in ("U", "S", "O") or getattr(dt, "name", "") == "string":
        return "string"
    return standardize_dtype(dt)


def _reshape(x, shape):
    shape = tuple(-1 if d is None else d for d in shape)
    if framework_of(x) == "tensorflow":
        return tf_side().reshape(x, shape)
    if framework_of(x) is None:
        return np.reshape(x, shape)
    return namespace(x).reshape(x, shape)


__all__ = ["FeatureSpace", "Feature", "Cross"]
