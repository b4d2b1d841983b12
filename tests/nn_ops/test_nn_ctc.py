"""CTC loss and decoding: the generic paths against brute-force NumPy references (every
alignment enumerated), each framework's fast path against the generic path, tracing,
gradients of impossible samples and error messages. Keras 3 itself is the reference in
tests/ops/test_keras_parity.py."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from unikeras import nn_ops
from unikeras.xp import installed_frameworks

DIFFERENTIABLE = [f for f in ("jax", "torch", "tensorflow") if f in installed_frameworks()]


def _log_softmax(x):
    m = x.max(-1, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(-1, keepdims=True))


def _collapse(path, blank):
    out, prev = [], None
    for c in path:
        if c != prev and c != blank:
            out.append(c)
        prev = c
    return out


def brute_force_ctc(target, logits, target_length, output_length, blank=0):
    """-log of the summed probability of every alignment (all num_classes ** T paths)
    that collapses to the target; inf when there is none."""
    logp = _log_softmax(logits.astype(np.float64))
    out = []
    for b in range(logits.shape[0]):
        t_b, want = int(output_length[b]), list(target[b, :int(target_length[b])])
        total = 0.0
        for path in itertools.product(range(logits.shape[2]), repeat=t_b):
            if _collapse(path, blank) == want:
                total += np.exp(sum(logp[b, t, c] for t, c in enumerate(path)))
        out.append(-np.log(total) if total > 0 else np.inf)
    return np.array(out)


def _case(batch=4, t=5, c=3, seed=0):
    rng = np.random.default_rng(seed)
    logits = rng.standard_normal((batch, t, c)).astype("float32") * 2
    return logits


# (target, target_length, output_length): repeated labels, a target shorter than its
# padding, an empty target, a sample that needs every step, output shorter than max_time
LOSS_CASES = [
    (np.array([[1, 2, 0], [1, 1, 0], [2, 0, 0], [1, 2, 1], [2, 2, 2]]),
     np.array([2, 2, 1, 3, 0]), np.array([5, 4, 2, 5, 3])),
    (np.array([[2, 1, 2], [1, 2, 2], [1, 0, 0], [2, 2, 0], [1, 1, 1]]),
     np.array([3, 3, 1, 2, 2]), np.array([3, 5, 1, 3, 4])),
]


@pytest.mark.parametrize("case", range(len(LOSS_CASES)))
def test_ctc_loss_generic_matches_brute_force(case, any_framework, fw_array, np_of, generic):
    target, tl, ol = LOSS_CASES[case]
    logits = _case(batch=len(target), t=5, c=3, seed=case)
    ref = brute_force_ctc(target, logits, tl, ol)
    args = [fw_array(a, any_framework) for a in (target, logits, tl, ol)]
    got = np_of(generic(nn_ops.ctc_loss, any_framework, *args))
    np.testing.assert_allclose(got, ref, rtol=2e-5, atol=2e-5)
    np.testing.assert_allclose(np_of(nn_ops.ctc_loss(*args)), ref, rtol=2e-5, atol=2e-5)


def test_ctc_loss_array_api_strict(fw_array):
    target, tl, ol = LOSS_CASES[0]
    logits = _case(batch=len(target), seed=0)
    got = nn_ops.ctc_loss(*(fw_array(a, "array_api_strict") for a in (target, logits, tl, ol)))
    assert type(got).__module__.startswith("array_api_strict")
    np.testing.assert_allclose(np.asarray(got._array), brute_force_ctc(target, logits, tl, ol),
                               rtol=2e-5, atol=2e-5)


def test_ctc_loss_mask_index(any_framework, fw_array, np_of):
    """A blank other than 0 (the last class, and a middle one): labels avoid it."""
    rng = np.random.default_rng(3)
    logits = rng.standard_normal((3, 5, 4)).astype("float32")
    for blank, target in ((3, np.array([[0, 1, 0], [2, 2, 1], [1, 0, 0]])),
                          (1, np.array([[0, 2, 0], [3, 3, 2], [2, 0, 0]]))):
        tl, ol = np.array([3, 2, 1]), np.array([5, 4, 2])
        ref = brute_force_ctc(target, logits, tl, ol, blank=blank)
        args = [fw_array(a, any_framework) for a in (target, logits, tl, ol)]
        np.testing.assert_allclose(np_of(nn_ops.ctc_loss(*args, mask_index=blank)), ref,
                                   rtol=2e-5, atol=2e-5)
        np.testing.assert_allclose(np_of(nn_ops.ctc_loss(*args, mask_index=blank - 4)), ref,
                                   rtol=2e-5, atol=2e-5)  # negative: counted from the end


@pytest.mark.parametrize("fw", DIFFERENTIABLE)
@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
def test_ctc_loss_fast_path_matches_generic(fw, dtype, fw_array, np_of):
    assert nn_ops.ctc_loss.fast_path(fw) is not None
    rng = np.random.default_rng(11)
    b, t, c, lmax = 6, 12, 6, 4
    logits = (rng.standard_normal((b, t, c)) * 3).astype(dtype)
    target = rng.integers(1, c, (b, lmax))
    target[1, :3] = 4  # repeats
    tl = np.array([4, 3, 2, 0, 1, 4])
    ol = np.array([12, 9, 3, 5, 1, 4])  # the last sample needs more than 4 steps if it repeats
    ref = np_of(nn_ops.ctc_loss.generic(*(fw_array(a, "numpy") for a in (target, logits, tl, ol))))
    got = nn_ops.ctc_loss(*(fw_array(a, fw) for a in (target, logits, tl, ol)))
    want_dt = "float64" if dtype == "float64" and fw != "jax" else "float32"
    assert str(np_of(got).dtype) == want_dt
    tol = 1e-9 if want_dt == "float64" else 3e-5
    np.testing.assert_allclose(np_of(got), ref, rtol=tol, atol=tol)
    for blank in (c - 1, 2):
        tgt = np.where(target == blank, 1 if blank != 1 else 3, target)
        ref = np_of(nn_ops.ctc_loss.generic(tgt, logits, tl, ol, mask_index=blank))
        got = nn_ops.ctc_loss(*(fw_array(a, fw) for a in (tgt, logits, tl, ol)), mask_index=blank)
        np.testing.assert_allclose(np_of(got), ref, rtol=tol, atol=tol)


def _grad(fw, fn, x):
    from unikeras.xp import asarray, to_numpy

    if fw == "jax":
        import jax

        return np.asarray(jax.grad(lambda v: fn(v).sum())(asarray(x, framework="jax")))
    if fw == "torch":
        v = asarray(x, framework="torch").requires_grad_(True)
        fn(v).sum().backward()
        return v.grad.numpy()
    import tensorflow as tf

    v = tf.Variable(x)
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(fn(v))
    return to_numpy(tape.gradient(y, v))


@pytest.mark.parametrize("fw", DIFFERENTIABLE)
def test_ctc_loss_impossible_sample_is_inf_with_zero_gradient(fw, fw_array, np_of):
    """[1, 1, 1] needs 5 steps: with 4 the loss is inf (every framework, fast or generic)
    and its gradient 0, while the other sample's gradient is unaffected."""
    rng = np.random.default_rng(5)
    logits = rng.standard_normal((2, 4, 3)).astype("float32")
    target = np.array([[1, 1, 1], [1, 2, 0]])
    tl, ol = np.array([3, 2]), np.array([4, 4])
    T, TL, OL = (fw_array(a, fw) for a in (target, tl, ol))
    for op in (nn_ops.ctc_loss, nn_ops.ctc_loss.generic):
        loss = np_of(op(T, fw_array(logits, fw), TL, OL))
        assert loss[0] == np.inf and np.isfinite(loss[1])
        g = _grad(fw, lambda v: op(T, v, TL, OL), logits)  # of the sum, inf included
        g1 = _grad(fw, lambda v: op(T, v, TL, OL)[1:], logits)
        assert np.all(np.isfinite(g)) and np.all(g[0] == 0) and np.abs(g[1]).sum() > 0
        np.testing.assert_allclose(g, g1, rtol=1e-6, atol=1e-7)


def test_ctc_loss_traced():
    """The jax fast path under jax.jit, TF's under tf.function: the value checks are
    skipped on tracers, the shape checks still run."""
    target, tl, ol = LOSS_CASES[0]
    logits = _case(batch=len(target), seed=0)
    ref = brute_force_ctc(target, logits, tl, ol)
    if "jax" in installed_frameworks():
        import jax

        got = jax.jit(nn_ops.ctc_loss)(target, logits, tl, ol)
        np.testing.assert_allclose(np.asarray(got), ref, rtol=2e-5, atol=2e-5)
    if "tensorflow" in installed_frameworks():
        import tensorflow as tf

        got = tf.function(nn_ops.ctc_loss)(*(tf.constant(a) for a in (target, logits, tl, ol)))
        np.testing.assert_allclose(got.numpy(), ref, rtol=2e-5, atol=2e-5)


@pytest.mark.parametrize("call, match", [
    (lambda T: nn_ops.ctc_loss(T(np.zeros((2, 3), "int32")), T(np.zeros((2, 4), "float32")),
                               T(np.array([1, 1])), T(np.array([4, 4]))),
     r"ctc_loss: output must have rank 3, shape \(batch, max_time, num_classes\); received "
     r"output.shape=\(2, 4\)"),
    (lambda T: nn_ops.ctc_loss(T(np.zeros((2,), "int32")), T(np.zeros((2, 4, 3), "float32")),
                               T(np.array([1, 1])), T(np.array([4, 4]))),
     r"ctc_loss: target must have rank 2"),
    (lambda T: nn_ops.ctc_loss(T(np.zeros((3, 2), "int32")), T(np.zeros((2, 4, 3), "float32")),
                               T(np.array([1, 1])), T(np.array([4, 4]))),
     r"ctc_loss: target must have the batch size of output \(2\); received target.shape=\(3, 2\)"),
    (lambda T: nn_ops.ctc_loss(T(np.zeros((2, 2), "int32")), T(np.zeros((2, 4, 3), "float32")),
                               T(np.array([1, 1])), T(np.array([4, 5]))),
     r"ctc_loss: output_length entries must be in \[0, 4\] \(max_time = output.shape\[1\]\); "
     r"received output_length containing 5"),
    (lambda T: nn_ops.ctc_loss(T(np.zeros((2, 2), "int32")), T(np.zeros((2, 4, 3), "float32")),
                               T(np.array([3, 1])), T(np.array([4, 4]))),
     r"ctc_loss: target_length entries must be in \[0, 2\]"),
    (lambda T: nn_ops.ctc_loss(T(np.zeros((2, 2), "int32")), T(np.zeros((2, 4, 3), "float32")),
                               T(np.array([1, 1])), T(np.array([4, 4])), mask_index=3),
     r"ctc_loss: mask_index must be in \[0, 3\)"),
])
def test_ctc_loss_errors(call, match, any_framework, fw_array):
    with pytest.raises(ValueError, match=match):
        call(lambda a: fw_array(a, any_framework))


# ----------------------------------------------------------------------------- decoding
def greedy_reference(x, lengths, merge_repeated=True, blank=0):
    b, t, _ = x.shape
    out = np.full((1, b, t), -1, np.int32)
    scores = np.zeros((b, 1), np.float32)
    for i in range(b):
        best = [int(np.argmax(x[i, s])) for s in range(int(lengths[i]))]
        scores[i, 0] = -sum(float(x[i, s].max()) for s in range(int(lengths[i])))
        labels, prev = [], None
        for c in best:
            if c != blank and not (merge_repeated and c == prev):
                labels.append(c)
            prev = c
        out[0, i, :len(labels)] = labels
    return out, scores


def sequence_log_probs(x, length, blank):
    """{label sequence: log p} of every sequence, from all alignments (brute force)."""
    logp = _log_softmax(x.astype(np.float64))
    probs = {}
    for path in itertools.product(range(x.shape[-1]), repeat=int(length)):
        key = tuple(_collapse(path, blank))
        probs[key] = probs.get(key, 0.0) + np.exp(sum(logp[t, c] for t, c in enumerate(path)))
    return {k: np.log(v) for k, v in probs.items()}


@pytest.mark.parametrize("merge", [True, False])
@pytest.mark.parametrize("blank", [0, 2, None])
def test_ctc_greedy(merge, blank, any_framework, fw_array, np_of):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((3, 7, 4)).astype("float32")
    x[0, 1:4] = x[0, 0]  # a run of the same best class
    lengths = np.array([7, 4, 0])
    ref = greedy_reference(x, lengths, merge, 3 if blank is None else blank)
    dec, sc = nn_ops.ctc_decode(fw_array(x, any_framework), fw_array(lengths, any_framework),
                                merge_repeated=merge, mask_index=blank)
    assert str(np_of(dec).dtype) == "int32" and np_of(dec).shape == (1, 3, 7)
    np.testing.assert_array_equal(np_of(dec), ref[0])
    np.testing.assert_allclose(np_of(sc), ref[1], rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("blank", [0, 3])
def test_ctc_beam_search_exact_with_a_wide_beam(blank, any_framework, fw_array, np_of):
    """With a beam wider than the number of prefixes, prefix beam search is exact: the top
    paths and their log-probabilities are those of the brute-force distribution."""
    rng = np.random.default_rng(4)
    x = (rng.standard_normal((3, 4, 4)) * 1.5).astype("float32")
    lengths = np.array([4, 3, 1])
    k = 3
    dec, sc = nn_ops.ctc_decode(fw_array(x, any_framework), fw_array(lengths, any_framework),
                                strategy="beam_search", beam_width=64, top_paths=k,
                                mask_index=blank)
    dec, sc = np_of(dec), np_of(sc)
    assert dec.shape == (k, 3, 4) and sc.shape == (3, k)
    for i in range(3):
        probs = sequence_log_probs(x[i], lengths[i], blank)
        top = sorted(probs.items(), key=lambda kv: -kv[1])[:k]
        for j, (seq, lp) in enumerate(top):
            np.testing.assert_array_equal(dec[j, i], list(seq) + [-1] * (4 - len(seq)))
            np.testing.assert_allclose(sc[i, j], lp, rtol=1e-5, atol=1e-5)


def test_ctc_beam_search_array_api_strict_and_frameworks_agree(fw_array, np_of):
    """Every framework (and array_api_strict's generic path) gives NumPy's beams; jax runs
    its compiled lax.scan, also under jax.jit."""
    rng = np.random.default_rng(9)
    x = (rng.standard_normal((3, 12, 6)) * 2).astype("float32")
    lengths = np.array([12, 9, 5])
    kw = dict(strategy="beam_search", beam_width=7, top_paths=3, mask_index=1)
    ref = [np.asarray(a) for a in nn_ops.ctc_decode.generic(x, lengths, **kw)]
    for fw in installed_frameworks() + ["array_api_strict"]:
        out = nn_ops.ctc_decode(fw_array(x, fw), fw_array(lengths, fw), **kw)
        out = [np.asarray(a._array) if fw == "array_api_strict" else np_of(a) for a in out]
        np.testing.assert_array_equal(out[0], ref[0], err_msg=fw)
        np.testing.assert_allclose(out[1], ref[1], rtol=1e-5, atol=1e-5, err_msg=fw)
    if "jax" in installed_frameworks():
        import jax

        assert nn_ops.ctc_decode.fast_path("jax") is not None
        out = jax.jit(lambda a, b: nn_ops.ctc_decode(a, b, **kw))(x, lengths)
        np.testing.assert_array_equal(np.asarray(out[0]), ref[0])
        np.testing.assert_allclose(np.asarray(out[1]), ref[1], rtol=1e-5, atol=1e-5)


def test_ctc_beam_search_missing_paths():
    """Fewer possible label sequences than top_paths: the rest are -1s scored -inf."""
    x = np.zeros((1, 2, 2), np.float32)  # blank and one label, two steps: "", "a"
    dec, sc = nn_ops.ctc_decode(x, np.array([2]), strategy="beam_search", beam_width=4,
                                top_paths=3)
    assert np.asarray(dec)[:, 0].tolist() == [[1, -1], [-1, -1], [-1, -1]]
    np.testing.assert_allclose(np.asarray(sc)[0, :2], [np.log(0.75), np.log(0.25)], rtol=1e-6)
    assert np.asarray(sc)[0, 2] == -np.inf


@pytest.mark.parametrize("kw, match", [
    ({"strategy": "viterbi"}, r"ctc_decode: strategy must be 'greedy' or 'beam_search'; "
                              r"received strategy='viterbi'"),
    ({"strategy": "beam_search", "beam_width": 2, "top_paths": 3},
     r"ctc_decode: beam search needs 1 <= top_paths <= beam_width; received beam_width=2, "
     r"top_paths=3"),
    ({"mask_index": 4}, r"ctc_decode: mask_index must be in \[0, 4\)"),
    ({"lengths": np.array([5, 6])}, r"ctc_decode: sequence_lengths entries must be in \[0, 5\] "
                                    r"\(max_time = inputs.shape\[1\]\); received "
                                    r"sequence_lengths containing 6"),
    ({"lengths": np.array([5, 5, 5])}, r"ctc_decode: sequence_lengths must have shape "
                                       r"\(batch,\) = \(2,\); received "
                                       r"sequence_lengths.shape=\(3,\)"),
    ({"x": np.zeros((2, 5), np.float32)}, r"ctc_decode: inputs must have rank 3, shape "
                                          r"\(batch, max_time, num_classes\); received "
                                          r"inputs.shape=\(2, 5\)"),
])
def test_ctc_decode_errors(kw, match, any_framework, fw_array):
    kw = dict(kw)
    x = kw.pop("x", np.zeros((2, 5, 4), np.float32))
    lengths = kw.pop("lengths", np.array([5, 3]))
    with pytest.raises(ValueError, match=match):
        nn_ops.ctc_decode(fw_array(x, any_framework), fw_array(lengths, any_framework), **kw)
