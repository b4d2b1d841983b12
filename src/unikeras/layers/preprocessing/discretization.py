"""Keras 3's Discretization: numbers to bucket indices, written once (Array API
``searchsorted``), so it runs on every framework, under jit, and inside
``tf.data.Dataset.map`` on TensorFlow tensors. ``adapt`` learns quantile boundaries
with Keras' approximate quantile summaries (``epsilon``), on the host."""

from __future__ import annotations

import numpy as np

from ...utils.serialization import register
from ...xp import framework_of, namespace, standardize_dtype, to_numpy
from ..layer import Layer
from ..normalization import dtype_obj
from ._host import adapt_batches, as_sparse, categorical_output_shape


def encode_categorical_xp(xp, ids, output_mode, depth, dtype):
    """Keras' ``encode_categorical_inputs`` in Array API code: ids outside
    ``[0, depth)`` give zeros; multi_hot / count reduce axis 1 (axis 0 for rank 1)."""
    if output_mode == "int":
        return xp.astype(ids, dtype)
    if ids.ndim == 0:
        ids = xp.reshape(ids, (1,))
    if output_mode == "one_hot" and ids.ndim > 1 and ids.shape[-1] == 1:
        ids = xp.reshape(ids, tuple(ids.shape[:-1]))
    tokens = xp.arange(depth, dtype=ids.dtype)
    oh = xp.astype(xp.expand_dims(ids, axis=-1) == tokens, dtype)
    if output_mode == "one_hot":
        return oh
    axis = 1 if ids.ndim > 1 else 0
    if output_mode == "multi_hot":
        return xp.max(oh, axis=axis)
    return xp.sum(oh, axis=axis, dtype=dtype)


# Keras' approximate quantiles (facts of keras.layers.Discretization.adapt)
def _summarize(values, epsilon):
    values = np.sort(np.reshape(values, [-1]))
    elements = np.size(values)
    step = max(elements / (1.0 / epsilon), 1)
    boundaries = values[int(step - 1)::int(step)]
    return np.stack([boundaries, np.ones_like(boundaries) * step])


def _compress(summary, epsilon):
    if summary.shape[1] * epsilon < 1:
        return summary
    percents = epsilon + np.arange(0.0, 1.0, epsilon)
    cum_weights = summary[1].cumsum()
    cum_pct = cum_weights / cum_weights[-1]
    new_bins = np.interp(percents, cum_pct, summary[0])
    cum_weights = np.interp(percents, cum_pct, cum_weights)
    new_weights = cum_weights - np.concatenate((np.array([0]), cum_weights[:-1]))
    return np.stack((new_bins, new_weights)).astype("float32")


def _merge(prev, nxt, epsilon):
    merged = np.concatenate((prev, nxt), axis=1)
    merged = np.take(merged, np.argsort(merged[0]), axis=1)
    return _compress(merged, epsilon)


@register
class Discretization(Layer):
    """Keras 3's ``Discretization(bin_boundaries=None, num_bins=None, epsilon=0.01,
    output_mode="int", sparse=False)``: the index of the bin each value falls in
    (``bins[i-1] <= x < bins[i]``), or one_hot / multi_hot / count vectors of it.
    ``adapt(data)`` (array, list, tf.data, generator) learns ``num_bins`` quantile bins."""

    def __init__(self, bin_boundaries=None, num_bins=None, epsilon=0.01, output_mode="int",
                 sparse=False, dtype=None, name=None):
        super().__init__(name=name, dtype=dtype, autocast=False)
        if sparse and output_mode == "int":
            raise ValueError("`sparse=True` may only be used if `output_mode` is `'one_hot'`, "
                             f"`'multi_hot'`, or `'count'`. Received: sparse={sparse} and "
                             f"output_mode={output_mode}")
        modes = ("int", "one_hot", "multi_hot", "count")
        if output_mode not in modes:
            raise ValueError(f"Invalid value for argument `output_mode` of Discretization: "
                             f"expected one of {modes}; received output_mode={output_mode!r}")
        if num_bins is not None and num_bins < 0:
            raise ValueError("`num_bins` must be greater than or equal to 0. Received: "
                             f"`num_bins={num_bins}`")
        if num_bins is not None and bin_boundaries is not None:
            raise ValueError("Both `num_bins` and `bin_boundaries` should not be set. "
                             f"Received: `num_bins={num_bins}` and "
                             f"`bin_boundaries={bin_boundaries}`")
        if num_bins is None and bin_boundaries is None:
            raise ValueError("You need to set either `num_bins` or `bin_boundaries`.")
        self.bin_boundaries = (None if bin_boundaries is None else
                               [float(b) for b in np.asarray(bin_boundaries).reshape(-1)])
        self.num_bins = num_bins
        self.epsilon = epsilon
        self.output_mode = output_mode
        self.sparse = sparse
        self.summary = None if self.bin_boundaries else np.array([[], []], dtype="float32")
        self.built = True

    @property
    def output_dtype(self):
        return self.compute_dtype if self.output_mode != "int" else "int32"

    def build(self, input_shape=None):
        self.built = True

    # ------------------------------------------------------------------ adapt
    def adapt(self, data, steps=None):
        if self.num_bins is None:
            raise ValueError("Cannot adapt a Discretization layer that has been initialized "
                             "with `bin_boundaries`, use `num_bins` instead.")
        self.reset_state()
        if isinstance(data, (list, tuple)):  # Keras iterates lists: each item a batch
            data = iter(data)
        for batch in adapt_batches(data, steps, self.name):
            self.update_state(batch)
        self.finalize_state()

    def update_state(self, data):
        if framework_of(data) not in (None, "numpy"):
            data = to_numpy(data)
        data = np.array(data).astype("float32")
        self.summary = _merge(_summarize(data, self.epsilon), self.summary, self.epsilon)

    def finalize_state(self):
        if self.num_bins is None:
            return
        self.bin_boundaries = _compress(self.summary, 1.0 / self.num_bins)[0, :-1].tolist()

    def reset_state(self):
        if self.num_bins is None:
            return
        self.summary = np.array([[], []], dtype="float32")

    # ------------------------------------------------------------------ call
    def call(self, inputs):
        if self.bin_boundaries is None:
            raise ValueError("You need to either pass the `bin_boundaries` argument at "
                             "construction time or call `adapt(dataset)` before you can start "
                             "using the `Discretization` layer.")
        xp = namespace(inputs)
        x = inputs
        in_dt = standardize_dtype(x.dtype)
        if not in_dt.startswith("float") and in_dt != "bfloat16":
            x = xp.astype(x, dtype_obj(xp, x, "float32"))
            in_dt = "float32"
        bins = xp.asarray(np.asarray(self.bin_boundaries, dtype=in_dt if in_dt != "bfloat16"
                                     else "float32"))
        if standardize_dtype(bins.dtype) != in_dt:
            bins = xp.astype(bins, x.dtype)
        idx = xp.searchsorted(bins, x, side="right") if x.ndim else \
            xp.reshape(xp.searchsorted(bins, xp.reshape(x, (1,)), side="right"), ())
        ids = xp.astype(idx, dtype_obj(xp, x, "int32"))
        depth = len(self.bin_boundaries) + 1
        out = encode_categorical_xp(xp, ids, self.output_mode, depth,
                                    dtype_obj(xp, x, self.output_dtype))
        return as_sparse(self, out) if self.sparse else out

    def compute_output_shape(self, input_shape):
        if self.output_mode == "int":
            return tuple(input_shape)
        depth = (len(self.bin_boundaries) + 1 if self.bin_boundaries is not None
                 else self.num_bins)
        return categorical_output_shape(input_shape, self.output_mode, depth)

    def compute_output_spec(self, inputs):
        from ..symbolic import KerasTensor

        return KerasTensor(self.compute_output_shape(inputs.shape), dtype=self.output_dtype)

    def get_config(self):
        return {"bin_boundaries": self.bin_boundaries, "num_bins": self.num_bins,
                "epsilon": self.epsilon, "output_mode": self.output_mode,
                "sparse": self.sparse, "name": self.name, "dtype": self.dtype_policy.name}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        if config.get("bin_boundaries") is not None and config.get("num_bins") is not None:
            bins = config.pop("bin_boundaries")
            layer = cls(**config)
            layer.bin_boundaries = bins
            return layer
        return cls(**config)

    def get_build_config(self):
        return {}


__all__ = ["Discretization"]
