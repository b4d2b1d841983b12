"""Connectionist Temporal Classification (Graves et al., 2006): the loss and the greedy and
prefix-beam-search decoders, with Keras 3's signatures and semantics, written once against
the Array API standard.

* ``ctc_loss`` runs the CTC forward algorithm in log space over the extended label
  sequence (a blank before, between and after the labels: ``2 * L + 1`` states), one time
  step at a time; steps at or after a sample's ``output_length`` leave its state unchanged.
  Log-zero is a finite ``-1e30`` so gradients stay finite; a sample that no alignment can
  explain (``output_length < target_length + repeated neighbours``) gets ``inf`` with a
  zero gradient, on every framework.
* ``ctc_decode(strategy="beam_search")`` is prefix beam search: the beam holds distinct
  label prefixes, each with the log-probability of the alignments that end in a blank and
  of those that end in its last label. Equal scores are broken as Keras' JAX backend breaks
  them: the prefix that is larger in lexicographic order over the *reversed* class index
  wins (a prefix is smaller than its extensions). The beam keeps its lexicographic ranks,
  its prefix relation and each pair's next label, so that order costs sorts of the
  candidates, never a comparison of whole label sequences.
"""

from __future__ import annotations

import numpy as np

from ..xp import framework_of, namespace, standardize_dtype, to_numpy
from ._dispatch import fused
from .activations import log_softmax

__all__ = ["ctc_loss"]

#: log(0) in the forward algorithm: finite, so that no -inf - -inf appears in a gradient.
LOG_ZERO = -1e30


# ----------------------------------------------------------------------------- helpers
def _index_dtype(xp, x):
    """int32 on jax (64-bit types are off), int64 elsewhere (torch gathers need it)."""
    return xp.int32 if framework_of(x) == "jax" else xp.int64


def _to_xp(xp, a, like):
    """``a`` (an array of any framework, a list) as an array of ``like``'s framework."""
    if framework_of(a) != framework_of(like):
        a = xp.asarray(to_numpy(a))
    return a


def _as_ints(xp, a, like):
    a = _to_xp(xp, a, like)
    it = _index_dtype(xp, like)
    return a if a.dtype == it else xp.astype(a, it)


def _take(xp, x, idx, axis):
    """``take_along_axis`` with ``idx`` broadcast against ``x`` (except along ``axis``)."""
    nd = len(x.shape)
    axis = axis % nd
    xs, is_ = list(x.shape), list(idx.shape)
    xs[axis] = is_[axis] = 1
    b = np.broadcast_shapes(tuple(xs), tuple(is_))
    bx, bi = list(b), list(b)
    bx[axis], bi[axis] = x.shape[axis], idx.shape[axis]
    return xp.take_along_axis(xp.broadcast_to(x, tuple(bx)),
                              xp.broadcast_to(idx, tuple(bi)), axis=axis)


def _host(x):
    """The value of ``x`` as a NumPy array when it is concrete (eager), else None (a jax
    tracer or a tf.function tensor): argument checks on values run only eagerly."""
    try:
        return np.asarray(to_numpy(x))
    except Exception:  # traced: no value to check
        return None


def _compute_dtype(xp, x):
    """Keras' ``result_type(x.dtype, "float32")``: float64 stays, everything else is
    computed in float32."""
    return xp.float64 if standardize_dtype(x.dtype) == "float64" else xp.float32


def _mask_index(op, mask_index, num_classes):
    m = int(mask_index)
    if m < 0:
        m += num_classes
    if not 0 <= m < num_classes:
        raise ValueError(f"{op}: mask_index must be in [0, {num_classes}) (num_classes = "
                         f"output.shape[-1]); received mask_index={mask_index!r}")
    return m


def check_ctc_loss_args(target, output, target_length, output_length, mask_index):
    """Shapes (and, when the arrays are concrete, the lengths) of ``ctc_loss``'s arguments;
    returns the normalized ``mask_index``. Shared by the generic op and the fast paths."""
    op = "ctc_loss"
    shapes = {}
    for name, a, rank, what in (("target", target, 2, "(batch, max_label_length)"),
                                ("output", output, 3, "(batch, max_time, num_classes)"),
                                ("target_length", target_length, 1, "(batch,)"),
                                ("output_length", output_length, 1, "(batch,)")):
        shape = tuple(getattr(a, "shape", np.shape(a)))
        if len(shape) != rank:
            raise ValueError(f"{op}: {name} must have rank {rank}, shape {what}; received "
                             f"{name}.shape={shape}")
        shapes[name] = shape
    b = shapes["output"][0]
    for name in ("target", "target_length", "output_length"):
        if shapes[name][0] is not None and b is not None and shapes[name][0] != b:
            raise ValueError(f"{op}: {name} must have the batch size of output ({b}); "
                             f"received {name}.shape={shapes[name]}, "
                             f"output.shape={shapes['output']}")
    if not hasattr(output, "dtype") or standardize_dtype(output.dtype) in ("bool",) or \
            standardize_dtype(output.dtype).startswith("complex"):
        raise ValueError(f"{op}: output must be an array of real logits; received "
                         f"{type(output).__name__} of dtype {getattr(output, 'dtype', None)}")
    t_max, n_classes = shapes["output"][1], shapes["output"][2]
    l_max = shapes["target"][1]
    mask_index = _mask_index(op, mask_index, n_classes)
    for name, a, hi in (("output_length", output_length, t_max),
                        ("target_length", target_length, l_max)):
        v = _host(a)
        if v is None or v.size == 0 or hi is None:
            continue
        if v.min() < 0 or v.max() > hi:
            bad = v[(v < 0) | (v > hi)][0]
            dim = "max_time = output.shape[1]" if name == "output_length" else \
                "max_label_length = target.shape[1]"
            raise ValueError(f"{op}: {name} entries must be in [0, {hi}] ({dim}); "
                             f"received {name} containing {bad}")
    return mask_index


def infeasible(xp, target, target_length, output_length):
    """True for samples no alignment can explain: ``output_length`` below the number of
    labels plus the number of adjacent equal labels (each pair needs a blank between)."""
    lmax = target.shape[1]
    pos = xp.reshape(xp.arange(lmax, dtype=target_length.dtype), (1, lmax))
    inside = pos < xp.expand_dims(target_length, axis=1)
    if lmax > 1:
        same = (target[:, 1:] == target[:, :-1]) & inside[:, 1:]
        repeats = xp.sum(xp.astype(same, target_length.dtype), axis=1)
    else:
        repeats = xp.zeros_like(target_length)
    return output_length < target_length + repeats


def ctc_prepare(target, output, target_length, output_length, mask_index):
    """Checked arguments as arrays of ``output``'s framework: (xp, target, logits in the
    compute dtype, target_length, output_length, mask_index, infeasible mask)."""
    mask_index = check_ctc_loss_args(target, output, target_length, output_length, mask_index)
    xp = namespace(output)
    target = _as_ints(xp, target, output)
    target_length = _as_ints(xp, target_length, output)
    output_length = _as_ints(xp, output_length, output)
    output = xp.astype(output, _compute_dtype(xp, output))
    bad = infeasible(xp, target, target_length, output_length)
    return xp, target, output, target_length, output_length, mask_index, bad


def _lse3(xp, a, b, c):
    m = xp.maximum(xp.maximum(a, b), c)
    return m + xp.log(xp.exp(a - m) + xp.exp(b - m) + xp.exp(c - m))


def ctc_emissions(xp, logp, target, mask_index):
    """(extended labels (B, S), log-probabilities of each state's label (B, T, S), whether
    state s may be entered from s - 2 (B, S)) with S = 2 * L + 1."""
    b, lmax = target.shape
    n_classes = logp.shape[-1]
    blank = xp.full((b, lmax), mask_index, dtype=target.dtype)
    ext = xp.reshape(xp.stack([blank, target], axis=-1), (b, 2 * lmax))
    ext = xp.concat([ext, xp.full((b, 1), mask_index, dtype=target.dtype)], axis=1)
    # labels past target_length are never read at the end; keep their gather in range
    safe = xp.where((ext >= 0) & (ext < n_classes), ext, xp.zeros_like(ext))
    emit = _take(xp, logp, xp.expand_dims(safe, axis=1), axis=2)
    if lmax > 1:
        skip = ext[:, 2:] != ext[:, :-2]  # blanks equal blanks: only labels may skip
        skip = xp.concat([xp.zeros((b, 2), dtype=xp.bool), skip], axis=1)
    else:
        skip = xp.zeros((b, 2 * lmax + 1), dtype=xp.bool)
    return ext, emit, skip


def ctc_step(xp, alpha, emit_t, skip, log_zero):
    """One step of the forward recursion: alpha_t(s) = logsumexp(alpha(s), alpha(s-1),
    [alpha(s-2) where allowed]) + log p_t(label(s))."""
    b = alpha.shape[0]
    z1 = xp.full((b, 1), log_zero, dtype=alpha.dtype)
    prev1 = xp.concat([z1, alpha[:, :-1]], axis=1)
    prev2 = xp.concat([z1, z1, alpha[:, :-2]], axis=1)
    prev2 = xp.where(skip, prev2, xp.full_like(prev2, log_zero))
    return _lse3(xp, alpha, prev1, prev2) + emit_t


def ctc_final(xp, alpha, target_length, bad):
    """-log p(target | output) from the last alphas: the sum over the final blank and the
    last label; ``inf`` where ``bad``."""
    s = alpha.shape[1]
    pos = xp.reshape(xp.arange(s, dtype=target_length.dtype), (1, s))
    end = xp.expand_dims(2 * target_length, axis=1)
    last = (pos == end) | (pos == end - 1)
    picked = xp.where(last, alpha, xp.full_like(alpha, LOG_ZERO))
    m = xp.max(picked, axis=1, keepdims=True)
    ll = xp.squeeze(m, axis=1) + xp.log(xp.sum(xp.exp(picked - m), axis=1))
    return xp.where(bad, xp.full_like(ll, float("inf")), -ll)


# ----------------------------------------------------------------------------- ctc_loss
@fused
def ctc_loss(target, output, target_length, output_length, mask_index=0):
    """Per-sample CTC negative log-likelihood, shape (batch,).

    ``target`` (batch, max_label_length) integer labels (entries past ``target_length``
    are padding), ``output`` (batch, max_time, num_classes) logits (log_softmax is applied
    here), lengths of shape (batch,), ``mask_index`` the blank class. Computed in float32
    (float64 stays float64). Samples with no possible alignment give ``inf``.
    """
    xp, target, output, target_length, output_length, mask_index, bad = ctc_prepare(
        target, output, target_length, output_length, mask_index)
    b, t_max, _ = output.shape
    logp = log_softmax(output, axis=-1)
    _, emit, skip = ctc_emissions(xp, logp, target, mask_index)
    s = emit.shape[2]
    first = xp.reshape(xp.arange(s), (1, s)) == 0
    alpha = xp.where(first, xp.zeros((b, s), dtype=logp.dtype),
                     xp.full((b, s), LOG_ZERO, dtype=logp.dtype))
    for t in range(t_max):
        nxt = ctc_step(xp, alpha, emit[:, t, :], skip, LOG_ZERO)
        alpha = xp.where(xp.expand_dims(output_length > t, axis=1), nxt, alpha)
    return ctc_final(xp, alpha, target_length, bad)

