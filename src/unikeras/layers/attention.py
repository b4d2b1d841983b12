"""Attention layers, written once: ``Attention`` (Luong), ``AdditiveAttention``
(Bahdanau) and ``MultiHeadAttention`` with Keras 3's weight layout.

``MultiHeadAttention`` keeps Keras' sublayers ``query`` / ``key`` / ``value`` /
``attention_output`` (``_query_dense`` ...), each with a ``kernel`` shaped like Keras'
EinsumDense kernels, ``(dim, num_heads, key_dim)`` for the projections and
``(num_heads, value_dim, *output_shape)`` for the output, so
``set_weights(keras_layer.get_weights())`` gives the same outputs.
"""

from __future__ import annotations

import math

import numpy as np

from .. import constraints, initializers, nn_ops, regularizers
from ..state import SeedGenerator
from ..utils.serialization import register, serialize_simple
from ..xp import namespace, standardize_dtype
from ..xp import random as _random
from .layer import Layer

__all__ = ["Attention", "AdditiveAttention", "MultiHeadAttention", "GroupedQueryAttention",
           "GroupQueryAttention"]


def _large_negative(dtype):
    return -3e4 if standardize_dtype(dtype) == "float16" else -1e9


def _as_bool(xp, m):
    if m is None or m.dtype == xp.bool:
        return m
    return xp.astype(m, xp.bool)


def _causal(xp, tq, tk):
    """Keras' causal mask: True where row index >= column index, shape (1, tq, tk)."""
    rows = xp.arange(tq)[:, None]
    cols = xp.arange(tk)[None, :]
    return (rows >= cols)[None, ...]


# --------------------------------------------------------------------------- Attention
class _BaseDenseAttention(Layer):
    """Common call logic of ``Attention`` and ``AdditiveAttention``."""

    def __init__(self, dropout=0.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.dropout = float(dropout)
        self.seed = seed
        if self.dropout > 0:
            self.seed_generator = SeedGenerator(seed)
        self.supports_masking = True

    def _validate(self, inputs, mask=None):
        name = type(self).__name__
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(f"{name} layer must be called on a list of inputs, namely "
                             f"[query, value] or [query, value, key]; received {inputs!r}")
        if not 2 <= len(inputs) <= 3:
            raise ValueError(f"{name} layer accepts inputs lists of length 2 or 3, namely "
                             "[query, value] or [query, value, key]; received length "
                             f"{len(inputs)}")
        if mask is not None:
            if not isinstance(mask, (list, tuple)):
                raise ValueError(f"{name} layer mask must be a list, namely [query_mask, "
                                 f"value_mask]; received mask={mask!r}")
            if not 2 <= len(mask) <= 3:
                raise ValueError(f"{name} layer accepts mask lists of length 2 or 3; "
                                 f"received length {len(mask)}")

    def build(self, input_shape):
        self._validate(input_shape)
        self.built = True

    def call(self, inputs, mask=None, training=False, return_attention_scores=False,
             use_causal_mask=False):
        self._validate(inputs, mask)
        q, v = inputs[0], inputs[1]
        k = inputs[2] if len(inputs) > 2 else v
        xp = namespace(q, v, k)
        q_mask = mask[0] if mask else None
        v_mask = mask[1] if mask else None
        scores = self._calculate_scores(xp, q, k)
        v_mask = _as_bool(xp, v_mask)
        if v_mask is not None:
            v_mask = v_mask[..., None, :]  # (batch, 1, Tv)
        if use_causal_mask:
            causal = _causal(xp, scores.shape[-2], scores.shape[-1])
            v_mask = causal if v_mask is None else (v_mask & causal)
        if v_mask is not None:
            # Keras subtracts a large value from masked scores (65504 in float16).
            big = 65504.0 if standardize_dtype(scores.dtype) == "float16" else 1.0e9
            scores = xp.where(v_mask, scores, scores - big)
        weights = nn_ops.softmax(scores, axis=-1)
        if training and self.dropout > 0:
            weights_d = _random.dropout(weights, self.dropout, seed=self.seed_generator)
        else:
            weights_d = weights
        out = weights_d @ v
        if q_mask is not None:
            q_mask = _as_bool(xp, q_mask)
            out = xp.where(q_mask[..., None], out, xp.zeros_like(out))
        if return_attention_scores:
            return out, weights
        return out

    def compute_mask(self, inputs, mask=None):
        if mask is None or mask[0] is None:
            return None
        return mask[0]

    def compute_output_shape(self, input_shape):
        return (*input_shape[0][:-1], input_shape[1][-1])

    def compute_output_spec(self, inputs, mask=None, return_attention_scores=False,
                            training=None, use_causal_mask=False):
        from .symbolic import KerasTensor

        self._validate(inputs, mask)
        q, v = inputs[0], inputs[1]
        k = inputs[2] if len(inputs) > 2 else v
        out = KerasTensor((*q.shape[:-1], v.shape[-1]), self.compute_dtype)
        if return_attention_scores:
            return out, KerasTensor((*q.shape[:-1], k.shape[-2]), self.compute_dtype)
        return out

    def get_config(self):
        config = super().get_config()
        config.update({"dropout": self.dropout, "seed": self.seed})
        return config


@register
class Attention(_BaseDenseAttention):
    """Keras' ``Attention(use_scale=False, score_mode="dot", dropout=0.0, seed=None)``:
    dot-product (Luong) attention. ``call([query, value(, key)], mask=None,
    training=False, return_attention_scores=False, use_causal_mask=False)``.
    Weights: ``scale`` (with ``use_scale``) and ``concat_score_weight`` (with
    ``score_mode="concat"``), both scalars."""

    def __init__(self, use_scale=False, score_mode="dot", dropout=0.0, seed=None, **kwargs):
        super().__init__(dropout=dropout, seed=seed, **kwargs)
        if score_mode not in ("dot", "concat"):
            raise ValueError("Attention: invalid value for argument score_mode; expected "
                             f"one of {{'dot', 'concat'}}, received score_mode={score_mode!r}")
        self.use_scale = use_scale
        self.score_mode = score_mode

    def build(self, input_shape):
        self._validate(input_shape)
        self.scale = None
        self.concat_score_weight = None
        if self.use_scale:
            self.scale = self.add_weight(name="scale", shape=(), initializer="ones")
        if self.score_mode == "concat":
            self.concat_score_weight = self.add_weight(name="concat_score_weight", shape=(),
                                                       initializer="ones")
        self.built = True

    def _calculate_scores(self, xp, query, key):
        if self.score_mode == "dot":
            scores = query @ xp.matrix_transpose(key)
            if self.scale is not None:
                scores = scores * self.scale
            return scores
        q = query[..., :, None, :]
        k = key[..., None, :, :]
        s = q + k
        if self.scale is not None:
            s = self.scale * s
        return self.concat_score_weight * xp.sum(nn_ops.tanh(s), axis=-1)

    def get_config(self):
        config = super().get_config()
        config.update({"use_scale": self.use_scale, "score_mode": self.score_mode})
        return config


@register
class AdditiveAttention(_BaseDenseAttention):
    """Keras' ``AdditiveAttention(use_scale=True, dropout=0.0)``: Bahdanau attention,
    ``scores = sum(scale * tanh(query + key), axis=-1)``; weight ``scale`` of shape
    (dim,) with ``use_scale``."""

    def __init__(self, use_scale=True, dropout=0.0, **kwargs):
        super().__init__(dropout=dropout, **kwargs)
        self.use_scale = use_scale

    def build(self, input_shape):
        self._validate(input_shape)
        dim = input_shape[0][-1]
        self.scale = None
        if self.use_scale:
            self.scale = self.add_weight(name="scale", shape=(dim,),
                                         initializer="glorot_uniform")
        self.built = True

    def _calculate_scores(self, xp, query, key):
        s = nn_ops.tanh(query[..., :, None, :] + key[..., None, :, :])
        if self.scale is not None:
            s = self.scale * s
        return xp.sum(s, axis=-1)

    def get_config(self):
        config = super().get_config()
        config["use_scale"] = self.use_scale
        return config


# --------------------------------------------------------------------------- MHA
class _Projection(Layer):
    """A dense projection with Keras' EinsumDense weight layout: contracts the last
    ``bound_dims`` axes of the input with the first ones of ``kernel`` (shape
    ``bound_shape + output_shape``) and adds ``bias`` (shape ``output_shape``)."""

    def __init__(self, output_shape, bound_dims, use_bias, kernel_initializer,
                 bias_initializer, kernel_regularizer, bias_regularizer, kernel_constraint,
                 bias_constraint, activity_regularizer=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.out_shape = tuple(int(d) for d in output_shape)
        self.bound_dims = bound_dims
        self.use_bias = use_bias
        self.kernel_initializer = kernel_initializer
        self.bias_initializer = bias_initializer
        self.kernel_regularizer = kernel_regularizer
        self.bias_regularizer = bias_regularizer
        self.kernel_constraint = kernel_constraint
        self.bias_constraint = bias_constraint

    def build(self, input_shape):
        bound = tuple(input_shape[-self.bound_dims:])
        if any(d is None for d in bound):
            raise ValueError(f'MultiHeadAttention projection "{self.name}": the last '
                             f"{self.bound_dims} input dimension(s) must be known; received "
                             f"input_shape={tuple(input_shape)}")
        self.kernel = self.add_weight(shape=bound + self.out_shape, name="kernel",
                                      initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        if self.use_bias:
            self.bias = self.add_weight(shape=self.out_shape, name="bias",
                                        initializer=self.bias_initializer,
                                        regularizer=self.bias_regularizer,
                                        constraint=self.bias_constraint)
        else:
            self.bias = None
        self.built = True

    def call(self, x):
        xp = namespace(x)
        y = xp.tensordot(x, self.kernel, axes=self.bound_dims)
        if self.bias is not None:
            y = y + self.bias
        return y

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-self.bound_dims]) + self.out_shape


@register
class MultiHeadAttention(Layer):
    """Keras' ``MultiHeadAttention(num_heads, key_dim, value_dim=None, dropout=0.0,
    use_bias=True, output_shape=None, attention_axes=None, kernel_initializer=
    "glorot_uniform", bias_initializer="zeros", kernel_regularizer=None,
    bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
    bias_constraint=None, seed=None)``.

    ``call(query, value, key=None, query_mask=None, value_mask=None, key_mask=None,
    attention_mask=None, return_attention_scores=False, training=None,
    use_causal_mask=False)``; ``mask=[query_mask, value_mask(, key_mask)]`` is what
    Sequential / Functional models pass from masking layers. Attention scores have
    Keras' shape ``(batch, num_heads, Tq, Tv)`` (more axes with ``attention_axes``).
    """

    def __init__(self, num_heads, key_dim, value_dim=None, dropout=0.0, use_bias=True,
                 output_shape=None, attention_axes=None, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
                 seed=None, **kwargs):
        flash_attention = kwargs.pop("flash_attention", None)
        for k in ("use_gate", "sliding_window"):
            v = kwargs.pop(k, None)
            if v:
                raise ValueError(f"MultiHeadAttention: {k}={v!r} is not supported by "
                                 "unikeras yet")
        if not isinstance(num_heads, (int, np.integer)) or num_heads <= 0:
            raise ValueError("MultiHeadAttention: invalid value for argument `num_heads`, "
                             f"expected a positive integer; received num_heads={num_heads!r}")
        if not isinstance(key_dim, (int, np.integer)) or key_dim <= 0:
            raise ValueError("MultiHeadAttention: invalid value for argument `key_dim`, "
                             f"expected a positive integer; received key_dim={key_dim!r}")
        if value_dim is not None and (not isinstance(value_dim, (int, np.integer))
                                      or value_dim <= 0):
            raise ValueError("MultiHeadAttention: invalid value for argument `value_dim`, "
                             "expected a positive integer or None; received "
                             f"value_dim={value_dim!r}")
        super().__init__(**kwargs)
        self.supports_masking = True
        self._num_heads = int(num_heads)
        self._key_dim = int(key_dim)
        self._value_dim = int(value_dim) if value_dim else int(key_dim)
        self._dropout = float(dropout)
        self._use_bias = use_bias
        if output_shape:
            if isinstance(output_shape, (int, np.integer)):
                output_shape = (int(output_shape),)
            try:
                output_shape = tuple(int(d) for d in output_shape)
            except TypeError:
                raise ValueError("MultiHeadAttention: `output_shape` must be an int, tuple or "
                                 f"list; received {output_shape!r}") from None
        self._output_shape = output_shape or None
        self._kernel_initializer = initializers.get(kernel_initializer)
        self._bias_initializer = initializers.get(bias_initializer)
        self._kernel_regularizer = regularizers.get(kernel_regularizer)
        self._bias_regularizer = regularizers.get(bias_regularizer)
        self._activity_regularizer = regularizers.get(activity_regularizer)
        self._kernel_constraint = constraints.get(kernel_constraint)
        self._bias_constraint = constraints.get(bias_constraint)
        if isinstance(attention_axes, (int, np.integer)):
            attention_axes = (int(attention_axes),)
        elif attention_axes is not None and not isinstance(attention_axes, (list, tuple)):
            raise ValueError("MultiHeadAttention: `attention_axes` must be an int, list or "
                             f"tuple; received attention_axes={attention_axes!r}")
        self._attention_axes = None if attention_axes is None else tuple(attention_axes)
        self._init_attention_axes = self._attention_axes
        self.seed = seed
        if self._dropout > 0:
            self.seed_generator = SeedGenerator(seed)
        from ..config import is_flash_attention_enabled

        # Keras 3: None (may use the fused kernel), False (disabled) or True (required)
        self._flash_attention = flash_attention or is_flash_attention_enabled()
        if self._flash_attention and self._dropout > 0.0:
            raise ValueError("Dropout is not supported when flash attention is enabled. "
                             "Please set dropout to 0.0 to use flash attention.")
        self._inverse_sqrt_key_dim = 1.0 / math.sqrt(float(self._key_dim))
        self._query_dense = self._key_dense = self._value_dense = None
        self._output_dense = None

    num_heads = property(lambda self: self._num_heads)
    key_dim = property(lambda self: self._key_dim)
    value_dim = property(lambda self: self._value_dim)
    dropout = property(lambda self: self._dropout)
    use_bias = property(lambda self: self._use_bias)
    attention_axes = property(lambda self: self._attention_axes)
    query_dense = property(lambda self: self._query_dense)
    key_dense = property(lambda self: self._key_dense)
    value_dense = property(lambda self: self._value_dense)
    output_dense = property(lambda self: self._output_dense)

    # -------------------------------------------------------------- building
    def _proj(self, out_shape, bound_dims, name):
        def fresh(init):
            if init is None or not hasattr(init, "get_config"):
                return init
            return type(init).from_config(init.get_config())

        return _Projection(out_shape, bound_dims, self._use_bias,
                           fresh(self._kernel_initializer), fresh(self._bias_initializer),
                           self._kernel_regularizer, self._bias_regularizer,
                           self._kernel_constraint, self._bias_constraint,
                           activity_regularizer=self._activity_regularizer,
                           dtype=self.dtype_policy, name=name)

    def build(self, query_shape, value_shape=None, key_shape=None):
        """Create the projections. Called with the query shape alone (how a layer is
        built from its first argument), building waits for the first call, where the
        value and key shapes are known."""
        if value_shape is None:
            self.built = True
            return
        query_shape, value_shape = tuple(query_shape), tuple(value_shape)
        key_shape = value_shape if key_shape is None else tuple(key_shape)
        if value_shape[1:-1] != key_shape[1:-1]:
            raise ValueError(
                "MultiHeadAttention: all dimensions of `value` and `key`, except the last "
                f"one, must be equal; received value_shape={value_shape} and "
                f"key_shape={key_shape}")
        h, kd, vd = self._num_heads, self._key_dim, self._value_dim
        self._query_dense = self._proj((h, kd), 1, "query")
        self._query_dense.build(query_shape)
        self._key_dense = self._proj((h, kd), 1, "key")
        self._key_dense.build(key_shape)
        self._value_dense = self._proj((h, vd), 1, "value")
        self._value_dense.build(value_shape)
        rank = len(query_shape) + 1  # projected rank: (batch, ..., heads, dim)
        if self._init_attention_axes is None:
            axes = tuple(range(1, rank - 2))
        else:
            axes = tuple(a if a >= 0 else (rank - 1) + a for a in self._init_attention_axes)
        self._attention_axes = axes
        out = self._output_shape or (query_shape[-1],)
        self._output_dense = self._proj(out, 2, "attention_output")
        self._output_dense.build(tuple(query_shape[:-1]) + (h, vd))
        self.built = True

    def _maybe_build(self, args):
        if self.built:
            return
        shapes = [tuple(a.shape) for a in args[:3] if hasattr(a, "shape")]
        self.build(*shapes)

    def _ensure_built(self, query, value, key):
        if self._query_dense is None:
            self.build(tuple(query.shape), tuple(value.shape),
                       None if key is None else tuple(key.shape))

    # -------------------------------------------------------------- masks
    def _attention_mask(self, xp, query, value, query_mask, value_mask, key_mask,
                        attention_mask, use_causal_mask):
        auto = None
        if query_mask is not None:
            auto = _as_bool(xp, query_mask)[..., None]  # (B, T, 1)
        for m in (value_mask, key_mask):
            if m is not None:
                m = _as_bool(xp, m)[..., None, :]  # (B, 1, S)
                auto = m if auto is None else (auto & m)
        if use_causal_mask:
            c = _causal(xp, query.shape[1], value.shape[1])
            auto = c if auto is None else (auto & c)
        if attention_mask is not None:
            attention_mask = _as_bool(xp, attention_mask)
            if auto is not None:
                attention_mask = attention_mask & auto
        else:
            attention_mask = auto
        return attention_mask

    # -------------------------------------------------------------- attention
    def _compute_attention(self, xp, query, key, value, attention_mask=None, training=None):
        """Scaled dot-product attention over ``self._attention_axes`` of the projected
        ``query`` (B, ..., N, key_dim), ``key`` and ``value``. Returns the output in the
        query's layout and the scores in Keras' layout
        (batch dims, N, query attention dims, key attention dims)."""
        rank = query.ndim
        attn = self._attention_axes
        batch_axes = [i for i in range(rank - 1) if i not in attn]
        perm = batch_axes + list(attn) + [rank - 1]
        q = xp.permute_dims(query, tuple(perm))
        k = xp.permute_dims(key, tuple(perm))
        v = xp.permute_dims(value, tuple(perm))
        nb, na = len(batch_axes), len(attn)
        q_attn = tuple(q.shape[nb:nb + na])
        k_attn = tuple(k.shape[nb:nb + na])
        if na > 1:
            lead = tuple(q.shape[:nb])
            if any(d is None for d in lead[1:] + q_attn + k_attn):
                raise ValueError(
                    "MultiHeadAttention: with several attention axes the non-batch "
                    f"dimensions must be known; received query shape {tuple(query.shape)}")
            tq, tk = int(np.prod(q_attn)), int(np.prod(k_attn))
            q = xp.reshape(q, (-1,) + lead[1:] + (tq, q.shape[-1]))
            k = xp.reshape(k, (-1,) + lead[1:] + (tk, k.shape[-1]))
            v = xp.reshape(v, (-1,) + lead[1:] + (tk, v.shape[-1]))
        q = q * self._inverse_sqrt_key_dim
        scores = q @ xp.matrix_transpose(k)  # (batch dims, N, Tq, Tk)
        mask = attention_mask
        if mask is not None:
            full_rank = nb + 2 * na
            while mask.ndim < full_rank:
                pos = mask.ndim - 2 * na  # insert before the attention dims
                mask = xp.expand_dims(mask, axis=pos)
            if na > 1:
                # Broadcast the attention dims fully, then flatten them as the scores are.
                lead = tuple(mask.shape[:nb])
                mask = xp.broadcast_to(mask, lead + q_attn + k_attn)
                mask = xp.reshape(mask, lead + (int(np.prod(q_attn)), int(np.prod(k_attn))))
            scores = xp.where(mask, scores, xp.full_like(scores, _large_negative(scores.dtype)))
        probs = nn_ops.softmax(scores, axis=-1)
        if mask is not None:
            probs = xp.where(mask, probs, xp.zeros_like(probs))
        if training and self._dropout > 0:
            probs_d = _random.dropout(probs, self._dropout, seed=self.seed_generator)
        else:
            probs_d = probs
        out = probs_d @ v  # (batch dims, N, Tq, Dv)
        if na > 1:
            out = xp.reshape(out, (-1,) + tuple(out.shape[1:-2]) + q_attn + (out.shape[-1],))
            probs = xp.reshape(probs, (-1,) + tuple(probs.shape[1:-2]) + q_attn + k_attn)
        inv = [0] * rank
        for i, p in enumerate(perm):
            inv[p] = i
        out = xp.permute_dims(out, tuple(inv))
        return out, probs

    def call(self, query, value, key=None, query_mask=None, value_mask=None, key_mask=None,
             attention_mask=None, return_attention_scores=False, training=None,
             use_causal_mask=False, mask=None):
        self._ensure_built(query, value, key)
        if mask is not None:
            masks = list(mask) if isinstance(mask, (list, tuple)) else [mask]
            masks += [None] * (3 - len(masks))
            query_mask = masks[0] if query_mask is None else query_mask
            value_mask = masks[1] if value_mask is None else value_mask
            key_mask = masks[2] if key_mask is None else key_mask
        if key is None:
            key = value
            key_mask = None
        xp = namespace(query, value, key)
        for name, t in (("query", query), ("value", value), ("key", key)):
            if t.ndim < 3:
                raise ValueError(
                    f'MultiHeadAttention layer "{self.name}": `{name}` must have rank >= 3 '
                    f"(batch, ..., dim); received shape {tuple(t.shape)}")
        if self._flash_attention and return_attention_scores:
            raise ValueError("Returning attention scores is not supported when flash "
                             "attention is enabled. Please disable flash attention to "
                             "access attention scores.")
        # Keras 3's fused path: ops.dot_product_attention (torch SDPA, jax.nn's kernel)
        # when no dropout, no scores asked and one attention axis of rank-3 inputs; a
        # causal-only mask goes as is_causal. (A subclass overriding _compute_attention
        # keeps it.)
        fused = (self._dropout == 0.0 and not return_attention_scores
                 and query.ndim == 3 and self._attention_axes == (1,)
                 and type(self)._compute_attention is MultiHeadAttention._compute_attention)
        mask = self._attention_mask(xp, query, value, query_mask, value_mask, key_mask,
                                    attention_mask, use_causal_mask and not fused)
        q = self._query_dense(query)
        k = self._key_dense(key)
        v = self._value_dense(value)
        if fused:
            if mask is not None:
                while mask.ndim < 4:  # (B|1, T|1, S|1) -> (B, 1, T, S): one per head
                    mask = xp.expand_dims(mask, axis=mask.ndim - 2)
            out = nn_ops.dot_product_attention(
                q, k, v, mask=mask, scale=self._inverse_sqrt_key_dim,
                is_causal=bool(use_causal_mask), flash_attention=self._flash_attention)
            scores = None
        else:
            out, scores = self._compute_attention(xp, q, k, v, mask, training)
        out = self._output_dense(out)
        if return_attention_scores:
            return out, scores
        return out

    def compute_mask(self, inputs, mask=None):
        if isinstance(mask, (list, tuple)):
            return mask[0] if mask else None
        return mask

    def compute_output_shape(self, query_shape, value_shape, key_shape=None):
        query_shape, value_shape = tuple(query_shape), tuple(value_shape)
        key_shape = value_shape if key_shape is None else tuple(key_shape)
        if value_shape[1:-1] != key_shape[1:-1]:
            raise ValueError(
                "MultiHeadAttention: all dimensions of `value` and `key`, except the last "
                f"one, must be equal; received value_shape={value_shape} and "
                f"key_shape={key_shape}")
        if self._output_shape:
            return query_shape[:-1] + tuple(self._output_shape)
        return query_shape

    def compute_output_spec(self, query, value, key=None, query_mask=None, value_mask=None,
                            key_mask=None, attention_mask=None, return_attention_scores=False,
                            training=None, use_causal_mask=False, mask=None):
        from .symbolic import KerasTensor

        if self._query_dense is None:
            self.build(tuple(query.shape), tuple(value.shape),
                       None if key is None else tuple(key.shape))
        out = KerasTensor(self.compute_output_shape(
            query.shape, value.shape, None if key is None else key.shape), self.compute_dtype)
        if not return_attention_scores:
            return out
        rank = len(query.shape) + 1
        attn = self._attention_axes
        batch = [query.shape[i] for i in range(rank - 2) if i not in attn]
        q_attn = [query.shape[i] for i in attn]
        k_src = value if key is None else key
        k_attn = [k_src.shape[i] for i in attn]
        shape = tuple(batch) + (self._num_heads,) + tuple(q_attn) + tuple(k_attn)
        return out, KerasTensor(shape, self.compute_dtype)

    def get_config(self):
        config = super().get_config()
        config.update({
            "num_heads": self._num_heads,
            "key_dim": self._key_dim,
            "value_dim": self._value_dim,
            "dropout": self._dropout,
            "use_bias": self._use_bias,
            "output_shape": self._output_shape,
            "attention_axes": self._init_attention_axes,
            "kernel_initializer": serialize_simple(self._kernel_initializer),
            "bias_initializer": serialize_simple(self._bias_initializer),
            "kernel_regularizer": serialize_simple(self._kernel_regularizer),
            "bias_regularizer": serialize_simple(self._bias_regularizer),
            "activity_regularizer": serialize_simple(self._activity_regularizer),
            "kernel_constraint": serialize_simple(self._kernel_constraint),
            "bias_constraint": serialize_simple(self._bias_constraint),
            "seed": self.seed,
        })
        return config


@register
class GroupedQueryAttention(Layer):
    """Keras' ``GroupQueryAttention`` (class ``GroupedQueryAttention``):
    ``GroupQueryAttention(head_dim, num_query_heads, num_key_value_heads, dropout=0.0,
    use_bias=True, sliding_window=None, flash_attention=None,
    kernel_initializer="glorot_uniform", bias_initializer="zeros", ..., use_gate=False,
    seed=None)``: attention whose ``num_query_heads`` query heads share
    ``num_key_value_heads`` key/value heads (each group of ``num_query_heads //
    num_key_value_heads`` query heads reads one). Keras' sublayers and weight order:
    ``query`` ``(dim, Nq, head_dim)``, ``key`` and ``value`` ``(dim, Nkv, head_dim)``
    (with a sigmoid ``gate`` like ``query`` between them when ``use_gate``), then
    ``attention_output`` ``(Nq, head_dim, dim)``. ``sliding_window=w`` lets a query
    position attend to keys less than ``w`` positions away.

    ``call(query, value, key=None, query_mask=None, value_mask=None, key_mask=None,
    attention_mask=None, return_attention_scores=False, training=None,
    use_causal_mask=False)``. Without dropout or returned scores it runs the framework's
    fused attention (``nn_ops.dot_product_attention``, grouped heads passed as they are),
    as MultiHeadAttention does; otherwise the scores ``(batch, Nq, T, S)`` are computed
    here, masked positions getting a large negative score before the softmax (Keras'
    ``Softmax(mask=...)``)."""

    def __init__(self, head_dim, num_query_heads, num_key_value_heads, dropout=0.0,
                 use_bias=True, sliding_window=None, flash_attention=None,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, use_gate=False, seed=None,
                 **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        for arg, v in (("head_dim", head_dim), ("num_query_heads", num_query_heads),
                       ("num_key_value_heads", num_key_value_heads)):
            if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v <= 0:
                raise ValueError(f"GroupQueryAttention: `{arg}` must be a positive integer; "
                                 f"received {arg}={v!r}")
        self.head_dim = int(head_dim)
        self.num_query_heads = int(num_query_heads)
        self.num_key_value_heads = int(num_key_value_heads)
        if self.num_query_heads % self.num_key_value_heads != 0:
            raise ValueError("`num_query_heads` must be divisible by `num_key_value_heads`.")
        self.num_repeats = self.num_query_heads // self.num_key_value_heads
        self.dropout = float(dropout)
        self.use_bias = use_bias
        self.use_gate = bool(use_gate)
        if sliding_window is not None and (not isinstance(sliding_window, int)
                                           or sliding_window <= 0):
            raise ValueError("`sliding_window` must be `None` or a positive integer. "
                             f"Received: sliding_window={sliding_window}")
        self.sliding_window = sliding_window
        from ..config import is_flash_attention_enabled

        self._flash_attention = flash_attention or is_flash_attention_enabled()
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.seed = seed
        if self.dropout > 0:
            self.seed_generator = SeedGenerator(seed)
        self._inverse_sqrt_head_dim = 1.0 / math.sqrt(float(self.head_dim))
        if self._flash_attention and self.dropout > 0.0:
            raise ValueError("Dropout is not supported when flash attention is enabled. "
                             "Please set dropout to 0.0 to use flash attention.")
        self._query_dense = self._key_dense = self._value_dense = None
        self._gate_dense = self._output_dense = None

    # -------------------------------------------------------------- building
    def _proj(self, out_shape, bound_dims, name):
        def fresh(init):
            return type(init).from_config(init.get_config()) if init is not None else None

        return _Projection(out_shape, bound_dims, self.use_bias,
                           fresh(self.kernel_initializer), fresh(self.bias_initializer),
                           self.kernel_regularizer, self.bias_regularizer,
                           self.kernel_constraint, self.bias_constraint,
                           activity_regularizer=self.activity_regularizer,
                           dtype=self.dtype_policy, name=name)

    def build(self, query_shape, value_shape=None, key_shape=None):
        if value_shape is None:  # built from the query alone: wait for the first call
            self.built = True
            return
        query_shape, value_shape = tuple(query_shape), tuple(value_shape)
        key_shape = value_shape if key_shape is None else tuple(key_shape)
        self.feature_dim = query_shape[-1]
        nq, nkv, hd = self.num_query_heads, self.num_key_value_heads, self.head_dim
        self._query_dense = self._proj((nq, hd), 1, "query")
        self._query_dense.build(query_shape)
        self._key_dense = self._proj((nkv, hd), 1, "key")
        self._key_dense.build(key_shape)
        if self.use_gate:
            self._gate_dense = self._proj((nq, hd), 1, "gate")
            self._gate_dense.build(query_shape)
        self._value_dense = self._proj((nkv, hd), 1, "value")
        self._value_dense.build(value_shape)
        self._output_dense = self._proj((self.feature_dim,), 2, "attention_output")
        self._output_dense.build((None, None, nq, hd))
        self.built = True

    def _maybe_build(self, args):
        if self.built:
            return
        self.build(*[tuple(a.shape) for a in args[:3] if hasattr(a, "shape")])

    # -------------------------------------------------------------- masks
    def _mask(self, xp, query, value, query_mask, value_mask, key_mask, attention_mask,
              use_causal_mask):
        auto = None
        if query_mask is not None:
            auto = _as_bool(xp, query_mask)[..., None]  # (B, T, 1)
        for m in (value_mask, key_mask):
            if m is not None:
                m = _as_bool(xp, m)[..., None, :]  # (B, 1, S)
                auto = m if auto is None else (auto & m)
        tq, ts = query.shape[1], value.shape[1]
        if use_causal_mask:
            c = _causal(xp, tq, ts)
            auto = c if auto is None else (auto & c)
        if self.sliding_window is not None:
            rows = xp.arange(tq)[:, None]
            cols = xp.arange(ts)[None, :]
            band = (xp.abs(rows - cols) < self.sliding_window)[None, ...]
            auto = band if auto is None else (auto & band)
        if auto is not None:
            attention_mask = auto if attention_mask is None else (
                _as_bool(xp, attention_mask) & auto)
        return attention_mask

    # -------------------------------------------------------------- call
    def call(self, query, value, key=None, query_mask=None, value_mask=None, key_mask=None,
             attention_mask=None, return_attention_scores=False, training=None,
             use_causal_mask=False, mask=None):
        if self._query_dense is None:
            self.build(tuple(query.shape), tuple(value.shape),
                       None if key is None else tuple(key.shape))
        if mask is not None:  # [query_mask, value_mask(, key_mask)] from masking layers
            masks = list(mask) if isinstance(mask, (list, tuple)) else [mask]
            masks += [None] * (3 - len(masks))
            query_mask = masks[0] if query_mask is None else query_mask
            value_mask = masks[1] if value_mask is None else value_mask
            key_mask = masks[2] if key_mask is None else key_mask
        if key is None:
            key = value
        xp = namespace(query, value, key)
        for name, t in (("query", query), ("value", value), ("key", key)):
            if t.ndim != 3:
                raise ValueError(
                    f'GroupQueryAttention layer "{self.name}": `{name}` must have shape '
                    f"(batch, time, dim); received shape {tuple(t.shape)}")
        if self._flash_attention and return_attention_scores:
            raise ValueError("Returning attention scores is not supported when flash "
                             "attention is enabled. Please disable flash attention to access"
                             " attention scores.")
        fused = not (self.dropout > 0.0 or return_attention_scores)
        # a causal-only mask goes to the fused kernel as is_causal
        causal_only = (fused and use_causal_mask and query_mask is None
                       and value_mask is None and key_mask is None
                       and attention_mask is None and self.sliding_window is None)
        if not causal_only:
            attention_mask = self._mask(xp, query, value, query_mask, value_mask, key_mask,
                                        attention_mask, use_causal_mask)
        gate = self._gate_dense(query) if self.use_gate else None
        q = self._query_dense(query)
        k = self._key_dense(key)
        v = self._value_dense(value)
        if not fused:
            k = xp.repeat(k, self.num_repeats, axis=2)
            v = xp.repeat(v, self.num_repeats, axis=2)
            q = xp.permute_dims(q, (0, 2, 1, 3)) * self._inverse_sqrt_head_dim
            scores = q @ xp.permute_dims(k, (0, 2, 3, 1))  # (B, Nq, T, S)
            if attention_mask is not None:
                m = attention_mask
                while m.ndim < 4:
                    m = xp.expand_dims(m, axis=m.ndim - 2)
                scores = xp.where(m, scores, scores + _large_negative(scores.dtype))
            scores = nn_ops.softmax(scores, axis=-1)
            probs = scores
            if training and self.dropout > 0:
                probs = _random.dropout(scores, self.dropout, seed=self.seed_generator)
            out = xp.permute_dims(probs @ xp.permute_dims(v, (0, 2, 1, 3)), (0, 2, 1, 3))
        else:
            m = attention_mask
            if m is not None:
                m = _as_bool(xp, m)
                while m.ndim < 4:  # (B|1, T|1, S|1) -> (B, 1, T, S)
                    m = xp.expand_dims(m, axis=m.ndim - 2)
            out = nn_ops.dot_product_attention(
                q, k, v, mask=m, scale=self._inverse_sqrt_head_dim,
                is_causal=bool(use_causal_mask), flash_attention=self._flash_attention)
            scores = None
        if gate is not None:
            out = out * nn_ops.sigmoid(gate)
        out = self._output_dense(out)
        if return_attention_scores:
            return out, scores
        return out

    def compute_mask(self, inputs, mask=None):
        if isinstance(mask, (list, tuple)):
            return mask[0] if mask else None
        return mask

    def compute_output_shape(self, query_shape, value_shape, key_shape=None):
        query_shape, value_shape = tuple(query_shape), tuple(value_shape)
        key_shape = value_shape if key_shape is None else tuple(key_shape)
        if query_shape[-1] != value_shape[-1]:
            raise ValueError(
                "The last dimension of `query_shape` and `value_shape` must be equal, but are "
                f"{query_shape[-1]}, {value_shape[-1]}. Received: query_shape={query_shape}, "
                f"value_shape={value_shape}")
        if value_shape[1:-1] != key_shape[1:-1]:
            raise ValueError(
                "All dimensions of `value` and `key`, except the last one, must be equal. "
                f"Received: value_shape={value_shape} and key_shape={key_shape}")
        return query_shape

    def compute_output_spec(self, query, value, key=None, query_mask=None, value_mask=None,
                            key_mask=None, attention_mask=None, return_attention_scores=False,
                            training=None, use_causal_mask=False, mask=None):
        from .symbolic import KerasTensor

        if self._query_dense is None:
            self.build(tuple(query.shape), tuple(value.shape),
                       None if key is None else tuple(key.shape))
        out = KerasTensor(self.compute_output_shape(
            query.shape, value.shape, None if key is None else key.shape), self.compute_dtype)
        if not return_attention_scores:
            return out
        shape = (query.shape[0], self.num_query_heads, query.shape[1], value.shape[1])
        return out, KerasTensor(shape, self.compute_dtype)

    def get_config(self):
        config = super().get_config()
        config.update({
            "head_dim": self.head_dim,
            "num_query_heads": self.num_query_heads,
            "num_key_value_heads": self.num_key_value_heads,
            "use_bias": self.use_bias,
            "use_gate": self.use_gate,
            "dropout": self.dropout,
            "sliding_window": self.sliding_window,
            "kernel_initializer": serialize_simple(self.kernel_initializer),
            "bias_initializer": serialize_simple(self.bias_initializer),
            "kernel_regularizer": serialize_simple(self.kernel_regularizer),
            "bias_regularizer": serialize_simple(self.bias_regularizer),
            "activity_regularizer": serialize_simple(self.activity_regularizer),
            "kernel_constraint": serialize_simple(self.kernel_constraint),
            "bias_constraint": serialize_simple(self.bias_constraint),
            "seed": self.seed,
        })
        return config


GroupQueryAttention = GroupedQueryAttention  # the name keras.layers exports
