"""LoRA (low-rank adaptation) for Dense, EinsumDense and Embedding, as Keras 3.15 does it.

``layer.enable_lora(rank, lora_alpha=None, a_initializer="he_uniform",
b_initializer="zeros")`` (or ``lora_rank=`` at construction, applied when the layer is
built) freezes the layer's base weight (``kernel`` / ``embeddings``: ``trainable=False``)
and adds two trainable float32 weights, ``A`` of shape ``base.shape[:-1] + (rank,)`` and
``B`` of shape ``(rank, base.shape[-1])`` (Keras' names: ``lora_kernel_a/_b``,
``lora_embeddings_a/_b``). The forward pass uses the effective weight

    cast(base + (lora_alpha / lora_rank) * (A @ B), compute_dtype)

computed once per call (one matmul of the low-rank factors, the size of the base weight).
Weight order is Keras': base, bias, A, B (``get_weights``/``set_weights``).

Saving follows Keras: the layer's stored variables are its non-LoRA ones with the base
weight replaced by the *merged* effective weight, the LoRA factors are not stored, and
loading assigns the merged weight to the base and zeroes A and B (so the loaded layer
computes what was saved, and can go on fine-tuning from there). The config keeps
``lora_rank``/``lora_alpha``. As in Keras 3.15, ``Dense`` and ``Embedding`` built with
``lora_rank=`` enable LoRA with ``lora_alpha = lora_rank`` (their ``build`` does not pass
``lora_alpha`` on); ``EinsumDense`` and ``enable_lora(rank, lora_alpha=...)`` keep the
alpha given.
"""

from __future__ import annotations

import numpy as np

from .. import initializers
from ..xp import namespace, standardize_dtype
from .normalization import dtype_obj


class LoRA:
    """Mixin of the LoRA-capable layers. A subclass names its base weight
    (``_lora_base``), its constraint/regularizer attributes and the LoRA weight names."""

    _lora_base = "kernel"
    _lora_names = ("lora_kernel_a", "lora_kernel_b")
    _lora_constraint = "kernel_constraint"
    _lora_regularizer = "kernel_regularizer"

    def _init_lora(self, lora_rank, lora_alpha):
        if lora_rank is not None and (not isinstance(lora_rank, int)
                                      or isinstance(lora_rank, bool) or lora_rank <= 0):
            raise ValueError(f"{type(self).__name__}: lora_rank must be a positive integer "
                             f"or None; received lora_rank={lora_rank!r}")
        self.lora_rank = lora_rank
        self.lora_alpha = lora_alpha if lora_alpha is not None else lora_rank
        self.lora_enabled = False

    def enable_lora(self, rank, lora_alpha=None, a_initializer="he_uniform",
                    b_initializer="zeros"):
        """Freeze the base weight and add the trainable low-rank factors (Keras 3)."""
        what = "embedding" if self._lora_base == "embeddings" else "kernel"
        if getattr(self, self._lora_constraint):
            raise ValueError(
                f"Lora is incompatible with {what} constraints. In order to enable lora on "
                f"this layer, remove the `{self._lora_constraint}` argument (layer "
                f'"{self.name}").')
        if not self.built:
            raise ValueError(f'Cannot enable lora on a layer that isn\'t yet built (layer '
                             f'"{self.name}").')
        if self.lora_enabled:
            raise ValueError(f"lora is already enabled. This can only be done once per layer "
                             f'(layer "{self.name}").')
        if not isinstance(rank, int) or isinstance(rank, bool) or rank <= 0:
            raise ValueError(f'Layer "{self.name}": enable_lora expects a positive integer '
                             f"rank; received rank={rank!r}")
        base = getattr(self, self._lora_base)
        # a quantized layer's factors follow its float weight (an int4 kernel is packed)
        shape = tuple(self._q_shape) if getattr(self, "_q_mode", None) else tuple(base.shape)
        regularizer = getattr(self, self._lora_regularizer)
        name_a, name_b = self._lora_names
        a = self.add_weight(name=name_a, shape=shape[:-1] + (rank,),
                            initializer=initializers.get(a_initializer), dtype="float32",
                            regularizer=regularizer)
        b = self.add_weight(name=name_b, shape=(rank, shape[-1]),
                            initializer=initializers.get(b_initializer), dtype="float32",
                            regularizer=regularizer)
        setattr(self, name_a, a)
        setattr(self, name_b, b)
        base.trainable = False
        self.lora_enabled = True
        self.lora_rank = rank
        self.lora_alpha = lora_alpha if lora_alpha is not None else rank

    def _lora_factors(self):
        """The two LoRA factors (their values inside ``call``)."""
        return getattr(self, self._lora_names[0]), getattr(self, self._lora_names[1])

    def _lora_weight(self, base):
        """The effective weight of a call, given the base weight's value."""
        a, b = getattr(self, self._lora_names[0]), getattr(self, self._lora_names[1])
        xp = namespace(base, a)
        merged = base + (self.lora_alpha / self.lora_rank) * xp.matmul(a, b)
        if standardize_dtype(merged.dtype) != self.compute_dtype:
            merged = xp.astype(merged, dtype_obj(xp, merged, self.compute_dtype))
        return merged

    def _lora_config(self, config):
        if self.lora_rank:
            config["lora_rank"] = self.lora_rank
            config["lora_alpha"] = self.lora_alpha
        return config

    # ---------------------------------------------------------------- saving (Keras')
    def _saved_variables(self):
        """The variables a weights file stores for this layer: all but the LoRA factors."""
        own = self._own_weights()
        if not self.lora_enabled:
            return own
        skip = {id(getattr(self, n)) for n in self._lora_names}
        return [v for v in own if id(v) not in skip]

    def _saved_values(self):
        out = []
        base = getattr(self, self._lora_base)
        for v in self._saved_variables():
            if self.lora_enabled and v is base:
                a, b = (np.asarray(getattr(self, n).numpy(), np.float32)
                        for n in self._lora_names)
                merged = np.asarray(v.numpy()) + (self.lora_alpha / self.lora_rank) * (a @ b)
                out.append(merged.astype(np.asarray(v.numpy()).dtype))
            else:
                out.append(np.asarray(v.numpy()))
        return out

    def _after_load(self):
        if self.lora_enabled:
            for n in self._lora_names:
                v = getattr(self, n)
                v.assign(np.zeros(tuple(v.shape), np.float32))
