"""The host side of the data layers that work on strings or on vocabularies
(StringLookup, IntegerLookup, Hashing, HashedCrossing, TextVectorization).

Where strings live (decision, docs/architecture.md "Strings and the data layers"):
strings are host data, NumPy arrays of ``str`` / ``bytes`` / ``object`` or Python
lists, or ``tf.string`` tensors. The string-to-integer step runs on the host in NumPy
(Python dicts, farmhash, regular expressions); its numeric output lands on the
framework of the call: the inputs' framework for jax/torch/TF arrays, else the active
framework scope, else the default framework (the host-data rule of ``Layer.__call__``).
On tf.Tensor inputs the output is a tf.Tensor, and inside TensorFlow graphs
(``tf.data.Dataset.map``, ``tf.function``) the host step runs through
``tf.numpy_function`` (``tensorflow.py`` beside this file), so the layers work in a
tf.data pipeline whatever framework trains the model.
"""

from __future__ import annotations

import os
import re

import numpy as np

from ...xp import asarray, framework_of, shim, to_numpy
from ...xp._registry import SCOPE as _SCOPE
from ..layer import Layer


def tf_side():
    """The TensorFlow file of this package (imported only once tf tensors were seen)."""
    return shim("tensorflow", "layers.preprocessing")


def first_leaf(x):
    if isinstance(x, (list, tuple)):
        for v in x:
            f = first_leaf(v)
            if f is not None:
                return f
        return None
    if isinstance(x, dict):
        return first_leaf(list(x.values()))
    return x if framework_of(x) is not None else None


def is_string_array(a):
    return a.dtype.kind in "USO"


def decode_strings(a, encoding="utf-8"):
    """An object array of ``str`` from any array of str/bytes (NumPy or tf values)."""
    a = np.asarray(a, dtype=object) if not isinstance(a, np.ndarray) else a
    if a.dtype.kind == "U":
        return a.astype(object)
    out = np.empty(a.shape, dtype=object)
    flat = a.reshape(-1)
    try:  # the common case: all bytes (tf.string values)
        out.reshape(-1)[:] = [s.decode(encoding) for s in flat]
    except AttributeError:  # a mix of str and bytes
        out.reshape(-1)[:] = [s.decode(encoding) if isinstance(s, (bytes, np.bytes_))
                              else str(s) for s in flat]
    return out


def host_array(x, kind, encoding="utf-8"):
    """The input of a data layer as a NumPy array on the host. ``kind``: "string"
    (an object array of str), "int" (int64), "float" or None (as it comes)."""
    if framework_of(x) not in (None, "numpy"):
        try:
            x = to_numpy(x)
        except Exception as e:  # a jax tracer, a symbolic tensor
            raise ValueError(
                "This preprocessing layer computes on the host and cannot run inside a "
                "jax/torch trace (jax.jit, torch.compile); call it on concrete arrays, in "
                f"the data pipeline (tf.data, a DataLoader). Received {type(x).__name__}: "
                f"{e}") from None
    a = np.asarray(x) if not isinstance(x, np.ndarray) else x
    if kind == "string":
        if a.dtype.kind in "USO":
            return decode_strings(a, encoding)
        # Keras' StringLookup on numbers: their string form
        return decode_strings(a.astype(str), encoding)
    if kind == "int":
        if a.dtype.kind in "USO":
            raise ValueError(f"expected integer inputs; received strings (dtype {a.dtype})")
        if a.dtype.kind == "f":
            return a.astype(np.int64)
        return a.astype(np.int64, copy=False)
    return a


def deliver(out, target):
    """Host result to the framework of the call (strings stay NumPy)."""
    if isinstance(out, np.ndarray) and out.dtype.kind in "USO":
        return out
    if target is None or target == "numpy":
        return out
    return asarray(out, framework=target)


# ------------------------------------------------------------------ categorical encoding
def encode_categorical(ids, output_mode, depth, dtype, count_weights=None):
    """Keras' ``encode_categorical_inputs`` on the host: int ids (outside
    ``[0, depth)`` are dropped) to ``one_hot`` / ``multi_hot`` / ``count`` vectors. A
    scalar is one sample; multi_hot/count reduce axis 1 (axis 0 for rank 1)."""
    ids = np.asarray(ids)
    if output_mode == "int":
        return ids.astype(dtype)
    if ids.ndim == 0:
        ids = ids[None]
    valid = (ids >= 0) & (ids < depth)
    if output_mode == "one_hot":
        if ids.ndim > 1 and ids.shape[-1] == 1:
            ids, valid = ids[..., 0], valid[..., 0]
        out = np.zeros(ids.shape + (depth,), dtype=dtype)
        idx = np.nonzero(valid)
        out[idx + (ids[idx],)] = 1
        return out
    if ids.ndim == 1:
        ids2, valid2, lead = ids[None, :], valid[None, :], ()
    else:
        moved = np.moveaxis(ids, 1, -1)
        lead = (moved.shape[0],) + moved.shape[1:-1]
        ids2 = moved.reshape(-1, moved.shape[-1])
        valid2 = np.moveaxis(valid, 1, -1).reshape(ids2.shape)
    rows = np.broadcast_to(np.arange(ids2.shape[0])[:, None], ids2.shape)
    r, c = rows[valid2], ids2[valid2]
    if output_mode == "multi_hot":
        out = np.zeros((ids2.shape[0], depth), dtype=dtype)
        out[r, c] = 1
    else:
        acc = np.zeros((ids2.shape[0], depth), dtype=np.float64)
        if count_weights is None:
            np.add.at(acc, (r, c), 1)
        else:
            w = np.asarray(count_weights, dtype=np.float64)
            w2 = w[None, :] if ids.ndim == 1 else np.moveaxis(w, 1, -1).reshape(ids2.shape)
            np.add.at(acc, (r, c), w2[valid2])
        out = acc.astype(dtype)
    return out.reshape(lead + (depth,)) if ids.ndim > 1 else out[0]


def categorical_output_shape(input_shape, output_mode, depth):
    input_shape = tuple(input_shape)
    if output_mode == "int":
        return input_shape
    if output_mode == "one_hot":
        if len(input_shape) > 1 and input_shape[-1] == 1:
            return input_shape[:-1] + (depth,)
        return input_shape + (depth,)
    if len(input_shape) == 0 or len(input_shape) == 1:
        return (depth,)
    return (input_shape[0],) + input_shape[2:] + (depth,)


# ------------------------------------------------------------------ hashing
def _need(module, what):
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise ImportError(f"{what} needs the '{module if module != 'farmhash' else 'pyfarmhash'}'"
                          " package (pip install 'unikeras[text]')") from None


def fingerprint64(strings):
    """TensorFlow's ``Fingerprint64`` (farmhash) of each string, as uint64."""
    fh = _need("farmhash", "Hashing of strings (farmhash Fingerprint64)")
    f = fh.fingerprint64
    return np.fromiter((f(s.encode("utf-8") if isinstance(s, str) else bytes(s)) % 2**64
                        for s in strings), dtype=np.uint64, count=len(strings))


def siphash64(strings, salt):
    """TensorFlow's ``StrongKeyedHash`` (SipHash-2-4 keyed by two uint64) of each
    string, as uint64."""
    sh = _need("siphash24", "Hashing with a salt (SipHash-2-4)")
    key = int(salt[0] % 2**64).to_bytes(8, "little") + int(salt[1] % 2**64).to_bytes(8, "little")
    return np.fromiter((sh.siphash24(s.encode("utf-8") if isinstance(s, str) else bytes(s),
                                     key=key).intdigest() % 2**64 for s in strings),
                       dtype=np.uint64, count=len(strings))


def hash_buckets(strings, num_buckets, salt=None):
    """``tf.strings.to_hash_bucket_fast`` (no salt) / ``_strong`` (salt) of a flat
    sequence of strings: int64 buckets in ``[0, num_buckets)``."""
    h = fingerprint64(strings) if salt is None else siphash64(strings, salt)
    return (h % np.uint64(num_buckets)).astype(np.int64)


def normalize_salt(salt, layer):
    if salt is None:
        return None
    if isinstance(salt, (tuple, list)) and len(salt) == 2:
        return [int(s) for s in salt]
    if isinstance(salt, (int, np.integer)) and not isinstance(salt, bool):
        return [int(salt), int(salt)]
    raise ValueError(f"The `salt` argument for `{layer}` can only be a tuple of 2 integers, "
                     f"or a single integer. Received: salt={salt}.")


# ------------------------------------------------------------------ vocabulary files
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://")


def read_vocabulary_file(path, layer_name, encoding="utf-8"):
    """The lines of a local vocabulary file, read as data. Refuses anything that is not
    a local regular file: URLs and remote schemes (``http://``, ``gs://``, ...), UNC
    paths, devices and pipes (Keras CVE-2025-12058 was StringLookup opening arbitrary
    paths, remote ones included, through tf.io.gfile), and, like Keras 3.12+, any file
    path while a model file is being loaded in safe mode."""
    from ...utils.serialization import in_safe_mode

    path = os.fspath(path)
    if in_safe_mode():
        raise ValueError(
            f'Layer "{layer_name}": requested the loading of a vocabulary file outside of the '
            "model archive. This carries a potential risk of loading arbitrary and sensitive "
            "files and thus it is disallowed by default. If you trust the source of the "
            "artifact, pass `safe_mode=False` to the loading function, or call "
            f"`keras.config.enable_unsafe_deserialization()`. Vocabulary file: '{path}'")
    if _SCHEME.match(path) or path.startswith(("\\\\", "//")):
        raise ValueError(f'Layer "{layer_name}": vocabulary files must be local paths; '
                         f"received {path!r} (remote locations are never read)")
    if not os.path.exists(path):
        raise ValueError(f"Vocabulary file {path} does not exist.")
    if not os.path.isfile(path):
        raise ValueError(f'Layer "{layer_name}": the vocabulary file must be a regular file; '
                         f"received {path!r}")
    with open(path, encoding=encoding) as f:
        lines = f.read().splitlines()
    while lines and lines[-1] == "":
        lines.pop()
    return lines


# ------------------------------------------------------------------ adapt sources
def adapt_batches(data, steps=None, layer_name="layer"):
    """Iterate the batches of ``adapt(data)``: one batch for an array, a list, a tuple
    or a framework tensor; each element of a tf.data.Dataset, a generator, a PyDataset
    or any other iterable (``(x, y)`` tuples give ``x``), at most ``steps`` of them."""
    if isinstance(data, (np.ndarray, list, tuple, str, bytes)) or (
            framework_of(data) is not None and not hasattr(data, "element_spec")):
        yield data
        return
    if hasattr(data, "__getitem__") and hasattr(data, "__len__") and hasattr(
            data, "on_epoch_end"):  # PyDataset
        it = (data[i] for i in range(len(data)))
    elif hasattr(data, "__iter__"):
        it = iter(data)
    else:
        raise TypeError(f'Layer "{layer_name}".adapt: expected an array, a list, a '
                        "tf.data.Dataset, a generator or an iterable of batches; received "
                        f"{type(data).__name__}")
    for i, batch in enumerate(it):
        if steps is not None and i >= steps:
            break
        if isinstance(batch, tuple) and not isinstance(batch, str):
            batch = batch[0]
        yield batch


def to_host_value(x):
    """A batch from adapt's sources as a host object (NumPy array, or a list of rows for
    ragged tf tensors)."""
    fw = framework_of(x)
    if fw == "tensorflow":
        return tf_side().to_host(x)
    if fw not in (None, "numpy"):
        return to_numpy(x)
    return x


def as_sparse(layer, out):
    """``sparse=True``: the output as a ``tf.SparseTensor``. As in Keras (where sparse
    outputs exist on the TensorFlow backend only), this needs the call to run on
    TensorFlow: tf inputs, a tf.data pipeline or ``framework_scope("tensorflow")``."""
    if framework_of(out) != "tensorflow":
        raise ValueError(
            f'Layer "{layer.name}": sparse=True returns a tf.SparseTensor, so the call must '
            "run on TensorFlow (tf inputs, a tf.data pipeline or framework_scope("
            f'"tensorflow")); this call runs on {framework_of(out)}')
    return tf_side().to_sparse(out)


# ------------------------------------------------------------------ the base class
class HostLayer(Layer):
    """A data layer whose work is a NumPy function on the host (see the module
    docstring). Subclasses define ``_host(*arrays) -> tuple of NumPy arrays``,
    ``_out_dtypes()`` and ``compute_output_shape``; ``_to_host_inputs`` converts the call's
    inputs (default: one array of ``self._input_kind``)."""

    _input_kind = None
    _accepts_strings = True

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.built = True
        self.autocast = False

    def build(self, input_shape=None):
        self.built = True

    def __call__(self, *args, **kwargs):
        from ..symbolic import any_symbolic

        if args and any_symbolic(args[0]) or any_symbolic(kwargs):
            return super().__call__(*args, **kwargs)
        inputs = args[0] if args else kwargs.pop("inputs")
        fw = framework_of(first_leaf(inputs))
        if fw == "tensorflow":
            out = self._tf_call(inputs)
        else:
            target = fw if fw not in (None, "numpy") else (_SCOPE.fw or self._host_framework())
            out = self._deliver(self._host(*self._to_host_inputs(inputs)), target)
        return as_sparse(self, out) if getattr(self, "sparse", False) else out

    def call(self, inputs):
        return self(inputs)

    def _to_host_inputs(self, inputs):
        return (host_array(inputs, self._input_kind, getattr(self, "encoding", "utf-8")),)

    def _deliver(self, outs, target):
        return deliver(outs[0], target)

    def _host_on_tf_values(self, *arrays):
        """``_host`` on the NumPy values of tf tensors (strings arrive as bytes)."""
        return self._host(*self._to_host_inputs(arrays[0] if len(arrays) == 1 else list(arrays)))

    def _tf_call(self, inputs):
        tfm = tf_side()
        if tfm.is_ragged(inputs):
            if not self._elementwise():
                raise ValueError(f'Layer "{self.name}": ragged inputs are supported with '
                                 "output_mode='int' only")
            values, lengths = tfm.ragged_parts(inputs)
            out = self._tf_call(values)
            for rl in reversed(lengths):
                out = tfm.ragged_from_row_lengths(out, rl)
            return out
        shape = tuple(inputs.shape) if hasattr(inputs, "shape") else None
        out_shape = self.compute_output_shape(shape) if shape is not None else None
        return tfm.host_call(self._host_on_tf_values, [inputs], self._out_dtypes(),
                             [out_shape])[0]

    def _elementwise(self):
        return getattr(self, "output_mode", "int") == "int"

    def compute_output_spec(self, *args, **kwargs):
        from ..symbolic import KerasTensor

        x = args[0]
        shape = [t.shape for t in x] if isinstance(x, (list, tuple)) else x.shape
        return KerasTensor(self.compute_output_shape(shape), dtype=self._out_dtypes()[0])

    def _out_dtypes(self):
        raise NotImplementedError
