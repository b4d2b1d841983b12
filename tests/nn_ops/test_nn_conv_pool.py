"""conv / conv_transpose / depthwise / separable conv and pooling: a naive NumPy
reference, every fast path against the generic path, Keras' output shapes, errors."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from unikeras import nn_ops
from unikeras.xp import namespace

RNG = np.random.default_rng(0)


def _same_pads(size, k, s, d):
    ke = (k - 1) * d + 1
    out = -(-size // s)
    total = max((out - 1) * s + ke - size, 0)
    return total // 2, total - total // 2


def ref_conv(x, w, strides, padding, dilation):
    """Naive channels_last cross-correlation with groups = C // w.shape[-2]."""
    n = x.ndim - 2
    st = (strides,) * n if isinstance(strides, int) else strides
    dl = (dilation,) * n if isinstance(dilation, int) else dilation
    ks = w.shape[:n]
    pads = [(0, 0)] * n if padding == "valid" else [
        _same_pads(x.shape[1 + i], ks[i], st[i], dl[i]) for i in range(n)]
    xp_ = np.pad(x, [(0, 0)] + pads + [(0, 0)])
    c, cg, o = x.shape[-1], w.shape[-2], w.shape[-1]
    g = c // cg
    og = o // g
    outs = [(xp_.shape[1 + i] - ((ks[i] - 1) * dl[i] + 1)) // st[i] + 1 for i in range(n)]
    y = np.zeros((x.shape[0], *outs, o))
    for pos in itertools.product(*(range(v) for v in outs)):
        for kk in itertools.product(*(range(v) for v in ks)):
            idx = tuple(p * s + k * d for p, s, k, d in zip(pos, st, kk, dl))
            patch = xp_[(slice(None),) + idx]  # (N, C)
            for gi in range(g):
                y[(slice(None),) + pos + (slice(gi * og, (gi + 1) * og),)] += (
                    patch[:, gi * cg:(gi + 1) * cg] @ w[kk][:, gi * og:(gi + 1) * og])
    return y


CASES = [  # n, strides, padding, dilation, groups
    (1, 1, "valid", 1, 1), (1, 2, "same", 1, 2), (1, 1, "same", 2, 1),
    (2, 1, "same", 1, 1), (2, 2, "valid", 1, 2), (2, 1, "valid", 2, 1), (2, 2, "same", 1, 1),
    (2, (2, 1), "same", 1, 4), (3, 1, "same", 1, 1), (3, 2, "valid", 1, 2),
]


@pytest.mark.parametrize("n,strides,padding,dilation,groups", CASES)
def test_conv_matches_naive_reference(n, strides, padding, dilation, groups, any_framework,
                                      fw_array, np_of, generic):
    x = RNG.normal(size=(2,) + (7, 6, 5)[:n] + (4,))
    w = RNG.normal(size=(3, 2, 3)[:n] + (4 // groups, 8))
    ref = ref_conv(x, w, strides, padding, dilation)
    args = (fw_array(x, any_framework), fw_array(w, any_framework), strides, padding, None,
            dilation)
    got = np_of(nn_ops.conv(*args))
    np.testing.assert_allclose(got, ref, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(np_of(generic(nn_ops.conv, any_framework, *args)), ref,
                               rtol=1e-4, atol=1e-5)
    # channels_first gives the transposed result
    xcf = np.moveaxis(x, -1, 1)
    got_cf = np_of(nn_ops.conv(fw_array(xcf, any_framework), fw_array(w, any_framework),
                               strides, padding, "channels_first", dilation))
    np.testing.assert_allclose(np.moveaxis(got_cf, 1, -1), ref, rtol=1e-4, atol=1e-5)


def _conv_transpose_ref(x, w, s, k, padding):
    """1-D transposed conv by scattering, then Keras' crop (dilation 1)."""
    n_, L, c = x.shape
    o = w.shape[1]
    full = np.zeros((n_, (L - 1) * s + k, o))
    for i in range(L):
        full[:, i * s:i * s + k, :] += np.einsum("nc,koc->nko", x[:, i], w)
    if padding == "valid":
        out = (L - 1) * s + max(k, s)
        res = np.zeros((n_, out, o))
        res[:, :min(out, full.shape[1])] = full[:, :out]
        return res
    total = s + k - 2
    left = min(total // 2 + total % 2, k - 1)
    start = k - 1 - left
    return full[:, start:start + L * s]


@pytest.mark.parametrize("s,k,padding", [(1, 3, "valid"), (2, 3, "valid"), (3, 2, "valid"),
                                         (2, 3, "same"), (2, 4, "same"), (1, 3, "same")])
def test_conv_transpose_1d_reference_and_shape(s, k, padding, any_framework, fw_array, np_of,
                                               generic):
    x = RNG.normal(size=(2, 5, 3))
    w = RNG.normal(size=(k, 4, 3))
    ref = _conv_transpose_ref(x, w, s, k, padding)
    args = (fw_array(x, any_framework), fw_array(w, any_framework), s, padding)
    np.testing.assert_allclose(np_of(nn_ops.conv_transpose(*args)), ref, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(np_of(generic(nn_ops.conv_transpose, any_framework, *args)), ref,
                               rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("n,strides,padding,dilation,output_padding", [
    (2, 2, "same", 1, None), (2, 2, "valid", 1, 1), (2, 1, "same", 2, None),
    (2, 2, "same", 2, 1), (3, 2, "valid", 1, None), (1, 3, "same", 1, 2)])
def test_conv_transpose_fast_vs_generic(n, strides, padding, dilation, output_padding,
                                        any_framework, fw_array, np_of, generic):
    x = RNG.normal(size=(2,) + (5, 4, 3)[:n] + (3,))
    w = RNG.normal(size=(3, 2, 3)[:n] + (5, 3))
    args = (fw_array(x, any_framework), fw_array(w, any_framework), strides, padding,
            output_padding, None, dilation)
    got = np_of(nn_ops.conv_transpose(*args))
    ref = np_of(nn_ops.conv_transpose.generic(*(a if i > 1 else fw_array(v, "array_api_strict")
                                                for i, (a, v) in enumerate(zip(args, (x, w) + args[2:])))))
    np.testing.assert_allclose(got, ref, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("n,strides,padding", [(1, 1, "same"), (2, 2, "same"), (2, 1, "valid"),
                                               (3, 1, "same")])
def test_depthwise_and_separable(n, strides, padding, any_framework, fw_array, np_of):
    x = RNG.normal(size=(2,) + (6, 5, 4)[:n] + (3,))
    dw = RNG.normal(size=(3, 2, 2)[:n] + (3, 2))
    pw = RNG.normal(size=(1,) * n + (6, 4))
    # depthwise = grouped conv with C groups, output channel c * M + m
    grouped = dw.reshape(dw.shape[:-2] + (1, 6))
    ref = ref_conv(x, grouped, strides, padding, 1)
    got = np_of(nn_ops.depthwise_conv(fw_array(x, any_framework), fw_array(dw, any_framework),
                                      strides, padding))
    np.testing.assert_allclose(got, ref, rtol=1e-4, atol=1e-5)
    sep = np_of(nn_ops.separable_conv(fw_array(x, any_framework), fw_array(dw, any_framework),
                                      fw_array(pw, any_framework), strides, padding))
    np.testing.assert_allclose(sep, ref @ pw.reshape(6, 4), rtol=1e-4, atol=1e-5)


def ref_pool(x, pool, strides, padding, kind):
    n = x.ndim - 2
    st = pool if strides is None else strides
    pads = [(0, 0)] * n if padding == "valid" else [
        _same_pads(x.shape[1 + i], pool[i], st[i], 1) for i in range(n)]
    outs = [(x.shape[1 + i] + sum(pads[i]) - pool[i]) // st[i] + 1 for i in range(n)]
    y = np.zeros((x.shape[0], *outs, x.shape[-1]))
    for pos in itertools.product(*(range(v) for v in outs)):
        sl = []
        for i in range(n):
            lo = pos[i] * st[i] - pads[i][0]
            sl.append(slice(max(lo, 0), min(lo + pool[i], x.shape[1 + i])))
        win = x[(slice(None),) + tuple(sl)].reshape(x.shape[0], -1, x.shape[-1])
        y[(slice(None),) + pos] = win.max(1) if kind == "max" else win.mean(1)
    return y


@pytest.mark.parametrize("kind", ["max", "average"])
@pytest.mark.parametrize("n,pool,strides,padding", [
    (1, (3,), None, "valid"), (1, (2,), (1,), "same"), (2, (2, 2), None, "same"),
    (2, (3, 2), (2, 1), "same"), (2, (3, 3), (2, 2), "valid"), (3, (2, 2, 2), None, "same")])
def test_pooling_matches_reference(kind, n, pool, strides, padding, any_framework, fw_array,
                                   np_of, generic):
    x = RNG.normal(size=(2,) + (7, 5, 4)[:n] + (3,))
    ref = ref_pool(x, pool, strides, padding, kind)
    op = nn_ops.max_pool if kind == "max" else nn_ops.average_pool
    xf = fw_array(x, any_framework)
    np.testing.assert_allclose(np_of(op(xf, pool, strides, padding)), ref, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np_of(generic(op, any_framework, xf, pool, strides, padding)), ref,
                               rtol=1e-5, atol=1e-6)
    xcf = fw_array(np.moveaxis(x, -1, 1), any_framework)
    got = np_of(op(xcf, pool, strides, padding, "channels_first"))
    np.testing.assert_allclose(np.moveaxis(got, 1, -1), ref, rtol=1e-5, atol=1e-6)


# ----------------------------------------------------------------- errors
@pytest.mark.parametrize("call,match", [
    (lambda a: nn_ops.conv(a(np.ones((2, 3))), a(np.ones((3, 3, 2)))), r"conv: inputs must have rank 3 or 4 or 5.*received inputs.shape=\(2, 3\)"),
    (lambda a: nn_ops.conv(a(np.ones((1, 5, 3))), a(np.ones((3, 3, 2)))), None),
    (lambda a: nn_ops.conv(a(np.ones((1, 5, 4))), a(np.ones((3, 3, 2))), padding="full"), r"conv: padding must be one of \('valid', 'same'\); received padding='full'"),
    (lambda a: nn_ops.conv(a(np.ones((1, 5, 4))), a(np.ones((3, 3, 2))), data_format="NHWC"), r"conv: data_format must be one of .*received data_format='NHWC'"),
    (lambda a: nn_ops.conv(a(np.ones((1, 5, 4))), a(np.ones((3, 3, 3)))), r"conv: the input channels \(4.*multiple of kernel.shape\[-2\].*received kernel.shape=\(3, 3, 3\)"),
    (lambda a: nn_ops.conv(a(np.ones((1, 5, 4))), a(np.ones((3, 3, 3, 2)))), r"conv: kernel must have rank 3.*received kernel.shape=\(3, 3, 3, 2\)"),
    (lambda a: nn_ops.conv(a(np.ones((1, 2, 4))), a(np.ones((3, 4, 2)))), r"conv: the \(dilated\) kernel"),
    (lambda a: nn_ops.conv(a(np.ones((1, 5, 4))), a(np.ones((3, 4, 2))), strides=(1, 2)), r"conv: strides must have 1 entries.*received strides=\(1, 2\)"),
    (lambda a: nn_ops.conv_transpose(a(np.ones((1, 5, 4))), a(np.ones((3, 2, 3)))), r"conv_transpose: kernel.shape\[-1\] must equal the input channels 4"),
    (lambda a: nn_ops.conv_transpose(a(np.ones((1, 5, 4))), a(np.ones((3, 2, 4))), strides=2, output_padding=2), r"conv_transpose: output_padding must be smaller"),
    (lambda a: nn_ops.depthwise_conv(a(np.ones((1, 5, 4))), a(np.ones((3, 3, 2)))), r"depthwise_conv: kernel.shape\[-2\] must equal the input channels 4"),
    (lambda a: nn_ops.max_pool(a(np.ones((5, 4))), 2), r"max_pool: inputs must have rank"),
    (lambda a: nn_ops.average_pool(a(np.ones((1, 5, 4))), 2, padding="causal"), r"average_pool: padding must be one of"),
    (lambda a: nn_ops.max_pool(a(np.ones((1, 5, 4))), 0), r"max_pool: pool_size entries must be >= 1"),
])
def test_errors_name_op_expected_and_received(call, match, any_framework, fw_array):
    if match is None:  # 3 channels, kernel expects 3 per group -> fine (groups=1)
        call(lambda v: fw_array(v, any_framework))
        return
    with pytest.raises(ValueError, match=match):
        call(lambda v: fw_array(v, any_framework))


def _value_and_grads(fw, fn, arrays, cotangent):
    """fn(*arrays) and the gradients of sum(fn(*arrays) * cotangent) for each array, in
    each framework's own autodiff (NumPy results)."""
    from unikeras.xp import asarray, to_numpy

    if fw == "jax":
        import jax

        args = [asarray(a, framework="jax") for a in arrays]
        out, vjp = jax.vjp(fn, *args)
        return np.asarray(out), [np.asarray(g) for g in vjp(asarray(cotangent, framework="jax"))]
    if fw == "torch":
        args = [asarray(a, framework="torch").requires_grad_(True) for a in arrays]
        out = fn(*args)
        out.backward(asarray(cotangent, framework="torch"))
        return out.detach().numpy(), [a.grad.numpy() for a in args]
    import tensorflow as tf

    args = [tf.constant(a) for a in arrays]
    with tf.GradientTape() as tape:
        tape.watch(args)
        out = fn(*args)
        y = tf.reduce_sum(out * cotangent)
    return to_numpy(out), [to_numpy(g) for g in tape.gradient(y, args)]


@pytest.mark.parametrize("n,strides,padding,data_format", [
    (1, 1, "valid", "channels_last"), (2, 1, "valid", "channels_last"),
    (2, 2, "same", "channels_last"), (2, 1, "same", "channels_first"),
    (3, 1, "valid", "channels_first")])
def test_conv_bias_equals_conv_plus_bias_with_gradients(n, strides, padding, data_format,
                                                        framework):
    """conv_bias (torch: the bias inside F.convNd, whose backward computes its gradient)
    against conv + bias on the channel axis, forward and gradients of inputs, kernel and
    bias; the forward also against the naive NumPy reference."""
    rng = np.random.default_rng(1)
    x = rng.normal(size=(2,) + (6, 5, 4)[:n] + (3,)).astype("float32")
    k = rng.normal(size=(3, 2, 2)[:n] + (3, 4)).astype("float32")
    b = rng.normal(size=(4,)).astype("float32")
    ref = ref_conv(x.astype("float64"), k.astype("float64"), strides, padding, 1) + b
    cf = data_format == "channels_first"
    if cf:
        x, ref = np.moveaxis(x, -1, 1), np.moveaxis(ref, -1, 1)
    ct = rng.normal(size=ref.shape).astype("float32")

    def fused(xv, kv, bv):
        return nn_ops.conv_bias(xv, kv, bv, strides, padding, data_format)

    def unfused(xv, kv, bv):
        y = nn_ops.conv(xv, kv, strides, padding, data_format)
        return y + (namespace(bv).reshape(bv, (1, 4) + (1,) * n) if cf else bv)

    out, grads = _value_and_grads(framework, fused, (x, k, b), ct)
    out_ref, grads_ref = _value_and_grads(framework, unfused, (x, k, b), ct)
    np.testing.assert_allclose(out, ref, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(out, out_ref, rtol=1e-5, atol=1e-5)
    for g, gr in zip(grads, grads_ref):
        assert g.shape == gr.shape
        np.testing.assert_allclose(g, gr, rtol=1e-5, atol=1e-4)
    # the bias gradient is the cotangent summed over every axis but the channels
    np.testing.assert_allclose(grads[2], ct.sum(axis=tuple(i for i in range(ct.ndim)
                                                           if i != (1 if cf else ct.ndim - 1))),
                               rtol=1e-5, atol=1e-4)


def test_torch_conv_bias_of_another_dtype_is_added_with_promotion():
    """torch: a float64 bias on a float32 convolution is torch's promotion of conv + bias
    (F.convNd takes one dtype, so that bias is added after the fused kernel)."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    x = torch.from_numpy(rng.normal(size=(2, 5, 5, 3)).astype("float32"))
    k = torch.from_numpy(rng.normal(size=(3, 3, 3, 2)).astype("float32"))
    b = torch.from_numpy(rng.normal(size=(2,)))
    got = nn_ops.conv_bias(x, k, b)
    want = nn_ops.conv(x, k) + b
    assert got.dtype == want.dtype == torch.float64
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-12)
