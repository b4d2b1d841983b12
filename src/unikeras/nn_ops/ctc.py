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

from ..xp import device_of, framework_of, namespace, standardize_dtype, to_numpy
from ..xp.dtypes import index_dtype
from ._dispatch import fused
from .activations import log_softmax

__all__ = ["ctc_loss", "ctc_decode"]

#: log(0) in the forward algorithm: finite, so that no -inf - -inf appears in a gradient.
LOG_ZERO = -1e30


# ----------------------------------------------------------------------------- helpers
def _index_dtype(xp, x):
    """The namespace's dtype for gather indices (``unikeras.xp.dtypes.index_dtype``)."""
    return getattr(xp, index_dtype(framework_of(x)))


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
    if None in tuple(x.shape) or None in tuple(idx.shape):  # unknown sizes (tf.function)
        return xp.take_along_axis(x, idx, axis=axis)
    xs, is_ = list(x.shape), list(idx.shape)
    xs[axis] = is_[axis] = 1
    b = np.broadcast_shapes(tuple(xs), tuple(is_))
    bx, bi = list(b), list(b)
    bx[axis], bi[axis] = x.shape[axis], idx.shape[axis]
    return xp.take_along_axis(xp.broadcast_to(x, tuple(bx)),
                              xp.broadcast_to(idx, tuple(bi)), axis=axis)


def _host(x):
    """The value of ``x`` as a NumPy array when reading it costs no device sync (host data,
    or an eager array in CPU memory), else None (a jax tracer, a tf.function tensor, an
    accelerator array): argument checks on values run only where they are free, so a
    training step never waits on the device for them."""
    if framework_of(x) not in (None, "numpy") and not device_of(x).startswith("cpu"):
        return None
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


# ----------------------------------------------------------------------------- decoding
def _check_decode_args(inputs, sequence_lengths, strategy, beam_width, top_paths, mask_index):
    op = "ctc_decode"
    shape = tuple(getattr(inputs, "shape", np.shape(inputs)))
    if len(shape) != 3:
        raise ValueError(f"{op}: inputs must have rank 3, shape (batch, max_time, num_classes); "
                         f"received inputs.shape={shape}")
    lshape = tuple(getattr(sequence_lengths, "shape", np.shape(sequence_lengths)))
    if len(lshape) != 1 or (None not in (lshape[0], shape[0]) and lshape[0] != shape[0]):
        raise ValueError(f"{op}: sequence_lengths must have shape (batch,) = ({shape[0]},); "
                         f"received sequence_lengths.shape={lshape}")
    if strategy not in ("greedy", "beam_search"):
        raise ValueError(f"{op}: strategy must be 'greedy' or 'beam_search'; received "
                         f"strategy={strategy!r}")
    if strategy == "beam_search":
        if int(beam_width) < 1 or int(top_paths) < 1 or int(top_paths) > int(beam_width):
            raise ValueError(f"{op}: beam search needs 1 <= top_paths <= beam_width; received "
                             f"beam_width={beam_width!r}, top_paths={top_paths!r}")
    n_classes = shape[2]
    mask_index = n_classes - 1 if mask_index is None else _mask_index(op, mask_index, n_classes)
    v = _host(sequence_lengths)
    if v is not None and v.size and shape[1] is not None and (v.min() < 0 or v.max() > shape[1]):
        bad = v[(v < 0) | (v > shape[1])][0]
        raise ValueError(f"{op}: sequence_lengths entries must be in [0, {shape[1]}] (max_time "
                         f"= inputs.shape[1]); received sequence_lengths containing {bad}")
    return mask_index


def _greedy(xp, x, lengths, merge_repeated, mask_index):
    b, t_max, _ = x.shape
    it = lengths.dtype
    best = xp.astype(xp.argmax(x, axis=-1), it)
    score = xp.max(x, axis=-1)
    inside = xp.reshape(xp.arange(t_max, dtype=it), (1, t_max)) < xp.expand_dims(lengths, axis=1)
    best = xp.where(inside, best, xp.full_like(best, mask_index))
    score = xp.where(inside, score, xp.zeros_like(score))
    if merge_repeated and t_max > 1:
        again = xp.concat([xp.zeros((b, 1), dtype=xp.bool), best[:, 1:] == best[:, :-1]], axis=1)
        best = xp.where(again, xp.full_like(best, mask_index), best)
    blank = best == mask_index
    best = xp.where(blank, xp.full_like(best, -1), best)
    # labels keep their order, blanks go to the end
    key = xp.where(blank, xp.full_like(best, t_max),
                   xp.broadcast_to(xp.reshape(xp.arange(t_max, dtype=it), (1, t_max)), best.shape))
    order = xp.argsort(key, axis=1, stable=True)
    best = xp.take_along_axis(best, order, axis=1)
    return (xp.expand_dims(xp.astype(best, xp.int32), axis=0),
            -xp.sum(score, axis=1, keepdims=True))


def _argsort(xp, key, axis=-1):
    return xp.argsort(key, axis=axis, stable=True)


def _flags(xp, idx, n):
    """(batch, n) bools: True at the positions listed in ``idx`` (batch, m), whose entries
    lie in [0, n] (n: none). A scatter made of one sort: flag i sorts as 2i just before
    position i's own key 2i + 1."""
    b = idx.shape[0]
    it = idx.dtype
    own = xp.broadcast_to(xp.reshape(2 * xp.arange(n, dtype=it) + 1, (1, n)), (b, n))
    keys = xp.sort(xp.concat([own, 2 * idx], axis=1), axis=1)
    prev = xp.concat([xp.full((b, 1), -1, dtype=it), keys[:, :-1]], axis=1)
    odd = (keys % 2) == 1
    hit = odd & (prev == keys - 1)
    # the odd keys are positions 0..n-1 in order: bring them to the front, stably
    front = _argsort(xp, xp.astype(~odd, xp.int32), axis=1)[:, :n]
    return xp.take_along_axis(hit, front, axis=1)


class _Beam:
    """Prefix beam state, batched: ``paths`` (B, W, T) labels padded with -1, ``n`` their
    lengths, ``pb``/``pe`` log-probabilities of the alignments ending in a blank / in the
    last label, ``valid`` slots in use, ``rank`` lexicographic rank among the valid paths
    (over reversed class indices), ``pre[p, q]`` p is a proper prefix of q, ``nxt[p, q]``
    the label of q at position n[p]."""

    FIELDS = ("paths", "n", "pb", "pe", "valid", "rank", "pre", "nxt")

    def __init__(self, **kw):
        for k in self.FIELDS:
            setattr(self, k, kw[k])


def _beam_init(xp, b, w, t_max, dtype, it):
    first = xp.reshape(xp.arange(w, dtype=it), (1, w)) == 0
    neg = xp.full((b, w), -float("inf"), dtype=dtype)
    return _Beam(paths=xp.full((b, w, t_max), -1, dtype=it), n=xp.zeros((b, w), dtype=it),
                 pb=xp.where(first, xp.zeros_like(neg), neg), pe=neg,
                 valid=xp.broadcast_to(first, (b, w)), rank=xp.zeros((b, w), dtype=it),
                 pre=xp.zeros((b, w, w), dtype=xp.bool), nxt=xp.full((b, w, w), -1, dtype=it))


def _beam_step(xp, st, y, mask_index, first=False):
    """One time step of prefix beam search with log-probabilities ``y`` (B, C)."""
    b, w, t_max = st.paths.shape
    c = y.shape[1]
    it = st.n.dtype
    ninf = -float("inf")
    cls = xp.arange(c, dtype=it)
    flip = (c - 1) - cls  # Keras' order: reversed class index
    has = st.n > 0
    last = _take(xp, st.paths, xp.expand_dims(xp.where(has, st.n - 1, xp.zeros_like(st.n)), 2), 2)
    last = xp.where(has, last[:, :, 0], xp.full_like(st.n, -1))
    tot = xp.logaddexp(st.pb, st.pe)
    # stay: the prefix itself (a blank, or its last label again)
    y_blank = y[:, mask_index:mask_index + 1]
    s_pb = tot + y_blank
    y_last = _take(xp, y, xp.where(has, last, xp.zeros_like(last)), 1)
    s_pe = xp.where(has, st.pe + y_last, xp.full_like(st.pe, ninf))
    # extend by label c: after a blank only when c repeats the last label
    repeat = xp.expand_dims(last, 2) == xp.reshape(cls, (1, 1, c))
    base = xp.where(repeat, xp.expand_dims(st.pb, 2), xp.expand_dims(tot, 2))
    e_pe = xp.reshape(base + xp.expand_dims(y, 1), (b, w * c))
    e_ok = xp.expand_dims(st.valid, 2) & xp.reshape(cls != mask_index, (1, 1, c))
    e_ok = xp.reshape(xp.broadcast_to(e_ok, (b, w, c)), (b, w * c))
    # an extension p + c that is already in the beam (q) merges into q's stay
    child = st.pre & (xp.expand_dims(st.n, 1) == xp.expand_dims(st.n, 2) + 1)  # [p, q]
    has_par = xp.any(child, axis=1)
    par = xp.astype(xp.argmax(xp.astype(child, xp.int32), axis=1), it)
    slot = par * c + xp.where(has, last, xp.zeros_like(last))
    into = _take(xp, e_pe, slot, 1)
    s_pe = xp.where(has_par, xp.logaddexp(s_pe, into), s_pe)
    e_ok = e_ok & ~_flags(xp, xp.where(has_par, slot, xp.full_like(slot, w * c)), w * c)
    # candidates: W stays, then W * C extensions (slot p * C + c)
    valid = xp.concat([st.valid, e_ok], axis=1)
    cand_pb = xp.concat([s_pb, xp.full((b, w * c), ninf, dtype=s_pb.dtype)], axis=1)
    cand_pe = xp.concat([s_pe, e_pe], axis=1)
    cand_pb = xp.where(valid, cand_pb, xp.full_like(cand_pb, ninf))
    cand_pe = xp.where(valid, cand_pe, xp.full_like(cand_pe, ninf))
    score = xp.logaddexp(cand_pb, cand_pe)
    valid = valid & (score > ninf)  # impossible prefixes are dropped (Keras returns -1s)
    # lexicographic order of the candidates, from the beam's ranks and prefix relation:
    # p + c sits after p, after the q below p whose next label comes before c, and before
    # the rest; candidates between the same two beam paths order by deeper parent first,
    # then by label
    v = xp.where(st.pre, (c - 1) - st.nxt, xp.full_like(st.nxt, c))  # reversed next label
    keys = xp.concat([2 * v + 1, xp.broadcast_to(xp.reshape(2 * flip, (1, 1, c)), (b, w, c))],
                     axis=2)
    where_q = _argsort(xp, _argsort(xp, keys, axis=2), axis=2)[:, :, w:]
    below = where_q - xp.reshape(flip, (1, 1, c))  # subtree paths before p + c
    e_pos = xp.reshape(xp.expand_dims(st.rank, 2) + 1 + below, (b, w * c))
    pos = xp.concat([st.rank, e_pos], axis=1)
    depth = xp.broadcast_to(xp.expand_dims(t_max - st.n, 2), (b, w, c))
    e_minor = xp.reshape(depth * c + xp.reshape(flip, (1, 1, c)), (b, w * c))
    minor = xp.concat([xp.full((b, w), (t_max + 1) * c, dtype=it), e_minor], axis=1)
    o = _argsort(xp, minor, axis=1)
    lex = xp.take_along_axis(o, _argsort(xp, xp.take_along_axis(pos, o, axis=1), axis=1), axis=1)
    # keep the W best by (valid, score, lexicographic order); on the first step Keras
    # ranks equal scores by reversed class index, the blank (the empty prefix) included
    tie = lex
    if first:
        k0 = xp.concat([xp.full((b, w), c - 1 - mask_index, dtype=it),
                        xp.broadcast_to(xp.reshape(xp.concat([flip] * w), (1, w * c)),
                                        (b, w * c))], axis=1)
        tie = _argsort(xp, k0, axis=1)
    o = _argsort(xp, xp.take_along_axis(score, tie, axis=1), axis=1)
    o = xp.take_along_axis(tie, o, axis=1)
    o = xp.take_along_axis(o, _argsort(xp, xp.astype(xp.take_along_axis(valid, o, axis=1),
                                                       xp.int32), axis=1), axis=1)
    n_cand = w + w * c
    sel = o[:, n_cand - w:]
    lexpos = _take(xp, _argsort(xp, lex, axis=1), sel, 1)
    # the new beam
    is_ext = sel >= w
    par = xp.where(is_ext, (sel - w) // c, sel)
    lab = xp.where(is_ext, (sel - w) % c, xp.full_like(sel, -1))
    new_valid = _take(xp, valid, sel, 1)
    n_par = _take(xp, st.n, par, 1)
    paths = _take(xp, st.paths, xp.expand_dims(par, 2), 1)
    at = (xp.reshape(xp.arange(t_max, dtype=it), (1, 1, t_max)) == xp.expand_dims(n_par, 2)) & \
        xp.expand_dims(is_ext, 2)
    paths = xp.where(at, xp.expand_dims(lab, 2), paths)
    n_new = n_par + xp.astype(is_ext, it)
    key = xp.where(new_valid, lexpos, n_cand + xp.reshape(xp.arange(w, dtype=it), (1, w)))
    rank = xp.astype(_argsort(xp, _argsort(xp, key, axis=1), axis=1), it)

    def pairs(m):  # m[par_j, par_k]
        m = _take(xp, m, xp.expand_dims(par, 2), 1)
        return _take(xp, m, xp.expand_dims(par, 1), 2)

    pre_pp, nxt_pp = pairs(st.pre), pairs(st.nxt)
    same = xp.expand_dims(par, 2) == xp.expand_dims(par, 1)
    stay_j, stay_k = xp.expand_dims(~is_ext, 2), xp.expand_dims(~is_ext, 1)
    pre = xp.where(stay_j, xp.where(stay_k, pre_pp, pre_pp | same),
                   pre_pp & (nxt_pp == xp.expand_dims(lab, 2)))
    pre = pre & xp.expand_dims(new_valid, 2) & xp.expand_dims(new_valid, 1)
    at_n = xp.where(n_new < t_max, n_new, xp.full_like(n_new, t_max - 1))
    nxt = _take(xp, xp.expand_dims(paths, 1), xp.expand_dims(xp.expand_dims(at_n, 2), 3), 3)
    return _Beam(paths=paths, n=n_new, pb=_take(xp, cand_pb, sel, 1),
                 pe=_take(xp, cand_pe, sel, 1), valid=new_valid, rank=rank, pre=pre,
                 nxt=nxt[..., 0])


def _beam_select(xp, active, new, old):
    out = {}
    for k in _Beam.FIELDS:
        a, o = getattr(new, k), getattr(old, k)
        m = xp.reshape(active, (active.shape[0],) + (1,) * (len(a.shape) - 1))
        out[k] = xp.where(m, a, o)
    return _Beam(**out)


def _beam_search(xp, x, lengths, beam_width, top_paths, mask_index):
    b, t_max, _ = x.shape
    logp = log_softmax(x, axis=-1)
    st = _beam_init(xp, b, int(beam_width), t_max, logp.dtype, lengths.dtype)
    for t in range(t_max):
        new = _beam_step(xp, st, logp[:, t, :], mask_index, first=t == 0)
        st = new if t == 0 else _beam_select(xp, lengths > t, new, st)
    return _beam_best(xp, st, top_paths)


def _beam_best(xp, st, top_paths):
    """(paths (top_paths, B, T) int32, scores (B, top_paths)): highest total first, equal
    totals to the lexicographically larger; missing paths are -1s with score -inf."""
    tot = xp.where(st.valid, xp.logaddexp(st.pb, st.pe), xp.full_like(st.pb, -float("inf")))
    o = _argsort(xp, st.rank, axis=1)
    o = xp.take_along_axis(o, _argsort(xp, xp.take_along_axis(tot, o, axis=1), axis=1), axis=1)
    o = xp.take_along_axis(o, _argsort(xp, xp.astype(xp.take_along_axis(st.valid, o, axis=1),
                                                       xp.int32), axis=1), axis=1)
    best = xp.flip(o, axis=1)[:, :int(top_paths)]
    ok = _take(xp, st.valid, best, 1)
    paths = _take(xp, st.paths, xp.expand_dims(best, 2), 1)
    paths = xp.where(xp.expand_dims(ok, 2), paths, xp.full_like(paths, -1))
    scores = xp.where(ok, _take(xp, tot, best, 1), xp.full_like(ok, -float("inf"), dtype=tot.dtype))
    return xp.astype(xp.permute_dims(paths, (1, 0, 2)), xp.int32), scores


def decode_prepare(inputs, sequence_lengths, strategy, beam_width, top_paths, mask_index):
    """Checked arguments: (xp, inputs in the compute dtype, lengths, mask_index)."""
    mask_index = _check_decode_args(inputs, sequence_lengths, strategy, beam_width, top_paths,
                                    mask_index)
    xp = namespace(inputs)
    x = xp.astype(inputs, _compute_dtype(xp, inputs))
    return xp, x, _as_ints(xp, sequence_lengths, inputs), mask_index


@fused
def ctc_decode(inputs, sequence_lengths, strategy="greedy", beam_width=100, top_paths=1,
               merge_repeated=True, mask_index=0):
    """Decode CTC outputs ``inputs`` (batch, max_time, num_classes) as Keras 3 does.

    Returns ``(decoded, scores)``: ``decoded`` int32 (top_paths, batch, max_time), labels
    first and -1 after; ``scores`` (batch, top_paths). "greedy": the best class per step
    (steps past ``sequence_lengths`` count as blanks), repeats merged unless
    ``merge_repeated=False``, blanks dropped; score minus the sum of the per-step maxima of
    ``inputs``; top_paths is 1. "beam_search": prefix beam search of width ``beam_width``
    over log_softmax(inputs) (repeats are always merged, as in Keras' JAX backend); scores
    are the paths' log-probabilities, best first. ``mask_index`` None means the last class.
    """
    xp, x, lengths, mask_index = decode_prepare(inputs, sequence_lengths, strategy,
                                                beam_width, top_paths, mask_index)
    if strategy == "greedy":
        return _greedy(xp, x, lengths, merge_repeated, mask_index)
    return _beam_search(xp, x, lengths, beam_width, top_paths, mask_index)
