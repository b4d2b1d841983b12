"""Keras 3's TextVectorization: standardize, split, ngrams and a StringLookup, on the
host (``_host.py``); on tf.string inputs the callables and the built-in standardization
run as TensorFlow ops (what Keras runs) and the rest through ``tf.numpy_function``, so
the layer works inside ``tf.data.Dataset.map`` with a Keras-style
``custom_standardization`` written with ``tf.strings``."""

from __future__ import annotations

import re

import numpy as np

from ...utils.serialization import register
from ...xp import floatx, framework_of
from ._host import (HostLayer, adapt_batches, decode_strings, encode_categorical, tf_side,
                    to_host_value)
from .lookup import StringLookup, _listify

_PUNCT = re.compile(r"""[!"#$%&()*+,\-./:;<=>?@\[\\\]^_`{|}~']""")
_ASCII_LOWER = {c: c + 32 for c in range(65, 91)}
_WS = re.compile(r"[ \t\n\v\f\r]+")


def _serialize_callable(fn):
    from ...utils.serialization import serialize_keras_object

    return serialize_keras_object(fn)


def _to_token_rows(result, encoding):
    """A split callable's result on the host: a list of rows of str."""
    if framework_of(result) == "tensorflow" or hasattr(result, "to_list"):
        result = to_host_value(result)
    if isinstance(result, np.ndarray) and result.dtype != object or (
            isinstance(result, np.ndarray) and result.ndim == 2):
        return [list(decode_strings(r, encoding)) for r in result]
    return [[t.decode(encoding) if isinstance(t, bytes) else str(t) for t in r] for r in result]


@register
class TextVectorization(HostLayer):
    """Keras 3's ``TextVectorization``: strings to token indices (``"int"``, padded or
    ``ragged``) or to multi_hot / count / tf_idf vectors. ``standardize`` and ``split``
    take Keras' names or callables (on NumPy data a callable receives a NumPy array of
    str and may return NumPy or tf values; on tf data it receives tf.string tensors, as
    in Keras); ``ngrams``; ``adapt`` from arrays, lists, tf.data and generators;
    ``vocabulary`` as a list or a local file path."""

    def __init__(self, max_tokens=None, standardize="lower_and_strip_punctuation",
                 split="whitespace", ngrams=None, output_mode="int",
                 output_sequence_length=None, pad_to_max_tokens=False, vocabulary=None,
                 idf_weights=None, sparse=False, ragged=False, encoding="utf-8", name=None,
                 **kwargs):
        if not (standardize is None or callable(standardize) or standardize in (
                "lower_and_strip_punctuation", "lower", "strip_punctuation")):
            raise ValueError("Invalid value for argument `standardize` of TextVectorization: "
                             "expected one of ('lower_and_strip_punctuation', 'lower', "
                             f"'strip_punctuation'), None or a callable; received {standardize!r}")
        if not (split is None or callable(split) or split in ("whitespace", "character")):
            raise ValueError("Invalid value for argument `split` of TextVectorization: "
                             "expected one of ('whitespace', 'character'), None or a callable; "
                             f"received {split!r}")
        if output_mode == "binary":
            output_mode = "multi_hot"
        if output_mode == "tf-idf":
            output_mode = "tf_idf"
        modes = ("int", "one_hot", "multi_hot", "count", "tf_idf")
        if output_mode not in modes:
            raise ValueError("Invalid value for argument `output_mode` of TextVectorization: "
                             f"expected one of {modes}; received output_mode={output_mode!r}")
        if not (ngrams is None or isinstance(ngrams, int) or (
                isinstance(ngrams, tuple) and all(isinstance(i, int) for i in ngrams))):
            raise ValueError("`ngrams` must be None, an integer, or a tuple of integers. "
                             f"Received: ngrams={ngrams}")
        if output_mode == "int" and not (isinstance(output_sequence_length, int)
                                         or output_sequence_length is None):
            raise ValueError("`output_sequence_length` must be either None or an integer when "
                             f"`output_mode` is 'int'. Received: "
                             f"output_sequence_length={output_sequence_length}")
        if output_mode != "int" and output_sequence_length is not None:
            raise ValueError("`output_sequence_length` must not be set if `output_mode` is not "
                             f"'int'. Received output_sequence_length={output_sequence_length}.")
        if ragged and output_mode != "int":
            raise ValueError("`ragged` must not be true if `output_mode` is `'int'`. "
                             f"Received: ragged={ragged} and output_mode={output_mode}")
        self._has_input_vocabulary = kwargs.pop("has_input_vocabulary",
                                                vocabulary is not None)
        vocabulary_size = kwargs.pop("vocabulary_size", None)
        super().__init__(name=name, **kwargs)
        self._max_tokens = max_tokens
        self._standardize = standardize
        self._split = split
        self._ngrams_arg = ngrams
        self._ngrams = tuple(range(1, ngrams + 1)) if isinstance(ngrams, int) else ngrams
        self._ragged = ragged
        self.sparse = sparse
        self._output_mode = output_mode
        self.output_mode = output_mode
        self._output_sequence_length = output_sequence_length
        self._encoding = encoding
        self.encoding = encoding
        self._lookup_layer = StringLookup(
            max_tokens=max_tokens, vocabulary=vocabulary, idf_weights=idf_weights,
            pad_to_max_tokens=pad_to_max_tokens, mask_token="", output_mode=output_mode,
            sparse=sparse, has_input_vocabulary=self._has_input_vocabulary,
            encoding=encoding, vocabulary_size=vocabulary_size)

    # ------------------------------------------------------------------ vocabulary
    def get_vocabulary(self, include_special_tokens=True):
        return self._lookup_layer.get_vocabulary(include_special_tokens)

    def vocabulary_size(self):
        return self._lookup_layer.vocabulary_size()

    def set_vocabulary(self, vocabulary, idf_weights=None):
        self._lookup_layer.set_vocabulary(vocabulary, idf_weights=idf_weights)

    # ------------------------------------------------------------------ host steps
    def _standardize_host(self, a):
        """``a``: object array of str."""
        std = self._standardize
        if std is None:
            return a
        if callable(std):
            res = std(a)
            res = to_host_value(res)
            return decode_strings(np.asarray(res), self._encoding)
        out = np.empty(a.shape, dtype=object)
        flat, res = a.reshape(-1), out.reshape(-1)
        lower = std in ("lower", "lower_and_strip_punctuation")
        strip = std in ("strip_punctuation", "lower_and_strip_punctuation")
        for i, s in enumerate(flat):
            if lower:
                s = s.translate(_ASCII_LOWER)
            if strip:
                s = _PUNCT.sub("", s)
            res[i] = s
        return out

    def _split_rows(self, a):
        """Standardized strings -> list of token rows (split is not None)."""
        if a.ndim > 1:
            if a.shape[-1] != 1:
                raise ValueError("When using `TextVectorization` to tokenize strings, the input "
                                 "rank must be 1 or the last shape dimension must be 1. "
                                 f"Received: inputs.shape={a.shape} with rank={a.ndim}")
            a = a[..., 0]
        if callable(self._split):
            return _to_token_rows(self._split(a), self._encoding)
        if self._split == "whitespace":
            return [[t for t in _WS.split(s) if t] for s in a.reshape(-1)]
        return [list(s) for s in a.reshape(-1)]

    def _ngram_rows(self, rows):
        if self._ngrams is None:
            return rows
        out = []
        for r in rows:
            grams = []
            for w in self._ngrams:
                grams.extend(" ".join(r[i:i + w]) for i in range(len(r) - w + 1))
            out.append(grams)
        return out

    def _tokens(self, a):
        """Host strings -> (rows of tokens, or a dense array of tokens when split=None)."""
        a = self._standardize_host(a)
        if self._split is None:
            if self._ngrams is not None:
                if a.ndim == 1:
                    a = a[:, None]
                return self._ngram_rows([list(r) for r in a]), None
            return None, a
        return self._ngram_rows(self._split_rows(a)), None

    def _encode_rows(self, rows, dense):
        lk = self._lookup_layer
        lk._ensure_known_vocab_size()
        lk._called = True
        if dense is not None:
            ids = lk.lookup_ids(list(dense.reshape(-1))).reshape(dense.shape)
            if self._output_mode == "int":
                L = self._output_sequence_length
                if L is not None and ids.ndim >= 1:
                    ids = ids[..., :L]
                    if ids.shape[-1] < L:
                        pad = [(0, 0)] * (ids.ndim - 1) + [(0, L - ids.shape[-1])]
                        ids = np.pad(ids, pad)
                return ids, None
            return self._mode_output(ids), None
        flat = [t for r in rows for t in r]
        lengths = np.array([len(r) for r in rows], dtype=np.int64)
        ids = lk.lookup_ids(flat)
        if self._output_mode == "int":
            if self._ragged:
                if self._output_sequence_length is not None:
                    L = self._output_sequence_length
                    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
                    keep = np.concatenate([np.arange(s, s + min(n, L)) for s, n in
                                           zip(starts, lengths)]) if len(lengths) else \
                        np.zeros(0, np.int64)
                    ids = ids[keep.astype(np.int64)]
                    lengths = np.minimum(lengths, L)
                return ids, lengths
            width = self._output_sequence_length
            if width is None:
                width = int(lengths.max()) if lengths.size else 0
            out = np.zeros((len(rows), width), dtype=np.int64)
            pos = 0
            for i, n in enumerate(lengths):
                k = min(int(n), width)
                out[i, :k] = ids[pos:pos + k]
                pos += int(n)
            return out, None
        if self._output_mode == "one_hot":
            raise ValueError(f'TextVectorization "{self.name}": output_mode="one_hot" needs '
                             "one token per input (split=None and inputs of shape (batch, 1)); "
                             "use multi_hot or count for split text")
        row_idx = np.repeat(np.arange(len(rows)), lengths)
        depth = lk._depth()
        valid = (ids >= 0) & (ids < depth)
        acc = np.zeros((len(rows), depth), dtype=np.float64)
        if self._output_mode == "multi_hot":
            acc[row_idx[valid], ids[valid]] = 1
        else:
            np.add.at(acc, (row_idx[valid], ids[valid]), 1)
        return self._finish_mode(acc), None

    def _mode_output(self, ids):
        lk = self._lookup_layer
        if self._output_mode == "tf_idf":
            counts = encode_categorical(ids, "count", lk._depth(), np.float64)
            return (counts * np.asarray(lk.idf_weights, np.float64)).astype(floatx())
        return encode_categorical(ids, self._output_mode, lk._depth(), np.int64)

    def _finish_mode(self, acc):
        lk = self._lookup_layer
        if self._output_mode == "tf_idf":
            return (acc * np.asarray(lk.idf_weights, np.float64)).astype(floatx())
        return acc.astype(np.int64)

    def _host(self, a):
        scalar = a.ndim == 0
        if scalar:
            a = a[None]
        rows, dense = self._tokens(a)
        out, lengths = self._encode_rows(rows, dense)
        if scalar and lengths is None and self._output_mode == "int":
            out = out[0]
        if lengths is not None:
            return out, lengths
        return (out,)

    def _to_host_inputs(self, inputs):
        from ._host import host_array

        return (host_array(inputs, "string", self._encoding),)

    def _deliver(self, outs, target):
        if len(outs) == 2:
            raise ValueError(f'TextVectorization "{self.name}": ragged=True returns a '
                             "tf.RaggedTensor and needs tf.string inputs (a tf.Tensor or a "
                             "tf.data pipeline); received host data")
        return super()._deliver(outs, target)

    # ------------------------------------------------------------------ TensorFlow inputs
    def _tf_standardize(self, x):
        """The standardization on tf.string tensors, as TF ops (what Keras runs)."""
        std = self._standardize
        if callable(std):
            return std(x)
        if std is None:
            return x
        return tf_side().standardize(
            x, std in ("lower", "lower_and_strip_punctuation"),
            std in ("strip_punctuation", "lower_and_strip_punctuation"))

    def _tf_call(self, inputs):
        tfm = tf_side()
        x = self._tf_standardize(inputs)
        batch = x.shape[0] if len(x.shape) else None
        if callable(self._split):
            if len(x.shape) > 1:
                if x.shape[-1] != 1:
                    raise ValueError("When using `TextVectorization` to tokenize strings, the "
                                     "input rank must be 1 or the last shape dimension must be "
                                     f"1. Received: inputs.shape={x.shape}")
                x = tfm.squeeze_last(x)
            toks = self._split(x)
            if tfm.is_ragged(toks):
                values, lens = tfm.ragged_parts(toks)
                fn, args = self._host_from_ragged, [values, lens[0]]
            else:
                fn, args = self._host_from_dense_tokens, [toks]
        else:
            fn, args = self._host_from_standardized, [x]
        shape = self._static_out_shape(batch)
        if self._ragged:
            values, lengths = tfm.host_call(fn, args, ("int64", "int64"), [(None,), (batch,)])
            return tfm.ragged_from_row_lengths(values, lengths)
        dtype = "int64" if self._output_mode in ("int", "one_hot", "multi_hot", "count") \
            else floatx()
        return tfm.host_call(fn, args, (dtype,), [shape])[0]

    def _static_out_shape(self, batch):
        if self._output_mode == "int":
            if self._split is None:
                return None
            return (batch, self._output_sequence_length)
        return (batch, self._lookup_layer._depth())

    def _host_from_standardized(self, a):
        a = decode_strings(np.asarray(a), self._encoding)
        saved, self._standardize = self._standardize, None
        try:
            return self._host(a)
        finally:
            self._standardize = saved

    def _host_from_ragged(self, values, lengths):
        values = list(decode_strings(np.asarray(values), self._encoding))
        rows, pos = [], 0
        for n in np.asarray(lengths):
            rows.append(values[pos:pos + int(n)])
            pos += int(n)
        out, lens = self._encode_rows(self._ngram_rows(rows), None)
        return (out,) if lens is None else (out, lens)

    def _host_from_dense_tokens(self, toks):
        toks = decode_strings(np.asarray(toks), self._encoding)
        rows = [list(r) for r in toks.reshape(toks.shape[0], -1)]
        out, lens = self._encode_rows(self._ngram_rows(rows), None)
        return (out,) if lens is None else (out, lens)

    # ------------------------------------------------------------------ adapt
    def _host_token_rows(self, batch):
        batch = to_host_value(batch)
        if framework_of(batch) is None or not hasattr(batch, "dtype"):
            batch = np.asarray(batch, dtype=object)
        a = decode_strings(np.asarray(batch), self._encoding)
        if a.ndim == 0:
            a = a[None]
        rows, dense = self._tokens(a)
        if dense is not None:
            d = dense if dense.ndim > 1 else dense[:, None]
            rows = [list(r.reshape(-1)) for r in d]
        return rows

    def update_state(self, data):
        lk = self._lookup_layer
        if lk._has_input_vocabulary:
            raise ValueError(f"Cannot adapt layer '{self.name}' after setting a static "
                             "vocabulary via `vocabulary` argument or `set_vocabulary()` "
                             "method.")
        fw = framework_of(data)
        if fw == "tensorflow" and (callable(self._standardize) or callable(self._split)):
            rows = self._tf_token_rows(data)
        else:
            rows = self._host_token_rows(data)
        lk._update_from_tokens([t for r in rows for t in r], rows)

    def _tf_token_rows(self, data):
        tfm = tf_side()
        x = self._tf_standardize(data)
        if self._split is None:
            return self._host_token_rows(x)
        if len(x.shape) > 1:
            x = tfm.squeeze_last(x)
        if callable(self._split):
            toks = to_host_value(self._split(x))
            return self._ngram_rows(_to_token_rows(toks, self._encoding))
        saved, self._standardize = self._standardize, None
        try:
            return self._host_token_rows(x)
        finally:
            self._standardize = saved

    def reset_state(self):
        self._lookup_layer.reset_state()

    def finalize_state(self):
        self._lookup_layer.finalize_state()

    def adapt(self, data, batch_size=None, steps=None):
        """Learn the vocabulary (and document frequencies for tf_idf) from ``data``: an
        array or list of strings, a tf.data.Dataset, a generator or any iterable of
        batches."""
        self.reset_state()
        if isinstance(data, (list, tuple, np.ndarray, str)) or (
                framework_of(data) is not None and not hasattr(data, "element_spec")):
            self.update_state(data)
        else:
            for batch in adapt_batches(data, steps, self.name):
                self.update_state(batch)
        self.finalize_state()

    # ------------------------------------------------------------------ shapes, config
    def _out_dtypes(self):
        return ("int64",) if self._output_mode in ("int", "one_hot", "multi_hot", "count") \
            else (floatx(),)

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        if self._output_mode == "int":
            if self._split is None:
                if self._output_sequence_length is not None and len(input_shape) > 1:
                    return input_shape[:-1] + (self._output_sequence_length,)
                return input_shape
            return (input_shape[0] if input_shape else None, self._output_sequence_length)
        return (input_shape[0] if input_shape else None, self._lookup_layer._depth())

    def get_config(self):
        lk = self._lookup_layer
        vocabulary = _listify(lk.input_vocabulary)
        idf = _listify(lk.input_idf_weights)
        if vocabulary is None and lk._tokens:
            vocabulary, idf = lk._learned_config()
        std = self._standardize if not callable(self._standardize) else \
            _serialize_callable(self._standardize)
        split = self._split if not callable(self._split) else _serialize_callable(self._split)
        config = super().get_config()
        config.update({
            "max_tokens": lk.max_tokens, "standardize": std, "split": split,
            "ngrams": self._ngrams_arg, "output_mode": self._output_mode,
            "output_sequence_length": self._output_sequence_length,
            "pad_to_max_tokens": lk.pad_to_max_tokens, "sparse": lk.sparse,
            "ragged": self._ragged, "vocabulary": vocabulary, "idf_weights": idf,
            "encoding": self._encoding, "vocabulary_size": self.vocabulary_size(),
        })
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from ...utils.serialization import deserialize_keras_object

        config = dict(config)
        for key in ("standardize", "split"):
            if config.get(key) is not None and not isinstance(config[key], str):
                config[key] = deserialize_keras_object(config[key],
                                                       custom_objects=custom_objects)
        if isinstance(config.get("ngrams"), list):
            config["ngrams"] = tuple(config["ngrams"])
        return cls(**config)

    def get_build_config(self):
        return {}

    def save_own_variables(self, store):
        self._lookup_layer.save_own_variables(store)

    def load_own_variables(self, store):
        self._lookup_layer.load_own_variables(store)

    def save_assets(self, dir_path):
        self._lookup_layer.save_assets(dir_path)

    def load_assets(self, dir_path):
        self._lookup_layer.load_assets(dir_path)


__all__ = ["TextVectorization"]
