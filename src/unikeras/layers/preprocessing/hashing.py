"""Keras 3's Hashing and HashedCrossing, computed on the host with TensorFlow's hash
functions reproduced bit for bit: farmhash ``Fingerprint64`` (the ``pyfarmhash``
package), SipHash-2-4 for a ``salt`` (the ``siphash24`` package) and TensorFlow's
``FingerprintCat64`` for crosses. Numbers are hashed through their decimal string
(floats truncated to int64 first), as Keras does."""

from __future__ import annotations

import numpy as np

from ...utils.serialization import register
from ...xp import floatx
from ._host import (HostLayer, encode_categorical, fingerprint64, hash_buckets, host_array,
                    normalize_salt)


def _as_hash_strings(a):
    """Flat list of the strings TensorFlow hashes for ``a`` (strings as they are;
    numbers through ``tf.as_string``, floats truncated to int64 first)."""
    flat = a.reshape(-1)
    if a.dtype.kind in "O":
        return [s if isinstance(s, (str, bytes)) else str(s) for s in flat]
    if a.dtype.kind in "US":
        return list(flat)
    if a.dtype.kind == "f":
        flat = flat.astype(np.int64)
    if a.dtype.kind == "b":
        flat = flat.astype(np.int64)
    return [str(int(v)) for v in flat]


@register
class Hashing(HostLayer):
    """Keras 3's ``Hashing(num_bins, mask_value=None, salt=None, output_mode="int",
    sparse=False)``: each value (string or number) to a bin in ``[0, num_bins)`` by
    farmhash Fingerprint64 (SipHash-2-4 keyed by ``salt`` when given); with
    ``mask_value``, that value goes to bin 0 and the others to ``[1, num_bins)``."""

    def __init__(self, num_bins, mask_value=None, salt=None, output_mode="int", sparse=False,
                 **kwargs):
        if kwargs.get("dtype") is None:
            kwargs["dtype"] = "int64" if output_mode == "int" else floatx()
        super().__init__(**kwargs)
        if num_bins is None or num_bins <= 0:
            raise ValueError("The `num_bins` for `Hashing` cannot be `None` or non-positive "
                             f"values. Received: num_bins={num_bins}.")
        if output_mode == "int" and self.dtype_policy.name not in ("int32", "int64"):
            raise ValueError('When `output_mode="int"`, `dtype` should be an integer type, '
                             f"'int32' or 'in64'. Received: dtype={kwargs['dtype']}")
        modes = ("int", "one_hot", "multi_hot", "count")
        if output_mode not in modes:
            raise ValueError("Invalid value for argument `output_mode`. Expected one of "
                             f"{modes}. Received: output_mode={output_mode}")
        if sparse and output_mode == "int":
            raise ValueError('`sparse` may only be true if `output_mode` is `"one_hot"`, '
                             f'`"multi_hot"`, or `"count"`. Received: sparse={sparse} and '
                             f"output_mode={output_mode}")
        self.num_bins = num_bins
        self.mask_value = mask_value
        self.strong_hash = salt is not None
        self.output_mode = output_mode
        self.sparse = sparse
        self.salt = normalize_salt(salt, "Hashing")

    def _to_host_inputs(self, inputs):
        return (host_array(inputs, None),)

    def hash_values(self, a):
        """Bins of a host array (Keras' ``_hash_values_to_bins``)."""
        a = np.asarray(a)
        bins = self.num_bins
        mask = None
        if self.mask_value is not None and bins > 1:
            bins -= 1
            mv = self.mask_value
            if a.dtype.kind in "SO" and isinstance(mv, str):
                mv = mv.encode("utf-8") if a.dtype.kind == "S" else mv
            flat = a.reshape(-1)
            if a.dtype.kind == "O":
                mask = np.fromiter(((v.decode("utf-8") if isinstance(v, bytes) else v) == mv
                                    for v in flat), dtype=bool, count=flat.size)
            else:
                mask = flat == mv
        out = hash_buckets(_as_hash_strings(a), bins, self.salt)
        if mask is not None:
            out = np.where(mask, 0, out + 1)
        return out.reshape(a.shape)

    def _host(self, a):
        if self.output_mode == "one_hot" and a.ndim and a.shape[-1] == 1:
            a = a[..., 0]
        ids = self.hash_values(a)
        return (encode_categorical(ids, self.output_mode, self.num_bins,
                                   self.dtype_policy.name),)

    def _out_dtypes(self):
        return (self.dtype_policy.name,)

    def compute_output_shape(self, input_shape):
        if self.output_mode == "int":
            return tuple(input_shape)
        if len(input_shape) == 0:
            return (self.num_bins,)
        return tuple(input_shape[:-1]) + (self.num_bins,)

    def get_config(self):
        config = super().get_config()
        config.update({"num_bins": self.num_bins, "salt": self.salt,
                       "mask_value": self.mask_value, "output_mode": self.output_mode,
                       "sparse": self.sparse})
        return config


_KMUL = np.uint64(0xC6A4A7935BD1E995)
_DEFAULT_HASH_KEY = np.uint64(0xDECAFCAFFE)


def _shift_mix(v):
    return v ^ (v >> np.uint64(47))


def fingerprint_cat64(fp1, fp2):
    """TensorFlow's ``FingerprintCat64`` (a fact of tf.sparse.cross_hashed), on uint64
    arrays with wrap-around arithmetic."""
    with np.errstate(over="ignore"):
        result = fp1 ^ _KMUL
        result = result ^ (_shift_mix(fp2 * _KMUL) * _KMUL)
        result = result * _KMUL
        result = _shift_mix(result) * _KMUL
        return _shift_mix(result)


@register
class HashedCrossing(HostLayer):
    """Keras 3's ``HashedCrossing(num_bins, output_mode="int", sparse=False)``: the
    hashed cross of two or more categorical features (ints or strings, shape ``()``,
    ``(batch,)`` or ``(batch, 1)``), as ``tf.sparse.cross_hashed`` computes it."""

    def __init__(self, num_bins, output_mode="int", sparse=False, name=None, dtype=None,
                 **kwargs):
        if output_mode == "int" and dtype is None:
            dtype = "int64"
        super().__init__(name=name, dtype=dtype)
        if output_mode not in ("int", "one_hot"):
            raise ValueError("Invalid value for argument `output_mode` of HashedCrossing: "
                             f"expected one of ('int', 'one_hot'); received "
                             f"output_mode={output_mode!r}")
        self.num_bins = num_bins
        self.output_mode = output_mode
        self.sparse = sparse

    def _check(self, inputs):
        if not isinstance(inputs, (list, tuple)):
            raise ValueError("`HashedCrossing` should be called on a list or tuple of "
                             f"inputs. Received: inputs={inputs}")
        if len(inputs) < 2:
            raise ValueError("`HashedCrossing` should be called on at least two inputs. "
                             f"Received: inputs={inputs}")

    def __call__(self, *args, **kwargs):
        if args:
            self._check(args[0])
        return super().__call__(*args, **kwargs)

    def _to_host_inputs(self, inputs):
        arrays = [host_array(x, None) for x in inputs]
        first = arrays[0].shape
        if len(first) > 2 or (len(first) == 2 and first[-1] != 1):
            raise ValueError("All `HashedCrossing` inputs should have shape `()`, "
                             f"`(batch_size)` or `(batch_size, 1)`. Received: shapes "
                             f"{[a.shape for a in arrays]}")
        if any(a.shape != first for a in arrays[1:]):
            raise ValueError("All `HashedCrossing` inputs should have equal shape. "
                             f"Received: shapes {[a.shape for a in arrays]}")
        for a in arrays:
            if not (a.dtype.kind in "iuSUO"):
                raise ValueError("All `HashedCrossing` inputs should have an integer or "
                                 f"string dtype. Received: dtype {a.dtype}")
        return arrays

    def _host(self, *arrays):
        shape = arrays[0].shape
        h = np.full(int(np.prod(shape)) if shape else 1, _DEFAULT_HASH_KEY, dtype=np.uint64)
        for a in arrays:
            if a.dtype.kind in "iu":  # TensorFlow crosses integers by their int64 bits
                fp = a.reshape(-1).astype(np.int64).view(np.uint64)
            else:
                fp = fingerprint64(_as_hash_strings(a))
            h = fingerprint_cat64(h, fp)
        ids = (h % np.uint64(self.num_bins)).astype(np.int64).reshape(shape)
        out_dtype = self.dtype_policy.name if self.output_mode == "int" else self.compute_dtype
        return (encode_categorical(ids, self.output_mode, self.num_bins, out_dtype),)

    def _host_on_tf_values(self, *arrays):
        return self._host(*self._to_host_inputs(list(arrays)))

    def _tf_call(self, inputs):
        from ._host import tf_side

        shape = self.compute_output_shape([tuple(x.shape) for x in inputs])
        return tf_side().host_call(self._host_on_tf_values, list(inputs), self._out_dtypes(),
                                   [shape])[0]

    def _out_dtypes(self):
        return (self.dtype_policy.name if self.output_mode == "int" else self.compute_dtype,)

    def compute_output_shape(self, input_shape):
        first = tuple(input_shape[0])
        if self.output_mode == "int":
            return first
        if first and first[-1] != 1:
            return first + (self.num_bins,)
        if not first:
            return (self.num_bins,)
        return first[:-1] + (self.num_bins,)

    def get_config(self):
        return {"num_bins": self.num_bins, "output_mode": self.output_mode,
                "sparse": self.sparse, "name": self.name, "dtype": self.dtype_policy.name}


__all__ = ["Hashing", "HashedCrossing"]
