"""Keras 3's vocabulary lookups, StringLookup and IntegerLookup, computed on the host
(``_host.py``: where strings live and where the output lands).

Index layout (Keras'): ``[mask][oov_1 .. oov_n][vocabulary...]``, where the mask slot
exists only with a ``mask_token`` in ``output_mode="int"``. Unknown tokens go to the
single OOV index, or, with ``num_oov_indices > 1``, to a bucket chosen by farmhash
Fingerprint64 of the token (SipHash with a ``salt``; integers use ``token % n`` unless
``oov_method="farmhash"``), exactly as TensorFlow's hashing does.
"""

from __future__ import annotations

import collections
import itertools
import operator

import numpy as np

from ...utils.serialization import register
from ...xp import floatx, framework_of, namespace, to_numpy
from ..normalization import dtype_obj
from ._host import (HostLayer, adapt_batches, categorical_output_shape, decode_strings,
                    encode_categorical, hash_buckets, normalize_salt, read_vocabulary_file,
                    to_host_value)

_MODES = ("int", "one_hot", "multi_hot", "count", "tf_idf")
_INT64_MAX = np.iinfo(np.int64).max


def _listify(x):
    if x is None:
        return None
    if framework_of(x) is not None and not isinstance(x, np.ndarray):
        x = to_numpy(x)
    if isinstance(x, np.ndarray):
        x = x.tolist()
    if isinstance(x, (list, tuple)):
        return [v.decode("utf-8") if isinstance(v, bytes) else v for v in x]
    return x


class IndexLookup(HostLayer):
    """The shared machinery of StringLookup and IntegerLookup (Keras' IndexLookup)."""

    _string_keys = True

    def __init__(self, max_tokens, num_oov_indices, mask_token, oov_token,
                 vocabulary_dtype, vocabulary=None, idf_weights=None, invert=False,
                 output_mode="int", sparse=False, pad_to_max_tokens=False,
                 oov_method="floormod", salt=None, name=None, **kwargs):
        cls = type(self).__name__
        if max_tokens is not None and max_tokens <= 1:
            raise ValueError(f"If set, `max_tokens` must be greater than 1. Received: "
                             f"max_tokens={max_tokens}")
        if pad_to_max_tokens and max_tokens is None:
            raise ValueError(f"If pad_to_max_tokens is True, must set `max_tokens`. "
                             f"Received: max_tokens={max_tokens}")
        if num_oov_indices < 0:
            raise ValueError(f"`num_oov_indices` must be greater than or equal to 0. "
                             f"Received: num_oov_indices={num_oov_indices}")
        if oov_method not in ("floormod", "farmhash"):
            raise ValueError(f"Invalid value for argument `oov_method` of {cls}: expected one "
                             f"of ('floormod', 'farmhash'); received oov_method={oov_method!r}")
        if salt is not None and not self._string_keys and oov_method != "farmhash":
            raise ValueError("`salt` can only be used when `oov_method='farmhash'`. "
                             f"Received: oov_method={oov_method}")
        salt = normalize_salt(salt, "IndexLookup")
        if output_mode == "binary":
            output_mode = "multi_hot"
        if output_mode == "tf-idf":
            output_mode = "tf_idf"
        if output_mode not in _MODES:
            raise ValueError(f"Invalid value for argument `output_mode` of {cls}: expected one "
                             f"of {_MODES}; received output_mode={output_mode!r}")
        if invert and output_mode != "int":
            raise ValueError("`output_mode` must be `'int'` when `invert` is true. "
                             f"Received: output_mode={output_mode}")
        if sparse and output_mode == "int":
            raise ValueError("`sparse` may only be true if `output_mode` is `'one_hot'`, "
                             "`'multi_hot'`, `'count'` or `'tf_idf'`. "
                             f"Received: sparse={sparse} and output_mode={output_mode}")
        if idf_weights is not None and output_mode != "tf_idf":
            raise ValueError("`idf_weights` should only be set if `output_mode` is "
                             f"`'tf_idf'`. Received: idf_weights={idf_weights} and "
                             f"output_mode={output_mode}")
        self._frozen_vocab_size = kwargs.pop("vocabulary_size", None)
        has_input_vocabulary = kwargs.pop("has_input_vocabulary", vocabulary is not None)
        kwargs.pop("trainable", None)
        kwargs.pop("dtype", None)
        if kwargs:
            raise ValueError(f"Unrecognized keyword argument(s): {kwargs}")
        super().__init__(name=name)
        self.invert = invert
        self.max_tokens = max_tokens
        self.num_oov_indices = num_oov_indices
        self.mask_token = mask_token
        self.oov_token = oov_token
        self.output_mode = output_mode
        self.sparse = sparse
        self.pad_to_max_tokens = pad_to_max_tokens
        self.vocabulary_dtype = vocabulary_dtype
        self.oov_method = oov_method
        self.salt = salt
        self.input_vocabulary = vocabulary if not isinstance(vocabulary, str) else None
        self.input_idf_weights = idf_weights
        self._has_input_vocabulary = has_input_vocabulary
        self._tokens = []  # the learned/given tokens, in index order from token_start
        self._index = {}
        self.idf_weights = None
        self._reset_counts()
        if output_mode == "tf_idf" and has_input_vocabulary and idf_weights is None \
                and vocabulary is not None:
            raise ValueError("When specifying the `vocabulary` argument, in TF-IDF output "
                             "mode, the `idf_weights` argument must also be provided.")
        if vocabulary is not None:
            self.set_vocabulary(vocabulary, idf_weights)

    # ------------------------------------------------------------------ indices
    def _oov_start_index(self):
        return 1 if self.mask_token is not None and self.output_mode == "int" else 0

    def _token_start_index(self):
        return self._oov_start_index() + self.num_oov_indices

    def vocabulary_size(self):
        """The size of the vocabulary, mask and OOV indices included."""
        return len(self._tokens) + self._token_start_index()

    def get_vocabulary(self, include_special_tokens=True):
        """The vocabulary; with the special tokens, a term's position is its index."""
        vocab = [self.oov_token] * self._token_start_index() + list(self._tokens)
        if self.mask_token is not None and self.output_mode == "int":
            vocab[0] = self.mask_token
        if not include_special_tokens:
            vocab = vocab[self._token_start_index():]
        return vocab

    # ------------------------------------------------------------------ vocabulary
    def _key(self, v):
        if self._string_keys:
            return v.decode(getattr(self, "encoding", "utf-8")) if isinstance(v, bytes) else str(v)
        return int(v)

    def set_vocabulary(self, vocabulary, idf_weights=None):
        """Set the vocabulary (a list, tuple, 1-D array or tensor of tokens, or the path
        of a local text file with one token per line) and, in ``"tf_idf"`` mode, the
        inverse document frequency weights."""
        if self.output_mode == "tf_idf":
            if idf_weights is None:
                raise ValueError("`idf_weights` must be set if output_mode is 'tf_idf'.")
        elif idf_weights is not None:
            raise ValueError("`idf_weights` should only be set if output_mode is `'tf_idf'`. "
                             f"Received: output_mode={self.output_mode} and "
                             f"idf_weights={idf_weights}")
        if isinstance(vocabulary, str) or hasattr(vocabulary, "__fspath__"):
            if self.output_mode == "tf_idf":
                raise ValueError("output_mode `'tf_idf'` does not support loading a "
                                 "vocabulary from file.")
            lines = read_vocabulary_file(vocabulary, self.name,
                                         getattr(self, "encoding", "utf-8"))
            tokens = [self._key(t) for t in lines]
            # Keras' file tables put the file's line i at index token_start + i.
            self._set_tokens(tokens)
            self._record_vocabulary_size()
            return
        vocabulary = _listify(vocabulary)
        if idf_weights is not None:
            idf_weights = np.asarray(_listify(idf_weights) if framework_of(idf_weights)
                                     is not None else idf_weights, dtype=np.float64)
        if not vocabulary:
            raise ValueError(f"Cannot set an empty vocabulary. Received: "
                             f"vocabulary={vocabulary}")
        vocabulary = [self._key(v) for v in vocabulary]
        oov_start, token_start = self._oov_start_index(), self._token_start_index()
        special = [self.mask_token] * oov_start + [self.oov_token] * self.num_oov_indices
        found_special = vocabulary[:token_start] == [
            self._key(s) if s is not None else s for s in special]
        tokens = vocabulary[token_start:] if found_special else vocabulary
        repeated = [t for t, c in collections.Counter(tokens).items() if c > 1]
        if repeated:
            raise ValueError("The passed vocabulary has at least one repeated term. Please "
                             f"uniquify your dataset. The repeated terms are: {repeated}")
        if self.mask_token is not None and self._key(self.mask_token) in tokens:
            idx = len(vocabulary) - 1 - vocabulary[::-1].index(self._key(self.mask_token))
            raise ValueError(
                "Found reserved mask token at unexpected location in `vocabulary`. Note that "
                "passed `vocabulary` does not need to include the OOV and mask tokens. Either "
                "remove all mask and OOV tokens, or include them only at the start of the "
                f"vocabulary in precisely this order: {special}. Received: "
                f"mask_token={self.mask_token} at vocabulary index [{idx}]")
        if self.oov_token is not None and self.invert and self._key(self.oov_token) in tokens:
            idx = len(vocabulary) - 1 - vocabulary[::-1].index(self._key(self.oov_token))
            raise ValueError(
                "Found reserved OOV token at unexpected location in `vocabulary`. Note that "
                "passed `vocabulary` does not need to include the OOV and mask tokens. Either "
                "remove all mask and OOV tokens, or include them only at the start of the "
                f"vocabulary in precisely this order: {special}. Received: "
                f"oov_token={self.oov_token} at vocabulary index [{idx}]")
        new_size = token_start + len(tokens)
        if self.max_tokens is not None and new_size > self.max_tokens:
            raise ValueError("Attempted to set a vocabulary larger than the maximum vocab "
                             f"size. Received vocabulary size is {new_size}; `max_tokens` "
                             f"is {self.max_tokens}.")
        self._set_tokens(tokens)
        self._record_vocabulary_size()
        if self.output_mode == "tf_idf" and idf_weights is not None:
            if len(vocabulary) != len(idf_weights):
                raise ValueError("`idf_weights` must be the same length as vocabulary. "
                                 f"len(idf_weights) is {len(idf_weights)}; len(vocabulary) "
                                 f"is {len(vocabulary)}")
            if idf_weights.ndim != 1:
                raise ValueError("TF-IDF data must be a 1-index array. Received: "
                                 f"idf_weights of shape {idf_weights.shape}")
            front, front_value = (0, 0.0) if found_special else (
                token_start, float(np.average(idf_weights)))
            back = (self.max_tokens - front - len(idf_weights)
                    if self.pad_to_max_tokens and self.max_tokens is not None else 0)
            weights = np.pad(idf_weights, (front, back), "constant",
                             constant_values=(front_value, 0.0))
            self.idf_weights = weights.astype(floatx())

    def _set_tokens(self, tokens):
        self._tokens = list(tokens)
        start = self._token_start_index()
        self._index = {t: start + i for i, t in enumerate(self._tokens)}
        self._inverse = None

    def _record_vocabulary_size(self):
        if self.output_mode == "int" or self.pad_to_max_tokens:
            self._frozen_vocab_size = self.vocabulary_size()
            return
        new = self.vocabulary_size()
        if self._frozen_vocab_size is not None and new != self._frozen_vocab_size \
                and getattr(self, "_called", False):
            raise RuntimeError(
                f"When using `output_mode={self.output_mode}` and `pad_to_max_tokens=False`, "
                "the vocabulary size cannot be changed after the layer is called. Old vocab "
                f"size is {self._frozen_vocab_size}, new vocab size is {new}")
        self._frozen_vocab_size = new

    # ------------------------------------------------------------------ adapt
    def _reset_counts(self):
        self._counts = collections.Counter()
        self._doc_counts = collections.Counter()
        self._num_documents = 0

    def reset_state(self):
        if self._has_input_vocabulary:
            return
        self._reset_counts()

    def _flat_host_tokens(self, batch):
        """Tokens of one adapt batch, and its rows (documents) for tf_idf."""
        batch = to_host_value(batch)
        if isinstance(batch, list) and batch and isinstance(batch[0], (list, tuple)):
            rows = [[self._key(t) for t in r] for r in batch]
            return [t for r in rows for t in r], rows
        a = np.asarray(batch)
        if a.dtype.kind in "SO" and self._string_keys:
            a = decode_strings(a)
        if a.ndim == 0:
            a = a[None]
        if a.ndim == 1:
            a = a[None]
        rows = [[self._key(t) for t in r.reshape(-1)] for r in a] if \
            self.output_mode == "tf_idf" else None
        flat = [self._key(t) for t in a.reshape(-1)]
        return flat, rows

    def update_state(self, data):
        if self._has_input_vocabulary:
            raise ValueError(f"Cannot adapt layer '{self.name}' after setting a static "
                             "vocabulary via `vocabulary` argument or `set_vocabulary()` "
                             "method.")
        flat, rows = self._flat_host_tokens(data)
        self._update_from_tokens(flat, rows)

    def _update_from_tokens(self, flat, rows):
        self._counts.update(flat)
        if self.output_mode == "tf_idf":
            for r in rows:
                self._doc_counts.update(set(r))
            self._num_documents += len(rows)

    def adapt(self, data, steps=None):
        """Learn the vocabulary from ``data`` (an array, a list, a tf.data.Dataset, a
        generator or any iterable of batches): tokens sorted by count, ties broken by
        the token (high to low), truncated to ``max_tokens``; in ``"tf_idf"`` mode also
        the document frequencies."""
        self.reset_state()
        if isinstance(data, (list, tuple, np.ndarray)) or (
                framework_of(data) is not None and not hasattr(data, "element_spec")):
            data = to_host_value(data)
            a = np.asarray(data) if not isinstance(data, np.ndarray) else data
            if a.ndim == 1:
                a = a[:, None]
            self.update_state(a)
        else:
            for batch in adapt_batches(data, steps, self.name):
                self.update_state(batch)
        self.finalize_state()

    def finalize_state(self):
        if self._has_input_vocabulary or not self._counts:
            self._record_vocabulary_size()
            return
        counts = dict(self._counts)
        for special in (self.mask_token, self.oov_token):
            if special is not None:
                counts.pop(self._key(special), None)
        tokens = list(counts)
        if tokens:
            keys = np.array(tokens, dtype=object if self._string_keys else np.int64)
            cnt = np.array([counts[t] for t in tokens], dtype=np.int64)
            if self._string_keys:
                # Keras sorts the UTF-8 bytes: code point order is the same order
                order_keys = np.array([t.encode("utf-8") for t in tokens], dtype=object)
                rank = np.empty(len(tokens), dtype=np.int64)
                rank[sorted(range(len(tokens)), key=order_keys.__getitem__)] = \
                    np.arange(len(tokens))
                order = np.lexsort((rank, cnt))[::-1]
            else:
                order = np.lexsort((keys, cnt))[::-1]
            if self.max_tokens:
                order = order[:self.max_tokens - self._token_start_index()]
            tokens = [tokens[i] for i in order]
        self._set_tokens(tokens)
        if self.output_mode == "tf_idf":
            dc = np.array([self._doc_counts.get(t, 0) for t in tokens], dtype=np.float64)
            idf = np.log(1.0 + self._num_documents / (1.0 + dc)).astype(floatx())
            mean = float(np.mean(idf)) if idf.size else float("nan")
            idf = np.concatenate([np.full(self._token_start_index(), mean, dtype=idf.dtype), idf])
            if self.pad_to_max_tokens and self.max_tokens is not None:
                idf = np.pad(idf, (0, self.max_tokens - idf.size), constant_values=0)
            self.idf_weights = idf.astype(floatx())
        self._reset_counts()
        self._record_vocabulary_size()

    # ------------------------------------------------------------------ call
    def _depth(self):
        return self.max_tokens if self.pad_to_max_tokens else self._frozen_vocab_size

    def _ensure_known_vocab_size(self):
        if self.output_mode == "int" or self.pad_to_max_tokens:
            return
        if self._frozen_vocab_size is None:
            raise RuntimeError(
                f"When using `output_mode={self.output_mode}` and `pad_to_max_tokens=False`, "
                "you must set the layer's vocabulary before calling it. Either pass a "
                "`vocabulary` argument to the layer, or call `adapt` with some sample data.")

    def _oov_buckets(self, flat_keys):
        n = self.num_oov_indices
        if not self._string_keys and self.oov_method != "farmhash":
            return np.mod(np.asarray(flat_keys, dtype=np.int64), n)
        strs = [str(k) for k in flat_keys] if not self._string_keys else flat_keys
        return hash_buckets(strs, n, self.salt)

    def lookup_ids(self, flat):
        """Index of each token of a flat host sequence (Keras' ``_lookup_dense``). The
        tokens are canonical host values (``str`` for StringLookup, integers for
        IntegerLookup: NumPy integers hash and compare as Python ints), so the lookup is
        one C-level ``dict.get`` per token."""
        if self.invert:
            return self._invert_lookup(flat)
        n = len(flat)
        ids = np.fromiter(map(self._index.get, flat, itertools.repeat(-1)), dtype=np.int64,
                          count=n)
        missing = ids == -1
        if self.mask_token is not None:
            mkey = self._key(self.mask_token)
            is_mask = np.fromiter(map(operator.eq, flat, itertools.repeat(mkey)), dtype=bool,
                                  count=n)
            missing &= ~is_mask
        if missing.any():
            if self.num_oov_indices == 0:
                oov = [flat[i] for i in np.nonzero(missing)[0]]
                raise ValueError(
                    f'Layer "{self.name}": when `num_oov_indices=0` all inputs should be in '
                    f"vocabulary, found OOV values {oov[:20]}, consider setting "
                    "`num_oov_indices=1`.")
            if self.num_oov_indices == 1:
                ids[missing] = self._oov_start_index()
            else:
                where = np.nonzero(missing)[0]
                ids[where] = self._oov_buckets([flat[i] for i in where]) + self._oov_start_index()
        if self.mask_token is not None:
            ids[is_mask] = 0 if self.output_mode == "int" else _INT64_MAX
        return ids

    def _invert_lookup(self, flat):
        vocab = self._tokens
        start = self._token_start_index()
        out = []
        for i in flat:
            i = int(i)
            if self.mask_token is not None and i == 0:
                out.append(self.mask_token)
            elif start <= i < start + len(vocab):
                out.append(vocab[i - start])
            else:
                out.append(self.oov_token)
        return out

    def _host(self, x):
        self._ensure_known_vocab_size()
        self._called = True
        shape = x.shape
        flat = list(x.reshape(-1))
        if self.invert:
            vals = self._invert_lookup(flat)
            dt = object if self._string_keys else np.int64
            out = np.empty(len(vals), dtype=dt)
            out[:] = vals
            return (out.reshape(shape),)
        ids = self.lookup_ids(flat).reshape(shape)
        if self.output_mode == "int":
            return (ids,)
        depth = self._depth()
        if self.output_mode == "tf_idf":
            counts = encode_categorical(ids, "count", depth, np.float64)
            idf = np.asarray(self.idf_weights, dtype=np.float64)
            return ((counts * idf).astype(floatx()),)
        return (encode_categorical(ids, self.output_mode, depth, np.int64),)

    def _to_host_inputs(self, inputs):
        from ._host import host_array

        kind = "string" if (self._string_keys and not self.invert) else "int"
        a = host_array(inputs, kind, getattr(self, "encoding", "utf-8"))
        if a.ndim == 0 and self.output_mode != "int":
            a = a[None]
        return (a,)

    def _out_dtypes(self):
        if self.invert:
            return ("string",) if self._string_keys else ("int64",)
        if self.output_mode == "tf_idf":
            return (floatx(),)
        return ("int64",)

    def compute_output_shape(self, input_shape):
        if self.output_mode == "int":
            return tuple(input_shape)
        return categorical_output_shape(input_shape, self.output_mode, self._depth())

    # ------------------------------------------------------------------ saving
    def get_config(self):
        config = super().get_config()
        config.pop("trainable", None)
        config.pop("dtype", None)
        vocabulary = _listify(self.input_vocabulary)
        idf = _listify(self.input_idf_weights)
        if vocabulary is None and self._tokens:
            vocabulary, idf = self._learned_config()
        config.update({
            "invert": self.invert, "max_tokens": self.max_tokens,
            "num_oov_indices": self.num_oov_indices, "oov_token": self.oov_token,
            "mask_token": self.mask_token, "output_mode": self.output_mode,
            "sparse": self.sparse, "pad_to_max_tokens": self.pad_to_max_tokens,
            "vocabulary_dtype": self.vocabulary_dtype, "idf_weights": idf,
            "vocabulary": vocabulary, "vocabulary_size": self._frozen_vocab_size,
            "oov_method": self.oov_method, "salt": self.salt,
        })
        return config

    def _learned_config(self):
        """An adapted (or file) vocabulary as config data, special tokens first (so
        ``set_vocabulary`` recognises them and the idf weights line up): a .keras file
        carries it and loading reads nothing else (Keras writes it as an asset file;
        both load here)."""
        vocabulary = self.get_vocabulary(include_special_tokens=True)
        idf = None
        if self.output_mode == "tf_idf" and self.idf_weights is not None:
            idf = np.asarray(self.idf_weights)[:len(vocabulary)].tolist()
        return vocabulary, idf

    def get_build_config(self):
        return {}

    def save_own_variables(self, store):
        if self.output_mode == "tf_idf" and self.idf_weights is not None:
            store["idf_weights"] = np.asarray(self.idf_weights)

    def load_own_variables(self, store):
        if self.output_mode == "tf_idf" and "idf_weights" in store:
            self.idf_weights = np.asarray(store["idf_weights"]).astype(floatx())

    def save_assets(self, dir_path):
        """Keras' asset: the vocabulary, one token per line (``vocabulary.txt``)."""
        import os

        with open(os.path.join(dir_path, "vocabulary.txt"), "w", encoding="utf-8") as f:
            f.write("\n".join(str(w) for w in self.get_vocabulary(include_special_tokens=True)))

    def load_assets(self, dir_path):
        """Read the vocabulary asset written by Keras or by ``save_assets`` (data only)."""
        import os

        if self.input_vocabulary is not None:
            return
        with open(os.path.join(dir_path, "vocabulary.txt"), encoding="utf-8") as f:
            lines = f.read().splitlines()
        while lines and lines[-1] == "":
            lines.pop()
        values = lines if self._string_keys else [int(v) for v in lines]
        had = self._has_input_vocabulary
        self._has_input_vocabulary = False
        idf = self.idf_weights if self.output_mode == "tf_idf" else None
        self.set_vocabulary(values, idf_weights=idf)
        self._has_input_vocabulary = had


@register
class StringLookup(IndexLookup):
    """Keras 3's ``StringLookup``: strings to vocabulary indices (``output_mode="int"``)
    or to one_hot / multi_hot / count / tf_idf vectors; ``invert=True`` maps indices
    back to strings. Inputs: NumPy arrays of str/bytes/object, lists, tf.string tensors
    (also inside ``tf.data.Dataset.map``). Outputs land on the framework of the call
    (tf.Tensor for tf inputs; NumPy str arrays for ``invert``)."""

    _string_keys = True

    def __init__(self, max_tokens=None, num_oov_indices=1, mask_token=None, oov_token="[UNK]",
                 vocabulary=None, idf_weights=None, invert=False, output_mode="int",
                 pad_to_max_tokens=False, sparse=False, encoding="utf-8", name=None,
                 salt=None, **kwargs):
        self.encoding = encoding
        kwargs.pop("vocabulary_dtype", None)
        super().__init__(max_tokens=max_tokens, num_oov_indices=num_oov_indices,
                         mask_token=mask_token, oov_token=oov_token, vocabulary=vocabulary,
                         idf_weights=idf_weights, invert=invert, output_mode=output_mode,
                         pad_to_max_tokens=pad_to_max_tokens, sparse=sparse, name=name,
                         salt=salt, vocabulary_dtype="string", **kwargs)

    def get_config(self):
        config = super().get_config()
        del config["vocabulary_dtype"]
        config["encoding"] = self.encoding
        return config


@register
class IntegerLookup(IndexLookup):
    """Keras 3's ``IntegerLookup``: integers to vocabulary indices or one_hot /
    multi_hot / count / tf_idf vectors (``invert=True``: indices back to integers).
    Works on NumPy, jax, torch and TF integer arrays; the output lands on the inputs'
    framework. On jax/torch arrays the lookup is Array API code on the device
    (``searchsorted`` over the sorted vocabulary), so it traces under ``jax.jit`` and in
    compiled train steps; invert and farmhash OOV buckets run on the host."""

    _string_keys = False
    _input_kind = "int"

    def __call__(self, *args, **kwargs):
        x = args[0] if args else kwargs.get("inputs")
        fw = framework_of(x)
        if fw in ("jax", "torch") and self._on_device_ok():
            self._ensure_known_vocab_size()
            self._called = True
            out = self._device_call(x)
            from ._host import as_sparse

            return as_sparse(self, out) if self.sparse else out
        return super().__call__(*args, **kwargs)

    def _on_device_ok(self):
        """jax/torch integer arrays are looked up on their device in Array API code (so
        the layer traces under jax.jit / a compiled train step), except where the host
        is needed: invert, farmhash OOV buckets, num_oov_indices=0 (its error)."""
        return (not self.invert and self.num_oov_indices > 0 and
                (self.num_oov_indices == 1 or self.oov_method != "farmhash"))

    def _device_call(self, x):
        """Sorted vocabulary + ``searchsorted`` (Keras' hash-table lookup, same ids)."""
        from ...xp import asarray
        from .discretization import encode_categorical_xp

        xp = namespace(x)
        fw = framework_of(x)
        shape = tuple(x.shape)
        flat = xp.reshape(x, (-1,))
        keys = np.array(sorted(self._index), dtype=np.int64)
        idt = flat.dtype
        oov = self._oov_start_index()
        if self.num_oov_indices > 1:
            fill = flat % self.num_oov_indices + oov
        else:
            fill = xp.full(flat.shape, oov, dtype=idt)
        if keys.size:
            k = asarray(keys, framework=fw)
            k = xp.astype(k, idt)
            v = xp.astype(asarray(np.array([self._index[int(t)] for t in keys],
                                           dtype=np.int64), framework=fw), idt)
            pos = xp.clip(xp.searchsorted(k, flat), 0, keys.size - 1)
            pos = xp.astype(pos, idt)
            found = xp.take(k, pos) == flat
            ids = xp.where(found, xp.take(v, pos), fill)
        else:
            ids = fill
        if self.mask_token is not None:
            mval = 0 if self.output_mode == "int" else -1  # -1: encodes to zeros
            ids = xp.where(flat == int(self.mask_token), xp.full(flat.shape, mval, dtype=idt),
                           ids)
        ids = xp.reshape(ids, shape)
        if self.output_mode == "int":
            return ids
        if ids.ndim == 0:
            ids = xp.reshape(ids, (1,))
        depth = self._depth()
        if self.output_mode == "tf_idf":
            counts = encode_categorical_xp(xp, ids, "count", depth, dtype_obj(xp, ids, floatx()))
            idf = xp.astype(asarray(np.asarray(self.idf_weights, dtype=floatx()), framework=fw),
                            counts.dtype)
            return counts * idf
        return encode_categorical_xp(xp, ids, self.output_mode, depth, ids.dtype)

    def __init__(self, max_tokens=None, num_oov_indices=1, mask_token=None, oov_token=-1,
                 vocabulary=None, vocabulary_dtype="int64", idf_weights=None, invert=False,
                 output_mode="int", sparse=False, pad_to_max_tokens=False,
                 oov_method="floormod", salt=None, name=None, **kwargs):
        if max_tokens is not None and max_tokens <= 1:
            raise ValueError("If `max_tokens` is set for `IntegerLookup`, it must be greater "
                             f"than 1. Received: max_tokens={max_tokens}")
        if num_oov_indices < 0:
            raise ValueError("The value of `num_oov_indices` argument for `IntegerLookup` "
                             f"must >= 0. Received: num_oov_indices={num_oov_indices}")
        if vocabulary_dtype != "int64":
            raise ValueError("Only `vocabulary_dtype='int64'` is supported at this time. "
                             f"Received: vocabulary_dtype={vocabulary_dtype}")
        super().__init__(max_tokens=max_tokens, num_oov_indices=num_oov_indices,
                         mask_token=mask_token, oov_token=oov_token, vocabulary=vocabulary,
                         vocabulary_dtype=vocabulary_dtype, idf_weights=idf_weights,
                         invert=invert, output_mode=output_mode, sparse=sparse,
                         pad_to_max_tokens=pad_to_max_tokens, oov_method=oov_method,
                         salt=salt, name=name, **kwargs)

    def get_config(self):
        config = super().get_config()
        if config["oov_token"] is not None:
            config["oov_token"] = int(config["oov_token"])
        if config["mask_token"] is not None:
            config["mask_token"] = int(config["mask_token"])
        if config["vocabulary"] is not None:
            config["vocabulary"] = [int(v) for v in config["vocabulary"]]
        return config


__all__ = ["IndexLookup", "StringLookup", "IntegerLookup"]
